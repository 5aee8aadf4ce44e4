"""The vector tile layers — their names, fields and the first zoom at which each appears — defined
once for /tiles, its TileJSON, the offline packs and the app's map."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

#: The zooms /tiles serves.
MIN_ZOOM: Final = 0
MAX_ZOOM: Final = 16


@dataclass(frozen=True)
class Layer:
    id: str
    minzoom: int
    fields: dict[str, str]


#: The first zoom at which tiles draw each road class (geo.roads.ROAD_CLASSES): main roads from
#: the town's scale, footpaths and steps only where a street is a few pixels wide.
ROAD_MIN_ZOOM: Final = {
    "trunk": 11,
    "primary": 11,
    "secondary": 11,
    "tertiary": 12,
    "minor": 13,
    "service": 14,
    "path": 14,
    "steps": 14,
}

LAYERS: Final = (
    Layer("boundaries", 0, {"code": "String", "name": "String"}),
    Layer(
        "roads",
        min(ROAD_MIN_ZOOM.values()),
        {
            "class": "String (trunk, primary, secondary, tertiary, minor, service, path, steps)",
            "name": "String",
            "bridge": "Boolean",
            "tunnel": "Boolean",
        },
    ),
    Layer(
        "hazards",
        8,
        {
            "hazardType": "String",
            "rankCode": "String",
            "rankLabel": "String",
            "depthMinM": "Number",
            "depthMaxM": "Number",
        },
    ),
    Layer(
        "facilities",
        10,
        {
            "id": "String",
            "kind": "String (first designation)",
            "kinds": "String (comma-separated designations)",
            "name": "String",
            "names": "String (every name of the place's records, newline-separated: a search by any finds it)",
            "nameKana": "String",
            "nameEn": "String",
            "address": "String",
            "capacity": "Number (the operating capacity while the shelter is open)",
            "suitableHazards": "String (comma-separated hazard types)",
            "status": "String (open or closed: the shelter in the current event; absent if not operated, "
            "and in offline packs. How full it is: GET /api/shelters/open)",
        },
    ),
)
#: The first zoom at which each layer appears.
LAYER_MIN_ZOOM: Final = {layer.id: layer.minzoom for layer in LAYERS}


def vector_layers(min_zoom: int = MIN_ZOOM, max_zoom: int = MAX_ZOOM) -> list[dict[str, Any]]:
    """The layers as TileJSON's ``vector_layers`` for tiles from ``min_zoom`` to ``max_zoom``."""
    return [
        {"id": layer.id, "fields": layer.fields, "minzoom": max(layer.minzoom, min_zoom), "maxzoom": max_zoom}
        for layer in LAYERS
    ]
