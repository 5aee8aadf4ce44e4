"""The `bosai` command, run as a user would run it."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import click
import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from server.cli import main
from server.db.migrate import head_revision
from tests.conftest import private_tmp

BOSAI = str(Path(sys.executable).with_name("bosai"))


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += all_commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("command", all_commands(main), ids=lambda c: " ".join(c) or "bosai")
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: bosai" in result.output
    assert len(result.output.splitlines()) > 3


def test_the_expected_commands_exist() -> None:
    commands = {" ".join(c) for c in all_commands(main)}
    assert {"serve", "db start", "db stop", "db status", "db upgrade", "demo"} <= commands


@pytest.mark.parametrize("command", [["db", "start"], ["db", "stop"]])
def test_nothing_local_is_managed_when_database_url_is_set(command: list[str], tmp_path: Path) -> None:
    env = {"DATABASE_URL": "postgresql://somewhere/bosai", "BOSAI_HOME": str(tmp_path / ".bosai")}
    result = CliRunner().invoke(main, command, env=env)
    assert result.exit_code == 1
    assert "DATABASE_URL is set" in result.output
    assert not (tmp_path / ".bosai").exists()


def _count(url: str, sql: str) -> list[tuple[object, ...]]:
    async def query() -> list[tuple[object, ...]]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                return [tuple(row) for row in await connection.execute(text(sql))]
        finally:
            await engine.dispose()

    return asyncio.run(query())


def test_demo_migrates_and_loads_the_demo_municipality_twice_safely(empty_database_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": empty_database_url, "BOSAI_HOME": str(tmp_path / ".bosai")}
    env["BOSAI_PACKS_DIR"] = str(tmp_path / "packs")
    first = CliRunner().invoke(main, ["demo", "--no-serve"], env=env)
    assert first.exit_code == 0, first.output
    assert f"schema at revision {head_revision()}" in first.output
    assert "84 created" in first.output
    assert "n03_boundary" in first.output and "a33_landslide" in first.output  # 見本町 through the importer
    assert "offline pack 029980 v1" in first.output and "offline pack 029998 v1" in first.output
    assert (tmp_path / "packs" / "029998" / "1.pmtiles").is_file()
    ids_before = _count(empty_database_url, "SELECT id FROM facility ORDER BY id")
    zones_before = _count(empty_database_url, "SELECT hazard_type, count(*) FROM hazard_zone GROUP BY 1 ORDER BY 1")

    second = CliRunner().invoke(main, ["demo", "--no-serve"], env=env)
    assert second.exit_code == 0, second.output
    assert "0 created, 84 updated" in second.output
    assert _count(empty_database_url, "SELECT id FROM facility ORDER BY id") == ids_before
    zones = "SELECT hazard_type, count(*) FROM hazard_zone GROUP BY 1 ORDER BY 1"
    assert _count(empty_database_url, zones) == zones_before
    towns = _count(empty_database_url, "SELECT code, name, name_kana, name_en FROM municipality ORDER BY code")
    assert towns == [("029980", "見本町", "みほんちょう", "Mihon Town"), ("029998", "見本市", "みほんし", "Mihon City")]
    assert not (tmp_path / ".bosai").exists()


def test_db_status_reports_the_revision(database_url: str) -> None:
    result = CliRunner().invoke(main, ["db", "status"], env={"DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    assert f"schema revision: {head_revision()}" in result.output
    assert "up to date" in result.output


def test_users_disable_matches_the_address_exactly_never_as_a_pattern(database_url: str) -> None:
    env = {"DATABASE_URL": database_url}
    runner = CliRunner()
    added = runner.invoke(main, ["users", "add", "pattern@test.example", "--role", "data_admin"], env=env)
    assert added.exit_code == 0, added.output
    disabled = "SELECT email FROM account WHERE disabled_at IS NOT NULL ORDER BY email"
    before = _count(database_url, disabled)
    for pattern in ["%", "pattern@%", "_attern@test.example"]:
        result = runner.invoke(main, ["users", "disable", pattern], env=env)
        assert result.exit_code == 1 and f"no account {pattern}" in result.output
    assert _count(database_url, disabled) == before
    # The address as stored (normalised): full-width letters and upper case find the same account.
    result = runner.invoke(main, ["users", "disable", "ＰＡＴＴＥＲＮ@Test.Example"], env=env)
    assert result.exit_code == 0, result.output
    assert _count(database_url, disabled) == sorted([*before, ("pattern@test.example",)])


def test_db_commands_manage_a_local_cluster_when_database_url_is_unset() -> None:
    home = private_tmp("bosai-cli-")
    env = {"DATABASE_URL": "", "BOSAI_HOME": str(home / ".bosai"), "BOSAI_PG_PORT": "54700"}
    runner = CliRunner()
    try:
        stopped = runner.invoke(main, ["db", "status"], env=env)
        assert stopped.exit_code == 3 and "no cluster yet" in stopped.output
        upgraded = runner.invoke(main, ["db", "upgrade"], env=env)
        assert upgraded.exit_code == 0, upgraded.output
        assert "created database 'bosai'" in upgraded.output
        status = runner.invoke(main, ["db", "status"], env=env)
        assert status.exit_code == 0, status.output
        assert "running" in status.output and "up to date" in status.output
        again = runner.invoke(main, ["db", "start"], env=env)
        assert again.exit_code == 0 and "created database" not in again.output
    finally:
        down = runner.invoke(main, ["db", "stop"], env=env)
        subprocess.run(["rm", "-rf", str(home)], check=False)
    assert down.output.strip() == "stopped"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_answers_ready_and_starts_nothing_local(database_url: str, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "BOSAI_PORT": str(port)}
    with subprocess.Popen([BOSAI, "serve", "--workers", "2"], cwd=tmp_path, env=env) as server:
        try:
            deadline = time.monotonic() + 30
            response = None
            while time.monotonic() < deadline:
                try:
                    response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            assert response is not None and response.status_code == 200, "server did not come up"
            assert response.json()["revision"] == head_revision()
        finally:
            server.terminate()
            server.wait(timeout=20)
    assert not (tmp_path / ".bosai").exists()
