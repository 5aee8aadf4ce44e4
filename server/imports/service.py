"""Importing facility files: each file in one transaction, all or nothing, recorded in import_run."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from geo.importers.base import FacilityRecord as Record
from geo.importers.base import ImportFailure, ParsedFile
from geo.importers.facilities import parse
from geo.kinds import FACILITY_KINDS, HAZARD_TYPES
from server.db.engine import session_factory
from server.facilities.models import Facility, FacilityRecord
from server.imports.models import ImportRun
from server.lib.ids import uuid7
from server.municipalities.models import Municipality

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
    seconds: float = 0.0
    run_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"


async def import_file(
    engine: AsyncEngine, file: str, data: bytes, *, format: str | None = None, municipality: str | None = None
) -> FileSummary:
    """Import one file. A file with any bad row changes nothing; the run is recorded either way."""
    started = time.perf_counter()
    sha256 = hashlib.sha256(data).hexdigest()
    async with session_factory(engine)() as session, session.begin():
        run = ImportRun(file_name=file, sha256=sha256, format=format)
        session.add(run)
    summary = FileSummary(file, format, "failed", run_id=str(run.id))
    try:
        parsed = parse(file, data, format=format, municipality=municipality)
    except ImportFailure as failure:
        summary.errors = [failure.as_dict()]
    else:
        summary.format, summary.read = parsed.format, parsed.rows
        if parsed.errors:
            summary.errors = [e.as_dict() for e in parsed.errors]
            summary.rejected = parsed.rows
        else:
            async with session_factory(engine)() as session, session.begin():
                await _apply(session, parsed, run.id, summary)
            summary.status = "succeeded"
    summary.seconds = round(time.perf_counter() - started, 3)
    async with session_factory(engine)() as session, session.begin():
        stored = await session.get_one(ImportRun, run.id)
        stored.format, stored.status, stored.errors = summary.format, summary.status, summary.errors
        stored.counts = {k: getattr(summary, k) for k in ("read", "created", "updated", "withdrawn", "rejected")}
        stored.finished_at = datetime.now(UTC)
    return summary


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


async def _apply(session: AsyncSession, parsed: ParsedFile, run_id: uuid.UUID, summary: FileSummary) -> None:
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
    place_of = {r.place_key: r.facility_id for r in existing if r.place_key and r.withdrawn_at is None}
    touched: set[uuid.UUID] = set()
    now = datetime.now(UTC)

    for record in records:
        stored = by_source.get(record.source_id)
        if stored is None:
            facility_id = place_of.get(record.place_key) if record.place_key else None
            if facility_id is None:
                facility = Facility(
                    id=uuid7(),
                    municipality_id=towns[record.municipality],
                    kinds=list(record.kinds),
                    name=record.name,
                    geom=_point(record),
                )
                session.add(facility)  # ids are made here (UUIDv7): no flush needed to refer to it
                facility_id = facility.id
            stored = FacilityRecord(source_id=record.source_id, facility_id=facility_id)
            session.add(stored)
            summary.created += 1
        else:
            summary.updated += 1
        _copy(record, stored, run_id)
        if record.place_key:
            place_of[record.place_key] = stored.facility_id
        touched.add(stored.facility_id)

    present = set(source_ids)
    for stored in existing:
        if stored.dataset in datasets and stored.source_id not in present and stored.withdrawn_at is None:
            stored.withdrawn_at = now
            summary.withdrawn += 1
            touched.add(stored.facility_id)
    await session.flush()
    await _recompute(session, touched, towns, now)
    summary.outside_boundary = await _outside_boundary(session, touched)


def _point(record: Record) -> Any:
    return from_shape(Point(record.lon, record.lat), srid=4326)


def _copy(record: Record, stored: FacilityRecord, run_id: uuid.UUID) -> None:
    stored.dataset, stored.place_key = record.dataset, record.place_key
    stored.kinds, stored.suitable_hazards = list(record.kinds), list(record.suitable_hazards)
    stored.name, stored.name_kana, stored.name_en = record.name, record.name_kana, record.name_en
    stored.address, stored.geom = record.address, _point(record)
    stored.capacity, stored.capacity_text = record.capacity, record.capacity_text
    stored.attributes = {"line": record.line, "municipality": record.municipality, **record.attributes}
    stored.import_run_id, stored.withdrawn_at = run_id, None


async def _recompute(
    session: AsyncSession, facility_ids: set[uuid.UUID], towns: dict[str, uuid.UUID], now: datetime
) -> None:
    """A place is the union of its live records: designations, hazard flags, source ids; its
    name, address and point come from its preferred record. No live record: withdrawn."""
    if not facility_ids:
        return
    facilities = (await session.scalars(select(Facility).where(Facility.id.in_(facility_ids)))).all()
    rows = (
        await session.scalars(
            select(FacilityRecord)
            .where(FacilityRecord.facility_id.in_(facility_ids))
            .order_by(FacilityRecord.created_at)
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
        live.sort(key=lambda r: min((_PREFERRED.index(k) for k in r.kinds if k in _PREFERRED), default=len(_PREFERRED)))
        kinds = {k for r in live for k in r.kinds}
        hazards = {h for r in live for h in r.suitable_hazards}
        first = live[0]
        facility.kinds = [k for k in FACILITY_KINDS if k in kinds]
        facility.suitable_hazards = [h for h in HAZARD_TYPES if h in hazards]
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


async def _outside_boundary(session: AsyncSession, facility_ids: set[uuid.UUID]) -> list[str]:
    """Source ids of places lying outside their municipality's boundary (flagged, not moved)."""
    if not facility_ids:
        return []
    rows = await session.execute(
        select(func.array_to_string(Facility.source_ids, ","))
        .join(Municipality, Municipality.id == Facility.municipality_id)
        .where(
            Facility.id.in_(facility_ids),
            Municipality.boundary.is_not(None),
            ~func.ST_Covers(Municipality.boundary, Facility.geom),
        )
    )
    return sorted(rows.scalars())
