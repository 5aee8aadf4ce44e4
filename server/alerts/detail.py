"""One alert as the resident's inbox shows it: everything the summary has, plus the area to draw,
the shelters headquarters named and their free text (kept apart from the generated text, so the
app can mark it as written by people and never pass it off as a translation)."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.alerts.models import Alert
from server.alerts.schemas import AlertDetail, AlertShelter
from server.alerts.service import _names, summary
from server.facilities.models import Facility

# About 50 m at Japan's latitudes: enough for a phone's small map, and a municipality's outline
# stays a few kilobytes.
SIMPLIFY_DEGREES = 0.0005


async def detail(session: AsyncSession, alert: Alert) -> AlertDetail:
    area: dict[str, Any] | None = None
    bbox: list[float] | None = None
    if alert.area is not None:
        simplified = func.ST_SimplifyPreserveTopology(Alert.area, SIMPLIFY_DEGREES)
        row = (
            await session.execute(
                select(
                    func.ST_AsGeoJSON(simplified, 5),
                    func.ST_XMin(Alert.area),
                    func.ST_YMin(Alert.area),
                    func.ST_XMax(Alert.area),
                    func.ST_YMax(Alert.area),
                ).where(Alert.id == alert.id)
            )
        ).one()
        area = msgspec.json.decode(row[0])
        bbox = [round(float(v), 5) for v in row[1:]]
    details = alert.details or {}
    shelters: list[AlertShelter] = []
    ids = []
    for raw in details.get("shelters") or []:
        try:
            ids.append(uuid.UUID(str(raw)))
        except ValueError:
            continue
    if ids:
        rows = await session.execute(
            select(
                Facility.id, Facility.name, Facility.name_en, func.ST_Y(Facility.geom), func.ST_X(Facility.geom)
            ).where(Facility.id.in_(ids))
        )
        found = {r[0]: r for r in rows.all()}
        shelters = [
            AlertShelter(id=str(i), name=found[i][1], name_en=found[i][2], lat=found[i][3], lon=found[i][4])
            for i in ids
            if i in found
        ]
    names, names_en = await _names(session, list(alert.municipalities))
    base = msgspec.structs.asdict(summary(alert))
    return AlertDetail(
        **base,
        headlines=dict(alert.headline),
        hazard=alert.hazard,
        name=alert.name,
        intensity=alert.intensity,
        municipality_names=names,
        municipality_names_en=names_en,
        area=area,
        bbox=bbox,
        shelters=shelters,
        reason=details.get("reason") or None,
        instructions=details.get("instructions") or None,
    )
