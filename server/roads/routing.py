"""Walking routes on the road graph: snap the ends to the largest connected component (PostGIS,
an index lookup), search from the snapped point through both ends of its edge to both ends of the
end edge(s) on the municipality's graph held in memory (graph_cache.py: scipy's Dijkstra), keep
the cheapest, and build the line, its exposure to the hazard and the turn steps.

Hazard avoidance leaves out every edge with any length inside a zone of the hazard. When that
leaves no route, the least exposed route is searched (each metre inside a zone costs as much as a
kilometre outside) and answered with a warning.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Final

import asyncpg
import numpy as np
import shapely
from shapely.geometry import LineString as ShapelyLine
from shapely.ops import substring

from geo.roads import EARTH_RADIUS_M, haversine_m
from server.lib.errors import NotFoundError, ServiceUnavailableError
from server.roads import graph_cache
from server.roads.graph_cache import Search, WalkGraph, Weights
from server.roads.schemas import (
    NIGHT_FACTOR,
    PROFILES,
    LineString,
    RouteDestination,
    RouteFeature,
    RouteProperties,
    RouteStep,
)

#: How far a point may be from the network and still be routed (a resident's home set back from
#: the street; beyond, the point is not on the roads we know).
SNAP_MAX_M: Final = 500.0
#: The searches stop at this many times the straight line between the snapped ends plus so many
#: metres (their cost grows with the square of their reach): most walks are within 1.2 times the
#: straight line; a walk that turns out longer is searched again farther, then without a limit.
#: The answer is the shortest either way.
REACH: Final = ((1.2, 300.0), (2.0, 1000.0))
#: Snap again this many times when the roads change between snapping and routing.
ATTEMPTS: Final = 3
UNNAMED: Final = {
    "trunk": "幹線道路",
    "primary": "幹線道路",
    "secondary": "道路",
    "tertiary": "道路",
    "minor": "道",
    "service": "路地",
    "path": "歩道",
    "steps": "階段",
}
TURN_TEXT: Final = {
    "straight": "直進し",
    "slightLeft": "左斜めに進み",
    "left": "左に曲がり",
    "sharpLeft": "左に大きく曲がり",
    "slightRight": "右斜めに進み",
    "right": "右に曲がり",
    "sharpRight": "右に大きく曲がり",
    "uturn": "引き返し",
}

EDGES_SQL = """
SELECT id, source, target, length_m, name, road_class, ST_AsBinary(geom) AS wkb
FROM road_edge WHERE id = ANY($1::bigint[])
"""
INSIDE_SQL = """
SELECT coalesce(ST_Length(ST_Intersection(l.g, ST_Union(p.geom))::geography), 0)
FROM (SELECT ST_GeomFromWKB($1, 4326) AS g) l
JOIN hazard_zone_part p ON p.hazard_type = $2 AND ST_Intersects(p.geom, l.g)
GROUP BY l.g
"""
FACILITY_SQL = """
SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat, name FROM facility WHERE id = $1 AND withdrawn_at IS NULL
"""


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    facility_id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Snap:
    place: Place
    edge: int
    source: int
    target: int
    length: float
    fraction: float
    distance: float
    municipality: uuid.UUID | None
    lon: float
    lat: float
    #: The road graph's version when it was snapped (graph_cache.py).
    stamp: uuid.UUID | None

    def offsets(self) -> dict[int, float]:
        """Metres from the snapped point to each end of its edge."""
        to_source = self.fraction * self.length
        to_target = (1 - self.fraction) * self.length
        if self.source == self.target:
            return {self.source: min(to_source, to_target)}
        return {self.source: to_source, self.target: to_target}


@dataclass(frozen=True)
class Plan:
    """The cheapest way from one snap to another: via nodes ``first`` and ``last`` along
    ``edges`` ((edge, node it is entered from) in order), or along the shared edge (``direct``)."""

    cost: float
    end: Snap
    first: int | None
    last: int | None
    edges: list[tuple[int, int]]
    direct: bool = False
    #: The search it was found in: its edges are read from it for the plan chosen only.
    search: Search | None = None

    def walked(self, graph: WalkGraph) -> Plan:
        if self.search is None or self.last is None:
            return self
        first, edges = graph.path(self.search, self.last)
        return Plan(self.cost, self.end, first, self.last, edges, self.direct)


@dataclass(frozen=True)
class Options:
    profile: str
    hazard: str | None
    night: bool

    @property
    def steps_allowed(self) -> bool:
        return self.profile != "wheelchair"

    @property
    def speed(self) -> float:
        return PROFILES[self.profile] * (NIGHT_FACTOR if self.night else 1.0)

    def weights(self, least_exposed: bool) -> Weights:
        return Weights(self.steps_allowed, self.hazard, least_exposed)


class StaleError(Exception):
    """The roads changed between snapping and routing (a re-import, a zone): snap again."""


async def facility_place(pool: asyncpg.Pool, facility_id: str) -> Place:
    try:
        key = uuid.UUID(facility_id)
    except ValueError:
        raise NotFoundError(f"no facility with id {facility_id!r} (ids are UUIDs)", reason="unknown_facility") from None
    row = await pool.fetchrow(FACILITY_SQL, key)
    if row is None:
        raise NotFoundError(f"no facility with id {facility_id}", reason="unknown_facility")
    return Place(row["lat"], row["lon"], str(key), row["name"])


def _snapped(place: Place, row: asyncpg.Record | None, field: str) -> Snap:
    """The nearest point of the largest component (without steps for a wheelchair) as
    SNAP_MANY_SQL found it, or the 404 that says the point is not on the roads."""
    if row is None or row["distance"] > SNAP_MAX_M:
        where = f"{place.lat:.6f},{place.lon:.6f}"
        raise NotFoundError(
            f"{field}: no walkable road within {SNAP_MAX_M:.0f} m of {where}: the point is not on the road "
            "network (its municipality's roads may not be imported)",
            reason="off_network",
            field=field,
        )
    return _snap(place, row)


def _snap(place: Place, row: asyncpg.Record) -> Snap:
    return Snap(
        place,
        row["id"],
        row["source"],
        row["target"],
        row["length_m"],
        row["fraction"],
        row["distance"],
        row["municipality_id"],
        row["lon"],
        row["lat"],
        row["stamp"],
    )


async def graph_of(pool: asyncpg.Pool, start: Snap) -> WalkGraph:
    """The start's municipality's graph at the version the start was snapped at."""
    graph = await graph_cache.CACHE.get(pool, start.municipality, start.stamp)
    if graph.stamp != start.stamp or not graph.has_edge(start.edge):
        raise StaleError
    return graph


def _plans(graph: WalkGraph, start: Snap, ends: Sequence[Snap], weights: Weights) -> list[Plan]:
    """The cheapest plan to each reachable end (same municipality's graph as the start)."""
    if any(end.stamp != start.stamp for end in ends):
        raise StaleError
    reachable = [e for e in ends if e.municipality == start.municipality]
    if not reachable:
        return []
    starts = start.offsets()
    targets = sorted({node for end in reachable for node in end.offsets()})
    if not weights.least_exposed and not graph.joined(weights, starts, targets):
        # Nothing joins the ends once the edges are left out: no need to search the half of the
        # city that can be reached (only a walk along the start's own edge remains).
        return [p for p in (_best(graph, None, start, end) for end in reachable) if p is not None]
    span = max(haversine_m(start.lon, start.lat, end.lon, end.lat) for end in reachable)
    limits = [math.inf]
    if not weights.least_exposed:  # its costs are no distances: a metre inside weighs a kilometre
        limits = [factor * span + slack + start.length for factor, slack in REACH] + limits
    for limit in limits:
        search = graph.search(weights, starts, limit)
        plans = [_best(graph, search, start, end) for end in reachable]
        # Within the limit the distances are exact; a plan costing more may not be the cheapest.
        if all(p is not None and p.cost <= limit for p in plans):
            break
    return [p for p in plans if p is not None]


def _best(graph: WalkGraph, search: Search | None, start: Snap, end: Snap) -> Plan | None:
    best: Plan | None = None
    if end.edge == start.edge:
        best = Plan(abs(end.fraction - start.fraction) * start.length, end, None, None, [], direct=True)
    if search is None:
        return best
    cost, last = min(((graph.distance(search, t) + t_cost, t) for t, t_cost in end.offsets().items()))
    if math.isinf(cost) or (best is not None and best.cost <= cost):
        return best
    return Plan(cost, end, None, last, [], search=search)


def _piece(line: ShapelyLine, start: float, end: float) -> list[tuple[float, float]]:
    if abs(start - end) < 1e-12:
        return []
    part = substring(line, start, end, normalized=True)
    return [(x, y) for x, y in part.coords] if isinstance(part, ShapelyLine) else []


@dataclass
class Leg:
    coordinates: list[tuple[float, float]]
    label: str


async def _legs(pool: asyncpg.Pool, start: Snap, plan: Plan) -> list[Leg]:
    """The route as pieces of streets in walking order, from the point asked for to the end."""
    end = plan.end
    ids = sorted({start.edge, end.edge, *(e for e, _ in plan.edges)})
    rows = {r["id"]: r for r in await pool.fetch(EDGES_SQL, ids)}
    if len(rows) < len(ids):
        raise StaleError

    def label(edge: int) -> str:
        row = rows[edge]
        return str(row["name"] or UNNAMED[row["road_class"]])

    # One call for all the route's edges: a few hundred one by one cost milliseconds.
    geometries = dict(zip(rows, shapely.from_wkb([bytes(r["wkb"]) for r in rows.values()]), strict=True))

    def line(edge: int) -> ShapelyLine:
        geometry = geometries[edge]
        assert isinstance(geometry, ShapelyLine)  # noqa: S101 - road_edge holds LineStrings
        return geometry

    legs = [Leg([(start.place.lon, start.place.lat), (start.lon, start.lat)], label(start.edge))]
    if plan.direct:
        legs.append(Leg(_piece(line(start.edge), start.fraction, end.fraction), label(start.edge)))
    else:
        s_row = rows[start.edge]
        to = 0.0 if plan.first == s_row["source"] else 1.0
        legs.append(Leg(_piece(line(start.edge), start.fraction, to), label(start.edge)))
        for edge, node in plan.edges:
            coordinates = shapely.get_coordinates(line(edge)).tolist()
            if node != rows[edge]["source"]:
                coordinates.reverse()
            legs.append(Leg([(x, y) for x, y in coordinates], label(edge)))
        e_row = rows[end.edge]
        since = 0.0 if plan.last == e_row["source"] else 1.0
        legs.append(Leg(_piece(line(end.edge), since, end.fraction), label(end.edge)))
    legs.append(Leg([(end.lon, end.lat), (end.place.lon, end.place.lat)], label(end.edge)))
    kept = [leg for leg in legs if len(leg.coordinates) > 1]
    return kept or [Leg([(start.place.lon, start.place.lat)] * 2, label(start.edge))]


def _length(coordinates: Sequence[tuple[float, float]]) -> float:
    """Great-circle metres along the points (geo.roads.haversine_m, for all pieces at once)."""
    if len(coordinates) < 64:  # a street's piece: numpy's overhead is more than the sum
        return sum(haversine_m(*a, *b) for a, b in pairwise(coordinates))
    points = np.radians(np.asarray(coordinates, dtype=np.float64))
    lon, lat = points[:, 0], points[:, 1]
    a = np.sin(np.diff(lat) / 2) ** 2 + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(np.diff(lon) / 2) ** 2
    return float(np.sum(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))))


def _bearing(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx = (b[0] - a[0]) * math.cos(math.radians((a[1] + b[1]) / 2))
    dy = b[1] - a[1]
    return math.degrees(math.atan2(dx, dy)) % 360


def _maneuver(angle: float) -> str:
    """Turn by ``angle`` degrees (positive: to the right)."""
    size = abs(angle)
    if size < 20:
        return "straight"
    if size > 170:
        return "uturn"
    side = "Right" if angle > 0 else "Left"
    if size < 60:
        return f"slight{side}"
    if size < 135:
        return side.lower()
    return f"sharp{side}"


def _metres(distance: float) -> str:
    return f"{max(10, round(distance, -1)):.0f}m"


def steps_of(legs: list[Leg], destination: str) -> list[RouteStep]:
    """Turn-by-turn steps: one per street walked, starting where the previous one turns off."""
    clean = [[p for i, p in enumerate(leg.coordinates) if i == 0 or p != leg.coordinates[i - 1]] for leg in legs]
    pieces = [(coords, leg.label) for coords, leg in zip(clean, legs, strict=True) if len(coords) > 1]
    steps: list[RouteStep] = []
    previous: tuple[float, float] | None = None  # the last segment's bearing point pair
    last_bearing = 0.0
    for coordinates, label in pieces:
        bearing_in = _bearing(coordinates[0], coordinates[1])
        length = _length(coordinates)
        if steps and previous is not None:
            angle = (bearing_in - last_bearing + 540) % 360 - 180
            maneuver = _maneuver(angle)
            if label == steps[-1].name and abs(angle) < 60:
                steps[-1].distance_m = round(steps[-1].distance_m + length, 1)
                steps[-1].text = _text(steps[-1].maneuver, label, steps[-1].distance_m)
            else:
                steps.append(
                    RouteStep(maneuver, label, round(length, 1), coordinates[0], _text(maneuver, label, length))
                )
        else:
            steps.append(RouteStep("depart", label, round(length, 1), coordinates[0], _text("depart", label, length)))
        previous = coordinates[-1]
        last_bearing = _bearing(coordinates[-2], coordinates[-1])
    end = pieces[-1][0][-1] if pieces else legs[-1].coordinates[-1]
    steps.append(RouteStep("arrive", destination, 0.0, end, f"{destination}に到着です"))
    return steps


def _text(maneuver: str, label: str, distance: float) -> str:
    walk = f"{label}を{_metres(distance)}進みます"
    if maneuver == "depart":
        return f"出発して、{walk}"
    return f"{TURN_TEXT[maneuver]}、{walk}"


async def route(pool: asyncpg.Pool, origin: Place, destinations: Sequence[Place], options: Options) -> RouteFeature:
    """The route from ``origin`` to the cheapest reachable of ``destinations`` (one for a route
    to a place; the candidate shelters for "nearest on foot")."""
    for _ in range(ATTEMPTS):
        try:
            return await _route(pool, origin, destinations, options)
        except StaleError:
            continue
    raise ServiceUnavailableError("the roads are changing (an import or a hazard zone): try again in a moment")


async def _route(pool: asyncpg.Pool, origin: Place, destinations: Sequence[Place], options: Options) -> RouteFeature:
    # Every end in one query: the nearest on foot has ten candidates.
    places = [origin, *destinations]
    rows = {
        row["i"]: row
        for row in await pool.fetch(
            SNAP_MANY_SQL, [p.lon for p in places], [p.lat for p in places], options.steps_allowed
        )
    }
    start = _snapped(origin, rows.get(1), "from")
    ends: list[Snap] = []
    for i, place in enumerate(destinations, start=2):
        try:
            ends.append(_snapped(place, rows.get(i), "to"))
        except NotFoundError:
            if len(destinations) == 1:
                raise
    graph = await graph_of(pool, start)
    least_exposed = False
    plans = _plans(graph, start, ends, options.weights(least_exposed=False))
    if not plans and options.hazard is not None:
        least_exposed = True
        plans = _plans(graph, start, ends, options.weights(least_exposed=True))
    if not plans:
        raise NotFoundError(
            "no walkable route joins the two points on the road network"
            + (" without steps" if not options.steps_allowed else ""),
            reason="no_path",
        )
    plan = min(plans, key=lambda p: p.cost).walked(graph)
    legs = await _legs(pool, start, plan)
    coordinates: list[tuple[float, float]] = []
    for leg in legs:
        for point in leg.coordinates:
            if not coordinates or coordinates[-1] != point:
                coordinates.append(point)
    if len(coordinates) < 2:
        coordinates = [coordinates[0], coordinates[0]] if coordinates else [(origin.lon, origin.lat)] * 2
    length = _length(coordinates)
    inside = 0.0
    if options.hazard is not None:
        wkb = shapely.to_wkb(ShapelyLine(coordinates))
        inside = float(await pool.fetchval(INSIDE_SQL, wkb, options.hazard) or 0.0)
    place = plan.end.place
    destination = place.name or "目的地"
    warning = None
    if least_exposed:
        warning = (
            f"No route avoids every {options.hazard} zone: this is the least exposed one, "
            f"{inside:.0f} m inside the zone. Move out of it by the shortest way and follow official instructions."
        )
    elif inside > 0.5:
        warning = f"The start or the end lies in a {options.hazard} zone: {inside:.0f} m of the route is inside it."
    properties = RouteProperties(
        length_m=round(length, 1),
        minutes=round(length / options.speed / 60, 1),
        profile=options.profile,
        night=options.night,
        speed_m_per_s=round(options.speed, 2),
        hazard=options.hazard,
        inside_zone_m=round(inside, 1),
        avoids_zone=inside <= 0.5,
        warning=warning,
        destination=RouteDestination(place.lat, place.lon, place.facility_id, place.name),
        steps=steps_of(legs, destination),
        snap_m=(round(start.distance, 1), round(plan.end.distance, 1)),
    )
    line = LineString([(round(x, 7), round(y, 7)) for x, y in coordinates])
    return RouteFeature(line, properties)


SNAP_MANY_SQL = """
SELECT p.i, e.id, e.source, e.target, e.length_m, e.municipality_id,
       ST_LineLocatePoint(e.geom, p.g) AS fraction,
       ST_Distance(e.geom::geography, p.g::geography) AS distance,
       ST_X(ST_LineInterpolatePoint(e.geom, ST_LineLocatePoint(e.geom, p.g))) AS lon,
       ST_Y(ST_LineInterpolatePoint(e.geom, ST_LineLocatePoint(e.geom, p.g))) AS lat,
       (SELECT stamp FROM road_graph_version WHERE id = 1) AS stamp
FROM (SELECT i, ST_SetSRID(ST_MakePoint(x, y), 4326) AS g
      FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS u(x, y, i)) p
CROSS JOIN LATERAL (
    SELECT r.* FROM (
        SELECT id FROM road_edge WHERE component = 0 AND ($3 OR NOT steps) ORDER BY geom <-> p.g LIMIT 16
    ) c JOIN road_edge r ON r.id = c.id
    ORDER BY ST_Distance(r.geom::geography, p.g::geography), r.id
    LIMIT 1
) e
"""


async def walking_distances(pool: asyncpg.Pool, origin: Place, places: Sequence[Place]) -> list[float | None]:
    """Metres on foot from ``origin`` to each place (None: off the network or not joined), by one
    snapping query and one search on the graph in memory: cheap enough to rank a nearest list. The
    walk is the plain one (no hazard left out): the route screen is where a hazard is avoided."""
    if not places:
        return []
    for _ in range(ATTEMPTS):
        try:
            return await _walking_distances(pool, origin, places)
        except StaleError:
            continue
    return [None] * len(places)


async def _walking_distances(pool: asyncpg.Pool, origin: Place, places: Sequence[Place]) -> list[float | None]:
    options = Options("adult", None, False)
    rows = await pool.fetch(
        SNAP_MANY_SQL, [origin.lon, *(p.lon for p in places)], [origin.lat, *(p.lat for p in places)], True
    )
    snaps: dict[int, Snap] = {}
    for row in rows:
        if row["distance"] > SNAP_MAX_M:
            continue
        place = origin if row["i"] == 1 else places[row["i"] - 2]
        snaps[row["i"]] = _snap(place, row)
    start = snaps.get(1)
    if start is None:
        return [None] * len(places)
    ends = [snaps[i + 2] for i in range(len(places)) if i + 2 in snaps]
    graph = await graph_of(pool, start)
    plans = {id(plan.end): plan for plan in _plans(graph, start, ends, options.weights(least_exposed=False))}
    distances: list[float | None] = []
    for i in range(len(places)):
        end = snaps.get(i + 2)
        plan = plans.get(id(end)) if end is not None else None
        distances.append(None if plan is None or end is None else round(start.distance + plan.cost + end.distance, 1))
    return distances
