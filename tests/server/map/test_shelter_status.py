"""Open shelters first: the live status of shelters open in the current event in the nearest
answer and in the facilities layer of tiles; nearest avoids the hazards at the origin by default."""

from __future__ import annotations

import uuid

import mapbox_vector_tile
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.fast import create_pool
from server.settings import Settings
from server.tiles.service import render_tile
from tests.server.map.conftest import inside, zones
from tests.server.map.test_tiles import tile_of

Client = AsyncTestClient[Litestar]
HERE = "lat=40.80&lon=140.76"


async def open_shelters(engine: AsyncEngine, shelters: dict[str, tuple[str, int, int]]) -> str:
    """An open event with each facility id operated as (status, capacity, people checked in)."""
    async with engine.begin() as connection:
        event = await connection.scalar(
            text(
                "INSERT INTO disaster_event (id, hazard_type, name) "
                "VALUES (gen_random_uuid(), 'flood', '訓練') RETURNING id"
            )
        )
        for facility, (status, capacity, people) in shelters.items():
            await connection.execute(
                text(
                    "INSERT INTO shelter_operation (id, event_id, facility_id, status, capacity) "
                    "VALUES (gen_random_uuid(), :e, :f, :s, :c)"
                ),
                {"e": event, "f": facility, "s": status, "c": capacity},
            )
            if people:
                await check_in(engine, str(event), facility, people, connection)
    return str(event)


async def check_in(engine: AsyncEngine, event: str, facility: str, people: int, connection: object = None) -> None:
    statement = text(
        "INSERT INTO checkin (id, idempotency_key, event_id, facility_id, people, stay, direction) "
        "VALUES (gen_random_uuid(), :k, :e, :f, :n, 'inside', 'in')"
    )
    values = {"k": uuid.uuid4().hex, "e": event, "f": facility, "n": people}
    if connection is not None:
        await connection.execute(statement, values)  # type: ignore[attr-defined]
        return
    async with engine.begin() as fresh:
        await fresh.execute(statement, values)


async def data_version(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(text("SELECT version FROM data_version")) or 0)


async def test_nearest_carries_each_shelters_fill_status_people_and_operating_capacity(
    demo: Client, engine: AsyncEngine
) -> None:
    before = (await demo.get(f"/api/facilities/nearest?{HERE}&hazard=any&limit=5")).json()
    assert all(f["properties"]["status"] is None for f in before["features"])
    a, b, c, d, _ = (f["id"] for f in before["features"])
    # 8 of 10 is crowded (the shelters' 80 % rule), 4 of 4 full, 1 of 40 open, closed stays closed.
    await open_shelters(engine, {a: ("open", 10, 8), b: ("open", 4, 4), c: ("open", 40, 1), d: ("closed", 30, 0)})
    after = (await demo.get(f"/api/facilities/nearest?{HERE}&hazard=any&limit=5")).json()
    assert [f["id"] for f in after["features"]] == [f["id"] for f in before["features"]]
    statuses = [f["properties"]["status"] for f in after["features"]]
    assert statuses == [
        {"status": "crowded", "occupancy": 8, "capacity": 10},
        {"status": "full", "occupancy": 4, "capacity": 4},
        {"status": "open", "occupancy": 1, "capacity": 40},
        {"status": "closed", "occupancy": 0, "capacity": 30},
        None,
    ]
    assert after["liveStatus"] is True
    # The facility's sheet says the same.
    sheet = (await demo.get(f"/api/facilities/{a}")).json()["properties"]["status"]
    assert sheet == statuses[0]


async def test_tiles_carry_open_or_closed_and_the_operating_capacity_renewed_on_opening_not_on_check_in(
    demo: Client, engine: AsyncEngine
) -> None:
    z, x, y = tile_of(40.80, 140.76, 14)
    url = f"/tiles/{z}/{x}/{y}.mvt"

    async def facilities() -> dict[str, dict[str, object]]:
        demo.app.state.data_version._read_at = float("-inf")  # skip the one-second clock in the test
        layers = mapbox_vector_tile.decode((await demo.get(url)).content)
        return {f["properties"]["id"]: f["properties"] for f in layers["facilities"]["features"]}

    shown = await facilities()
    assert not any("status" in p for p in shown.values())
    first, second = sorted(shown)[:2]
    event = await open_shelters(engine, {first: ("open", 7, 0), second: ("closed", 9, 0)})
    opened = await facilities()
    assert (opened[first]["status"], opened[first]["capacity"]) == ("open", 7)  # the operating capacity
    assert opened[second]["status"] == "closed"
    assert opened[second].get("capacity") == shown[second].get("capacity")  # closed: the facility's
    assert {k for k, p in opened.items() if "status" in p} == {first, second}

    # A check-in changes how full it is, which tiles leave to the live answers: no new version.
    version = await data_version(engine)
    await check_in(engine, event, first, 6)
    assert await data_version(engine) == version
    # Closing the shelter, or the event, renews the tiles.
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE shelter_operation SET status = 'closed' WHERE facility_id = :f"), {"f": first}
        )
    assert (await facilities())[first]["status"] == "closed"
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE disaster_event SET status = 'closed' WHERE id = :e"), {"e": event})
    assert not any("status" in p for p in (await facilities()).values())


async def test_offline_pack_tiles_carry_no_status(demo: Client, engine: AsyncEngine, settings: Settings) -> None:
    z, x, y = tile_of(40.80, 140.76, 14)
    pool = await create_pool(settings.database)
    try:
        layers = mapbox_vector_tile.decode(await render_tile(pool, z, x, y))
        first = sorted(f["properties"]["id"] for f in layers["facilities"]["features"])[0]
        await open_shelters(engine, {first: ("open", 7, 3)})
        for live, expected in ((True, "open"), (False, None)):
            layers = mapbox_vector_tile.decode(await render_tile(pool, z, x, y, live=live))
            (shelter,) = [f["properties"] for f in layers["facilities"]["features"] if f["properties"]["id"] == first]
            assert shelter.get("status") == expected
    finally:
        await pool.close()


async def test_nearest_by_default_leaves_out_places_in_the_hazard_zones_at_the_origin_and_says_which(
    demo: Client,
) -> None:
    # A point in the river's deepest band: some nearby places lie in flood zones.
    point = "lat=40.79&lon=140.745&limit=10"
    here = {p["hazardType"] for p, g in zones() if g.intersects(__import__("shapely").geometry.Point(140.745, 40.79))}
    assert "flood" in here
    default = (await demo.get(f"/api/facilities/nearest?{point}")).json()
    assert set(default["avoidedHazards"]) == here
    assert {z["hazardType"] for z in default["zonesHere"]} == here
    flood = next(z for z in default["zonesHere"] if z["hazardType"] == "flood")
    assert flood["depthMaxM"] is not None or flood["rankLabel"]
    assert default["excludedInside"] > 0 and default["hazard"] is None
    assert default["features"]
    for f in default["features"]:
        assert not any(inside(h, *f["geometry"]["coordinates"]) for h in here)

    # hazard=any: the former default, every place, none left out.
    every = (await demo.get(f"/api/facilities/nearest?{point}&hazard=any")).json()
    assert every["avoidedHazards"] == [] and every["zonesHere"] == [] and every["excludedInside"] == 0
    assert any(inside("flood", *f["geometry"]["coordinates"]) for f in every["features"])
    # A hazard asked for is the one avoided (and only its suitable places are listed).
    asked = (await demo.get(f"/api/facilities/nearest?{point}&hazard=earthquake")).json()
    assert asked["avoidedHazards"] == ["earthquake"] and asked["zonesHere"] == []


async def test_nearest_outside_every_zone_avoids_nothing(demo: Client) -> None:
    body = (await demo.get("/api/facilities/nearest?lat=40.60&lon=140.40&limit=3")).json()
    assert body["avoidedHazards"] == [] and body["zonesHere"] == [] and body["excludedInside"] == 0


async def test_when_none_of_the_nearest_takes_people_the_nearest_open_shelter_further_away_is_named(
    demo: Client, engine: AsyncEngine
) -> None:
    places = (await demo.get(f"/api/facilities/nearest?{HERE}&hazard=any&limit=8")).json()["features"]
    first, second, third, *_, seventh = (f["id"] for f in places[:7])
    await open_shelters(engine, {first: ("open", 4, 4), second: ("closed", 30, 0), seventh: ("open", 50, 1)})
    answer = (await demo.get(f"/api/facilities/nearest?{HERE}&hazard=any&limit=5")).json()
    assert seventh not in [f["id"] for f in answer["features"]]
    further = answer["nearestOpen"]
    assert further["id"] == seventh
    assert further["properties"]["status"] == {"status": "open", "occupancy": 1, "capacity": 50}
    assert further["properties"]["distanceM"] > answer["features"][-1]["properties"]["distanceM"]

    # Once one of the five takes people, the list says it all.
    await open_shelters(engine, {third: ("open", 20, 2)})
    answer = (await demo.get(f"/api/facilities/nearest?{HERE}&hazard=any&limit=5")).json()
    assert answer["nearestOpen"] is None
