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
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from itertools import count
from pathlib import Path

import asyncpg
import pytest
from argon2 import PasswordHasher
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from server.accounts import service as accounts
from server.app import create_app
from server.db.cluster import LocalCluster
from server.db.migrate import upgrade
from server.lib.keys import generate
from server.settings import DatabaseSettings, Settings

TEMPLATE = "bosai_test_template"
_numbers = count()
# argon2id at the lowest cost, for the in-process tests: at production's (slow on purpose, ~0.3 s of
# CPU a hash) the suite's hundreds of accounts and sign-ins spent minutes hashing.
# tests/server/accounts/test_password_cost.py checks that the app as shipped hashes at production's.
TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


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


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "HASHER", TEST_HASHER)
        # An unknown account still costs one verification like a wrong password: at the same cost.
        patch.setattr(accounts, "_DUMMY", TEST_HASHER.hash("not a password"))
        yield


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    external = os.environ.get("BOSAI_TEST_DATABASE_URL")
    if external:
        url = make_url(external)
        yield Postgres(url.host or "127.0.0.1", url.port or 5432, url.username or "postgres", url.password)
        return
    home = private_tmp("bosai-test-pg-")
    # Each pytest-xdist worker (gw0, gw1, …) its own cluster, on ports apart from the cluster tests'.
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    cluster = LocalCluster(
        home, 54400 + 10 * worker, server_options=("fsync=off", "synchronous_commit=off", "full_page_writes=off")
    )
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


@asynccontextmanager
async def fresh_database(postgres: Postgres, template: str) -> AsyncIterator[str]:
    """A new database copied from ``template`` (a database name), dropped when the caller is done.

    A seeded database is a template too: state that costs time to make (accounts, whose argon2
    hashes are slow on purpose, or the demo) is made once and each test gets a copy of it.
    """
    name = f"bosai_test_{os.getpid()}_{next(_numbers)}"
    admin = await postgres.admin()
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")
        yield postgres.url(name)
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


async def _fresh_database(postgres: Postgres, template: str) -> AsyncIterator[str]:
    async with fresh_database(postgres, template) as url:
        yield url


def database_name(url: str) -> str:
    """The database a URL made by :func:`_fresh_database` names (to copy it as a template)."""
    name = make_url(url).database
    assert name is not None, url
    return name


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
