"""A check-in and the safety status it causes are one transaction, even when the server dies: a
real ``bosai serve`` is killed (SIGKILL) in the middle of a burst of check-ins and check-outs of
households whose members let a check-in update their status. Afterwards no check-in is without its
status and no status without its check-in; sent again with the same Idempotency-Keys to a
restarted server, every check-in exists once and every status once."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.app import create_app
from tests.conftest import TEST_KEYS, settings_for
from tests.server.roles import PASSWORD, an_open_shelter, operator

HOUSEHOLDS = 24
ROUNDS = 6  # in, out, in, out, ... for each household
KILL_AFTER = 20  # answers received before the server is killed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Served:
    """``bosai serve`` on the test database, in a process of its own."""

    def __init__(self, database_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, **TEST_KEYS, "DATABASE_URL": database_url, "BOSAI_LOG_LEVEL": "warning"}
        bosai = Path(sys.executable).with_name("bosai")
        self.process = subprocess.Popen([str(bosai), "serve", "--port", str(self.port)], env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.kill()
        raise RuntimeError("bosai serve did not become ready")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


@pytest.fixture
def served(database_url: str) -> Iterator[list[Served]]:
    started: list[Served] = []
    yield started
    for server in started:
        server.kill()


async def households(database_url: str, engine: AsyncEngine) -> list[str]:
    """Residents with a household each, who let a check-in update their status: their QR codes."""
    codes = []
    settings = settings_for(database_url, residents_per_minute=1000)
    for i in range(HOUSEHOLDS):
        async with AsyncTestClient(app=create_app(settings)) as client:
            me = (await client.post("/api/residents")).json()
            client.headers["X-CSRF-Token"] = me["csrfToken"]
            household = {"members": [{"name": f"見本 {i}", "relationship": "self"}]}
            assert (await client.put("/api/households/me", json=household)).status_code == 200
            assert (await client.put("/api/safety/consent", json={"autoCheckin": True})).status_code == 200
            codes.append((await client.get("/api/households/me/qr")).json()["household"])
    return codes


def plan(shelter: str, codes: list[str]) -> list[list[tuple[str, dict[str, str], str]]]:
    """Per household, its check-ins and check-outs in order: (path, body, Idempotency-Key)."""
    return [
        [
            ("/api/checkins" if r % 2 == 0 else "/api/checkouts", {"shelterId": shelter, "qr": code}, str(uuid.uuid4()))
            for r in range(ROUNDS)
        ]
        for code in codes
    ]


async def staff_client(url: str, email: str) -> httpx.AsyncClient:
    # The same account before and after: an Idempotency-Key is scoped to its sender.
    client = httpx.AsyncClient(base_url=url, timeout=30)
    signed = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    client.headers["X-CSRF-Token"] = signed.json()["csrfToken"]
    return client


async def send(
    client: httpx.AsyncClient,
    steps: list[tuple[str, dict[str, str], str]],
    done: list[int],
    enough: asyncio.Event | None = None,
) -> None:
    """One household's steps in order; stops at the first that gets no answer. ``enough`` is set
    once KILL_AFTER answers came."""
    for path, body, key in steps:
        try:
            answer = await client.post(path, json=body, headers={"Idempotency-Key": key})
        except httpx.TransportError:
            return
        assert answer.status_code in (200, 201), answer.text
        done.append(1)
        if enough is not None and len(done) >= KILL_AFTER:
            enough.set()


async def consistency(engine: AsyncEngine) -> tuple[int, int]:
    """(check-ins, statuses), after checking that each check-in has exactly one status of its
    direction and each check-in's status its check-in."""
    async with engine.connect() as connection:
        unmatched = await connection.scalar(
            text(
                "SELECT count(*) FROM checkin c WHERE (SELECT count(*) FROM safety_status s "
                "WHERE s.idempotency_key LIKE 'checkin:' || c.id::text || ':%' AND s.status = "
                "CASE c.direction WHEN 'in' THEN 'at_shelter' ELSE 'left_shelter' END) <> 1"
            )
        )
        orphans = await connection.scalar(
            text(
                "SELECT count(*) FROM safety_status s WHERE s.idempotency_key LIKE 'checkin:%' AND NOT EXISTS "
                "(SELECT FROM checkin c WHERE s.idempotency_key LIKE 'checkin:' || c.id::text || ':%')"
            )
        )
        checkins = await connection.scalar(text("SELECT count(*) FROM checkin"))
        statuses = await connection.scalar(text("SELECT count(*) FROM safety_status"))
    assert unmatched == 0, f"{unmatched} check-ins without exactly one status"
    assert orphans == 0, f"{orphans} statuses without their check-in"
    return checkins or 0, statuses or 0


async def test_killing_the_server_mid_burst_loses_no_status_and_doubles_nothing(
    database_url: str, engine: AsyncEngine, served: list[Served]
) -> None:
    shelter = await an_open_shelter(engine)
    steps = plan(shelter, await households(database_url, engine))
    email = await operator(engine, "prefectural_hq")
    served.append(Served(database_url))
    client = await staff_client(served[0].url, email)
    done: list[int] = []
    enough = asyncio.Event()

    async def kill_mid_burst() -> None:
        await enough.wait()
        served[0].kill()

    try:
        await asyncio.gather(kill_mid_burst(), *(send(client, s, done, enough) for s in steps))
    finally:
        await client.aclose()
    total = HOUSEHOLDS * ROUNDS
    assert KILL_AFTER <= len(done) < total, "the server was not killed mid-burst"
    checkins, statuses = await consistency(engine)
    assert len(done) <= checkins < total and statuses == checkins

    # The clients send again what got no answer, with the same keys, to the restarted server.
    served.append(Served(database_url))
    again = await staff_client(served[1].url, email)
    answered: list[int] = []
    try:
        await asyncio.gather(*(send(again, s, answered) for s in steps))
    finally:
        await again.aclose()
    assert len(answered) == total
    checkins, statuses = await consistency(engine)
    assert checkins == total and statuses == total  # each once: none lost, none twice
    async with engine.connect() as connection:
        keys: Any = await connection.scalar(text("SELECT count(DISTINCT idempotency_key) FROM checkin"))
    assert keys == total
