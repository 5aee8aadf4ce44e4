"""Family safety status: people (a resident's account, or a walk-in's household member), what each
consented to share, their groups with expiring invites, and every status they had. Messages and
locations are sealed with the data key, bound to the row id; the columns in clear hold only what
the rules need (who, which status, which shelter, which municipality, when)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, Entity
from server.db.types import sql_list

STATUSES = ("safe", "needs_help", "injured", "unknown", "at_shelter", "left_shelter")


class SafetyPerson(Entity):
    """Someone whose status others may learn: a resident (their account) or a member of a
    household registered without the app (a walk-in, whose status staff set from the card)."""

    __tablename__ = "safety_person"

    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), unique=True)
    household_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"))
    member_id: Mapped[str | None] = mapped_column(String(64))  # which member of the household this is
    share_groups: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    share_hq: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    answer_inquiries: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    auto_checkin: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # Set by the person, or by headquarters (a DV or stalking victim: kept apart, so the person's
    # next change of consent does not lift it): no inquiry finds them, whatever answer_inquiries says.
    inquiries_forbidden: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    hq_forbidden: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    inquiry_code: Mapped[str] = mapped_column(String(32), unique=True)  # random, printed on their card
    # HMAC (data key) of the folded full name and the phone's digits: found by both exactly, never listed.
    inquiry_hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("household_id", "member_id"),
        CheckConstraint("account_id IS NOT NULL OR household_id IS NOT NULL", name="someone"),
        Index("ix_safety_person_inquiry_hash", "inquiry_hash"),
    )


class SafetyStatus(Entity):
    """One status a person had; the newest is their status now."""

    __tablename__ = "safety_status"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("safety_person.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    facility_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("facility.id", ondelete="SET NULL"))
    municipality_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("municipality.id", ondelete="SET NULL"))
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # {"message", "location"}, bound to the id
    set_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    # Scoped to the caller and endpoint (a SHA-256), or the check-in's id that caused it.
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)

    __table_args__ = (
        CheckConstraint(f"status IN ({sql_list(STATUSES)})", name="status_known"),
        Index("ix_safety_status_person_id_created_at", "person_id", "created_at"),
    )


class SafetyGroup(Entity):
    __tablename__ = "safety_group"

    name: Mapped[str] = mapped_column(Text)
    creator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("safety_person.id", ondelete="CASCADE"))


class SafetyMember(Base):
    __tablename__ = "safety_member"

    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("safety_group.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("safety_person.id", ondelete="CASCADE"), primary_key=True)
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    name: Mapped[str | None] = mapped_column(Text)  # what the member chose to be called in this group

    __table_args__ = (Index("ix_safety_member_person_id", "person_id"),)


class SafetyInvite(Entity):
    """An invitation to a group: only the SHA-256 of its code is kept; it expires and has a
    number of uses."""

    __tablename__ = "safety_invite"

    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("safety_group.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    uses_left: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("uses_left >= 0", name="uses_left_positive"),)


class SafetyRequest(Entity):
    """A "please tell us you are safe" from a member to another; shown to the asked person until they
    next set a status."""

    __tablename__ = "safety_request"

    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("safety_group.id", ondelete="CASCADE"))
    asker_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("safety_person.id", ondelete="CASCADE"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("safety_person.id", ondelete="CASCADE"))

    __table_args__ = (Index("ix_safety_request_person_id_created_at", "person_id", "created_at"),)


class InquiryThrottle(Base):
    """Inquiries per client address in the current minute (shared by every server process)."""

    __tablename__ = "safety_inquiry_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    count: Mapped[int] = mapped_column(Integer)
