"""create_app(settings): assembles the feature routers, nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig

from server import __version__
from server.accounts.guards import DEPENDENCIES
from server.accounts.passkeys import PasskeyController
from server.accounts.routes import AuditController, AuthController, ResidentController
from server.accounts.service import RateLimit
from server.alerts import family
from server.alerts.cap_routes import CapFeedController
from server.alerts.routes import AlertController, PushController
from server.alerts.shelters import announce_opening
from server.db.engine import create_engine
from server.db.fast import create_pool
from server.db.migrate import head_revision
from server.facilities.routes import FacilityController
from server.hazards.routes import HazardController
from server.health.routes import HealthController
from server.households.routes import HouseholdController, QrController
from server.imports.routes import ImportController
from server.lib.compression import Compression
from server.lib.errors import EXCEPTION_HANDLERS
from server.lib.guard import MAX_BODY_BYTES, EdgeGuard
from server.lib.headers import security_headers
from server.lib.keys import load_keys, load_vapid
from server.packs.catalog import MunicipalityController
from server.packs.routes import PackController, PackFileController
from server.roads.routes import RouteController
from server.roads.walking import with_walking
from server.safety.pfif_routes import PfifController
from server.safety.routes import SafetyController
from server.safety.service import after_checkin
from server.settings import Settings
from server.shelters.live import LiveController, LiveHub
from server.shelters.routes import CheckinController, DoorController, OperationsController
from server.shelters.service import open_shelters, status_of, statuses_of
from server.tiles.cache import DataVersionClock, TileCache
from server.tiles.routes import TileController
from server.web.static import static_router


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the application. Settings are read from the environment when not given."""
    settings = settings or Settings.from_env()
    engine = create_engine(settings.database)
    # Hot read paths (map, tiles) use statements built once on autocommit connections.
    read_engine = create_engine(settings.database, read_only=True)

    @asynccontextmanager
    async def database_pools(app: Litestar) -> AsyncIterator[None]:
        app.state.fast_pool = await create_pool(settings.database)
        try:
            yield
        finally:
            await app.state.fast_pool.close()
            await app.state.live_hub.close()
            await engine.dispose()
            await read_engine.dispose()

    return Litestar(
        route_handlers=[
            HealthController,
            MunicipalityController,
            FacilityController,
            HazardController,
            RouteController,
            TileController,
            ImportController,
            PackController,
            PackFileController,
            AuthController,
            ResidentController,
            PasskeyController,
            HouseholdController,
            QrController,
            CheckinController,
            DoorController,
            OperationsController,
            LiveController,
            AuditController,
            PushController,
            AlertController,
            CapFeedController,
            SafetyController,
            PfifController,
            static_router(settings.server.static_dir),
        ],
        # The migration head is read from the scripts once, not on every readiness probe.
        state=State(
            {
                "settings": settings,
                "engine": engine,
                "read_engine": read_engine,
                "head_revision": head_revision(),
                "data_version": DataVersionClock(read_engine),
                "tile_cache": TileCache(settings.server.tile_cache_mb * 1024 * 1024),
                "crypto": load_keys(settings),
                "vapid": load_vapid(settings),
                "live_hub": LiveHub(settings.database),
                # Sign-in attempts per client address, per process (lock-out per account is in the database).
                "login_limit": RateLimit(limit=10, window_s=60),
                "resident_limit": RateLimit(
                    limit=settings.server.residents_per_minute, window_s=60, what="resident accounts made"
                ),
            }
        ),
        # The caller, a session in a transaction and the keys, for handlers that declare them.
        dependencies={
            **DEPENDENCIES,
            "status_of": Provide(lambda: status_of, sync_to_thread=False),
            "statuses_of": Provide(lambda: statuses_of, sync_to_thread=False),
            "open_shelters": Provide(lambda: open_shelters, sync_to_thread=False),
            "with_walking": Provide(lambda: with_walking, sync_to_thread=False),
            # A check-in updates the family's safety status in its own transaction.
            "after_checkin": Provide(lambda: partial(after_checkin, tell=family.notify), sync_to_thread=False),
            # A new status or a request to say one is safe is pushed to the group, queued in its transaction.
            "tell_family": Provide(lambda: family.notify, sync_to_thread=False),
            # Opening a shelter queues a "shelter opened" push alert in the same transaction.
            "on_shelter_open": Provide(lambda: announce_opening, sync_to_thread=False),
        },
        lifespan=[database_pools],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        middleware=[EdgeGuard(), Compression()],
        before_send=[security_headers],
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=OpenAPIConfig(title="Bosai API", version=__version__),
    )
