"""The core model's rules hold in the database itself, whatever path writes to it."""

from __future__ import annotations

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.db.engine import session_factory
from server.facilities.models import Facility
from server.hazards.models import HazardZone
from server.municipalities.models import Municipality


def a_municipality(code: str = "022012") -> Municipality:
    return Municipality(code=code, name="青森市", name_kana="あおもりし", prefecture="青森県")


async def test_municipality_code_check_digit_is_validated_in_python() -> None:
    with pytest.raises(ValueError, match="check digit should be 2"):
        a_municipality("022011")


@pytest.mark.parametrize("code", ["022011", "02201", "o22012", "131015"])
async def test_database_rejects_a_code_with_a_wrong_check_digit(engine: AsyncEngine, code: str) -> None:
    async with engine.connect() as connection:
        with pytest.raises(IntegrityError, match="ck_municipality_code_check_digit"):
            await connection.execute(
                text("INSERT INTO municipality (id, code, name, prefecture) VALUES (gen_random_uuid(), :c, 'x', 'y')"),
                {"c": code},
            )


@pytest.mark.parametrize("code", ["022012", "022055", "012114", "131016", "012050", "012131", "029998"])
async def test_database_accepts_real_codes(engine: AsyncEngine, code: str) -> None:
    async with session_factory(engine)() as session, session.begin():
        session.add(a_municipality(code))


async def _with_facility(session: AsyncSession, **fields: object) -> Facility:
    town = a_municipality()
    session.add(town)
    await session.flush()
    values: dict[str, object] = {
        "municipality_id": town.id,
        "kinds": ["designated_shelter"],
        "name": "中央小学校",
        "geom": from_shape(Point(140.74, 40.82), srid=4326),
    }
    values.update(fields)
    facility = Facility(**values)
    session.add(facility)
    await session.flush()
    return facility


async def test_facility_distance_in_metres_comes_from_the_geography_column(engine: AsyncEngine) -> None:
    async with session_factory(engine)() as session, session.begin():
        facility = await _with_facility(session)
        # 0.01° of latitude is about 1.11 km anywhere.
        here = func.ST_GeogFromText("SRID=4326;POINT(140.74 40.83)")
        metres = await session.scalar(select(func.ST_Distance(Facility.geog, here)).where(Facility.id == facility.id))
    assert metres == pytest.approx(1111, abs=3)
    assert str(facility.id)[14] == "7"  # UUIDv7


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"kinds": ["school"]}, "ck_facility_kinds_known"),
        ({"kinds": []}, "ck_facility_kinds_known"),
        ({"suitable_hazards": ["meteor"]}, "ck_facility_hazards_known"),
        ({"capacity": -1}, "ck_facility_capacity_not_negative"),
    ],
)
async def test_facility_rejects_unknown_vocabulary(
    engine: AsyncEngine, fields: dict[str, object], constraint: str
) -> None:
    async with session_factory(engine)() as session:
        with pytest.raises(IntegrityError, match=constraint):
            await _with_facility(session, **fields)


async def test_a_place_can_hold_several_designations_and_source_ids(engine: AsyncEngine) -> None:
    async with session_factory(engine)() as session, session.begin():
        await _with_facility(
            session,
            kinds=["designated_shelter", "emergency_site"],
            suitable_hazards=["flood", "earthquake"],
            source_ids=["E022010000111", "E022010000120"],
        )
    async with session_factory(engine)() as session:
        found = await session.scalar(select(Facility).where(Facility.source_ids.contains(["E022010000120"])))
    assert found is not None
    assert found.kinds == ["designated_shelter", "emergency_site"]


async def test_hazard_zone_requires_a_known_type_and_an_ordered_depth_band(engine: AsyncEngine) -> None:
    square = "SRID=4326;MULTIPOLYGON(((140.7 40.8,140.71 40.8,140.71 40.81,140.7 40.81,140.7 40.8)))"
    async with session_factory(engine)() as session:
        session.add(HazardZone(hazard_type="flood", depth_min_m=3.0, depth_max_m=0.5, geom=square, source="t"))
        with pytest.raises(IntegrityError, match="ck_hazard_zone_depth_band_ordered"):
            await session.flush()
    async with session_factory(engine)() as session:
        session.add(HazardZone(hazard_type="asteroid", geom=square, source="t"))
        with pytest.raises(IntegrityError, match="ck_hazard_zone_hazard_type_known"):
            await session.flush()


async def test_inside_hazards_follows_zones_and_places_whatever_writes_them(engine: AsyncEngine) -> None:
    square = "SRID=4326;MULTIPOLYGON((({x0} 40.8,{x1} 40.8,{x1} 40.9,{x0} 40.9,{x0} 40.8)))"
    east, west = square.format(x0=140.7, x1=140.8), square.format(x0=140.5, x1=140.6)

    async def inside(session: AsyncSession, facility: Facility) -> list[str]:
        value = await session.scalar(select(Facility.inside_hazards).where(Facility.id == facility.id))
        return list(value or [])

    async with session_factory(engine)() as session, session.begin():
        facility = await _with_facility(session)  # at 140.74, 40.82
        assert await inside(session, facility) == []
        flood = HazardZone(hazard_type="flood", geom=east, source="t")
        session.add_all([flood, HazardZone(hazard_type="tsunami", geom=east, source="t")])
        await session.flush()
        assert await inside(session, facility) == ["flood", "tsunami"]
        # The zone is redrawn away from the place.
        await session.execute(update(HazardZone).where(HazardZone.id == flood.id).values(geom=west))
        assert await inside(session, facility) == ["tsunami"]
        await session.execute(text("DELETE FROM hazard_zone WHERE hazard_type = 'tsunami'"))  # parts go by cascade
        assert await inside(session, facility) == []
        facility.geom = from_shape(Point(140.55, 40.85), srid=4326)  # the place moves into the redrawn zone
        await session.flush()
        assert await inside(session, facility) == ["flood"]
        newcomer = Facility(
            municipality_id=facility.municipality_id,
            kinds=["aed"],
            name="AED",
            geom=from_shape(Point(140.56, 40.86), srid=4326),
        )
        session.add(newcomer)
        await session.flush()
        assert await inside(session, newcomer) == ["flood"]
