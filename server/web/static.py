"""The PWA's files (pwa/dist, or the placeholder).

Content-hashed assets (/assets/…) are immutable; the page, the web app manifest and the service
worker are revalidated every time (no-cache, answered 304 while unchanged), or an update would
never reach the residents. The build writes a brotli (.br) and a gzip (.gz) copy beside each file
that shrinks (pwa/scripts/compress.mjs): the one the browser accepts is sent as it is, with its
Content-Encoding, so the main script costs a third of its size on a weak signal and no CPU here.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from litestar import HttpMethod, Request, Response, Router, route
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File

from server.lib.access import anyone
from server.lib.compression import accepted_encodings

# Types Python does not know on every platform.
mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("application/wasm", ".wasm")

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Precompressed copies, in the order they are preferred.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


def find(folder: Path, path: str) -> Path | None:
    """The file ``path`` names inside ``folder`` (a folder's index.html), never outside it."""
    relative = path.strip("/")
    found = (folder / relative).resolve()
    if found.is_dir():
        found = found / "index.html"
    if not found.is_relative_to(folder) or not found.is_file():
        return None
    return found


def serve(request: Request[Any, Any, Any], folder: Path, path: str) -> Response[Any]:
    found = find(folder, path)
    if found is None:
        raise NotFoundException(f"no file {path!r}")
    media_type = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
    immutable = found.parent == folder / "assets"
    headers = {"Cache-Control": IMMUTABLE if immutable else REVALIDATE}
    encoding, sent = None, found
    # A copy older than its file is stale (the file was changed after the build): never sent.
    changed = found.stat().st_mtime_ns
    variants = [(name, found.with_name(found.name + suffix)) for name, suffix in ENCODINGS]
    variants = [(name, file) for name, file in variants if file.is_file() and file.stat().st_mtime_ns >= changed]
    if variants:
        headers["Vary"] = "Accept-Encoding"
        accepted = accepted_encodings(request.headers.get("accept-encoding", ""))
        encoding, sent = next(((name, file) for name, file in variants if name in accepted), (None, found))
    if encoding:
        headers["Content-Encoding"] = encoding
    stat = sent.stat()
    etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
    headers["ETag"] = etag
    if etag in request.headers.get("if-none-match", ""):
        return Response(b"", status_code=304, headers=headers)
    return File(sent, media_type=media_type, headers=headers, content_disposition_type="inline", filename=found.name)


def static_router(folder: Path) -> Router:
    folder = folder.resolve()
    options: dict[str, Any] = {
        "http_method": [HttpMethod.GET, HttpMethod.HEAD],
        "guards": [anyone],
        "include_in_schema": False,
        "sync_to_thread": False,
    }

    @route("/", **options)
    def page(request: Request[Any, Any, Any]) -> Response[Any]:
        return serve(request, folder, "/")

    @route("/{path:path}", **options)
    def static_file(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[Any]:
        return serve(request, folder, path)

    return Router("/", route_handlers=[page, static_file])
