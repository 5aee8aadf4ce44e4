"""Alerts, the push subscriptions that receive them, and one delivery row per (alert,
subscription): the unique row is what makes "never the same alert twice" hold across retries,
re-imports and several workers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from geoalchemy2 import WKBElement
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, Entity
from server.db.types import geometry, sql_list

SOURCES = ("jma", "cap", "hq")
KINDS = ("evacuation", "warning", "advisory", "landslide", "flood", "earthquake", "tsunami", "shelter")
STATUSES = ("actual", "exercise", "test")
DELIVERY_STATES = ("queued", "sent", "failed", "removed", "expired")


class Alert(Entity):
    """One alert as residents see it: a kind (and level) for a set of municipalities or an area.
    A JMA message becomes one alert per warning kind it issues or lifts; ``source_id`` is that
    message-and-kind's identity, so importing the same message again finds the same row."""

    __tablename__ = "alert"

    source: Mapped[str] = mapped_column(String(8))
    source_id: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    # 警戒レベル (1–5) where the kind has one; earthquakes carry their intensity instead.
    level: Mapped[int | None] = mapped_column(SmallInteger)
    hazard: Mapped[str] = mapped_column(String(24))
    # "issue" (発表) or "cancel" (解除, lifting what an earlier alert issued).
    action: Mapped[str] = mapped_column(String(8), server_default="issue")
    status: Mapped[str] = mapped_column(String(8))
    # The JMA name of what was issued (大雨警報, 震度速報 …): the structure headlines are made from.
    name: Mapped[str] = mapped_column(Text)
    # Seismic intensity rank (1…9 for 震度1…7) of an earthquake: subscribers choose a minimum.
    intensity: Mapped[int | None] = mapped_column(SmallInteger)
    headline: Mapped[dict[str, str]] = mapped_column(JSONB)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    municipalities: Mapped[list[str]] = mapped_column(ARRAY(String(6)), server_default="{}")
    area: Mapped[WKBElement | None] = mapped_column(geometry("MULTIPOLYGON"))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The time of the last message applied (a 訂正 older than it changes nothing).
    message_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    replaces_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("alert.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Subscriptions this alert was queued for; their delivery rows are made by the worker as it
    #: takes each job, so those still waiting are ``targeted`` less the rows made.
    targeted: Mapped[int] = mapped_column(Integer, server_default="0")

    __table_args__ = (
        CheckConstraint(f"source IN ({sql_list(SOURCES)})", name="source_known"),
        CheckConstraint(f"kind IN ({sql_list(KINDS)})", name="kind_known"),
        CheckConstraint(f"status IN ({sql_list(STATUSES)})", name="status_known"),
        CheckConstraint("action IN ('issue', 'cancel')", name="action_known"),
        CheckConstraint("level IS NULL OR level BETWEEN 0 AND 5", name="level_range"),
        Index("ix_alert_area", "area", postgresql_using="gist"),
        Index("ix_alert_municipalities", "municipalities", postgresql_using="gin"),
        Index("ix_alert_issued_at", "issued_at"),
    )


class PushSubscription(Entity):
    """A browser's push subscription and what it asked for. Anyone may make one (no account): it
    is changed only with the management token given when it was made (kept as its SHA-256)."""

    __tablename__ = "push_subscription"

    endpoint: Mapped[str] = mapped_column(Text, unique=True)
    p256dh: Mapped[str] = mapped_column(Text)
    auth: Mapped[str] = mapped_column(Text)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    # The areas as sent (for reading back), and what targeting uses: municipality codes, and the
    # points' circles as one geometry.
    areas: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    municipalities: Mapped[list[str]] = mapped_column(ARRAY(String(6)), server_default="{}")
    circles: Mapped[WKBElement | None] = mapped_column(geometry("MULTIPOLYGON"))
    languages: Mapped[list[str]] = mapped_column(ARRAY(String(8)))
    kinds: Mapped[list[str]] = mapped_column(ARRAY(String(16)))
    min_intensity: Mapped[int] = mapped_column(SmallInteger, server_default="3")
    #: The resident who asked, signed in and with the subscription's token, to receive their
    #: groups' news here (family safety); never set by subscribing alone.
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"), index=True)

    __table_args__ = (
        Index("ix_push_subscription_circles", "circles", postgresql_using="gist"),
        Index("ix_push_subscription_municipalities", "municipalities", postgresql_using="gin"),
    )


class Delivery(Entity):
    """One alert to one subscription, made by the worker when it takes the job (inserting 100,000
    rows when an alert is queued took seconds). The unique (alert, subscription) row is what makes
    a push go out at most once; ``claimed_by`` is the queue job that holds it, so that a second job
    for the same pair skips it and a job run again after a crash takes up its own rows.

    No foreign key to the subscription: a worker may make the row of a subscription deleted
    meanwhile, which is then counted as removed. Deleting a subscription clears its id here."""

    __tablename__ = "delivery"

    alert_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"))
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    state: Mapped[str] = mapped_column(String(8), server_default="queued")
    attempts: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    last_status: Mapped[int | None] = mapped_column(SmallInteger)
    claimed_by: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("alert_id", "subscription_id"),
        CheckConstraint(f"state IN ({sql_list(DELIVERY_STATES)})", name="state_known"),
        Index("ix_delivery_subscription_id", "subscription_id"),
    )


class FamilyPush(Base):
    """One piece of family news (a member's new status, or a request to say one is safe) to one
    subscription: the row makes it go out at most once, and says how it went."""

    __tablename__ = "family_push"

    notice_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # safety_status or safety_request
    subscription_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    state: Mapped[str] = mapped_column(String(8), server_default="queued")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))

    __table_args__ = (CheckConstraint(f"state IN ({sql_list(DELIVERY_STATES)})", name="state_known"),)
