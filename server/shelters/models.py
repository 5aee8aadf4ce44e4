"""Disaster events, the shelters opened in them, and check-ins/outs: occupancy is computed from
the check-in events, never counted by hand."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, get_args

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, Entity
from server.households.schemas import Stay

STAYS: tuple[str, ...] = get_args(Stay)


class DisasterEvent(Entity):
    __tablename__ = "disaster_event"

    hazard_type: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), server_default="open")
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (CheckConstraint("status IN ('open', 'closed')", name="status_known"),)


class EventMunicipality(Base):
    __tablename__ = "disaster_event_municipality"

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("disaster_event.id", ondelete="CASCADE"), primary_key=True)
    municipality_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE"), primary_key=True
    )


class ShelterOperation(Entity):
    """A facility opened as a shelter during an event."""

    __tablename__ = "shelter_operation"

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("disaster_event.id", ondelete="CASCADE"))
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facility.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(8), server_default="open")
    capacity: Mapped[int | None] = mapped_column(Integer)
    pets_accepted: Mapped[bool] = mapped_column(server_default=text("false"))
    needs: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("event_id", "facility_id"),
        CheckConstraint("status IN ('open', 'closed')", name="status_known"),
    )


class ShelterChange(Entity):
    """A change of an operated shelter by staff or headquarters (its capacity, needs, pets policy,
    open or closed): who, which field, the value before and after (needs: the keys that changed)."""

    __tablename__ = "shelter_change"

    operation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shelter_operation.id", ondelete="CASCADE"))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    field: Mapped[str] = mapped_column(String(16))
    before: Mapped[Any] = mapped_column(JSONB, nullable=True)
    after: Mapped[Any] = mapped_column(JSONB, nullable=True)

    __table_args__ = (
        CheckConstraint("field IN ('status', 'capacity', 'pets', 'needs')", name="field_known"),
        Index("ix_shelter_change_operation_id", "operation_id"),
    )


class Checkin(Entity):
    """One check-in or check-out at a shelter. The Idempotency-Key the client sent is unique: the
    same request again, however often and however concurrently, is this one row."""

    __tablename__ = "checkin"

    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("disaster_event.id", ondelete="CASCADE"))
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facility.id", ondelete="CASCADE"))
    household_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("household.id", ondelete="SET NULL"))
    member_ids: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    people: Mapped[int] = mapped_column(Integer)
    stay: Mapped[str] = mapped_column(String(8))
    direction: Mapped[str] = mapped_column(String(4))  # "in" or "out"
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    # How many of these people have each care need ({"wheelchair": 1, ...}): counts, no one named.
    care: Mapped[dict[str, int]] = mapped_column(JSONB, server_default=text("'{}'"))
    # A transfer is a check-out here and a check-in there: each names the other shelter.
    transfer_facility_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("facility.id", ondelete="SET NULL"))

    __table_args__ = (
        CheckConstraint("direction IN ('in', 'out')", name="direction_known"),
        CheckConstraint("stay IN ('inside', 'outdoor', 'car', 'at_home')", name="stay_known"),
        CheckConstraint("people > 0", name="someone"),
        Index("ix_checkin_event_facility", "event_id", "facility_id"),
    )


class LiveEvent(Base):
    """The outbox of the live stream: written by triggers in the same transaction as a check-in or
    a shelter change, announced with NOTIFY; a client resumes from the last id it saw."""

    __tablename__ = "live_event"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("disaster_event.id", ondelete="CASCADE"))
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facility.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))

    __table_args__ = (Index("ix_live_event_event_id", "event_id"),)
