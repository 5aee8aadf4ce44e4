"""Point-in-polygon against the subdivided zone parts (small polygons: fast tests)."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select

from server.db.fast import Compiled
from server.hazards.models import HazardZone, HazardZonePart
from server.municipalities.models import Municipality

_point = func.ST_SetSRID(func.ST_MakePoint(bindparam("lon"), bindparam("lat")), 4326)

AT_POINT = Compiled(
    select(
        HazardZone.id,
        HazardZone.hazard_type,
        HazardZone.rank_code,
        HazardZone.rank_label,
        HazardZone.depth_min_m,
        HazardZone.depth_max_m,
        HazardZone.source,
        Municipality.code.label("municipality"),
        # A past inundation's date and year (flood_history), kept in its attributes by the importer.
        HazardZone.attributes["date"].astext.label("date"),
        HazardZone.attributes["year"].astext.label("year"),
    )
    .outerjoin(Municipality, Municipality.id == HazardZone.municipality_id)
    .where(HazardZone.id.in_(select(HazardZonePart.zone_id).where(func.ST_Intersects(HazardZonePart.geom, _point))))
    .order_by(HazardZone.hazard_type, HazardZone.depth_max_m.desc().nulls_first(), HazardZone.rank_code)
)
