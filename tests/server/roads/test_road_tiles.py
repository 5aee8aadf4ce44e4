"""Roads in /tiles: a `roads` layer by class and zoom, renewed when the roads are imported again."""

from __future__ import annotations

import gzip
from dataclasses import replace
from pathlib import Path

import mapbox_vector_tile
from litestar import Litestar
from litestar.testing import AsyncTestClient
from pmtiles.reader import MmapSource, Reader, all_tiles
from sqlalchemy.ext.asyncio import AsyncEngine

from geo.layers import LAYER_MIN_ZOOM, ROAD_MIN_ZOOM
from server.cli import FIXTURES
from server.demo import load_demo
from server.packs.worker import build_packs
from server.roads.service import import_roads
from server.settings import PackSettings, Settings
from tests.server.map.test_tiles import tile_of

Client = AsyncTestClient[Litestar]


async def classes(client: Client, z: int) -> set[str]:
    response = await client.get("/tiles/{}/{}/{}.mvt".format(*tile_of(40.80, 140.76, z)))
    layers = mapbox_vector_tile.decode(response.content) if response.status_code == 200 else {}
    return {f["properties"]["class"] for f in layers.get("roads", {"features": []})["features"]}


async def test_roads_are_drawn_by_class_from_their_zoom(client: Client, engine: AsyncEngine) -> None:
    await load_demo(engine, FIXTURES)
    assert await classes(client, 13) == set()
    await import_roads(engine, FIXTURES / "roads.osm", "029998")
    # The import renewed the tiles (data version), so the cached empty tile is not served (once the
    # app reads the version again: it does so at most once a second, skipped here).
    client.app.state.data_version._read_at = float("-inf")
    at_13 = await classes(client, 13)
    assert at_13 == {c for c, z in ROAD_MIN_ZOOM.items() if z <= 13} & {"secondary", "tertiary", "minor"}
    assert await classes(client, 11) == {"secondary"}
    assert await classes(client, LAYER_MIN_ZOOM["roads"] - 1) == set()
    response = await client.get("/tiles/{}/{}/{}.mvt".format(*tile_of(40.80, 140.76, 14)))
    feature = mapbox_vector_tile.decode(response.content)["roads"]["features"][0]["properties"]
    assert {"class", "bridge", "tunnel"} <= set(feature)


async def test_tilejson_lists_the_roads_layer(client: Client) -> None:
    layers = {layer["id"]: layer for layer in (await client.get("/tiles/tilejson.json")).json()["vector_layers"]}
    assert layers["roads"]["minzoom"] == LAYER_MIN_ZOOM["roads"]
    assert list(layers)[:2] == ["boundaries", "roads"]


async def test_offline_packs_carry_the_streets(engine: AsyncEngine, settings: Settings, tmp_path: Path) -> None:
    await load_demo(engine, FIXTURES)
    await import_roads(engine, FIXTURES / "roads.osm", "029998")
    pack_settings = replace(settings, packs=PackSettings(folder=tmp_path / "packs", keep=2, interval_s=1))
    ((_, pack),) = await build_packs(pack_settings, ["029998"])
    assert "roads" in pack.layers
    with (pack_settings.packs.folder / "029998" / f"{pack.version}.pmtiles").open("rb") as file:
        tiles = dict(all_tiles(Reader(MmapSource(file)).get_bytes))
    drawn = {
        z
        for (z, _, _), data in tiles.items()
        if "roads" in mapbox_vector_tile.decode(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
    }
    assert drawn == set(range(LAYER_MIN_ZOOM["roads"], 17))
