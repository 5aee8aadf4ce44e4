"""GET /api/hazards/at (against shapely point-in-polygon) and GET /api/municipalities."""

from __future__ import annotations

from collections import Counter

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from shapely.geometry import Point
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.server.map.conftest import add_zone, features, ring_wkt, zones

Client = AsyncTestClient[Litestar]

POINTS = [
    (40.80, 140.76),  # in the river's flood bands
    (40.79, 140.745),
    (40.838, 140.75),  # on the coast: tsunami and storm surge
    (40.776, 140.786),  # in the hills: landslide zones
    (40.815, 140.735),  # the inland-flood pond
    (40.775, 140.815),  # nothing mapped
]


@pytest.mark.parametrize(("lat", "lon"), POINTS)
async def test_hazards_at_a_point_match_point_in_polygon(demo: Client, lat: float, lon: float) -> None:
    body = (await demo.get(f"/api/hazards/at?lat={lat}&lon={lon}")).json()
    got = Counter((z["hazardType"], z["rankCode"], z["depthMinM"], z["depthMaxM"]) for z in body["zones"])
    here = Point(lon, lat)
    want = Counter(
        (p["hazardType"], p["rankCode"], p["depthMinM"], p["depthMaxM"]) for p, g in zones() if g.intersects(here)
    )
    assert got == want
    assert all(z["source"] == "bosai-demo" and z["municipality"] == "029998" for z in body["zones"])
    assert (body["note"] is None) == bool(want)


async def test_no_hazard_is_said_in_a_note(demo: Client) -> None:
    body = (await demo.get("/api/hazards/at?lat=35.0&lon=135.0")).json()
    assert body["zones"] == []
    assert "does not mean the place is safe" in body["note"]


async def test_a_huge_polygon_is_subdivided_and_still_answers(demo: Client, engine: AsyncEngine) -> None:
    await add_zone(engine, "volcano", ring_wkt(2000))
    async with engine.connect() as connection:
        parts, biggest = (
            await connection.execute(
                text("SELECT count(*), max(ST_NPoints(geom)) FROM hazard_zone_part WHERE hazard_type = 'volcano'")
            )
        ).one()
    assert parts > 1 and biggest <= 256
    body = (await demo.get("/api/hazards/at?lat=40.80&lon=140.76")).json()
    assert "volcano" in {z["hazardType"] for z in body["zones"]}


@pytest.mark.parametrize("query", ["lat=40&lon=200", "lat=-91&lon=0", "lon=140", "lat=40&lon=east"])
async def test_hazards_at_rejects_bad_coordinates(demo: Client, query: str) -> None:
    response = await demo.get(f"/api/hazards/at?{query}")
    assert response.status_code == 400
    assert response.json()["invalidParams"][0]["name"] in {"lat", "lon"}


async def test_municipalities_list_codes_extent_and_counts(demo: Client) -> None:
    (town,) = (await demo.get("/api/municipalities")).json()["municipalities"]
    assert (town["code"], town["name"], town["nameKana"], town["prefecture"]) == (
        "029998",
        "見本市",
        "みほんし",
        "青森県",
    )
    expected = Counter(k for f in features("facilities.geojson") for k in f["properties"]["kinds"])
    assert town["facilityCounts"] == dict(expected)
    west, south, east, north = town["bbox"]
    assert west < 140.76 < east and south < 40.80 < north
    assert town["pack"] is None
