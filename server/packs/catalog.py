"""GET /api/municipalities: every municipality with its extent, facility counts by kind and newest
offline pack — the list residents choose a pack from. It is answered here, above municipalities,
facilities and packs, because it joins all three."""

from __future__ import annotations

from litestar import Controller, get
from litestar.datastructures import State
from sqlalchemy import Select, func, select

from server.accounts.guards import anyone
from server.facilities.models import Facility
from server.municipalities.models import Municipality
from server.packs.schemas import MunicipalityList, MunicipalitySummary
from server.packs.service import latest_packs, manifest

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


class MunicipalityController(Controller):
    path = "/api/municipalities"
    tags = ["municipalities"]  # noqa: RUF012
    guards = [anyone]  # noqa: RUF012  # public: no personal data

    @get("/", summary="Every municipality: code, names, extent, facility counts by kind")
    async def list_municipalities(self, state: State) -> MunicipalityList:
        async with state.read_engine.connect() as connection:
            rows = (await connection.execute(summaries())).all()
        packs = await latest_packs(state.read_engine)
        return MunicipalityList(
            [
                MunicipalitySummary(
                    code=row.code,
                    name=row.name,
                    name_kana=row.name_kana,
                    name_en=row.name_en,
                    prefecture=row.prefecture,
                    bbox=(row.west, row.south, row.east, row.north) if row.west is not None else None,
                    facility_counts=row.counts or {},
                    pack=manifest(packs[row.code], row.code, row.name) if row.code in packs else None,
                )
                for row in rows
            ]
        )
