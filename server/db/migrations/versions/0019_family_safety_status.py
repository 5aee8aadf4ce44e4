"""family safety status: people, consent, groups with invites, statuses, inquiry throttle

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29 15:40:00.000000

A person is a resident's account or a walk-in household's member. Messages and locations of a
status are sealed with the data key (bound to the row id); names and phone numbers are never
stored here, only a keyed hash an inquiry by both finds.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
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
        "safety_person",
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("household_id", sa.Uuid(), nullable=True),
        sa.Column("member_id", sa.String(length=64), nullable=True),
        sa.Column("share_groups", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("share_hq", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("answer_inquiries", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("auto_checkin", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("inquiries_forbidden", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("hq_forbidden", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("inquiry_code", sa.String(length=32), nullable=False),
        sa.Column("inquiry_hash", sa.String(length=64), nullable=True),
        *_times(),
        sa.CheckConstraint("account_id IS NOT NULL OR household_id IS NOT NULL", name=op.f("ck_safety_person_someone")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_safety_person_account_id_account"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_safety_person_household_id_household"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_person")),
        sa.UniqueConstraint("account_id", name=op.f("uq_safety_person_account_id")),
        sa.UniqueConstraint("household_id", "member_id", name=op.f("uq_safety_person_household_id_member_id")),
        sa.UniqueConstraint("inquiry_code", name=op.f("uq_safety_person_inquiry_code")),
    )
    op.create_index("ix_safety_person_inquiry_hash", "safety_person", ["inquiry_hash"], unique=False)
    op.create_table(
        "safety_status",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("facility_id", sa.Uuid(), nullable=True),
        sa.Column("municipality_id", sa.Uuid(), nullable=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.Column("set_by", sa.Uuid(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        *_times(),
        sa.CheckConstraint(
            "status IN ('safe', 'needs_help', 'injured', 'unknown', 'at_shelter', 'left_shelter')",
            name=op.f("ck_safety_status_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["safety_person.id"],
            name=op.f("fk_safety_status_person_id_safety_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facility.id"], name=op.f("fk_safety_status_facility_id_facility"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_safety_status_municipality_id_municipality"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["set_by"], ["account.id"], name=op.f("fk_safety_status_set_by_account"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_status")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_safety_status_idempotency_key")),
    )
    op.create_index("ix_safety_status_person_id_created_at", "safety_status", ["person_id", "created_at"], unique=False)
    op.create_table(
        "safety_group",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("creator_id", sa.Uuid(), nullable=False),
        *_times(),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["safety_person.id"],
            name=op.f("fk_safety_group_creator_id_safety_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_group")),
    )
    op.create_table(
        "safety_member",
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["safety_group.id"], name=op.f("fk_safety_member_group_id_safety_group"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["safety_person.id"],
            name=op.f("fk_safety_member_person_id_safety_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "person_id", name=op.f("pk_safety_member")),
    )
    op.create_index("ix_safety_member_person_id", "safety_member", ["person_id"], unique=False)
    op.create_table(
        "safety_invite",
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uses_left", sa.Integer(), nullable=False),
        *_times(),
        sa.CheckConstraint("uses_left >= 0", name=op.f("ck_safety_invite_uses_left_positive")),
        sa.ForeignKeyConstraint(
            ["group_id"], ["safety_group.id"], name=op.f("fk_safety_invite_group_id_safety_group"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_invite")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_safety_invite_code_hash")),
    )
    op.create_table(
        "safety_inquiry_throttle",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_safety_inquiry_throttle")),
    )


def downgrade() -> None:
    op.drop_table("safety_inquiry_throttle")
    op.drop_table("safety_invite")
    op.drop_index("ix_safety_member_person_id", table_name="safety_member")
    op.drop_table("safety_member")
    op.drop_table("safety_group")
    op.drop_index("ix_safety_status_person_id_created_at", table_name="safety_status")
    op.drop_table("safety_status")
    op.drop_index("ix_safety_person_inquiry_hash", table_name="safety_person")
    op.drop_table("safety_person")
