"""Hot read paths: SQLAlchemy/GeoAlchemy2 statements compiled once, run on a raw asyncpg pool.

The statements stay expressions in each feature's queries.py; only their execution skips the ORM
and SQLAlchemy's connection wrapper (STACK.md: ~3.4k req/s through SQLAlchemy Core vs ~4.5k on
raw asyncpg for the same nearest query).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.sql.elements import ClauseElement

from server.db.engine import database_url
from server.settings import DatabaseSettings


class Compiled:
    """A statement compiled for asyncpg, with its parameters in positional order."""

    def __init__(self, statement: ClauseElement) -> None:
        compiled = statement.compile(dialect=asyncpg_dialect())  # type: ignore[no-untyped-call]
        self.sql = compiled.string
        self._names = list(getattr(compiled, "positiontup", None) or [])
        self._defaults = dict(compiled.params)

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        return [params[name] if name in params else self._defaults[name] for name in self._names]


async def create_pool(settings: DatabaseSettings) -> asyncpg.Pool:
    """A pool that connects on first use, so the app starts (and says why it is not ready)
    while the database is down."""
    dsn = database_url(settings).replace("postgresql+asyncpg://", "postgresql://", 1)
    return await asyncpg.create_pool(
        dsn,
        min_size=0,
        max_size=settings.pool_size,
        timeout=settings.connect_timeout,
        max_inactive_connection_lifetime=300,
        reset=_reset,
    )


async def _reset(connection: asyncpg.Connection) -> None:
    """Our statements leave no session state (no SET, LISTEN or advisory lock on this pool): a
    connection goes back as it is, unless a cancelled request left a transaction open."""
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


async def fetch(pool: asyncpg.Pool, query: Compiled, **params: Any) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(query.sql, *query.args(params))
    return rows


async def fetchval(pool: asyncpg.Pool, query: Compiled, **params: Any) -> Any:
    return await pool.fetchval(query.sql, *query.args(params))
