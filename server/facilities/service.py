"""Facility reads: paging, one place, nearest suitable places."""

from __future__ import annotations

import base64
import math
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from server.db.fast import fetch
from server.facilities import queries
from server.facilities.models import Facility, FacilityRecord
from server.facilities.schemas import (
    Designation,
    FacilityDetail,
    FacilityDetailProperties,
    FacilityFeature,
    FacilityProperties,
    NearestCollection,
    NearestFeature,
    NearestProperties,
    Origin,
    ShelterStatus,
    ZoneHere,
)
from server.lib.errors import InvalidParameterError, NotFoundError
from server.lib.geojson import point
from server.municipalities.models import Municipality

WALKING_M_PER_MIN = 4000 / 60  # 4 km/h
MAX_SCAN = 10_000  # candidates looked at, at most, before answering with fewer places
SHELTER_KINDS = ("designated_shelter", "welfare_shelter", "emergency_site", "tsunami_building", "wide_area_site")
NEAREST_NOTE = (
    "Distances are straight lines on the sphere and walking times assume 4 km/h along them; "
    "real routes are longer. Without a hazard, places inside the hazard zones at the origin are "
    "left out (hazard=any: none). A shelter open in the current event carries its live status."
)
#: hazard=any: no hazard filter (places in any zone are listed, unflagged).
ANY_HAZARD = "any"


_FIELDS = ("municipality", "kinds", "name", "name_kana", "name_en", "address", "capacity", "capacity_text")


def _properties(row: Mapping[Any, Any]) -> dict[str, Any]:
    """Feature properties from a row of queries.COLUMNS (a SQLAlchemy mapping or asyncpg record)."""
    properties = {name: row[name] for name in _FIELDS}
    properties["id"] = str(row["id"])
    properties["suitable_hazards"] = row["suitable_hazards"]
    properties["source_ids"] = row["source_ids"]
    properties["withdrawn"] = row["withdrawn_at"] is not None
    properties["names"] = row["names"] or [row["name"]]
    properties["target_groups"] = row["target_groups"]
    return properties


# What a record's own values replace in a feature looked up by its source id.
_OWN = ("kinds", "name", "name_kana", "name_en", "address", "capacity", "capacity_text", "suitable_hazards")


def record_feature(row: Mapping[Any, Any]) -> FacilityFeature:
    """The facility holding a record, as that record describes it: its own name, point,
    designation and hazard flags (a place of several records keeps its id, names and source ids)."""
    properties = _properties(row)
    properties.update({name: row[f"record_{name}"] for name in _OWN})
    properties["target_groups"] = row["record_target_groups"]
    properties["withdrawn"] = row["record_withdrawn_at"] is not None
    geometry = point(row["record_lon"], row["record_lat"])
    return FacilityFeature(str(row["id"]), geometry, FacilityProperties(**properties))


def designation(row: Mapping[Any, Any]) -> Designation:
    return Designation(
        source_id=row["source_id"],
        kinds=row["kinds"],
        name=row["name"],
        name_kana=row["name_kana"],
        address=row["address"],
        geometry=point(row["lon"], row["lat"]),
        suitable_hazards=row["suitable_hazards"],
        target_groups=row["target_groups"],
        target_other=row["target_other"],
        withdrawn=row["withdrawn_at"] is not None,
    )


def to_feature(row: Mapping[Any, Any]) -> FacilityFeature:
    return FacilityFeature(str(row["id"]), point(row["lon"], row["lat"]), FacilityProperties(**_properties(row)))


def encode_cursor(last: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(last.bytes).decode().rstrip("=")


def decode_cursor(cursor: str) -> uuid.UUID:
    try:
        return uuid.UUID(bytes=base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        raise InvalidParameterError(
            "cursor", "not a cursor this API gave out", "the nextCursor of a previous page"
        ) from None


@dataclass(frozen=True)
class FacilityFilter:
    municipality: str | None = None
    kind: str | None = None
    hazard: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    source_id: str | None = None
    include_withdrawn: bool = False


async def page(
    connection: AsyncConnection, where: FacilityFilter, limit: int, after: uuid.UUID | None
) -> tuple[list[FacilityFeature], uuid.UUID | None]:
    """One page in id order (UUIDv7: creation order, stable under inserts); returns the features
    and the id to continue after, or None on the last page."""
    by_record = where.source_id is not None
    statement = (queries.by_source_id() if by_record else queries.facilities()).order_by(Facility.id).limit(limit + 1)
    if where.municipality:
        statement = statement.where(Municipality.code == where.municipality)
    if where.kind:
        statement = statement.where(Facility.kinds.contains([where.kind]))
    if where.hazard:
        statement = statement.where(Facility.suitable_hazards.contains([where.hazard]))
    if where.bbox:
        statement = statement.where(func.ST_Intersects(Facility.geom, func.ST_MakeEnvelope(*where.bbox, 4326)))
    if where.source_id:
        statement = statement.where(FacilityRecord.source_id == where.source_id)
    # Withdrawn places are hidden from residents, but a source id still finds its record.
    if not (where.include_withdrawn or where.source_id):
        statement = statement.where(Facility.withdrawn_at.is_(None))
    if after is not None:
        statement = statement.where(Facility.id > after)
    rows = (await connection.execute(statement)).all()
    features = [(record_feature if by_record else to_feature)(row._mapping) for row in rows[:limit]]
    return features, (rows[limit - 1].id if len(rows) > limit else None)


# How a facility's shelter status now is found: given by the shelters feature, which sits above
# facilities (create_app provides it as the dependency ``status_of``).
StatusOf = Callable[[AsyncConnection, uuid.UUID], Awaitable[ShelterStatus | None]]
# The same for many facilities at once (those not operated now are absent from the answer).
StatusesOf = Callable[[AsyncConnection, list[uuid.UUID]], Awaitable[dict[uuid.UUID, ShelterStatus]]]
# The facilities operated as shelters in an open event (their fill status comes with StatusesOf).
OpenShelters = Callable[[asyncpg.Pool], Awaitable[list[uuid.UUID]]]
# Walking distances along the roads for an answer's places, reordered by them: given by the roads
# feature, which sits above facilities (create_app provides it as ``with_walking``).
WithWalking = Callable[[asyncpg.Pool, float, float, NearestCollection], Awaitable[None]]
TAKING_PEOPLE = ("open", "crowded")


async def one(connection: AsyncConnection, facility_id: str, status_of: StatusOf) -> FacilityDetail:
    try:
        key = uuid.UUID(facility_id)
    except ValueError:
        raise NotFoundError(f"no facility with id {facility_id!r} (ids are UUIDs)") from None
    row = (await connection.execute(queries.detail(), {"id": key})).one_or_none()
    if row is None:
        raise NotFoundError(f"no facility with id {facility_id}")
    status = await status_of(connection, key)
    designations = [designation(r._mapping) for r in await connection.execute(queries.records(), {"id": key})]
    properties = FacilityDetailProperties(
        **_properties(row._mapping), attributes=row.attributes, status=status, designations=designations
    )
    return FacilityDetail(str(row.id), point(row.lon, row.lat), properties)


async def nearest(
    pool: asyncpg.Pool,
    lat: float,
    lon: float,
    hazard: str | None,
    kinds: list[str],
    limit: int,
    include_inside: bool,
    among: list[uuid.UUID] | None = None,
) -> NearestCollection:
    """The ``limit`` nearest places of ``kinds`` suitable for ``hazard``. Places inside a zone of
    that hazard are left out (and counted) unless ``include_inside``. Without a hazard, the
    hazards avoided are those whose zones contain the origin (a resident in a flood zone is not
    sent to a place in a flood zone); ``ANY_HAZARD`` avoids none. With ``among``, only those
    facilities are considered."""
    zones_here: list[ZoneHere] = []
    if hazard is None:
        zones = await fetch(pool, queries.ZONES_HERE, lat=lat, lon=lon)
        zones_here = [ZoneHere(z["hazard_type"], z["rank_label"], z["depth_min_m"], z["depth_max_m"]) for z in zones]
        avoid = list(dict.fromkeys(z.hazard_type for z in zones_here))
    else:
        avoid = [] if hazard == ANY_HAZARD else [hazard]
    suitable_for = None if hazard in (None, ANY_HAZARD) else hazard
    scan = limit * 2 + 5  # enough where half the places nearby lie in the zone; widened below if not
    while True:
        rows = await fetch(
            pool,
            queries.nearest(scan, suitable_for is not None, among is not None),
            lat=lat,
            lon=lon,
            hazard=suitable_for,
            kinds=kinds,
            avoid=avoid,
            among=among,
        )
        chosen: list[NearestFeature] = []
        excluded = 0
        # Exact sphere order; the Mercator KNN order differs at most among near-ties.
        for row in sorted(rows, key=lambda r: r["distance"]):
            if row["inside"] and not include_inside:
                excluded += 1
                continue
            distance = row["distance"]
            properties = NearestProperties(
                **_properties(row),
                distance_m=round(distance, 1),
                walking_minutes=math.ceil(distance / WALKING_M_PER_MIN),
                inside_hazard_zone=row["inside"],
            )
            chosen.append(NearestFeature(str(row["id"]), point(row["lon"], row["lat"]), properties))
            if len(chosen) == limit:
                break
        # Where most places nearby lie in the zone, look further rather than answer short.
        if len(chosen) == limit or len(rows) < scan or scan >= MAX_SCAN:
            break
        scan *= 4
    return NearestCollection(
        features=chosen,
        origin=Origin(lat, lon),
        hazard=None if hazard == ANY_HAZARD else hazard,
        excluded_inside=excluded,
        distance_method="straight_line",
        note=NEAREST_NOTE,
        avoided_hazards=avoid,
        zones_here=zones_here,
        live_status=True,
    )


async def with_status(
    connection: AsyncConnection, answer: NearestCollection, statuses_of: StatusesOf
) -> NearestCollection:
    """The answer with the live status of each place operated as a shelter in an open event."""
    found = await statuses_of(connection, [uuid.UUID(f.id) for f in answer.features])
    for feature in answer.features:
        feature.properties.status = found.get(uuid.UUID(feature.id))
    return answer


async def with_nearest_open(
    pool: asyncpg.Pool,
    engine: AsyncEngine,
    answer: NearestCollection,
    asked: tuple[str | None, list[str], bool],
    statuses_of: StatusesOf,
    open_shelters: OpenShelters,
) -> NearestCollection:
    """The answer with the live status of its places and, when none of them takes people now but
    a shelter elsewhere does, the nearest such shelter away from the same hazards (``asked``: the
    hazard, kinds and include_inside of the request): the five nearest may all be closed or full."""
    operated = await open_shelters(pool)
    if not operated:  # no disaster now: no status to tell
        return answer
    async with engine.connect() as connection:
        return await _with_nearest_open(pool, connection, answer, asked, statuses_of, operated)


async def _with_nearest_open(
    pool: asyncpg.Pool,
    connection: AsyncConnection,
    answer: NearestCollection,
    asked: tuple[str | None, list[str], bool],
    statuses_of: StatusesOf,
    operated: list[uuid.UUID],
) -> NearestCollection:
    answer = await with_status(connection, answer, statuses_of)
    if any(f.properties.status and f.properties.status.status in TAKING_PEOPLE for f in answer.features):
        return answer
    hazard, kinds, include_inside = asked
    origin = answer.origin
    # The nearest few operated ones: the nearest of them may be full or closed.
    found = await nearest(pool, origin.lat, origin.lon, hazard, kinds, 10, include_inside, among=operated)
    found = await with_status(connection, found, statuses_of)
    answer.nearest_open = next(
        (f for f in found.features if f.properties.status and f.properties.status.status in TAKING_PEOPLE), None
    )
    return answer
