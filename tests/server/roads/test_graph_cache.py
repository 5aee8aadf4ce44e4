"""Routes use each municipality's graph held in memory (server/roads/graph_cache.py): never a
stale one after a zone is drawn or removed or the roads are re-imported, one load for requests
that ask at once, and no more graphs than the memory bound allows (the town of test_routes.py)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.fast import create_pool
from server.roads import graph_cache
from server.roads.graph_cache import GraphCache
from server.roads.service import import_roads
from server.settings import DatabaseSettings
from tests.server.roads.osm import Osm, at
from tests.server.roads.test_routes import CODE, add_zone, get_route, ll, setup, town_file

Client = AsyncTestClient[Litestar]


async def stamp(engine: AsyncEngine) -> uuid.UUID:
    async with engine.connect() as connection:
        value = await connection.scalar(text("SELECT stamp FROM road_graph_version"))
    assert isinstance(value, uuid.UUID)
    return value


async def test_a_zone_or_a_reimport_after_a_route_renews_the_graph(
    client: Client, engine: AsyncEngine, tmp_path: Path
) -> None:
    town = await setup(engine, tmp_path)
    along = {"from": ll(0, 0), "to": ll(6, 0), "hazard": "flood"}
    assert (await get_route(client, **along))["properties"]["lengthM"] == pytest.approx(600, rel=0.01)
    to_a = await get_route(client, **{"from": ll(1, 0), "to": town["A"]})
    assert to_a["properties"]["lengthM"] == pytest.approx(800, rel=0.01)
    before = await stamp(engine)

    # A flood zone drawn across the street the cached graph knows as open.
    await add_zone(engine, "flood", (2.5, -0.5), (3.5, 0.5))
    assert await stamp(engine) != before
    detour = await get_route(client, **along)
    assert detour["properties"]["lengthM"] == pytest.approx(1400, rel=0.01) and detour["properties"]["avoidsZone"]

    # Removed again: the street is open again.
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM hazard_zone"))
    assert (await get_route(client, **along))["properties"]["lengthM"] == pytest.approx(600, rel=0.01)

    # Re-imported with a footbridge over the river to A: 200 m instead of 800 m, for the route and
    # for the nearest list's walking distance.
    path = town_file(tmp_path, bridge=True)
    await import_roads(engine, path, CODE)
    to_a = await get_route(client, **{"from": ll(1, 0), "to": town["A"]})
    assert to_a["properties"]["lengthM"] == pytest.approx(200, rel=0.01)
    lat, lon = ll(1, 0).split(",")
    nearest = await client.get("/api/facilities/nearest", params={"lat": lat, "lon": lon, "walking": "true"})
    walked = {f["properties"]["name"]: f["properties"]["walkingDistanceM"] for f in nearest.json()["features"]}
    assert walked["A小学校"] == pytest.approx(200, rel=0.01)


async def test_requests_at_once_share_one_load_and_the_cache_keeps_to_its_bound(
    engine: AsyncEngine, database_settings: DatabaseSettings, tmp_path: Path
) -> None:
    await setup(engine, tmp_path)
    apart = Osm()
    apart.way([(20, 20), (21, 20)], highway="residential")
    west, south = at(19, 19)
    east, north = at(22, 22)
    await import_roads(engine, apart.write(tmp_path / "apart.osm"), None, (west, south, east, north))
    async with engine.connect() as connection:
        municipality = await connection.scalar(text("SELECT id FROM municipality WHERE code = :c"), {"c": CODE})
        edges = await connection.scalar(
            text("SELECT count(*) FROM road_edge WHERE municipality_id = :m AND component = 0"), {"m": municipality}
        )
    current = await stamp(engine)
    pool = await create_pool(database_settings)
    try:
        cache = GraphCache()
        graphs = await asyncio.gather(*(cache.get(pool, municipality, current) for _ in range(5)))
        assert cache.loads == 1 and all(g is graphs[0] for g in graphs)
        town = graphs[0]
        assert town.stamp == current and len(town.edge_ids) == edges and town.nbytes > 0
        assert await cache.get(pool, municipality, current) is town and cache.loads == 1
        # Room for one graph only: the roads of no municipality push the town's out.
        small = GraphCache(max_bytes=town.nbytes)
        await small.get(pool, municipality, current)
        other = await small.get(pool, None, current)
        assert len(small) == 1 and len(other.edge_ids) == 1
        assert await small.get(pool, municipality, current) is not town and small.loads == 3
        # Asked for a version that is gone: the current graph comes back, with its own stamp.
        old = await cache.get(pool, municipality, uuid.uuid4())
        assert old.stamp == current
    finally:
        await pool.close()


def test_the_process_cache_is_bounded() -> None:
    assert graph_cache.CACHE.max_bytes == graph_cache.CACHE_BYTES
