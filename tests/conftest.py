"""Test fixtures: a real PostGIS for the session, and a fresh migrated database per test.

The session starts its own cluster with the project's cluster manager in a temporary folder
(``BOSAI_TEST_DATABASE_URL`` points the suite at an existing server instead: an admin URL of a
server where it may create databases). Migrations run once into a template database; each test
gets a copy, so tests are isolated and the schema under test is the migrated one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from itertools import count
from pathlib import Path

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from server.app import create_app
from server.db.cluster import LocalCluster
from server.db.migrate import upgrade
from server.lib.keys import generate
from server.settings import DatabaseSettings, Settings

TEMPLATE = "bosai_test_template"
_numbers = count()


@dataclass(frozen=True)
class Postgres:
    """A PostgreSQL server the tests may create databases on."""

    host: str
    port: int
    user: str
    password: str | None

    def url(self, database: str) -> str:
        auth = self.user if self.password is None else f"{self.user}:{self.password}"
        return f"postgresql+asyncpg://{auth}@{self.host}:{self.port}/{database}"

    async def admin(self, database: str = "postgres") -> asyncpg.Connection:
        return await asyncpg.connect(
            host=self.host, port=self.port, user=self.user, password=self.password, database=database
        )


def private_tmp(prefix: str) -> Path:
    """A temporary folder the ``postgres`` user can reach when the tests run as root."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    external = os.environ.get("BOSAI_TEST_DATABASE_URL")
    if external:
        url = make_url(external)
        yield Postgres(url.host or "127.0.0.1", url.port or 5432, url.username or "postgres", url.password)
        return
    home = private_tmp("bosai-test-pg-")
    cluster = LocalCluster(home, 54400, server_options=("fsync=off", "synchronous_commit=off", "full_page_writes=off"))
    try:
        cluster.start()
        yield Postgres("127.0.0.1", cluster.port, "postgres", None)
    finally:
        cluster.stop()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
async def template_database(postgres: Postgres) -> str:
    admin = await postgres.admin()
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
        await admin.execute(f"CREATE DATABASE {TEMPLATE}")
    finally:
        await admin.close()
    engine = create_async_engine(postgres.url(TEMPLATE))
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    return TEMPLATE


async def _fresh_database(postgres: Postgres, template: str) -> AsyncIterator[str]:
    name = f"bosai_test_{os.getpid()}_{next(_numbers)}"
    admin = await postgres.admin()
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")
        yield postgres.url(name)
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


@pytest.fixture
async def database_url(postgres: Postgres, template_database: str) -> AsyncIterator[str]:
    """URL of a fresh database migrated to head, dropped after the test."""
    async for url in _fresh_database(postgres, template_database):
        yield url


@pytest.fixture
async def empty_database_url(postgres: Postgres) -> AsyncIterator[str]:
    """URL of a fresh, bare database: no extensions, no migrations."""
    async for url in _fresh_database(postgres, "template1"):
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


TEST_KEYS = generate()


def settings_for(database_url: str | None, **server: object) -> Settings:
    base = Settings.from_env(TEST_KEYS)
    database = replace(base.database, url=database_url, connect_timeout=2)
    return Settings(database=database, server=replace(base.server, **server), security=base.security)  # type: ignore[arg-type]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return settings_for(database_url)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """An HTTP client of the app on a fresh migrated database (lifespan included)."""
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


@pytest.fixture
def database_settings(database_url: str) -> DatabaseSettings:
    return settings_for(database_url).database
