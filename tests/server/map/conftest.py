"""The demo municipality loaded into a fresh database, and answers computed without PostGIS."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.app import create_app
from server.cli import FIXTURES
from server.demo import load_demo
from server.settings import Settings

EARTH_RADIUS_M = 6371008.8  # the mean radius PostGIS uses for sphere distances


def features(name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))["features"]
    return data


def zones() -> list[tuple[dict[str, Any], BaseGeometry]]:
    return [(f["properties"], shape(f["geometry"])) for f in features("hazards.geojson")]


def great_circle_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def inside(hazard: str, lon: float, lat: float) -> bool:
    here = Point(lon, lat)
    return any(p["hazardType"] == hazard and g.intersects(here) for p, g in zones())


def ring_wkt(vertices: int, lon: float = 140.76, lat: float = 40.80) -> str:
    """A closed ring of ``vertices`` points around the demo city (like a prefecture-wide zone)."""
    points = [
        f"{lon + 0.1 * math.cos(a):.6f} {lat + 0.08 * math.sin(a):.6f}"
        for a in (2 * math.pi * i / vertices for i in range(vertices))
    ]
    return f"MULTIPOLYGON((({','.join([*points, points[0]])})))"


async def add_zone(engine: AsyncEngine, hazard: str, wkt: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO hazard_zone (id, hazard_type, rank_code, geom, source) "
                "VALUES (gen_random_uuid(), :hazard, '1', ST_GeomFromText(:wkt, 4326), 'test')"
            ),
            {"hazard": hazard, "wkt": wkt},
        )


@pytest.fixture
async def demo(engine: AsyncEngine, settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A client of the app over the demo municipality."""
    await load_demo(engine, FIXTURES)
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client
