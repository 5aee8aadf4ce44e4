"""The PWA's files (pwa/dist, or the placeholder): content-hashed assets are immutable; the page,
the web app manifest and the service worker must be revalidated every time (no-cache), or an
update would never reach the residents."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from litestar.datastructures import CacheControlHeader
from litestar.router import Router
from litestar.static_files import create_static_files_router

from server.lib.access import anyone

# Types Python does not know on every platform.
mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("application/wasm", ".wasm")

IMMUTABLE = CacheControlHeader(public=True, max_age=31_536_000, immutable=True)
REVALIDATE = CacheControlHeader(no_cache=True)


def static_routers(folder: Path) -> list[Router]:
    routers = [
        create_static_files_router(
            path="/",
            directories=[folder],
            html_mode=True,
            cache_control=REVALIDATE,
            include_in_schema=False,
            guards=[anyone],
        )
    ]
    if (folder / "assets").is_dir():  # Vite's output: every name carries a content hash
        routers.insert(
            0,
            create_static_files_router(
                path="/assets",
                directories=[folder / "assets"],
                cache_control=IMMUTABLE,
                guards=[anyone],
                include_in_schema=False,
                name="assets",
            ),
        )
    return routers
