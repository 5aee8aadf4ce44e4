"""Tables of the interchange and expiry of safety records: people imported from another registry
(a PFIF 1.4 file), which inquiries also search, and what an event's expiry cleared, kept sealed
for the few days it may be undone."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Entity


class SafetyRegistry(Entity):
    """One person record of a PFIF file imported for an event. Only what the rules need is in
    clear (their status now and its time, the keyed hashes an inquiry finds them by); the record
    itself (names, notes) is sealed with the data key, bound to the row id. Expired: ids and
    dates only."""

    __tablename__ = "safety_registry"

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("disaster_event.id", ondelete="CASCADE"))
    # PFIF's own id ("domain/local id"): the same record imported again is this row.
    person_record_id: Mapped[str] = mapped_column(String(500))
    source_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expiry_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str | None] = mapped_column(String(16))
    status_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # HMAC (data key) of the folded full name and phone digits, as an inquiry computes it.
    inquiry_hash: Mapped[str | None] = mapped_column(String(64))
    # Records that carry no phone number are found by the full name alone.
    name_hash: Mapped[str | None] = mapped_column(String(64))
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)

    __table_args__ = (
        UniqueConstraint("event_id", "person_record_id"),
        Index("ix_safety_registry_inquiry_hash", "inquiry_hash"),
        Index("ix_safety_registry_name_hash", "name_hash"),
    )


class SafetyExpiry(Entity):
    """An event whose safety records were cleared: when, until when it may be undone, and the
    cleared content sealed (bound to this row's id) until then; dropped when the window passes."""

    __tablename__ = "safety_expiry"

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("disaster_event.id", ondelete="CASCADE"), unique=True)
    expired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    undo_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
