"""gzip for answers that shrink: JSON, GeoJSON, CSV, HTML, SVG, vector tiles.

A resident on a weak signal pays for every byte. Litestar's own compression middleware compresses
whatever the client accepts — a `.pmtiles` range read (whose bytes must stay the archive's), an
answer already encoded, a stream — so this one chooses by what the answer is:

- only a whole answer (one body message) of a compressible type and at least ``MINIMUM`` bytes;
  a stream (Server-Sent Events, a large file sent in parts) passes as it is;
- never one that already has a Content-Encoding (the PWA's precompressed files, a tile stored
  compressed) or is partial (206), empty (204, 304) or a HEAD;
- every compressible answer says ``Vary: Accept-Encoding``, compressed or not, so a shared cache
  never hands a compressed body to a client that did not ask for one.
"""

from __future__ import annotations

import asyncio
import gzip

from litestar.datastructures import Headers, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

MINIMUM = 1024  # smaller answers gain less than the header costs
LEVEL = 6  # gzip's default: most of level 9's gain for a fraction of its time
IN_THREAD = 256 * 1024  # larger bodies are compressed off the event loop
COMPRESSIBLE = (
    "application/json",
    "application/problem+json",
    "application/geo+json",
    "application/manifest+json",
    "application/vnd.mapbox-vector-tile",
    "application/xml",
    "image/svg+xml",
    "text/",
)


def accepted_encodings(accept_encoding: str) -> frozenset[str]:
    """The content codings an Accept-Encoding header allows (``gzip;q=0`` refuses gzip)."""
    accepted = set()
    for item in accept_encoding.lower().split(","):
        name, _, params = item.partition(";")
        quality = params.strip()
        if quality.startswith("q="):
            try:
                if float(quality[2:]) <= 0:
                    continue
            except ValueError:
                continue
        if name.strip():
            accepted.add(name.strip())
    return frozenset(accepted)


def compressible(headers: MutableScopeHeaders) -> bool:
    media = str(headers.get("content-type", "")).split(";")[0].strip().lower()
    return media.startswith(COMPRESSIBLE) and media != "text/event-stream"


class Compression(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        wanted = "gzip" in accepted_encodings(Headers.from_scope(scope).get("accept-encoding", ""))
        head = scope.get("method") == "HEAD"
        start: Message | None = None

        async def choose(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                if (
                    message["status"] in (204, 206, 304)
                    or "content-encoding" in headers
                    or "content-range" in headers
                    or not compressible(headers)
                ):
                    await send(message)
                    return
                if "accept-encoding" not in str(headers.get("vary", "")).lower():
                    headers.extend_header_value("vary", "Accept-Encoding")
                if not wanted or head:
                    await send(message)
                    return
                start = message  # held until the body shows whether it is whole and large enough
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            held, start = start, None
            body = message.get("body", b"")
            if message.get("more_body", False) or len(body) < MINIMUM:
                await send(held)
                await send(message)
                return
            packed = (
                await asyncio.to_thread(gzip.compress, body, LEVEL, mtime=0)
                if len(body) > IN_THREAD
                else gzip.compress(body, LEVEL, mtime=0)
            )
            headers = MutableScopeHeaders.from_message(held)
            headers["Content-Encoding"] = "gzip"
            headers["Content-Length"] = str(len(packed))
            await send(held)
            await send({"type": "http.response.body", "body": packed, "more_body": False})

        await next_app(scope, receive, choose)
