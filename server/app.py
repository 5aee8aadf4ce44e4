"""create_app(settings): assembles the feature routers, nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.static_files import create_static_files_router

from server import __version__
from server.db.engine import create_engine
from server.db.migrate import head_revision
from server.health.routes import HealthController
from server.lib.errors import EXCEPTION_HANDLERS
from server.settings import Settings


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the application. Settings are read from the environment when not given."""
    settings = settings or Settings.from_env()
    engine = create_engine(settings.database)

    @asynccontextmanager
    async def dispose_engine(_app: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await engine.dispose()

    return Litestar(
        route_handlers=[
            HealthController,
            create_static_files_router(path="/", directories=[settings.server.static_dir], html_mode=True),
        ],
        # The migration head is read from the scripts once, not on every readiness probe.
        state=State({"settings": settings, "engine": engine, "head_revision": head_revision()}),
        lifespan=[dispose_engine],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        openapi_config=OpenAPIConfig(title="Bosai API", version=__version__),
    )
