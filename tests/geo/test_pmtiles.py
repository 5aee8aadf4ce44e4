"""The PMTiles writer and basemap reader (geo/pmtiles.py), on files alone: no server, no database."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from pmtiles.reader import MmapSource, Reader, all_tiles
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from shapely.geometry import box

from geo.layers import vector_layers
from geo.pmtiles import Basemap, TileArchive, tile_order
from geo.tiling import covering

AREA = box(140.70, 40.77, 140.83, 40.84)


def read(path: Path) -> tuple[dict[str, object], dict[str, object], dict[tuple[int, int, int], bytes]]:
    with path.open("rb") as file:
        reader = Reader(MmapSource(file))
        return reader.header(), reader.metadata(), dict(all_tiles(reader.get_bytes))


def test_tiles_are_written_gzipped_in_tile_id_order_with_their_header_and_layers(tmp_path: Path) -> None:
    tiles = tile_order(list(covering(AREA, 8, 12)))
    assert [zxy_to_tileid(*t) for t in tiles] == sorted(zxy_to_tileid(*t) for t in tiles)
    path = tmp_path / "1.pmtiles"
    with TileArchive(path) as archive:
        for n, (z, x, y) in enumerate(tiles):
            archive.add(z, x, y, f"tile {z}/{x}/{y}".encode() if n % 2 == 0 else b"")
        written = archive.finish(AREA, 8, 12, {"name": "見本市 (029998)"})
    header, metadata, stored = read(path)
    assert written == (len(tiles) + 1) // 2 == len(stored)
    assert header["tile_type"] == TileType.MVT and header["tile_compression"] == Compression.GZIP
    assert (header["min_zoom"], header["max_zoom"]) == (8, 12)
    assert (header["min_lon_e7"], header["max_lat_e7"]) == (1407000000, 408400000)
    assert header["center_zoom"] == 12
    assert metadata["name"] == "見本市 (029998)" and metadata["vector_layers"] == vector_layers(8, 12)
    assert all(gzip.decompress(data) == f"tile {z}/{x}/{y}".encode() for (z, x, y), data in stored.items())
    assert not path.with_suffix(".part").exists()


def test_an_archive_without_any_tile_holds_one_empty_tile(tmp_path: Path) -> None:
    path = tmp_path / "empty.pmtiles"
    with TileArchive(path) as archive:
        archive.add(8, 227, 96, b"")
        assert archive.finish(AREA, 8, 16, {}) == 0
    _, _, stored = read(path)
    assert {key: gzip.decompress(data) for key, data in stored.items()} == {(8, 227, 96): b""}


def test_an_unfinished_archive_leaves_nothing_behind(tmp_path: Path) -> None:
    path = tmp_path / "2.pmtiles"
    with pytest.raises(RuntimeError), TileArchive(path) as archive:
        archive.add(8, 227, 96, b"tile")
        raise RuntimeError("rendering failed")
    assert list(tmp_path.iterdir()) == []


def test_a_basemap_gives_its_tiles_uncompressed_and_nothing_past_its_zoom(tmp_path: Path) -> None:
    path = tmp_path / "basemap.pmtiles"
    with TileArchive(path) as archive:
        archive.add(10, 909, 385, b"water")
        archive.finish(AREA, 10, 10, {})
    basemap = Basemap(path)
    try:
        assert basemap.tile(10, 909, 385) == b"water"
        assert basemap.tile(10, 909, 386) == b""  # none there
        assert basemap.tile(11, 1818, 770) == b""  # past the basemap's zoom
    finally:
        basemap.close()
