"""Accounts (device-bound residents; staff and headquarters by e-mail), their roles and scopes,
sign-in sessions, and the audit log of reads and writes of personal data."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, Entity
from server.db.types import sql_list

ROLES = ("resident", "staff", "municipal_hq", "prefectural_hq", "data_admin")


class Account(Entity):
    __tablename__ = "account"

    kind: Mapped[str] = mapped_column(String(16))  # "resident" (device-bound) or "operator" (e-mail)
    # Stored normalised (service.normal_email) and compared with =: never a pattern.
    email: Mapped[str | None] = mapped_column(Text)
    password_hash: Mapped[str | None] = mapped_column(Text)  # argon2id
    recovery_hash: Mapped[str | None] = mapped_column(Text)  # argon2id of a resident's recovery code
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("kind IN ('resident', 'operator')", name="kind_known"),
        CheckConstraint("kind = 'resident' OR email IS NOT NULL", name="operator_has_email"),
        Index("ix_account_email", "email", unique=True),
    )


class AccountRole(Entity):
    """One role of an account, with its scope: a municipality (municipal headquarters) or a
    shelter (staff); prefectural headquarters and data admins are not scoped."""

    __tablename__ = "account_role"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    municipality_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    facility_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("facility.id", ondelete="CASCADE"))

    __table_args__ = (
        CheckConstraint(f"role IN ({sql_list(ROLES)})", name="role_known"),
        CheckConstraint("role <> 'staff' OR facility_id IS NOT NULL", name="staff_has_shelter"),
        CheckConstraint("role <> 'municipal_hq' OR municipality_id IS NOT NULL", name="hq_has_municipality"),
        Index("ix_account_role_account_id", "account_id"),
    )


class AuthSession(Base):
    """A signed-in device: the cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "auth_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_auth_session_account_id", "account_id"),)


class SignInThrottle(Base):
    """Recent failed sign-ins of one identity (an e-mail address, a resident account) from one
    client address: how long that client waits before its next try. Keyed by a hash, so unknown
    addresses are throttled exactly like known ones and no address is stored in clear."""

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    retry_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_sign_in_throttle_updated_at", "updated_at"),)


class AuditEvent(Entity):
    """Who read or changed personal data, when, and which record: never the data itself."""

    __tablename__ = "audit_event"

    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(48))
    subject: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))

    __table_args__ = (
        Index("ix_audit_event_subject", "subject"),
        Index("ix_audit_event_actor_id_created_at", "actor_id", "created_at"),
        Index("ix_audit_event_created_at", "created_at"),
    )


class Passkey(Entity):
    """A WebAuthn credential (passkey) of an account: how a resident moves to another device, and
    how staff may sign in without a password."""

    __tablename__ = "passkey"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    credential_id: Mapped[str] = mapped_column(Text, unique=True)  # base64url, as browsers give it
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE
    sign_count: Mapped[int] = mapped_column(Integer, server_default="0")
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_passkey_account_id", "account_id"),)


class PasskeyChallenge(Entity):
    """A WebAuthn challenge, usable once within a few minutes."""

    __tablename__ = "passkey_challenge"

    challenge: Mapped[bytes] = mapped_column(LargeBinary)
    purpose: Mapped[str] = mapped_column(String(16))  # "register" or "login"
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
