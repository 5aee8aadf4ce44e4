"""roads: a pgRouting graph of walkable ways, and each edge's length inside hazard zones

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 15:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HAZARD_TYPES = "'flood', 'landslide', 'storm_surge', 'earthquake', 'tsunami', 'large_fire', 'inland_flood', 'volcano'"
ROAD_CLASSES = "'trunk', 'primary', 'secondary', 'tertiary', 'minor', 'service', 'path', 'steps'"

# Metres of each (edge, hazard type) pair of {pairs} inside that hazard's zone pieces, from scratch.
# Only forecast hazards: a past inundation (flood_history) is a record, never a reason to detour.
EXPOSURE = (
    """
INSERT INTO road_edge_hazard (edge_id, hazard_type, inside_m)
SELECT e.id, t.hazard_type, ST_Length(ST_Intersection(e.geom, ST_Union(p.geom))::geography)
FROM ({pairs}) t
JOIN road_edge e ON e.id = t.edge_id AND t.hazard_type IN ("""
    + HAZARD_TYPES
    + """)
JOIN hazard_zone_part p ON p.hazard_type = t.hazard_type AND ST_Intersects(e.geom, p.geom)
GROUP BY e.id, t.hazard_type
HAVING ST_Length(ST_Intersection(e.geom, ST_Union(p.geom))::geography) > 0;
"""
)
# New edges: their exposure to every hazard whose pieces they cross.
EDGES_TRIGGER = (
    "BEGIN"
    + EXPOSURE.format(
        pairs="SELECT DISTINCT n.id AS edge_id, p.hazard_type FROM new_edges n "
        "JOIN hazard_zone_part p ON ST_Intersects(n.geom, p.geom)"
    )
    + "RETURN NULL; END"
)
# Zone pieces came or went (a zone's insert, update or delete): the edges they touch are measured
# again for that hazard. Runs after the statement, so deleted pieces no longer count.
TOUCHED = (
    "SELECT DISTINCT e.id AS edge_id, c.hazard_type FROM road_edge e "
    "JOIN ({changed}) c ON ST_Intersects(e.geom, c.geom)"
)
PARTS_TRIGGER = """
BEGIN
    DELETE FROM road_edge_hazard h USING ({touched}) t WHERE h.edge_id = t.edge_id AND h.hazard_type = t.hazard_type;
    {exposure}
    RETURN NULL;
END
"""
CHANGED = {
    "insert": "SELECT geom, hazard_type FROM new_parts",
    "delete": "SELECT geom, hazard_type FROM old_parts",
    "update": "SELECT geom, hazard_type FROM old_parts UNION ALL SELECT geom, hazard_type FROM new_parts",
}
REFERENCING = {
    "insert": "NEW TABLE AS new_parts",
    "delete": "OLD TABLE AS old_parts",
    "update": "OLD TABLE AS old_parts NEW TABLE AS new_parts",
}


def upgrade() -> None:
    # Created by 0001 where the server has it; routes need it (tables and import do not).
    op.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgrouting') "
        "THEN CREATE EXTENSION IF NOT EXISTS pgrouting; END IF; END $$"
    )
    op.create_table(
        "road_node",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("municipality_id", sa.Uuid(), nullable=True),
        sa.Column("osm_id", sa.BigInteger(), nullable=False),
        sa.Column("component", sa.BigInteger(), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4326,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_road_node_municipality_id_municipality"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_node")),
    )
    op.create_index("ix_road_node_geom", "road_node", ["geom"], unique=False, postgresql_using="gist")
    op.create_index("ix_road_node_municipality_id", "road_node", ["municipality_id"], unique=False)
    op.create_table(
        "road_edge",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("municipality_id", sa.Uuid(), nullable=True),
        sa.Column("osm_way_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.BigInteger(), nullable=False),
        sa.Column("target", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.Column("reverse_cost", sa.Float(), nullable=False),
        sa.Column("length_m", sa.Float(), nullable=False),
        sa.Column("road_class", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("steps", sa.Boolean(), nullable=False),
        sa.Column("bridge", sa.Boolean(), nullable=False),
        sa.Column("tunnel", sa.Boolean(), nullable=False),
        sa.Column("component", sa.BigInteger(), nullable=False),
        sa.Column("minzoom", sa.SmallInteger(), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="LINESTRING",
                srid=4326,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(f"road_class IN ({ROAD_CLASSES})", name=op.f("ck_road_edge_road_class_known")),
        sa.CheckConstraint(
            "cost >= 0 AND reverse_cost >= 0 AND length_m >= 0", name=op.f("ck_road_edge_costs_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_road_edge_municipality_id_municipality"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source"], ["road_node.id"], name=op.f("fk_road_edge_source_road_node"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["target"], ["road_node.id"], name=op.f("fk_road_edge_target_road_node"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_edge")),
    )
    op.create_index("ix_road_edge_geom", "road_edge", ["geom"], unique=False, postgresql_using="gist")
    op.create_index("ix_road_edge_municipality_id", "road_edge", ["municipality_id"], unique=False)
    op.create_index("ix_road_edge_source", "road_edge", ["source"], unique=False)
    op.create_index("ix_road_edge_target", "road_edge", ["target"], unique=False)
    op.create_table(
        "road_edge_hazard",
        sa.Column("edge_id", sa.BigInteger(), nullable=False),
        sa.Column("hazard_type", sa.String(length=16), nullable=False),
        sa.Column("inside_m", sa.Float(), nullable=False),
        sa.CheckConstraint(f"hazard_type IN ({HAZARD_TYPES})", name=op.f("ck_road_edge_hazard_hazard_type_known")),
        sa.ForeignKeyConstraint(
            ["edge_id"], ["road_edge.id"], name=op.f("fk_road_edge_hazard_edge_id_road_edge"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("edge_id", "hazard_type", name=op.f("pk_road_edge_hazard")),
    )
    op.execute(f"CREATE FUNCTION bosai_road_edges_added() RETURNS trigger LANGUAGE plpgsql AS $$ {EDGES_TRIGGER} $$")
    op.execute(
        "CREATE TRIGGER road_edge_hazards AFTER INSERT ON road_edge REFERENCING NEW TABLE AS new_edges "
        "FOR EACH STATEMENT EXECUTE FUNCTION bosai_road_edges_added()"
    )
    for event, changed in CHANGED.items():
        body = PARTS_TRIGGER.format(
            touched=TOUCHED.format(changed=changed), exposure=EXPOSURE.format(pairs=TOUCHED.format(changed=changed))
        )
        op.execute(f"CREATE FUNCTION bosai_parts_roads_{event}() RETURNS trigger LANGUAGE plpgsql AS $$ {body} $$")
        op.execute(
            f"CREATE TRIGGER hazard_zone_part_roads_{event} AFTER {event.upper()} ON hazard_zone_part "
            f"REFERENCING {REFERENCING[event]} FOR EACH STATEMENT EXECUTE FUNCTION bosai_parts_roads_{event}()"
        )
    # Tiles draw the roads: a new import renews them like any other data change.
    op.execute(
        "CREATE TRIGGER road_edge_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON road_edge "
        "FOR EACH STATEMENT EXECUTE FUNCTION bosai_bump_data_version()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER road_edge_data_version ON road_edge")
    for event in CHANGED:
        op.execute(f"DROP TRIGGER hazard_zone_part_roads_{event} ON hazard_zone_part")
        op.execute(f"DROP FUNCTION bosai_parts_roads_{event}()")
    op.execute("DROP TRIGGER road_edge_hazards ON road_edge")
    op.execute("DROP FUNCTION bosai_road_edges_added()")
    op.drop_table("road_edge_hazard")
    op.drop_index("ix_road_edge_target", table_name="road_edge")
    op.drop_index("ix_road_edge_source", table_name="road_edge")
    op.drop_index("ix_road_edge_municipality_id", table_name="road_edge")
    op.drop_index("ix_road_edge_geom", table_name="road_edge", postgresql_using="gist")
    op.drop_table("road_edge")
    op.drop_index("ix_road_node_municipality_id", table_name="road_node")
    op.drop_index("ix_road_node_geom", table_name="road_node", postgresql_using="gist")
    op.drop_table("road_node")
