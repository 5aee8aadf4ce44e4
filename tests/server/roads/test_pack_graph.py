"""The walkable graph an offline pack carries: served beside the archive with its digest, it holds
the server's routing graph — a shortest path on it (networkx, with and without a hazard's edges)
has the length of the server's route within 1 %."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.app import create_app
from server.cli import FIXTURES
from server.demo import load_demo
from server.packs.worker import build_packs
from server.roads.graph import FORMAT, STEPS_FLAG, decode_edges
from server.roads.service import import_roads
from server.settings import PackSettings, Settings

CITY = "029998"
Client = AsyncTestClient[Litestar]


@pytest.fixture
def pack_settings(settings: Settings, tmp_path: Path) -> Settings:
    return replace(settings, packs=PackSettings(folder=tmp_path / "packs", keep=2, interval_s=1))


@pytest.fixture
async def city(engine: AsyncEngine, pack_settings: Settings) -> AsyncIterator[Client]:
    await load_demo(engine, FIXTURES)
    await import_roads(engine, FIXTURES / "roads.osm", CITY)
    await build_packs(pack_settings, [CITY])
    async with AsyncTestClient(app=create_app(pack_settings)) as client:
        yield client


def nodes_of(document: dict[str, Any]) -> list[tuple[float, float]]:
    scale = document["scale"]
    points = []
    lon = lat = 0
    flat = document["nodes"]
    for i in range(0, len(flat), 2):
        lon, lat = lon + flat[i], lat + flat[i + 1]
        points.append((lon / scale, lat / scale))
    return points


def graph_of(document: dict[str, Any], hazard: str | None = None) -> nx.Graph:
    left_out = set(document["hazards"].get(hazard, [])[::2]) if hazard else set()
    graph = nx.Graph()
    for i, (source, target, metres, _, _) in enumerate(decode_edges(document)):
        if i not in left_out and (not graph.has_edge(source, target) or graph[source][target]["weight"] > metres):
            graph.add_edge(source, target, weight=metres)
    return graph


async def test_the_pack_carries_the_routing_graph_that_gives_the_servers_lengths(
    city: Client, engine: AsyncEngine
) -> None:
    manifest = (await city.get(f"/api/packs/{CITY}")).json()
    graph = manifest["graph"]
    assert graph["url"] == f"/packs/{CITY}/1.graph.json"
    response = await city.get(graph["url"])
    assert response.status_code == 200 and len(response.content) == graph["bytes"]
    assert hashlib.sha256(response.content).hexdigest() == graph["sha256"]
    assert response.headers["etag"] == f'"{graph["sha256"]}"'
    document = json.loads(response.content)
    async with engine.connect() as connection:
        edges = await connection.scalar(
            text(
                "SELECT count(*) FROM road_edge e JOIN municipality m ON m.id = e.municipality_id "
                "WHERE m.code = :code AND e.component = 0"
            ),
            {"code": CITY},
        )
    assert document["format"] == FORMAT and graph["edges"] == edges == len(document["edges"]) // 5
    assert len(document["shapes"]) == edges
    assert any(kind & STEPS_FLAG for _, _, _, kind, _ in decode_edges(document))
    assert {"flood", "tsunami"} <= set(document["hazards"])
    points = nodes_of(document)
    rng = random.Random(7)  # noqa: S311 - a fixed sample of pairs, not a secret
    for hazard in (None, "flood"):
        walk = graph_of(document, hazard)
        pairs = 0
        while pairs < 8:
            a, b = rng.sample(sorted(walk.nodes), 2)
            try:
                expected = nx.shortest_path_length(walk, a, b, weight="weight")
            except nx.NetworkXNoPath:
                continue
            (ax, ay), (bx, by) = points[a], points[b]
            query = {"from": f"{ay},{ax}", "to": f"{by},{bx}", **({"hazard": hazard} if hazard else {})}
            route = (await city.get("/api/routes", params=query)).json()["properties"]
            if hazard and not route["avoidsZone"]:
                continue  # an end inside a zone: the server walks in by the least exposed way
            assert route["lengthM"] == pytest.approx(expected, rel=0.01, abs=1.0), (hazard, a, b)
            pairs += 1


async def test_a_pack_of_a_town_without_roads_has_no_graph(engine: AsyncEngine, pack_settings: Settings) -> None:
    await load_demo(engine, FIXTURES)
    await build_packs(pack_settings, [CITY])
    async with AsyncTestClient(app=create_app(pack_settings)) as client:
        manifest = (await client.get(f"/api/packs/{CITY}")).json()
        assert manifest["graph"] is None
        missing = await client.get(f"/packs/{CITY}/1.graph.json")
        assert missing.status_code == 404
