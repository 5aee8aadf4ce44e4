"""Import speed: 5,000 facilities from a standard-data 03 CSV, first import and re-import.

The baseline, measured in the same run, is the raw write floor: the same 5,000 rows inserted into
a scratch table with one executemany. Target (issue 4): the import in ≤ 10 s on this machine
class; the ratio says how far above the floor the importer's work (parsing, linking, withdrawal,
recomputing places, triggers) puts it.
"""

from __future__ import annotations

import csv
import io
import random
import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from server.db.migrate import upgrade
from server.imports.service import import_file

ROWS = 5_000
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
            summary = await import_file(engine, "131016_emergency_sites.csv", data)
            if not summary.ok:
                raise SystemExit(f"bench import failed: {summary.errors[:3]}")
            results.append(ImportResult(name, time.perf_counter() - started, baseline))
        return results
    finally:
        await engine.dispose()


def report(results: list[ImportResult]) -> None:
    print(f"\n{'import of 5,000 facilities':44} {'seconds':>9} {'floor s':>8} {'x floor':>8}  target")
    for r in results:
        verdict = "ok" if r.seconds <= r.target_seconds else "MISSED"
        ratio = r.seconds / r.baseline_seconds
        print(
            f"{r.name:44} {r.seconds:9.2f} {r.baseline_seconds:8.3f} {ratio:8.1f}  <= {r.target_seconds:g} s {verdict}"
        )
