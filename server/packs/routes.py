"""GET /api/packs, /api/packs/{code} (manifests) and /packs/{code}/{version}.pmtiles (the archive,
with Range, ETag and immutable caching; also the compact facility list beside it)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import msgspec
from litestar import Controller, HttpMethod, Request, Response, get, route
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import File
from sqlalchemy import select

from geo.codes import InvalidCodeError, normalize
from server.accounts.guards import anyone
from server.db.engine import session_factory
from server.lib.errors import NotFoundError
from server.municipalities.models import Municipality
from server.packs.models import OfflinePack
from server.packs.schemas import PackList, PackVersions
from server.packs.service import latest_packs, manifest, pack_path

_FILE = re.compile(r"(\d{1,9})(\.pmtiles|\.facilities\.json|\.graph\.json)")
_TYPES = {
    ".pmtiles": "application/octet-stream",
    ".facilities.json": "application/geo+json",
    ".graph.json": "application/json",
}
IMMUTABLE = "public, max-age=31536000, immutable"
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
# More digits than any file offset: converting thousands of digits is slow, and Python refuses.
_OFFSET_DIGITS = 18


def _code(raw: str) -> str:
    try:
        return normalize(raw)
    except InvalidCodeError:
        raise NotFoundError(f"no municipality with code {raw!r}") from None


class PackController(Controller):
    path = "/api/packs"
    tags = ["packs"]  # noqa: RUF012
    guards = [anyone]  # noqa: RUF012  # public: no personal data

    @get("/", summary="The newest offline pack of every municipality that has one")
    async def list_packs(self, state: State) -> PackList:
        packs = await latest_packs(state.read_engine)
        async with state.read_engine.connect() as connection:
            names = dict((await connection.execute(select(Municipality.code, Municipality.name))).all())
        manifests = [manifest(pack, code, names[code]) for code, pack in packs.items()]
        return PackList(manifests)

    @get("/{code:str}", summary="A municipality's newest pack, and the versions still downloadable")
    async def get_pack(self, state: State, code: FromPath[str]) -> PackVersions:
        code = _code(code)
        async with session_factory(state.read_engine)() as session:
            town = await session.scalar(select(Municipality).where(Municipality.code == code))
            if town is None:
                raise NotFoundError(f"no municipality with code {code}")
            packs = (
                await session.scalars(
                    select(OfflinePack)
                    .where(OfflinePack.municipality_id == town.id)
                    .order_by(OfflinePack.version.desc())
                )
            ).all()
        if not packs:
            raise NotFoundError(f"no offline pack of {town.name} ({code}) has been built yet")
        newest = msgspec.structs.asdict(manifest(packs[0], code, town.name))
        return PackVersions(**newest, versions=[p.version for p in packs])


class PackFileController(Controller):
    path = "/packs"
    tags = ["packs"]  # noqa: RUF012
    guards = [anyone]  # noqa: RUF012  # public: no personal data

    @route(
        "/{code:str}/{name:str}",
        summary="A pack's archive (Range requests answered with 206) or its facility list",
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
    )
    async def pack_file(
        self, request: Request[Any, Any, Any], state: State, code: FromPath[str], name: FromPath[str]
    ) -> Response[Any]:
        code = _code(code)
        match = _FILE.fullmatch(name)
        if match is None:
            raise NotFoundError(
                f"no pack file {name!r}: expected VERSION.pmtiles, VERSION.facilities.json or VERSION.graph.json"
            )
        version, suffix = int(match[1]), match[2]
        async with session_factory(state.read_engine)() as session:
            pack = await session.scalar(
                select(OfflinePack)
                .join(Municipality, Municipality.id == OfflinePack.municipality_id)
                .where(Municipality.code == code, OfflinePack.version == version)
            )
        path = pack_path(state.settings.packs.folder, code, version, suffix)
        if pack is None or not path.is_file() or (suffix == ".graph.json" and pack.graph_sha256 is None):
            raise NotFoundError(f"version {version} of the pack of {code} is not (or no longer) kept")
        digest = {
            ".pmtiles": pack.sha256,
            ".facilities.json": pack.facilities_sha256,
            ".graph.json": pack.graph_sha256,
        }[suffix]
        headers = {"ETag": f'"{digest}"', "Cache-Control": IMMUTABLE, "Accept-Ranges": "bytes"}
        if request.headers.get("if-none-match") == headers["ETag"]:
            return Response(b"", status_code=304, headers=headers)
        return _ranged(request, path, _TYPES[suffix], headers)


def _ranged(request: Request[Any, Any, Any], path: Path, media_type: str, headers: dict[str, str]) -> Response[Any]:
    """The whole file, or the one byte range asked for (206); 416 when it lies past the end.
    Never content-encoded: tiles inside are already compressed."""
    size = path.stat().st_size
    wanted = request.headers.get("range")
    if wanted is None or request.headers.get("if-range", headers["ETag"]) != headers["ETag"]:
        return File(path, media_type=media_type, headers=headers, content_disposition_type="inline")
    match = _RANGE.fullmatch(wanted.strip())
    if match is None or match[1] == match[2] == "":
        return Response(b"", status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    first, last = _offset(match[1], size), _offset(match[2], size)
    if match[1] == "":  # the last N bytes
        start, end = max(0, size - last), size - 1
    else:
        start, end = first, min(last if match[2] else size - 1, size - 1)
    if start >= size or start > end:
        return Response(b"", status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    with path.open("rb") as file:
        file.seek(start)
        body = file.read(end - start + 1) if request.method == "GET" else b""
    headers = {**headers, "Content-Range": f"bytes {start}-{end}/{size}", "Content-Length": str(end - start + 1)}
    return Response(body, status_code=206, media_type=media_type, headers=headers)


def _offset(digits: str, size: int) -> int:
    """A byte position; one too long to be a position in this file counts as past its end."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= _OFFSET_DIGITS else size + 1
