"""Engines and sessions: one async engine per process, built from the settings."""

from __future__ import annotations

from functools import cache

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession

from server.db.cluster import LocalCluster
from server.settings import DatabaseSettings

DATABASE_NAME = "bosai"


def local_cluster(settings: DatabaseSettings) -> LocalCluster:
    """The cluster ``bosai`` manages when no DATABASE_URL is set."""
    return LocalCluster(settings.home, settings.pg_port, settings.pg_bin)


def database_url(settings: DatabaseSettings) -> str:
    """The SQLAlchemy (asyncpg) URL: DATABASE_URL, or the local cluster's database."""
    if settings.url is None:
        return local_cluster(settings).url(DATABASE_NAME)
    scheme, rest = settings.url.split("://", 1)
    if scheme in {"postgresql", "postgres"}:
        scheme = "postgresql+asyncpg"
    return f"{scheme}://{rest}"


def create_engine(settings: DatabaseSettings, *, read_only: bool = False) -> AsyncEngine:
    """An async engine with a bounded pool and a connect timeout (readiness must not hang).

    ``read_only`` engines run in autocommit (no BEGIN/COMMIT round trips) and skip the pre-ping:
    a connection broken by a database restart is dropped by the pool on its first error.
    """
    return create_async_engine(
        database_url(settings),
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size,
        pool_pre_ping=not read_only,
        isolation_level="AUTOCOMMIT" if read_only else None,
        connect_args={"timeout": settings.connect_timeout},
    )


@cache
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """The engine's session maker, made once (every handler that takes a session asks for it)."""
    return async_sessionmaker(engine, expire_on_commit=False)
