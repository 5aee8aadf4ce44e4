"""Opening events and shelters; recording check-ins and check-outs exactly once per idempotency
key; occupancy per shelter from those records."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, get_args

import asyncpg
import msgspec
from sqlalchemy import ColumnElement, Integer, case, cast, func, select, true
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from geo.kinds import HAZARD_TYPES
from server.accounts.service import Principal
from server.db.fast import Compiled, fetch
from server.facilities.models import Facility
from server.facilities.schemas import ShelterStatus
from server.lib.errors import ConflictError, ForbiddenError, InvalidParameterError, NotFoundError
from server.lib.ids import uuid7
from server.municipalities.models import Municipality
from server.shelters.models import STAYS, Checkin, DisasterEvent, EventMunicipality, ShelterChange, ShelterOperation
from server.shelters.schemas import CareNeed, Override, ShelterUpdate

EVENT_TYPES = (*HAZARD_TYPES, "other")
CROWDED_AT = 0.8  # of capacity


def parse_id(raw: str, name: str) -> uuid.UUID:
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


def may_open_event(caller: Principal, codes: list[str]) -> None:
    """Prefectural headquarters open events anywhere; municipal ones for their municipalities."""
    mine = caller.municipalities("municipal_hq")
    if "prefectural_hq" not in caller.roles and not (codes and set(codes) <= mine):
        raise ForbiddenError("municipal headquarters open events for their own municipality only")


async def close_event(session: AsyncSession, event_id: str, caller: Principal | None = None) -> DisasterEvent:
    """Close the event and its shelters. A caller (None: the command line) must be prefectural
    headquarters or the headquarters of every municipality of the event."""
    event = await session.get(DisasterEvent, parse_id(event_id, "event"))
    if event is None:
        raise NotFoundError(f"no disaster event {event_id}")
    if caller is not None:
        codes = await session.scalars(
            select(Municipality.code)
            .join(EventMunicipality, EventMunicipality.municipality_id == Municipality.id)
            .where(EventMunicipality.event_id == event.id)
        )
        may_open_event(caller, list(codes))
    now = datetime.now(UTC)
    event.status, event.closed_at = "closed", event.closed_at or now
    for operation in (
        await session.scalars(select(ShelterOperation).where(ShelterOperation.event_id == event.id))
    ).all():
        operation.status, operation.closed_at = "closed", operation.closed_at or now
    return event


# What opening a shelter tells a higher feature (residents' "shelter opened" push alerts), in the
# opening's own transaction: given by whoever wires the features (create_app, the bosai command,
# the demo), never imported (shelters know nothing of who is told).
OpeningHook = Callable[[AsyncSession, ShelterOperation], Awaitable[object]]


async def no_opening_hook(_session: AsyncSession, _operation: ShelterOperation) -> None:
    return None


async def set_shelter(
    session: AsyncSession,
    event_id: str,
    facility_id: str,
    *,
    open_: bool,
    capacity: int | None = None,
    on_open: OpeningHook = no_opening_hook,
) -> ShelterOperation:
    event = await session.get(DisasterEvent, parse_id(event_id, "event"))
    if event is None:
        raise NotFoundError(f"no disaster event {event_id}")
    facility = await session.get(Facility, parse_id(facility_id, "facility"))
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
    opening = open_ and operation.status != "open"
    if open_:
        operation.status, operation.closed_at = "open", None
        operation.capacity = capacity if capacity is not None else (operation.capacity or facility.capacity)
    else:
        operation.status, operation.closed_at = "closed", datetime.now(UTC)
    if opening:
        await session.flush()
        await on_open(session, operation)
    return operation


def operates(caller: Principal, facility_id: uuid.UUID | str, town: str | None) -> bool:
    """Staff of the shelter, headquarters of its municipality, prefectural headquarters."""
    return (
        "prefectural_hq" in caller.roles
        or str(facility_id) in caller.shelters()
        or town in caller.municipalities("municipal_hq")
    )


async def may_operate(session: AsyncSession, caller: Principal, facility: Facility) -> None:
    code = await session.scalar(select(Municipality.code).where(Municipality.id == facility.municipality_id))
    if not operates(caller, facility.id, code):
        raise ForbiddenError("this shelter is not yours to operate")


# What a check-in tells a higher feature (family safety status) inside its own transaction, on its
# connection: given in create_app, never imported (shelters know nothing of who is told).
CheckinHook = Callable[[asyncpg.Connection, Checkin], Awaitable[None]]


async def no_hook(_connection: asyncpg.Connection, _checkin: Checkin) -> None:
    return None


@dataclass(frozen=True)
class Recorded:
    checkin: Checkin
    created: bool


# Care needs counted per shelter (never who): keys of Checkin.care and of occupancy's "care".
CARE_NEEDS: tuple[str, ...] = get_args(CareNeed)


def member_needs(member: dict[str, Any]) -> list[str]:
    """The care needs of one member of a household document (keys of CARE_NEEDS, pets aside)."""
    care = member.get("careNeeds") or {}
    mobility = care.get("mobility", "walks")
    needs = []
    if mobility in ("wheelchair", "bedridden"):
        needs.append("wheelchair")
    if mobility in ("needs_help", "cane"):
        needs.append("mobilityHelp")
    for need, field in (
        ("medication", "medication"),
        ("allergy", "allergy"),
        ("illness", "illness"),
        ("disability", "disability"),
        ("pregnancy", "pregnancy"),
        ("infant", "infant"),
        ("language", "languageNeeds"),
    ):
        if care.get(field):
            needs.append(need)
    return needs


def care_counts(document: dict[str, Any], member_ids: list[str], *, with_pets: bool) -> dict[str, int]:
    """How many of these members have each care need (and the household's pets, when all came)."""
    counts = dict.fromkeys(CARE_NEEDS, 0)
    for member in document.get("members", []):
        if member.get("id") in member_ids:
            for need in member_needs(member):
                counts[need] += 1
    if with_pets:
        counts["pets"] = sum(int(p.get("count", 1)) for p in document.get("pets", []))
    return {need: n for need, n in counts.items() if n}


async def current_operation(session: AsyncSession, facility: Facility) -> ShelterOperation | None:
    """The facility's shelter in the newest open event, open or not."""
    return await session.scalar(
        select(ShelterOperation)
        .join(DisasterEvent, DisasterEvent.id == ShelterOperation.event_id)
        .where(ShelterOperation.facility_id == facility.id, DisasterEvent.status == "open")
        .order_by(ShelterOperation.opened_at.desc())
        .limit(1)
    )


async def operating_shelter(
    session: AsyncSession, raw_id: object, name: str, operator: Principal | None = None
) -> tuple[Facility, ShelterOperation]:
    """The shelter, which must be in operation now (open in an open event) and the operator's to
    operate, when one is given."""
    facility = await session.get(Facility, parse_id(str(raw_id or ""), name))
    if facility is None:
        raise NotFoundError(f"no shelter {raw_id}")
    if operator is not None:
        await may_operate(session, operator, facility)
    operation = await current_operation(session, facility)
    if operation is None or operation.status != "open":
        raise ConflictError(f"{facility.name} is closed: open it for the event first")
    return facility, operation


def check_key(key: str) -> None:
    if not 8 <= len(key) <= 120 or not key.isprintable():
        raise InvalidParameterError("Idempotency-Key", "a header of 8 to 120 characters (a UUID is best)")


def scoped_key(caller: Principal, endpoint: str, key: str) -> str:
    """The stored form of a client's Idempotency-Key: it means something only for the account
    that sent it and the endpoint it was sent to, so a key someone else used (or that this
    caller used elsewhere) is a new key, never their record."""
    check_key(key)
    return hashlib.sha256(f"{caller.account_id}\x1f{endpoint}\x1f{key}".encode()).hexdigest()


def checkin_values(
    caller: Principal,
    key: str,
    direction: str,
    event_id: uuid.UUID,
    facility_id: uuid.UUID,
    household_id: uuid.UUID,
    document: dict[str, Any],
    member_ids: list[str],
    stay: object,
) -> dict[str, Any]:
    """The columns of a check-in row (the stay checked, the care needs counted)."""
    stay = stay or "inside"
    if stay not in STAYS:
        raise InvalidParameterError("stay", f"unknown stay {stay!r}", list(STAYS))
    everyone = [m["id"] for m in document.get("members", [])]
    return {
        "id": uuid7(),
        "idempotency_key": key,
        "event_id": event_id,
        "facility_id": facility_id,
        "household_id": household_id,
        "member_ids": member_ids,
        "people": len(member_ids) or 1,
        "stay": stay,
        "direction": direction,
        "actor_id": caller.account_id,
        "care": care_counts(document, member_ids, with_pets=set(everyone) <= set(member_ids)),
    }


def people_of(document: dict[str, Any], wanted: list[str], member: str | None) -> list[str]:
    """The people concerned: the members asked for, else the member whose code it is, else all."""
    everyone = [m["id"] for m in document.get("members", [])]
    unknown = sorted(set(wanted) - set(everyone))
    if unknown:
        raise InvalidParameterError("memberIds", f"not members of this household: {', '.join(unknown)}")
    return wanted or ([member] if member else everyone)


def may_name_household(
    caller: Principal,
    town: str | None,
    direction: str,
    registered_here: bool,
    came_in: bool,
    override: Override | None,
) -> str:
    """Whether staff may name a household by its id rather than its code, and on what ground.

    Showing the code at the door is the household's consent. Without it: a walk-in registered at
    this shelter, or a household that came in here (to check it out, move it, or let it back in);
    else only headquarters of the shelter's municipality (or the prefecture), saying why — the
    reason goes to the audit log. Anyone else could check any household into their shelter and
    then read its members and care needs from the people list.
    """
    if registered_here:
        return "walk_in"
    if came_in:
        return "inside"
    if direction == "in" and override is not None:
        if "prefectural_hq" in caller.roles or town in caller.municipalities("municipal_hq"):
            return "override"
        raise ForbiddenError("only headquarters may check a household in without its code")
    raise ForbiddenError(
        "householdId: this household did not come in here; scan its QR code "
        "(headquarters may check it in with an override and a reason)"
    )


def overseen(caller: Principal | None, facility: InstrumentedAttribute[uuid.UUID]) -> ColumnElement[bool] | None:
    """The rows of shelters the caller oversees (its municipality's, its own shelters'), to be
    joined with Municipality; None: every shelter (prefectural headquarters, or the public)."""
    if caller is None or "prefectural_hq" in caller.roles:
        return None
    towns = caller.municipalities("municipal_hq")
    shelters = [uuid.UUID(s) for s in caller.shelters()]
    return Municipality.code.in_(towns) | facility.in_(shelters)


async def occupancy(
    session: AsyncSession,
    caller: Principal | None,
    event_id: str | None,
    code: str | None,
    facilities: list[uuid.UUID] | None = None,
) -> list[dict[str, Any]]:
    """People inside each shelter of open events (or of the event asked for) now, by stay and care
    need, against capacity; only the shelters the caller oversees (every one for ``None``: the
    public list, which shows counts only). The newest operation of a facility comes first."""
    query = (
        select(
            ShelterOperation,
            Facility.name,
            Facility.name_en,
            Facility.name_kana,
            func.ST_X(Facility.geom).label("lon"),
            func.ST_Y(Facility.geom).label("lat"),
            Municipality.code,
            Municipality.name.label("town_name"),
            DisasterEvent.name.label("event_name"),
        )
        .join(Facility, Facility.id == ShelterOperation.facility_id)
        .join(Municipality, Municipality.id == Facility.municipality_id)
        .join(DisasterEvent, DisasterEvent.id == ShelterOperation.event_id)
        .order_by(Municipality.code, Facility.name, ShelterOperation.opened_at.desc())
    )
    if event_id:
        query = query.where(ShelterOperation.event_id == parse_id(event_id, "event"))
    else:
        query = query.where(DisasterEvent.status == "open")
    if code:
        query = query.where(Municipality.code == code)
    if facilities is not None:
        query = query.where(ShelterOperation.facility_id.in_(facilities))
    if (mine := overseen(caller, ShelterOperation.facility_id)) is not None:
        query = query.where(mine)
    rows = (await session.execute(query)).all()
    if not rows:
        return []
    operations = [row[0].id for row in rows]
    pairs = ShelterOperation.id.in_(operations)
    signed = case((Checkin.direction == "in", 1), else_=-1)
    by_stay = (
        select(ShelterOperation.id, Checkin.stay, func.sum(signed * Checkin.people), func.max(Checkin.created_at))
        .join(
            Checkin,
            (Checkin.event_id == ShelterOperation.event_id) & (Checkin.facility_id == ShelterOperation.facility_id),
        )
        .where(pairs)
        .group_by(ShelterOperation.id, Checkin.stay)
    )
    need = func.jsonb_each_text(Checkin.care).table_valued("key", "value").alias("need")
    by_need = (
        select(ShelterOperation.id, need.c.key, func.sum(signed * cast(need.c.value, Integer)))
        .join(
            Checkin,
            (Checkin.event_id == ShelterOperation.event_id) & (Checkin.facility_id == ShelterOperation.facility_id),
        )
        .join(need, true())
        .where(pairs)
        .group_by(ShelterOperation.id, need.c.key)
    )
    stays: dict[uuid.UUID, dict[str, int]] = {op: dict.fromkeys(STAYS, 0) for op in operations}
    # A shelter's last change: its own (status, capacity, needs) or its newest check-in/out.
    changed: dict[uuid.UUID, datetime] = {row[0].id: row[0].updated_at for row in rows}
    for op, stay, people, last in (await session.execute(by_stay)).all():
        stays[op][stay] = max(0, int(people))
        changed[op] = max(changed[op], last)
    care: dict[uuid.UUID, dict[str, int]] = {op: dict.fromkeys(CARE_NEEDS, 0) for op in operations}
    for op, key, count in (await session.execute(by_need)).all():
        care[op][key] = max(0, int(count))
    result = []
    for operation, name, name_en, name_kana, lon, lat, town, town_name, event_name in rows:
        inside = sum(stays[operation.id].values())
        capacity = operation.capacity
        status = fill_status(operation.status, inside, capacity)
        result.append(
            {
                "shelterId": str(operation.facility_id),
                "name": name,
                "nameEn": name_en,
                "nameKana": name_kana,
                "lat": round(lat, 6),
                "lon": round(lon, 6),
                "municipality": town,
                "municipalityName": town_name,
                "event": str(operation.event_id),
                "eventName": event_name,
                "status": status,
                "capacity": capacity,
                "people": inside,
                "fill": round(inside / capacity, 3) if capacity else None,
                "byStay": stays[operation.id],
                "care": care[operation.id],
                "petsAccepted": operation.pets_accepted,
                "needs": operation.needs,
                "updatedAt": changed[operation.id].isoformat(),
            }
        )
    return result


def fill_status(status: str, people: int, capacity: int | None) -> str:
    """open / crowded (from 80 % of capacity) / full / closed."""
    if status == "open" and capacity:
        return "full" if people >= capacity else "crowded" if people >= CROWDED_AT * capacity else "open"
    return status


async def public_shelters(
    connection: AsyncConnection, facility_id: uuid.UUID | None = None, code: str | None = None
) -> list[dict[str, Any]]:
    """The shelters operated in open events, for everyone: status, people inside and capacity.
    Counts only: no one is named."""
    shown: dict[str, dict[str, Any]] = {}
    async with AsyncSession(connection) as session:
        every = await occupancy(session, None, None, code, [facility_id] if facility_id else None)
    for shelter in every:
        shown.setdefault(
            shelter["shelterId"],
            {
                k: shelter[k]
                for k in ("shelterId", "name", "municipality", "status", "people", "capacity", "lat", "lon")
            },
        )
    # The names in other scripts, so that a reader of English is not given Japanese only.
    names = (
        await connection.execute(
            select(Facility.id, Facility.name_en, Facility.name_kana).where(
                Facility.id.in_([uuid.UUID(i) for i in shown])
            )
        )
    ).all()
    for row in names:
        shown[str(row.id)] |= {"nameEn": row.name_en, "nameKana": row.name_kana}
    return list(shown.values())


# Compiled once: nearest asks it on every request, on the raw pool (server/db/fast.py).
_OPEN_SHELTERS = Compiled(
    select(ShelterOperation.facility_id)
    .join(DisasterEvent, DisasterEvent.id == ShelterOperation.event_id)
    .where(DisasterEvent.status == "open")
)


async def open_shelters(pool: asyncpg.Pool) -> list[uuid.UUID]:
    """The facilities operated as shelters in an open event (open, or closed since): one indexed
    look on the raw pool, empty outside a disaster, so that "nearest" asks for fill levels (and
    opens an engine connection) only when there are some."""
    return [row[0] for row in await fetch(pool, _OPEN_SHELTERS)]


async def status_of(connection: AsyncConnection, facility_id: uuid.UUID) -> ShelterStatus | None:
    """The facility's shelter status now, for its sheet (counts only)."""
    return (await statuses_of(connection, [facility_id])).get(facility_id)


async def statuses_of(connection: AsyncConnection, facility_ids: list[uuid.UUID]) -> dict[uuid.UUID, ShelterStatus]:
    """The shelter status now (fill status, people, operating capacity) of each of these
    facilities operated in an open event, for the nearest answer and a facility's sheet."""
    if not facility_ids:
        return {}
    async with AsyncSession(connection) as session:
        every = await occupancy(session, None, None, None, facility_ids)
    found: dict[uuid.UUID, ShelterStatus] = {}
    for shelter in every:  # the newest operation of a facility comes first
        found.setdefault(
            uuid.UUID(shelter["shelterId"]), ShelterStatus(shelter["status"], shelter["people"], shelter["capacity"])
        )
    return found


def totals(shelters: list[dict[str, Any]]) -> dict[str, Any]:
    """Sums per municipality and for everything listed (the prefecture, for prefectural HQ)."""

    def add(into: dict[str, Any], shelter: dict[str, Any]) -> None:
        into["shelters"] += 1
        into["open"] += shelter["status"] != "closed"
        into["people"] += shelter["people"]
        into["capacity"] += shelter["capacity"] or 0
        for key, n in shelter["care"].items():
            into["care"][key] = into["care"].get(key, 0) + n
        for key, n in shelter["byStay"].items():
            into["byStay"][key] = into["byStay"].get(key, 0) + n

    def empty() -> dict[str, Any]:
        return {"shelters": 0, "open": 0, "people": 0, "capacity": 0, "byStay": {}, "care": {}}

    everything, towns = empty(), dict[str, dict[str, Any]]()
    for shelter in shelters:
        add(everything, shelter)
        add(towns.setdefault(shelter["municipality"], empty()), shelter)
    return {"all": everything, "municipalities": towns}


def record_changes(session: AsyncSession, caller: Principal, operation: ShelterOperation, body: ShelterUpdate) -> None:
    """A row per field that this update changes (its history says who changed what from what to
    what); a value set again unchanged is no change."""
    changed: list[tuple[str, Any, Any]] = []
    if body.status is not None and body.status != operation.status:
        changed.append(("status", operation.status, body.status))
    if body.capacity is not None and body.capacity != operation.capacity:
        changed.append(("capacity", operation.capacity, body.capacity))
    if body.pets_accepted is not None and body.pets_accepted != operation.pets_accepted:
        changed.append(("pets", operation.pets_accepted, body.pets_accepted))
    if body.needs is not None:
        new = msgspec.to_builtins(body.needs)
        keys = [key for key, value in new.items() if operation.needs.get(key) != value]
        if keys:
            before = {key: operation.needs[key] for key in keys if key in operation.needs}
            changed.append(("needs", before, {key: new[key] for key in keys}))
    for field, before, after in changed:
        session.add(
            ShelterChange(
                id=uuid7(),
                operation_id=operation.id,
                actor_id=caller.account_id,
                field=field,
                before=before,
                after=after,
            )
        )


async def update_shelter(
    session: AsyncSession,
    caller: Principal,
    facility_id: str,
    body: ShelterUpdate,
    on_open: OpeningHook = no_opening_hook,
) -> ShelterOperation:
    """Staff (or headquarters) set a shelter's capacity, pets policy, needs, or close/reopen it."""
    facility = await session.get(Facility, parse_id(facility_id, "facility"))
    if facility is None:
        raise NotFoundError(f"no shelter {facility_id}")
    await may_operate(session, caller, facility)
    operation = await current_operation(session, facility)
    if operation is None:
        raise ConflictError(f"{facility.name} is not opened in any open event")
    reopening = body.status == "open" and operation.status != "open"
    record_changes(session, caller, operation, body)
    if body.status is not None:
        operation.status = body.status
        operation.closed_at = datetime.now(UTC) if body.status == "closed" else None
    if body.capacity is not None:
        operation.capacity = body.capacity
    if body.pets_accepted is not None:
        operation.pets_accepted = body.pets_accepted
    if body.needs is not None:
        operation.needs = {**operation.needs, **msgspec.to_builtins(body.needs)}
    if reopening:
        await session.flush()
        await on_open(session, operation)
    return operation
