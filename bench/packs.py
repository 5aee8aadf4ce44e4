"""Offline pack build: a city-sized municipality (300 facilities, the 10,000 flood polygons the
import bench left in the same database) and the demo towns.

The baseline, measured in the same run, is the database's share: rendering the same tiles one after
another without writing anything. Targets (offline-packs issue): the city's pack ≤ 15 MB and its
build ≤ 60 s on this machine class.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from pmtiles.tile import zxy_to_tileid
from shapely.geometry import box
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from geo.tiling import covering
from server.cli import FIXTURES, IMPORT_FIXTURES
from server.db.fast import create_pool, fetchval
from server.demo import import_demo_files, load_demo
from server.packs.service import MAX_ZOOM, MIN_ZOOM, build
from server.settings import PackSettings, Settings
from server.tiles import queries

RESULTS = Path(__file__).resolve().parent / "results"
CITY = "029971"  # made up; 0.3° × 0.2° (about 25 × 22 km) over the import bench's flood zones
CITY_AREA = box(140.6, 40.7, 140.9, 40.9)
FACILITIES = 300


@dataclass(frozen=True)
class PackResult:
    name: str
    seconds: float
    baseline_seconds: float
    megabytes: float
    tiles: int
    target_seconds: float | None = None
    target_megabytes: float | None = None


async def measure(url: str, settings: Settings) -> list[PackResult]:
    """Run after the import bench: its 10,000 zones are the city's hazard map."""
    engine = create_async_engine(url)
    pool = await create_pool(replace(settings.database, url=url))
    folder = Path(tempfile.mkdtemp(prefix="bosai-bench-packs-"))
    packs = PackSettings(folder=folder, keep=1)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("TRUNCATE facility_record, facility CASCADE"))
            await connection.execute(text("DELETE FROM municipality"))
            await connection.execute(
                text(
                    "INSERT INTO municipality (id, code, name, prefecture, boundary, bbox) VALUES "
                    "(gen_random_uuid(), :code, 'ベンチ市', '青森県', ST_Multi(ST_GeomFromText(:wkt, 4326)), "
                    "ST_GeomFromText(:wkt, 4326))"
                ),
                {"code": CITY, "wkt": CITY_AREA.wkt},
            )
            rng = random.Random(6)
            await connection.execute(
                text(
                    "INSERT INTO facility (id, municipality_id, kinds, name, address, capacity, suitable_hazards, "
                    "source_ids, geom) SELECT gen_random_uuid(), m.id, ARRAY['designated_shelter'], :name, :address, "
                    ":capacity, ARRAY['flood','earthquake'], ARRAY[:sid], ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) "
                    "FROM municipality m WHERE m.code = :code"
                ),
                [
                    {
                        "name": f"避難所{n}",
                        "address": f"ベンチ市{n}番地",
                        "capacity": rng.randrange(50, 900),
                        "sid": f"bench:{n}",
                        "lon": rng.uniform(140.6, 140.9),
                        "lat": rng.uniform(40.7, 40.9),
                        "code": CITY,
                    }
                    for n in range(FACILITIES)
                ],
            )
            count = await connection.scalar(text("SELECT count(*) FROM hazard_zone"))
        if count < 10_000:
            raise SystemExit(
                "the pack bench needs the import bench's 10,000 zones: run `python -m bench --only imports`"
            )

        tiles = sorted(covering(CITY_AREA, MIN_ZOOM, MAX_ZOOM), key=lambda t: zxy_to_tileid(*t))
        started = time.perf_counter()
        for z, x, y in tiles:
            await fetchval(pool, queries.for_zoom(z), z=z, x=x, y=y)
        floor = time.perf_counter() - started
        started = time.perf_counter()
        pack = await build(engine, pool, packs, CITY)
        city = PackResult(
            f"city: {FACILITIES} facilities, {count:,} hazard polygons",
            time.perf_counter() - started,
            floor,
            pack.bytes / 1e6,
            pack.tile_count,
            60.0,
            15.0,
        )

        async with engine.begin() as connection:
            await connection.execute(text("TRUNCATE facility_record, facility, hazard_zone CASCADE"))
            await connection.execute(text("DELETE FROM municipality"))
        await load_demo(engine, FIXTURES)
        await import_demo_files(engine, IMPORT_FIXTURES)
        results = [city]
        for code, name in (("029998", "demo city 見本市"), ("029980", "demo town 見本町")):
            started = time.perf_counter()
            pack = await build(engine, pool, packs, code)
            seconds = time.perf_counter() - started
            results.append(PackResult(name, seconds, 0.0, pack.bytes / 1e6, pack.tile_count))
        return results
    finally:
        await pool.close()
        await engine.dispose()


def report(results: list[PackResult]) -> None:
    print(f"\n{'offline pack build':44} {'seconds':>9} {'floor s':>8} {'x floor':>8} {'MB':>7} {'tiles':>6}  target")
    for r in results:
        ratio = f"{r.seconds / r.baseline_seconds:8.1f}" if r.baseline_seconds else f"{'':8}"
        floor = f"{r.baseline_seconds:8.2f}" if r.baseline_seconds else f"{'':8}"
        target = ""
        if r.target_seconds is not None and r.target_megabytes is not None:
            ok = r.seconds <= r.target_seconds and r.megabytes <= r.target_megabytes
            target = f"<= {r.target_seconds:g} s, <= {r.target_megabytes:g} MB {'ok' if ok else 'MISSED'}"
        print(f"{r.name:44} {r.seconds:9.2f} {floor} {ratio} {r.megabytes:7.2f} {r.tiles:6}  {target}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "packs.json").write_text(json.dumps([asdict(r) for r in results], indent=1, ensure_ascii=False))
