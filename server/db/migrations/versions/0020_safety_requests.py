"""family safety: "please tell us you are safe" requests, and the name a member shows in a group

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29 18:30:00.000000

A request is kept until the asked person next sets a status (the view shows only the newer ones);
the name is what the member chose to be called in that group (nothing is read from a household).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("safety_member", sa.Column("name", sa.Text(), nullable=True))
    op.create_table(
        "safety_request",
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("asker_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["safety_group.id"], name=op.f("fk_safety_request_group_id_safety_group"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["asker_id"],
            ["safety_person.id"],
            name=op.f("fk_safety_request_asker_id_safety_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["safety_person.id"],
            name=op.f("fk_safety_request_person_id_safety_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_request")),
    )
    op.create_index(
        "ix_safety_request_person_id_created_at", "safety_request", ["person_id", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_safety_request_person_id_created_at", table_name="safety_request")
    op.drop_table("safety_request")
    op.drop_column("safety_member", "name")
