"""Offline packs: built from PostGIS, tile for tile the same as /tiles; served with Range, ETag
and immutable caching; rebuilt when the data changes; old versions pruned."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import mapbox_vector_tile
import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from pmtiles.reader import MmapSource, Reader, all_tiles
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from fixtures.make_imports import CODE6
from geo.importers.base import Source
from server.app import create_app
from server.cli import FIXTURES, main
from server.demo import load_demo
from server.imports.service import import_file
from server.packs.worker import build_packs, watch
from server.settings import PackSettings, Settings

CITY = "029998"
AED = Path(__file__).resolve().parents[3] / "fixtures" / "import" / "facilities" / "standard_08_aed_v1.csv"
AED_DATA = AED.read_bytes()
Client = AsyncTestClient[Litestar]


@pytest.fixture
def pack_settings(settings: Settings, tmp_path: Path) -> Settings:
    return replace(settings, packs=PackSettings(folder=tmp_path / "packs", keep=2, interval_s=1))


@pytest.fixture
async def built(engine: AsyncEngine, pack_settings: Settings) -> AsyncIterator[Client]:
    await load_demo(engine, FIXTURES)
    await build_packs(pack_settings, [CITY])
    async with AsyncTestClient(app=create_app(pack_settings)) as client:
        yield client


async def test_the_manifest_says_what_the_archive_is(built: Client) -> None:
    manifest = (await built.get(f"/api/packs/{CITY}")).json()
    assert manifest["municipality"] == CITY and manifest["name"] == "見本市" and manifest["version"] == 1
    assert manifest["versions"] == [1]
    assert (manifest["minZoom"], manifest["maxZoom"]) == (8, 16)
    assert manifest["layers"] == ["boundaries", "roads", "hazards", "facilities"]
    assert manifest["url"] == f"/packs/{CITY}/1.pmtiles" and manifest["dataAsOf"] and manifest["builtAt"]
    archive = await built.get(manifest["url"])
    assert archive.status_code == 200 and archive.headers["content-type"] == "application/octet-stream"
    assert len(archive.content) == manifest["bytes"]
    assert hashlib.sha256(archive.content).hexdigest() == manifest["sha256"]
    assert "content-encoding" not in archive.headers
    assert archive.headers["cache-control"] == "public, max-age=31536000, immutable"
    listed = (await built.get("/api/packs")).json()["packs"]
    assert [p["municipality"] for p in listed] == [CITY]
    towns = (await built.get("/api/municipalities")).json()["municipalities"]
    assert next(m for m in towns if m["code"] == CITY)["pack"]["version"] == 1


async def test_every_tile_is_the_tile_the_server_serves(built: Client, pack_settings: Settings) -> None:
    path = pack_settings.packs.folder / CITY / "1.pmtiles"
    with path.open("rb") as file:
        reader = Reader(MmapSource(file))
        header = reader.header()
        assert header["tile_type"] == TileType.MVT and header["tile_compression"] == Compression.GZIP
        tiles = list(all_tiles(reader.get_bytes))
    assert len(tiles) > 100
    zooms = {z for (z, _, _), _ in tiles}
    assert zooms == set(range(8, 17))
    for (z, x, y), data in tiles:
        served = await built.get(f"/tiles/{z}/{x}/{y}.mvt")
        # The same features; the served tile also names the live shelter status (none open here),
        # which a pack leaves out: it would go stale on the device.
        stored, live = mapbox_vector_tile.decode(gzip.decompress(data)), mapbox_vector_tile.decode(served.content)
        assert stored == live, (z, x, y)
    facilities = [
        layer
        for (z, _, _), data in tiles
        if z == 16
        for name, layer in mapbox_vector_tile.decode(gzip.decompress(data)).items()
        if name == "facilities"
    ]
    assert sum(len(layer["features"]) for layer in facilities) >= 84


async def test_the_facility_list_holds_every_live_facility(built: Client) -> None:
    manifest = (await built.get(f"/api/packs/{CITY}")).json()
    listed = await built.get(manifest["facilities"]["url"])
    assert hashlib.sha256(listed.content).hexdigest() == manifest["facilities"]["sha256"]
    features = listed.json()["features"]
    api = (await built.get(f"/api/facilities?municipality={CITY}&limit=1000")).json()["features"]
    assert sorted(f["id"] for f in features) == sorted(f["id"] for f in api) and len(features) == 84
    first = next(f for f in api if f["id"] == features[0]["id"])
    for key in ("name", "nameKana", "kinds", "suitableHazards", "capacity", "address"):
        assert features[0]["properties"][key] == first["properties"][key]


@pytest.mark.parametrize(
    ("asked", "status", "content_range", "length"),
    [
        ("bytes=0-16383", 206, "bytes 0-16383/{size}", 16384),
        ("bytes=100-", 206, "bytes 100-{last}/{size}", None),
        ("bytes=-10", 206, "bytes {tail}-{last}/{size}", 10),
        ("bytes={size}-", 416, "bytes */{size}", 0),
        ("lines=1-2", 416, "bytes */{size}", 0),
    ],
)
async def test_range_requests(built: Client, asked: str, status: int, content_range: str, length: int | None) -> None:
    url = f"/packs/{CITY}/1.pmtiles"
    whole = (await built.get(url)).content
    size = len(whole)
    fill = {"size": size, "last": size - 1, "tail": size - 10}
    response = await built.get(url, headers={"Range": asked.format(**fill)})
    assert response.status_code == status
    assert response.headers["content-range"] == content_range.format(**fill)
    if status == 206:
        start = int(response.headers["content-range"].split()[1].split("-")[0])
        assert response.content == whole[start : start + len(response.content)]
        assert len(response.content) == (length if length is not None else size - start)


async def test_etag_head_and_unknown_files(built: Client) -> None:
    url = f"/packs/{CITY}/1.pmtiles"
    first = await built.get(url)
    again = await built.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    head = await built.head(url)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(first.content))
    stale_range = await built.get(url, headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert stale_range.status_code == 200  # the validator does not match: the whole new file
    for missing in (f"/packs/{CITY}/2.pmtiles", f"/packs/{CITY}/1.zip", "/packs/011002/1.pmtiles"):
        response = await built.get(missing)
        assert response.status_code == 404, missing
        assert response.headers["content-type"] == "application/problem+json"


async def test_unknown_municipality_or_no_pack_is_404(built: Client, engine: AsyncEngine) -> None:
    for code, words in (("011002", "no municipality"), ("abc", "no municipality"), ("99999", "no municipality")):
        response = await built.get(f"/api/packs/{code}")
        assert response.status_code == 404 and words in response.json()["detail"], code
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO municipality (id, code, name, prefecture) "
                "VALUES (gen_random_uuid(), '011002', '札幌市', '北海道')"
            )
        )
    response = await built.get("/api/packs/011002")
    assert response.status_code == 404 and "has been built yet" in response.json()["detail"]


async def test_packs_follow_the_data_and_old_versions_are_pruned(
    built: Client, engine: AsyncEngine, pack_settings: Settings
) -> None:
    await watch(pack_settings, rounds=1)  # nothing changed: nothing built
    assert (await built.get(f"/api/packs/{CITY}")).json()["versions"] == [1]
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE facility SET name = name || '（改）' WHERE id = (SELECT min(id::text)::uuid FROM facility)")
        )
    await watch(pack_settings, rounds=1)
    assert (await built.get(f"/api/packs/{CITY}")).json()["versions"] == [2, 1]
    async with engine.begin() as connection:
        await connection.execute(
            text("DELETE FROM hazard_zone WHERE id = (SELECT min(id::text)::uuid FROM hazard_zone)")
        )
    await watch(pack_settings, rounds=1)
    manifest = (await built.get(f"/api/packs/{CITY}")).json()
    assert manifest["versions"] == [3, 2]  # keep = 2
    assert (await built.get(f"/packs/{CITY}/1.pmtiles")).status_code == 404
    assert not (pack_settings.packs.folder / CITY / "1.pmtiles").exists()
    assert (await built.get(f"/packs/{CITY}/2.pmtiles")).status_code == 200  # a client mid-download is not broken


async def test_a_municipality_without_boundary_gets_a_pack_over_its_data(
    engine: AsyncEngine, pack_settings: Settings
) -> None:
    assert (await import_file(engine, Source(AED.name, AED_DATA))).ok
    ((code, pack),) = await build_packs(pack_settings, [CODE6])
    west, south, east, north = pack.bbox
    assert code == CODE6 and pack.facilities_count == 12 and pack.tile_count > 0
    assert 140.8 < west < east < 141.0 and 40.7 < south < north < 40.9


async def test_a_basemap_is_clipped_into_the_pack(engine: AsyncEngine, pack_settings: Settings, tmp_path: Path) -> None:
    await load_demo(engine, FIXTURES)
    basemap = tmp_path / "basemap.pmtiles"
    water = mapbox_vector_tile.encode(
        [
            {
                "name": "water",
                "features": [{"geometry": "POLYGON ((0 0, 4096 0, 4096 4096, 0 4096, 0 0))", "properties": {}}],
            }
        ]
    )
    # Every tile of zoom 10 over northern Japan, and one far away (Tokyo) that must stay out.
    wanted = [(10, x, y) for x in range(905, 915) for y in range(380, 390)] + [(10, 909, 403)]
    with basemap.open("wb") as out:
        writer = Writer(out)
        for z, x, y in sorted(wanted, key=lambda t: zxy_to_tileid(*t)):
            writer.write_tile(zxy_to_tileid(z, x, y), gzip.compress(water))
        writer.finalize(
            {
                "tile_type": TileType.MVT,
                "tile_compression": Compression.GZIP,
                "min_lon_e7": 0,
                "min_lat_e7": 0,
                "max_lon_e7": 0,
                "max_lat_e7": 0,
                "center_zoom": 10,
                "center_lon_e7": 0,
                "center_lat_e7": 0,
            },
            {},
        )
    settings = replace(pack_settings, packs=replace(pack_settings.packs, basemap=basemap))
    ((_, pack),) = await build_packs(settings, [CITY])
    assert pack.layers == ["boundaries", "roads", "hazards", "facilities", "basemap"]
    with (settings.packs.folder / CITY / f"{pack.version}.pmtiles").open("rb") as file:
        tiles = dict(all_tiles(Reader(MmapSource(file)).get_bytes))
    with_water = [key for key, data in tiles.items() if "water" in mapbox_vector_tile.decode(gzip.decompress(data))]
    assert with_water and all(z == 10 for z, _, _ in with_water)
    assert (10, 909, 403) not in tiles  # outside the municipality: not in its pack


def test_cli_builds_with_a_summary_and_names_unknown_codes(database_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": database_url, "BOSAI_PACKS_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["packs", "build", "--municipality", "011002"], env=env)
    assert result.exit_code == 1 and "no municipality with code 011002" in result.output
    bad = CliRunner().invoke(main, ["packs", "build", "--municipality", "12"], env=env)
    assert bad.exit_code == 2 and "--municipality" in bad.output
