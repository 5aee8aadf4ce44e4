"""Opening events and shelters; recording check-ins and check-outs exactly once per idempotency
key; occupancy per shelter from those records."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from geo.kinds import HAZARD_TYPES
from server.accounts.service import Principal
from server.facilities.models import Facility
from server.households.models import Household
from server.households.qr import QrError
from server.households.service import load_by_id, verify_code
from server.lib.errors import ConflictError, ForbiddenError, InvalidParameterError, NotFoundError, UnprocessableError
from server.lib.ids import uuid7
from server.lib.keys import Keys
from server.municipalities.models import Municipality
from server.shelters.models import STAYS, Checkin, DisasterEvent, EventMunicipality, ShelterOperation

EVENT_TYPES = (*HAZARD_TYPES, "other")
CROWDED_AT = 0.8  # of capacity


def _uuid(raw: str, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise InvalidParameterError(name, f"{raw!r} is not an id") from None


async def open_event(session: AsyncSession, hazard_type: str, name: str, codes: list[str]) -> DisasterEvent:
    if hazard_type not in EVENT_TYPES:
        raise InvalidParameterError("type", f"unknown type {hazard_type!r}", list(EVENT_TYPES))
    if not name.strip():
        raise InvalidParameterError("name", "is required")
    towns = (
        await session.execute(select(Municipality.code, Municipality.id).where(Municipality.code.in_(codes)))
    ).all()
    missing = sorted(set(codes) - {code for code, _ in towns})
    if missing or not codes:
        raise InvalidParameterError("municipality", f"unknown municipality {', '.join(missing) or '(none given)'}")
    event = DisasterEvent(id=uuid7(), hazard_type=hazard_type, name=name.strip(), status="open")
    session.add(event)
    session.add_all(EventMunicipality(event_id=event.id, municipality_id=town_id) for _, town_id in towns)
    return event


async def close_event(session: AsyncSession, event_id: str) -> DisasterEvent:
    event = await session.get(DisasterEvent, _uuid(event_id, "event"))
    if event is None:
        raise NotFoundError(f"no disaster event {event_id}")
    now = datetime.now(UTC)
    event.status, event.closed_at = "closed", event.closed_at or now
    for operation in (
        await session.scalars(select(ShelterOperation).where(ShelterOperation.event_id == event.id))
    ).all():
        operation.status, operation.closed_at = "closed", operation.closed_at or now
    return event


async def set_shelter(
    session: AsyncSession, event_id: str, facility_id: str, *, open_: bool, capacity: int | None = None
) -> ShelterOperation:
    event = await session.get(DisasterEvent, _uuid(event_id, "event"))
    if event is None:
        raise NotFoundError(f"no disaster event {event_id}")
    facility = await session.get(Facility, _uuid(facility_id, "facility"))
    if facility is None:
        raise NotFoundError(f"no facility {facility_id}")
    operation = await session.scalar(
        select(ShelterOperation).where(
            ShelterOperation.event_id == event.id, ShelterOperation.facility_id == facility.id
        )
    )
    if open_ and event.status != "open":
        raise ConflictError(f"the event {event.name} is closed")
    if operation is None:
        if not open_:
            raise NotFoundError(f"{facility.name} was not opened in this event")
        operation = ShelterOperation(id=uuid7(), event_id=event.id, facility_id=facility.id)
        session.add(operation)
    if open_:
        operation.status, operation.closed_at = "open", None
        operation.capacity = capacity if capacity is not None else (operation.capacity or facility.capacity)
    else:
        operation.status, operation.closed_at = "closed", datetime.now(UTC)
    return operation


async def _may_operate(session: AsyncSession, caller: Principal, facility: Facility) -> None:
    if "prefectural_hq" in caller.roles or str(facility.id) in caller.shelters():
        return
    code = await session.scalar(select(Municipality.code).where(Municipality.id == facility.municipality_id))
    if code in caller.municipalities("municipal_hq"):
        return
    raise ForbiddenError("this shelter is not yours to operate")


@dataclass(frozen=True)
class Recorded:
    checkin: Checkin
    created: bool


async def record(
    session: AsyncSession, keys: Keys, caller: Principal, key: str, direction: str, body: dict[str, Any]
) -> Recorded:
    """Record a check-in or check-out once: the same key again returns the same record."""
    if not 8 <= len(key) <= 128:
        raise InvalidParameterError("Idempotency-Key", "a header of 8 to 128 characters (a UUID is best)")
    existing = await session.scalar(select(Checkin).where(Checkin.idempotency_key == key))
    if existing is not None:
        return Recorded(existing, False)
    facility = await session.get(Facility, _uuid(body.get("shelterId", ""), "shelterId"))
    if facility is None:
        raise NotFoundError(f"no shelter {body.get('shelterId')}")
    await _may_operate(session, caller, facility)
    stay = body.get("stay", "inside")
    if stay not in STAYS:
        raise InvalidParameterError("stay", f"unknown stay {stay!r}", list(STAYS))
    operation = await session.scalar(
        select(ShelterOperation)
        .join(DisasterEvent, DisasterEvent.id == ShelterOperation.event_id)
        .where(ShelterOperation.facility_id == facility.id, DisasterEvent.status == "open")
        .order_by(ShelterOperation.opened_at.desc())
        .limit(1)
    )
    if operation is None or operation.status != "open":
        raise ConflictError(f"{facility.name} is closed: open it for the event first")
    household, members = await _household(session, keys, body)
    wanted = [str(m) for m in body.get("memberIds") or []]
    unknown = sorted(set(wanted) - set(members))
    if unknown:
        raise InvalidParameterError("memberIds", f"not members of this household: {', '.join(unknown)}")
    people = len(wanted) or len(members) or 1
    values = {
        "id": uuid7(),
        "idempotency_key": key,
        "event_id": operation.event_id,
        "facility_id": facility.id,
        "household_id": household.id,
        "member_ids": wanted or members,
        "people": people,
        "stay": stay,
        "direction": direction,
        "actor_id": caller.account_id,
    }
    inserted = await session.scalar(
        insert(Checkin)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(Checkin.id)
    )
    row = await session.scalar(select(Checkin).where(Checkin.idempotency_key == key))
    assert row is not None  # noqa: S101 - inserted now, or by a concurrent twin
    return Recorded(row, inserted is not None)


async def _household(session: AsyncSession, keys: Keys, body: dict[str, Any]) -> tuple[Household, list[str]]:
    if body.get("qr"):
        try:
            _, household, member = await verify_code(session, keys, str(body["qr"]))
        except QrError as exc:
            raise UnprocessableError(f"QR code refused: {exc}") from None
        _, document = await load_by_id(session, keys, household.id)
        members = [m["id"] for m in document.get("members", [])]
        return household, ([member] if member and not body.get("memberIds") else members)
    if body.get("householdId"):
        household, document = await load_by_id(session, keys, _uuid(body["householdId"], "householdId"))
        return household, [m["id"] for m in document.get("members", [])]
    raise InvalidParameterError("qr", "send the scanned qr, or a householdId")


async def occupancy(
    session: AsyncSession, caller: Principal, event_id: str | None, code: str | None
) -> list[dict[str, Any]]:
    """People inside each open or closed shelter of open events now, by stay, against capacity."""
    signed = func.sum(case((Checkin.direction == "in", Checkin.people), else_=-Checkin.people))
    counts = (
        select(Checkin.event_id, Checkin.facility_id, Checkin.stay, signed.label("people"))
        .group_by(Checkin.event_id, Checkin.facility_id, Checkin.stay)
        .subquery()
    )
    query = (
        select(ShelterOperation, Facility.name, Municipality.code, DisasterEvent.name.label("event_name"))
        .join(Facility, Facility.id == ShelterOperation.facility_id)
        .join(Municipality, Municipality.id == Facility.municipality_id)
        .join(DisasterEvent, DisasterEvent.id == ShelterOperation.event_id)
        .order_by(Municipality.code, Facility.name)
    )
    if event_id:
        query = query.where(ShelterOperation.event_id == _uuid(event_id, "event"))
    else:
        query = query.where(DisasterEvent.status == "open")
    if code:
        query = query.where(Municipality.code == code)
    if "prefectural_hq" not in caller.roles:
        towns = caller.municipalities("municipal_hq")
        shelters = [uuid.UUID(s) for s in caller.shelters()]
        query = query.where((Municipality.code.in_(towns)) | (ShelterOperation.facility_id.in_(shelters)))
    rows = (await session.execute(query)).all()
    by_stay = (await session.execute(select(counts))).all()
    result = []
    for operation, name, town, event_name in rows:
        stays = dict.fromkeys(STAYS, 0)
        for row in by_stay:
            if row.event_id == operation.event_id and row.facility_id == operation.facility_id:
                stays[row.stay] = max(0, int(row.people))
        inside = sum(stays.values())
        capacity = operation.capacity
        status = operation.status
        if status == "open" and capacity:
            status = "full" if inside >= capacity else "crowded" if inside >= CROWDED_AT * capacity else "open"
        result.append(
            {
                "shelterId": str(operation.facility_id),
                "name": name,
                "municipality": town,
                "event": str(operation.event_id),
                "eventName": event_name,
                "status": status,
                "capacity": capacity,
                "people": inside,
                "byStay": stays,
                "petsAccepted": operation.pets_accepted,
            }
        )
    return result


NEEDS = ("suppliesShort", "sick", "incidents", "notes")


async def update_shelter(
    session: AsyncSession, caller: Principal, facility_id: str, body: dict[str, Any]
) -> ShelterOperation:
    """Staff (or headquarters) set a shelter's capacity, pets policy, needs, or close/reopen it."""
    facility = await session.get(Facility, _uuid(facility_id, "facility"))
    if facility is None:
        raise NotFoundError(f"no shelter {facility_id}")
    await _may_operate(session, caller, facility)
    operation = await session.scalar(
        select(ShelterOperation)
        .join(DisasterEvent, DisasterEvent.id == ShelterOperation.event_id)
        .where(ShelterOperation.facility_id == facility.id, DisasterEvent.status == "open")
        .order_by(ShelterOperation.opened_at.desc())
        .limit(1)
    )
    if operation is None:
        raise ConflictError(f"{facility.name} is not opened in any open event")
    if "status" in body:
        if body["status"] not in ("open", "closed"):
            raise InvalidParameterError(
                "status", "open or closed (crowded and full follow from occupancy)", ["open", "closed"]
            )
        operation.status = body["status"]
        operation.closed_at = datetime.now(UTC) if body["status"] == "closed" else None
    if "capacity" in body:
        if not isinstance(body["capacity"], int) or isinstance(body["capacity"], bool) or body["capacity"] < 1:
            raise InvalidParameterError("capacity", "a whole number of people, at least 1")
        operation.capacity = body["capacity"]
    if "petsAccepted" in body:
        if not isinstance(body["petsAccepted"], bool):
            raise InvalidParameterError("petsAccepted", "true or false")
        operation.pets_accepted = body["petsAccepted"]
    if "needs" in body:
        needs = body["needs"]
        if not isinstance(needs, dict) or set(needs) - set(NEEDS):
            raise InvalidParameterError("needs", f"an object with {', '.join(NEEDS)}", list(NEEDS))
        operation.needs = {**operation.needs, **needs}
    return operation
