"""GET /api/live: Server-Sent Events of check-ins and shelter changes with the shelter's occupancy,
resumable from the last event id. The events are rows of live_event (written by triggers with the
change itself); NOTIFY wakes each server process, which reads the new rows: correct however many
processes serve, and nothing is missed across a reconnect."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Any

import asyncpg
from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.params import FromQuery
from litestar.response import ServerSentEvent, ServerSentEventMessage
from sqlalchemy import select

from server.accounts.auth import signed_in
from server.accounts.service import Principal
from server.db.engine import database_url, session_factory
from server.lib.errors import InvalidParameterError
from server.settings import DatabaseSettings
from server.shelters.models import LiveEvent
from server.shelters.service import occupancy

CHANNEL = "bosai_live"
KEEP_ALIVE_S = 15.0


class LiveHub:
    """One LISTEN connection per server process, fanned out to every open stream."""

    def __init__(self, settings: DatabaseSettings) -> None:
        self._dsn = database_url(settings).replace("postgresql+asyncpg://", "postgresql://", 1)
        self._connection: asyncpg.Connection | None = None
        self._queues: set[asyncio.Queue[int]] = set()
        self._lock = asyncio.Lock()
        # Notifications seen so far: an answer computed after the n-th holds every event announced
        # up to it, so streams at the same point with the same scopes share it (one query per
        # event for a room of dashboards, not one per dashboard).
        self.notified = 0
        self._answers: dict[tuple[object, ...], asyncio.Future[list[ServerSentEventMessage]]] = {}

    async def subscribe(self) -> asyncio.Queue[int]:
        async with self._lock:
            if self._connection is None or self._connection.is_closed():
                self._connection = await asyncpg.connect(self._dsn)
                await self._connection.add_listener(CHANNEL, self._notified)
        queue: asyncio.Queue[int] = asyncio.Queue()
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[int]) -> None:
        self._queues.discard(queue)

    async def shared(
        self, key: tuple[object, ...], compute: Callable[[], Awaitable[list[ServerSentEventMessage]]]
    ) -> list[ServerSentEventMessage]:
        """``compute()`` once for everyone asking with ``key`` (which must include ``notified``)."""
        answer = self._answers.get(key)
        if answer is None:
            answer = asyncio.ensure_future(compute())
            answer.add_done_callback(lambda done: done.exception() and self._answers.pop(key, None))
            self._answers[key] = answer
            while len(self._answers) > 64:
                del self._answers[next(iter(self._answers))]
        return await asyncio.shield(answer)

    def _notified(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        self.notified += 1
        for queue in self._queues:
            queue.put_nowait(int(payload))

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()


async def _since(state: State, caller: Principal, last: int, event: str | None) -> list[ServerSentEventMessage]:
    async with session_factory(state.read_engine)() as session:
        query = select(LiveEvent).where(LiveEvent.id > last).order_by(LiveEvent.id).limit(500)
        rows = (await session.scalars(query)).all()
        if not rows:
            return []
        changed = list({row.facility_id for row in rows})
        shelters = {s["shelterId"]: s for s in await occupancy(session, caller, event, None, changed)}
    messages = []
    for row in rows:
        shelter = shelters.get(str(row.facility_id))
        if shelter is None:
            messages.append(
                ServerSentEventMessage(comment="skipped", id=row.id)
            )  # not the caller's: keep the id moving
            continue
        payload = {"kind": row.kind, "at": row.created_at.isoformat(), "shelter": shelter}
        messages.append(
            ServerSentEventMessage(data=json.dumps(payload, ensure_ascii=False), event="occupancy", id=row.id)
        )
    return messages


class LiveController(Controller):
    path = "/api/live"
    tags = ["shelters"]  # noqa: RUF012

    @get("/", summary="Server-Sent Events: occupancy and status changes (Last-Event-ID resumes)")
    async def live(
        self,
        request: Request[Any, Any, Any],
        state: State,
        event: FromQuery[str | None] = None,
        last_event_id: FromQuery[str | None] = None,
    ) -> ServerSentEvent:
        caller = await signed_in(request, state, "staff", "municipal_hq", "prefectural_hq")
        raw = request.headers.get("last-event-id") or last_event_id or "0"
        if not raw.isdigit():
            raise InvalidParameterError("Last-Event-ID", "a number (the id of the last event received)")
        hub: LiveHub = state.live_hub
        queue = await hub.subscribe()

        async def stream() -> AsyncIterator[ServerSentEventMessage]:
            last = int(raw)
            try:
                while True:
                    key = (last, hub.notified, event, caller.scopes)
                    for message in await hub.shared(key, partial(_since, state, caller, last, event)):
                        last = int(message.id or last)
                        yield message
                    try:
                        await asyncio.wait_for(queue.get(), timeout=KEEP_ALIVE_S)
                    except TimeoutError:
                        yield ServerSentEventMessage(comment="keep-alive")
                    while not queue.empty():
                        queue.get_nowait()
            finally:
                hub.unsubscribe(queue)

        return ServerSentEvent(stream(), headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
