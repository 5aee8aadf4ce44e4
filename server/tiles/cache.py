"""Tiles are a pure function of (data version, z, x, y): cache them, and renew on data change."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from server.datasets.models import DataVersion

TileKey = tuple[int, int, int, int, str]  # version, z, x, y, content coding ("gzip" or "")


class TileCache:
    """A least-recently-used cache bounded by bytes (0 disables it)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[TileKey, bytes] = OrderedDict()
        self._bytes = 0

    def get(self, key: TileKey) -> bytes | None:
        tile = self._tiles.get(key)
        if tile is not None:
            self._tiles.move_to_end(key)
        return tile

    def put(self, key: TileKey, tile: bytes) -> None:
        if len(tile) > self.max_bytes or key in self._tiles:
            return
        self._tiles[key] = tile
        self._bytes += len(tile)
        while self._bytes > self.max_bytes:
            _, dropped = self._tiles.popitem(last=False)
            self._bytes -= len(dropped)


class DataVersionClock:
    """The database's data version, read at most once per ``interval`` seconds per process.

    Every write to map data bumps it (triggers), so a cached tile is at most ``interval`` stale.
    """

    def __init__(self, engine: AsyncEngine, interval: float = 1.0) -> None:
        self._engine = engine
        self._interval = interval
        self._version = 0
        self._read_at = float("-inf")
        self._lock = asyncio.Lock()

    async def current(self) -> int:
        if time.monotonic() - self._read_at < self._interval:
            return self._version
        async with self._lock:
            if time.monotonic() - self._read_at >= self._interval:
                async with self._engine.connect() as connection:
                    self._version = await connection.scalar(select(DataVersion.version)) or 0
                self._read_at = time.monotonic()
        return self._version
