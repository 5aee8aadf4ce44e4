"""A JMA PULL feed of the tests' own: an aiohttp server on 127.0.0.1 serving Atom feeds whose
entries point to message files (the fixtures) on the same server. It answers ``304`` to an
``If-Modified-Since`` equal to a feed's ``Last-Modified``, records every request, and can be told
to fail a message's next fetches."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from aiohttp import web

from server.alerts.cli import read


@dataclass
class FeedEntry:
    id: str
    title: str
    file: str  # a message served at /data/<file>
    updated: datetime
    href: str | None = None  # a link elsewhere, instead of /data/<file>


@dataclass
class FeedServer:
    files: dict[str, Path] = field(default_factory=dict)
    feeds: dict[str, list[FeedEntry]] = field(default_factory=dict)
    modified: dict[str, datetime] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, If-Modified-Since)
    failing: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    port: int = 0
    _runner: web.AppRunner | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def publish(self, feed: str, entries: list[FeedEntry], at: datetime) -> None:
        self.feeds[feed] = entries
        self.modified[feed] = at

    def fetched(self, file: str) -> int:
        return sum(1 for path, _ in self.requests if path == f"/data/{file}")

    def asked(self, feed: str) -> list[str | None]:
        """The If-Modified-Since of each request for the feed."""
        return [since for path, since in self.requests if path == f"/feed/{feed}"]

    def _atom(self, feed: str) -> str:
        entries = "".join(
            f"<entry><title>{escape(e.title)}</title><id>{escape(e.id)}</id>"
            f"<updated>{e.updated.isoformat()}</updated><author><name>青森地方気象台</name></author>"
            f'<link type="application/xml" href="{escape(e.href or self.url("/data/" + e.file))}"/>'
            f'<content type="text/plain">{escape(e.title)}</content></entry>'
            for e in self.feeds[feed]
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" lang="ja">'
            f"<title>{feed}</title><id>{self.url('/feed/' + feed)}</id>"
            f"<updated>{self.modified[feed].isoformat()}</updated>{entries}</feed>"
        )

    async def _feed(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        since = request.headers.get("If-Modified-Since")
        self.requests.append((request.path, since))
        if name not in self.feeds:
            return web.Response(status=404)
        modified = format_datetime(self.modified[name], usegmt=True)
        if since == modified:
            return web.Response(status=304)
        return web.Response(
            body=self._atom(name).encode(), content_type="application/atom+xml", headers={"Last-Modified": modified}
        )

    async def _data(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.requests.append((request.path, None))
        if self.failing[name] > 0:
            self.failing[name] -= 1
            return web.Response(status=503)
        if name not in self.files:
            return web.Response(status=404)
        return web.Response(body=read(self.files[name]), content_type="application/xml")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/feed/{name}", self._feed)
        app.router.add_get("/data/{name}", self._data)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
