"""offline packs carry the municipality's walkable graph

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-29 18:30:00.000000

Nullable: packs built before, and packs of municipalities without roads, have no graph.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("offline_pack", sa.Column("graph_bytes", sa.BigInteger(), nullable=True))
    op.add_column("offline_pack", sa.Column("graph_sha256", sa.String(length=64), nullable=True))
    op.add_column("offline_pack", sa.Column("graph_edges", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("offline_pack", "graph_edges")
    op.drop_column("offline_pack", "graph_sha256")
    op.drop_column("offline_pack", "graph_bytes")
