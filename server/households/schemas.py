"""My evacuation info: the household document as the API takes and gives it (camelCase). Every
field is checked; an error names the field by its path (``members[0].birthDate``)."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import msgspec

Text = Annotated[str, msgspec.Meta(max_length=200)]
LongText = Annotated[str, msgspec.Meta(max_length=2000)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Sex = Literal["female", "male", "other", "unspecified"]
Relationship = Literal["self", "spouse", "child", "parent", "grandparent", "grandchild", "sibling", "other"]
Mobility = Literal["walks", "needs_help", "cane", "wheelchair", "bedridden"]
Skill = Literal["medical", "nursing_care", "teacher", "volunteer"]
PetKind = Literal["dog", "cat", "bird", "small_animal", "other"]
JST = ZoneInfo("Asia/Tokyo")
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,20}$")


class CareNeeds(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    mobility: Mobility = "walks"
    disability: Text | None = None
    illness: Text | None = None
    medication: Text | None = None
    allergy: Text | None = None
    pregnancy: bool = False
    infant: bool = False
    language_needs: Text | None = None  # e.g. "English", "やさしい日本語", "sign language"
    notes: LongText | None = None


class Member(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    name: Name
    relationship: Relationship
    id: str | None = None  # given by the server; send it back to keep the member's QR code
    kana: Text | None = None
    birth_date: date | None = None
    sex: Sex = "unspecified"
    care_needs: CareNeeds = msgspec.field(default_factory=CareNeeds)
    skills: list[Skill] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        if self.birth_date is not None and not date(1900, 1, 1) <= self.birth_date <= datetime.now(JST).date():
            raise ValueError("birthDate must be between 1900-01-01 and today")


class Pet(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    kind: PetKind
    count: Annotated[int, msgspec.Meta(ge=1, le=50)] = 1
    wants_to_bring: bool = True


class Contact(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    name: Name
    phone: Annotated[str, msgspec.Meta(max_length=24)]
    relationship: Text | None = None

    def __post_init__(self) -> None:
        if not PHONE.match(self.phone):
            raise ValueError("phone must be digits, spaces, + ( ) or -")


class Place(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    lat: Annotated[float, msgspec.Meta(ge=20, le=46)]
    lon: Annotated[float, msgspec.Meta(ge=122, le=154)]
    address: Text | None = None


class Consents(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    share_status_with_family: bool = False
    answer_safety_inquiries: bool = False


class HouseholdIn(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    members: Annotated[list[Member], msgspec.Meta(max_length=30)] = msgspec.field(default_factory=list)
    pets: Annotated[list[Pet], msgspec.Meta(max_length=20)] = msgspec.field(default_factory=list)
    emergency_contact: Contact | None = None
    home: Place | None = None
    work: Place | None = None
    consents: Consents = msgspec.field(default_factory=Consents)


# What the server keeps and answers: the document as saved (every field written, members with
# their ids), so every field is there to read.


class CareNeedsRecord(msgspec.Struct, rename="camel"):
    mobility: Mobility
    disability: str | None
    illness: str | None
    medication: str | None
    allergy: str | None
    pregnancy: bool
    infant: bool
    language_needs: str | None
    notes: str | None


class MemberRecord(msgspec.Struct, rename="camel"):
    name: str
    relationship: Relationship
    id: str
    kana: str | None
    birth_date: date | None
    sex: Sex
    care_needs: CareNeedsRecord
    skills: list[Skill]


class PetRecord(msgspec.Struct, rename="camel"):
    kind: PetKind
    count: int
    wants_to_bring: bool


class ContactRecord(msgspec.Struct):
    name: str
    phone: str
    relationship: str | None


class PlaceRecord(msgspec.Struct):
    lat: float
    lon: float
    address: str | None


class ConsentsRecord(msgspec.Struct, rename="camel"):
    share_status_with_family: bool
    answer_safety_inquiries: bool


class HouseholdDocument(msgspec.Struct, rename="camel"):
    """My evacuation info as saved (an empty one before the first save)."""

    members: list[MemberRecord]
    pets: list[PetRecord]
    emergency_contact: ContactRecord | None
    home: PlaceRecord | None
    work: PlaceRecord | None
    consents: ConsentsRecord


class QrCodes(msgspec.Struct):
    household: str
    members: dict[str, str]


class Reissue(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    member_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None


class Reissued(msgspec.Struct):
    code: str


class PublicKey(msgspec.Struct, rename="camel"):
    kid: str
    alg: Literal["Ed25519"]
    public_key: str
    current: bool


class PublicKeys(msgspec.Struct):
    format: str
    keys: list[PublicKey]


class VerifyRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    qr: Annotated[str, msgspec.Meta(min_length=1, max_length=512)]
    shelter_id: uuid.UUID | None = None


HouseDamage = Literal["none", "partial", "half", "major", "total", "unknown"]
Utility = Literal["power", "water", "gas", "phone"]
Stay = Literal["inside", "outdoor", "car", "at_home"]


class EvacueeCard(HouseholdIn):
    """The digital 避難者カード of a walk-in, filled in by shelter staff: the household's fields
    and what the paper card also asks (address, phone, where they stay, house damage, utilities
    out, supplies needed, family not yet reached). Consent is ``consents`` of the household."""

    address: Text | None = None
    phone: Annotated[str, msgspec.Meta(max_length=24)] | None = None
    stay: Stay = "inside"
    house_damage: HouseDamage = "unknown"
    utilities_out: list[Utility] = msgspec.field(default_factory=list)
    needed_supplies: LongText | None = None
    family_not_reached: LongText | None = None

    def problem(self) -> tuple[str, str] | None:
        """What msgspec cannot say of the whole card: (field, reason)."""
        if not self.members:
            return "members", "at least one person"
        if self.phone is not None and not PHONE.match(self.phone):
            return "phone", "digits, spaces, + ( ) or -"
        return None
