"""GET /api/hazards/at: what is the risk at my home."""

from __future__ import annotations

from litestar import Controller, get
from litestar.datastructures import State
from litestar.params import FromQuery

from geo.kinds import HISTORY_TYPES
from server.accounts.guards import anyone
from server.db.fast import fetch
from server.hazards.queries import AT_POINT
from server.hazards.schemas import HazardAtPoint, HazardsAt
from server.lib import params

NO_HAZARD_NOTE = (
    "No mapped hazard zone contains this point. Hazard maps cover only the hazards and areas the "
    "municipality has published, so this does not mean the place is safe."
)


def _year(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


class HazardController(Controller):
    path = "/api/hazards"
    tags = ["hazards"]  # noqa: RUF012
    guards = [anyone]  # noqa: RUF012  # public: no personal data

    @get("/at", summary="Every hazard zone containing a point")
    async def at(self, state: State, lat: FromQuery[str | None] = None, lon: FromQuery[str | None] = None) -> HazardsAt:
        latitude, longitude = params.latitude(lat), params.longitude(lon)
        rows = await fetch(state.fast_pool, AT_POINT, lat=latitude, lon=longitude)
        zones = [
            HazardAtPoint(
                hazard_type=row["hazard_type"],
                rank_code=row["rank_code"],
                rank_label=row["rank_label"],
                depth_min_m=row["depth_min_m"],
                depth_max_m=row["depth_max_m"],
                source=row["source"],
                municipality=row["municipality"],
                zone_id=str(row["id"]),
                # A past inundation is answered as what happened here (when), not as a forecast.
                basis="history" if row["hazard_type"] in HISTORY_TYPES else "forecast",
                date=row["date"],
                year=_year(row["year"]),
            )
            for row in rows
        ]
        return HazardsAt(latitude, longitude, zones, None if zones else NO_HAZARD_NOTE)
