"""What the shelters API takes and gives (camelCase on the wire). Every field is typed and bounded,
so a wrong type, an unknown value or an oversized string is a 400 naming the field."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from server.households.schemas import (
    CareNeedsRecord,
    ConsentsRecord,
    ContactRecord,
    HouseDamage,
    PetRecord,
    Skill,
    Stay,
    Utility,
)

Reason = Annotated[str, msgspec.Meta(min_length=3, max_length=500)]
MemberId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Note = Annotated[str, msgspec.Meta(max_length=2000)]
Item = Annotated[str, msgspec.Meta(max_length=200)]
Capacity = Annotated[int, msgspec.Meta(ge=1, le=100_000)]
Direction = Literal["in", "out"]
FillStatus = Literal["open", "crowded", "full", "closed"]
# The care needs occupancy counts (server.shelters.service.CARE_NEEDS is read from here).
CareNeed = Literal[
    "wheelchair",
    "mobilityHelp",
    "medication",
    "allergy",
    "illness",
    "disability",
    "pregnancy",
    "infant",
    "language",
    "pets",
]


class Override(msgspec.Struct, forbid_unknown_fields=True):
    """Headquarters check in a household without its code (a lost phone, no card): said why, and
    written to the audit log with the reason."""

    reason: Reason


class CheckinRequest(msgspec.Struct, rename="camel", kw_only=True, forbid_unknown_fields=True):
    """Who comes in (or leaves): the scanned code, or the household's id — for a check-in, only a
    walk-in registered at this shelter, a household checked in here before, or with
    headquarters' ``override``."""

    shelter_id: uuid.UUID
    qr: Annotated[str, msgspec.Meta(min_length=1, max_length=512)] | None = None
    household_id: uuid.UUID | None = None
    member_ids: Annotated[list[MemberId], msgspec.Meta(max_length=50)] = msgspec.field(default_factory=list)
    stay: Stay | None = None
    override: Override | None = None


class TransferRequest(CheckinRequest, kw_only=True):
    to_shelter_id: uuid.UUID


class CheckinRecord(msgspec.Struct, rename="camel"):
    id: uuid.UUID
    direction: Direction
    shelter_id: uuid.UUID
    event: uuid.UUID
    household: uuid.UUID | None
    member_ids: list[str]
    people: int
    stay: Stay
    transfer_shelter_id: uuid.UUID | None
    at: str | None
    replayed: bool


class TransferRecord(msgspec.Struct):
    out: CheckinRecord
    # "in" is a Python keyword: the wire name is given explicitly.
    came_in: CheckinRecord = msgspec.field(name="in")


class WalkInMember(msgspec.Struct):
    id: str
    name: str


class WalkInRecord(msgspec.Struct, rename="camel"):
    household_id: uuid.UUID
    members: list[WalkInMember]
    code: str
    checkin: CheckinRecord


class EventRequest(msgspec.Struct, forbid_unknown_fields=True):
    type: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    municipalities: Annotated[
        list[Annotated[str, msgspec.Meta(pattern=r"^[0-9]{5,6}$")]], msgspec.Meta(min_length=1, max_length=100)
    ]


class EventRecord(msgspec.Struct):
    id: uuid.UUID
    type: str
    name: str
    status: Literal["open", "closed"]
    municipalities: list[str]


class Needs(msgspec.Struct, rename="camel", forbid_unknown_fields=True, omit_defaults=True):
    """What a shelter lacks and what happened, in the staff's words (shown to headquarters)."""

    supplies_short: Note | Annotated[list[Item], msgspec.Meta(max_length=50)] | None = None
    sick: Annotated[int, msgspec.Meta(ge=0, le=100_000)] | None = None  # how many people are sick
    incidents: Note | None = None
    notes: Note | None = None

    @classmethod
    def stored(cls, raw: dict[str, object]) -> Needs:
        """The needs as stored, keeping the fields that still fit (older rows were checked less)."""
        fitting = {}
        for name, value in raw.items():
            try:
                msgspec.convert({name: value}, cls)
            except msgspec.ValidationError:
                continue
            fitting[name] = value
        return msgspec.convert(fitting, cls)


class ShelterUpdate(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    status: Literal["open", "closed"] | None = None
    capacity: Capacity | None = None
    pets_accepted: bool | None = None
    needs: Needs | None = None


class ShelterState(msgspec.Struct, rename="camel"):
    shelter_id: uuid.UUID
    status: Literal["open", "closed"]
    capacity: int | None
    pets_accepted: bool
    needs: Needs


class OccupancyProperties(msgspec.Struct, rename="camel"):
    """A shelter's occupancy as a GeoJSON feature's properties (its place is the geometry)."""

    shelter_id: str
    name: str
    municipality: str
    municipality_name: str
    event: str
    event_name: str
    status: FillStatus
    capacity: int | None
    people: int
    fill: float | None
    by_stay: dict[str, int]
    care: dict[str, int]
    pets_accepted: bool
    needs: Needs
    updated_at: str


class ShelterOccupancy(OccupancyProperties):
    """One shelter of an event now, as its operators and headquarters see it (counts, no one named)."""

    lat: float
    lon: float
    #: For screens in English (and a reading where there is no English name).
    name_en: str | None = None
    name_kana: str | None = None


class Total(msgspec.Struct, rename="camel"):
    shelters: int
    open: int
    people: int
    capacity: int
    by_stay: dict[str, int]
    care: dict[str, int]


class Totals(msgspec.Struct):
    all: Total
    municipalities: dict[str, Total]


class OccupancyAnswer(msgspec.Struct):
    shelters: list[ShelterOccupancy]
    people: int
    totals: Totals
    at: str


class PublicShelter(msgspec.Struct, rename="camel"):
    """A shelter open now, as everyone may see it: counts only."""

    shelter_id: str
    name: str
    municipality: str
    status: FillStatus
    people: int
    capacity: int | None
    lat: float
    lon: float
    name_en: str | None = None
    name_kana: str | None = None


class PublicShelters(msgspec.Struct):
    shelters: list[PublicShelter]


class PointGeometry(msgspec.Struct, tag="Point", tag_field="type"):
    coordinates: tuple[float, float]  # lon, lat


class OccupancyFeature(msgspec.Struct, tag="Feature", tag_field="type"):
    id: str
    geometry: PointGeometry
    properties: OccupancyProperties


class OccupancyFeatures(msgspec.Struct, tag="FeatureCollection", tag_field="type"):
    """The occupancy export as GeoJSON: a point per shelter."""

    features: list[OccupancyFeature]


class MemberView(msgspec.Struct, rename="camel"):
    id: str
    name: str
    kana: str | None
    birth_date: date | None
    care_needs: CareNeedsRecord | None
    needs: list[CareNeed]  # its care needs, as occupancy counts them
    skills: list[Skill]
    inside: bool


class HouseholdView(msgspec.Struct, rename="camel", kw_only=True):
    """A household as staff see it at the door and in the people list: members with care needs,
    pets, and, for a walk-in, the evacuee card's answers (absent for a resident's household)."""

    household_id: uuid.UUID
    walk_in: bool
    members: list[MemberView]
    pets: list[PetRecord]
    emergency_contact: ContactRecord | None
    consents: ConsentsRecord
    address: str | UnsetType | None = UNSET
    phone: str | UnsetType | None = UNSET
    stay: Stay | UnsetType = UNSET
    house_damage: HouseDamage | UnsetType = UNSET
    utilities_out: list[Utility] | UnsetType = UNSET
    needed_supplies: str | UnsetType | None = UNSET
    family_not_reached: str | UnsetType | None = UNSET


class People(msgspec.Struct):
    households: list[HouseholdView]


class Verified(msgspec.Struct, kw_only=True):
    """A scanned code that verifies: whose it is; with a shelter, the household as staff see it."""

    valid: bool
    kind: Literal["household", "member"]
    household: uuid.UUID
    member: str | None
    view: HouseholdView | UnsetType = UNSET


class EventClosed(msgspec.Struct):
    id: uuid.UUID
    status: Literal["open", "closed"]


NEEDS = tuple(Needs.__struct_encode_fields__)


class TownTrend(msgspec.Struct):
    code: str
    name: str
    people: list[int]  # inside at the end of each bucket


class Trend(msgspec.Struct, rename="camel"):
    """People in shelters over the event: at each of ``times`` (the ends of equal buckets from
    ``from`` to ``to``), overall and per municipality, from the check-in rows."""

    from_: str = msgspec.field(name="from")
    to: str
    step_seconds: float
    times: list[str]
    all: list[int]
    municipalities: list[TownTrend]


ChangeValue = str | int | bool | dict[str, Any] | None


class HistoryEntry(msgspec.Struct, rename="camel"):
    """A check-in ("in"), check-out ("out": a transfer names the other shelter), the shelter's
    opening or closing, a change by staff or headquarters ("change": the field, its value before
    and after, who made it), or its fill status changed by check-ins ("fill": open / crowded /
    full). Counts only: no one checked in is named."""

    at: str
    kind: Literal["in", "out", "opened", "closed", "change", "fill"]
    people: int | None
    stay: Stay | None
    care: dict[str, int]
    other_shelter_id: str | None = None
    other_shelter: str | None = None
    field: Literal["status", "capacity", "pets", "needs"] | None = None
    before: ChangeValue = None
    after: ChangeValue = None
    by: str | None = None  # the e-mail of the operator who made a change


class ShelterHistory(msgspec.Struct, rename="camel"):
    shelter_id: str
    name: str
    event: str
    event_name: str
    entries: list[HistoryEntry]
