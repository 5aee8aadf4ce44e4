"""The job queue push deliveries go through: PgQueuer, in the database's ``pgqueuer`` schema
(docs/architecture.md says why). A job carries one delivery's id; the delivery row holds the state.
Jobs are enqueued on the caller's own connection, inside its transaction: an alert that is rolled
back leaves no job behind, and a committed one cannot lose its jobs."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from pgqueuer import Queries
from pgqueuer.adapters.drivers.asyncpg import AsyncpgDriver
from pgqueuer.adapters.persistence.qb import QueryBuilderEnvironment, QueryQueueBuilder, QuerySchedulerBuilder
from pgqueuer.domain.settings import DBSettings
from sqlalchemy.ext.asyncio import AsyncSession

SETTINGS = DBSettings(db_schema="pgqueuer")
ENTRYPOINT = "push"


def queries(connection: Any) -> Queries:
    """PgQueuer's queries on an asyncpg connection, in our schema."""
    return Queries(
        AsyncpgDriver(connection),
        qbe=QueryBuilderEnvironment(settings=SETTINGS),
        qbq=QueryQueueBuilder(settings=SETTINGS),
        qbs=QuerySchedulerBuilder(settings=SETTINGS),
    )


async def _driver_connection(session: AsyncSession) -> Any:
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection


async def enqueue(
    session: AsyncSession, deliveries: list[uuid.UUID], *, priority: int = 0, delay: timedelta | None = None
) -> None:
    """One job per delivery, in the session's transaction."""
    if not deliveries:
        return
    n = len(deliveries)
    await queries(await _driver_connection(session)).enqueue(
        [ENTRYPOINT] * n,
        [d.bytes for d in deliveries],
        [priority] * n,
        [delay] * n if delay is not None else None,
    )
