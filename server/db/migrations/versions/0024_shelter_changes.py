"""a shelter's changes (capacity, needs, pets, open/closed) with who made them

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-29 22:00:00.000000

The history of a shelter said when it opened and who checked in, not what staff changed.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shelter_change",
        sa.Column("operation_id", sa.Uuid(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "field IN ('status', 'capacity', 'pets', 'needs')", name=op.f("ck_shelter_change_field_known")
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["account.id"], name=op.f("fk_shelter_change_actor_id_account"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["shelter_operation.id"],
            name=op.f("fk_shelter_change_operation_id_shelter_operation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shelter_change")),
    )
    op.create_index("ix_shelter_change_operation_id", "shelter_change", ["operation_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_shelter_change_operation_id", table_name="shelter_change")
    op.drop_table("shelter_change")
