"""The demo municipality is complete and consistent (it is what a newcomer sees first)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from shapely.geometry import shape
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from geo.codes import is_valid
from geo.kinds import FACILITY_KINDS
from server.cli import FIXTURES, IMPORT_FIXTURES
from server.demo import import_demo_files, load_demo
from tests.generated import assert_matches_generator

LIST_ONLY_KINDS = ("care_facility", "public_facility")


def features(name: str) -> list[dict[str, object]]:
    data: list[dict[str, object]] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))["features"]
    return data


def test_the_fixtures_are_up_to_date_with_their_generator(tmp_path: Path) -> None:
    import fixtures.make_demo

    assert_matches_generator(fixtures.make_demo, FIXTURES, tmp_path)


def test_demo_code_is_valid_and_facilities_lie_inside_the_boundary() -> None:
    (town,) = features("municipality.geojson")
    props = town["properties"]
    assert isinstance(props, dict) and is_valid(props["code"])
    boundary = shape(town["geometry"])
    facilities = features("facilities.geojson")
    assert all(boundary.contains(shape(f["geometry"])) for f in facilities)


async def test_loaded_demo_has_a_dozen_of_each_kind_and_several_hazard_types(engine: AsyncEngine) -> None:
    summary = await load_demo(engine, FIXTURES)
    assert "見本市 (029998)" in summary
    async with engine.connect() as connection:
        kinds = Counter(
            kind for (kinds_,) in await connection.execute(text("SELECT kinds FROM facility")) for kind in kinds_
        )
        zones = set(await connection.execute(text("SELECT hazard_type, rank_code FROM hazard_zone")))
        bbox = (
            await connection.execute(
                text("SELECT ST_XMin(bbox), ST_YMin(bbox), ST_XMax(bbox), ST_YMax(bbox) FROM municipality")
            )
        ).one()
        flooded = await connection.scalar(
            text(
                "SELECT count(*) FROM facility f JOIN hazard_zone h "
                "ON h.hazard_type = 'flood' AND ST_Intersects(h.geom, f.geom)"
            )
        )
    # Every kind national files and Bosai's own can say; the kinds only a municipality's own lists
    # have come with the town (test below).
    assert all(kinds[kind] >= 12 for kind in FACILITY_KINDS if kind not in LIST_ONLY_KINDS), kinds
    assert {h for h, _ in zones} >= {"flood", "landslide", "tsunami", "storm_surge", "inland_flood"}
    assert {r for h, r in zones if h == "flood"} == {"1", "2", "3"}
    (town,) = features("municipality.geojson")
    assert tuple(bbox) == shape(town["geometry"]).bounds
    assert flooded > 0  # some places lie in a flood zone: what "nearest suitable shelter" must handle


async def _rows(engine: AsyncEngine, sql: str) -> list[tuple[object, ...]]:
    async with engine.connect() as connection:
        return [tuple(r) for r in await connection.execute(text(sql))]


# What an imported file leaves, per municipality: each place's source ids are those of its records,
# each record and zone comes from a succeeded import run, and a boundary's import is recorded too.
_AS_IMPORTED = """
    SELECT m.code,
           (SELECT count(*) FROM facility f WHERE f.municipality_id = m.id),
           (SELECT count(*) FROM facility_record r JOIN facility f ON f.id = r.facility_id
            WHERE f.municipality_id = m.id),
           (SELECT count(*) FROM facility f WHERE f.municipality_id = m.id AND f.source_ids IS DISTINCT FROM
               (SELECT array_agg(r.source_id ORDER BY r.created_at) FROM facility_record r WHERE r.facility_id = f.id)),
           (SELECT count(*) FROM facility_record r JOIN facility f ON f.id = r.facility_id
            LEFT JOIN import_run i ON i.id = r.import_run_id
            WHERE f.municipality_id = m.id AND i.status IS DISTINCT FROM 'succeeded'),
           (SELECT count(*) FROM hazard_zone z LEFT JOIN import_run i ON i.id = z.import_run_id
            WHERE z.municipality_id = m.id AND i.status IS DISTINCT FROM 'succeeded')
    FROM municipality m ORDER BY m.code
"""


async def test_the_demo_city_has_its_source_records_as_an_imported_town_does(engine: AsyncEngine) -> None:
    await load_demo(engine, FIXTURES)
    summaries = await import_demo_files(engine, IMPORT_FIXTURES)
    assert all(s.ok for s in summaries)
    town_kinds = await _rows(
        engine,
        "SELECT DISTINCT unnest(f.kinds) FROM facility f JOIN municipality m ON m.id = f.municipality_id "
        "WHERE m.code = '029980'",
    )
    assert {k for (k,) in town_kinds} >= set(LIST_ONLY_KINDS)
    assert await _rows(engine, "SELECT DISTINCT hazard_type FROM hazard_zone WHERE hazard_type = 'flood_history'")
    town, city = await _rows(engine, _AS_IMPORTED)
    assert town[0] == "029980" and town[1] and town[3:] == (0, 0, 0)
    assert city == ("029998", 84, 84, 0, 0, 0)
    records = await _rows(
        engine, "SELECT r.source_id, r.dataset, f.name FROM facility_record r JOIN facility f ON f.id = r.facility_id"
    )
    demo = {(f["properties"]["sourceId"], f["properties"]["name"]) for f in features("facilities.geojson")}  # type: ignore[index]
    assert {(source_id, name) for source_id, dataset, name in records if dataset == "bosai:029998"} == demo
    runs = await _rows(
        engine, "SELECT file_name, format, status FROM import_run WHERE file_name LIKE '%fixtures/demo/%'"
    )
    assert sorted((Path(str(f)).name, fmt, s) for f, fmt, s in runs) == [
        ("facilities.geojson", "bosai_facilities", "succeeded"),
        ("hazards.geojson", "bosai_hazards", "succeeded"),
        ("municipality.geojson", "bosai_boundary", "succeeded"),
    ]


async def test_loading_the_demo_twice_changes_nothing_but_the_import_runs(engine: AsyncEngine) -> None:
    state = """SELECT (SELECT array_agg(id ORDER BY id) FROM facility), (SELECT count(*) FROM facility_record),
                      (SELECT count(*) FROM hazard_zone), (SELECT count(*) FROM municipality)"""
    first = await load_demo(engine, FIXTURES)
    before = await _rows(engine, state)
    second = await load_demo(engine, FIXTURES)
    assert "84 facilities (84 created, 0 updated)" in first and "(0 created, 84 updated)" in second
    assert await _rows(engine, state) == before
