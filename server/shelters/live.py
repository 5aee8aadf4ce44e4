"""GET /api/live: Server-Sent Events of check-ins and shelter changes with the shelter's occupancy,
resumable from the last event id. The events are rows of live_event (written by triggers with the
change itself); NOTIFY wakes each server process, which reads the new rows: correct however many
processes serve, and nothing is missed across a reconnect.

Work is shared, whoever watches and wherever they resume: one hub per process reads each new page
of the outbox once and computes its shelters' occupancy once, for every caller (a shelter's row
does not depend on who asks; only whether the caller may see it does, which each stream decides in
memory). A stream resuming from further back than the hub holds reads its backlog from the outbox
by pages first (each shelter's latest event per page: every message carries the occupancy as it
is now), then joins the hub. The hub outlives database restarts: it reconnects with back-off
and reads what it missed at once; streams keep their connection and send keep-alives meanwhile."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import logging
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.params import FromQuery
from litestar.response import ServerSentEvent, ServerSentEventMessage
from sqlalchemy import Row, Select, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.accounts.guards import OPERATORS, Caller, current, signed_in_as
from server.accounts.service import Principal, Scope
from server.db.engine import database_url, session_factory
from server.lib.errors import InvalidParameterError, ServiceUnavailableError, TooManyRequestsError
from server.settings import DatabaseSettings
from server.shelters.models import LiveEvent
from server.shelters.service import occupancy, operates, parse_id

log = logging.getLogger(__name__)

CHANNEL = "bosai_live"
KEEP_ALIVE_S = 15.0
RECHECK_S = 15.0  # a signed-out or demoted caller's stream ends within this
PAGE = 500  # outbox rows read (and occupancy computed) at a time
KEPT = 2_000  # recent events the hub holds for streams joining it
STREAMS_PER_ACCOUNT = 5
STREAMS_PER_PROCESS = 2_000
BACKLOG_READERS = 4  # streams catching up from the outbox at once, per process
RETRY_MIN_S, RETRY_MAX_S = 0.5, 10.0
# Outbox ids are taken when a row is written but become visible at commit, so a later id can show
# first; the hub waits this long for a missing id before it takes it for rolled back.
HOLE_WAIT_S = 2.0
# The database errors a stream or the hub waits out (a restart, a lost connection).
TRANSIENT = (SQLAlchemyError, asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)

# Who the shared answer is computed for: every shelter; each stream then keeps what its caller sees.
EVERYONE = Principal(
    account_id=uuid.UUID(int=0), kind="operator", email=None, scopes=(Scope("prefectural_hq"),), csrf_token=""
)


@dataclass(frozen=True, slots=True)
class Entry:
    """One outbox row with its shelter's occupancy as computed when it was read (the same for
    every caller)."""

    id: int
    event_id: str
    event_open: bool
    shelter_id: str
    municipality: str | None
    data: str | None  # the message's JSON; None when the shelter is not operated in that event


@dataclass(frozen=True, slots=True)
class Viewer:
    """What one stream may see: the shelters its caller operates, of the event asked for (or of
    open events)."""

    caller: Principal
    event: str | None

    def sees(self, entry: Entry) -> bool:
        if entry.data is None:
            return False
        if (entry.event_id != self.event) if self.event else not entry.event_open:
            return False
        return operates(self.caller, entry.shelter_id, entry.municipality)

    def messages(self, entries: Sequence[Entry]) -> list[ServerSentEventMessage]:
        out = [
            ServerSentEventMessage(data=entry.data, event="occupancy", id=entry.id)
            for entry in entries
            if self.sees(entry)
        ]
        if entries and (not out or out[-1].id != entries[-1].id):
            # Not the caller's: one comment carries the id forward so a reconnect resumes past it.
            out.append(ServerSentEventMessage(data=None, comment="skipped", id=entries[-1].id))
        return out


Pair = tuple[str, str]  # (event id, shelter id): one shelter operation
Outbox = Row[int, uuid.UUID, uuid.UUID, str, datetime]  # a live_event row


@dataclass(frozen=True, slots=True)
class Shelter:
    """A shelter operation's occupancy as JSON, computed once for everyone."""

    json: str
    municipality: str
    event_open: bool


async def compute(session: AsyncSession, pairs: set[Pair]) -> tuple[dict[Pair, Shelter | None], int]:
    """The occupancy of shelter operations (None: not operated), and how many computations it
    took (one, or one more per event no longer open among them)."""
    facilities = list({uuid.UUID(shelter) for _, shelter in pairs})
    found: dict[Pair, Shelter | None] = {}

    def keep(rows: list[dict[str, Any]], event_open: bool) -> None:
        for row in rows:
            found[(row["event"], row["shelterId"])] = Shelter(
                json.dumps(row, ensure_ascii=False), row["municipality"], event_open
            )

    keep(await occupancy(session, EVERYONE, None, None, facilities), event_open=True)
    computed = 1
    for event in sorted({event for event, _ in pairs - found.keys()}):  # only streams that ask for one see them
        mine = [uuid.UUID(shelter) for e, shelter in pairs if e == event]
        keep(await occupancy(session, EVERYONE, event, None, mine), event_open=False)
        computed += 1
    return {pair: found.get(pair) for pair in pairs} | found, computed


def pairs_of(rows: Sequence[Outbox]) -> set[Pair]:
    return {(str(row.event_id), str(row.facility_id)) for row in rows}


def entries_of(rows: Sequence[Outbox], shelters: dict[Pair, Shelter | None]) -> list[Entry]:
    entries = []
    for row in rows:
        pair = (str(row.event_id), str(row.facility_id))
        shelter = shelters.get(pair)
        if shelter is None:
            entries.append(Entry(row.id, pair[0], False, pair[1], None, None))
            continue
        head = json.dumps({"kind": row.kind, "at": row.created_at.isoformat()})
        data = f'{head[:-1]}, "shelter": {shelter.json}}}'
        entries.append(Entry(row.id, pair[0], shelter.event_open, pair[1], shelter.municipality, data))
    return entries


def latest_per_shelter(rows: Sequence[Outbox]) -> list[Outbox]:
    """A backlog's messages all carry the shelters' occupancy as it is now, so each shelter's last
    event says it all: a stream far behind gets one message per shelter and page, not one per
    event (the last row, which carries the page's last id, is always kept)."""
    last = {(row.event_id, row.facility_id): row.id for row in rows}
    return [row for row in rows if last[(row.event_id, row.facility_id)] == row.id]


def _page(after: int, upto: int | None = None) -> Select[int, uuid.UUID, uuid.UUID, str, datetime]:
    event = LiveEvent
    query = select(event.id, event.event_id, event.facility_id, event.kind, event.created_at).where(event.id > after)
    if upto is not None:
        query = query.where(LiveEvent.id <= upto)
    return query.order_by(LiveEvent.id).limit(PAGE)


class LiveHub:
    """One LISTEN connection per server process and the recent events it read, shared by every
    open stream. The attributes without an underscore may be tuned (tests make them short)."""

    def __init__(self, settings: DatabaseSettings) -> None:
        self.dsn = database_url(settings).replace("postgresql+asyncpg://", "postgresql://", 1)
        self.connect_timeout = float(settings.connect_timeout)
        self.keep_alive_s = KEEP_ALIVE_S  # a stream's comment when nothing happens
        self.recheck_s = RECHECK_S  # how long a stream trusts its caller's session and roles
        self.poll_s = KEEP_ALIVE_S  # the hub reads the outbox (and probes its connection) this often anyway
        self.retry_min_s, self.retry_max_s = RETRY_MIN_S, RETRY_MAX_S
        self.per_account, self.per_process = STREAMS_PER_ACCOUNT, STREAMS_PER_PROCESS
        self.kept = KEPT
        self.hole_wait_s = HOLE_WAIT_S
        self.waiting_for: int | None = None  # a missing outbox id the hub holds back for
        self._hole: tuple[int, float] = (0, 0.0)  # (missing id, when first missed)
        # Occupancy computations for the shared stream, and backlog pages read for single streams.
        self.computations = 0
        self.backlog_pages = 0
        self.backlog_computations = 0
        # Every shelter operation's occupancy as of its latest event the hub read (or as of a
        # backlog's read, for one the hub has not seen change): backlogs reuse it.
        self._latest: dict[Pair, Shelter | None] = {}
        self._filling = asyncio.Lock()
        self.connected = False
        self.position: int | None = None  # the last outbox id the hub has read
        self.floor: int | None = None  # the hub holds every event after this id
        self._recent: list[Entry] = []
        self._tick = asyncio.Event()  # set (and replaced) when new entries arrive
        self._wake = asyncio.Event()  # a notification, or the connection was lost
        self._engine: AsyncEngine | None = None
        self._task: asyncio.Task[None] | None = None
        self._backlog = asyncio.Semaphore(BACKLOG_READERS)
        self._streams: dict[uuid.UUID, int] = {}
        self.streams = 0

    # -- admission ---------------------------------------------------------------------------

    def admit(self, caller: Principal) -> Callable[[], None]:
        """Count a new stream of ``caller``; returns its release (idempotent)."""
        if self.streams >= self.per_process:
            full = ServiceUnavailableError(
                f"this server already holds {self.per_process} live streams; try again shortly or use another server"
            )
            full.retry_after = 30
            raise full
        mine = self._streams.get(caller.account_id, 0)
        if mine >= self.per_account:
            raise TooManyRequestsError(
                f"this account already has {mine} live streams open on this server (at most {self.per_account}); "
                "close one (another tab or device) before opening another"
            )
        self._streams[caller.account_id] = mine + 1
        self.streams += 1
        released = False

        def release() -> None:
            nonlocal released
            if released:
                return
            released = True
            self.streams -= 1
            left = self._streams[caller.account_id] - 1
            if left:
                self._streams[caller.account_id] = left
            else:
                del self._streams[caller.account_id]

        return release

    # -- the shared stream -------------------------------------------------------------------

    def start(self, engine: AsyncEngine) -> None:
        if self._task is None or self._task.done():
            self._engine = engine
            self._task = asyncio.create_task(self._run(), name="live-hub")

    def _reader(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("LiveHub.start(engine) first")
        return self._engine

    @property
    def tick(self) -> asyncio.Event:
        return self._tick

    def after(self, last: int) -> list[Entry] | None:
        """The events after ``last`` the hub holds; None when ``last`` is older than they reach."""
        if self.floor is None:
            return []  # not connected yet: nothing to give, nothing to catch up to
        if last < self.floor:
            return None
        return self._recent[bisect.bisect_right(self._recent, last, key=lambda entry: entry.id) :]

    async def now(self) -> int:
        """The id of the newest event: where a stream that resumes nothing starts."""
        if self.position is not None:
            return self.position
        async with session_factory(self._reader())() as session:
            return int(await session.scalar(select(func.coalesce(func.max(LiveEvent.id), 0))) or 0)

    async def backlog(self, last: int) -> tuple[list[Entry], int]:
        """One page of the events after ``last`` up to where the hub's begin, and the id reached."""
        upto = self.floor if self.floor is not None else last
        async with self._backlog, session_factory(self._reader())() as session:
            rows = (await session.execute(_page(last, upto))).all()
            if not rows:
                return [], upto
            self.backlog_pages += 1
            if pairs_of(rows) - self._latest.keys():
                async with self._filling:  # one computation for every stream that needs it
                    missing = pairs_of(rows) - self._latest.keys()
                    if missing:
                        shelters, computed = await compute(session, missing)
                        self.backlog_computations += computed
                        for pair, shelter in shelters.items():
                            # Never over what the hub read since: that is newer.
                            self._latest.setdefault(pair, shelter)
        return entries_of(latest_per_shelter(rows), self._latest), rows[-1].id

    async def _run(self) -> None:
        delay = self.retry_min_s
        while True:
            connection: asyncpg.Connection | None = None
            try:
                connection = await asyncpg.connect(self.dsn, timeout=self.connect_timeout)
                await connection.add_listener(CHANNEL, self._notified)
                connection.add_termination_listener(self._lost)
                self.connected, delay = True, self.retry_min_s
                await self._follow(connection)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # whatever broke, the hub must come back
                log.warning("live: database connection lost (%s); retrying in %.1f s", error, delay)
            finally:
                self.connected = False
                if connection is not None:
                    connection.terminate()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.retry_max_s)

    async def _follow(self, connection: asyncpg.Connection) -> None:
        # Read at once what was committed while we were away (or before we listened), then on each
        # notification; a quiet connection is probed, since a dead one may never say so.
        while not connection.is_closed():
            self._wake.clear()
            await self._catch_up()
            if not self._wake.is_set():
                wait = self.poll_s
                if self.waiting_for is not None:
                    wait = min(wait, max(0.0, self._hole[1] + self.hole_wait_s - time.monotonic()))
                try:
                    await asyncio.wait_for(self._wake.wait(), wait)
                except TimeoutError:
                    await connection.execute("SELECT 1", timeout=self.connect_timeout)
        raise ConnectionError("the LISTEN connection was closed")

    async def _catch_up(self) -> None:
        while True:
            async with session_factory(self._reader())() as session:
                if self.position is None:
                    # Listening began before this read: anything later is announced.
                    start = await session.scalar(select(func.coalesce(func.max(LiveEvent.id), 0)))
                    self.position = self.floor = int(start or 0)
                    self._publish([])
                    return
                rows = (await session.execute(_page(self.position))).all()
                ready = self._in_order(rows)
                if not ready:
                    return
                shelters, computed = await compute(session, pairs_of(ready))
            self.computations += computed
            self._latest.update(shelters)
            self._publish(entries_of(ready, shelters))
            if len(ready) < PAGE:
                return

    def _in_order(self, rows: Sequence[Outbox]) -> Sequence[Outbox]:
        """The rows up to the first missing id, unless that id has been missing for long enough."""
        now, expected = time.monotonic(), (self.position or 0) + 1
        self.waiting_for = None
        for n, row in enumerate(rows):
            if row.id > expected:
                if self._hole[0] != expected:
                    self._hole = (expected, now)
                if now - self._hole[1] < self.hole_wait_s:
                    self.waiting_for = expected
                    return rows[:n]
            expected = row.id + 1
        return rows

    def _publish(self, entries: list[Entry]) -> None:
        if entries:
            self._recent.extend(entries)
            self.position = entries[-1].id
            if len(self._recent) > 2 * self.kept:
                dropped = len(self._recent) - self.kept
                self.floor = self._recent[dropped - 1].id
                del self._recent[:dropped]
        tick, self._tick = self._tick, asyncio.Event()
        tick.set()

    def _notified(self, _connection: object, _pid: int, _channel: str, _payload: str) -> None:
        self._wake.set()

    def _lost(self, _connection: object) -> None:
        self._wake.set()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


Recheck = Callable[[], Awaitable[Viewer | None]]


async def follow(hub: LiveHub, viewer: Viewer, last: int, recheck: Recheck) -> AsyncIterator[ServerSentEventMessage]:
    """One stream: its backlog from the outbox while it is behind the hub, then the hub's events.
    Every ``hub.recheck_s`` it asks again who its caller is (``recheck``): a session ended or a
    role taken away ends the stream, a changed scope changes what it shows."""
    delay = hub.retry_min_s
    checked = time.monotonic()
    while True:
        if time.monotonic() - checked >= hub.recheck_s:
            try:
                again = await recheck()
            except TRANSIENT as error:  # the database is away: keep showing what it showed
                log.info("live: could not recheck the caller (%s)", error)
            else:
                if again is None:
                    return
                viewer = again
            checked = time.monotonic()
        tick = hub.tick
        recent = hub.after(last)
        if recent is None:
            try:
                entries, last = await hub.backlog(last)
            except TRANSIENT as error:
                # The database is away: keep the connection, say so, and try again.
                log.info("live: backlog read failed (%s); retrying in %.1f s", error, delay)
                yield ServerSentEventMessage(data=None, comment="keep-alive")
                await asyncio.sleep(delay)
                delay = min(delay * 2, hub.retry_max_s)
                continue
            delay = hub.retry_min_s
            for message in viewer.messages(entries):
                yield message
            continue
        if recent:
            last = recent[-1].id
            for message in viewer.messages(recent):
                yield message
            continue
        try:
            await asyncio.wait_for(tick.wait(), min(hub.keep_alive_s, hub.recheck_s))
        except TimeoutError:
            yield ServerSentEventMessage(data=None, comment="keep-alive")


class LiveController(Controller):
    path = "/api/live"
    tags = ["shelters"]  # noqa: RUF012

    @get(
        "/",
        guards=[signed_in_as(*OPERATORS)],
        summary="Server-Sent Events: occupancy and status changes (Last-Event-ID resumes)",
    )
    async def live(
        self,
        request: Request[Any, Any, Any],
        state: State,
        caller: Caller,
        event: FromQuery[str | None] = None,
        last_event_id: FromQuery[str | None] = None,
    ) -> Response[Any]:
        raw = request.headers.get("last-event-id") or last_event_id
        if raw is not None and not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
            raise InvalidParameterError("Last-Event-ID", "a number (the id of the last event received)")
        if event is not None:
            event = str(parse_id(event, "event"))
        hub: LiveHub = state.live_hub
        hub.start(state.read_engine)
        # Nothing to resume: from now on (the caller reads the occupancy itself once connected).
        last = int(raw) if raw is not None else await hub.now()
        release = hub.admit(caller)

        async def recheck() -> Viewer | None:
            again = await current(request)
            return Viewer(again, event) if again is not None and again.roles & set(OPERATORS) else None

        async def stream() -> AsyncIterator[ServerSentEventMessage]:
            try:
                async for message in follow(hub, Viewer(caller, event), last, recheck):
                    yield message
            finally:
                release()

        messages = stream()
        # A stream the server never starts (the client left first) must still free its place.
        weakref.finalize(messages, release)
        return ServerSentEvent(messages, headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
