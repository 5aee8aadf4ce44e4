"""The local cluster manager, against real PostgreSQL binaries."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from server.db.cluster import ClusterError, LocalCluster, MissingSoftwareError
from tests.conftest import private_tmp

PROJECT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    home = private_tmp("bosai-cluster-")
    cluster = LocalCluster(home / ".bosai", 54500, server_options=("fsync=off",))
    yield cluster
    cluster.stop()
    shutil.rmtree(home, ignore_errors=True)


def test_a_new_cluster_reports_that_it_does_not_exist_yet(tmp_path: Path) -> None:
    status = LocalCluster(tmp_path / ".bosai", 54500).status()
    assert not status.initialized and not status.running
    assert "bosai db start" in status.describe()


def test_start_creates_and_runs_then_starting_twice_is_harmless(cluster: LocalCluster) -> None:
    first = cluster.start()
    assert first.running and first.pid is not None
    assert (cluster.data_dir / "PG_VERSION").is_file()
    second = cluster.start()
    assert second.pid == first.pid
    assert "running" in second.describe()


async def test_create_database_adds_postgis_and_pgrouting(cluster: LocalCluster) -> None:
    cluster.start()
    assert await cluster.create_database("demo_db") is True
    assert await cluster.create_database("demo_db") is False
    conn = await asyncpg.connect(host="127.0.0.1", port=cluster.port, user="postgres", database="demo_db")
    try:
        extensions = {r["extname"] for r in await conn.fetch("SELECT extname FROM pg_extension")}
        point = await conn.fetchval("SELECT ST_AsText(ST_MakePoint(140.7, 40.8))")
    finally:
        await conn.close()
    assert {"postgis", "pgrouting"} <= extensions
    assert point == "POINT(140.7 40.8)"


async def test_data_survives_a_restart(cluster: LocalCluster) -> None:
    cluster.start()
    await cluster.create_database("survivor")
    conn = await asyncpg.connect(host="127.0.0.1", port=cluster.port, user="postgres", database="survivor")
    await conn.execute("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')")
    await conn.close()
    assert cluster.stop() is True
    assert cluster.stop() is False  # stopping a stopped cluster says so, and does not fail
    assert not cluster.status().running
    cluster.start()
    conn = await asyncpg.connect(host="127.0.0.1", port=cluster.port, user="postgres", database="survivor")
    try:
        assert await conn.fetchval("SELECT v FROM kept") == "still here"
    finally:
        await conn.close()


def test_a_stale_pid_file_of_a_dead_process_is_cleared(cluster: LocalCluster) -> None:
    cluster.start()
    cluster.stop()
    pid_file = cluster.data_dir / "postmaster.pid"
    dead = subprocess.Popen(["true"])
    dead.wait()
    pid_file.write_text(f"{dead.pid}\n{cluster.data_dir}\n")
    assert not cluster.status().running
    assert cluster.start().running


def test_a_stale_pid_file_naming_another_live_process_is_cleared(cluster: LocalCluster) -> None:
    # After a crash the old pid may belong to an unrelated process by the time we start again.
    cluster.start()
    cluster.stop()
    with subprocess.Popen(["sleep", "30"]) as stranger:
        try:
            (cluster.data_dir / "postmaster.pid").write_text(f"{stranger.pid}\n{cluster.data_dir}\n")
            assert not cluster.status().running
            status = cluster.start()
            assert status.running and status.pid != stranger.pid
        finally:
            stranger.kill()


def test_a_port_taken_by_another_program_moves_the_cluster(tmp_path: Path) -> None:
    home = private_tmp("bosai-port-")
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        cluster = LocalCluster(home, taken, server_options=("fsync=off",))
        try:
            status = cluster.start()
            assert status.running
            assert status.port != taken
            assert json.loads(cluster.state_file.read_text()) == {"port": status.port}
            assert f":{status.port}/" in cluster.url("bosai")
        finally:
            cluster.stop()
            shutil.rmtree(home, ignore_errors=True)


def test_missing_postgresql_names_the_package(tmp_path: Path) -> None:
    cluster = LocalCluster(tmp_path, 54500, bin_dir=tmp_path / "no-such-bin")
    with pytest.raises(MissingSoftwareError, match=r"apt-get install -y postgresql-15 postgresql-15-postgis-3"):
        cluster.start()
    assert not (tmp_path / "pgdata").exists()


def test_missing_postgis_names_the_package(tmp_path: Path) -> None:
    # A PostgreSQL whose share directory has no extensions: as after installing only postgresql-15.
    real = LocalCluster(tmp_path, 54500).bin_dir
    fake_bin = tmp_path / "15" / "bin"
    fake_bin.mkdir(parents=True)
    (tmp_path / "share" / "extension").mkdir(parents=True)
    for program in ("initdb", "pg_ctl"):
        (fake_bin / program).symlink_to(real / program)
    pg_config = fake_bin / "pg_config"
    pg_config.write_text(f"#!/bin/sh\necho {tmp_path / 'share'}\n")
    pg_config.chmod(0o755)
    cluster = LocalCluster(tmp_path / "home", 54500, bin_dir=fake_bin)
    with pytest.raises(MissingSoftwareError) as caught:
        cluster.start()
    message = str(caught.value)
    assert "postgis, pgrouting" in message
    assert "apt-get install -y postgresql-15-postgis-3 postgresql-15-pgrouting" in message


@pytest.mark.skipif(os.geteuid() != 0, reason="as a normal user the whole suite already runs without runuser")
def test_a_folder_closed_to_postgres_is_explained_when_running_as_root(tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    with pytest.raises(ClusterError, match="postgres user cannot reach"):
        LocalCluster(closed / ".bosai", 54500).init()


@pytest.mark.skipif(os.geteuid() != 0, reason="as a normal user the whole suite already runs without runuser")
def test_works_as_a_normal_user_too() -> None:
    # Run the manager as the unprivileged postgres user (Debian's python3: the venv's interpreter
    # lives under /root, which other users cannot enter), so commands run without runuser.
    home = private_tmp("bosai-user-")
    shutil.chown(home, "postgres")
    site = Path(asyncpg.__file__).parents[1]
    script = textwrap.dedent(
        f"""
        import asyncio, os
        from pathlib import Path
        from server.db.cluster import LocalCluster
        assert os.geteuid() != 0
        c = LocalCluster(Path({str(home)!r}) / ".bosai", 54600, server_options=("fsync=off",))
        print(c.start().running, asyncio.run(c.create_database("bosai")), c.stop(), c.status().running)
        """
    )
    try:
        result = subprocess.run(
            [shutil.which("runuser") or "runuser", "-u", "postgres", "--", "/usr/bin/python3", "-c", script],
            env={"PYTHONPATH": f"{PROJECT}:{site}", "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "False"]
