"""What the API says about facilities (GeoJSON Features, camelCase properties)."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from server.lib.geojson import Point


class ShelterStatus(msgspec.Struct, rename="camel"):
    """Live operation of a shelter in the current event; filled by the shelter-operation feature.
    ``status`` is one of the shelters' fill statuses (open, crowded, full, closed), ``occupancy``
    the people inside now and ``capacity`` the operating capacity (the one to show while open)."""

    status: str
    occupancy: int | None = None
    capacity: int | None = None


class FacilityProperties(msgspec.Struct, rename="camel"):
    id: str
    municipality: str
    kinds: list[str]
    name: str
    name_kana: str | None
    name_en: str | None
    address: str | None
    capacity: int | None
    capacity_text: str | None
    suitable_hazards: list[str]
    source_ids: list[str]
    withdrawn: bool
    #: Every name of the place's records, its own first (a place of several records has several).
    names: list[str]
    #: Who its welfare-shelter records take in (geo.kinds.TARGET_GROUPS; TARGET_NEEDS says which
    #: care needs of a household match each).
    target_groups: list[str]
    status: ShelterStatus | None = None


class Designation(msgspec.Struct, rename="camel"):
    """One source record of a place, as published: its own id, designation, name and point; and
    for a welfare shelter, who it takes in (``targetGroups``, and ``targetOther``: the text of
    受入対象者 outside that vocabulary)."""

    source_id: str
    kinds: list[str]
    name: str
    name_kana: str | None
    address: str | None
    geometry: Point
    suitable_hazards: list[str]
    target_groups: list[str]
    target_other: list[str]
    withdrawn: bool


class FacilityDetailProperties(FacilityProperties, rename="camel"):
    attributes: dict[str, Any] = msgspec.field(default_factory=dict)
    #: The place's records, live ones first (preferred designation first), withdrawn ones after.
    designations: list[Designation] = msgspec.field(default_factory=list)


class FacilityFeature(msgspec.Struct):
    id: str
    geometry: Point
    properties: FacilityProperties
    type: Literal["Feature"] = "Feature"


class FacilityDetail(msgspec.Struct):
    id: str
    geometry: Point
    properties: FacilityDetailProperties
    type: Literal["Feature"] = "Feature"


class Link(msgspec.Struct):
    rel: str
    href: str
    type: str = "application/geo+json"


class FacilityCollection(msgspec.Struct, rename="camel"):
    features: list[FacilityFeature]
    number_returned: int
    next_cursor: str | None
    links: list[Link]
    type: Literal["FeatureCollection"] = "FeatureCollection"


class NearestProperties(FacilityProperties, rename="camel"):
    distance_m: float = 0.0
    walking_minutes: int = 0
    inside_hazard_zone: bool = False
    #: With ``walking=true``: metres on foot along the roads (None: not on the road network or not
    #: joined to the start), and the minutes at an adult's 1.0 m/s.
    walking_distance_m: float | None = None
    walking_route_minutes: int | None = None


class NearestFeature(msgspec.Struct):
    id: str
    geometry: Point
    properties: NearestProperties
    type: Literal["Feature"] = "Feature"


class Origin(msgspec.Struct):
    lat: float
    lon: float


class ZoneHere(msgspec.Struct, rename="camel"):
    """A hazard zone containing the origin, whose hazard the answer avoided."""

    hazard_type: str
    rank_label: str | None
    depth_min_m: float | None
    depth_max_m: float | None


class NearestCollection(msgspec.Struct, rename="camel"):
    features: list[NearestFeature]
    origin: Origin
    hazard: str | None
    excluded_inside: int
    distance_method: str
    note: str
    #: The hazards whose zones places were left out of (or flagged in, with includeInside): the
    #: hazard asked for, or by default the hazards at the origin.
    avoided_hazards: list[str]
    #: By default (no hazard asked for), the zones containing the origin: why places were left out.
    zones_here: list[ZoneHere]
    #: Whether ``status`` is live (from the server) — false in answers read from an offline pack.
    live_status: bool
    #: When none of ``features`` takes people now (open or crowded) but a shelter further away does
    #: (outside the same zones): the nearest such shelter.
    nearest_open: NearestFeature | None = None
    type: Literal["FeatureCollection"] = "FeatureCollection"
