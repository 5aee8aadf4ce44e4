"""GET /api/routes: a walking route as a GeoJSON Feature."""

from __future__ import annotations

from typing import Literal

import msgspec

#: Walking profiles and their speeds in m/s (宮城県津波対策ガイドライン; 消防庁 津波対策推進マニュアル:
#: 1.0 m/s for an adult, 0.5 m/s for the elderly or people with care needs; a wheelchair is taken
#: at the care-needs speed and never on steps).
PROFILES = {"adult": 1.0, "elderly": 0.5, "wheelchair": 0.5}
#: At night people walk slower (same sources): speeds × 0.8.
NIGHT_FACTOR = 0.8
MANEUVERS = (
    "depart",
    "straight",
    "slightLeft",
    "left",
    "sharpLeft",
    "slightRight",
    "right",
    "sharpRight",
    "uturn",
    "arrive",
)


class LineString(msgspec.Struct):
    coordinates: list[tuple[float, float]]
    type: Literal["LineString"] = "LineString"


class RouteStep(msgspec.Struct, rename="camel"):
    """One instruction: where to turn and how far to walk after it."""

    maneuver: str
    #: The street walked after the turn (its name, or what kind of way it is when it has none).
    name: str
    distance_m: float
    location: tuple[float, float]  # lon, lat of the turn
    #: The instruction in Japanese, to show or read aloud.
    text: str


class RouteDestination(msgspec.Struct, rename="camel"):
    """Where the route ends: a facility (its id and name) or the point asked for."""

    lat: float
    lon: float
    facility_id: str | None = None
    name: str | None = None


class RouteProperties(msgspec.Struct, rename="camel"):
    length_m: float
    minutes: float
    profile: str
    night: bool
    speed_m_per_s: float
    #: The hazard whose zones the route avoids (None: no hazard asked for).
    hazard: str | None
    #: Metres of the route inside a zone of that hazard: 0 when avoided.
    inside_zone_m: float
    #: Whether the route stays out of every zone of the hazard; when no route can, the least
    #: exposed one is given with a warning.
    avoids_zone: bool
    warning: str | None
    destination: RouteDestination
    steps: list[RouteStep]
    #: Metres from the points asked for to where the route meets the network.
    snap_m: tuple[float, float]


class RouteFeature(msgspec.Struct):
    geometry: LineString
    properties: RouteProperties
    type: Literal["Feature"] = "Feature"
