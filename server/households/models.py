"""A resident's household ("my evacuation info"): its personal fields are one encrypted document;
the columns in clear hold only what QR codes need (opaque ids and issue counters)."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Entity


class Household(Entity):
    __tablename__ = "household"

    # The resident's own account; none for a walk-in registered at a shelter by its staff.
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), unique=True)
    registered_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    registered_at: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("facility.id", ondelete="SET NULL"))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)  # AES-256-GCM of the document, bound to the id
    key_id: Mapped[str] = mapped_column(String(16))
    qr_id: Mapped[str] = mapped_column(String(32), unique=True)  # opaque, random, in the QR code
    qr_counter: Mapped[int] = mapped_column(Integer, server_default="1")
    # Per member: {member id: {"qr": opaque id, "counter": n}} (no personal data).
    member_qr: Mapped[dict[str, dict[str, object]]] = mapped_column(JSONB, server_default="{}")
