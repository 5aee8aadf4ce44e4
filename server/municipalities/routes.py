"""GET /api/municipalities."""

from __future__ import annotations

from litestar import Controller, get
from litestar.datastructures import State

from server.accounts.guards import anyone
from server.municipalities.queries import summaries
from server.municipalities.schemas import MunicipalityList, MunicipalitySummary
from server.packs.service import latest_packs, manifest


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
