"""POST /api/imports: the same import as `bosai import`, for municipality data staff."""

from __future__ import annotations

import dataclasses
from typing import Any

from litestar import Controller, Request, Response, post
from litestar.datastructures import State, UploadFile

from geo.importers.areas import AREA_FORMATS
from geo.importers.base import Options
from geo.importers.facilities import FORMATS
from geo.kinds import HAZARD_TYPES
from server.accounts.auth import signed_in
from server.imports.schemas import ImportedFile, ImportResult
from server.imports.service import import_file
from server.imports.sources import uploaded
from server.lib.errors import InvalidParameterError

# A prefecture's N03 or hazard Shapefile, zipped, is tens of megabytes.
MAX_UPLOAD_BYTES = 256 * 1024 * 1024


class ImportController(Controller):
    path = "/api/imports"
    tags = ["imports"]  # noqa: RUF012

    @post(
        "/",
        summary="Import open-data files (multipart: one or more `file` parts; optional format, municipality, "
        "hazard, rankAttribute). 200 when every file imported, 422 when any failed; the summary either way.",
        request_max_body_size=MAX_UPLOAD_BYTES,
    )
    async def create_import(self, request: Request[Any, Any, Any], state: State) -> Response[ImportResult]:
        await signed_in(request, state, "data_admin")
        form = await request.form()
        parts = list(form.multi_items())
        files = [(part.filename, await part.read()) for _, part in parts if isinstance(part, UploadFile)]
        if not files:
            raise InvalidParameterError("file", "send at least one file as a multipart part named file")
        options = _options({key: value.strip() for key, value in parts if isinstance(value, str) and value.strip()})
        summaries = [await import_file(state.engine, source, options) for source in uploaded(files)]
        result = ImportResult(
            ok=all(s.ok for s in summaries), files=[ImportedFile(**dataclasses.asdict(s)) for s in summaries]
        )
        return Response(result, status_code=200 if result.ok else 422)


def _options(fields: dict[str, str]) -> Options:
    known = sorted([*FORMATS, *AREA_FORMATS])
    if fields.get("format") and fields["format"] not in known:
        raise InvalidParameterError("format", "unknown format", known)
    if fields.get("hazard") and fields["hazard"] not in HAZARD_TYPES:
        raise InvalidParameterError("hazard", "unknown hazard type", list(HAZARD_TYPES))
    if fields.get("rankAttribute") and not fields.get("hazard"):
        raise InvalidParameterError("rankAttribute", "needs hazard too")
    return Options(fields.get("format"), fields.get("municipality"), fields.get("hazard"), fields.get("rankAttribute"))
