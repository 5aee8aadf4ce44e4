"""The nearest query keeps its KNN plan on a table the planner knows nothing about (never analysed:
right after a bulk load, before autovacuum comes by). Measured (STACK.md): on 80,000 places with no
statistics the planner chose a bitmap scan and a sort, 27 req/s instead of 1,701."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.facilities import queries

PLACES = 20_000


async def plan(engine: AsyncEngine, with_hazard: bool) -> dict[str, object]:
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        sql = queries.nearest(15, with_hazard).sql
        params = {
            "lat": 35.68,
            "lon": 139.76,
            "hazard": "flood",
            "kinds": ["designated_shelter", "emergency_site"],
            "avoid": ["flood"],
        }
        args = queries.nearest(15, with_hazard).args(params)
        (row,) = await driver.fetch(f"EXPLAIN (FORMAT JSON) {sql}", *args)
        value = row[0]
        document: list[dict[str, object]] = json.loads(value) if isinstance(value, str) else value
        return document[0]["Plan"]  # type: ignore[return-value]


def nodes(node: dict[str, object]) -> list[dict[str, object]]:
    found = [node]
    for child in node.get("Plans", []):  # type: ignore[attr-defined]
        found += nodes(child)
    return found


@pytest.mark.parametrize("with_hazard", [False, True])
async def test_nearest_uses_the_knn_index_on_a_table_never_analysed(engine: AsyncEngine, with_hazard: bool) -> None:
    async with engine.begin() as connection:
        # No autovacuum either: the statistics stay missing for the whole test.
        await connection.execute(text("ALTER TABLE facility SET (autovacuum_enabled = false)"))
        town = await connection.scalar(
            text(
                "INSERT INTO municipality (id, code, name, prefecture) "
                "VALUES (gen_random_uuid(), '131016', '千代田区', '東京都') RETURNING id"
            )
        )
        await connection.execute(
            text(
                "INSERT INTO facility (id, municipality_id, kinds, name, geom, suitable_hazards) "
                "SELECT gen_random_uuid(), :town, "
                "CASE WHEN i % 3 = 0 THEN ARRAY['designated_shelter'] ELSE ARRAY['aed'] END::varchar[], "
                "'place ' || i, ST_SetSRID(ST_MakePoint(139 + (i % 200) * 0.01, 35 + (i / 200) * 0.01), 4326), "
                "CASE WHEN i % 2 = 0 THEN ARRAY['flood'] ELSE '{}' END::varchar[] "
                "FROM generate_series(1, :n) AS i"
            ),
            {"town": town, "n": PLACES},
        )
        reltuples = await connection.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'facility'"))
    assert reltuples == -1  # never analysed
    found = nodes(await plan(engine, with_hazard))
    types = [(n["Node Type"], n.get("Index Name")) for n in found]
    print(types)
    assert ("Index Scan", "ix_facility_merc") in types, types
    assert not any(n["Node Type"] in ("Sort", "Bitmap Heap Scan") for n in found), types
