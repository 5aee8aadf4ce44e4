"""Importing files (facilities, boundaries, hazard zones): each file in one transaction, all or
nothing, recorded in import_run.

Reading and parsing a file run in a worker thread and the writes yield to the event loop every
CHUNK rows, so that the server keeps answering (health checks, residents) during a large import."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import anyio.to_thread
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point
from sqlalchemy import delete, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from geo.codes import InvalidCodeError, normalize
from geo.identity import Identity, places, says_same_address
from geo.importers import areas, facilities
from geo.importers.areas import ParsedAreas
from geo.importers.base import MAX_ROWS, ImportFailure, Options, ParsedFile, Source
from geo.importers.base import FacilityRecord as Record
from geo.importers.facilities import Context
from geo.kinds import FACILITY_KINDS, HAZARD_TYPES, TARGET_GROUPS
from server.db.engine import session_factory
from server.facilities.models import Facility, FacilityRecord
from server.hazards.models import HazardZone
from server.imports.models import ImportRun
from server.imports.sources import Staged
from server.lib.errors import database_unreachable
from server.lib.ids import uuid7
from server.municipalities.models import Municipality

log = logging.getLogger(__name__)

# A place shows the name, address and point of its shelter record first (the building people go
# to), then of its other records in the order they arrived.
_PREFERRED = ("designated_shelter", "welfare_shelter", "emergency_site")


@dataclass
class FileSummary:
    """What `bosai import` prints and `POST /api/imports` answers, per file."""

    file: str
    format: str | None
    status: str
    read: int = 0
    created: int = 0
    updated: int = 0
    withdrawn: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    outside_boundary: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    run_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"


#: Told the fraction of a file done (read: 0.2, then while writing), for a progress bar.
Progress = Callable[[float], None]
CHUNK = 500  # rows written between two progress reports


def _quiet(_fraction: float) -> None:
    pass


R = TypeVar("R")


async def in_thread(func: Callable[..., R], *args: Any) -> R:
    """``func(*args)`` in a worker thread, the thread keeping neither the arguments, the result
    nor the error once done: an idle worker holds its last job's locals until its next job, and
    for a file that is the whole file in memory."""
    box: dict[str, Any] = {"call": (func, args)}

    def job() -> None:
        call, arguments = box.pop("call")
        try:
            box["result"] = call(*arguments)
        except BaseException as exc:  # handed over to the caller, raised there
            box["error"] = exc

    await anyio.to_thread.run_sync(job)
    if "error" in box:
        raise box.pop("error")
    result: R = box.pop("result")
    return result


async def import_staged(
    engine: AsyncEngine,
    staged: Staged,
    options: Options | None = None,
    progress: Progress = _quiet,
    max_rows: int = MAX_ROWS,
) -> FileSummary:
    """Import a file kept on disk: read into memory only now, one file at a time."""
    source = await in_thread(staged.load)
    return await import_file(engine, source, options, progress, max_rows)


async def import_file(
    engine: AsyncEngine,
    source: Source,
    options: Options | None = None,
    progress: Progress = _quiet,
    max_rows: int = MAX_ROWS,
) -> FileSummary:
    """Import one file. A file with any bad row, or more than ``max_rows`` rows or features,
    changes nothing; the run is recorded either way."""
    options = options or Options()
    started = time.perf_counter()
    digest = await in_thread(_sha256, source.data)
    async with session_factory(engine)() as session, session.begin():
        run = ImportRun(file_name=source.name, sha256=digest, format=options.format)
        session.add(run)
    summary = FileSummary(source.name, options.format, "failed", run_id=str(run.id))
    try:
        parsed = await in_thread(read, source, options, max_rows)
        progress(0.2)
    except ImportFailure as failure:
        summary.errors = [failure.as_dict()]
    except Exception as exc:  # a reader's own bug or a file no reader foresaw: the file fails, not the request
        log.exception("reading %s failed", source.name)
        summary.errors = [ImportFailure(source.name, f"could not be read ({type(exc).__name__}: {exc})").as_dict()]
    else:
        summary.format, summary.read = parsed.format, parsed.rows
        summary.notes = list(parsed.notes)
        if parsed.errors:
            summary.errors = [e.as_dict() for e in parsed.errors]
            summary.rejected = parsed.rows
        else:
            try:
                async with session_factory(engine)() as session, session.begin():
                    if isinstance(parsed, ParsedAreas):
                        await _apply_areas(session, parsed, run.id, summary, options, progress)
                    else:
                        await _apply(session, parsed, run.id, summary, progress)
            except Exception as exc:
                if database_unreachable(exc):
                    raise  # 503: the run cannot be recorded either
                # Rolled back whole: the file fails (and its run says so), the request does not.
                log.exception("writing %s failed", source.name)
                summary.errors = [ImportFailure(source.name, f"could not be stored ({type(exc).__name__})").as_dict()]
            else:
                summary.status = "succeeded"
                try:
                    await analyze(engine, written_tables(parsed))
                except Exception as exc:  # the data is in: stale statistics slow queries, they break nothing
                    if database_unreachable(exc):
                        raise
                    log.exception("analysing after %s failed", source.name)
    summary.seconds = round(time.perf_counter() - started, 3)
    async with session_factory(engine)() as session, session.begin():
        stored = await session.get_one(ImportRun, run.id)
        stored.format, stored.status, stored.errors = summary.format, summary.status, summary.errors
        stored.counts = {k: getattr(summary, k) for k in ("read", "created", "updated", "withdrawn", "rejected")}
        stored.finished_at = datetime.now(UTC)
    return summary


def written_tables(parsed: ParsedFile | ParsedAreas) -> tuple[str, ...]:
    """The tables an import of this file writes (triggers included: a zone renews the
    inside_hazards of the places it covers)."""
    if isinstance(parsed, ParsedFile):
        return ("facility", "facility_record", "municipality")
    if parsed.format in areas.BOUNDARY_FORMATS:
        return ("municipality",)
    return ("hazard_zone", "hazard_zone_part", "facility")


async def analyze(engine: AsyncEngine, tables: Iterable[str]) -> None:
    """Fresh planner statistics for what an import wrote, committed (statistics are transactional:
    an ANALYZE rolled back is lost). Without them, until autovacuum comes by, the planner guesses
    from an empty table's and may pick a bitmap scan and a sort over the KNN index."""
    async with engine.begin() as connection:
        await connection.execute(text(f"ANALYZE {', '.join(tables)}"))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# Property names that mark a GeoJSON file as one of the polygon formats, looked for in its first
# bytes so that a large file is parsed once.
_AREA_MARKERS = re.compile(rb'"(N03_007|A31a_[1-4]05|A31_001|A33_001|A40_003|hazardType|prefecture)"')


def read(source: Source, options: Options, max_rows: int = MAX_ROWS) -> ParsedFile | ParsedAreas:
    """Parse a file with the reader its format needs: facility tables (CSV, point GeoJSON) or
    polygon layers (boundaries and hazard zones, GeoJSON or Shapefile), of at most ``max_rows``
    rows or features. CPU-bound: called in a worker thread."""
    suffix = source.name.lower().rsplit(".", 1)[-1]
    if suffix == "zip" and ".zip:" in source.name.lower():
        raise ImportFailure(
            source.name, "a zip archive inside a zip archive is not unpacked: unzip it and import its files"
        )
    if suffix == "zip":
        raise ImportFailure(source.name, "not a readable zip archive")
    polygons = options.format in areas.AREA_FORMATS or suffix == "shp"
    if options.format is None and suffix in ("geojson", "json"):
        polygons = options.hazard is not None or _AREA_MARKERS.search(source.data[:65536]) is not None
    if polygons:
        return areas.parse(source, options, max_features=max_rows)
    return facilities.parse(
        source.name,
        source.data,
        format=options.format,
        municipality=options.municipality,
        max_rows=max_rows,
        kind=options.kind,
        columns=dict(options.columns),
    )


async def _municipality_ids(session: AsyncSession, records: Iterable[Record]) -> dict[str, uuid.UUID]:
    """Ids of the records' municipalities; one missing (no boundary imported yet) is created
    from what the file says of it."""
    towns = {r.municipality: r for r in records}
    rows = [
        {"id": uuid7(), "code": code, "name": r.municipality_name or code, "prefecture": r.prefecture or ""}
        for code, r in towns.items()
    ]
    if rows:
        await session.execute(insert(Municipality).values(rows).on_conflict_do_nothing(index_elements=["code"]))
    found = await session.execute(select(Municipality.code, Municipality.id).where(Municipality.code.in_(towns)))
    return dict(found.all())


async def _writing(progress: Progress, done: int, total: int) -> None:
    if done % CHUNK == 0:
        progress(0.2 + 0.8 * done / max(total, 1))
        # Building rows is CPU work on the event loop: let other requests in between chunks.
        await asyncio.sleep(0)


async def _apply(
    session: AsyncSession, parsed: ParsedFile, run_id: uuid.UUID, summary: FileSummary, progress: Progress
) -> None:
    records = parsed.records
    towns = await _municipality_ids(session, records)
    source_ids = [r.source_id for r in records]
    datasets = {r.dataset for r in records}
    keys = {r.place_key for r in records if r.place_key}
    existing = (
        await session.scalars(
            select(FacilityRecord).where(
                or_(
                    FacilityRecord.source_id.in_(source_ids),
                    FacilityRecord.dataset.in_(datasets),
                    FacilityRecord.place_key.in_(keys),
                )
            )
        )
    ).all()
    by_source = {r.source_id: r for r in existing}
    touched: set[uuid.UUID] = set()
    now = datetime.now(UTC)

    written: list[FacilityRecord] = []
    for done, record in enumerate(records):
        await _writing(progress, done, len(records))
        stored = by_source.get(record.source_id)
        if stored is None:
            # Its facility is chosen below, with the others of its place (geo.identity).
            stored = FacilityRecord(id=uuid7(), source_id=record.source_id)
            summary.created += 1
        else:
            summary.updated += 1
            touched.add(stored.facility_id)
        _copy(record, stored, run_id)
        written.append(stored)

    present = set(source_ids)
    for stored in existing:
        if stored.dataset in datasets and stored.source_id not in present and stored.withdrawn_at is None:
            stored.withdrawn_at = now
            summary.withdrawn += 1
            touched.add(stored.facility_id)
    new = [r for r in written if r.facility_id is None]
    live = {r.id: r for r in [*existing, *written] if r.withdrawn_at is None}
    changed, facilities = _place(list(live.values()), towns)
    touched |= changed
    session.add_all(facilities)
    session.add_all(new)
    await session.flush()
    await _recompute(session, touched, towns, now)
    summary.outside_boundary = await _outside_boundary(session, facility_ids=touched)


def _rank(kinds: Iterable[str]) -> int:
    return min((_PREFERRED.index(k) for k in kinds if k in _PREFERRED), default=len(_PREFERRED))


def identity(record: FacilityRecord) -> Identity:
    lon, lat = _lonlat(record.geom)
    return Identity(
        source_id=record.source_id,
        dataset=record.dataset,
        place_key=record.place_key,
        name=record.name,
        address=record.address,
        lon=lon,
        lat=lat,
        same_address=says_same_address(record.attributes),
        rank=_rank(record.kinds),
    )


def _lonlat(geom: Any) -> tuple[float, float]:
    point = to_shape(geom)
    return point.x, point.y


def _place(records: list[FacilityRecord], towns: dict[str, uuid.UUID]) -> tuple[set[uuid.UUID], list[Facility]]:
    """Give each live record its facility: the records of one place (geo.identity.places) share
    one, the one most of them already have (the first record's, in the grouping order, when they
    disagree), so that the same records always keep the same facilities; a place none of whose
    records has a facility yet, or whose facility another place kept, gets a new one. Returns
    the facilities whose records changed, and the new ones."""
    by_id = {r.source_id: r for r in records}
    groups = places([identity(r) for r in records])
    taken: set[uuid.UUID] = set()
    changed: set[uuid.UUID] = set()
    created: list[Facility] = []
    for group in groups:
        members = [by_id[i.source_id] for i in group]
        held = [r.facility_id for r in members if r.facility_id is not None and r.facility_id not in taken]
        # The facility most of them hold; on a tie, the first record's (held keeps their order).
        chosen: uuid.UUID | None = max(held, key=held.count) if held else None
        if chosen is None:
            first = members[0]
            facility = Facility(
                id=uuid7(),
                municipality_id=towns[first.attributes["municipality"]],
                kinds=list(first.kinds),
                name=first.name,
                geom=first.geom,
            )
            chosen = facility.id
            created.append(facility)
        taken.add(chosen)
        for member in members:
            if member.facility_id != chosen:
                if member.facility_id is not None:
                    changed.add(member.facility_id)
                member.facility_id = chosen
                changed.add(chosen)
    return changed, created


def _point(record: Record) -> Any:
    return from_shape(Point(record.lon, record.lat), srid=4326)


def _copy(record: Record, stored: FacilityRecord, run_id: uuid.UUID) -> None:
    stored.dataset, stored.place_key = record.dataset, record.place_key
    stored.kinds, stored.suitable_hazards = list(record.kinds), list(record.suitable_hazards)
    stored.name, stored.name_kana, stored.name_en = record.name, record.name_kana, record.name_en
    stored.address, stored.geom = record.address, _point(record)
    stored.capacity, stored.capacity_text = record.capacity, record.capacity_text
    stored.target_groups, stored.target_other = list(record.target_groups), list(record.target_other)
    stored.attributes = {"line": record.line, "municipality": record.municipality, **record.attributes}
    stored.import_run_id, stored.withdrawn_at = run_id, None


async def _recompute(
    session: AsyncSession, facility_ids: set[uuid.UUID], towns: dict[str, uuid.UUID], now: datetime
) -> None:
    """A place is the union of its live records: designations, hazard flags, names, target groups,
    source ids; its name, address and point come from its preferred record. No live record:
    withdrawn."""
    if not facility_ids:
        return
    facilities = (await session.scalars(select(Facility).where(Facility.id.in_(facility_ids)))).all()
    rows = (
        await session.scalars(
            select(FacilityRecord)
            .where(FacilityRecord.facility_id.in_(facility_ids))
            .order_by(FacilityRecord.created_at, FacilityRecord.id)
        )
    ).all()
    by_facility: dict[uuid.UUID, list[FacilityRecord]] = {}
    for row in rows:
        by_facility.setdefault(row.facility_id, []).append(row)
    for facility in facilities:
        records = by_facility.get(facility.id, [])
        facility.source_ids = [r.source_id for r in records]
        live = [r for r in records if r.withdrawn_at is None]
        if not live:
            facility.withdrawn_at = facility.withdrawn_at or now
            continue
        live.sort(key=lambda r: _rank(r.kinds))
        kinds = {k for r in live for k in r.kinds}
        hazards = {h for r in live for h in r.suitable_hazards}
        targets = {g for r in live for g in r.target_groups}
        first = live[0]
        facility.kinds = [k for k in FACILITY_KINDS if k in kinds]
        facility.suitable_hazards = [h for h in HAZARD_TYPES if h in hazards]
        facility.target_groups = [g for g in TARGET_GROUPS if g in targets]
        facility.names = list(dict.fromkeys(r.name for r in live))
        facility.name = first.name
        facility.name_kana = next((r.name_kana for r in live if r.name_kana), None)
        facility.name_en = next((r.name_en for r in live if r.name_en), None)
        facility.address = next((r.address for r in live if r.address), None)
        facility.capacity = next((r.capacity for r in live if r.capacity is not None), None)
        facility.capacity_text = next((r.capacity_text for r in live if r.capacity_text), None)
        facility.municipality_id = towns.get(first.attributes.get("municipality", ""), facility.municipality_id)
        facility.geom = first.geom
        facility.withdrawn_at = None
    await session.flush()


async def _outside_boundary(
    session: AsyncSession, facility_ids: set[uuid.UUID] | None = None, municipality_ids: set[uuid.UUID] | None = None
) -> list[str]:
    """Source ids of live places lying outside their municipality's boundary (flagged, not moved)."""
    scope = (
        Facility.id.in_(facility_ids or ())
        if municipality_ids is None
        else Facility.municipality_id.in_(municipality_ids)
    )
    rows = await session.execute(
        select(func.array_to_string(Facility.source_ids, ","))
        .join(Municipality, Municipality.id == Facility.municipality_id)
        .where(
            scope,
            Facility.withdrawn_at.is_(None),
            Municipality.boundary.is_not(None),
            ~func.ST_Covers(Municipality.boundary, Facility.geom),
        )
    )
    return sorted(rows.scalars())


async def _apply_areas(
    session: AsyncSession,
    parsed: ParsedAreas,
    run_id: uuid.UUID,
    summary: FileSummary,
    options: Options,
    progress: Progress,
) -> None:
    if parsed.format in areas.BOUNDARY_FORMATS:
        await _apply_boundaries(session, parsed, summary, progress)
    else:
        await _apply_zones(session, parsed, run_id, summary, options, progress)


async def _apply_boundaries(
    session: AsyncSession, parsed: ParsedAreas, summary: FileSummary, progress: Progress
) -> None:
    """Each municipality's boundary and bbox replace the stored ones; its name follows the file, its
    kana and English name too when the file has them (N03 has none: the stored ones are kept)."""
    upsert = text(
        # Stored geometries are made valid (ST_MakeValid keeps every part of a self-intersecting
        # ring) and kept polygonal.
        """
        INSERT INTO municipality AS m (id, code, name, name_kana, name_en, prefecture, boundary, bbox)
        SELECT CAST(:id AS uuid), :code, :name, :name_kana, :name_en, :prefecture, g, ST_Envelope(g)
        FROM (SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_GeomFromWKB(:wkb, 4326)), 3)) AS g) made
        ON CONFLICT (code) DO UPDATE SET
            name = CASE WHEN :keep_name THEN m.name ELSE excluded.name END,
            prefecture = CASE WHEN :keep_name THEN m.prefecture ELSE excluded.prefecture END,
            name_kana = coalesce(excluded.name_kana, m.name_kana), name_en = coalesce(excluded.name_en, m.name_en),
            boundary = excluded.boundary, bbox = excluded.bbox, updated_at = now()
        RETURNING m.id, (xmax = 0) AS created
        """
    )
    ids = set()
    for done, record in enumerate(parsed.boundaries):
        progress(0.2 + 0.8 * done / len(parsed.boundaries))
        values = {
            "id": str(uuid7()),
            "code": record.code,
            "name": record.name,
            "name_kana": record.name_kana,
            "name_en": record.name_en,
            "prefecture": record.prefecture,
            "keep_name": record.keep_name,
        }
        row = (await session.execute(upsert, {**values, "wkb": record.geometry.wkb})).one()
        ids.add(row.id)
        summary.created += row.created
        summary.updated += not row.created
    summary.outside_boundary = await _outside_boundary(session, municipality_ids=ids)


async def _apply_zones(
    session: AsyncSession,
    parsed: ParsedAreas,
    run_id: uuid.UUID,
    summary: FileSummary,
    options: Options,
    progress: Progress,
) -> None:
    """A file's zones replace those of the previous import of the same source (its format and file
    name); zones have no dependants, so they are replaced, not withdrawn."""
    source = parsed.source or f"{parsed.format}:{parsed.file.replace(chr(92), '/').rsplit('/', 1)[-1]}"
    code = options.municipality or Context(parsed.file, None).from_name
    municipality_id = None
    if code:
        try:
            code = normalize(code)
        except InvalidCodeError:
            code = None
        municipality_id = await session.scalar(select(Municipality.id).where(Municipality.code == code))
    replaced = await session.execute(delete(HazardZone).where(HazardZone.source == source).returning(HazardZone.id))
    before = len(replaced.all())
    insert_zone = text(
        # As boundaries; a zone with no area left once valid is not stored, and reported.
        """
        INSERT INTO hazard_zone (id, hazard_type, rank_code, rank_label, depth_min_m, depth_max_m, geom, source,
                                 municipality_id, import_run_id, attributes)
        SELECT CAST(:id AS uuid), :hazard_type, :rank_code, :rank_label, CAST(:depth_min AS float8),
               CAST(:depth_max AS float8), g, :source, CAST(:municipality_id AS uuid), CAST(:run_id AS uuid),
               CAST(:attributes AS jsonb)
        FROM (SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_GeomFromWKB(:wkb, 4326)), 3)) AS g) made
        WHERE NOT ST_IsEmpty(g)
        """
    )
    rows = (
        {
            "id": str(uuid7()),
            "hazard_type": zone.hazard_type,
            "rank_code": zone.rank_code,
            "rank_label": zone.rank_label,
            "depth_min": zone.depth_min_m,
            "depth_max": zone.depth_max_m,
            "wkb": zone.geometry.wkb,
            "source": source,
            "municipality_id": None if municipality_id is None else str(municipality_id),
            "run_id": str(run_id),
            "attributes": json.dumps(zone.attributes, ensure_ascii=False, default=str),
        }
        for zone in parsed.zones
    )
    for start in range(0, len(parsed.zones), CHUNK):
        await _writing(progress, start, len(parsed.zones))
        await session.execute(insert_zone, list(itertools.islice(rows, CHUNK)))
    stored = set(
        (
            await session.scalars(
                select(HazardZone.attributes["feature"].as_integer()).where(HazardZone.import_run_id == run_id)
            )
        ).all()
    )
    empty = [z.index for z in parsed.zones if z.index not in stored]
    if empty:
        summary.notes.append(f"{len(empty)} features had no area once made valid and were skipped: {empty[:20]}")
    summary.updated = min(before, len(stored))
    summary.created = len(stored) - summary.updated
    summary.withdrawn = max(0, before - len(stored))
