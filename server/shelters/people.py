"""Personal data at a shelter: who is inside (with members and care needs, searchable by name or
kana), what staff see of a household at the door when its code is scanned, and walk-ins
registered on the digital evacuee card. Only the shelter's operators may read it, and every read
is written to the audit log (who read whose data, what for, when)."""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.service import Principal, audit
from server.facilities.models import Facility
from server.households.models import Household
from server.households.schemas import EvacueeCard
from server.households.service import household_code, load_by_id, new_household, open_document, seal
from server.lib.errors import InvalidParameterError, NotFoundError
from server.lib.keys import Keys
from server.shelters.checkins import Leg, raw_connection, record, replay, serialise
from server.shelters.models import Checkin
from server.shelters.schemas import CheckinRequest
from server.shelters.service import (
    CheckinHook,
    Recorded,
    current_operation,
    may_operate,
    member_needs,
    no_hook,
    operating_shelter,
    parse_id,
)


def _fold(text: str) -> str:
    """For matching names: width, case and katakana/hiragana folded, spaces dropped."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace(" ", "").replace("\u3000", "")
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in folded)


def _matches(document: dict[str, Any], query: str) -> bool:
    wanted = _fold(query)
    return any(
        wanted in _fold(member.get("name") or "") or wanted in _fold(member.get("kana") or "")
        for member in document.get("members", [])
    )


def _view(household: Household, document: dict[str, Any], inside: set[str]) -> dict[str, Any]:
    """What staff see of a household: members with care needs, pets, the evacuee card's answers."""
    card = {k: v for k, v in document.items() if k not in ("members", "home", "work")}
    return {
        "householdId": str(household.id),
        "walkIn": household.account_id is None,
        "members": [
            {
                "id": m["id"],
                "name": m["name"],
                "kana": m.get("kana"),
                "birthDate": m.get("birthDate"),
                "careNeeds": m.get("careNeeds"),
                "needs": member_needs(m),
                "skills": m.get("skills", []),
                "inside": m["id"] in inside,
            }
            for m in document.get("members", [])
        ],
        **card,
    }


async def _inside(
    session: AsyncSession, event_id: uuid.UUID, facility_id: uuid.UUID, household_id: uuid.UUID | None = None
) -> dict[uuid.UUID, set[str]]:
    """Per household (or for the one given), the members inside the shelter now (check-ins and
    outs in order)."""
    query = (
        select(Checkin.household_id, Checkin.direction, Checkin.member_ids)
        .where(Checkin.event_id == event_id, Checkin.facility_id == facility_id, Checkin.household_id.is_not(None))
        .order_by(Checkin.created_at, Checkin.id)
    )
    if household_id is not None:
        query = query.where(Checkin.household_id == household_id)
    rows = (await session.execute(query)).all()
    inside: dict[uuid.UUID, set[str]] = {}
    for household_id, direction, member_ids in rows:
        assert household_id is not None  # noqa: S101 - selected so
        now = inside.setdefault(household_id, set())
        if direction == "in":
            now.update(member_ids)
        else:
            now.difference_update(member_ids)
    return inside


async def people(
    session: AsyncSession, keys: Keys, caller: Principal, shelter_id: str, query: str | None
) -> list[dict[str, Any]]:
    """The households inside the shelter now, and walk-ins registered there; audit-logged."""
    facility = await session.get(Facility, parse_id(shelter_id, "shelter"))
    if facility is None:
        raise NotFoundError(f"no shelter {shelter_id}")
    await may_operate(session, caller, facility)
    operation = await current_operation(session, facility)
    inside = await _inside(session, operation.event_id, facility.id) if operation else {}
    present = [household for household, now in inside.items() if now]
    households = await session.scalars(
        select(Household)
        .where(Household.id.in_(present) | (Household.registered_at == facility.id))
        .order_by(Household.id)
    )
    result = []
    for household in households:
        document = open_document(keys, household)
        if query and not _matches(document, query):
            continue
        audit(session, caller.account_id, "household.read", f"household:{household.id}", shelter=str(facility.id))
        result.append(_view(household, document, inside.get(household.id, set())))
    return result


async def at_door(
    session: AsyncSession, keys: Keys, caller: Principal, shelter_id: str, household: Household
) -> dict[str, Any]:
    """What staff see when a resident shows their code at the shelter's door (the resident shows
    it to be let in: that is their consent); audit-logged."""
    facility, operation = await operating_shelter(session, shelter_id, "shelterId", caller)
    document = open_document(keys, household)
    inside = (await _inside(session, operation.event_id, facility.id, household.id)).get(household.id, set())
    audit(session, caller.account_id, "household.read", f"household:{household.id}", shelter=str(facility.id))
    return _view(household, document, inside)


@dataclass(frozen=True)
class WalkIn:
    household: Household
    document: dict[str, Any]
    checkin: Recorded


async def register_walk_in(
    session: AsyncSession,
    keys: Keys,
    caller: Principal,
    shelter_id: str,
    key: str,
    card: EvacueeCard,
    hook: CheckinHook = no_hook,
) -> WalkIn:
    """A household without the app, registered and checked in by staff: once per key (the
    caller's own), however many copies of the request arrive at once."""
    leg = Leg("in", parse_id(shelter_id, "shelter"), "walkin")
    connection = await raw_connection(session)
    await serialise(connection, caller, leg, key)
    done = await replay(connection, caller, leg, key)
    if done is not None and done.checkin.household_id is not None:
        household, document = await load_by_id(session, keys, done.checkin.household_id)
        return WalkIn(household, document, done)
    problem = card.problem()
    if problem:
        raise InvalidParameterError(*problem)
    facility, _ = await operating_shelter(session, shelter_id, "shelter", caller)
    household = new_household(registered_by=caller.account_id, registered_at=facility.id)
    session.add(household)
    document = seal(keys, household, card)
    await session.flush()
    arrival = CheckinRequest(shelter_id=facility.id, household_id=household.id, stay=card.stay)
    recorded = await record(connection, keys, caller, key, leg, arrival, hook)
    audit(session, caller.account_id, "household.register", f"household:{household.id}", shelter=str(facility.id))
    return WalkIn(household, document, recorded)


async def walk_in_code(session: AsyncSession, keys: Keys, caller: Principal, shelter_id: str, household_id: str) -> str:
    """The printable code of a walk-in registered at this shelter."""
    facility = await session.get(Facility, parse_id(shelter_id, "shelter"))
    household = await session.get(Household, parse_id(household_id, "household"))
    if facility is None or household is None or household.registered_at != facility.id:
        raise NotFoundError(f"no walk-in {household_id} registered at this shelter")
    await may_operate(session, caller, facility)
    audit(session, caller.account_id, "household.qr", f"household:{household.id}", shelter=str(facility.id))
    return household_code(keys, household)
