"""The nearest list with walking distances (``walking=true``): the places ordered by the walk
along the roads, which differs from the straight line where a river lies between (the town of
test_routes.py: A is 200 m away across the river but 800 m on foot; B 335 m and 450 m)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.server.roads.test_routes import ll, setup

Client = AsyncTestClient[Litestar]


async def test_walking_distances_reorder_the_nearest_list(client: Client, engine: AsyncEngine, tmp_path: Path) -> None:
    await setup(engine, tmp_path)
    lat, lon = ll(1, 0).split(",")
    plain = (await client.get("/api/facilities/nearest", params={"lat": lat, "lon": lon})).json()
    assert [f["properties"]["name"] for f in plain["features"]] == ["A小学校", "B小学校"]
    assert all(f["properties"]["walkingDistanceM"] is None for f in plain["features"])
    response = await client.get("/api/facilities/nearest", params={"lat": lat, "lon": lon, "walking": "true"})
    assert response.status_code == 200, response.text
    walked = response.json()["features"]
    assert [f["properties"]["name"] for f in walked] == ["B小学校", "A小学校"]
    b, a = (f["properties"] for f in walked)
    assert b["walkingDistanceM"] == pytest.approx(450, rel=0.01)
    assert a["walkingDistanceM"] == pytest.approx(800, rel=0.01)
    assert a["distanceM"] < b["distanceM"]  # the straight line says otherwise
    assert b["walkingRouteMinutes"] == math.ceil(b["walkingDistanceM"] / 60)
    # Route and list agree on the walk.
    route = (await client.get("/api/routes", params={"from": ll(1, 0), "to": ll(1, 2)})).json()
    assert route["properties"]["lengthM"] == pytest.approx(a["walkingDistanceM"], rel=0.01)


async def test_without_roads_the_walking_distance_is_unknown_not_an_error(client: Client) -> None:
    response = await client.get("/api/facilities/nearest", params={"lat": "35.0", "lon": "135.0", "walking": "1"})
    assert response.status_code == 200
    bad = await client.get("/api/facilities/nearest", params={"lat": "35.0", "lon": "135.0", "walking": "maybe"})
    assert bad.status_code == 400 and "walking" in bad.json()["detail"]
