"""Importing facility files into PostGIS: all or nothing, in place, withdrawn not deleted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from fixtures.make_imports import CODE6, TOWN
from geo.importers.base import Source
from server.app import create_app
from server.cli import main
from server.imports.service import FileSummary, import_file
from server.settings import Settings

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "import" / "facilities"
BROKEN = FIXTURES.parent / "broken"
GOOD = sorted(FIXTURES.iterdir())


async def load(engine: AsyncEngine, name: str, data: bytes | None = None, folder: Path = FIXTURES) -> FileSummary:
    return await import_file(engine, Source(name, data if data is not None else (folder / name).read_bytes()))


async def rows(engine: AsyncEngine, sql: str) -> list[tuple[object, ...]]:
    async with engine.connect() as connection:
        return [tuple(r) for r in await connection.execute(text(sql))]


async def test_every_good_fixture_imports_and_every_record_is_found_by_its_own_id(
    engine: AsyncEngine, settings: Settings
) -> None:
    for path in GOOD:
        summary = await load(engine, path.name)
        assert summary.ok, summary.errors
        assert summary.created + summary.updated == summary.read > 0
    async with AsyncTestClient(app=create_app(settings)) as client:
        for path in GOOD:
            if path.suffix == ".geojson":
                source = [
                    (f["properties"]["共通ID"], f["properties"]["施設・場所名"], f["geometry"]["coordinates"])
                    for f in json.loads(path.read_text())["features"]
                ]
            else:
                continue  # CSV records are checked through the parser tests and the counts below
            for source_id, name, coordinates in source:
                (feature,) = (await client.get(f"/api/facilities?sourceId={source_id}")).json()["features"]
                assert feature["properties"]["name"] == name
                assert feature["geometry"]["coordinates"] == pytest.approx(coordinates)
    (town,) = await rows(engine, "SELECT code, name, prefecture FROM municipality")
    assert town == (CODE6, TOWN, "青森県")


async def test_a_shelter_and_an_emergency_site_at_one_place_are_one_facility(engine: AsyncEngine) -> None:
    await load(engine, f"{CODE6}_designated_shelters.geojson")
    await load(engine, f"{CODE6}_emergency_sites.csv")
    both = await rows(
        engine,
        "SELECT name, cardinality(source_ids), suitable_hazards FROM facility "
        "WHERE kinds @> '{designated_shelter,emergency_site}' ORDER BY name",
    )
    # The four schools that are also emergency sites in fixtures/demo, and the hall of SHARED (the
    # other records sharing a serial are places of their own: tests/server/imports/test_identity.py).
    assert len(both) == 5
    assert all(n == 2 and hazards for _, n, hazards in both)
    places = await rows(engine, "SELECT count(*) FROM facility")
    assert places == [((24 + 5) + (28 + 3) - 5,)]


async def test_reimport_updates_in_place_and_absent_records_are_withdrawn_not_deleted(engine: AsyncEngine) -> None:
    name = "standard_08_aed_v1.csv"
    first = await load(engine, name)
    ids = await rows(engine, "SELECT id FROM facility ORDER BY id")
    lines = (FIXTURES / name).read_text().splitlines()
    newer = "\n".join(lines[:-2]).encode()  # a newer file without its last two AEDs
    second = await load(engine, name, newer)
    assert (second.created, second.updated, second.withdrawn) == (0, 10, 2)
    assert await rows(engine, "SELECT id FROM facility ORDER BY id") == ids  # nothing deleted
    assert await rows(engine, "SELECT count(*) FROM facility WHERE withdrawn_at IS NOT NULL") == [(2,)]
    assert first.created == 12
    third = await load(engine, name)  # the two come back
    assert (third.created, third.updated, third.withdrawn) == (0, 12, 0)
    assert await rows(engine, "SELECT count(*) FROM facility WHERE withdrawn_at IS NOT NULL") == [(0,)]


async def test_withdrawn_places_are_hidden_from_lists_but_found_by_source_id(
    engine: AsyncEngine, settings: Settings
) -> None:
    name = "standard_10_medical_v1.csv"
    await load(engine, name)
    await load(engine, name, "\n".join((FIXTURES / name).read_text().splitlines()[:-1]).encode())
    async with AsyncTestClient(app=create_app(settings)) as client:
        listed = (await client.get("/api/facilities?kind=medical")).json()
        (gone,) = (await client.get(f"/api/facilities?sourceId=std10:{CODE6}:12")).json()["features"]
    assert listed["numberReturned"] == 11
    assert gone["properties"]["withdrawn"] is True


async def test_a_file_with_one_bad_row_changes_nothing_and_is_recorded(engine: AsyncEngine) -> None:
    summary = await load(engine, "standard_03_v1_one_bad_row.csv", folder=BROKEN)
    assert not summary.ok and summary.rejected == summary.read == 12
    assert summary.errors[0]["line"] == 5 and summary.errors[0]["column"] == "緯度"
    assert await rows(engine, "SELECT count(*) FROM facility") == [(0,)]
    assert await rows(engine, "SELECT count(*) FROM municipality") == [(0,)]
    (run,) = await rows(
        engine, "SELECT status, counts->>'rejected', errors->0->>'line', finished_at IS NOT NULL FROM import_run"
    )
    assert run == ("failed", "12", "5", True)


async def test_import_runs_record_file_hash_counts_and_timing(engine: AsyncEngine) -> None:
    await load(engine, "standard_08_aed_v1.csv")
    (run,) = await rows(
        engine, "SELECT file_name, length(sha256), format, status, counts, finished_at >= started_at FROM import_run"
    )
    assert run[:4] == ("standard_08_aed_v1.csv", 64, "standard_aed", "succeeded")
    assert run[4] == {"read": 12, "created": 12, "updated": 0, "withdrawn": 0, "rejected": 0}
    assert run[5] is True


async def test_places_outside_their_municipality_boundary_are_flagged(engine: AsyncEngine) -> None:
    await rows(engine, "SELECT 1")  # the schema exists
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO municipality (id, code, name, prefecture, boundary) VALUES (gen_random_uuid(), '029980', "
                "'見本町', '青森県', ST_Multi(ST_MakeEnvelope(140.85, 40.76, 140.90, 40.85, 4326)))"
            )
        )
    summary = await load(engine, "standard_08_aed_v1.csv")
    assert summary.ok and summary.outside_boundary  # the eastern half of the town lies outside this box
    assert all(s.startswith(f"std08:{CODE6}:") for s in summary.outside_boundary)


def test_cli_imports_folders_and_zips_and_exits_1_when_a_file_failed(database_url: str, tmp_path: Path) -> None:
    import zipfile

    archive = tmp_path / "aed.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(FIXTURES / "standard_08_aed_v1.csv", "data/standard_08_aed_v1.csv")
    result = CliRunner().invoke(
        main, ["import", str(FIXTURES), str(BROKEN), str(archive)], env={"DATABASE_URL": database_url}
    )
    assert result.exit_code == 1, result.output
    assert "3 of 10 files failed" in result.output
    assert "line 5, column 緯度" in result.output
    assert "aed.zip:data/standard_08_aed_v1.csv" in result.output
    again = CliRunner().invoke(main, ["import", str(archive)], env={"DATABASE_URL": database_url})
    assert again.exit_code == 0, again.output
    assert "standard_aed" in again.output and "      12        0       12" in again.output.replace("\n", " ")
