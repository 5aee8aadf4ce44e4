"""`bosai import EXTRACT.osm --municipality CODE` (or --bbox) into the pgRouting graph."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from shapely.geometry import box
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.cli import main
from server.municipalities.models import Municipality
from server.roads.service import import_roads
from tests.server.roads.osm import Osm, at

CODE = "029998"


def town(tmp_path: Path, extra: bool = False) -> Path:
    osm = Osm()
    osm.way([(0, 0), (1, 0), (2, 0)], highway="residential", name="本町通り")
    osm.way([(1, 0), (1, 1), (1, 2)], highway="steps")
    osm.way([(0, 0), (0, 2), (1, 2)], highway="footway", bridge="yes")
    osm.way([(2, 0), (3, 0)], highway="motorway")
    osm.way([(8, 8), (9, 8)], highway="path")  # an island of its own
    if extra:
        osm.way([(2, 0), (2, 2)], highway="tertiary", name="新道")
    return osm.write(tmp_path / ("town2.osm" if extra else "town.osm"))


async def add_town(engine: AsyncEngine, code: str = CODE) -> None:
    west, south = at(-1, -1)
    east, north = at(10, 10)
    async with engine.begin() as connection:
        await connection.execute(
            insert(Municipality).values(
                code=code,
                name="見本市",
                prefecture="青森県",
                boundary=f"SRID=4326;{box(west, south, east, north).wkt.replace('POLYGON', 'MULTIPOLYGON(')})",
            )
        )


async def counts(engine: AsyncEngine) -> tuple[int, int]:
    async with engine.connect() as connection:
        edges = await connection.scalar(text("SELECT count(*) FROM road_edge"))
        nodes = await connection.scalar(text("SELECT count(*) FROM road_node"))
    return int(edges or 0), int(nodes or 0)


async def test_import_makes_a_graph_and_reimport_replaces_it(engine: AsyncEngine, tmp_path: Path) -> None:
    await add_town(engine)
    first = await import_roads(engine, town(tmp_path), CODE)
    assert (first.ways_read, first.edges, first.nodes) == (4, 5, 6)
    assert first.largest_share == pytest.approx(4 / 5)
    assert await counts(engine) == (5, 6)
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text("SELECT road_class, name, steps, bridge, cost, reverse_cost, length_m, component FROM road_edge")
            )
        ).all()
    assert {r.road_class for r in rows} == {"minor", "steps", "path"}
    assert sum(r.steps for r in rows) == 1 and sum(r.bridge for r in rows) == 1
    assert all(r.cost == r.reverse_cost == r.length_m > 0 for r in rows)
    assert sorted(r.component for r in rows) == [0, 0, 0, 0, 1]
    second = await import_roads(engine, town(tmp_path, extra=True), CODE)
    assert second.replaced_edges == 5
    assert await counts(engine) == (second.edges, second.nodes) == (6, 7)


async def test_an_unknown_municipality_or_no_area_is_refused(engine: AsyncEngine, tmp_path: Path) -> None:
    from server.lib.errors import InvalidParameterError, NotFoundError

    with pytest.raises(NotFoundError):
        await import_roads(engine, town(tmp_path), "011002")
    with pytest.raises(InvalidParameterError):
        await import_roads(engine, town(tmp_path), None, None)


def test_the_cli_says_what_it_made(database_url: str, tmp_path: Path) -> None:
    west, south = at(-1, -1)
    east, north = at(10, 10)
    result = CliRunner().invoke(
        main,
        ["import", str(town(tmp_path)), "--bbox", f"{west},{south},{east},{north}"],
        env={"DATABASE_URL": database_url},
    )
    assert result.exit_code == 0, result.output
    assert "4 ways read, 5 edges and 6 nodes made, 80.0% of edges in the largest connected component" in result.output
    bad = CliRunner().invoke(
        main, ["import", str(town(tmp_path)), "--bbox", "1,2,x,4"], env={"DATABASE_URL": database_url}
    )
    assert bad.exit_code == 2 and "--bbox" in bad.output
