"""What headquarters read at their desk besides the occupancy: people in shelters over the event
(per municipality and overall, from the check-in rows) and a shelter's history. Counts only:
no one is named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.accounts.models import Account
from server.accounts.service import Principal
from server.facilities.models import Facility
from server.lib.errors import InvalidParameterError, NotFoundError
from server.municipalities.models import Municipality
from server.shelters.models import Checkin, DisasterEvent, ShelterChange, ShelterOperation
from server.shelters.service import fill_status, may_operate, overseen, parse_id

MAX_BUCKETS = 500
HISTORY_ROWS = 500  # the newest check-ins shown; the CSV export has the counts of all


async def trend(
    session: AsyncSession, caller: Principal, event_id: str | None, code: str | None, buckets: int
) -> dict[str, Any]:
    """People inside the caller's shelters at the end of each of ``buckets`` equal spans from the
    start of the events (the open ones, or the one asked for) to now (or to their close)."""
    if not 1 <= buckets <= MAX_BUCKETS:
        raise InvalidParameterError("buckets", f"from 1 to {MAX_BUCKETS}")
    events = select(DisasterEvent.id, DisasterEvent.opened_at, DisasterEvent.closed_at, DisasterEvent.status)
    if event_id:
        events = events.where(DisasterEvent.id == parse_id(event_id, "event"))
    else:
        events = events.where(DisasterEvent.status == "open")
    found = (await session.execute(events)).all()
    now = datetime.now(UTC)
    if not found:
        return {
            "from": now.isoformat(),
            "to": now.isoformat(),
            "stepSeconds": 0,
            "times": [],
            "all": [],
            "municipalities": [],
        }
    start = min(row.opened_at for row in found)
    end = now if any(row.status == "open" for row in found) else max(row.closed_at or now for row in found)
    # Never a span of nothing: a trend asked the instant an event opened still has its buckets.
    step = max((end - start).total_seconds(), float(buckets)) / buckets
    ids = [row.id for row in found]
    mine = overseen(caller, ShelterOperation.facility_id)

    # The municipalities shown: those with a shelter of these events in the caller's sight.
    towns_query = (
        select(Municipality.code, Municipality.name)
        .join(Facility, Facility.municipality_id == Municipality.id)
        .join(ShelterOperation, ShelterOperation.facility_id == Facility.id)
        .where(ShelterOperation.event_id.in_(ids))
        .distinct()
        .order_by(Municipality.code)
    )
    if mine is not None:
        towns_query = towns_query.where(mine)
    if code:
        towns_query = towns_query.where(Municipality.code == code)
    names: dict[str, str] = {str(town): str(name) for town, name in (await session.execute(towns_query)).all()}
    series = {town: [0] * buckets for town in names}

    signed = case((Checkin.direction == "in", 1), else_=-1)
    bucket = func.floor(func.extract("epoch", Checkin.created_at - literal(start)) / step)
    changes = (
        select(Municipality.code, bucket.label("bucket"), func.sum(signed * Checkin.people))
        .join(Facility, Facility.id == Checkin.facility_id)
        .join(Municipality, Municipality.id == Facility.municipality_id)
        .join(
            ShelterOperation,
            (ShelterOperation.event_id == Checkin.event_id) & (ShelterOperation.facility_id == Checkin.facility_id),
        )
        .where(Checkin.event_id.in_(ids), Municipality.code.in_(list(names)))
        .group_by(Municipality.code, bucket)
    )
    if mine is not None:
        changes = changes.where(mine)
    for town, at, delta in await session.execute(changes):
        series[town][min(max(int(at), 0), buckets - 1)] += int(delta)
    for people in series.values():
        inside = 0
        for i, delta in enumerate(people):
            inside += delta
            people[i] = max(0, inside)
    ends = [start + timedelta(seconds=step * (i + 1)) for i in range(buckets)]
    ends[-1] = end  # exactly, whatever the rounding
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "stepSeconds": round(step, 3),
        "times": [at.isoformat() for at in ends],
        "all": [sum(people[i] for people in series.values()) for i in range(buckets)],
        "municipalities": [{"code": town, "name": names[town], "people": series[town]} for town in names],
    }


async def history(session: AsyncSession, caller: Principal, facility_id: str, event_id: str | None) -> dict[str, Any]:
    """A shelter's check-ins and check-outs (transfers naming the other shelter), its opening and
    closing, what staff changed (who, from what to what) and when it became crowded or full,
    newest first: in the event asked for, else in its newest event."""
    facility = await session.get(Facility, parse_id(facility_id, "shelter"))
    if facility is None:
        raise NotFoundError(f"no shelter {facility_id}")
    await may_operate(session, caller, facility)
    query = (
        select(ShelterOperation, DisasterEvent.name)
        .join(DisasterEvent, DisasterEvent.id == ShelterOperation.event_id)
        .where(ShelterOperation.facility_id == facility.id)
        .order_by(ShelterOperation.opened_at.desc())
        .limit(1)
    )
    if event_id:
        query = query.where(ShelterOperation.event_id == parse_id(event_id, "event"))
    found = (await session.execute(query)).first()
    if found is None:
        raise NotFoundError(f"{facility.name} was not opened in this event")
    operation, event_name = found
    other = aliased(Facility)
    rows = await session.execute(
        select(Checkin, other.name)
        .outerjoin(other, other.id == Checkin.transfer_facility_id)
        .where(Checkin.event_id == operation.event_id, Checkin.facility_id == facility.id)
        .order_by(Checkin.created_at.desc(), Checkin.id.desc())
        .limit(HISTORY_ROWS)
    )
    entries: list[dict[str, Any]] = [
        {
            "at": row.created_at,
            "kind": row.direction,
            "people": row.people,
            "stay": row.stay,
            "care": row.care,
            "otherShelterId": str(row.transfer_facility_id) if row.transfer_facility_id else None,
            "otherShelter": name,
        }
        for row, name in rows
    ]
    changes = (
        await session.execute(
            select(ShelterChange, Account.email)
            .outerjoin(Account, Account.id == ShelterChange.actor_id)
            .where(ShelterChange.operation_id == operation.id)
            .order_by(ShelterChange.created_at, ShelterChange.id)
        )
    ).all()
    for change, email in changes:
        entries.append(
            {
                **_mark(change.created_at, "change"),
                "field": change.field,
                "before": change.before,
                "after": change.after,
            }
            | {"by": email}
        )
    entries += await _fill_changes(session, operation, [change for change, _ in changes])
    # A closing made through a change is said by that change (with who made it), not twice.
    statuses = [c.after for c, _ in changes if c.field == "status"]
    closed_by_change = bool(statuses) and statuses[-1] == "closed"
    entries.append(_mark(operation.opened_at, "opened"))
    if operation.closed_at and not closed_by_change:
        entries.append(_mark(operation.closed_at, "closed"))
    entries.sort(key=lambda e: e["at"], reverse=True)
    return {
        "shelterId": str(facility.id),
        "name": facility.name,
        "event": str(operation.event_id),
        "eventName": event_name,
        "entries": [{**e, "at": e["at"].isoformat()} for e in entries],
    }


def _mark(at: datetime, kind: str) -> dict[str, Any]:
    return {"at": at, "kind": kind, "people": None, "stay": None, "care": {}}


async def _fill_changes(
    session: AsyncSession, operation: ShelterOperation, changes: list[ShelterChange]
) -> list[dict[str, Any]]:
    """When the shelter became crowded or full (or open again): the check-ins and capacity changes
    replayed in time order, an entry wherever the fill status they give differs from the one before.
    Not stored: it follows from the rows (as the occupancy does)."""
    capacities = [c for c in changes if c.field == "capacity"]
    capacity = capacities[0].before if capacities else operation.capacity
    steps: list[tuple[datetime, int, int | None]] = [(c.created_at, 0, c.after) for c in capacities]
    signed = case((Checkin.direction == "in", Checkin.people), else_=-Checkin.people)
    moves = await session.execute(
        select(Checkin.created_at, signed)
        .where(Checkin.event_id == operation.event_id, Checkin.facility_id == operation.facility_id)
        .order_by(Checkin.created_at, Checkin.id)
    )
    steps += [(at, int(delta), None) for at, delta in moves]
    steps.sort(key=lambda step: step[0])
    inside, shown, found = 0, fill_status("open", 0, capacity), []
    for at, delta, new_capacity in steps:
        inside = max(0, inside + delta)
        if new_capacity is not None:
            capacity = new_capacity
        now = fill_status("open", inside, capacity)
        if now != shown:
            found.append({**_mark(at, "fill"), "field": "status", "before": shown, "after": now, "by": None})
            shown = now
    return found
