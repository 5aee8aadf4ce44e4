"""The live stream across two server processes: a check-in posted to one is streamed by the other
within seconds, and a stream resumed with Last-Event-ID gets only what came after."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.settings import Settings
from tests.e2e.conftest import Demo, Server
from tests.server.roles import PASSWORD, operator
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
