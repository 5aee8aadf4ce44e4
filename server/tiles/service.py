"""What other features use of the tiles: one tile rendered from the database."""

from __future__ import annotations

import asyncpg

from server.db.fast import fetchval
from server.tiles import queries


async def render_tile(pool: asyncpg.Pool, z: int, x: int, y: int, *, live: bool = True) -> bytes:
    """The vector tile z/x/y as /tiles serves it (empty bytes where nothing is drawn); without
    ``live``, as an offline pack stores it: no shelter status, which would go stale there."""
    return bytes(await fetchval(pool, queries.for_zoom(z, live), z=z, x=x, y=y) or b"")
