"""Walking distances for the nearest list (``GET /api/facilities/nearest?walking=true``)."""

from __future__ import annotations

import math

import asyncpg

from server.facilities.schemas import NearestCollection
from server.roads import routing


async def with_walking(pool: asyncpg.Pool, lat: float, lon: float, answer: NearestCollection) -> None:
    """Walking distance and time along the roads for every place of the answer (one snapping
    query and one Dijkstra for all); the places ordered by it, those not reachable last."""
    features = [*answer.features, *([answer.nearest_open] if answer.nearest_open else [])]
    places = [routing.Place(f.geometry.coordinates[1], f.geometry.coordinates[0]) for f in features]
    for feature, metres in zip(
        features, await routing.walking_distances(pool, routing.Place(lat, lon), places), strict=True
    ):
        feature.properties.walking_distance_m = metres
        feature.properties.walking_route_minutes = None if metres is None else math.ceil(metres / 60)
    answer.features.sort(
        key=lambda f: (
            f.properties.walking_distance_m is None,
            f.properties.walking_distance_m or f.properties.distance_m,
        )
    )
