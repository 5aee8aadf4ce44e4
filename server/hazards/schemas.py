from __future__ import annotations

import msgspec


class HazardAtPoint(msgspec.Struct, rename="camel"):
    hazard_type: str
    rank_code: str | None
    rank_label: str | None
    depth_min_m: float | None
    depth_max_m: float | None
    source: str
    municipality: str | None
    zone_id: str
    # "forecast": a zone that may be flooded (a hazard map); "history": a place that was
    # (flood_history), with when: the date when the source gives the day, and the year.
    basis: str = "forecast"
    date: str | None = None
    year: int | None = None


class HazardsAt(msgspec.Struct):
    lat: float
    lon: float
    zones: list[HazardAtPoint]
    note: str | None
