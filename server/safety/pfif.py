"""PFIF 1.4 (the People Finder Interchange Format, http://zesty.ca/pfif/1.4/): headquarters export
the safety records of an event that people consented to let be found, and import another
registry's file (Person Finder, a volunteer group) into a registry that inquiries also search.

What goes out is what an inquiry may show (status and time) plus what a person record needs (the
full name) and the shelter a check-in put them in; never a message, a location or care needs.
Statuses map to notes: safe is ``believed_alive`` with ``author_made_contact``; needs help and
injured are said in the note's text; at a shelter is the note's ``last_known_location``."""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from sqlalchemy import or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.service import Principal, audit
from server.households.models import Household
from server.households.service import open_document
from server.lib.errors import ConflictError, NotFoundError, UnprocessableError
from server.lib.ids import uuid7
from server.lib.keys import Keys
from server.safety.registry import SafetyExpiry, SafetyRegistry
from server.safety.service import Shown, fold_name, hq_towns, inquiry_hash
from server.shelters.models import DisasterEvent

NS = "http://zesty.ca/pfif/1.4"
PERSON_FIELDS = (
    "person_record_id",
    "entry_date",
    "expiry_date",
    "author_name",
    "author_email",
    "author_phone",
    "source_name",
    "source_date",
    "source_url",
    "full_name",
    "given_name",
    "family_name",
    "alternate_names",
    "description",
    "sex",
    "date_of_birth",
    "age",
    "home_street",
    "home_neighborhood",
    "home_city",
    "home_state",
    "home_postal_code",
    "home_country",
    "photo_url",
    "profile_urls",
)
NOTE_FIELDS = (
    "note_record_id",
    "person_record_id",
    "linked_person_record_id",
    "entry_date",
    "author_name",
    "author_email",
    "author_phone",
    "source_date",
    "author_made_contact",
    "status",
    "email_of_found_person",
    "phone_of_found_person",
    "last_known_location",
    "text",
    "photo_url",
)
NOTE_STATUSES = ("", "information_sought", "is_note_author", "believed_alive", "believed_missing", "believed_dead")
DATES = {"entry_date", "expiry_date", "source_date"}
MAX_BYTES = 64 * 1024 * 1024
MAX_FIELD = 2000

# What each status says in a note's text (Japanese first, the English in brackets is what an
# import reads back).
TEXT = {
    "safe": "無事です (safe)",
    "needs_help": "助けが必要です (needs help)",
    "injured": "けがをしています (injured)",
    "unknown": "状態は分かりません (status unknown)",
    "at_shelter": "避難所にいます: {shelter} (at shelter)",
    "left_shelter": "避難所を出ました: {shelter} (left shelter)",
}
# Read back from a note's text, most specific first.
MARKERS = (
    ("(needs help)", "needs_help"),
    ("(injured)", "injured"),
    ("(left shelter)", "left_shelter"),
    ("(at shelter)", "at_shelter"),
    ("(safe)", "safe"),
)
# Characters XML 1.0 cannot carry: dropped from what goes out rather than failing the export.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(value: str) -> str:
    return _NOT_XML.sub("", value)[:MAX_FIELD]


def pfif_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def domain_of(base_url: str) -> str:
    """The repository's domain that prefixes every record id we make (PFIF: "domain/local id")."""
    return urlsplit(base_url).hostname or "localhost"


def name_hash(keys: Keys, name: str) -> str | None:
    """The keyed hash of a folded full name: how a record without a phone number is found."""
    folded = fold_name(name)
    if not folded:
        return None
    return hmac.new(keys.data, f"registry-name\x00{folded}".encode(), hashlib.sha256).hexdigest()


# Export ----------------------------------------------------------------------------------------

# The statuses of an event: set while it was open, in one of its municipalities, by people who let
# inquiries find them (and whom nobody forbade to be found).
EVENT_STATUSES = """
SELECT s.id, s.person_id, s.status, s.created_at,
       s.set_by IS NOT NULL AND s.set_by IS DISTINCT FROM p.account_id AS by_staff,
       f.name, m.code, p.household_id, p.member_id
FROM disaster_event e
JOIN safety_status s ON s.created_at >= e.opened_at AND s.created_at <= coalesce(e.closed_at, now())
     AND (s.municipality_id IN (SELECT municipality_id FROM disaster_event_municipality WHERE event_id = e.id)
          OR (s.municipality_id IS NOT NULL
              AND NOT EXISTS (SELECT FROM disaster_event_municipality WHERE event_id = e.id)))
JOIN safety_person p ON p.id = s.person_id
JOIN municipality m ON m.id = s.municipality_id
LEFT JOIN facility f ON f.id = s.facility_id
WHERE e.id = :event AND p.answer_inquiries AND NOT p.inquiries_forbidden AND NOT p.hq_forbidden
ORDER BY s.person_id, s.created_at, s.id
"""


def _sub(parent: etree._Element, name: str, value: str | None) -> None:
    if value:
        etree.SubElement(parent, f"{{{NS}}}{name}").text = _clean(value)


def _author(by_staff: bool, status: str) -> str:
    if status in {"at_shelter", "left_shelter"} or by_staff:
        return "避難所の職員 (shelter staff)"
    return "本人 (the person)"


async def export(
    session: AsyncSession, keys: Keys, caller: Principal, event_id: uuid.UUID, domain: str, expiry_days: int
) -> tuple[bytes, int, int]:
    """The event's consented records as a PFIF 1.4 document, as far as the caller oversees
    (municipal headquarters: their municipalities); (document, persons, notes). Audit-logged."""
    event = await session.get(DisasterEvent, event_id)
    if event is None:
        raise NotFoundError(f"no disaster event {event_id}")
    towns = hq_towns(caller)
    rows = [
        r
        for r in (await session.execute(text(EVENT_STATUSES), {"event": event_id})).all()
        if towns is None or r.code in towns
    ]
    root = etree.Element(f"{{{NS}}}pfif", nsmap={"pfif": NS})
    documents: dict[uuid.UUID, dict[str, Any]] = {}
    now = pfif_date(datetime.now(UTC))
    expiry = pfif_date(event.closed_at + timedelta(days=expiry_days)) if event.closed_at else None
    people: list[str] = []
    notes = 0
    by_person: dict[uuid.UUID, list[Any]] = {}
    for row in rows:
        by_person.setdefault(row.person_id, []).append(row)
    for person_id, statuses in by_person.items():
        household_id = statuses[0].household_id
        if household_id is None:
            continue  # a resident with no household has no name to give a person record
        if household_id not in documents:
            household = await session.get(Household, household_id)
            documents[household_id] = open_document(keys, household) if household else {}
        document = documents[household_id]
        members = document.get("members") or []
        member_id = statuses[0].member_id
        member = next((m for m in members if m.get("id") == member_id), None) if member_id else None
        member = member or (members[0] if members and member_id is None else None)
        name = (member or {}).get("name")
        if not name:
            continue
        record_id = f"{domain}/person.{person_id}"
        person = etree.SubElement(root, f"{{{NS}}}person")
        _sub(person, "person_record_id", record_id)
        _sub(person, "entry_date", now)
        _sub(person, "expiry_date", expiry)
        _sub(person, "author_name", "Bosai")
        _sub(person, "source_name", f"Bosai ({domain})")
        _sub(person, "source_date", pfif_date(statuses[0].created_at))
        _sub(person, "full_name", name)
        for i, row in enumerate(statuses):
            note = etree.SubElement(person, f"{{{NS}}}note")
            _sub(note, "note_record_id", f"{domain}/note.{row.id}")
            _sub(note, "person_record_id", record_id)
            _sub(note, "entry_date", pfif_date(row.created_at))
            _sub(note, "author_name", _author(row.by_staff, row.status))
            _sub(note, "source_date", pfif_date(row.created_at))
            if row.status == "safe":
                _sub(note, "author_made_contact", "true")
                _sub(note, "status", "believed_alive")
            if i == len(statuses) - 1:
                # The number an inquirer types with the name: where the registry keeps it private.
                _sub(note, "phone_of_found_person", document.get("phone"))
            if row.status in {"at_shelter", "left_shelter"}:
                _sub(note, "last_known_location", row.name)
            _sub(note, "text", TEXT[row.status].format(shelter=row.name or ""))
            notes += 1
        people.append(str(person_id))
    audit(
        session,
        caller.account_id,
        "safety.pfif_export",
        f"event:{event_id}",
        people=people,
        notes=notes,
        municipalities=sorted(towns) if towns is not None else None,
    )
    document_bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return document_bytes, len(people), notes


# Import ----------------------------------------------------------------------------------------


@dataclass
class PfifPerson:
    """A person record read from a file, with its notes (nested, or top-level naming it)."""

    fields: dict[str, str]
    line: int
    notes: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def record_id(self) -> str:
        return self.fields["person_record_id"]


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    notes: int
    ignored_elements: int
    orphan_notes: int


def _line(element: etree._Element) -> int:
    """The element's line in the file (0 where lxml does not know it)."""
    line = element.sourceline
    return line if isinstance(line, int) else 0


def _local(element: etree._Element) -> tuple[str | None, str]:
    qname = etree.QName(element)
    return qname.namespace, qname.localname


def _fail(element: etree._Element, reason: str) -> UnprocessableError:
    _, name = _local(element)
    return UnprocessableError(f"line {element.sourceline}: <pfif:{name}> {reason}")


def _parse_date(element: etree._Element, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(element, f"{value!r} is not a date (yyyy-mm-ddThh:mm:ssZ)") from None
    if moment.tzinfo is None:
        raise _fail(element, f"{value!r} has no time zone (PFIF dates are UTC, ending in Z)")
    return moment.astimezone(UTC)


def _read_fields(
    record: etree._Element, known: tuple[str, ...], ignored: list[int]
) -> tuple[dict[str, str], list[etree._Element]]:
    """A record's PFIF fields (checked), and its nested notes; elements PFIF does not know are
    counted and skipped."""
    values: dict[str, str] = {}
    nested = []
    for child in record:
        if not isinstance(child.tag, str):
            continue  # a comment or processing instruction
        namespace, name = _local(child)
        if namespace == NS and name == "note" and "note_record_id" not in known:
            nested.append(child)
            continue
        if namespace != NS or name not in known:
            ignored.append(_line(child))
            continue
        if len(child):
            raise _fail(child, "holds elements: a PFIF field is text")
        value = (child.text or "").strip()
        if len(value) > MAX_FIELD:
            raise _fail(child, f"is longer than {MAX_FIELD} characters")
        if name in DATES and value:
            _parse_date(child, value)
        if name == "status" and value not in NOTE_STATUSES:
            raise _fail(child, f"{value!r} is not a PFIF 1.4 note status ({', '.join(NOTE_STATUSES[1:])})")
        if name == "author_made_contact" and value not in {"", "true", "false"}:
            raise _fail(child, f"{value!r} is not true or false")
        if name.endswith("record_id") and value and ("/" not in value or len(value) > 500):
            raise _fail(child, f"{value!r} is not a record id (domain/local id, at most 500 characters)")
        values[name] = value
    return values, nested


def parse(data: bytes) -> tuple[list[PfifPerson], int, int]:
    """The persons of a PFIF 1.4 document; (persons, elements ignored, notes naming no person in
    the file). A malformed document raises, naming the element and its line."""
    if len(data) > MAX_BYTES:
        raise UnprocessableError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise UnprocessableError(f"line {exc.lineno}: not well-formed XML: {exc.msg}") from None
    if getattr(root.getroottree().docinfo, "doctype", ""):
        raise UnprocessableError("line 1: a document type declaration (DOCTYPE) is not accepted")
    namespace, name = _local(root)
    if namespace != NS or name != "pfif":
        raise UnprocessableError(
            f"line {root.sourceline}: the root element is <{name}> in {namespace or 'no namespace'}, "
            f"not <pfif:pfif> in {NS} (PFIF 1.4)"
        )
    ignored: list[int] = []
    persons: dict[str, PfifPerson] = {}
    loose: list[tuple[etree._Element, dict[str, str]]] = []

    def read_note(element: etree._Element, person_id: str | None) -> dict[str, str]:
        values, _ = _read_fields(element, NOTE_FIELDS, ignored)
        if not values.get("note_record_id"):
            raise _fail(element, "has no note_record_id")
        if person_id is not None:
            if values.get("person_record_id") not in {None, "", person_id}:
                raise _fail(element, f"inside person {person_id} names another person")
            values["person_record_id"] = person_id
        return values

    for child in root:
        if not isinstance(child.tag, str):
            continue
        namespace, name = _local(child)
        if namespace == NS and name == "person":
            values, nested = _read_fields(child, PERSON_FIELDS, ignored)
            record_id = values.get("person_record_id")
            if not record_id:
                raise _fail(child, "has no person_record_id")
            full = values.get("full_name") or " ".join(
                v for v in (values.get("given_name"), values.get("family_name")) if v
            )
            if not full:
                raise _fail(child, f"{record_id} has no full_name")
            values["full_name"] = full
            person = persons.setdefault(record_id, PfifPerson(values, _line(child)))
            person.fields.update(values)
            for element in nested:
                note = read_note(element, record_id)
                person.notes[note["note_record_id"]] = note
        elif namespace == NS and name == "note":
            note = read_note(child, None)
            if not note.get("person_record_id"):
                raise _fail(child, "outside a person has no person_record_id")
            loose.append((child, note))
        else:
            ignored.append(_line(child))
    orphans = 0
    for _, note in loose:
        owner = persons.get(note["person_record_id"])
        if owner is None:
            orphans += 1
        else:
            owner.notes[note["note_record_id"]] = note
    return list(persons.values()), len(ignored), orphans


def _when(note: dict[str, str]) -> str:
    return note.get("source_date") or note.get("entry_date") or ""


def status_of(notes: list[dict[str, str]]) -> tuple[str, str | None]:
    """Our status from the newest note, and its date: believed alive is safe; other PFIF statuses
    (missing, dead, sought) are not ours to answer an inquiry with, so unknown; else what the text
    says (our own exports), or at a shelter when a last known location is given."""
    if not notes:
        return "unknown", None
    # Dates are whole seconds: of notes of the same second, the later in the file is the newer.
    newest = sorted(notes, key=_when)[-1]
    status = newest.get("status") or ""
    when = _when(newest) or None
    if status == "believed_alive":
        return "safe", when
    if status:
        return "unknown", when
    said = newest.get("text", "")
    for marker, ours in MARKERS:
        if marker in said:
            return ours, when
    if newest.get("last_known_location"):
        return "at_shelter", when
    return "unknown", when


async def store(
    session: AsyncSession, keys: Keys, event_id: uuid.UUID, persons: list[PfifPerson]
) -> tuple[int, int, int]:
    """Store the persons into the event's registry, in the caller's transaction (all or nothing);
    a record already there (the same person_record_id) is updated and its notes merged.
    (created, updated, notes)."""
    event = await session.get(DisasterEvent, event_id)
    if event is None:
        raise NotFoundError(f"no disaster event {event_id}")
    expired = await session.scalar(
        select(SafetyExpiry.expired_at).where(SafetyExpiry.event_id == event_id, SafetyExpiry.undone_at.is_(None))
    )
    if expired is not None:
        raise ConflictError(f"the safety records of this event expired on {expired:%Y-%m-%d}: nothing is imported")
    existing = {
        row.person_record_id: row
        for row in (
            await session.scalars(
                select(SafetyRegistry).where(
                    SafetyRegistry.event_id == event_id,
                    SafetyRegistry.person_record_id.in_([p.record_id for p in persons]),
                )
            )
        ).all()
    }
    created = updated = notes = 0
    for person in persons:
        row = existing.get(person.record_id)
        row_id = row.id if row is not None else uuid7()
        merged: dict[str, dict[str, str]] = {}
        fields = dict(person.fields)
        if row is not None and row.sealed is not None:
            before: Any = keys.open(row.sealed, str(row.id))
            merged.update({n["note_record_id"]: n for n in before.get("notes", [])})
            fields = {**before.get("person", {}), **fields}
        merged.update(person.notes)
        ordered = sorted(merged.values(), key=_when)
        status, at = status_of(ordered)
        phone = next((n["phone_of_found_person"] for n in reversed(ordered) if n.get("phone_of_found_person")), None)
        name = fields["full_name"]
        values = {
            "source_date": _date(fields.get("source_date")),
            "expiry_date": _date(fields.get("expiry_date")),
            "status": status,
            "status_at": _date(at) or _date(fields.get("source_date")) or datetime.now(UTC),
            "inquiry_hash": inquiry_hash(keys, name, phone) if phone else None,
            "name_hash": None if phone else name_hash(keys, name),
            "sealed": keys.seal({"person": fields, "notes": ordered}, str(row_id)),
        }
        await session.execute(
            pg_insert(SafetyRegistry)
            .values(id=row_id, event_id=event_id, person_record_id=person.record_id, **values)
            .on_conflict_do_update(index_elements=["event_id", "person_record_id"], set_=values)
        )
        created += row is None
        updated += row is not None
        notes += len(person.notes)
    audit(session, None, "safety.pfif_import", f"event:{event_id}", created=created, updated=updated, notes=notes)
    return created, updated, notes


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


async def registry_persons(session: AsyncSession, keys: Keys, event_id: uuid.UUID) -> list[dict[str, Any]]:
    """The registry's records of an event, opened (placeholders: ids and dates only)."""
    rows = (
        await session.scalars(
            select(SafetyRegistry).where(SafetyRegistry.event_id == event_id).order_by(SafetyRegistry.person_record_id)
        )
    ).all()
    found = []
    for row in rows:
        opened: Any = keys.open(row.sealed, str(row.id)) if row.sealed else {}
        found.append(
            {
                "personRecordId": row.person_record_id,
                "fullName": opened.get("person", {}).get("full_name"),
                "status": row.status,
                "statusAt": row.status_at,
                "notes": len(opened.get("notes", [])),
            }
        )
    return found


async def registry_inquiry(session: AsyncSession, keys: Keys, name: str, phone: str) -> Shown | None:
    """What the imported registry says of the person asked after by full name and phone: found by
    both, or by the name alone where the record has no phone. Audit-logged when found."""
    hashed = inquiry_hash(keys, name, phone)
    named = name_hash(keys, name)
    wanted = []
    if hashed:
        wanted.append(SafetyRegistry.inquiry_hash == hashed)
    if named:
        wanted.append(SafetyRegistry.name_hash == named)
    if not wanted:
        return None
    row = await session.scalar(
        select(SafetyRegistry)
        .where(or_(*wanted), SafetyRegistry.status.is_not(None), SafetyRegistry.status_at.is_not(None))
        .order_by(SafetyRegistry.status_at.desc())
        .limit(1)
    )
    if row is None or row.status is None or row.status_at is None:
        return None
    audit(session, None, "safety.registry_inquiry", f"registry:{row.id}", status=row.status)
    return Shown(row.status, row.status_at, None, None, None, None, False)
