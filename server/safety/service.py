"""The rules of family safety status: who a person is, what they consented to, their groups and
invites, statuses (set by the person, by staff for a walk-in, or by a check-in in its own
transaction), inquiries answered only as far as the person consented, and what headquarters see."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import unicodedata
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.service import Principal, audit
from server.facilities.models import Facility
from server.households.models import Household
from server.households.service import open_document
from server.lib.errors import ConflictError, ForbiddenError, InvalidParameterError, NotFoundError
from server.lib.ids import uuid7
from server.lib.keys import Keys
from server.municipalities.models import Municipality
from server.safety.models import (
    InquiryThrottle,
    SafetyGroup,
    SafetyInvite,
    SafetyMember,
    SafetyPerson,
    SafetyRequest,
    SafetyStatus,
)
from server.safety.schemas import Consent, Location, StatusRequest, WalkInStatusRequest
from server.shelters.models import Checkin
from server.shelters.service import operates, scoped_key

INVITE_TTL = timedelta(days=3)
INVITE_USES = 10
MAX_MEMBERS = 50
MAX_GROUPS = 20
INQUIRIES_PER_MINUTE = 10
# "Please tell us you are safe": once per asker and person in this long (a worried parent taps often).
ASK_EVERY = timedelta(minutes=5)
# About 500 m: coarse locations are snapped to a grid of this many degrees of latitude.
COARSE_DEG = 0.0045


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()


def fold_name(name: str) -> str:
    """A name as inquiries compare it: width and case folded, spaces dropped."""
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


def inquiry_hash(keys: Keys, name: str, phone: str) -> str | None:
    """The keyed hash an inquiry by exact full name and phone number finds (None when either is
    missing): neither is stored, and without the data key the hash cannot be tried offline."""
    digits = "".join(c for c in unicodedata.normalize("NFKC", phone) if c.isdigit())
    folded = fold_name(name)
    if not folded or len(digits) < 6:
        return None
    return hmac.new(keys.data, f"inquiry\x00{folded}\x00{digits}".encode(), hashlib.sha256).hexdigest()


def coarse(lat: float, lon: float) -> tuple[float, float]:
    """The centre of the ~500 m cell holding the point: the cell, not the point, is stored."""
    step_lon = COARSE_DEG / max(math.cos(math.radians(lat)), 0.01)
    return round(round(lat / COARSE_DEG) * COARSE_DEG, 5), round(round(lon / step_lon) * step_lon, 5)


# People -----------------------------------------------------------------------------------------


def card_code() -> str:
    """An inquiry code for a card: random (96 bits), never starting with "-" or "_" (one in 32 did,
    and a code read out or typed on a command line must not look like an option)."""
    while not (code := secrets.token_urlsafe(12))[0].isalnum():
        pass
    return code


async def person_of(session: AsyncSession, account_id: uuid.UUID) -> SafetyPerson:
    """The caller's person, made at first use (linked to their household when they have one);
    requests arriving together at first use make one."""
    person = await session.scalar(select(SafetyPerson).where(SafetyPerson.account_id == account_id))
    household_id = await session.scalar(select(Household.id).where(Household.account_id == account_id))
    if person is None:
        await session.execute(
            pg_insert(SafetyPerson)
            .values(id=uuid7(), account_id=account_id, household_id=household_id, inquiry_code=card_code())
            .on_conflict_do_nothing(index_elements=["account_id"])
        )
        person = await session.scalar(select(SafetyPerson).where(SafetyPerson.account_id == account_id))
        assert person is not None  # noqa: S101 - inserted above, or by a request that came with it
    elif person.household_id is None and household_id is not None:
        person.household_id = household_id
    return person


def _member(document: dict[str, Any], member_id: str | None) -> dict[str, Any] | None:
    members = document.get("members") or []
    if member_id is None:
        return members[0] if members else None
    return next((m for m in members if m.get("id") == member_id), None)


async def save_consent(session: AsyncSession, keys: Keys, person: SafetyPerson, consent: Consent) -> bool:
    """Store what the person agreed to; True when an inquiry by name and phone can find them."""
    name = None
    if person.household_id is not None:
        household = await session.get(Household, person.household_id)
        assert household is not None  # noqa: S101 - a foreign key
        member = _member(open_document(keys, household), consent.member_id)
        if consent.member_id is not None and member is None:
            raise InvalidParameterError("memberId", f"no member {consent.member_id} in your household")
        name = member.get("name") if member else None
    elif consent.member_id is not None:
        raise InvalidParameterError("memberId", "save your household first")
    person.share_groups, person.share_hq = consent.share_groups, consent.share_hq
    person.answer_inquiries, person.auto_checkin = consent.answer_inquiries, consent.auto_checkin
    person.inquiries_forbidden = consent.forbid_inquiries
    person.member_id = consent.member_id
    if consent.phone is not None or not consent.answer_inquiries:
        person.inquiry_hash = inquiry_hash(keys, name or "", consent.phone or "") if consent.answer_inquiries else None
    return person.inquiry_hash is not None


# Statuses ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """A status as someone may see it (location only where the rules let it be shown)."""

    status: str
    at: datetime
    message: str | None
    location: dict[str, Any] | None
    shelter_id: uuid.UUID | None
    shelter_name: str | None
    by_staff: bool

    def record(self, *, with_location: bool = True) -> dict[str, Any]:
        return {
            "status": self.status,
            "at": self.at.isoformat(),
            "message": self.message,
            "location": self.location if with_location else None,
            "shelterId": self.shelter_id,
            "shelterName": self.shelter_name,
            "byStaff": self.by_staff,
        }


async def _municipality_at(session: AsyncSession, lat: float, lon: float) -> uuid.UUID | None:
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    found: uuid.UUID | None = await session.scalar(
        select(Municipality.id).where(func.ST_Covers(Municipality.boundary, point)).limit(1)
    )
    return found


async def _home_municipality(session: AsyncSession, keys: Keys, person: SafetyPerson) -> uuid.UUID | None:
    if person.household_id is None:
        return None
    household = await session.get(Household, person.household_id)
    home = open_document(keys, household).get("home") if household else None
    return await _municipality_at(session, home["lat"], home["lon"]) if home else None


async def set_status(
    session: AsyncSession,
    keys: Keys,
    person: SafetyPerson,
    data: StatusRequest | WalkInStatusRequest,
    actor: Principal,
    key: str,
    endpoint: str,
    facility_id: uuid.UUID | None = None,
) -> tuple[SafetyStatus, bool]:
    """Record a status once per (caller, endpoint, key): the same key again answers the same row
    (the caller's key, scoped: someone else's key is a new key). Returns (row, created)."""
    stored = scoped_key(actor, endpoint, key)
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": stored})
    done = await session.scalar(select(SafetyStatus).where(SafetyStatus.idempotency_key == stored))
    if done is not None:
        if done.person_id != person.id:
            raise ConflictError("this Idempotency-Key was already used for someone else: send a new key")
        return done, False
    location: Location | None = getattr(data, "location", None)
    where = None
    municipality_id = None
    if location is not None:
        lat, lon = (location.lat, location.lon) if location.precision == "exact" else coarse(location.lat, location.lon)
        where = {"lat": lat, "lon": lon, "precision": location.precision}
        municipality_id = await _municipality_at(session, location.lat, location.lon)
    if municipality_id is None and facility_id is not None:
        municipality_id = await session.scalar(select(Facility.municipality_id).where(Facility.id == facility_id))
    if municipality_id is None:
        municipality_id = await _home_municipality(session, keys, person)
    row = SafetyStatus(
        id=uuid7(),
        person_id=person.id,
        status=data.status,
        facility_id=facility_id,
        municipality_id=municipality_id,
        set_by=actor.account_id,
        idempotency_key=stored,
    )
    if data.message or where:
        row.sealed = keys.seal({"message": data.message or None, "location": where}, str(row.id))
    session.add(row)
    await session.flush()
    await session.refresh(row, ["created_at"])
    return row, True


LATEST = """
SELECT DISTINCT ON (s.person_id) s.person_id, s.id, s.status, s.created_at, s.sealed, s.facility_id, f.name,
       s.set_by IS NOT NULL AND s.set_by IS DISTINCT FROM p.account_id AS by_staff, m.code
FROM safety_status s JOIN safety_person p ON p.id = s.person_id
LEFT JOIN facility f ON f.id = s.facility_id
LEFT JOIN municipality m ON m.id = s.municipality_id
WHERE s.person_id = ANY(:people)
ORDER BY s.person_id, s.created_at DESC, s.id DESC
"""


async def latest(
    session: AsyncSession, keys: Keys, people: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[Shown, str | None]]:
    """Each person's newest status (opened), and the code of its municipality."""
    if not people:
        return {}
    rows = (await session.execute(text(LATEST), {"people": people})).all()
    found = {}
    for person_id, status_id, status, at, sealed, facility_id, facility_name, by_staff, code in rows:
        opened: Any = keys.open(sealed, str(status_id)) if sealed else {}
        found[person_id] = (
            Shown(status, at, opened.get("message"), opened.get("location"), facility_id, facility_name, by_staff),
            code,
        )
    return found


# Check-ins --------------------------------------------------------------------------------------

# Statuses of consenting people a check-in covers: the household's account holder (the member
# they said they are, or any member when they have not said) and its walk-in members. The
# check-in's id makes each status once; clock_timestamp orders a transfer's two halves.
FROM_CHECKIN = """
INSERT INTO safety_status (id, person_id, status, facility_id, municipality_id, set_by, idempotency_key,
                           created_at, updated_at)
SELECT gen_random_uuid(), p.id, $2, $3, f.municipality_id, $4, 'checkin:' || $1::text || ':' || p.id::text,
       clock_timestamp(), clock_timestamp()
FROM safety_person p JOIN facility f ON f.id = $3
WHERE p.auto_checkin
  AND (p.household_id = $5 OR p.account_id = (SELECT account_id FROM household WHERE id = $5))
  AND (p.member_id IS NULL OR cardinality($6::text[]) = 0 OR p.member_id = ANY($6::text[]))
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id, EXISTS (SELECT 1 FROM safety_member m WHERE m.person_id = safety_status.person_id) AS grouped
"""

#: How new statuses, or a request to say one is safe, reach the groups by push: given in
#: create_app (the alerts' delivery worker sends them), called in the transaction that made them,
#: on its connection: ("status" | "ask", the rows' ids).
Tell = Callable[[asyncpg.Connection, str, list[uuid.UUID]], Awaitable[None]]


async def tell_nobody(connection: asyncpg.Connection, kind: str, row_ids: list[uuid.UUID]) -> None:
    """Where no push delivery is wired (the group view still updates)."""


async def connection_of(session: AsyncSession) -> asyncpg.Connection:
    raw = await (await session.connection()).get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    return driver


async def after_checkin(connection: asyncpg.Connection, checkin: Checkin, tell: Tell = tell_nobody) -> None:
    """Given to the shelters' check-in in create_app: runs in its transaction, so a check-in is
    never recorded without the statuses it causes (and a failure here undoes the check-in), nor
    without the push that tells the groups."""
    if checkin.household_id is None:
        return
    status = "at_shelter" if checkin.direction == "in" else "left_shelter"
    made = await connection.fetch(
        FROM_CHECKIN,
        str(checkin.id),
        status,
        checkin.facility_id,
        checkin.actor_id,
        checkin.household_id,
        list(checkin.member_ids),
    )
    # Only people in a group have anyone to tell (most check-ins: one queue write, or none).
    if told := [row["id"] for row in made if row["grouped"]]:
        await tell(connection, "status", told)


# Walk-ins ---------------------------------------------------------------------------------------


async def walk_in_person(
    session: AsyncSession, keys: Keys, caller: Principal, household_id: uuid.UUID, data: WalkInStatusRequest
) -> tuple[SafetyPerson, uuid.UUID]:
    """A walk-in's member, whose status the staff of the shelter that registered them may set;
    and that shelter (where the status was reported)."""
    household = await session.get(Household, household_id)
    facility = await session.get(Facility, household.registered_at) if household and household.registered_at else None
    town = (
        await session.scalar(select(Municipality.code).where(Municipality.id == facility.municipality_id))
        if facility
        else None
    )
    if household is None or facility is None or household.account_id is not None:
        raise NotFoundError(f"no walk-in household {household_id}")
    if not operates(caller, facility.id, town):
        raise ForbiddenError("this walk-in was registered at a shelter that is not yours")
    document = open_document(keys, household)
    member = _member(document, data.member_id)
    if member is None:
        raise InvalidParameterError("memberId", f"no member {data.member_id} in this household")
    person = await session.scalar(
        select(SafetyPerson).where(SafetyPerson.household_id == household.id, SafetyPerson.member_id == data.member_id)
    )
    if person is None:
        person = SafetyPerson(id=uuid7(), household_id=household.id, member_id=data.member_id, inquiry_code=card_code())
        person.share_groups, person.auto_checkin = False, True
        person.inquiries_forbidden, person.hq_forbidden = False, False
        session.add(person)
    person.share_hq, person.answer_inquiries = data.share_hq, data.answer_inquiries
    phone = document.get("phone") or ""
    person.inquiry_hash = inquiry_hash(keys, member.get("name", ""), phone) if data.answer_inquiries else None
    await session.flush()
    return person, facility.id


# Groups -----------------------------------------------------------------------------------------


def _new_invite(group_id: uuid.UUID) -> tuple[SafetyInvite, str]:
    code = secrets.token_urlsafe(18)
    invite = SafetyInvite(
        id=uuid7(),
        group_id=group_id,
        code_hash=_code_hash(code),
        expires_at=datetime.now(UTC) + INVITE_TTL,
        uses_left=INVITE_USES,
    )
    return invite, code


async def create_group(
    session: AsyncSession, person: SafetyPerson, name: str, my_name: str | None = None
) -> tuple[SafetyGroup, SafetyInvite, str]:
    if not name.strip():
        raise InvalidParameterError("name", "is required")
    mine = await session.scalar(select(func.count()).where(SafetyMember.person_id == person.id))
    if (mine or 0) >= MAX_GROUPS:
        raise ConflictError(f"at most {MAX_GROUPS} groups per person: leave one first")
    group = SafetyGroup(id=uuid7(), name=name.strip(), creator_id=person.id)
    session.add(group)
    await session.flush()
    session.add(SafetyMember(group_id=group.id, person_id=person.id, name=_name(my_name)))
    invite, code = _new_invite(group.id)
    session.add(invite)
    return group, invite, code


async def _membership(session: AsyncSession, person: SafetyPerson, group_id: uuid.UUID) -> SafetyGroup:
    """The group, if the person is in it; else the same 404 as a group that does not exist."""
    group = await session.scalar(
        select(SafetyGroup)
        .join(SafetyMember, SafetyMember.group_id == SafetyGroup.id)
        .where(SafetyGroup.id == group_id, SafetyMember.person_id == person.id)
    )
    if group is None:
        raise NotFoundError(f"no group {group_id} of yours")
    return group


async def new_invite(session: AsyncSession, person: SafetyPerson, group_id: uuid.UUID) -> tuple[SafetyInvite, str]:
    group = await _membership(session, person, group_id)
    invite, code = _new_invite(group.id)
    session.add(invite)
    return invite, code


def _name(name: str | None) -> str | None:
    return " ".join(name.split()) or None if name else None


async def join(session: AsyncSession, person: SafetyPerson, code: str, name: str | None = None) -> SafetyGroup:
    """Join by an invite's code: unknown, expired and used-up codes answer alike."""
    invite = await session.scalar(
        select(SafetyInvite)
        .where(
            SafetyInvite.code_hash == _code_hash(code),
            SafetyInvite.expires_at > func.now(),
            SafetyInvite.uses_left > 0,
        )
        .with_for_update()
    )
    if invite is None:
        raise NotFoundError("no such invite: it may have expired or been used up; ask for a new one")
    group = await session.get(SafetyGroup, invite.group_id)
    assert group is not None  # noqa: S101 - a foreign key
    already = await session.get(SafetyMember, (group.id, person.id))
    if already is not None:
        already.name = _name(name) or already.name
        return group
    members = await session.scalar(select(func.count()).where(SafetyMember.group_id == group.id))
    if (members or 0) >= MAX_MEMBERS:
        raise ConflictError(f"this group is full ({MAX_MEMBERS} members)")
    invite.uses_left -= 1
    session.add(SafetyMember(group_id=group.id, person_id=person.id, name=_name(name)))
    return group


async def remove(session: AsyncSession, person: SafetyPerson, group_id: uuid.UUID, member: uuid.UUID) -> None:
    """A member leaves (member is themselves) or the creator removes someone. A creator who
    leaves hands the group to its oldest member; a group left empty is deleted."""
    group = await _membership(session, person, group_id)
    if member != person.id and group.creator_id != person.id:
        raise ForbiddenError("only the group's creator removes other members")
    gone = await session.execute(
        delete(SafetyMember).where(SafetyMember.group_id == group.id, SafetyMember.person_id == member)
    )
    if not gone.rowcount:  # type: ignore[attr-defined]
        raise NotFoundError(f"no member {member} in this group")
    if member == group.creator_id:
        heir = await session.scalar(
            select(SafetyMember.person_id)
            .where(SafetyMember.group_id == group.id)
            .order_by(SafetyMember.joined_at, SafetyMember.person_id)
            .limit(1)
        )
        if heir is None:
            await session.delete(group)
        else:
            group.creator_id = heir


async def my_groups(session: AsyncSession, keys: Keys, caller: Principal, person: SafetyPerson) -> list[dict[str, Any]]:
    """My groups with each member's newest status, as each member consented (the status only to
    groups when they share with groups); every other member's status shown is audit-logged."""
    groups = (
        await session.scalars(
            select(SafetyGroup)
            .join(SafetyMember, SafetyMember.group_id == SafetyGroup.id)
            .where(SafetyMember.person_id == person.id)
            .order_by(SafetyGroup.created_at, SafetyGroup.id)
        )
    ).all()
    if not groups:
        return []
    rows = (
        await session.execute(
            select(SafetyMember.group_id, SafetyPerson.id, SafetyPerson.share_groups, SafetyMember.name)
            .join(SafetyPerson, SafetyPerson.id == SafetyMember.person_id)
            .where(SafetyMember.group_id.in_([g.id for g in groups]))
            .order_by(SafetyMember.joined_at, SafetyPerson.id)
        )
    ).all()
    sharing = {p for _, p, share, _ in rows if share or p == person.id}
    statuses = await latest(session, keys, sorted(sharing))
    names = {(g, p): name for g, p, _, name in rows}
    mine = statuses.get(person.id)
    asks = (
        await session.execute(
            select(SafetyRequest.group_id, SafetyRequest.asker_id, func.max(SafetyRequest.created_at))
            .where(SafetyRequest.person_id == person.id)
            .where(SafetyRequest.created_at > mine[0].at if mine else text("true"))
            .group_by(SafetyRequest.group_id, SafetyRequest.asker_id)
            .order_by(func.max(SafetyRequest.created_at))
        )
    ).all()
    answer = []
    for group in groups:
        members = []
        for group_id, member_id, _, name in rows:
            if group_id != group.id:
                continue
            shown = statuses.get(member_id) if member_id in sharing else None
            if shown is not None and member_id != person.id:
                audit(session, caller.account_id, "safety.read", f"person:{member_id}", group=str(group.id))
            members.append(
                {
                    "personId": member_id,
                    "me": member_id == person.id,
                    "creator": member_id == group.creator_id,
                    "status": shown[0].record() if shown else None,
                    "name": name,
                }
            )
        asked = [
            {"personId": asker, "name": names.get((group.id, asker)), "at": at.isoformat()}
            for group_id, asker, at in asks
            if group_id == group.id and (group.id, asker) in names
        ]
        answer.append(
            {
                "id": group.id,
                "name": group.name,
                "creator": group.creator_id == person.id,
                "members": members,
                "askedMe": asked,
            }
        )
    return answer


# What GET /api/safety/groups would show changes when any of these does: the groups, their
# members and names, each member's newest status (and whether they share it), requests to me.
FINGERPRINT = """
SELECT md5(coalesce((
    SELECT string_agg(concat_ws('|', m.group_id, g.name, g.creator_id, m.person_id, m.name, p.share_groups, (
        SELECT s.id FROM safety_status s WHERE s.person_id = m.person_id ORDER BY s.created_at DESC, s.id DESC LIMIT 1
    )), ',' ORDER BY m.group_id, m.joined_at, m.person_id)
    FROM safety_member m JOIN safety_group g ON g.id = m.group_id JOIN safety_person p ON p.id = m.person_id
    WHERE m.group_id IN (SELECT group_id FROM safety_member WHERE person_id = :me)
), '') || ':' || (
    SELECT count(*) || '/' || coalesce(max(created_at)::text, '') FROM safety_request WHERE person_id = :me
))
"""


async def groups_fingerprint(session: AsyncSession, person: SafetyPerson) -> str:
    """A short digest of my groups' view, read without opening a status: a client that has the
    view with this digest is answered 304 (and nobody's status is read, so nothing is audited)."""
    return str(await session.scalar(text(FINGERPRINT), {"me": person.id}))


async def ask(session: AsyncSession, person: SafetyPerson, group_id: uuid.UUID, asked: uuid.UUID) -> SafetyRequest:
    """A member asks another member of the group to tell the group they are safe; once per
    ASK_EVERY for the same asker and person (whichever group)."""
    group = await _membership(session, person, group_id)
    if asked == person.id:
        raise InvalidParameterError("personId", "ask another member, not yourself")
    if await session.get(SafetyMember, (group.id, asked)) is None:
        raise NotFoundError(f"no member {asked} in this group")
    pair = f"safety.ask:{person.id}:{asked}"
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": pair})
    last = await session.scalar(
        select(func.max(SafetyRequest.created_at)).where(
            SafetyRequest.asker_id == person.id, SafetyRequest.person_id == asked
        )
    )
    now = await session.scalar(select(func.now()))
    assert now is not None  # noqa: S101 - the database's clock
    if last is not None and now - last < ASK_EVERY:
        from server.accounts.service import ThrottledError

        raise ThrottledError("you asked this person a moment ago", (last + ASK_EVERY - now).total_seconds())
    request = SafetyRequest(id=uuid7(), group_id=group.id, asker_id=person.id, person_id=asked)
    session.add(request)
    await session.flush()
    await session.refresh(request, ["created_at"])
    return request


# Inquiries --------------------------------------------------------------------------------------


async def take_inquiry(session: AsyncSession, client: str) -> None:
    """Count one inquiry of this client in the database (every process shares the count): at most
    INQUIRIES_PER_MINUTE a minute, so names and phone numbers cannot be tried in bulk."""
    from server.accounts.service import ThrottledError

    key = hashlib.sha256(f"inquiry\x00{client}".encode("utf-8", "surrogatepass")).hexdigest()
    row = (
        await session.execute(
            text(
                "INSERT INTO safety_inquiry_throttle (key, window_start, count) VALUES (:k, now(), 1) "
                "ON CONFLICT (key) DO UPDATE SET "
                "count = CASE WHEN safety_inquiry_throttle.window_start < now() - interval '1 minute' THEN 1 "
                "ELSE safety_inquiry_throttle.count + 1 END, "
                "window_start = CASE WHEN safety_inquiry_throttle.window_start < now() - interval '1 minute' "
                "THEN now() ELSE safety_inquiry_throttle.window_start END "
                "RETURNING count, extract(epoch FROM window_start + interval '1 minute' - now())"
            ),
            {"k": key},
        )
    ).one()
    await session.execute(
        delete(InquiryThrottle).where(InquiryThrottle.window_start < func.now() - text("interval '1 hour'"))
    )
    if row[0] > INQUIRIES_PER_MINUTE:
        raise ThrottledError(
            f"too many inquiries from this address (at most {INQUIRIES_PER_MINUTE} a minute)", float(row[1])
        )


async def inquire(
    session: AsyncSession, keys: Keys, *, code: str | None, name: str | None, phone: str | None
) -> tuple[SafetyPerson | None, Shown | None]:
    """The person asked after and the status they let inquiries see; (person or None, None)
    when there is nothing to show: absent, not consenting, forbidden and silent look the same."""
    if code:
        person = await session.scalar(select(SafetyPerson).where(SafetyPerson.inquiry_code == code))
    else:
        hashed = inquiry_hash(keys, name or "", phone or "")
        person = (
            await session.scalar(select(SafetyPerson).where(SafetyPerson.inquiry_hash == hashed).limit(1))
            if hashed
            else None
        )
    if person is None and not code:
        # Not one of ours: another registry's records (PFIF imports) may know them. Imported here,
        # as pfif builds on this module.
        from server.safety.pfif import registry_inquiry

        return None, await registry_inquiry(session, keys, name or "", phone or "")
    if person is None or not person.answer_inquiries or person.inquiries_forbidden or person.hq_forbidden:
        return person, None
    shown = (await latest(session, keys, [person.id])).get(person.id)
    return person, shown[0] if shown else None


# Headquarters -----------------------------------------------------------------------------------


def hq_towns(caller: Principal) -> set[str] | None:
    """The municipalities whose people this caller may see (None: every one, the prefecture's)."""
    return None if "prefectural_hq" in caller.roles else caller.municipalities("municipal_hq")


COUNTS = """
WITH now AS (
    SELECT DISTINCT ON (person_id) person_id, status, municipality_id
    FROM safety_status ORDER BY person_id, created_at DESC, id DESC
)
SELECT m.code, m.name, count(*) FILTER (WHERE n.status = 'needs_help'), count(*) FILTER (WHERE n.status = 'injured')
FROM now n LEFT JOIN municipality m ON m.id = n.municipality_id
WHERE n.status IN ('needs_help', 'injured')
GROUP BY m.code, m.name ORDER BY m.code NULLS LAST
"""


async def hq_counts(session: AsyncSession, caller: Principal) -> list[dict[str, Any]]:
    """People whose status now is "needs help" or "injured", per municipality: counts only."""
    towns = hq_towns(caller)
    rows = (await session.execute(text(COUNTS))).all()
    return [
        {"municipality": code, "municipalityName": name, "needsHelp": needs, "injured": hurt}
        for code, name, needs, hurt in rows
        if towns is None or code in towns
    ]


async def hq_people(
    session: AsyncSession, keys: Keys, caller: Principal, municipality: str | None
) -> list[dict[str, Any]]:
    """Those who consented to share with headquarters, their status now with location; each one
    shown is audit-logged."""
    towns = hq_towns(caller)
    ids = list(await session.scalars(select(SafetyPerson.id).where(SafetyPerson.share_hq)))
    statuses = await latest(session, keys, ids)
    answer = []
    for person_id, (shown, code) in sorted(statuses.items(), key=lambda kv: kv[1][0].at, reverse=True):
        if (towns is not None and code not in towns) or (municipality and code != municipality):
            continue
        audit(session, caller.account_id, "safety.hq_read", f"person:{person_id}", municipality=code)
        answer.append({"personId": person_id, "status": shown.record(), "municipality": code})
    return answer


TOWN_NOW = """
SELECT m.code FROM safety_status s LEFT JOIN municipality m ON m.id = s.municipality_id
WHERE s.person_id = :person ORDER BY s.created_at DESC, s.id DESC LIMIT 1
"""


async def forbid_inquiries(session: AsyncSession, caller: Principal | None, code: str, forbidden: bool) -> None:
    """Headquarters stop inquiries about a person (by the code on their card): any headquarters
    may forbid; allowing again is for the prefecture's or the person's municipality's (the command
    line, caller None, may do either)."""
    person = await session.scalar(select(SafetyPerson).where(SafetyPerson.inquiry_code == code))
    if person is None:
        raise NotFoundError("no person carries this inquiry code")
    if not forbidden and caller is not None:
        towns = hq_towns(caller)
        town = await session.scalar(text(TOWN_NOW), {"person": person.id})
        if towns is not None and town not in towns:
            raise ForbiddenError(
                "only headquarters of the person's municipality (or the prefecture's) allow inquiries again"
            )
    await session.execute(update(SafetyPerson).where(SafetyPerson.id == person.id).values(hq_forbidden=forbidden))
    actor = caller.account_id if caller else None
    audit(session, actor, "safety.inquiries_forbidden", f"person:{person.id}", forbidden=forbidden)
