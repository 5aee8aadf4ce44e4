"""The job queue push deliveries go through: PgQueuer, in the database's ``pgqueuer`` schema
(docs/architecture.md says why). A job carries an alert and a batch of the subscriptions it
reaches (16 bytes each); the worker makes their delivery rows, which hold the state. A city's
warning is 100,000 subscriptions: a job each made queueing alone take tens of seconds, and a worker
paid a queue round trip per push.

Jobs are enqueued on the caller's own connection, inside its transaction: an alert that is rolled
back leaves no job behind, and a committed one cannot lose its jobs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Final

from pgqueuer import Queries
from pgqueuer.adapters.drivers.asyncpg import AsyncpgDriver
from pgqueuer.adapters.persistence.qb import QueryBuilderEnvironment, QueryQueueBuilder, QuerySchedulerBuilder
from pgqueuer.domain.settings import DBSettings
from sqlalchemy.ext.asyncio import AsyncSession

SETTINGS = DBSettings(db_schema="pgqueuer")
ENTRYPOINT = "push"
#: Subscriptions per job: large enough that the queue costs nothing per push, small enough that two
#: workers share a municipality's burst evenly and a crashed job repeats little.
BATCH: Final = 250


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


def pack(alert: uuid.UUID, subscriptions: Sequence[uuid.UUID]) -> bytes:
    return alert.bytes + b"".join(s.bytes for s in subscriptions)


def unpack(payload: bytes | None) -> tuple[uuid.UUID, list[uuid.UUID]]:
    data = payload or b""
    if len(data) < 32 or len(data) % 16:
        raise ValueError(f"a push job of {len(data)} bytes: not an alert and its subscriptions")
    ids = [uuid.UUID(bytes=data[i : i + 16]) for i in range(0, len(data), 16)]
    return ids[0], ids[1:]


def packed(reached: str) -> str:
    """SQL making the jobs' payloads (as ``pack`` does) from a query of subscription ids, in the
    database: a city's 100,000 ids decoded into Python and encoded again took longer than
    finding them. ``reached`` is the caller's constant SQL, never input."""
    return f"""
    WITH reached AS (SELECT id, row_number() OVER () - 1 AS n FROM ({reached}) r)
    SELECT uuid_send(CAST(:alert AS uuid)) || string_agg(uuid_send(id), ''::bytea) AS payload, count(*) AS size
    FROM reached GROUP BY n / {BATCH}
    """  # noqa: S608


async def enqueue_packed(session: AsyncSession, jobs: Sequence[bytes], *, delay: timedelta | None = None) -> None:
    """Jobs of packed payloads, in the session's transaction."""
    if not jobs:
        return
    n = len(jobs)
    payloads: list[bytes | None] = list(jobs)
    await queries(await _driver_connection(session)).enqueue(
        [ENTRYPOINT] * n, payloads, [0] * n, [delay] * n if delay is not None else None
    )


async def enqueue(
    session: AsyncSession, alert: uuid.UUID, subscriptions: Sequence[uuid.UUID], *, delay: timedelta | None = None
) -> None:
    """Jobs of up to BATCH subscriptions each, in the session's transaction."""
    jobs = [pack(alert, subscriptions[i : i + BATCH]) for i in range(0, len(subscriptions), BATCH)]
    await enqueue_packed(session, jobs, delay=delay)
