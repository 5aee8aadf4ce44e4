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
