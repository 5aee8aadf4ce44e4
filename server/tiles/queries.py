"""Mapbox Vector Tiles straight from PostGIS: ST_TileEnvelope → ST_AsMVTGeom → ST_AsMVT.

Geometry is clipped to the tile (plus a buffer) in WGS84, projected, simplified to the tile's
pixel size and quantised to a 4096 grid, so a tile carries no more detail than it can show.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, LargeBinary, Select, Text, bindparam, case, cast, func, literal, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.sql import Subquery

from geo.layers import LAYER_MIN_ZOOM
from server.db.fast import Compiled
from server.facilities.models import Facility
from server.hazards.models import HazardZone
from server.municipalities.models import Municipality
from server.roads.models import RoadEdge
from server.shelters.models import DisasterEvent, ShelterOperation

EXTENT = 4096
BUFFER = 64
WORLD_M = 40075016.686  # width of the Web Mercator world


_envelope = func.ST_TileEnvelope(bindparam("z"), bindparam("x"), bindparam("y"))
_pixel_m = literal(WORLD_M / EXTENT) / func.power(2, bindparam("z"))
_clip = func.ST_Transform(func.ST_Expand(_envelope, _pixel_m * BUFFER), 4326)


def _mvt_area(geom: Any) -> ColumnElement[object]:
    """An area cut to the tile first (a huge polygon is never projected whole), then projected
    and simplified to half a pixel."""
    projected = func.ST_Transform(func.ST_ClipByBox2D(geom, func.Box2D(_clip)), 3857)
    return _mvt(func.ST_SimplifyPreserveTopology(projected, _pixel_m / 2))


def _mvt(geom_3857: Any) -> ColumnElement[object]:
    return func.ST_AsMVTGeom(geom_3857, _envelope, EXTENT, BUFFER, True)


def _layer(name: str, rows: Select[*tuple[Any, ...]]) -> ColumnElement[bytes]:
    # ``rows`` are ordered: a tile is the same bytes whatever plan reads them (an offline pack holds
    # exactly the tiles /tiles serves, and a plan changes when statistics do).
    sub: Subquery = rows.subquery(name)
    mvt = select(func.ST_AsMVT(sub.table_valued(), name, EXTENT, "geom")).select_from(sub).scalar_subquery()
    return func.coalesce(mvt, cast(literal(b""), LargeBinary))


def _boundaries() -> ColumnElement[bytes]:
    return _layer(
        "boundaries",
        select(
            _mvt_area(Municipality.boundary).label("geom"),
            Municipality.code,
            Municipality.name,
        )
        .where(Municipality.boundary.op("&&")(_clip))
        .order_by(Municipality.code),
    )


def _roads() -> ColumnElement[bytes]:
    """Walkable roads of the classes drawn at this zoom (geo.layers.ROAD_MIN_ZOOM), simplified to
    half a pixel."""
    projected = func.ST_Simplify(func.ST_Transform(RoadEdge.geom, 3857), _pixel_m / 2)
    return _layer(
        "roads",
        select(
            _mvt(projected).label("geom"),
            RoadEdge.road_class.label("class"),
            RoadEdge.name,
            RoadEdge.bridge,
            RoadEdge.tunnel,
        )
        .where(RoadEdge.geom.op("&&")(_clip), RoadEdge.minzoom <= bindparam("z"))
        .order_by(RoadEdge.id),
    )


def _hazards() -> ColumnElement[bytes]:
    return _layer(
        "hazards",
        select(
            _mvt_area(HazardZone.geom).label("geom"),
            HazardZone.hazard_type.label("hazardType"),
            HazardZone.rank_code.label("rankCode"),
            HazardZone.rank_label.label("rankLabel"),
            HazardZone.depth_min_m.label("depthMinM"),
            HazardZone.depth_max_m.label("depthMaxM"),
        )
        .where(HazardZone.geom.op("&&")(_clip))
        .order_by(HazardZone.id),
    )


def _operations() -> Subquery:
    """Each facility's shelter in the newest open event: open or closed, and its capacity.

    Only what changes when a shelter opens, closes or changes capacity: triggers bump the data
    version on those changes (migration 0013), so a cached tile is never older than them. How full
    a shelter is changes with every check-in and stays out of tiles (it would empty the tile cache
    at every scan at a busy door): the app reads it from GET /api/shelters/open and the nearest
    answer."""
    return (
        select(ShelterOperation.facility_id, ShelterOperation.status, ShelterOperation.capacity)
        .join(DisasterEvent, DisasterEvent.id == ShelterOperation.event_id)
        .where(DisasterEvent.status == "open")
        .ext(distinct_on(ShelterOperation.facility_id))
        .order_by(ShelterOperation.facility_id, ShelterOperation.opened_at.desc())
        .subquery("operation")
    )


def _facilities(live: bool) -> ColumnElement[bytes]:
    operation = _operations()
    # One capacity: the operating one while the shelter is open.
    capacity = (
        case(
            (operation.c.status == "open", func.coalesce(operation.c.capacity, Facility.capacity)),
            else_=Facility.capacity,
        )
        if live
        else Facility.capacity
    )
    rows = select(
        _mvt(Facility.merc).label("geom"),  # stored already projected
        cast(Facility.id, Text).label("id"),
        Facility.kinds[1].label("kind"),
        func.array_to_string(Facility.kinds, ",").label("kinds"),
        Facility.name,
        # A place written without its records (bench data) has no names: its name stands for them.
        func.coalesce(func.nullif(func.array_to_string(Facility.names, "\n"), ""), Facility.name).label("names"),
        Facility.name_kana.label("nameKana"),
        Facility.name_en.label("nameEn"),
        Facility.address,
        capacity.label("capacity"),
        func.array_to_string(Facility.suitable_hazards, ",").label("suitableHazards"),
    ).where(Facility.geom.op("&&")(_clip), Facility.withdrawn_at.is_(None))
    rows = rows.order_by(Facility.id)
    if live:
        rows = rows.add_columns(operation.c.status.label("status")).outerjoin(
            operation, operation.c.facility_id == Facility.id
        )
    return _layer("facilities", rows)


@lru_cache(maxsize=16)
def tile(with_hazards: bool, with_facilities: bool, live: bool = True, with_roads: bool = False) -> Compiled:
    """The whole tile as one bytea: the layers' MVT blobs concatenated (a valid MVT). ``live``
    adds the shelters' status in the current event (never in offline packs: it would go stale)."""
    blob = _boundaries()
    if with_roads:
        blob = blob.op("||")(_roads())
    if with_hazards:
        blob = blob.op("||")(_hazards())
    if with_facilities:
        blob = blob.op("||")(_facilities(live))
    return Compiled(select(blob.label("mvt")))


def for_zoom(z: int, live: bool = True) -> Compiled:
    return tile(z >= LAYER_MIN_ZOOM["hazards"], z >= LAYER_MIN_ZOOM["facilities"], live, z >= LAYER_MIN_ZOOM["roads"])
