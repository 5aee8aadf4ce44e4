"""Web Mercator tile arithmetic: which z/x/y tiles cover an area."""

from __future__ import annotations

import math
from collections.abc import Iterator

from shapely import prepared
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The tile (x, y) containing a point at zoom z."""
    n = 2**z
    lat = max(min(lat, 85.05112878), -85.05112878)
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a tile, in degrees."""
    n = 2**z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360.0 - 180.0, lat(y + 1), (x + 1) / n * 360.0 - 180.0, lat(y)


def covering(area: BaseGeometry, min_zoom: int, max_zoom: int) -> Iterator[tuple[int, int, int]]:
    """Every tile from min_zoom to max_zoom that touches ``area`` (lon/lat)."""
    shape = prepared.prep(area)
    west, south, east, north = area.bounds
    for z in range(min_zoom, max_zoom + 1):
        x0, y0 = tile_of(west, north, z)
        x1, y1 = tile_of(east, south, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                if shape.intersects(box(*tile_bounds(z, x, y))):
                    yield z, x, y
