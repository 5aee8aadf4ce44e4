"""Keeping packs fresh: build the ones asked for, or watch the data and rebuild a municipality's
pack when its data changed (after an import or an edit). Runs as its own process (`bosai packs
watch`, the compose `worker` service), so building never slows the API down; a PostgreSQL advisory
lock lets only one watcher build at a time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from server.db.engine import create_engine
from server.db.fast import create_pool
from server.packs.models import OfflinePack
from server.packs.service import Progress, build, data_states, stale
from server.settings import Settings

log = logging.getLogger(__name__)
WATCH_LOCK = 0xB05A1  # pg_advisory_lock key of the pack watcher

ProgressFor = Callable[[str, str], Progress | None]


async def build_packs(
    settings: Settings, codes: list[str] | None = None, progress: ProgressFor | None = None
) -> list[tuple[str, OfflinePack]]:
    """Build the packs of the given municipalities (all when None), with their codes."""
    engine = create_engine(settings.database)
    pool = await create_pool(settings.database)
    try:
        states = await data_states(engine)
        chosen = [s for s in states if codes is None or s.code in codes]
        built = []
        for state in chosen:
            report = progress(state.code, state.name) if progress else None
            built.append((state.code, await build(engine, pool, settings.packs, state.code, report)))
        return built
    finally:
        await pool.close()
        await engine.dispose()


async def watch(settings: Settings, *, rounds: int | None = None) -> None:
    """Every ``settings.packs.interval_s`` seconds, rebuild the stale packs (``rounds`` bounds the
    loop, for tests)."""
    engine = create_engine(settings.database)
    pool = await create_pool(settings.database)
    done = 0
    try:
        async with pool.acquire() as lock:
            while rounds is None or done < rounds:
                done += 1
                if await lock.fetchval("SELECT pg_try_advisory_lock($1)", WATCH_LOCK):
                    try:
                        for state in await stale(engine):
                            try:
                                pack = await build(engine, pool, settings.packs, state.code)
                            except Exception:  # one municipality's failure must not stop the others
                                log.exception("pack of %s failed", state.code)
                                continue
                            log.info("pack %s v%s: %s bytes", state.code, pack.version, pack.bytes)
                    finally:
                        await lock.fetchval("SELECT pg_advisory_unlock($1)", WATCH_LOCK)
                if rounds is None or done < rounds:
                    await asyncio.sleep(settings.packs.interval_s)
    finally:
        await pool.close()
        await engine.dispose()
