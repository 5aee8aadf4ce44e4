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
from server.cli import FIXTURES
from server.demo import load_demo
from tests.generated import assert_matches_generator


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
    assert all(kinds[kind] >= 12 for kind in FACILITY_KINDS), kinds
    assert {h for h, _ in zones} >= {"flood", "landslide", "tsunami", "storm_surge", "inland_flood"}
    assert {r for h, r in zones if h == "flood"} == {"1", "2", "3"}
    (town,) = features("municipality.geojson")
    assert tuple(bbox) == shape(town["geometry"]).bounds
    assert flooded > 0  # some places lie in a flood zone: what "nearest suitable shelter" must handle
