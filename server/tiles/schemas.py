"""What the tiles API gives: the TileJSON 3.0 document describing the vector tiles."""

from __future__ import annotations

import msgspec


class VectorLayer(msgspec.Struct):
    id: str
    fields: dict[str, str]  # attribute name → its type, as TileJSON describes them
    minzoom: int
    maxzoom: int


class TileJson(msgspec.Struct):
    """TileJSON 3.0.0 (https://github.com/mapbox/tilejson-spec): its own snake- and lower-case keys."""

    tilejson: str
    name: str
    attribution: str
    tiles: list[str]
    minzoom: int
    maxzoom: int
    bounds: tuple[float, float, float, float]  # west, south, east, north
    center: tuple[float, float, int]  # lon, lat, zoom
    vector_layers: list[VectorLayer]
