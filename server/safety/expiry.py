"""Safety records do not outlive their disaster: a set number of days after an event closes (40 by
default, as Person Finder), its statuses and imported PFIF records are cleared to placeholders
(ids and dates only). What was cleared is kept sealed for 3 days, so a mistaken expiry can be
undone, then dropped.

A status belongs to an event when it was set while the event was open, in one of its
municipalities (a check-in's status is in its shelter's municipality; an event naming none covers all)."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.service import audit
from server.lib.errors import ConflictError, NotFoundError
from server.lib.ids import uuid7
from server.lib.keys import Keys
from server.safety.registry import SafetyExpiry, SafetyRegistry
from server.shelters.models import DisasterEvent

UNDO_WINDOW = timedelta(days=3)

# The statuses an event holds that still have content (a placeholder is "unknown", nothing else).
EVENT_STATUSES = """
SELECT s.id, s.status, s.facility_id, s.municipality_id, s.set_by, s.sealed
FROM disaster_event e
JOIN safety_status s ON s.created_at >= e.opened_at AND s.created_at <= coalesce(e.closed_at, now())
     AND (s.municipality_id IN (SELECT municipality_id FROM disaster_event_municipality WHERE event_id = e.id)
          OR (s.municipality_id IS NOT NULL
              AND NOT EXISTS (SELECT FROM disaster_event_municipality WHERE event_id = e.id)))
WHERE e.id = :event
ORDER BY s.id
"""
CLEAR_STATUSES = """
UPDATE safety_status SET status = 'unknown', facility_id = NULL, municipality_id = NULL, set_by = NULL,
       sealed = NULL, updated_at = now()
WHERE id = ANY(:ids)
"""
RESTORE_STATUS = """
UPDATE safety_status SET status = :status, facility_id = :facility, municipality_id = :municipality,
       set_by = :set_by, sealed = :sealed, updated_at = now()
WHERE id = :id
"""
REGISTRY_FIELDS = ("status", "status_at", "inquiry_hash", "name_hash", "sealed")


@dataclass(frozen=True)
class Expired:
    event_id: uuid.UUID
    name: str
    statuses: int
    registry: int
    undo_until: datetime


def _b(value: bytes | None) -> str | None:
    return base64.b64encode(value).decode() if value is not None else None


def _unb(value: str | None) -> bytes | None:
    return base64.b64decode(value) if value is not None else None


async def _clear(session: AsyncSession, keys: Keys, event: DisasterEvent, now: datetime) -> Expired:
    statuses = (await session.execute(text(EVENT_STATUSES), {"event": event.id})).all()
    registry = (await session.scalars(select(SafetyRegistry).where(SafetyRegistry.event_id == event.id))).all()
    kept: dict[str, Any] = {
        "statuses": [
            {
                "id": str(s.id),
                "status": s.status,
                "facility": str(s.facility_id) if s.facility_id else None,
                "municipality": str(s.municipality_id) if s.municipality_id else None,
                "setBy": str(s.set_by) if s.set_by else None,
                "sealed": _b(s.sealed),
            }
            for s in statuses
        ],
        "registry": [
            {
                "id": str(r.id),
                "status": r.status,
                "statusAt": r.status_at.isoformat() if r.status_at else None,
                "inquiryHash": r.inquiry_hash,
                "nameHash": r.name_hash,
                "sealed": _b(r.sealed),
            }
            for r in registry
        ],
    }
    await session.execute(text(CLEAR_STATUSES), {"ids": [s.id for s in statuses]})
    await session.execute(
        update(SafetyRegistry)
        .where(SafetyRegistry.event_id == event.id)
        .values(status=None, status_at=None, inquiry_hash=None, name_hash=None, sealed=None)
    )
    row = SafetyExpiry(id=uuid7(), event_id=event.id, expired_at=now, undo_until=now + UNDO_WINDOW)
    row.sealed = keys.seal(kept, str(row.id))
    session.add(row)
    audit(
        session,
        None,
        "safety.expire",
        f"event:{event.id}",
        statuses=len(statuses),
        registry=len(registry),
        undo_until=row.undo_until.isoformat(),
    )
    return Expired(event.id, event.name, len(statuses), len(registry), row.undo_until)


async def expire(
    session: AsyncSession, keys: Keys, days: int, now: datetime | None = None, event_id: uuid.UUID | None = None
) -> tuple[list[Expired], int]:
    """Clear the safety records of every event closed ``days`` ago or more that has not been
    cleared yet (or of the one event named, if it is closed that long: again after an undo), and
    drop what may no longer be undone. (events cleared, undo stores dropped)."""
    now = now or datetime.now(UTC)
    dropped = await session.execute(
        update(SafetyExpiry).where(SafetyExpiry.sealed.is_not(None), SafetyExpiry.undo_until <= now).values(sealed=None)
    )
    due = select(DisasterEvent).where(
        DisasterEvent.status == "closed", DisasterEvent.closed_at <= now - timedelta(days=days)
    )
    if event_id is not None:
        event = await session.get(DisasterEvent, event_id)
        if event is None:
            raise NotFoundError(f"no disaster event {event_id}")
        if event.closed_at is None or event.closed_at > now - timedelta(days=days):
            raise ConflictError(f"the event {event.name} has not been closed for {days} days: nothing expires yet")
        previous = await session.scalar(select(SafetyExpiry).where(SafetyExpiry.event_id == event_id))
        if previous is not None and previous.undone_at is None:
            return [], dropped.rowcount  # type: ignore[attr-defined]
        if previous is not None:
            await session.delete(previous)
            await session.flush()
        events = [event]
    else:
        cleared = select(SafetyExpiry.event_id)
        events = list(
            (await session.scalars(due.where(DisasterEvent.id.not_in(cleared)).order_by(DisasterEvent.closed_at))).all()
        )
    return [await _clear(session, keys, event, now) for event in events], dropped.rowcount  # type: ignore[attr-defined]


async def undo(session: AsyncSession, keys: Keys, event_id: uuid.UUID, now: datetime | None = None) -> Expired:
    """Restore what the event's expiry cleared, within the undo window. The event then stays as it
    is until an expiry names it again (``bosai safety expire --event``)."""
    now = now or datetime.now(UTC)
    row = await session.scalar(select(SafetyExpiry).where(SafetyExpiry.event_id == event_id).with_for_update())
    event = await session.get(DisasterEvent, event_id)
    if row is None or event is None:
        raise NotFoundError(f"the safety records of event {event_id} have not expired")
    if row.undone_at is not None:
        raise ConflictError(f"the expiry of {event.name} was already undone")
    if row.sealed is None or row.undo_until <= now:
        raise ConflictError(
            f"the expiry of {event.name} can no longer be undone: "
            f"the window closed on {row.undo_until:%Y-%m-%d %H:%M} UTC"
        )
    kept: Any = keys.open(row.sealed, str(row.id))
    for s in kept["statuses"]:
        await session.execute(
            text(RESTORE_STATUS),
            {
                "id": uuid.UUID(s["id"]),
                "status": s["status"],
                "facility": uuid.UUID(s["facility"]) if s["facility"] else None,
                "municipality": uuid.UUID(s["municipality"]) if s["municipality"] else None,
                "set_by": uuid.UUID(s["setBy"]) if s["setBy"] else None,
                "sealed": _unb(s["sealed"]),
            },
        )
    for r in kept["registry"]:
        await session.execute(
            update(SafetyRegistry)
            .where(SafetyRegistry.id == uuid.UUID(r["id"]))
            .values(
                status=r["status"],
                status_at=datetime.fromisoformat(r["statusAt"]) if r["statusAt"] else None,
                inquiry_hash=r["inquiryHash"],
                name_hash=r["nameHash"],
                sealed=_unb(r["sealed"]),
            )
        )
    row.sealed, row.undone_at = None, now
    audit(session, None, "safety.expire_undone", f"event:{event_id}")
    return Expired(event.id, event.name, len(kept["statuses"]), len(kept["registry"]), row.undo_until)
