"""The app on the demo data, in-process, with one signed-in session per caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.schemas import OpenApiSchema
from sqlalchemy.ext.asyncio import create_async_engine

from server.app import create_app
from server.lib.keys import load_keys
from tests.conftest import Postgres, _fresh_database, settings_for
from tests.fuzz.harness import CALLERS, Caller, load_demo_database, load_schema, sign_in


@dataclass(frozen=True)
class Target:
    schema: OpenApiSchema
    callers: dict[str, Caller]
    known: dict[str, Any]


@pytest.fixture(scope="module")
async def target(postgres: Postgres, template_database: str) -> AsyncIterator[Target]:
    async for url in _fresh_database(postgres, template_database):
        settings = settings_for(url)
        keys = load_keys(settings)
        assert keys is not None
        engine = create_async_engine(url)
        try:
            known = await load_demo_database(engine, keys)
        finally:
            await engine.dispose()
        schema = load_schema(create_app(settings))
        try:
            # Everyone signs in before the fuzzing of the sign-in itself uses up the rate limit.
            yield Target(schema, {name: sign_in(schema, name) for name in CALLERS}, known)
        finally:
            # The pools close before the database is dropped under them.
            shutdown_lifespans()
