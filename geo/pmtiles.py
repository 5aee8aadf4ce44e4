"""PMTiles archives of vector tiles: writing one (the offline packs) and reading a basemap's tiles
to clip into it. Pure file work: the tiles come rendered from elsewhere."""

from __future__ import annotations

import gzip
from pathlib import Path
from types import TracebackType
from typing import Any

from pmtiles.reader import MmapSource
from pmtiles.reader import Reader as PMTilesReader
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer
from shapely.geometry.base import BaseGeometry

from geo.layers import vector_layers

#: The zoom a client opens the archive at.
CENTER_ZOOM = 12


def tile_order(tiles: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Tiles in the order an archive is written: by PMTiles tile id."""
    return sorted(tiles, key=lambda t: zxy_to_tileid(*t))


class TileArchive:
    """A PMTiles archive of gzip'd MVT tiles being written to ``path``: tiles are added in tile-id
    order (:func:`tile_order`), and the archive appears at ``path`` only once finished (it is
    written beside it as ``.part``), so a reader never sees half an archive."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.written = 0
        self._temporary = path.with_suffix(".part")
        self._file = self._temporary.open("wb")
        self._writer = Writer(self._file)
        self._first: tuple[int, int, int] | None = None

    def add(self, z: int, x: int, y: int, tile: bytes) -> None:
        """An uncompressed MVT tile; an empty one is left out (a client reads a missing tile as empty)."""
        if self._first is None:
            self._first = (z, x, y)
        if tile:
            self._writer.write_tile(zxy_to_tileid(z, x, y), gzip.compress(tile, compresslevel=6, mtime=0))
            self.written += 1

    def finish(self, area: BaseGeometry, min_zoom: int, max_zoom: int, metadata: dict[str, Any]) -> int:
        """Write the header (bounds and centre of ``area``) and ``metadata`` with the layers'
        ``vector_layers``, move the archive into place; return the number of tiles written."""
        if self.written == 0:  # an archive needs one tile: an empty one, the first asked for
            z, x, y = self._first or (min_zoom, 0, 0)
            self._writer.write_tile(zxy_to_tileid(z, x, y), gzip.compress(b"", mtime=0))
        west, south, east, north = area.bounds
        centre = area.representative_point()
        header = {
            "tile_type": TileType.MVT,
            "tile_compression": Compression.GZIP,
            "min_lon_e7": round(west * 1e7),
            "min_lat_e7": round(south * 1e7),
            "max_lon_e7": round(east * 1e7),
            "max_lat_e7": round(north * 1e7),
            "center_zoom": CENTER_ZOOM,
            "center_lon_e7": round(centre.x * 1e7),
            "center_lat_e7": round(centre.y * 1e7),
        }
        self._writer.finalize(header, {**metadata, "vector_layers": vector_layers(min_zoom, max_zoom)})
        self._file.close()
        self._temporary.replace(self.path)
        return self.written

    def abandon(self) -> None:
        """Drop an unfinished archive (nothing appears at ``path``)."""
        self._writer.tile_f.close()  # the tiles so far, kept by the writer in a temporary file
        self._file.close()
        self._temporary.unlink(missing_ok=True)

    def __enter__(self) -> TileArchive:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if not self._file.closed:
            self.abandon()


class Basemap:
    """A basemap PMTiles archive: its tile at z/x/y, uncompressed (MVT layers concatenate, so a
    basemap tile is clipped into a pack by appending it to the pack's own)."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("rb")
        self._reader = PMTilesReader(MmapSource(self._file))
        header = self._reader.header()
        self._gzip = header["tile_compression"] == Compression.GZIP
        self._max_zoom = header["max_zoom"]

    def close(self) -> None:
        self._file.close()

    def tile(self, z: int, x: int, y: int) -> bytes:
        if z > self._max_zoom:
            return b""
        data = self._reader.get(z, x, y)
        if not data:
            return b""
        return gzip.decompress(data) if self._gzip else bytes(data)
