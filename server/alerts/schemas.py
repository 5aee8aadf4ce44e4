"""Push subscriptions and alerts as the API takes and gives them (camelCase). Every field is
bounded; what a type cannot say (the endpoint's scheme, key lengths) is checked in the service,
which names the field."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

Kind = Literal["evacuation", "warning", "advisory", "landslide", "flood", "earthquake", "tsunami", "shelter"]
Language = Literal["ja", "en", "ja-easy"]
# 震度 as JMA writes it, lowest first; a subscription receives earthquakes from the one it names.
INTENSITIES = ("1", "2", "3", "4", "5-", "5+", "6-", "6+", "7")
Intensity = Literal["1", "2", "3", "4", "5-", "5+", "6-", "6+", "7"]
MAX_AREAS = 10
MIN_RADIUS_M = 50
MAX_RADIUS_M = 30_000
# A base64url key: the P-256 public key is 65 bytes (87 characters), the auth secret 16 (22).
B64 = r"^[A-Za-z0-9_-]+={0,2}$"


class PushKeys(msgspec.Struct, forbid_unknown_fields=True):
    p256dh: Annotated[str, msgspec.Meta(min_length=80, max_length=96, pattern=B64)]
    auth: Annotated[str, msgspec.Meta(min_length=20, max_length=32, pattern=B64)]


class BrowserSubscription(msgspec.Struct, rename="camel"):
    """The browser's PushSubscription.toJSON(); ``expirationTime`` is accepted and ignored."""

    endpoint: Annotated[str, msgspec.Meta(min_length=8, max_length=1024)]
    keys: PushKeys
    expiration_time: int | float | None = None


class Area(msgspec.Struct, rename="camel", forbid_unknown_fields=True, omit_defaults=True):
    """A municipality (``{"municipality": "022012"}``) or a point with a radius
    (``{"lat": …, "lon": …, "radiusM": …}``), with an optional label (自宅, 職場 …)."""

    municipality: Annotated[str, msgspec.Meta(min_length=5, max_length=6, pattern=r"^[0-9]+$")] | None = None
    lat: Annotated[float, msgspec.Meta(ge=20, le=46)] | None = None
    lon: Annotated[float, msgspec.Meta(ge=122, le=154)] | None = None
    radius_m: Annotated[int, msgspec.Meta(ge=MIN_RADIUS_M, le=MAX_RADIUS_M)] | None = None
    label: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    #: "Where I am": the last place the app saw, which it moves as the resident does (only with
    #: their consent); one, beside up to MAX_AREAS chosen areas.
    here: bool | None = None

    def __post_init__(self) -> None:
        point = (self.lat, self.lon, self.radius_m)
        if self.here and self.municipality is not None:
            raise ValueError("'where I am' is a point (lat, lon, radiusM), not a municipality")
        if self.municipality is not None:
            if any(v is not None for v in point):
                raise ValueError("give a municipality or a point (lat, lon, radiusM), not both")
        elif any(v is None for v in point):
            raise ValueError(
                f"a point needs lat, lon and radiusM ({MIN_RADIUS_M}–{MAX_RADIUS_M} m), or give a municipality"
            )


class SubscriptionIn(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """``POST /api/push/subscriptions``: the browser's subscription and what it wants. ``kinds``
    omitted: every kind, earthquakes from intensity 3."""

    subscription: BrowserSubscription
    areas: Annotated[list[Area], msgspec.Meta(min_length=1, max_length=MAX_AREAS + 1)]
    languages: Annotated[list[Language], msgspec.Meta(min_length=1, max_length=3)] = msgspec.field(
        default_factory=lambda: ["ja"]
    )
    kinds: Annotated[list[Kind], msgspec.Meta(max_length=8)] | None = None
    min_intensity: Intensity = "3"


class SubscriptionChange(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """``PUT /api/push/subscriptions/{id}``: what to change (the browser may also have renewed its
    subscription)."""

    areas: Annotated[list[Area], msgspec.Meta(min_length=1, max_length=MAX_AREAS + 1)] | None = None
    languages: Annotated[list[Language], msgspec.Meta(min_length=1, max_length=3)] | None = None
    kinds: Annotated[list[Kind], msgspec.Meta(max_length=8)] | None = None
    min_intensity: Intensity | None = None
    subscription: BrowserSubscription | None = None


class SubscriptionCreated(msgspec.Struct, rename="camel"):
    """``id`` names the subscription; ``token`` (shown once) must be sent as ``X-Push-Token`` to
    change or delete it."""

    id: str
    token: str


class SubscriptionOut(msgspec.Struct, rename="camel"):
    id: str
    areas: list[Area]
    languages: list[Language]
    kinds: list[Kind]
    min_intensity: Intensity
    #: Whether this browser also receives its resident's family news (linked to their account).
    family: bool = False


class Unsubscribed(msgspec.Struct):
    id: str
    deleted: bool


class VapidPublicKey(msgspec.Struct, rename="camel"):
    """The applicationServerKey for ``pushManager.subscribe`` (base64url, uncompressed P-256)."""

    public_key: str


class AlertSummary(msgspec.Struct, rename="camel"):
    id: str
    kind: Kind
    level: int | None
    headline: str
    status: Literal["actual", "exercise", "test"]
    municipalities: list[str]
    issued_at: datetime
    expires_at: datetime
    source: Literal["jma", "cap", "hq"]
    action: Literal["issue", "cancel"]
    cancelled: bool


class AlertShelter(msgspec.Struct, rename="camel"):
    id: str
    name: str
    name_en: str | None
    lat: float
    lon: float


class AlertDetail(AlertSummary, rename="camel"):
    """One alert with what the inbox shows: the headline in every language, the hazard, the
    area (GeoJSON, simplified; its bounding box), the shelters headquarters named, and their
    free text (``reason``, ``instructions``: shown as written, never translated)."""

    headlines: dict[str, str]
    hazard: str
    name: str
    intensity: int | None
    municipality_names: list[str]
    municipality_names_en: list[str]
    area: dict[str, object] | None
    bbox: list[float] | None
    shelters: list[AlertShelter]
    reason: str | None
    instructions: str | None


class AlertList(msgspec.Struct):
    alerts: list[AlertSummary]


class DeliveryCounts(msgspec.Struct):
    queued: int = 0
    sent: int = 0
    failed: int = 0
    removed: int = 0
    expired: int = 0


class PushPayload(msgspec.Struct, rename="camel"):
    """What a phone receives (encrypted): small, the headline already in the subscriber's language."""

    alert_id: str
    kind: str
    level: int | None
    headline: str
    url: str
    action: str
    status: str


EvacuationLevel = Literal[3, 4, 5]
OrderHazard = Literal[
    "flood", "inland_flood", "landslide", "storm_surge", "tsunami", "heavy_rain", "earthquake", "fire", "other"
]
Position = Annotated[list[float], msgspec.Meta(min_length=2, max_length=2)]


class PolygonGeometry(msgspec.Struct, forbid_unknown_fields=True):
    """A GeoJSON Polygon (WGS84 lon/lat), as drawn on the map: one ring, closed."""

    type: Literal["Polygon"]
    coordinates: Annotated[
        list[Annotated[list[Position], msgspec.Meta(min_length=4, max_length=1000)]],
        msgspec.Meta(min_length=1, max_length=1),
    ]


class Circle(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    lat: Annotated[float, msgspec.Meta(ge=20, le=46)]
    lon: Annotated[float, msgspec.Meta(ge=122, le=154)]
    radius_m: Annotated[int, msgspec.Meta(ge=MIN_RADIUS_M, le=MAX_RADIUS_M)]


class EvacuationOrderIn(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """``POST /api/alerts``: evacuation information from headquarters, for whole municipalities,
    a polygon or a circle (exactly one). ``cancels`` lifts an earlier order (解除) instead.
    ``dryRun`` answers how many subscriptions it would reach, and stores nothing."""

    hazard: OrderHazard
    level: EvacuationLevel | None = None
    municipalities: (
        Annotated[
            list[Annotated[str, msgspec.Meta(min_length=5, max_length=6)]], msgspec.Meta(min_length=1, max_length=60)
        ]
        | None
    ) = None
    polygon: PolygonGeometry | None = None
    circle: Circle | None = None
    cancels: str | None = None
    reason: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    instructions: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    shelters: Annotated[list[str], msgspec.Meta(max_length=50)] = msgspec.field(default_factory=list)
    expires_in_hours: Annotated[int, msgspec.Meta(ge=1, le=72)] = 24
    exercise: bool = False
    dry_run: bool = False


class EvacuationOrderOut(msgspec.Struct, rename="camel"):
    """What was (or, on a dry run, would be) issued: the municipalities it touches and how many
    subscriptions it reaches."""

    id: str | None
    reached: int
    municipalities: list[str]
    dry_run: bool
