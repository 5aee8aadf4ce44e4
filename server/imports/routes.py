"""POST /api/imports: the same import as `bosai import`, for municipality data staff.

The upload is bounded by its Content-Length before it is read; its parts are spooled to disk by
the multipart parser, unpacked and parsed in worker threads, and imported one file at a time, so
that neither memory nor the event loop is held by a large or hostile file."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from pathlib import Path
from typing import Any

import anyio.to_thread
from litestar import Controller, Request, Response, post
from litestar.datastructures import State, UploadFile
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema

from geo.importers.areas import AREA_FORMATS
from geo.importers.base import Options, parse_columns
from geo.importers.facilities import FORMATS, LIST_FORMAT
from geo.kinds import FACILITY_KINDS, ZONE_TYPES
from server.accounts.guards import signed_in_as
from server.imports.schemas import ImportedFile, ImportResult
from server.imports.service import import_staged
from server.imports.sources import stage_uploads, upload_too_large
from server.lib.errors import BosaiError, InvalidParameterError
from server.settings import ImportSettings


class LengthRequiredError(BosaiError):
    status_code = 411
    title = "Length required"


def _text(description: str, values: list[str] | None = None) -> Schema:
    return Schema(type=OpenAPIType.STRING, description=description, enum=values)


FORMAT_NAMES = sorted([*FORMATS, LIST_FORMAT, *AREA_FORMATS])
KINDS = list(FACILITY_KINDS)

# The form as `_options` reads it. Declared by hand: a `data` parameter would have Litestar read
# the whole upload before the route has checked its length.
UPLOAD_FORM = Schema(
    type=OpenAPIType.OBJECT,
    required=["file"],
    properties={
        "file": Schema(
            type=OpenAPIType.ARRAY,
            items=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY),
            description="One part per file: CSV, GeoJSON, a Shapefile and its sidecars, or a zip of them",
        ),
        "format": _text("The files' format, when it cannot be told from them", FORMAT_NAMES),
        "municipality": _text("The municipality's code, for files that do not name it (and for format boundary)"),
        "kind": _text("The kind of place of a municipality's own facility list (format facility_list)", KINDS),
        "columns": _text("With kind: which column holds what, e.g. name=施設名,lat=Y,lon=X"),
        "hazard": _text("The hazard type of hazard-area files (flood_history: past inundation)", list(ZONE_TYPES)),
        "rankAttribute": _text("The attribute holding each area's rank (with hazard)"),
        "dateAttribute": _text("The attribute holding each area's date (with hazard flood_history)"),
    },
)


@dataclasses.dataclass
class UploadOperation(Operation):
    """The import's operation, with its multipart form."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            content={"multipart/form-data": OpenAPIMediaType(schema=UPLOAD_FORM)}, required=True
        )


class ImportController(Controller):
    path = "/api/imports"
    tags = ["imports"]  # noqa: RUF012

    @post(
        "/",
        summary="Import open-data files (multipart: one or more `file` parts; optional format, municipality, "
        "hazard, rankAttribute). 200 when every file imported, 422 when any failed; the summary either way. "
        "413 when the upload or a zip archive passes a bound (BOSAI_IMPORT_MAX_*), named in the answer.",
        # Bounded below by the setting, from the Content-Length, before anything is read.
        request_max_body_size=None,
        guards=[signed_in_as("data_admin")],
        operation_class=UploadOperation,
        status_code=200,  # as the answer says (422 when a file failed)
    )
    async def create_import(self, request: Request[Any, Any, Any], state: State) -> Response[ImportResult]:
        limits: ImportSettings = state.settings.imports
        length = request.content_length
        if length is None:
            raise LengthRequiredError("send the upload with a Content-Length header")
        if length > limits.max_upload_bytes:
            raise upload_too_large(limits)
        form = await request.form()
        parts = list(form.multi_items())
        uploads = [(part.filename, part) for _, part in parts if isinstance(part, UploadFile)]
        folder = Path(tempfile.mkdtemp(prefix="bosai-import-"))
        try:
            if not uploads:
                raise InvalidParameterError("file", "send at least one file as a multipart part named file")
            options = _options({key: value.strip() for key, value in parts if isinstance(value, str) and value.strip()})
            files = [(name, upload.file) for name, upload in uploads]
            staged = await anyio.to_thread.run_sync(stage_uploads, files, folder, limits)
            summaries = [
                await import_staged(state.engine, source, options, max_rows=limits.max_rows) for source in staged
            ]
        finally:
            for _, upload in uploads:
                await upload.close()
            await anyio.to_thread.run_sync(shutil.rmtree, folder, True)
        result = ImportResult(
            ok=all(s.ok for s in summaries), files=[ImportedFile(**dataclasses.asdict(s)) for s in summaries]
        )
        return Response(result, status_code=200 if result.ok else 422)


def _options(fields: dict[str, str]) -> Options:
    if fields.get("format") and fields["format"] not in FORMAT_NAMES:
        raise InvalidParameterError("format", "unknown format", FORMAT_NAMES)
    if fields.get("kind") and fields["kind"] not in KINDS:
        raise InvalidParameterError("kind", "unknown kind of place", KINDS)
    if fields.get("columns") and not fields.get("kind"):
        raise InvalidParameterError("columns", "needs kind too")
    if fields.get("hazard") and fields["hazard"] not in ZONE_TYPES:
        raise InvalidParameterError("hazard", "unknown hazard type", list(ZONE_TYPES))
    if fields.get("rankAttribute") and not fields.get("hazard"):
        raise InvalidParameterError("rankAttribute", "needs hazard too")
    if fields.get("dateAttribute") and fields.get("hazard") != "flood_history":
        raise InvalidParameterError("dateAttribute", "needs hazard flood_history")
    try:
        columns = parse_columns(fields.get("columns"))
    except ValueError as exc:
        raise InvalidParameterError("columns", str(exc)) from None
    return Options(
        fields.get("format"),
        fields.get("municipality"),
        fields.get("hazard"),
        fields.get("rankAttribute"),
        fields.get("kind"),
        columns,
        fields.get("dateAttribute"),
    )
