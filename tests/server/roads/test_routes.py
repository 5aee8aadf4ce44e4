"""GET /api/routes on a small town made for the purpose:

    row 4  +----+----+----+----+----+----+   北通り
           |    |         |              |
           |    A(1,2)    | steps        |
           |   ~~~~~ river (no road) ~~~ |
    row 0  +----+----+----+----+----+----+   本町通り
          西通り              |         東通り
                              B(4,-1.5)

Columns and rows are about 100 m apart. A is 200 m from (1, 0) in a straight line but 800 m on
foot (round by 西通り and 北通り); B is 335 m away and 450 m on foot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from shapely.geometry import LineString, box, shape
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.facilities.models import Facility
from server.hazards.models import HazardZone
from server.municipalities.models import Municipality
from server.roads.service import import_roads
from tests.server.roads.osm import Osm, at

CODE = "029998"
Client = AsyncTestClient[Litestar]


def town_file(tmp_path: Path, bridge: bool = False) -> Path:
    osm = Osm()
    osm.way([(c, 0) for c in range(7)], highway="residential", name="本町通り")
    osm.way([(c, 4) for c in range(7)], highway="residential", name="北通り")
    osm.way([(0, r) for r in range(5)], highway="residential", name="西通り")
    osm.way([(6, r) for r in range(5)], highway="residential", name="東通り")
    osm.way([(3, r) for r in range(5)], highway="steps")
    osm.way([(1, 4), (1, 3), (1, 2)], highway="footway")  # down to A
    osm.way([(4, 0), (4, -1), (4, -1.5)], highway="service")  # down to B
    if bridge:  # a footbridge over the river to A
        osm.way([(1, 0), (1, 1), (1, 2)], highway="footway", bridge="yes")
    return osm.write(tmp_path / ("town-bridge.osm" if bridge else "town.osm"))


async def setup(engine: AsyncEngine, tmp_path: Path) -> dict[str, str]:
    west, south = at(-3, -4)
    east, north = at(9, 7)
    async with engine.begin() as connection:
        municipality = (
            await connection.execute(
                insert(Municipality)
                .values(
                    code=CODE,
                    name="見本市",
                    prefecture="青森県",
                    boundary=f"SRID=4326;{box(west, south, east, north).wkt}".replace("POLYGON ((", "MULTIPOLYGON(((")
                    + ")",
                )
                .returning(Municipality.id)
            )
        ).scalar_one()
        ids = {}
        for name, (col, row) in {"A": (1, 2), "B": (4, -1.5)}.items():
            lon, lat = at(col, row)
            ids[name] = str(
                (
                    await connection.execute(
                        insert(Facility)
                        .values(
                            municipality_id=municipality,
                            kinds=["designated_shelter"],
                            name=f"{name}小学校",
                            geom=f"SRID=4326;POINT({lon} {lat})",
                            suitable_hazards=["flood", "earthquake"],
                        )
                        .returning(Facility.id)
                    )
                ).scalar_one()
            )
    await import_roads(engine, town_file(tmp_path), CODE)
    return ids


async def add_zone(
    engine: AsyncEngine, hazard: str, west_south: tuple[float, float], east_north: tuple[float, float]
) -> None:
    (w, s), (e, n) = at(*west_south), at(*east_north)
    async with engine.begin() as connection:
        await connection.execute(
            insert(HazardZone).values(
                hazard_type=hazard,
                source="test",
                geom=f"SRID=4326;MULTIPOLYGON((({w} {s},{e} {s},{e} {n},{w} {n},{w} {s})))",
            )
        )


def ll(col: float, row: float) -> str:
    lon, lat = at(col, row)
    return f"{lat},{lon}"


async def get_route(client: Client, **query: str) -> dict[str, Any]:
    response = await client.get("/api/routes", params=query)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/geo+json")
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def town(engine: AsyncEngine, tmp_path: Path) -> dict[str, str]:
    return await setup(engine, tmp_path)


async def test_a_route_along_the_street_with_length_time_and_steps(client: Client, town: dict[str, str]) -> None:
    route = await get_route(client, **{"from": ll(0, 0), "to": ll(6, 0)})
    p = route["properties"]
    assert route["type"] == "Feature" and route["geometry"]["type"] == "LineString"
    assert p["lengthM"] == pytest.approx(600, rel=0.01)
    assert p["minutes"] == pytest.approx(p["lengthM"] / 60, abs=0.1)  # adult: 1.0 m/s
    assert p["profile"] == "adult" and p["hazard"] is None and p["insideZoneM"] == 0
    assert [s["maneuver"] for s in p["steps"]] == ["depart", "arrive"]
    assert p["steps"][0]["name"] == "本町通り" and "本町通りを600m進みます" in p["steps"][0]["text"]
    elderly = await get_route(client, **{"from": ll(0, 0), "to": ll(6, 0), "profile": "elderly", "night": "true"})
    assert elderly["properties"]["minutes"] == pytest.approx(p["lengthM"] / (0.5 * 0.8) / 60, abs=0.1)


async def test_turns_are_named_left_and_right(client: Client, town: dict[str, str]) -> None:
    route = await get_route(client, **{"from": ll(0, 2), "to": ll(6, 2)})
    steps = [(s["maneuver"], s["name"]) for s in route["properties"]["steps"]]
    # Up 西通り, right into 北通り, right into 東通り — or the same by 本町通り: both are 1000 m.
    assert steps[0][0] == "depart" and steps[0][1] == "西通り"
    assert [m for m, _ in steps[1:-1]] in (["right", "right"], ["left", "left"])
    assert route["properties"]["lengthM"] == pytest.approx(1000, rel=0.01)


async def test_wheelchair_avoids_steps(client: Client, town: dict[str, str]) -> None:
    walker = await get_route(client, **{"from": ll(3, 0), "to": ll(3, 4)})
    assert walker["properties"]["lengthM"] == pytest.approx(400, rel=0.01)
    assert any(s["name"] == "階段" for s in walker["properties"]["steps"])
    wheelchair = await get_route(client, **{"from": ll(3, 0), "to": ll(3, 4), "profile": "wheelchair"})
    assert wheelchair["properties"]["lengthM"] == pytest.approx(1000, rel=0.01)
    assert all(s["name"] != "階段" for s in wheelchair["properties"]["steps"])


async def test_a_zone_across_the_shortest_path_forces_a_detour_outside_it(
    client: Client, engine: AsyncEngine, town: dict[str, str]
) -> None:
    await add_zone(engine, "flood", (2.5, -0.5), (3.5, 0.5))
    plain = await get_route(client, **{"from": ll(0, 0), "to": ll(6, 0)})
    assert plain["properties"]["lengthM"] == pytest.approx(600, rel=0.01)
    route = await get_route(client, **{"from": ll(0, 0), "to": ll(6, 0), "hazard": "flood"})
    p = route["properties"]
    assert p["hazard"] == "flood" and p["insideZoneM"] == 0 and p["avoidsZone"] and p["warning"] is None
    assert p["lengthM"] == pytest.approx(1400, rel=0.01)
    zone = box(*at(2.5, -0.5), *at(3.5, 0.5))
    assert not LineString(route["geometry"]["coordinates"]).intersects(zone)
    # Another hazard's zones do not matter.
    other = await get_route(client, **{"from": ll(0, 0), "to": ll(6, 0), "hazard": "tsunami"})
    assert other["properties"]["lengthM"] == pytest.approx(600, rel=0.01)


async def test_a_zone_drawn_later_is_seen_and_one_removed_is_forgotten(
    client: Client, engine: AsyncEngine, town: dict[str, str]
) -> None:
    await add_zone(engine, "flood", (2.5, -0.5), (3.5, 0.5))
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM hazard_zone"))
    route = await get_route(client, **{"from": ll(0, 0), "to": ll(6, 0), "hazard": "flood"})
    assert route["properties"]["lengthM"] == pytest.approx(600, rel=0.01)


async def test_when_no_route_avoids_the_zone_the_least_exposed_comes_with_a_warning(
    client: Client, engine: AsyncEngine, town: dict[str, str]
) -> None:
    await add_zone(engine, "flood", (-1, 1.5), (7, 2.5))  # a band across the whole town
    route = await get_route(client, **{"from": ll(0, 0), "to": ll(0, 4), "hazard": "flood"})
    p = route["properties"]
    assert not p["avoidsZone"] and "least exposed" in p["warning"]
    assert p["insideZoneM"] == pytest.approx(100, rel=0.05)
    assert p["lengthM"] == pytest.approx(400, rel=0.01)
    # A destination inside a zone is reached by the shortest way in, and says so.
    await add_zone(engine, "tsunami", (5.5, -1), (7, 1))
    inside = await get_route(client, **{"from": ll(0, 0), "to": ll(6, 0), "hazard": "tsunami"})
    assert inside["properties"]["insideZoneM"] == pytest.approx(50, rel=0.05)
    assert "lies in a tsunami zone" in inside["properties"]["warning"]


async def test_nearest_shelter_on_foot_is_not_the_nearest_in_a_straight_line(
    client: Client, town: dict[str, str]
) -> None:
    nearest = await client.get(
        "/api/facilities/nearest", params={"lat": ll(1, 0).split(",")[0], "lon": ll(1, 0).split(",")[1]}
    )
    assert [f["properties"]["name"] for f in nearest.json()["features"]][:2] == ["A小学校", "B小学校"]
    route = await get_route(client, **{"from": ll(1, 0)})
    p = route["properties"]
    assert p["destination"]["facilityId"] == town["B"] and p["destination"]["name"] == "B小学校"
    assert p["lengthM"] == pytest.approx(450, rel=0.01)
    to_a = await get_route(client, **{"from": ll(1, 0), "to": town["A"]})
    assert to_a["properties"]["lengthM"] == pytest.approx(800, rel=0.01)
    assert to_a["properties"]["steps"][-1]["text"] == "A小学校に到着です"


async def test_points_off_the_network_are_404_with_a_reason(client: Client, town: dict[str, str]) -> None:
    far = await client.get("/api/routes", params={"from": "35.0,135.0", "to": ll(6, 0)})
    assert far.status_code == 404 and far.headers["content-type"] == "application/problem+json"
    assert far.json()["reason"] == "off_network" and far.json()["field"] == "from"
    far_to = await client.get("/api/routes", params={"from": ll(0, 0), "to": "35.0,135.0"})
    assert far_to.status_code == 404 and far_to.json()["field"] == "to"
    unknown = await client.get("/api/routes", params={"from": ll(0, 0), "to": "0190b1a2-0000-7000-8000-000000000000"})
    assert unknown.status_code == 404 and unknown.json()["reason"] == "unknown_facility"


async def test_a_route_to_where_one_stands_is_empty_and_unconnected_places_are_404(
    client: Client, engine: AsyncEngine, town: dict[str, str], tmp_path: Path
) -> None:
    here = await get_route(client, **{"from": ll(2, 0), "to": ll(2, 0)})
    assert here["properties"]["lengthM"] == 0 and here["properties"]["minutes"] == 0
    assert [s["maneuver"] for s in here["properties"]["steps"]] == ["arrive"]
    assert here["properties"]["steps"][0]["location"] == pytest.approx(list(at(2, 0)))
    # Roads of no municipality, apart from the town's graph: no walk joins them.
    osm = Osm()
    osm.way([(20, 20), (21, 20)], highway="residential")
    west, south = at(19, 19)
    east, north = at(22, 22)
    await import_roads(engine, osm.write(tmp_path / "apart.osm"), None, (west, south, east, north))
    apart = await client.get("/api/routes", params={"from": ll(0, 0), "to": ll(20, 20)})
    assert apart.status_code == 404 and apart.json()["reason"] == "no_path"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "from"),
        ({"from": "40.8"}, "from"),
        ({"from": "abc,def"}, "from"),
        ({"from": "91,140"}, "from"),
        ({"from": "40.8,181"}, "from"),
        ({"from": "nan,140"}, "from"),
        ({"from": "1e400,140"}, "from"),
        ({"from": "40.8,140.75,3"}, "from"),
        ({"from": "40.8,140.75", "to": "not-a-place"}, "to"),
        ({"from": "40.8,140.75", "to": "40.8,x"}, "to"),
        ({"from": "40.8,140.75", "profile": "runner"}, "profile"),
        ({"from": "40.8,140.75", "hazard": "zombies"}, "hazard"),
        ({"from": "40.8,140.75", "hazard": "flood'; DROP TABLE road_edge; --"}, "hazard"),
        ({"from": "40.8,140.75", "night": "maybe"}, "night"),
        ({"from": "40.8,140.75", "to": "x" * 5000}, "to"),
    ],
)
async def test_bad_input_is_a_400_naming_the_field(client: Client, query: dict[str, str], field: str) -> None:
    response = await client.get("/api/routes", params=query)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in response.json()["detail"]


async def test_nul_in_a_parameter_is_refused_at_the_edge(client: Client) -> None:
    response = await client.get("/api/routes?from=40.8%00,140.75")
    assert response.status_code == 400


def test_the_town_is_what_the_docstring_draws(tmp_path: Path) -> None:
    assert (
        shape({"type": "Point", "coordinates": at(1, 2)}).distance(shape({"type": "Point", "coordinates": at(1, 0)}))
        > 0
    )
