"""Liveness and readiness, for orchestrators and for `make run` to know the app is up."""

from __future__ import annotations

import asyncio

import msgspec
from litestar import Controller, get
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncEngine

from server.accounts.guards import anyone
from server.db.migrate import database_revision
from server.lib.errors import ServiceUnavailableError

READY_TIMEOUT_S = 5.0


class Health(msgspec.Struct, rename="camel"):
    status: str


class Readiness(msgspec.Struct, rename="camel"):
    status: str
    database: str
    revision: str | None


class HealthController(Controller):
    tags = ["health"]  # noqa: RUF012
    guards = [anyone]  # noqa: RUF012  # public: no personal data

    @get("/healthz", summary="The process is alive")
    async def healthz(self) -> Health:
        return Health(status="ok")

    @get("/readyz", summary="The database is reachable and migrated to head", responses=None)
    async def readyz(self, state: State) -> Readiness:
        engine: AsyncEngine = state.engine
        expected: str | None = state.head_revision
        try:
            revision = await asyncio.wait_for(database_revision(engine), READY_TIMEOUT_S)
        except Exception as exc:  # refused, timed out, auth, asyncpg/SQLAlchemy errors: all "not ready"
            raise ServiceUnavailableError(f"database unreachable: {type(exc).__name__}: {exc}") from exc
        if revision != expected:
            raise ServiceUnavailableError(
                f"database schema at revision {revision or 'none'}, code expects {expected}: run `bosai db upgrade`"
            )
        return Readiness(status="ready", database="ok", revision=revision)
