"""Building offline packs: the municipality's vector tiles (the same tiles `/tiles` serves) in one
PMTiles archive, and its facilities as a compact GeoJSON; both checksummed, versioned, and the
oldest versions pruned. A pack is stale when the digest of its municipality's data has changed."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from shapely import wkb
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from geo.pmtiles import Basemap, TileArchive, tile_order
from geo.tiling import covering
from server.db.engine import session_factory
from server.lib.errors import NotFoundError
from server.municipalities.models import Municipality
from server.packs.models import OfflinePack
from server.packs.schemas import PackFacilities, PackGraph, PackManifest
from server.roads.service import encode_graph, walk_graph
from server.settings import PackSettings
from server.tiles.service import render_tile

log = logging.getLogger(__name__)

#: Zoom 8 shows the whole municipality with its hazard zones; at 16 a tile is about 600 m wide and a
#: street block is readable (the map overzooms beyond, drawing the z16 geometry larger).
MIN_ZOOM, MAX_ZOOM = 8, 16
LAYERS = ("boundaries", "roads", "hazards", "facilities")
CONCURRENCY = 4

Progress = Callable[[int, int], None]

# The state of a municipality's data: counts and newest changes of its row, its facilities, the
# hazard zones over its extent (a zone deleted changes the count) and its roads.
_STATE = text(
    """
    SELECT m.id, m.code, m.name, ST_AsBinary(m.boundary) AS boundary,
           greatest(m.updated_at, f.newest, z.newest) AS data_as_of,
           md5(concat_ws('|', m.updated_at, f.n, f.newest, z.n, z.newest, r.n, r.newest)) AS fingerprint
    FROM municipality m
    CROSS JOIN LATERAL (SELECT count(*) AS n, max(updated_at) AS newest FROM facility
                        WHERE municipality_id = m.id) f
    CROSS JOIN LATERAL (SELECT count(*) AS n, max(updated_at) AS newest FROM hazard_zone
                        WHERE CASE WHEN m.bbox IS NULL THEN municipality_id = m.id ELSE geom && m.bbox END) z
    -- Roads are replaced whole on re-import: new edges get new ids.
    CROSS JOIN LATERAL (SELECT count(*) AS n, max(id) AS newest FROM road_edge WHERE municipality_id = m.id) r
    WHERE (CAST(:code AS text) IS NULL OR m.code = :code)
    ORDER BY m.code
    """
)
# Without a boundary, the extent of the municipality's own data stands for it.
_DATA_EXTENT = text(
    """
    SELECT ST_AsBinary(ST_Envelope(ST_Collect(g))) FROM (
        SELECT geom AS g FROM facility WHERE municipality_id = :id AND withdrawn_at IS NULL
        UNION ALL SELECT geom FROM hazard_zone WHERE municipality_id = :id) parts
    """
)
_FACILITIES = text(
    """
    SELECT id::text, kinds, name, name_kana, name_en, address, capacity, capacity_text, suitable_hazards,
           names, target_groups,
           round(ST_X(geom)::numeric, 6)::float AS lon, round(ST_Y(geom)::numeric, 6)::float AS lat
    FROM facility WHERE municipality_id = :id AND withdrawn_at IS NULL ORDER BY id
    """
)
# Each place's live records, for the sheet's designations offline.
_RECORDS = text(
    """
    SELECT r.facility_id::text AS facility, r.source_id, r.kinds, r.name, r.name_kana, r.address,
           r.suitable_hazards, r.target_groups, r.target_other,
           round(ST_X(r.geom)::numeric, 6)::float AS lon, round(ST_Y(r.geom)::numeric, 6)::float AS lat
    FROM facility_record r JOIN facility f ON f.id = r.facility_id
    WHERE f.municipality_id = :id AND f.withdrawn_at IS NULL AND r.withdrawn_at IS NULL
    ORDER BY r.facility_id, r.created_at, r.id
    """
)


@dataclass(frozen=True)
class DataState:
    id: Any
    code: str
    name: str
    boundary: BaseGeometry | None
    data_as_of: datetime | None
    fingerprint: str


async def data_states(engine: AsyncEngine, code: str | None = None) -> list[DataState]:
    async with engine.connect() as connection:
        rows = (await connection.execute(_STATE, {"code": code})).all()
    return [
        DataState(r.id, r.code, r.name, wkb.loads(r.boundary) if r.boundary else None, r.data_as_of, r.fingerprint)
        for r in rows
    ]


async def latest_packs(engine: AsyncEngine) -> dict[str, OfflinePack]:
    """The newest pack of each municipality, by code."""
    async with session_factory(engine)() as session:
        rows = await session.execute(
            select(Municipality.code, OfflinePack)
            .join(OfflinePack, OfflinePack.municipality_id == Municipality.id)
            .order_by(Municipality.code, OfflinePack.version)
        )
        return dict(rows.all())  # the newest version of each code comes last


async def stale(engine: AsyncEngine) -> list[DataState]:
    """Municipalities whose data changed since their newest pack (or that have none)."""
    packs = await latest_packs(engine)
    return [s for s in await data_states(engine) if s.code not in packs or packs[s.code].fingerprint != s.fingerprint]


def manifest(pack: OfflinePack, code: str, name: str) -> PackManifest:
    base = f"/packs/{code}/{pack.version}"
    return PackManifest(
        municipality=code,
        name=name,
        version=pack.version,
        built_at=pack.built_at.isoformat(),
        data_as_of=pack.data_as_of.isoformat() if pack.data_as_of else None,
        url=f"{base}.pmtiles",
        bytes=pack.bytes,
        sha256=pack.sha256,
        bbox=(pack.bbox[0], pack.bbox[1], pack.bbox[2], pack.bbox[3]),
        min_zoom=pack.min_zoom,
        max_zoom=pack.max_zoom,
        layers=list(pack.layers),
        tile_count=pack.tile_count,
        facilities=PackFacilities(
            url=f"{base}.facilities.json",
            bytes=pack.facilities_bytes,
            sha256=pack.facilities_sha256,
            count=pack.facilities_count,
        ),
        build_seconds=round(pack.build_seconds, 2),
        graph=PackGraph(
            url=f"{base}.graph.json", bytes=pack.graph_bytes, sha256=pack.graph_sha256, edges=pack.graph_edges or 0
        )
        if pack.graph_bytes is not None and pack.graph_sha256 is not None
        else None,
    )


def pack_path(folder: Path, code: str, version: int, suffix: str) -> Path:
    return folder / code / f"{version}{suffix}"


async def build(
    engine: AsyncEngine,
    pool: asyncpg.Pool,
    settings: PackSettings,
    code: str,
    progress: Progress | None = None,
) -> OfflinePack:
    """Build the next version of a municipality's pack; keep the newest ``settings.keep``."""
    started = time.perf_counter()
    states = await data_states(engine, code)
    if not states:
        raise NotFoundError(f"no municipality with code {code}")
    state = states[0]
    area = state.boundary or await _data_extent(engine, state.id)
    if area is None:
        raise NotFoundError(f"{state.name} ({code}) has no boundary and no data to build a pack from")
    tiles = tile_order(list(covering(area, MIN_ZOOM, MAX_ZOOM)))
    basemap = Basemap(settings.basemap) if settings.basemap else None

    folder = settings.folder / code
    folder.mkdir(parents=True, exist_ok=True)
    async with session_factory(engine)() as session:
        newest = await session.scalar(
            select(OfflinePack.version)
            .where(OfflinePack.municipality_id == state.id)
            .order_by(OfflinePack.version.desc())
            .limit(1)
        )
    version = (newest or 0) + 1
    archive = pack_path(settings.folder, code, version, ".pmtiles")
    try:
        written = await _write_archive(pool, archive, tiles, area, state, basemap, progress)
    finally:
        if basemap:
            basemap.close()
    facilities = await _facilities(engine, state.id)
    facilities_path = pack_path(settings.folder, code, version, ".facilities.json")
    _atomic_write(facilities_path, facilities)
    document = await walk_graph(pool, state.id, code)
    graph = encode_graph(document) if document is not None else None
    if graph is not None:
        _atomic_write(pack_path(settings.folder, code, version, ".graph.json"), graph)

    layers = [*LAYERS, *(["basemap"] if basemap else [])]
    pack = OfflinePack(
        municipality_id=state.id,
        version=version,
        built_at=datetime.now(UTC),
        data_as_of=state.data_as_of,
        fingerprint=state.fingerprint,
        bytes=archive.stat().st_size,
        sha256=_sha256(archive.read_bytes()),
        facilities_bytes=len(facilities),
        facilities_sha256=_sha256(facilities),
        facilities_count=len(json.loads(facilities)["features"]),
        graph_bytes=len(graph) if graph is not None else None,
        graph_sha256=_sha256(graph) if graph is not None else None,
        graph_edges=len(document["edges"]) // 5 if document is not None else None,
        bbox=[round(v, 6) for v in area.bounds],
        min_zoom=MIN_ZOOM,
        max_zoom=MAX_ZOOM,
        layers=layers,
        tile_count=written,
        build_seconds=time.perf_counter() - started,
    )
    async with session_factory(engine)() as session, session.begin():
        session.add(pack)
    await prune(engine, settings, state.id, code)
    return pack


async def prune(engine: AsyncEngine, settings: PackSettings, municipality_id: Any, code: str) -> None:
    """Forget all but the newest ``settings.keep`` versions, rows and files."""
    async with session_factory(engine)() as session, session.begin():
        old = (
            await session.scalars(
                select(OfflinePack.version)
                .where(OfflinePack.municipality_id == municipality_id)
                .order_by(OfflinePack.version.desc())
                .offset(settings.keep)
            )
        ).all()
        if old:
            await session.execute(
                delete(OfflinePack).where(OfflinePack.municipality_id == municipality_id, OfflinePack.version.in_(old))
            )
    for version in old:
        for suffix in (".pmtiles", ".facilities.json", ".graph.json"):
            pack_path(settings.folder, code, version, suffix).unlink(missing_ok=True)


async def _data_extent(engine: AsyncEngine, municipality_id: Any) -> BaseGeometry | None:
    async with engine.connect() as connection:
        found = await connection.scalar(_DATA_EXTENT, {"id": municipality_id})
    if found is None:
        return None
    extent = wkb.loads(found)
    return box(*extent.buffer(0.005).bounds)  # a little room around a single place


async def _write_archive(
    pool: asyncpg.Pool,
    path: Path,
    tiles: list[tuple[int, int, int]],
    area: BaseGeometry,
    state: DataState,
    basemap: Basemap | None,
    progress: Progress | None,
) -> int:
    """Render every tile (a few at a time), write them in tile-id order; return how many."""
    limit = asyncio.Semaphore(CONCURRENCY)

    async def render(z: int, x: int, y: int) -> bytes:
        async with limit:
            blob = await render_tile(pool, z, x, y, live=False)
        return (blob or b"") + (basemap.tile(z, x, y) if basemap else b"")

    with TileArchive(path) as archive:
        done = 0
        for start in range(0, len(tiles), 64):
            batch = tiles[start : start + 64]
            for (z, x, y), blob in zip(batch, await asyncio.gather(*(render(*t) for t in batch)), strict=True):
                archive.add(z, x, y, blob)
            done += len(batch)
            if progress:
                progress(done, len(tiles))
        metadata = {
            "name": f"{state.name} ({state.code})",
            "description": "Bosai offline pack: boundaries, hazard zones, facilities",
            "dataAsOf": state.data_as_of.isoformat() if state.data_as_of else None,
        }
        return archive.finish(area, MIN_ZOOM, MAX_ZOOM, metadata)


async def _facilities(engine: AsyncEngine, municipality_id: Any) -> bytes:
    async with engine.connect() as connection:
        rows = (await connection.execute(_FACILITIES, {"id": municipality_id})).all()
        records = (await connection.execute(_RECORDS, {"id": municipality_id})).all()
    designations: dict[str, list[dict[str, Any]]] = {}
    for d in records:
        designations.setdefault(d.facility, []).append(
            {
                "sourceId": d.source_id,
                "kinds": d.kinds,
                "name": d.name,
                "nameKana": d.name_kana,
                "address": d.address,
                "geometry": {"type": "Point", "coordinates": [d.lon, d.lat]},
                "suitableHazards": d.suitable_hazards,
                "targetGroups": d.target_groups,
                "targetOther": d.target_other,
                "withdrawn": False,
            }
        )
    features = [
        {
            "type": "Feature",
            "id": r.id,
            "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
            "properties": {
                "id": r.id,
                "kinds": r.kinds,
                "name": r.name,
                "nameKana": r.name_kana,
                "nameEn": r.name_en,
                "address": r.address,
                "capacity": r.capacity,
                "capacityText": r.capacity_text,
                "suitableHazards": r.suitable_hazards,
                "names": r.names or [r.name],
                "targetGroups": r.target_groups,
                "designations": designations.get(r.id, []),
            },
        }
        for r in rows
    ]
    document = {"type": "FeatureCollection", "features": features}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _atomic_write(path: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as out:
        out.write(data)
    Path(out.name).chmod(0o644)
    Path(out.name).replace(path)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
