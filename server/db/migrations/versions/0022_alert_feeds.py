"""alert feeds: the JMA feed entries taken and each feed's Last-Modified

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-29 18:40:00.000000

`bosai alerts watch` de-duplicates entries by their Atom id in the database, so that the
frequent feed, the long feed and several watchers import each message once.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _entity() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "jma_feed_entry",
        sa.Column("entry_id", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("entry_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        *_entity(),
        sa.CheckConstraint("outcome IN ('imported', 'refused')", name=op.f("ck_jma_feed_entry_outcome_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jma_feed_entry")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_jma_feed_entry_entry_id")),
    )
    op.create_table(
        "jma_feed",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        *_entity(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jma_feed")),
        sa.UniqueConstraint("url", name=op.f("uq_jma_feed_url")),
    )


def downgrade() -> None:
    op.drop_table("jma_feed")
    op.drop_table("jma_feed_entry")
