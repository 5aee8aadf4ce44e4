"""Alembic environment: migrations run on a connection handed in by server.db.migrate, or on
``sqlalchemy.url`` when Alembic is called directly (``bosai db revision``)."""

from __future__ import annotations

import asyncio

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from server.db.models import Base

target_metadata = Base.metadata


def configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=alembic_helpers.include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        compare_type=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_with_url(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(configure)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    configure(connection)
else:
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise SystemExit("no database: run migrations through `bosai db upgrade`")
    asyncio.run(run_with_url(url))
