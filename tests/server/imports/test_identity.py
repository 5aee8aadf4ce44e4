"""Every source record keeps its own name, point and designation; records sharing a 共通ID serial
are one place only when geo.identity says so (fixtures.make_imports.SHARED)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from fixtures.make_imports import CODE6, SHARED, gsi_id, shared_point
from geo.importers.base import Source
from server.app import create_app
from server.imports.service import FileSummary, import_file
from server.settings import Settings
from tests.server.map.test_tiles import tile_of

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "import" / "facilities"
SHELTERS = f"{CODE6}_designated_shelters.geojson"
SITES = f"{CODE6}_emergency_sites.csv"


async def load(engine: AsyncEngine, name: str, data: bytes | None = None) -> FileSummary:
    summary = await import_file(engine, Source(name, data if data is not None else (FIXTURES / name).read_bytes()))
    assert summary.ok, summary.errors
    return summary


async def rows(engine: AsyncEngine, sql: str) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        return [tuple(r) for r in await connection.execute(text(sql))]


async def places(engine: AsyncEngine) -> dict[str, str]:
    """Source id → facility id."""
    return {s: str(f) for s, f in await rows(engine, "SELECT source_id, facility_id FROM facility_record")}


def every_record() -> list[tuple[str, str, list[float], str]]:
    """(共通ID, name, [lon, lat], designation) of every record of both GSI files."""
    shelters = json.loads((FIXTURES / SHELTERS).read_text())["features"]
    records = [
        (f["properties"]["共通ID"], f["properties"]["施設・場所名"], f["geometry"]["coordinates"], "designated_shelter")
        for f in shelters
    ]
    text_ = (FIXTURES / SITES).read_bytes().decode("utf-8-sig")
    for row in csv.DictReader(io.StringIO(text_)):
        records.append((row["共通ID"], row["施設・場所名"], [float(row["経度"]), float(row["緯度"])], "emergency_site"))
    return records


@pytest.mark.parametrize("order", [(SHELTERS, SITES), (SITES, SHELTERS)])
async def test_each_record_is_found_by_its_id_with_its_own_name_point_and_designation(
    engine: AsyncEngine, settings: Settings, order: tuple[str, str]
) -> None:
    for name in order:
        await load(engine, name)
    async with AsyncTestClient(app=create_app(settings)) as client:
        for source_id, name, coordinates, kind in every_record():
            answer = (await client.get("/api/facilities", params={"sourceId": source_id})).json()
            (feature,) = answer["features"]
            assert feature["properties"]["name"] == name, source_id
            assert feature["geometry"]["coordinates"] == pytest.approx(coordinates), source_id
            assert kind in feature["properties"]["kinds"], source_id
            assert source_id in feature["properties"]["sourceIds"]
    found = await places(engine)
    # Two places: a hall and the softball ground 200 m away, one serial, one address, 住所同一.
    assert found[gsi_id(301, 1, 1)] != found[gsi_id(301, 2, 0)]
    # One place: the same name (other widths and spaces) and address, 10 m apart.
    assert found[gsi_id(302, 1, 1)] == found[gsi_id(302, 2, 0)]
    # A school and its ground: two places.
    assert found[gsi_id(303, 1, 1)] != found[gsi_id(303, 2, 0)]
    # A nursing home and the day-service centre at one address: two welfare shelters.
    assert found[gsi_id(304, 1, 2, 1)] != found[gsi_id(304, 1, 2, 2)]
    shelters, sites = 24 + 5, 28 + 3
    merged = 4 + 1  # the four schools that are emergency sites too (fixtures/demo), and the hall
    assert await rows(engine, "SELECT count(*) FROM facility") == [(shelters + sites - merged,)]


async def test_the_designations_of_a_place_each_keep_their_own_name(engine: AsyncEngine, settings: Settings) -> None:
    await load(engine, SHELTERS)
    await load(engine, SITES)
    facility = (await places(engine))[gsi_id(302, 1, 1)]
    async with AsyncTestClient(app=create_app(settings)) as client:
        detail = (await client.get(f"/api/facilities/{facility}")).json()
        (site,) = (await client.get("/api/facilities", params={"sourceId": gsi_id(302, 2, 0)})).json()["features"]
    properties = detail["properties"]
    assert properties["kinds"] == ["designated_shelter", "emergency_site"]
    assert properties["names"] == ["見本町 第2公民館", "見本町第２公民館"]
    assert [(d["sourceId"], d["name"], d["kinds"]) for d in properties["designations"]] == [
        (gsi_id(302, 1, 1), "見本町 第2公民館", ["designated_shelter"]),
        (gsi_id(302, 2, 0), "見本町第２公民館", ["emergency_site"]),
    ]
    shelter_point, site_point = (d["geometry"]["coordinates"] for d in properties["designations"])
    assert shelter_point == pytest.approx(list(shared_point(400)))
    assert detail["geometry"]["coordinates"] == shelter_point
    assert site_point == pytest.approx(list(shared_point(410)))
    # Looked up by its own id, the site is the same place, described by its own record.
    assert site["id"] == facility
    assert site["geometry"]["coordinates"] == pytest.approx(site_point)
    assert site["properties"]["kinds"] == ["emergency_site"] and site["properties"]["suitableHazards"]


async def test_welfare_shelters_keep_their_target_groups(engine: AsyncEngine, settings: Settings) -> None:
    await load(engine, SHELTERS)
    expected = {
        gsi_id(304, 1, 2, 1): ("特別養護老人ホーム　見本荘", ["elderly"], []),
        gsi_id(304, 1, 2, 2): ("見本荘デイサービスセンター", ["disability_physical", "disability_intellectual"], []),
        gsi_id(220, 1, 2): ("桜台福祉センター", ["elderly"], ["外国人"]),  # 「高齢者、外国人」
        gsi_id(216, 1, 2): ("南福祉センター", ["elderly", *DISABILITIES, "pregnant"], []),
    }
    async with AsyncTestClient(app=create_app(settings)) as client:
        for source_id, (name, groups, other) in expected.items():
            (feature,) = (await client.get("/api/facilities", params={"sourceId": source_id})).json()["features"]
            assert feature["properties"]["name"] == name
            assert feature["properties"]["kinds"] == ["designated_shelter", "welfare_shelter"]
            assert feature["properties"]["targetGroups"] == groups
            detail = (await client.get(f"/api/facilities/{feature['id']}")).json()["properties"]
            (designation,) = detail["designations"]
            assert (designation["targetGroups"], designation["targetOther"]) == (groups, other)
            assert detail["targetGroups"] == groups
        nearest = (await client.get("/api/facilities/nearest?lat=40.8072&lon=140.915&limit=2")).json()
    # The nearest answer carries who each welfare shelter takes in, for a household to match.
    assert [f["properties"]["targetGroups"] for f in nearest["features"]] == [
        ["elderly"],
        ["disability_physical", "disability_intellectual"],
    ]


DISABILITIES = [
    "disability_physical",
    "disability_visual",
    "disability_hearing",
    "disability_internal",
    "disability_intellectual",
    "disability_mental",
    "disability_developmental",
]


async def test_reimporting_the_same_files_changes_nothing(engine: AsyncEngine) -> None:
    state = "SELECT f.id, f.source_ids, f.names, f.kinds FROM facility f ORDER BY f.id"
    for name in (SHELTERS, SITES):
        await load(engine, name)
    before, ids = await rows(engine, state), await places(engine)
    for name in (SITES, SHELTERS, SHELTERS):
        again = await load(engine, name)
        assert again.created == again.withdrawn == 0 and again.updated == again.read
    assert await rows(engine, state) == before
    assert await places(engine) == ids


async def test_a_record_that_moves_away_becomes_a_place_of_its_own(engine: AsyncEngine) -> None:
    await load(engine, SHELTERS)
    await load(engine, SITES)
    before = await places(engine)
    hall = before[gsi_id(302, 1, 1)]
    lines = (FIXTURES / SITES).read_bytes().decode("utf-8-sig").splitlines()
    _, moved_lat = shared_point(610)
    newer = [
        line.replace(str(shared_point(410)[1]), str(moved_lat)) if gsi_id(302, 2, 0) in line else line for line in lines
    ]
    assert newer != lines
    await load(engine, SITES, "\r\n".join(newer).encode())
    after = await places(engine)
    assert after[gsi_id(302, 1, 1)] == hall  # the shelter keeps the place (its operations, its staff)
    assert after[gsi_id(302, 2, 0)] != hall
    names = await rows(engine, "SELECT id::text, names, kinds FROM facility")
    assert (hall, ["見本町 第2公民館"], ["designated_shelter"]) in names
    # Back where it was: one place again, in the hall's facility.
    await load(engine, SITES)
    assert (await places(engine))[gsi_id(302, 2, 0)] == hall


async def test_tiles_and_packs_carry_every_name_of_a_place(engine: AsyncEngine, settings: Settings) -> None:
    from server.packs.service import _facilities

    await load(engine, SHELTERS)
    await load(engine, SITES)
    lon, lat = shared_point(405)
    z, x, y = tile_of(lat, lon, 15)
    async with AsyncTestClient(app=create_app(settings)) as client:
        layers = mapbox_vector_tile.decode((await client.get(f"/tiles/{z}/{x}/{y}.mvt")).content)
    names = {f["properties"]["name"]: f["properties"]["names"] for f in layers["facilities"]["features"]}
    assert names["見本町 第2公民館"] == "見本町 第2公民館\n見本町第２公民館"
    assert names["北部ソフトボール場"] == "北部ソフトボール場"  # a place of its own, at its own point
    (town,) = await rows(engine, "SELECT id FROM municipality")
    pack = json.loads(await _facilities(engine, town[0]))
    (hall,) = [f for f in pack["features"] if "見本町第２公民館" in f["properties"]["names"]]
    assert [d["sourceId"] for d in hall["properties"]["designations"]] == [gsi_id(302, 1, 1), gsi_id(302, 2, 0)]
    (home,) = [f for f in pack["features"] if f["properties"]["name"] == "特別養護老人ホーム　見本荘"]
    assert home["properties"]["targetGroups"] == ["elderly"]


def test_the_fixture_cases_are_in_the_files() -> None:
    ids = {source_id for source_id, *_ in every_record()}
    assert {source_id for source_id, *_ in SHARED} <= ids
