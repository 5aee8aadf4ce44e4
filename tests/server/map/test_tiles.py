"""Vector tiles: layers and attributes, simplification, caching headers, bad tile numbers."""

from __future__ import annotations

import math
from typing import Any

import mapbox_vector_tile
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.server.map.conftest import add_zone, ring_wkt

Client = AsyncTestClient[Litestar]


def tile_of(lat: float, lon: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


async def test_a_city_tile_has_every_layer_with_the_attributes_the_app_needs(demo: Client) -> None:
    z, x, y = tile_of(40.80, 140.76, 13)
    response = await demo.get(f"/tiles/{z}/{x}/{y}.mvt", headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert "content-encoding" not in response.headers
    layers = mapbox_vector_tile.decode(response.content)
    assert set(layers) == {"boundaries", "hazards", "facilities"}
    facility = layers["facilities"]["features"][0]["properties"]
    assert {"id", "kind", "kinds", "name", "nameKana", "nameEn", "address", "suitableHazards"} <= set(facility)
    hazard = layers["hazards"]["features"][0]["properties"]
    assert {"hazardType", "rankCode", "rankLabel"} <= set(hazard)
    assert layers["boundaries"]["features"][0]["properties"] == {"code": "029998", "name": "見本市"}


async def test_a_browser_gets_the_tile_gzipped_with_an_etag_of_its_own(demo: Client) -> None:
    url = "/tiles/{}/{}/{}.mvt".format(*tile_of(40.80, 140.76, 13))
    plain = await demo.get(url, headers={"Accept-Encoding": "identity"})
    for _ in range(2):  # rendered and compressed, then from the cache
        packed = await demo.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert packed.headers["content-encoding"] == "gzip" and packed.headers["vary"] == "Accept-Encoding"
        assert packed.content == plain.content  # decoded by the client
        assert packed.num_bytes_downloaded < len(plain.content)
        assert packed.headers["etag"] != plain.headers["etag"]
    again = await demo.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["etag"]})
    assert again.status_code == 304


async def test_low_zooms_leave_out_detail_layers(demo: Client) -> None:
    z, x, y = tile_of(40.80, 140.76, 6)
    layers = mapbox_vector_tile.decode((await demo.get(f"/tiles/{z}/{x}/{y}.mvt")).content)
    assert set(layers) == {"boundaries"}


async def test_geometry_is_simplified_to_what_the_zoom_can_show(demo: Client, engine: AsyncEngine) -> None:
    await add_zone(engine, "volcano", ring_wkt(2000))

    def ring_vertices(z: int) -> int:
        layers = mapbox_vector_tile.decode(tiles[z])
        (zone,) = [f for f in layers["hazards"]["features"] if f["properties"]["hazardType"] == "volcano"]
        return sum(len(ring) for polygon in _polygons(zone["geometry"]) for ring in polygon)

    tiles = {z: (await demo.get("/tiles/{}/{}/{}.mvt".format(*tile_of(40.80, 140.76, z)))).content for z in (8, 11)}
    assert ring_vertices(8) < 200 < 2000  # the whole ring fits in this tile, in far fewer points
    assert ring_vertices(8) < ring_vertices(11)


def _polygons(geometry: dict[str, Any]) -> list[Any]:
    coordinates = geometry["coordinates"]
    return list(coordinates) if geometry["type"] == "MultiPolygon" else [coordinates]


async def test_empty_tiles_are_204_and_tiles_carry_etag_and_cache_control(demo: Client) -> None:
    empty = await demo.get("/tiles/12/0/0.mvt")
    assert empty.status_code == 204 and empty.content == b""
    url = "/tiles/{}/{}/{}.mvt".format(*tile_of(40.80, 140.76, 12))
    first = await demo.get(url)
    etag = first.headers["etag"]
    assert "max-age" in first.headers["cache-control"]
    again = await demo.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


async def test_a_data_change_renews_the_tile(demo: Client, engine: AsyncEngine) -> None:
    url = "/tiles/{}/{}/{}.mvt".format(*tile_of(40.80, 140.76, 13))
    before = await demo.get(url)
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE facility SET name = 'renamed' WHERE true"))
    demo.app.state.data_version._read_at = float("-inf")  # skip the one-second clock in the test
    after = await demo.get(url, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    names = {f["properties"]["name"] for f in mapbox_vector_tile.decode(after.content)["facilities"]["features"]}
    assert names == {"renamed"}


@pytest.mark.parametrize(
    ("path", "name"),
    [("/tiles/17/0/0.mvt", "z"), ("/tiles/3/8/0.mvt", "x"), ("/tiles/3/0/8.mvt", "y"), ("/tiles/3/0/1.png", "y")],
)
async def test_tiles_outside_the_range_are_400(demo: Client, path: str, name: str) -> None:
    response = await demo.get(path)
    assert response.status_code == 400
    assert response.json()["invalidParams"][0]["name"] == name


async def test_tilejson_describes_the_tiles(demo: Client) -> None:
    doc = (await demo.get("/tiles/tilejson.json")).json()
    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"][0].endswith("/tiles/{z}/{x}/{y}.mvt")
    assert {layer["id"] for layer in doc["vector_layers"]} == {"boundaries", "hazards", "facilities", "roads"}
    west, south, east, north = doc["bounds"]
    assert west < 140.76 < east and south < 40.80 < north
