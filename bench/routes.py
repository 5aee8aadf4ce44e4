"""Walking routes on a city-sized graph (issue 19, item 8): a generated street grid of about
10 × 10 km (a ~35 m mesh of named streets with bends, footways and steps: some 170,000 edges),
imported through `import_roads` like a real extract, one flood zone across it, and its offline
pack built with the walkable graph.

Measured: the roads' import time; the time to load the city's graph into the server's memory
(the first route after a re-import or a zone change pays it) and what it takes there;
`GET /api/routes` requests per second against the same app's
`/healthz` in the same run, both at 4 connections (target ≥ 0.05×, p99 reported), for a plain
3 km route and one that must cross the flood band (no route avoids it: the least exposed); the
pack's size with its graph (target ≤ 20 MB).
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from itertools import pairwise
from pathlib import Path

import osmium
from shapely.geometry import box
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from server.db.fast import create_pool
from server.db.migrate import upgrade
from server.packs.service import build, pack_path
from server.roads.graph_cache import MATRICES, Weights, load
from server.roads.service import import_roads
from server.settings import PackSettings, Settings

RESULTS = Path(__file__).resolve().parent / "results"
CODE = "029963"  # made up (a valid check digit; not the packs bench's 029971)
WEST, SOUTH = 140.66, 40.76
STEP_LON, STEP_LAT = 0.00042, 0.00032  # about 35 m at 40.8° N
COLUMNS, ROWS = 290, 290
TARGET_RATIO = 0.05
TARGET_MB = 20.0
CONNECTIONS = 4


@dataclass(frozen=True)
class City:
    osm_bytes: int
    ways: int
    edges: int
    nodes: int
    import_seconds: float
    pack_mb: float
    archive_mb: float
    graph_mb: float
    graph_edges: int
    pack_seconds: float
    memory_load_seconds: float
    memory_mb: float
    memory_mb_with_matrices: float
    routes: dict[str, str]


def _at(col: float, row: float, rng: random.Random) -> tuple[float, float]:
    return WEST + col * STEP_LON + rng.uniform(-4e-5, 4e-5), SOUTH + row * STEP_LAT + rng.uniform(-3e-5, 3e-5)


def write_city(path: Path) -> int:
    """The street grid as an .osm.pbf; returns how many ways."""
    rng = random.Random(19)
    ids = {(c, r): 1 + r * COLUMNS + c for r in range(ROWS) for c in range(COLUMNS)}
    points = {key: _at(*key, rng) for key in ids}
    next_node = len(ids) + 1
    ways = 0
    with osmium.SimpleWriter(str(path)) as writer:
        for key, node in ids.items():
            writer.add_node(osmium.osm.mutable.Node(id=node, location=points[key]))

        def add_way(refs: list[int], tags: dict[str, str]) -> None:
            nonlocal ways
            ways += 1
            writer.add_way(osmium.osm.mutable.Way(id=ways, nodes=refs, tags=tags))

        def street(line: list[tuple[int, int]], tags: dict[str, str], bend: bool) -> None:
            nonlocal next_node
            refs: list[int] = []
            for a, b in pairwise(line):
                refs.append(ids[a])
                if bend:  # a shape point between junctions, off the straight line
                    (ax, ay), (bx, by) = points[a], points[b]
                    writer.add_node(
                        osmium.osm.mutable.Node(id=next_node, location=((ax + bx) / 2 + 2e-5, (ay + by) / 2 + 2e-5))
                    )
                    refs.append(next_node)
                    next_node += 1
            refs.append(ids[line[-1]])
            add_way(refs, tags)

        for r in range(ROWS):
            kind = "secondary" if r % 40 == 0 else "tertiary" if r % 10 == 0 else "residential"
            street([(c, r) for c in range(COLUMNS)], {"highway": kind, "name": f"{r}条通り"}, r % 3 == 0)
        for c in range(COLUMNS):
            # Every 25th north-south street has a flight of steps in each block.
            if c % 25 == 12:
                for r in range(ROWS - 1):
                    add_way([ids[(c, r)], ids[(c, r + 1)]], {"highway": "steps" if r % 2 else "footway"})
                continue
            kind = "tertiary" if c % 10 == 0 else "residential"
            street([(c, r) for r in range(ROWS)], {"highway": kind, "name": f"{c}丁目通り"}, c % 4 == 0)
    return ways


async def prepare(url: str, settings: Settings) -> City:
    """Empty database → the city's municipality, a flood zone, its roads (timed) and its pack."""
    folder = Path(tempfile.mkdtemp(prefix="bosai-bench-routes-"))
    osm = folder / "city.osm.pbf"
    ways = write_city(osm)
    east, north = WEST + COLUMNS * STEP_LON, SOUTH + ROWS * STEP_LAT
    area = box(WEST - 0.001, SOUTH - 0.001, east + 0.001, north + 0.001)
    # A river's flood zone: a band across the middle third of the city, from west to east.
    band = box(WEST - 0.001, SOUTH + 0.4 * ROWS * STEP_LAT, east + 0.001, SOUTH + 0.45 * ROWS * STEP_LAT)
    engine = create_async_engine(url)
    pool = await create_pool(replace(settings.database, url=url))
    try:
        await upgrade(engine)
        async with engine.begin() as connection:
            await connection.execute(text("TRUNCATE road_node, road_edge CASCADE"))
            await connection.execute(text("DELETE FROM hazard_zone"))
            await connection.execute(text("DELETE FROM municipality"))
            await connection.execute(
                text(
                    "INSERT INTO municipality (id, code, name, prefecture, boundary, bbox) VALUES "
                    "(gen_random_uuid(), :code, '道のり市', '青森県', ST_Multi(ST_GeomFromText(:wkt, 4326)), "
                    "ST_GeomFromText(:wkt, 4326))"
                ),
                {"code": CODE, "wkt": area.wkt},
            )
            await connection.execute(
                text(
                    "INSERT INTO hazard_zone (id, hazard_type, source, geom) VALUES "
                    "(gen_random_uuid(), 'flood', 'bench', ST_Multi(ST_GeomFromText(:wkt, 4326)))"
                ),
                {"wkt": band.wkt},
            )
        started = time.perf_counter()
        done = await import_roads(engine, osm, CODE)
        import_seconds = time.perf_counter() - started
        started = time.perf_counter()
        pack = await build(engine, pool, PackSettings(folder=folder / "packs", keep=1), CODE)
        pack_seconds = time.perf_counter() - started
        graph_bytes = pack.graph_bytes or 0
        assert pack_path(folder / "packs", CODE, pack.version, ".graph.json").stat().st_size == graph_bytes
        async with engine.connect() as connection:
            municipality = await connection.scalar(text("SELECT id FROM municipality WHERE code = :c"), {"c": CODE})
        started = time.perf_counter()
        graph = await load(pool, municipality)
        graph.matrix(Weights(True, None, False))
        memory_load_seconds = time.perf_counter() - started
    finally:
        await pool.close()
        await engine.dispose()
    # 3 km beside the zone, and 3 km across it: the band spans the city from west to east, so no
    # route avoids it and the answer is the least exposed one (after the searches that fail).
    south, north_side = _point(0.2, 0.3), _point(0.25, 0.6)
    west_end, east_end = _point(0.1, 0.2), _point(0.4, 0.25)
    return City(
        osm_bytes=osm.stat().st_size,
        ways=ways,
        edges=done.edges,
        nodes=done.nodes,
        import_seconds=import_seconds,
        pack_mb=(pack.bytes + pack.facilities_bytes + graph_bytes) / 1e6,
        archive_mb=pack.bytes / 1e6,
        graph_mb=graph_bytes / 1e6,
        graph_edges=pack.graph_edges or 0,
        pack_seconds=pack_seconds,
        memory_load_seconds=memory_load_seconds,
        memory_mb=(graph.nbytes - MATRICES * graph.matrix(Weights(True, None, False)).nbytes) / 1e6,
        memory_mb_with_matrices=graph.nbytes / 1e6,
        routes={
            "route 3 km (adult)": f"/api/routes?from={west_end}&to={east_end}",
            "route 3 km across a flood band (least exposed)": f"/api/routes?from={south}&to={north_side}&hazard=flood",
        },
    )


def _point(x: float, y: float) -> str:
    """LAT,LON at fractions of the city's width and height."""
    return f"{SOUTH + y * ROWS * STEP_LAT:.6f},{WEST + x * COLUMNS * STEP_LON:.6f}"


def report(city: City, results: list[dict[str, float | str]]) -> None:
    print(
        f"\nroads of a city-sized grid: {city.ways:,} ways ({city.osm_bytes / 1e6:.1f} MB .osm.pbf) → "
        f"{city.edges:,} edges, {city.nodes:,} nodes in {city.import_seconds:.1f} s"
    )
    ok = "ok" if city.pack_mb <= TARGET_MB else "MISSED"
    print(
        f"pack with graph: {city.pack_mb:.2f} MB (tiles {city.archive_mb:.2f} MB + graph {city.graph_mb:.2f} MB, "
        f"{city.graph_edges:,} edges), built in {city.pack_seconds:.1f} s  target ≤ {TARGET_MB:g} MB {ok}"
    )
    print(
        f"graph in the server's memory: loaded with its first matrix in {city.memory_load_seconds:.2f} s, "
        f"{city.memory_mb:.1f} MB ({city.memory_mb_with_matrices:.1f} MB with {MATRICES} matrices)"
    )
    print(f"{'endpoint':44} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'x base':>7}  target")
    for r in results:
        target = ""
        if not str(r["name"]).startswith("baseline"):
            target = f"≥ {TARGET_RATIO:g} {'ok' if float(r['ratio']) >= TARGET_RATIO else 'MISSED'}"
        print(
            f"{r['name']!s:44} {float(r['requests_per_s']):9.0f} {float(r['p50_ms']):8.2f} "
            f"{float(r['p99_ms']):8.2f} {float(r['ratio']):7.3f}  {target}"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "routes.json").write_text(
        json.dumps({"city": asdict(city), "results": results}, indent=1, ensure_ascii=False)
    )
