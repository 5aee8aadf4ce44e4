"""Evacuation information from headquarters (高齢者等避難, 避難指示, 緊急安全確保 and 解除) for whole
municipalities, a polygon drawn on the map or a circle. Municipal headquarters order for their
own municipality only; prefectural headquarters anywhere. A dry run answers how many
subscriptions the order would reach and stores nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import shapely
from shapely.geometry import shape
from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from geo.codes import InvalidCodeError, normalize
from server.accounts.service import Principal
from server.alerts.models import Alert
from server.alerts.schemas import EvacuationOrderIn, EvacuationOrderOut
from server.alerts.service import _names, get, target
from server.alerts.text import headlines
from server.lib.errors import ConflictError, ForbiddenError, InvalidParameterError
from server.lib.ids import uuid7
from server.municipalities.models import Municipality

NAMES = {3: "高齢者等避難", 4: "避難指示", 5: "緊急安全確保"}

COUNT = text(
    """
    SELECT count(*) FROM alert a
    JOIN push_subscription s ON a.kind = ANY (s.kinds)
        AND (s.municipalities && a.municipalities
             OR (a.area IS NOT NULL AND s.circles IS NOT NULL AND ST_Intersects(s.circles, a.area)))
    WHERE a.id = :alert AND a.status = 'actual' AND a.cancelled_at IS NULL
        AND (a.action = 'issue' OR EXISTS (
            SELECT 1 FROM delivery d
            WHERE d.subscription_id = s.id
              AND d.alert_id::text IN (SELECT jsonb_array_elements_text(a.details -> 'lifts'))))
    """
)
CIRCLE = text(
    "SELECT ST_AsText(ST_Multi(geometry(ST_Buffer(geography(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)), :r, "
    "'quad_segs=16'))))"
)
TOUCHED = text(
    "SELECT code FROM municipality WHERE boundary IS NOT NULL AND ST_Intersects(boundary, ST_GeomFromText(:wkt, 4326)) "
    "AND NOT ST_Touches(boundary, ST_GeomFromText(:wkt, 4326)) ORDER BY code"
)


def _polygon(data: EvacuationOrderIn) -> str:
    try:
        drawn = shape(msgspec_builtins(data.polygon))
    except (ValueError, TypeError, shapely.errors.ShapelyError):
        raise InvalidParameterError("polygon", "is not a polygon") from None
    if not drawn.is_valid:
        drawn = shapely.make_valid(drawn)
    polygons = [g for g in getattr(drawn, "geoms", [drawn]) if g.geom_type in ("Polygon", "MultiPolygon")]
    area = shapely.unary_union(polygons) if polygons else None
    if area is None or area.is_empty or area.area <= 0:
        raise InvalidParameterError("polygon", "encloses no area")
    minx, miny, maxx, maxy = area.bounds
    if minx < 122 or maxx > 154 or miny < 20 or maxy > 46:
        raise InvalidParameterError("polygon", "must lie in Japan (lon 122–154, lat 20–46)")
    return str(shapely.to_wkt(shapely.multipolygons([area]) if area.geom_type == "Polygon" else area))


def msgspec_builtins(value: object) -> Any:
    import msgspec

    return msgspec.to_builtins(value)


async def _where(session: AsyncSession, data: EvacuationOrderIn) -> tuple[list[str], str | None]:
    """The municipalities and the area (WKT, None when no boundary is known) an order covers."""
    given = [x for x in (data.municipalities, data.polygon, data.circle) if x is not None]
    if len(given) != 1:
        raise InvalidParameterError("municipalities", "give exactly one of municipalities, polygon or circle")
    if data.municipalities is not None:
        codes = []
        for i, raw in enumerate(data.municipalities):
            try:
                codes.append(normalize(raw, width=6))
            except InvalidCodeError as exc:
                raise InvalidParameterError(f"municipalities[{i}]", str(exc)) from None
        codes = sorted(set(codes))
        wkt = await session.scalar(
            select(func.ST_AsText(func.ST_Multi(func.ST_Union(Municipality.boundary)))).where(
                Municipality.code.in_(codes), Municipality.boundary.is_not(None)
            )
        )
        return codes, wkt
    if data.circle is not None:
        wkt = await session.scalar(CIRCLE, {"lon": data.circle.lon, "lat": data.circle.lat, "r": data.circle.radius_m})
    else:
        wkt = _polygon(data)
    codes = list((await session.scalars(TOUCHED, {"wkt": wkt})).all())
    if not codes:
        raise InvalidParameterError(
            "polygon" if data.polygon else "circle", "touches no municipality whose boundary is known"
        )
    return codes, wkt


def _may_order(caller: Principal, codes: list[str]) -> None:
    if "prefectural_hq" in caller.roles:
        return
    outside = sorted(set(codes) - caller.municipalities("municipal_hq"))
    if outside:
        raise ForbiddenError(f"municipal headquarters order for their own municipality only (not {', '.join(outside)})")


async def order(session: AsyncSession, caller: Principal, data: EvacuationOrderIn) -> EvacuationOrderOut:
    now = datetime.now(UTC)
    replaces = None
    if data.cancels is not None:
        earlier = await get(session, data.cancels)
        if earlier.source != "hq" or earlier.kind != "evacuation" or earlier.action != "issue":
            raise InvalidParameterError("cancels", "is not an evacuation order from headquarters")
        if earlier.cancelled_at is not None:
            raise ConflictError("cancels: that order was already lifted")
        _may_order(caller, earlier.municipalities)
        codes, level, hazard, action = list(earlier.municipalities), earlier.level, earlier.hazard, "cancel"
        area: Any = select(Alert.area).where(Alert.id == earlier.id).scalar_subquery()
        replaces = earlier.id
    else:
        if data.level is None:
            raise InvalidParameterError("level", "is required (3, 4 or 5), or give cancels")
        codes, wkt = await _where(session, data)
        _may_order(caller, codes)
        level, hazard, action = data.level, data.hazard, "issue"
        area = func.ST_Multi(func.ST_GeomFromText(wkt, 4326)) if wkt else None
    name = NAMES[level or 4]
    places, places_en = await _names(session, codes)
    status = "exercise" if data.exercise else "actual"
    values = {
        "source": "hq",
        "source_id": f"hq:{uuid7()}",
        "kind": "evacuation",
        "level": level,
        "hazard": hazard,
        "action": action,
        "status": status,
        "name": name,
        "headline": headlines(
            kind="evacuation",
            name=name,
            hazard=hazard,
            level=level,
            action=action,
            status=status,
            places=places,
            places_en=places_en,
        ),
        # Free text is shown as written, and marked so.
        "details": {
            "reason": data.reason,
            "instructions": data.instructions,
            "shelters": data.shelters,
            "freeText": bool(data.reason or data.instructions),
            "issuedBy": str(caller.account_id),
            "lifts": [str(replaces)] if replaces else [],
        },
        "municipalities": codes,
        "area": area,
        "issued_at": now,
        "expires_at": now + timedelta(hours=data.expires_in_hours),
        "message_at": now,
        "replaces_id": replaces,
    }
    if data.dry_run:
        nested = await session.begin_nested()
        alert_id = await session.scalar(insert(Alert).values(**values).returning(Alert.id))
        reached = int(await session.scalar(COUNT, {"alert": alert_id}) or 0)
        await nested.rollback()
        return EvacuationOrderOut(id=None, reached=reached, municipalities=codes, dry_run=True)
    alert_id = await session.scalar(insert(Alert).values(**values).returning(Alert.id))
    if replaces is not None:
        await session.execute(update(Alert).where(Alert.id == replaces).values(cancelled_at=now))
    queued = await target(session, uuid.UUID(str(alert_id)))
    return EvacuationOrderOut(id=str(alert_id), reached=queued, municipalities=codes, dry_run=False)
