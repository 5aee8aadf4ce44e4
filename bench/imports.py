"""Import speed: 5,000 facilities from a standard-data 03 CSV (first import and re-import), and
10,000 flood-depth polygons from an A31a GeoJSON.

The baseline, measured in the same run, is the raw write floor: the same rows (points, or polygons
as WKB) inserted into a scratch table with one executemany. Targets (issue 4): 5,000 facilities in
≤ 10 s and 10,000 hazard polygons in ≤ 60 s on this machine class; the ratio says how far above
the floor the importer's work (parsing, reprojection, linking, withdrawal, ST_MakeValid,
subdivision triggers) puts it.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from geo.importers.base import Source
from server.db.migrate import upgrade
from server.imports.service import import_file

RESULTS = Path(__file__).resolve().parent / "results"
ROWS = 5_000
ZONES = 10_000
FLAGS = ("洪水", "崖崩れ、土石流及び地滑り", "高潮", "地震", "津波", "大規模な火事", "内水氾濫", "火山現象")


@dataclass(frozen=True)
class ImportResult:
    name: str
    seconds: float
    baseline_seconds: float
    target_seconds: float = 10.0


def standard_03_csv(rows: int = ROWS) -> bytes:
    rng = random.Random(3)
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["NO", "名称", "名称_カナ", "住所", "緯度", "経度", "市区町村コード", "都道府県名", "市区町村名"]
                    + [f"災害種別_{f}" for f in FLAGS] + ["指定避難所との重複", "想定収容人数"])  # fmt: skip
    for n in range(1, rows + 1):
        flags = ["○" if rng.random() < 0.4 else "" for _ in FLAGS]
        writer.writerow([n, f"避難場所{n}", f"ヒナンバショ{n}", f"東京都千代田区{n}", f"{rng.uniform(35.6, 35.75):.6f}",
                         f"{rng.uniform(139.6, 139.9):.6f}", "131016", "東京都", "千代田区", *flags,
                         "○" if n % 3 == 0 else "", f"{rng.randrange(50, 3000)}人"])  # fmt: skip
    return out.getvalue().encode()


def a31a_geojson(zones: int = ZONES) -> tuple[bytes, list[bytes]]:
    """A river's flood-depth zones over a city: irregular rings of 24–200 vertices, one in fifty
    of 2,000 (the long bands along a river), and their WKB for the floor."""
    from shapely.geometry import Polygon

    rng = random.Random(31)
    features, wkb = [], []
    for n in range(zones):
        x, y = rng.uniform(140.6, 140.9), rng.uniform(40.7, 40.9)
        vertices = 2_000 if n % 50 == 0 else rng.randrange(24, 200)
        radius = rng.uniform(0.0005, 0.003)
        ring = [
            (x + radius * (1 + 0.3 * math.sin(7 * a)) * math.cos(a), y + radius * math.sin(a))
            for a in (2 * math.pi * i / vertices for i in range(vertices))
        ]
        polygon = Polygon(ring)
        wkb.append(polygon.wkb)
        coordinates = [[[round(px, 6), round(py, 6)] for px, py in [*ring, ring[0]]]]
        properties = {"A31a_201": "8302040001", "A31a_202": "見本川", "A31a_205": 1 + n % 6}
        geometry = {"type": "Polygon", "coordinates": coordinates}
        features.append({"type": "Feature", "properties": properties, "geometry": geometry})
    doc = {"type": "FeatureCollection", "features": features}
    return json.dumps(doc, ensure_ascii=False).encode(), wkb


async def measure(url: str) -> list[ImportResult]:
    engine = create_async_engine(url)
    data = standard_03_csv()
    try:
        await upgrade(engine)
        async with engine.begin() as connection:
            await connection.execute(text("TRUNCATE facility_record, facility, hazard_zone, municipality CASCADE"))
            await connection.execute(text("CREATE TEMP TABLE floor (id int, name text, geom geometry(Point, 4326))"))
            started = time.perf_counter()
            await connection.execute(
                text("INSERT INTO floor VALUES (:id, :name, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"),
                [{"id": n, "name": f"避難場所{n}", "lon": 139.7, "lat": 35.7} for n in range(ROWS)],
            )
            baseline = time.perf_counter() - started
        results = []
        for name in ("first import (5,000 created)", "re-import (5,000 updated)"):
            started = time.perf_counter()
            summary = await import_file(engine, Source("131016_emergency_sites.csv", data))
            if not summary.ok:
                raise SystemExit(f"bench import failed: {summary.errors[:3]}")
            results.append(ImportResult(f"5,000 facilities: {name}", time.perf_counter() - started, baseline))
        results.append(await _zones(engine))
        return results
    finally:
        await engine.dispose()


async def _zones(engine: AsyncEngine) -> ImportResult:
    data, wkb = a31a_geojson()
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TEMP TABLE zone_floor (id int, geom geometry(MultiPolygon, 4326))"))
        started = time.perf_counter()
        await connection.execute(
            text("INSERT INTO zone_floor VALUES (:id, ST_Multi(ST_GeomFromWKB(:wkb, 4326)))"),
            [{"id": n, "wkb": w} for n, w in enumerate(wkb)],
        )
        baseline = time.perf_counter() - started
    started = time.perf_counter()
    summary = await import_file(engine, Source("A31a-bench_flood.geojson", data))
    if not summary.ok or summary.created != ZONES:
        raise SystemExit(f"bench hazard import failed: {summary.errors[:3]} {summary.notes}")
    return ImportResult(
        f"10,000 hazard polygons ({len(data) // 1_000_000} MB GeoJSON)", time.perf_counter() - started, baseline, 60.0
    )


def report(results: list[ImportResult]) -> None:
    print(f"\n{'import':44} {'seconds':>9} {'floor s':>8} {'x floor':>8}  target")
    for r in results:
        verdict = "ok" if r.seconds <= r.target_seconds else "MISSED"
        ratio = r.seconds / r.baseline_seconds
        print(
            f"{r.name:44} {r.seconds:9.2f} {r.baseline_seconds:8.3f} {ratio:8.1f}  <= {r.target_seconds:g} s {verdict}"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "imports.json").write_text(json.dumps([asdict(r) for r in results], indent=1, ensure_ascii=False))
