"""core model: municipality, facility, hazard zone, import run

Revision ID: 0001
Revises:
Create Date: 2026-11-23 16:06:56.230758
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geography, Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    # pgRouting serves the ROUTE feature; the stock postgis/postgis image lacks it, so it is
    # created where the server has it and ROUTE checks for it at run time.
    op.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgrouting') "
        "THEN CREATE EXTENSION IF NOT EXISTS pgrouting; END IF; END $$"
    )
    op.create_table(
        "import_run",
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="running", nullable=False),
        sa.Column("counts", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("errors", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name=op.f("ck_import_run_sha256_hex")),
        sa.CheckConstraint("status IN ('running', 'succeeded', 'failed')", name=op.f("ck_import_run_status_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_run")),
    )
    op.create_geospatial_table(
        "municipality",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_kana", sa.Text(), nullable=True),
        sa.Column("name_en", sa.Text(), nullable=True),
        sa.Column("prefecture", sa.Text(), nullable=False),
        sa.Column(
            "boundary",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column(
            "bbox",
            Geometry(
                geometry_type="POLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "code ~ '^[0-9]{6}$' AND substr(code, 6, 1)::int = CASE WHEN (6 * substr(code, 1, 1)::int+5 * substr(code, 2, 1)::int+4 * substr(code, 3, 1)::int+3 * substr(code, 4, 1)::int+2 * substr(code, 5, 1)::int) >= 11 THEN (11 - (6 * substr(code, 1, 1)::int+5 * substr(code, 2, 1)::int+4 * substr(code, 3, 1)::int+3 * substr(code, 4, 1)::int+2 * substr(code, 5, 1)::int) % 11) % 10 ELSE 11 - (6 * substr(code, 1, 1)::int+5 * substr(code, 2, 1)::int+4 * substr(code, 3, 1)::int+3 * substr(code, 4, 1)::int+2 * substr(code, 5, 1)::int) END",
            name=op.f("ck_municipality_code_check_digit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_municipality")),
        sa.UniqueConstraint("code", name=op.f("uq_municipality_code")),
    )
    op.create_geospatial_index(
        "ix_municipality_boundary",
        "municipality",
        ["boundary"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_table(
        "facility",
        sa.Column("municipality_id", sa.Uuid(), nullable=False),
        sa.Column("kinds", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_kana", sa.Text(), nullable=True),
        sa.Column("name_en", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "geog",
            Geography(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeogFromText",
                name="geography",
                nullable=False,
            ),
            sa.Computed("geom::geography", persisted=True),
            nullable=False,
        ),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("capacity_text", sa.Text(), nullable=True),
        sa.Column(
            "suitable_hazards",
            postgresql.ARRAY(sa.String(length=16)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("source_ids", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column(
            "attributes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "cardinality(kinds) > 0 AND kinds <@ ARRAY['designated_shelter', 'welfare_shelter', 'emergency_site', 'tsunami_building', 'wide_area_site', 'medical', 'aed']::varchar[]",
            name=op.f("ck_facility_kinds_known"),
        ),
        sa.CheckConstraint(
            "suitable_hazards <@ ARRAY['flood', 'landslide', 'storm_surge', 'earthquake', 'tsunami', 'large_fire', 'inland_flood', 'volcano']::varchar[]",
            name=op.f("ck_facility_hazards_known"),
        ),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 0", name=op.f("ck_facility_capacity_not_negative")),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_facility_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facility")),
    )
    op.create_geospatial_index(
        "ix_facility_geog", "facility", ["geog"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_geospatial_index(
        "ix_facility_geom", "facility", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index("ix_facility_kinds", "facility", ["kinds"], unique=False, postgresql_using="gin")
    op.create_index("ix_facility_municipality_id", "facility", ["municipality_id"], unique=False)
    op.create_index("ix_facility_source_ids", "facility", ["source_ids"], unique=False, postgresql_using="gin")
    op.create_index(
        "ix_facility_suitable_hazards", "facility", ["suitable_hazards"], unique=False, postgresql_using="gin"
    )
    op.create_geospatial_table(
        "hazard_zone",
        sa.Column("hazard_type", sa.String(length=16), nullable=False),
        sa.Column("rank_code", sa.String(length=16), nullable=True),
        sa.Column("rank_label", sa.Text(), nullable=True),
        sa.Column("depth_min_m", sa.Float(), nullable=True),
        sa.Column("depth_max_m", sa.Float(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("municipality_id", sa.Uuid(), nullable=True),
        sa.Column("import_run_id", sa.Uuid(), nullable=True),
        sa.Column(
            "attributes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "hazard_type IN ('flood', 'landslide', 'storm_surge', 'earthquake', 'tsunami', 'large_fire', 'inland_flood', 'volcano')",
            name=op.f("ck_hazard_zone_hazard_type_known"),
        ),
        sa.CheckConstraint(
            "depth_min_m IS NULL OR depth_max_m IS NULL OR depth_min_m <= depth_max_m",
            name=op.f("ck_hazard_zone_depth_band_ordered"),
        ),
        sa.ForeignKeyConstraint(
            ["import_run_id"],
            ["import_run.id"],
            name=op.f("fk_hazard_zone_import_run_id_import_run"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_hazard_zone_municipality_id_municipality"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazard_zone")),
    )
    op.create_geospatial_index(
        "ix_hazard_zone_geom",
        "hazard_zone",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index("ix_hazard_zone_hazard_type", "hazard_zone", ["hazard_type"], unique=False)
    op.create_index("ix_hazard_zone_municipality_id", "hazard_zone", ["municipality_id"], unique=False)
    # ### end Alembic commands ###


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_index("ix_hazard_zone_municipality_id", table_name="hazard_zone")
    op.drop_index("ix_hazard_zone_hazard_type", table_name="hazard_zone")
    op.drop_geospatial_index(
        "ix_hazard_zone_geom", table_name="hazard_zone", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("hazard_zone")
    op.drop_index("ix_facility_suitable_hazards", table_name="facility", postgresql_using="gin")
    op.drop_index("ix_facility_source_ids", table_name="facility", postgresql_using="gin")
    op.drop_index("ix_facility_municipality_id", table_name="facility")
    op.drop_index("ix_facility_kinds", table_name="facility", postgresql_using="gin")
    op.drop_geospatial_index("ix_facility_geom", table_name="facility", postgresql_using="gist", column_name="geom")
    op.drop_geospatial_index("ix_facility_geog", table_name="facility", postgresql_using="gist", column_name="geog")
    op.drop_geospatial_table("facility")
    op.drop_geospatial_index(
        "ix_municipality_boundary", table_name="municipality", postgresql_using="gist", column_name="boundary"
    )
    op.drop_geospatial_table("municipality")
    op.drop_table("import_run")
    # ### end Alembic commands ###
