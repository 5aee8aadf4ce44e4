"""safety interchange and expiry: people imported from PFIF files, and expired events' undo store

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-29 18:30:00.000000

An imported record keeps in clear only its status now, the time, and the keyed hashes an inquiry
finds it by; the record itself is sealed with the data key. What an event's expiry cleared is kept
sealed for the undo window, then dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _times() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "safety_registry",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("person_record_id", sa.String(length=500), nullable=False),
        sa.Column("source_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expiry_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("inquiry_hash", sa.String(length=64), nullable=True),
        sa.Column("name_hash", sa.String(length=64), nullable=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        *_times(),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["disaster_event.id"],
            name=op.f("fk_safety_registry_event_id_disaster_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_registry")),
        sa.UniqueConstraint("event_id", "person_record_id", name=op.f("uq_safety_registry_event_id_person_record_id")),
    )
    op.create_index("ix_safety_registry_inquiry_hash", "safety_registry", ["inquiry_hash"], unique=False)
    op.create_index("ix_safety_registry_name_hash", "safety_registry", ["name_hash"], unique=False)
    op.create_table(
        "safety_expiry",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undo_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        *_times(),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["disaster_event.id"],
            name=op.f("fk_safety_expiry_event_id_disaster_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_expiry")),
        sa.UniqueConstraint("event_id", name=op.f("uq_safety_expiry_event_id")),
    )


def downgrade() -> None:
    op.drop_table("safety_expiry")
    op.drop_index("ix_safety_registry_name_hash", table_name="safety_registry")
    op.drop_index("ix_safety_registry_inquiry_hash", table_name="safety_registry")
    op.drop_table("safety_registry")
