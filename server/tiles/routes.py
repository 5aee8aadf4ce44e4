"""GET /tiles/{z}/{x}/{y}.mvt and the TileJSON that describes them."""

from __future__ import annotations

import gzip

from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath
from sqlalchemy import func, select

from geo.layers import MAX_ZOOM, MIN_ZOOM, vector_layers
from server.accounts.guards import anyone
from server.lib.compression import LEVEL, accepted_encodings
from server.lib.errors import InvalidParameterError
from server.municipalities.models import Municipality
from server.tiles.cache import DataVersionClock, TileCache
from server.tiles.schemas import TileJson, VectorLayer
from server.tiles.service import render_tile

MVT = "application/vnd.mapbox-vector-tile"
# Short freshness, then revalidation by ETag: data can change during a disaster.
CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=300"


def _tile_numbers(z: int, x: int, y: str) -> tuple[int, int, int]:
    if not MIN_ZOOM <= z <= MAX_ZOOM:
        raise InvalidParameterError("z", f"zoom {z} is outside the tile range", f"{MIN_ZOOM}–{MAX_ZOOM}")
    stem, dot, extension = y.partition(".")
    # isdigit() alone admits "²" and other digits int() refuses.
    if dot != "." or extension != "mvt" or not (stem.isascii() and stem.isdigit()):
        raise InvalidParameterError("y", f"{y!r} is not a tile row", "a row number followed by .mvt, e.g. 1534.mvt")
    size = 2**z
    # Thousands of digits would only be converted to be refused (and Python refuses past 4300).
    row = int(stem) if len(stem.lstrip("0")) <= len(str(size)) else size
    for name, value in (("x", x), ("y", row)):
        if not 0 <= value < size:
            raise InvalidParameterError(name, f"{value} is outside zoom {z}", f"0–{size - 1}")
    return z, x, row


class TileController(Controller):
    path = "/tiles"
    tags = ["tiles"]  # noqa: RUF012
    guards = [anyone]  # noqa: RUF012  # public: no personal data

    @get("/{z:int}/{x:int}/{y:str}", summary="A vector tile: layers boundaries, roads, hazards, facilities")
    async def tile(
        self,
        request: Request[object, object, State],
        state: State,
        z: FromPath[int],
        x: FromPath[int],
        y: FromPath[str],
    ) -> Response[bytes]:
        z, x, row = _tile_numbers(z, x, y)
        clock: DataVersionClock = state.data_version
        cache: TileCache = state.tile_cache
        version = await clock.current()
        # Tiles shrink by about half in gzip; the compressed copy is cached beside the plain one, so
        # a cached tile costs no compression (and the ETag names the coding it was sent in).
        coding = "gzip" if "gzip" in accepted_encodings(request.headers.get("accept-encoding", "")) else ""
        etag = f'"{version}-{z}-{x}-{row}{"-" + coding if coding else ""}"'
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"}
        if request.headers.get("if-none-match") == etag:
            return Response(b"", status_code=304, headers=headers)
        blob = cache.get((version, z, x, row, coding))
        if blob is None:
            blob = cache.get((version, z, x, row, ""))
            if blob is None:
                blob = await render_tile(state.fast_pool, z, x, row)
                cache.put((version, z, x, row, ""), blob)
            if coding and blob:
                blob = gzip.compress(blob, LEVEL, mtime=0)
                cache.put((version, z, x, row, coding), blob)
        if not blob:
            return Response(b"", status_code=204, headers=headers)
        if coding:
            headers["Content-Encoding"] = coding
        return Response(blob, media_type=MVT, headers=headers)

    @get("/tilejson.json", summary="TileJSON 3.0 describing the vector tiles")
    async def tilejson(self, state: State) -> TileJson:
        box = func.ST_Extent(Municipality.bbox)
        async with state.read_engine.connect() as connection:
            extent = (
                await connection.execute(
                    select(func.ST_XMin(box), func.ST_YMin(box), func.ST_XMax(box), func.ST_YMax(box))
                )
            ).one()
        west, south, east, north = extent if extent[0] is not None else (-180.0, -85.0511, 180.0, 85.0511)
        bounds = (west, south, east, north)
        # The configured public URL, not the Host header: a client must not choose where others fetch tiles.
        base = state.settings.server.base_url
        return TileJson(
            tilejson="3.0.0",
            name="Bosai",
            attribution="Bosai; data: municipalities, 国土地理院, 国土数値情報",
            tiles=[f"{base}/tiles/{{z}}/{{x}}/{{y}}.mvt"],
            minzoom=MIN_ZOOM,
            maxzoom=MAX_ZOOM,
            bounds=bounds,
            center=((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 12),
            vector_layers=[VectorLayer(**layer) for layer in vector_layers()],
        )
