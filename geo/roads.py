"""Walkable roads from an OpenStreetMap extract (.osm.pbf or .osm XML), as a routable graph.

pyosmium streams the file (node locations in its own index, never the whole file as Python
objects); the ways a person may walk on are kept; each way is cut at the nodes it shares with
another kept way (junctions), so an edge runs from one junction or way end to the next; the
connected components are found with a union-find. Nothing here touches a database: the server's
roads feature writes the result into its pgRouting tables.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import osmium
import shapely
from shapely.geometry.base import BaseGeometry

#: highway values a person walks on, and the class each is drawn and listed as.
WALKABLE: Final = {
    "primary": "primary",
    "primary_link": "primary",
    "secondary": "secondary",
    "secondary_link": "secondary",
    "tertiary": "tertiary",
    "tertiary_link": "tertiary",
    "unclassified": "minor",
    "residential": "minor",
    "living_street": "minor",
    "road": "minor",
    "service": "service",
    "track": "service",
    "pedestrian": "path",
    "footway": "path",
    "path": "path",
    "bridleway": "path",
    "corridor": "path",
    "steps": "steps",
}
#: Road classes, from the most to the least important (tiles draw them from these zooms).
ROAD_CLASSES: Final = ("trunk", "primary", "secondary", "tertiary", "minor", "service", "path", "steps")
#: A trunk road is walked only along its sidewalk.
SIDEWALK: Final = frozenset({"both", "left", "right", "yes"})
FOOT_YES: Final = frozenset({"yes", "designated", "permissive"})
CLOSED: Final = frozenset({"no", "private"})
EARTH_RADIUS_M: Final = 6_371_008.8
SUPPORTED_SUFFIXES: Final = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz")


def road_class(tags: Mapping[str, str]) -> str | None:
    """The class of a way a person may walk on, or None where walking is not allowed or not
    possible: motorways never; trunk roads only with a sidewalk (or foot=yes); cycleways only with
    foot=yes; foot=no, and access=no/private unless foot allows it, close any way."""
    highway = tags.get("highway", "")
    foot = tags.get("foot", "")
    if foot in CLOSED or (tags.get("area") == "yes" and highway != "pedestrian"):
        return None
    if tags.get("access", "") in CLOSED and foot not in FOOT_YES:
        return None
    if highway in ("trunk", "trunk_link"):
        return "trunk" if tags.get("sidewalk", "") in SIDEWALK or foot in FOOT_YES else None
    if highway == "cycleway":
        return "path" if foot in FOOT_YES else None
    return WALKABLE.get(highway)


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (the spherical Earth of PostGIS's geography is within
    0.5 % of this at the lengths of a street)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


@dataclass
class Way:
    id: int
    road_class: str
    name: str | None
    bridge: bool
    tunnel: bool
    nodes: list[tuple[int, float, float]]  # (OSM node id, lon, lat)


@dataclass
class Edge:
    way_id: int
    source: int  # OSM node ids of its ends
    target: int
    road_class: str
    name: str | None
    steps: bool
    bridge: bool
    tunnel: bool
    coordinates: list[tuple[float, float]]
    length_m: float


@dataclass
class Graph:
    ways_read: int = 0
    edges: list[Edge] = field(default_factory=list)
    nodes: dict[int, tuple[float, float]] = field(default_factory=dict)  # OSM id -> (lon, lat)
    #: OSM node id -> component number (0 is the largest).
    component: dict[int, int] = field(default_factory=dict)

    @property
    def largest_share(self) -> float:
        """The share of edges in the largest connected component."""
        if not self.edges:
            return 0.0
        return sum(1 for e in self.edges if self.component[e.source] == 0) / len(self.edges)


def _flag(tags: Mapping[str, str], key: str) -> bool:
    return tags.get(key, "no") not in ("no", "")


def read_ways(path: Path) -> Iterable[Way]:
    """The walkable ways of an OSM file, each with its node locations (nodes missing from a clipped
    extract are dropped, cutting the way there)."""
    processor = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations()
    for obj in processor:
        if not isinstance(obj, osmium.osm.Way):
            continue
        tags = {t.k: t.v for t in obj.tags}
        kind = road_class(tags)
        if kind is None:
            continue
        nodes = [(n.ref, n.lon, n.lat) for n in obj.nodes if n.location.valid()]
        if len(nodes) < 2:
            continue
        name = tags.get("name") or tags.get("name:ja") or tags.get("ref") or None
        yield Way(obj.id, kind, name, _flag(tags, "bridge"), _flag(tags, "tunnel"), nodes)


def build_graph(ways: Iterable[Way], inside: Callable[[list[tuple[float, float]]], list[bool]] | None = None) -> Graph:
    """Cut the ways into edges at junctions, keep the edges with a point ``inside`` the area (a
    function answering for many points at once; all when None), and find the components."""
    kept = list(ways)
    graph = Graph(ways_read=len(kept))
    uses: dict[int, int] = {}
    for way in kept:
        for ref, _, _ in way.nodes:
            uses[ref] = uses.get(ref, 0) + 1
    for way in kept:
        start = 0
        for i in range(1, len(way.nodes)):
            ref = way.nodes[i][0]
            if i == len(way.nodes) - 1 or uses[ref] > 1:
                part = way.nodes[start : i + 1]
                start = i
                coordinates = [(lon, lat) for _, lon, lat in part]
                length = sum(haversine_m(*a, *b) for a, b in itertools.pairwise(coordinates))
                if part[0][0] == part[-1][0] and length == 0:
                    continue
                graph.edges.append(
                    Edge(
                        way.id,
                        part[0][0],
                        part[-1][0],
                        way.road_class,
                        way.name,
                        way.road_class == "steps",
                        way.bridge,
                        way.tunnel,
                        coordinates,
                        length,
                    )
                )
    if inside is not None and graph.edges:
        flags = inside([c for e in graph.edges for c in e.coordinates])
        kept_edges, k = [], 0
        for edge in graph.edges:
            n = len(edge.coordinates)
            if any(flags[k : k + n]):
                kept_edges.append(edge)
            k += n
        graph.edges = kept_edges
    for edge in graph.edges:
        graph.nodes[edge.source] = edge.coordinates[0]
        graph.nodes[edge.target] = edge.coordinates[-1]
    graph.component = _components(graph.edges)
    return graph


def _components(edges: list[Edge]) -> dict[int, int]:
    """Connected components numbered by size, largest first (ties: the smallest node id first)."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for edge in edges:
        a, b = find(edge.source), find(edge.target)
        if a != b:
            parent[max(a, b)] = min(a, b)
    roots: dict[int, list[int]] = {}
    for node in list(parent):
        roots.setdefault(find(node), []).append(node)
    order = sorted(roots.values(), key=lambda members: (-len(members), min(members)))
    return {node: number for number, members in enumerate(order) for node in members}


def area_test(area: BaseGeometry) -> Callable[[list[tuple[float, float]]], list[bool]]:
    """Whether points lie in ``area`` (lon/lat), vectorised."""
    shapely.prepare(area)

    def test(points: list[tuple[float, float]]) -> list[bool]:
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        return [bool(v) for v in shapely.intersects_xy(area, xs, ys)]

    return test


def read_graph(path: Path, area: BaseGeometry | None = None) -> Graph:
    """The walkable graph of an OSM file, clipped to ``area`` (lon/lat) when given."""
    return build_graph(read_ways(path), area_test(area) if area is not None else None)
