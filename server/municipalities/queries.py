"""Municipalities with their extent and facility counts by kind."""

from __future__ import annotations

from sqlalchemy import Select, func, select

from server.facilities.models import Facility
from server.municipalities.models import Municipality

_kind = func.unnest(Facility.kinds).label("kind")
_counts = (
    select(Facility.municipality_id, _kind, func.count().label("n"))
    .where(Facility.withdrawn_at.is_(None))
    .group_by(Facility.municipality_id, _kind)
    .subquery()
)
_counts_by_municipality = (
    select(_counts.c.municipality_id, func.jsonb_object_agg(_counts.c.kind, _counts.c.n).label("counts"))
    .group_by(_counts.c.municipality_id)
    .subquery()
)


def summaries() -> Select[tuple[object, ...]]:
    return (
        select(
            Municipality.code,
            Municipality.name,
            Municipality.name_kana,
            Municipality.name_en,
            Municipality.prefecture,
            func.ST_XMin(Municipality.bbox).label("west"),
            func.ST_YMin(Municipality.bbox).label("south"),
            func.ST_XMax(Municipality.bbox).label("east"),
            func.ST_YMax(Municipality.bbox).label("north"),
            _counts_by_municipality.c.counts,
        )
        .outerjoin(_counts_by_municipality, _counts_by_municipality.c.municipality_id == Municipality.id)
        .order_by(Municipality.code)
    )
