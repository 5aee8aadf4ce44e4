"""A push service of the project's own for the tests: an aiohttp server on 127.0.0.1 that takes
Web Push requests as a browser vendor's would, checks the VAPID signature, DECRYPTS each body
with the subscription's private key made in the test (RFC 8291, through http_ece) and records
what arrived. It answers 201, or what a test plans for an endpoint (410, 429 with Retry-After,
500) first."""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import http_ece
from aiohttp import web
from py_vapid import Vapid02

from tests.server.alerts.browser import Browser


@dataclass
class Arrival:
    name: str
    payload: dict[str, Any]
    headers: dict[str, str]
    at: float  # time.monotonic()


@dataclass
class Receiver:
    browsers: dict[str, Browser] = field(default_factory=dict)
    arrivals: list[Arrival] = field(default_factory=list)
    # Requests refused (by a planned answer), per endpoint name.
    refused: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    planned: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=lambda: defaultdict(list))
    # Seconds an endpoint takes to answer (a slow push service).
    slow: dict[str, float] = field(default_factory=dict)
    port: int = 0
    _runner: web.AppRunner | None = None

    def browser(self, name: str) -> Browser:
        b = Browser(f"http://127.0.0.1:{self.port}/push/{name}")
        self.browsers[name] = b
        return b

    def plan(self, name: str, status: int, headers: dict[str, str] | None = None) -> None:
        """The next request to ``name`` is answered ``status`` (in order, once each)."""
        self.planned[name].append((status, headers or {}))

    def got(self, name: str) -> list[dict[str, Any]]:
        return [a.payload for a in self.arrivals if a.name == name]

    async def _push(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        await asyncio.sleep(self.slow.get(name, 0))
        if self.planned[name]:
            status, headers = self.planned[name].pop(0)
            self.refused[name].append(time.monotonic())
            return web.Response(status=status, headers=headers)
        browser = self.browsers.get(name)
        if browser is None:
            return web.Response(status=404)
        authorization = request.headers.get("Authorization", "")
        if not authorization.startswith("vapid ") or not Vapid02.verify(authorization):
            return web.Response(status=401, text="bad VAPID signature")
        if request.headers.get("Content-Encoding") != "aes128gcm":
            return web.Response(status=415)
        body = await request.read()
        plain = http_ece.decrypt(body, private_key=browser.key, auth_secret=browser.auth, version="aes128gcm")
        headers = {k: v for k, v in request.headers.items() if k in ("TTL", "Urgency", "Topic", "Authorization")}
        self.arrivals.append(Arrival(name, json.loads(plain), headers, time.monotonic()))
        return web.Response(status=201)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/push/{name}", self._push)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
