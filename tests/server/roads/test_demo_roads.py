"""The demo towns' streets fit their places and hazard zones (what `bosai demo` shows)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.cli import FIXTURES, IMPORT_FIXTURES
from server.demo import import_demo_files, import_demo_roads, load_demo


async def test_both_towns_get_streets_that_reach_every_place_and_cross_their_zones(engine: AsyncEngine) -> None:
    await load_demo(engine, FIXTURES)
    await import_demo_files(engine, IMPORT_FIXTURES)
    city, town = await import_demo_roads(engine, FIXTURES)
    assert city.edges > 1000 and town.edges > 1000
    assert city.largest_share > 0.95  # the island's lanes are apart
    async with engine.connect() as connection:
        farthest = await connection.scalar(
            text(
                "SELECT max(d) FROM (SELECT (SELECT min(ST_Distance(e.geom::geography, f.geog)) FROM road_edge e "
                "WHERE e.component = 0 AND e.municipality_id = f.municipality_id AND e.geom && "
                "ST_Expand(f.geom, 0.01)) AS d FROM facility f JOIN municipality m ON m.id = f.municipality_id "
                "WHERE m.code = '029998' AND ST_Y(f.geom) < 40.845) s"
            )
        )
        exposed: dict[str, int] = dict(
            (await connection.execute(text("SELECT hazard_type, count(*) FROM road_edge_hazard GROUP BY 1"))).all()
        )
        kinds = set((await connection.execute(text("SELECT DISTINCT road_class FROM road_edge"))).scalars())
        bridges = await connection.scalar(text("SELECT count(*) FROM road_edge WHERE bridge"))
    assert farthest is not None and farthest < 200  # every mainland place is a short walk from a street
    assert {"flood", "tsunami", "landslide"} <= set(exposed)
    assert {"secondary", "tertiary", "minor", "steps"} <= kinds
    assert bridges and bridges > 0
