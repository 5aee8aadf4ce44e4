"""The live stream: across two server processes a check-in posted to one is streamed by the other
within seconds, and a stream resumed with Last-Event-ID gets only what came after; streams with
distinct resume points share one occupancy computation per new event; each account and each
process holds a bounded number of streams; a stream outlives a database restart and then gets
what it missed without waiting for the next change."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from server.accounts.service import RoleRequest, add_operator, disable_operator
from server.app import create_app
from server.db.cluster import LocalCluster
from server.db.engine import session_factory
from server.db.migrate import upgrade
from server.settings import Settings
from server.shelters.live import LiveHub
from tests.conftest import private_tmp, settings_for
from tests.e2e.conftest import Demo, Server, free_port
from tests.server.roles import PASSWORD, an_open_shelter, operator
from tests.server.shelters.test_checkins import family_code

STAFF_ONLY = "staff"


async def signed(base: str, email: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=10)
    me = (await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})).json()
    client.headers["X-CSRF-Token"] = me["csrfToken"]
    return client


async def events(client: httpx.AsyncClient, found: list[dict[str, Any]], last: str | None = None) -> None:
    headers = {"Last-Event-ID": last} if last else {}
    async with client.stream("GET", "/api/live", headers=headers, timeout=None) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        current: dict[str, Any] = {}
        async for line in response.aiter_lines():
            if line.startswith("id:"):
                current["id"] = line[3:].strip()
            elif line.startswith("data:"):
                current["data"] = json.loads(line[5:].strip())
            elif line == "" and current:
                if "data" in current:
                    found.append(current)
                current = {}


async def until(found: list[dict[str, Any]], kind: str, seconds: float = 10) -> dict[str, Any]:
    """The first streamed event of ``kind`` (earlier ones, like the shelter's opening, are skipped)."""
    started = time.monotonic()
    while True:
        match = next((e for e in found if e["data"]["kind"] == kind), None)
        if match is not None:
            return match
        assert time.monotonic() - started < seconds, found
        await asyncio.sleep(0.05)


async def test_a_check_in_on_one_process_streams_from_the_other(
    database_url: str,
    engine: AsyncEngine,
    settings: Settings,
    opened: tuple[str, str],
    tmp_path: Path,
) -> None:
    _, shelter = opened
    code, _ = await family_code(settings, engine)
    hq, staff = await operator(engine, "prefectural_hq"), await operator(engine, STAFF_ONLY)
    first, second = Server(Demo(database_url, tmp_path)), Server(Demo(database_url, tmp_path))
    watcher, desk = await signed(first.url, hq), await signed(second.url, staff)
    try:
        found: list[dict[str, Any]] = []
        stream = asyncio.create_task(events(watcher, found))
        await asyncio.sleep(0.5)
        posted = time.monotonic()
        answer = await desk.post(
            "/api/checkins",
            json={"shelterId": shelter, "qr": code, "stay": "inside"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert answer.status_code == 201
        event = await until(found, "checkin")
        assert time.monotonic() - posted < 2.0  # on the dashboard within 2 seconds
        assert event["data"]["shelter"]["people"] == 2
        stream.cancel()

        resumed: list[dict[str, Any]] = []
        again = asyncio.create_task(events(watcher, resumed, last=event["id"]))
        await asyncio.sleep(0.5)
        await desk.post(
            "/api/checkouts",
            json={"shelterId": shelter, "qr": code, "stay": "inside"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        out = await until(resumed, "checkin")
        assert all(int(e["id"]) > int(event["id"]) for e in resumed)  # nothing before the resume point
        assert out["data"]["shelter"]["people"] == 0
        again.cancel()
    finally:
        await watcher.aclose()
        await desk.aclose()
        first.stop()
        second.stop()


async def test_a_server_killed_mid_burst_loses_and_doubles_nothing_once_clients_retry(
    database_url: str, engine: AsyncEngine, settings: Settings, opened: tuple[str, str], tmp_path: Path
) -> None:
    """60 check-ins fired at once, the server killed (SIGKILL) while they are in flight, a new one
    started, and every client sending its request again with the same key: exactly 60 rows."""
    _, shelter = opened
    code, _ = await family_code(settings, engine)
    staff = await operator(engine, STAFF_ONLY)
    server = Server(Demo(database_url, tmp_path))
    desk = await signed(server.url, staff)
    keys = [str(uuid.uuid4()) for _ in range(60)]
    body = {"shelterId": shelter, "qr": code, "stay": "inside"}

    async def send(client: httpx.AsyncClient, key: str) -> int:
        try:
            return (await client.post("/api/checkins", json=body, headers={"Idempotency-Key": key})).status_code
        except httpx.HTTPError:
            return 0  # the answer was lost: the client will send it again

    try:
        burst = [asyncio.create_task(send(desk, key)) for key in keys]
        await asyncio.sleep(0.15)
        server.process.kill()
        server.process.wait()
        first = await asyncio.gather(*burst)
        async with engine.connect() as connection:
            landed = await connection.scalar(text("SELECT count(*) FROM checkin"))
        assert 0 in first, "the kill came too late to interrupt anything"
        server = Server(Demo(database_url, tmp_path))
        desk = await signed(server.url, staff)
        again = await asyncio.gather(*(send(desk, key) for key in keys))
        assert set(again) <= {200, 201}
        async with engine.connect() as connection:
            rows = await connection.scalar(text("SELECT count(*) FROM checkin"))
            distinct = await connection.scalar(text("SELECT count(DISTINCT idempotency_key) FROM checkin"))
        assert rows == distinct == 60
        assert again.count(200) == landed  # what had landed before the kill was only replayed
    finally:
        await desk.aclose()
        server.stop()


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[str, LiveHub]]:
    """The app served by uvicorn in this event loop, so a test can reach its hub: (url, hub)."""
    app: Litestar = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the server did not start"
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", app.state.live_hub
    finally:
        server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(task), 10)
        except TimeoutError:
            server.force_exit = True  # a stream left open
            await task


@dataclass
class Reader:
    """One open stream: every message's id with its data (None for a comment that moves the id
    on), and the keep-alives counted."""

    client: httpx.AsyncClient
    last: int | None = None
    status: int | None = None
    seen: list[tuple[int, dict[str, Any] | None]] = field(default_factory=list)
    keep_alives: int = 0
    problem: dict[str, Any] | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        headers = {"Last-Event-ID": str(self.last)} if self.last is not None else {}
        async with self.client.stream("GET", "/api/live", headers=headers, timeout=None) as response:
            self.status = response.status_code
            if response.status_code != 200:
                self.problem = json.loads(await response.aread())
                self.answered.set()
                return
            self.answered.set()
            current: dict[str, Any] = {}
            async for line in response.aiter_lines():
                if line.startswith("id:"):
                    current["id"] = int(line[3:])
                elif line.startswith("data:"):
                    current["data"] = json.loads(line[5:])
                elif line == ": keep-alive":
                    self.keep_alives += 1
                elif line == "" and "id" in current:
                    self.seen.append((current["id"], current.get("data")))
                    current = {}

    @property
    def reached(self) -> int:
        return self.seen[-1][0] if self.seen else -1

    @property
    def data(self) -> list[tuple[int, dict[str, Any]]]:
        return [(n, d) for n, d in self.seen if d is not None]


async def eventually(condition: Any, what: str, seconds: float = 15) -> None:
    """Wait for ``condition()``; fail naming ``what`` if it never holds (a bound, not a timing)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        await asyncio.sleep(0.02)


async def opened_stream(reader: Reader) -> asyncio.Task[None]:
    task = asyncio.create_task(reader.run())
    await asyncio.wait_for(reader.answered.wait(), 10)
    return task


async def close_all(tasks: list[asyncio.Task[None]], clients: list[httpx.AsyncClient]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for client in clients:
        await client.aclose()


async def past_events(engine: AsyncEngine, event_id: str, shelter: str, count: int) -> list[int]:
    """``count`` changes of the shelter already in the outbox; every outbox id, in order."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO live_event (event_id, facility_id, kind) "
                "SELECT :e, :f, 'shelter' FROM generate_series(1, :n)"
            ),
            {"e": event_id, "f": shelter, "n": count},
        )
        return list((await connection.scalars(text("SELECT id FROM live_event ORDER BY id"))).all())


async def other_town_hq(engine: AsyncEngine) -> str:
    """Municipal headquarters of a town with no shelter open: it may see none of the events."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO municipality (id, code, name, prefecture) VALUES (gen_random_uuid(), '029980', "
                "'隣町', '青森県') ON CONFLICT (code) DO NOTHING"
            )
        )
    email = f"other-{uuid.uuid4().hex[:8]}@test.example"
    async with session_factory(engine)() as session, session.begin():
        await add_operator(session, email, PASSWORD, [RoleRequest("municipal_hq", "029980")])
    return email


async def test_streams_resuming_from_distinct_points_share_one_computation_per_event(
    engine: AsyncEngine, settings: Settings, opened: tuple[str, str]
) -> None:
    """50 streams, each resuming from its own id, of four kinds of caller: each reads its backlog
    from the outbox (the shelter's occupancy computed once for all of them), then a check-in costs
    one occupancy computation for all of them, and each caller gets what it may see after its
    resume point."""
    event_id, shelter = opened
    code, _ = await family_code(settings, engine)
    ids = await past_events(engine, event_id, shelter, 60)
    emails = [await operator(engine, role) for role in ("prefectural_hq", "municipal_hq", STAFF_ONLY)]
    emails.append(await other_town_hq(engine))
    async with serving(settings) as (base, hub):
        hub.per_account = 50
        clients = [await signed(base, email) for email in emails]
        readers = [Reader(clients[n % 4], last=ids[n]) for n in range(50)]
        tasks = [await opened_stream(reader) for reader in readers]
        try:
            assert all(reader.status == 200 for reader in readers)
            await eventually(lambda: all(r.reached == ids[-1] for r in readers), "every backlog read")
            assert hub.backlog_pages <= len(readers)  # one page each: the backlog is far below PAGE rows
            assert hub.backlog_computations == 1  # the shelter's occupancy, computed once for all backlogs
            before = hub.computations

            checkin = await clients[2].post(
                "/api/checkins",
                json={"shelterId": shelter, "qr": code, "stay": "inside"},
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
            assert checkin.status_code == 201, checkin.text
            await eventually(lambda: all(r.reached > ids[-1] for r in readers), "the check-in on every stream")
            assert hub.computations == before + 1  # one for 50 streams, not one per stream
        finally:
            await close_all(tasks, clients)
    for n, reader in enumerate(readers):
        if n % 4 == 3:  # the other town's headquarters: ids move on, nothing shown
            assert reader.data == [] and reader.reached > ids[-1]
            continue
        # Its backlog (one shelter) as that shelter's latest event, then the check-in.
        assert [i for i, _ in reader.data] == [ids[-1], reader.reached]
        last = reader.data[-1][1]
        assert last is not None and last["kind"] == "checkin" and last["shelter"]["people"] == 2


async def test_an_account_holds_a_few_streams_and_a_process_a_bounded_number(
    engine: AsyncEngine, settings: Settings, opened: tuple[str, str]
) -> None:
    hq, other = await operator(engine, "prefectural_hq"), await operator(engine, "municipal_hq")
    async with serving(settings) as (base, hub):
        mine, theirs = await signed(base, hq), await signed(base, other)
        readers = [Reader(mine) for _ in range(hub.per_account)]
        tasks = [await opened_stream(reader) for reader in readers]
        try:
            assert [r.status for r in readers] == [200] * hub.per_account
            one_more = Reader(mine)
            await one_more.run()
            assert one_more.status == 429 and one_more.problem is not None
            assert f"at most {hub.per_account}" in one_more.problem["detail"]
            elsewhere = Reader(theirs)  # another account is not held back by this one
            tasks.append(await opened_stream(elsewhere))
            assert elsewhere.status == 200

            tasks.pop(0).cancel()  # a stream closed frees its place
            await eventually(lambda: hub.streams == hub.per_account, "the closed stream released")
            again = Reader(mine)
            tasks.append(await opened_stream(again))
            assert again.status == 200

            hub.per_process = hub.streams
            full = Reader(theirs)
            async with theirs.stream("GET", "/api/live") as response:
                assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
                assert response.headers["content-type"].startswith("application/problem+json")
                assert "live streams" in json.loads(await response.aread())["detail"]
            assert full.status is None
        finally:
            await close_all(tasks, [mine, theirs])


async def test_an_event_committed_after_a_later_one_still_reaches_the_stream(
    engine: AsyncEngine, settings: Settings, opened: tuple[str, str]
) -> None:
    """Outbox ids are taken at write and seen at commit: a transaction that took id n and commits
    after the one that took n + 1 is still streamed, in order; an id rolled back holds nothing up
    for longer than the hub's wait."""
    event_id, shelter = opened
    insert = text("INSERT INTO live_event (event_id, facility_id, kind) VALUES (:e, :f, 'shelter') RETURNING id")
    values = {"e": event_id, "f": shelter}
    async with serving(settings) as (base, hub):
        hub.hole_wait_s = 3600.0  # only the late commit itself can let the hub go on
        watcher = await signed(base, await operator(engine, "prefectural_hq"))
        reader = Reader(watcher)
        stream = await opened_stream(reader)
        try:
            await eventually(lambda: hub.connected and hub.position is not None, "the hub listening")
            async with engine.connect() as slow:
                transaction = await slow.begin()
                first = await slow.scalar(insert, values)
                async with engine.begin() as quick:
                    second = await quick.scalar(insert, values)
                await eventually(lambda: hub.waiting_for == first, "the hub seeing the later id first")
                assert all(n < first for n, _ in reader.seen)  # held back, not skipped
                await transaction.commit()
            await eventually(lambda: reader.reached == second, "both events streamed")
            assert [n for n, _ in reader.seen][-2:] == [first, second]

            hub.hole_wait_s = 0.2
            async with engine.connect() as abandoned:
                transaction = await abandoned.begin()
                await abandoned.scalar(insert, values)
                async with engine.begin() as quick:
                    third = await quick.scalar(insert, values)
                await transaction.rollback()
            await eventually(lambda: reader.reached == third, "the event after a rolled-back id streamed")
        finally:
            stream.cancel()
            await asyncio.gather(stream, return_exceptions=True)
            await watcher.aclose()


class SamePortCluster(LocalCluster):
    """PostgreSQL binds with SO_REUSEADDR, so a restart may keep its port even while the closed
    connections linger in TIME_WAIT (which makes LocalCluster look for another one)."""

    def _choose_port(self) -> int:
        return self.preferred_port


async def test_a_stream_outlives_a_database_restart_and_then_gets_what_it_missed() -> None:
    """PostgreSQL stopped under an open stream: the stream stays open (keep-alives); a check-in
    made once it is back, while the hub cannot reconnect yet, reaches the stream as soon as the
    hub reconnects: the hub reads what it missed at once (its periodic poll is an hour away)."""
    home = private_tmp("bosai-live-pg-")
    cluster = SamePortCluster(home, free_port(), server_options=("fsync=off", "synchronous_commit=off"))
    await asyncio.to_thread(cluster.start)
    try:
        await cluster.create_database("bosai")
        url = cluster.url("bosai")
        engine = create_async_engine(url)
        try:
            await upgrade(engine)
            shelter = await an_open_shelter(engine)
            settings = settings_for(url)
            code, _ = await family_code(settings, engine)
            hq, staff = await operator(engine, "prefectural_hq"), await operator(engine, STAFF_ONLY)
        finally:
            await engine.dispose()
        async with serving(settings) as (base, hub):
            hub.keep_alive_s, hub.poll_s = 0.1, 3600.0
            hub.retry_min_s, hub.retry_max_s = 0.05, 0.2
            watcher, desk = await signed(base, hq), await signed(base, staff)
            reader = Reader(watcher, last=0)  # from the first event: the shelter's opening
            stream = await opened_stream(reader)
            try:
                await eventually(lambda: hub.connected and reader.data != [], "the shelter's opening streamed")

                await asyncio.to_thread(cluster.stop)
                await eventually(lambda: not hub.connected, "the hub noticing the database is gone")
                alive = reader.keep_alives
                await eventually(lambda: reader.keep_alives >= alive + 3, "keep-alives while the database is down")
                assert not stream.done()

                # The hub may not reconnect until the check-in is in: its NOTIFY reaches no one.
                reachable, hub.dsn = hub.dsn, hub.dsn.replace(f":{cluster.port}/", f":{free_port()}/")
                await asyncio.to_thread(cluster.start)
                key = str(uuid.uuid4())
                body = {"shelterId": shelter, "qr": code, "stay": "inside"}
                answer = await desk.post("/api/checkins", json=body, headers={"Idempotency-Key": key})
                assert answer.status_code == 201, answer.text
                assert not hub.connected and all(d["kind"] != "checkin" for _, d in reader.data)

                hub.dsn = reachable
                await eventually(lambda: any(d["kind"] == "checkin" for _, d in reader.data), "the missed check-in")
                assert reader.data[-1][1]["shelter"]["people"] == 2
                assert not stream.done()
            finally:
                stream.cancel()
                await asyncio.gather(stream, return_exceptions=True)
                await watcher.aclose()
                await desk.aclose()
    finally:
        await asyncio.to_thread(cluster.stop)
        shutil.rmtree(home, ignore_errors=True)


async def test_a_stream_that_resumes_nothing_starts_now_not_at_the_first_event(
    engine: AsyncEngine, settings: Settings, opened: tuple[str, str]
) -> None:
    """A dashboard reads the occupancy itself, then opens the stream without Last-Event-ID: it
    gets what happens from then on, not the whole outbox replayed."""
    event_id, shelter = opened
    code, _ = await family_code(settings, engine)
    newest = (await past_events(engine, event_id, shelter, 30))[-1]
    staff = await operator(engine, STAFF_ONLY)
    async with serving(settings) as (base, hub):
        client = await signed(base, staff)
        reader = Reader(client)
        task = await opened_stream(reader)
        try:
            checkin = await client.post(
                "/api/checkins",
                json={"shelterId": shelter, "qr": code, "stay": "inside"},
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
            assert checkin.status_code == 201, checkin.text
            await eventually(lambda: reader.data, "the check-in streamed")
            # Nothing of the outbox's past: at most the one page holding this check-in, when it lands
            # between the stream's start and the hub's next read (seen on a busy machine).
            assert hub.backlog_pages <= 1
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await client.aclose()
    assert [d["kind"] for _, d in reader.data] == ["checkin"]
    assert all(n > newest for n, _ in reader.seen)


async def test_a_stream_ends_when_its_session_ends_or_its_account_is_disabled(
    engine: AsyncEngine, settings: Settings, opened: tuple[str, str]
) -> None:
    """Signing out (or an administrator disabling the account) ends an open stream within the
    hub's recheck time; until then it shows what the caller may see."""
    _, shelter = opened
    code, _ = await family_code(settings, engine)
    leaving, disabled, watching = [await operator(engine, "prefectural_hq") for _ in range(3)]
    async with serving(settings) as (base, hub):
        hub.recheck_s = 0.2
        clients = [await signed(base, email) for email in (leaving, disabled, watching)]
        readers = [Reader(client) for client in clients]
        tasks = [await opened_stream(reader) for reader in readers]
        try:
            logout = await clients[0].post("/api/auth/logout")
            assert logout.status_code in (200, 204), logout.text
            async with session_factory(engine)() as session, session.begin():
                assert await disable_operator(session, disabled)
            await eventually(lambda: tasks[0].done() and tasks[1].done(), "both streams ended")
            assert not tasks[2].done()
            checkin = await clients[2].post(
                "/api/checkins",
                json={"shelterId": shelter, "qr": code, "stay": "inside"},
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
            assert checkin.status_code == 201, checkin.text
            await eventually(lambda: readers[2].data, "the check-in on the open stream")
            assert readers[0].data == [] and readers[1].data == []
        finally:
            await close_all(tasks, clients)
