"""Request and answer bodies of family safety status (camelCase on the wire, bounded)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import msgspec

from server.households.schemas import PHONE

SetStatus = Literal["safe", "needs_help", "injured", "unknown"]
Status = Literal["safe", "needs_help", "injured", "unknown", "at_shelter", "left_shelter"]
GroupName = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
Message = Annotated[str, msgspec.Meta(max_length=200)]
InviteCode = Annotated[str, msgspec.Meta(min_length=8, max_length=64)]
MemberName = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class GroupRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    name: GroupName
    # What the other members see me called in this group ("お母さん", "Ken").
    my_name: MemberName | None = None


class Invite(msgspec.Struct, rename="camel"):
    code: str
    url: str
    expires_at: str
    uses_left: int
    # The invite's whole link (this server's origin) as a QR code, to be shown full screen.
    qr_svg: str | None = None


class GroupCreated(msgspec.Struct, rename="camel"):
    id: uuid.UUID
    name: str
    invite: Invite


class Left(msgspec.Struct, rename="camel"):
    """Who is no longer in which group."""

    group_id: uuid.UUID
    person_id: uuid.UUID


class JoinRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    code: InviteCode
    name: MemberName | None = None


class Location(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    lon: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    precision: Literal["exact", "coarse"] = "coarse"


class StatusRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    status: SetStatus
    message: Message | None = None
    location: Location | None = None


class LocationRecord(msgspec.Struct, rename="camel"):
    lat: float
    lon: float
    precision: Literal["exact", "coarse"]


class StatusRecord(msgspec.Struct, rename="camel"):
    status: Status
    at: str
    message: str | None = None
    location: LocationRecord | None = None
    shelter_id: uuid.UUID | None = None
    shelter_name: str | None = None
    by_staff: bool = False


class Consent(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    share_groups: bool = True
    share_hq: bool = False
    answer_inquiries: bool = False
    auto_checkin: bool = False
    forbid_inquiries: bool = False
    # Which member of my household I am (check-ins of that member update my status).
    member_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    # The phone number an inquirer must type with my full name (kept only inside a keyed hash).
    phone: Annotated[str, msgspec.Meta(min_length=1, max_length=24)] | None = None

    def __post_init__(self) -> None:
        if self.phone is not None and not PHONE.match(self.phone):
            raise ValueError("phone must be digits, spaces, + ( ) or -")


class ConsentRecord(msgspec.Struct, rename="camel"):
    share_groups: bool
    share_hq: bool
    answer_inquiries: bool
    auto_checkin: bool
    forbid_inquiries: bool
    member_id: str | None
    inquiry_code: str
    findable_by_name: bool
    forbidden_by_headquarters: bool


class SafetyMe(msgspec.Struct, rename="camel"):
    person_id: uuid.UUID
    consent: ConsentRecord
    status: StatusRecord | None


class GroupMember(msgspec.Struct, rename="camel"):
    person_id: uuid.UUID
    me: bool
    creator: bool
    status: StatusRecord | None
    name: str | None = None


class AskedBy(msgspec.Struct, rename="camel"):
    """A member asked me to tell the group I am safe (since my last status)."""

    person_id: uuid.UUID
    name: str | None
    at: str


class Group(msgspec.Struct, rename="camel"):
    id: uuid.UUID
    name: str
    creator: bool
    members: list[GroupMember]
    asked_me: list[AskedBy] = msgspec.field(default_factory=list)


class AskRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    person_id: uuid.UUID


class Asked(msgspec.Struct, rename="camel"):
    group_id: uuid.UUID
    person_id: uuid.UUID
    at: str


class Groups(msgspec.Struct):
    groups: list[Group]


class WalkInStatusRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """Staff, from the evacuee card: the status of one member of a walk-in household, and what the
    person agreed to on paper."""

    member_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    status: SetStatus
    message: Message | None = None
    share_hq: bool = False
    answer_inquiries: bool = False


class InquiryAnswer(msgspec.Struct, rename="camel"):
    found: bool
    status: Status | None = None
    at: str | None = None


class HqCount(msgspec.Struct, rename="camel"):
    municipality: str | None
    municipality_name: str | None
    needs_help: int
    injured: int


class HqCounts(msgspec.Struct):
    municipalities: list[HqCount]


class HqPerson(msgspec.Struct, rename="camel"):
    person_id: uuid.UUID
    status: StatusRecord
    municipality: str | None


class HqPeople(msgspec.Struct):
    people: list[HqPerson]


class InquiryForbid(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """Headquarters forbid (or allow again) inquiries about a person."""

    forbidden: bool
