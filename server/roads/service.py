"""Roads: import an OpenStreetMap extract into the graph (replacing a municipality's roads)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from geo.layers import ROAD_MIN_ZOOM
from geo.roads import SUPPORTED_SUFFIXES, Graph, read_graph
from server.lib.errors import InvalidParameterError, NotFoundError
from server.municipalities.models import Municipality

# The walkable graph an offline pack carries (graph.py), for the packs feature: re-exported here,
# features reach each other through their service.
from server.roads.graph import encode_graph as encode_graph
from server.roads.graph import walk_graph as walk_graph
from server.roads.models import RoadEdge, RoadNode

Bbox = tuple[float, float, float, float]


@dataclass(frozen=True)
class RoadImport:
    """What ``bosai import`` says about an OSM extract."""

    file: str
    municipality: str | None
    ways_read: int
    edges: int
    nodes: int
    largest_share: float
    replaced_edges: int


def is_osm(path: Path) -> bool:
    return path.name.lower().endswith(SUPPORTED_SUFFIXES)


async def _area(
    connection: AsyncConnection, code: str | None, bbox: Bbox | None
) -> tuple[uuid.UUID | None, BaseGeometry]:
    if code is None:
        if bbox is None:
            raise InvalidParameterError("municipality", "an OSM extract needs --municipality or --bbox to clip it")
        return None, box(*bbox)
    row = (
        await connection.execute(
            select(Municipality.id, func.ST_AsBinary(Municipality.boundary)).where(Municipality.code == code)
        )
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"no municipality {code}: import its boundary first")
    municipality_id, boundary = row
    if boundary is None and bbox is None:
        raise InvalidParameterError("bbox", f"municipality {code} has no boundary: give --bbox")
    area = shapely.from_wkb(bytes(boundary)) if boundary is not None else box(*bbox)  # type: ignore[misc]
    if boundary is not None and bbox is not None:
        area = area.intersection(box(*bbox))
    return municipality_id, area


def _line(coordinates: list[tuple[float, float]]) -> str:
    return "SRID=4326;LINESTRING(" + ",".join(f"{x:.7f} {y:.7f}" for x, y in coordinates) + ")"


async def import_roads(
    engine: AsyncEngine, path: Path, code: str | None = None, bbox: Bbox | None = None
) -> RoadImport:
    """Read the walkable ways of ``path`` inside the municipality ``code`` (its boundary) and/or
    ``bbox``, and replace that municipality's roads (with only a bbox: the roads of no
    municipality inside it) in one transaction."""
    async with engine.connect() as connection:
        municipality_id, area = await _area(connection, code, bbox)
    graph: Graph = read_graph(path, area)
    async with engine.begin() as connection:
        replaced = await _replace(connection, municipality_id, area, graph)
    async with engine.connect() as connection:
        # Statistics are transactional (STACK.md): analyse what the import wrote, and commit.
        await connection.execute(text("ANALYZE road_node"))
        await connection.execute(text("ANALYZE road_edge"))
        await connection.commit()
    return RoadImport(
        path.name, code, graph.ways_read, len(graph.edges), len(graph.nodes), graph.largest_share, replaced
    )


async def _replace(
    connection: AsyncConnection, municipality_id: uuid.UUID | None, area: BaseGeometry, graph: Graph
) -> int:
    edges_before = select(func.count()).select_from(RoadEdge)
    if municipality_id is not None:
        where = RoadNode.municipality_id == municipality_id
        edges_before = edges_before.where(RoadEdge.municipality_id == municipality_id)
    else:
        envelope = func.ST_GeomFromText(area.envelope.wkt, 4326)
        where = RoadNode.municipality_id.is_(None) & RoadNode.geom.op("&&")(envelope)
        edges_before = edges_before.where(RoadEdge.municipality_id.is_(None), RoadEdge.geom.op("&&")(envelope))
    replaced = int(await connection.scalar(edges_before) or 0)
    # Edges and their hazard lengths go with their nodes (ON DELETE CASCADE).
    await connection.execute(delete(RoadNode).where(where))
    if not graph.edges:
        return replaced
    osm_ids = list(graph.nodes)
    ids = (
        await connection.execute(
            text("SELECT nextval(pg_get_serial_sequence('road_node', 'id')) FROM generate_series(1, :n)"),
            {"n": len(osm_ids)},
        )
    ).scalars()
    node_id = dict(zip(osm_ids, ids, strict=True))
    # One statement per table (arrays unnested): per-row statements would fire the statement
    # triggers (hazard lengths, data version) once per edge.
    nodes = list(graph.nodes.items())
    await connection.execute(
        text(
            "INSERT INTO road_node (id, municipality_id, osm_id, component, geom) "
            "SELECT id, CAST(:municipality AS uuid), osm, component, ST_SetSRID(ST_MakePoint(lon, lat), 4326) "
            "FROM unnest(CAST(:ids AS bigint[]), CAST(:osm AS bigint[]), CAST(:components AS bigint[]), "
            "CAST(:lons AS float8[]), CAST(:lats AS float8[])) AS n(id, osm, component, lon, lat)"
        ),
        {
            "municipality": municipality_id,
            "ids": [node_id[osm] for osm, _ in nodes],
            "osm": [osm for osm, _ in nodes],
            "components": [graph.component[osm] for osm, _ in nodes],
            "lons": [lon for _, (lon, _) in nodes],
            "lats": [lat for _, (_, lat) in nodes],
        },
    )
    edges = graph.edges
    await connection.execute(
        text(
            "INSERT INTO road_edge (municipality_id, osm_way_id, source, target, cost, reverse_cost, length_m, "
            "road_class, name, steps, bridge, tunnel, component, minzoom, geom) "
            "SELECT CAST(:municipality AS uuid), way, source, target, length, length, length, class, name, steps, "
            "bridge, tunnel, component, minzoom, ST_GeomFromEWKT(geom) "
            "FROM unnest(CAST(:ways AS bigint[]), CAST(:sources AS bigint[]), CAST(:targets AS bigint[]), "
            "CAST(:lengths AS float8[]), CAST(:classes AS text[]), CAST(:names AS text[]), CAST(:steps AS bool[]), "
            "CAST(:bridges AS bool[]), CAST(:tunnels AS bool[]), CAST(:components AS bigint[]), "
            "CAST(:minzooms AS smallint[]), CAST(:geoms AS text[])) "
            "AS e(way, source, target, length, class, name, steps, bridge, tunnel, component, minzoom, geom)"
        ),
        {
            "municipality": municipality_id,
            "ways": [e.way_id for e in edges],
            "sources": [node_id[e.source] for e in edges],
            "targets": [node_id[e.target] for e in edges],
            "lengths": [e.length_m for e in edges],
            "classes": [e.road_class for e in edges],
            "names": [e.name for e in edges],
            "steps": [e.steps for e in edges],
            "bridges": [e.bridge for e in edges],
            "tunnels": [e.tunnel for e in edges],
            "components": [graph.component[e.source] for e in edges],
            "minzooms": [ROAD_MIN_ZOOM[e.road_class] for e in edges],
            "geoms": [_line(e.coordinates) for e in edges],
        },
    )
    return replaced
