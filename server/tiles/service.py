"""What other features use of the tiles: one tile rendered from the database."""

from __future__ import annotations

import asyncpg

from server.db.fast import fetchval
from server.tiles import queries


async def render_tile(pool: asyncpg.Pool, z: int, x: int, y: int) -> bytes:
    """The vector tile z/x/y as /tiles serves it (empty bytes where nothing is drawn)."""
    return bytes(await fetchval(pool, queries.for_zoom(z), z=z, x=x, y=y) or b"")
