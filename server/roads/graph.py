"""A municipality's walkable graph in a compact form, for routing on the device when offline
(the PWA's features/routes/graph.ts reads it; an offline pack carries it beside its archive).

Only the largest connected component is written: the server routes on nothing else. The JSON is
made of integer arrays, because a city's graph must fit a phone's pack (≤ 20 MB with its tiles):

- ``nodes``: ``[lon, lat, dlon, dlat, …]`` in millionths of a degree (≈ 0.1 m), each pair but the
  first the difference to the previous node;
- ``edges``: five integers per edge: source node, target node, length in decimetres (the cost the
  server's Dijkstra uses), class (index into ``classes``) plus 16 when it is steps, and its name
  (index into ``names``, -1 for none);
- ``shapes``: per edge, its points between the two nodes, as differences from the previous point
  (from the source node on); an empty list for a straight edge;
- ``hazards``: per forecast hazard type, ``[edge, decimetres inside its zones, …]`` for every edge
  that enters a zone of that type (the edges a route avoiding the hazard leaves out).
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Final

import asyncpg
import shapely

from geo.roads import ROAD_CLASSES

FORMAT: Final = "bosai-walk-graph/1"
SCALE: Final = 1_000_000
STEPS_FLAG: Final = 16

_EDGES = """
SELECT id, source, target, length_m, road_class, name, steps, ST_AsBinary(geom) AS wkb
FROM road_edge WHERE municipality_id = $1 AND component = 0 ORDER BY id
"""
_NODES = """
SELECT id, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM road_node
WHERE municipality_id = $1 AND component = 0 ORDER BY id
"""
_HAZARDS = """
SELECT h.edge_id, h.hazard_type, h.inside_m FROM road_edge_hazard h JOIN road_edge e ON e.id = h.edge_id
WHERE e.municipality_id = $1 AND e.component = 0 ORDER BY h.hazard_type, h.edge_id
"""


def _fixed(value: float) -> int:
    return round(value * SCALE)


async def walk_graph(pool: asyncpg.Pool, municipality_id: uuid.UUID, code: str) -> dict[str, Any] | None:
    """The municipality's graph as the document described above; None when it has no roads."""
    edges = await pool.fetch(_EDGES, municipality_id)
    if not edges:
        return None
    node_rows = await pool.fetch(_NODES, municipality_id)
    index = {row["id"]: i for i, row in enumerate(node_rows)}
    nodes: list[int] = []
    last = (0, 0)
    for row in node_rows:
        point = (_fixed(row["lon"]), _fixed(row["lat"]))
        nodes += [point[0] - last[0], point[1] - last[1]]
        last = point
    names: dict[str, int] = {}
    edge_index: dict[int, int] = {}
    flat: list[int] = []
    shapes: list[list[int]] = []
    for i, row in enumerate(edges):
        edge_index[row["id"]] = i
        kind = ROAD_CLASSES.index(row["road_class"]) + (STEPS_FLAG if row["steps"] else 0)
        name = -1 if row["name"] is None else names.setdefault(row["name"], len(names))
        flat += [index[row["source"]], index[row["target"]], round(row["length_m"] * 10), kind, name]
        coordinates = shapely.get_coordinates(shapely.from_wkb(bytes(row["wkb"])))
        shape: list[int] = []
        previous = (_fixed(coordinates[0][0]), _fixed(coordinates[0][1]))
        for lon, lat in coordinates[1:-1]:
            point = (_fixed(lon), _fixed(lat))
            shape += [point[0] - previous[0], point[1] - previous[1]]
            previous = point
        shapes.append(shape)
    hazards: dict[str, list[int]] = {}
    for row in await pool.fetch(_HAZARDS, municipality_id):
        hazards.setdefault(row["hazard_type"], []).extend([edge_index[row["edge_id"]], round(row["inside_m"] * 10)])
    return {
        "format": FORMAT,
        "municipality": code,
        "scale": SCALE,
        "classes": list(ROAD_CLASSES),
        "names": list(names),
        "nodes": nodes,
        "edges": flat,
        "shapes": shapes,
        "hazards": hazards,
    }


def encode_graph(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def decode_edges(document: dict[str, Any]) -> list[tuple[int, int, float, int, int]]:
    """(source, target, metres, kind, name) per edge: for tests and the bench."""
    flat = document["edges"]
    return [(flat[i], flat[i + 1], flat[i + 2] / 10, flat[i + 3], flat[i + 4]) for i in range(0, len(flat), 5)]
