"""Spatial SQL for facilities, as GeoAlchemy2/SQLAlchemy expressions built once."""

from __future__ import annotations

from functools import lru_cache

from geoalchemy2 import Geography
from sqlalchemy import ARRAY, Select, String, any_, bindparam, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.sql.elements import ColumnElement

from geo.kinds import HISTORY_TYPES
from server.db.fast import Compiled
from server.facilities.models import Facility, FacilityRecord
from server.hazards.models import HazardZone, HazardZonePart
from server.municipalities.models import Municipality

COLUMNS = (
    Facility.id,
    Municipality.code.label("municipality"),
    Facility.kinds,
    Facility.name,
    Facility.name_kana,
    Facility.name_en,
    Facility.address,
    Facility.capacity,
    Facility.capacity_text,
    Facility.suitable_hazards,
    Facility.source_ids,
    Facility.withdrawn_at,
    Facility.names,
    Facility.target_groups,
    func.ST_X(Facility.geom).label("lon"),
    func.ST_Y(Facility.geom).label("lat"),
)


def facilities() -> Select[tuple[object, ...]]:
    """All facilities with what a Feature shows, joined to their municipality's code."""
    return select(*COLUMNS).join(Municipality, Municipality.id == Facility.municipality_id)


def detail() -> Select[tuple[object, ...]]:
    return facilities().add_columns(Facility.attributes).where(Facility.id == bindparam("id"))


#: A record's own values, which answer a look-up by its source id in place of the facility's.
RECORD_COLUMNS = (
    FacilityRecord.source_id,
    FacilityRecord.kinds,
    FacilityRecord.name,
    FacilityRecord.name_kana,
    FacilityRecord.name_en,
    FacilityRecord.address,
    FacilityRecord.capacity,
    FacilityRecord.capacity_text,
    FacilityRecord.suitable_hazards,
    FacilityRecord.target_groups,
    FacilityRecord.target_other,
    FacilityRecord.withdrawn_at,
    func.ST_X(FacilityRecord.geom).label("lon"),
    func.ST_Y(FacilityRecord.geom).label("lat"),
)


def records() -> Select[tuple[object, ...]]:
    """A facility's records: live first, in the order the place shows them."""
    return (
        select(*RECORD_COLUMNS)
        .where(FacilityRecord.facility_id == bindparam("id"))
        .order_by(FacilityRecord.withdrawn_at.is_not(None), FacilityRecord.created_at, FacilityRecord.id)
    )


def by_source_id() -> Select[tuple[object, ...]]:
    """Facilities with the record of that source id, the record's own values beside them."""
    own = [c.label(f"record_{c.key}") for c in RECORD_COLUMNS]
    return facilities().add_columns(*own).join(FacilityRecord, FacilityRecord.facility_id == Facility.id)


_point = func.ST_SetSRID(func.ST_MakePoint(bindparam("lon"), bindparam("lat")), 4326)
_origin = cast(_point, Geography(srid=4326))


#: The hazard zones containing the origin (the hazards "nearest" avoids by default), deepest first.
#: Forecasts only: a past inundation (flood_history) tells of the place, it rules no shelter out.
ZONES_HERE = Compiled(
    select(HazardZone.hazard_type, HazardZone.rank_label, HazardZone.depth_min_m, HazardZone.depth_max_m)
    .where(
        HazardZone.id.in_(select(HazardZonePart.zone_id).where(func.ST_Intersects(HazardZonePart.geom, _point))),
        # Literals, not an expanding bind: a Compiled statement is compiled once, without them.
        HazardZone.hazard_type.not_in([literal_column(f"'{t}'") for t in HISTORY_TYPES]),
    )
    .order_by(HazardZone.hazard_type, HazardZone.depth_max_m.desc().nulls_first(), HazardZone.rank_code)
)


def _suitable(with_hazard: bool) -> list[ColumnElement[bool]]:
    """Live places of the kinds asked for (and suitable for the hazard), written so that a planner
    without statistics (a table just loaded, before ANALYZE or autovacuum) does not take the
    conditions for rare. Its defaults for ``IS NULL`` and ``&&`` are 0.5 %: it then preferred a
    bitmap scan of the kinds index and a sort of every match to the KNN index (27 req/s instead of
    1,701, STACK.md). As function calls and a coalesce, it guesses a third or a half, and no index
    but the KNN one serves them."""
    conditions: list[ColumnElement[bool]] = [
        func.coalesce(Facility.withdrawn_at.is_(None), literal_column("true")),
        func.arrayoverlap(Facility.kinds, bindparam("kinds", type_=ARRAY(String))),
    ]
    if with_hazard:
        conditions.append(
            func.coalesce(func.array_position(Facility.suitable_hazards, bindparam("hazard", type_=String)) > 0, False)
        )
    return conditions


@lru_cache(maxsize=256)
def nearest(scan: int, with_hazard: bool, among: bool = False) -> Compiled:
    """The ``scan`` nearest facilities of the given kinds (suitable for ``hazard`` if given), each
    with its distance on the sphere and whether it lies in a zone of one of the hazards ``avoid``
    (an array: the hazard asked for, or the hazards at the origin). About nearest first: the caller
    sorts by that distance.

    KNN runs on the Web Mercator twin (conformal: locally the same order as metres, and a far
    faster index than geography's). Whether a place lies in a zone is the trigger-kept
    ``inside_hazards``, so the caller can skip and count those places without polygon tests. The
    limit is a literal: a bound limit lets PostgreSQL's generic plan pick a sequential scan
    (STACK.md). With ``among``, only the facilities of the array ``among`` (e.g. the shelters open
    now) are considered.
    """
    inside = Facility.inside_hazards.overlap(bindparam("avoid", type_=ARRAY(String)))
    conditions = _suitable(with_hazard)
    if among:
        conditions.append(Facility.id == any_(bindparam("among", type_=ARRAY(PG_UUID(as_uuid=True)))))
    statement = (
        facilities()
        .add_columns(func.ST_Distance(Facility.geog, _origin, False).label("distance"), inside.label("inside"))
        .where(*conditions)
        .order_by(Facility.merc.op("<->")(func.ST_Transform(_point, 3857)))
        .limit(literal_column(str(scan)))
    )
    return Compiled(statement)
