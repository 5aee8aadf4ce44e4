"""road graph version: a stamp renewed whenever the routable graph changes

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-29 22:00:00.000000

The server routes on each municipality's graph held in memory (server/roads/graph_cache.py); the
stamp says when such a copy is stale: edges imported, replaced or removed, or their exposure to
hazard zones changed (road_edge_hazard, itself kept by the triggers of 0018 when zones change).
A random UUID rather than a counter: databases copied from one template (tests, restores) would
count to the same number with different roads, and a process would take one's graph for the other.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("road_edge", "road_edge_hazard")


def upgrade() -> None:
    op.create_table(
        "road_graph_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stamp", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_road_graph_version_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_graph_version")),
    )
    op.execute("INSERT INTO road_graph_version (id) VALUES (1)")
    op.execute(
        "CREATE FUNCTION bosai_renew_road_graph_version() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "UPDATE road_graph_version SET stamp = gen_random_uuid(), changed_at = now() WHERE id = 1; "
        "RETURN NULL; END $$"
    )
    # Per statement: an import writes each table in one statement; cascaded deletes (a re-import
    # removes the nodes, and their edges and exposures go with them) fire these too.
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_graph_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION bosai_renew_road_graph_version()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_graph_version ON {table}")
    op.execute("DROP FUNCTION bosai_renew_road_graph_version()")
    op.drop_table("road_graph_version")
