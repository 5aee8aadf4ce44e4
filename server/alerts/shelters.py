"""A shelter opened in a disaster event becomes a "shelter opened" alert (kind ``shelter``) for its
area: its municipality, and a circle around it (people just across the boundary walk there too).
Residents receive it only when their subscription asks for the kind ``shelter``. It is made in
the transaction that opens the shelter: an opening rolled back announces nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.alerts.models import Alert
from server.alerts.service import target
from server.facilities.models import Facility
from server.municipalities.models import Municipality
from server.shelters.models import DisasterEvent, ShelterOperation

# Residents within this distance of the shelter are in its area even across a municipal boundary.
NEARBY_M = 3000
# An opening is news for a day; after it the inbox still lists it, nobody is woken for it.
LIFETIME = timedelta(hours=24)


def shelter_headlines(name: str, name_en: str, place: str, place_en: str) -> dict[str, str]:
    """The headline per language, from the shelter's and the municipality's names (data, not free text)."""
    return {
        "ja": f"避難所開設：{name}（{place}）",
        "en": f"Shelter opened: {name_en} — {place_en}",
        "ja-easy": f"避難所（ひなんじょ）が 開（ひら）きました：{name}（{place}）",
    }


async def announce_opening(session: AsyncSession, operation: ShelterOperation) -> uuid.UUID:
    """The alert for a shelter just opened, its deliveries queued. The caller flushed the operation."""
    row = (
        await session.execute(
            select(
                Facility.name,
                Facility.name_en,
                Municipality.code,
                Municipality.name,
                Municipality.name_en,
                DisasterEvent.hazard_type,
                DisasterEvent.name,
            )
            .join(Municipality, Municipality.id == Facility.municipality_id)
            .join(DisasterEvent, DisasterEvent.id == operation.event_id)
            .where(Facility.id == operation.facility_id)
        )
    ).one()
    name, name_en, code, place, place_en, hazard, event_name = row
    circle = (
        select(func.geometry(func.ST_Buffer(func.geography(Facility.geom), NEARBY_M, "quad_segs=16")))
        .where(Facility.id == operation.facility_id)
        .scalar_subquery()
    )
    boundary = select(Municipality.boundary).where(Municipality.code == code).scalar_subquery()
    area = func.ST_Multi(func.ST_CollectionExtract(func.ST_Union(func.coalesce(boundary, circle), circle), 3))
    now = datetime.now(UTC)
    alert_id = await session.scalar(
        insert(Alert)
        .values(
            source="hq",
            # One alert per opening: reopening after a closure is news again.
            source_id=f"shelter:{operation.id}:{now.isoformat()}",
            kind="shelter",
            level=None,
            hazard=hazard[:24],
            action="issue",
            status="actual",
            name="避難所開設",
            headline=shelter_headlines(name, name_en or name, place, place_en or place),
            details={
                "shelterId": str(operation.facility_id),
                "eventId": str(operation.event_id),
                "event": event_name,
                "capacity": operation.capacity,
            },
            municipalities=[code],
            area=area,
            issued_at=now,
            expires_at=now + LIFETIME,
            message_at=now,
        )
        .returning(Alert.id)
    )
    alert = uuid.UUID(str(alert_id))
    await target(session, alert)
    return alert
