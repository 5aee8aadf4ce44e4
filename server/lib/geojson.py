"""GeoJSON shapes shared by the features (msgspec structs; geometry never leaves as WKB)."""

from __future__ import annotations

from typing import Literal

import msgspec


class Point(msgspec.Struct):
    coordinates: tuple[float, float]
    type: Literal["Point"] = "Point"


def point(lon: float, lat: float) -> Point:
    return Point((round(lon, 7), round(lat, 7)))
