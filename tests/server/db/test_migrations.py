"""Alembic owns the schema: models and migrations must agree, and migrations must round-trip."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from geoalchemy2 import alembic_helpers
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from server.db.migrate import alembic_config, database_revision, head_revision, upgrade
from server.db.models import Base

PROJECT = Path(__file__).resolve().parents[3]


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={"include_object": alembic_helpers.include_object, "compare_type": True},
    )
    return list(compare_metadata(context, Base.metadata))


async def test_models_and_migrations_do_not_drift(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        diff = await connection.run_sync(_diff)
    assert diff == [], f"models and migrations differ; write a migration (bosai db revision -m …): {diff}"


async def test_migrations_go_down_to_nothing_and_up_again(engine: AsyncEngine) -> None:
    def downgrade_to_base(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")

    async with engine.begin() as connection:
        await connection.run_sync(downgrade_to_base)
    async with engine.connect() as connection:
        tables = await connection.scalar(
            text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys'")
        )
    assert tables == 1  # only alembic_version is left
    await upgrade(engine)
    assert await database_revision(engine) == head_revision()


async def test_upgrade_applies_to_an_empty_database(empty_database_url: str) -> None:
    engine = create_async_engine(empty_database_url)
    try:
        assert await database_revision(engine) is None
        await upgrade(engine)
        assert await database_revision(engine) == head_revision()
        async with engine.connect() as connection:
            names = set((await connection.execute(text("SELECT tablename FROM pg_tables"))).scalars())
    finally:
        await engine.dispose()
    assert {"municipality", "facility", "hazard_zone", "import_run"} <= names


def test_the_application_never_creates_tables_itself() -> None:
    found = subprocess.run(
        ["grep", "-rn", "--include=*.py", "create_all", "server", "geo"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.stdout == "", f"schema must come from migrations only:\n{found.stdout}"


# A place made the old way (before 0014): the shelter and every emergency site sharing its 共通ID
# serial in one facility — here a hall, the softball ground 200 m away (another place) and the
# hall's own emergency-site record 10 m away (the same place) — and a welfare shelter whose
# 受入対象者 was kept only as published.
_OLD_MERGED = """
INSERT INTO municipality (id, code, name, prefecture) VALUES ('00000000-0000-7000-8000-000000000001', '029980',
    '見本町', '青森県');
INSERT INTO facility (id, municipality_id, kinds, name, address, geom, suitable_hazards, source_ids) VALUES
    ('00000000-0000-7000-8000-0000000000f1', '00000000-0000-7000-8000-000000000001',
     '{designated_shelter,emergency_site}', '北部コミュニティセンター', '北2丁目1-1',
     ST_SetSRID(ST_MakePoint(140.915, 40.80), 4326), '{earthquake,flood}',
     '{E0299800301111,E0299800301201,E0299800301202}'),
    ('00000000-0000-7000-8000-0000000000f2', '00000000-0000-7000-8000-000000000001',
     '{designated_shelter,welfare_shelter}', '見本荘', '北5丁目2-7',
     ST_SetSRID(ST_MakePoint(140.915, 40.81), 4326), '{}', '{E0299800304121}');
INSERT INTO facility_record (id, facility_id, source_id, dataset, place_key, kinds, suitable_hazards, name, address,
                             geom, attributes, created_at) VALUES
    ('00000000-0000-7000-8000-0000000000a1', '00000000-0000-7000-8000-0000000000f1', 'E0299800301111',
     'gsi_shelter:029980', 'gsi:0299800301', '{designated_shelter}', '{}', '北部コミュニティセンター', '北2丁目1-1',
     ST_SetSRID(ST_MakePoint(140.915, 40.80), 4326), '{"指定緊急避難場所との住所同一": "1"}', now()),
    ('00000000-0000-7000-8000-0000000000a2', '00000000-0000-7000-8000-0000000000f1', 'E0299800301201',
     'gsi_emergency_site:029980', 'gsi:0299800301', '{emergency_site}', '{earthquake}', '北部ソフトボール場',
     '北2丁目1-1', ST_SetSRID(ST_MakePoint(140.915, 40.8018), 4326), '{"指定避難所との住所同一": "1"}',
     now() + interval '1 second'),
    ('00000000-0000-7000-8000-0000000000a3', '00000000-0000-7000-8000-0000000000f1', 'E0299800301202',
     'gsi_emergency_site:029980', 'gsi:0299800301', '{emergency_site}', '{flood}', '北部コミュニティセンター',
     '北2丁目1-1', ST_SetSRID(ST_MakePoint(140.915, 40.80009), 4326), '{"指定避難所との住所同一": "1"}',
     now() + interval '2 seconds'),
    ('00000000-0000-7000-8000-0000000000a4', '00000000-0000-7000-8000-0000000000f2', 'E0299800304121',
     'gsi_shelter:029980', 'gsi:0299800304', '{designated_shelter,welfare_shelter}', '{}', '見本荘', '北5丁目2-7',
     ST_SetSRID(ST_MakePoint(140.915, 40.81), 4326), '{"受入対象者": "高齢者・障がい者（知的）・外国人"}', now());
"""


async def test_migration_0014_splits_places_merged_the_old_way(engine: AsyncEngine) -> None:
    def downgrade_to_0013(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0013")

    async with engine.begin() as connection:
        await connection.run_sync(downgrade_to_0013)
        for statement in _OLD_MERGED.split(";"):
            if statement.strip():
                await connection.execute(text(statement))
    await upgrade(engine)
    hall, home = "00000000-0000-7000-8000-0000000000f1", "00000000-0000-7000-8000-0000000000f2"
    async with engine.connect() as connection:
        found = await connection.execute(text("SELECT source_id, facility_id::text FROM facility_record"))
        records: dict[str, str] = {row[0]: row[1] for row in found}
        places = {
            row.id: row[1:]
            for row in await connection.execute(
                text(
                    "SELECT id::text, name, names, kinds, suitable_hazards, source_ids, target_groups, "
                    "ST_Y(geom)::numeric(9, 5)::float FROM facility"
                )
            )
        }
        targets = (
            await connection.execute(
                text("SELECT target_groups, target_other FROM facility_record WHERE source_id = 'E0299800304121'")
            )
        ).one()
    # The hall keeps its id (shelter operations and staff scopes point at it) with its own site.
    assert records["E0299800301111"] == records["E0299800301202"] == hall
    ground = records["E0299800301201"]
    assert ground not in (hall, home)
    assert places[hall] == (
        "北部コミュニティセンター",
        ["北部コミュニティセンター"],
        ["designated_shelter", "emergency_site"],
        ["flood"],
        ["E0299800301111", "E0299800301202"],
        [],
        40.8,
    )
    assert places[ground] == (
        "北部ソフトボール場",
        ["北部ソフトボール場"],
        ["emergency_site"],
        ["earthquake"],
        ["E0299800301201"],
        [],
        40.8018,
    )
    assert tuple(targets) == (["elderly", "disability_intellectual"], ["外国人"])
    assert places[home][1] == ["見本荘"] and places[home][5] == ["elderly", "disability_intellectual"]
