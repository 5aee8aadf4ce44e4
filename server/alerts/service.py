"""The rules of push alerts: subscriptions (made by anyone, changed only with their token), alerts
stored from JMA messages (de-duplicated, corrected, withdrawn, lifted), and targeting in SQL:
the deliveries an alert makes, one row per subscription whose areas it touches."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
from cryptography.hazmat.primitives.asymmetric import ec
from geoalchemy2 import WKBElement
from sqlalchemy import Float, bindparam, column, delete, func, or_, select, text, true, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from geo.codes import InvalidCodeError, normalize
from server.alerts.jma import Draft, Message
from server.alerts.models import Alert, Delivery, PushSubscription
from server.alerts.schemas import (
    INTENSITIES,
    MAX_AREAS,
    AlertSummary,
    Area,
    BrowserSubscription,
    DeliveryCounts,
    SubscriptionChange,
    SubscriptionIn,
    SubscriptionOut,
)
from server.alerts.text import headlines
from server.lib.errors import ConflictError, InvalidParameterError, NotFoundError
from server.lib.keys import unb64
from server.municipalities.models import Municipality
from server.settings import PushSettings

ALL_KINDS = ["evacuation", "warning", "advisory", "landslide", "flood", "earthquake", "tsunami", "shelter"]
TOKEN_HEADER = "X-Push-Token"  # noqa: S105 - a header name
LOCAL_HOSTS = {"localhost"}


# ---------------------------------------------------------------- subscriptions


def _endpoint(url: str, settings: PushSettings, field: str) -> str:
    try:
        parts = msgspec.convert(url, str)
        from urllib.parse import urlsplit

        split = urlsplit(parts)
        split.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise InvalidParameterError(field, "is not a URL") from None
    host = split.hostname or ""
    if split.username or split.password or split.fragment:
        raise InvalidParameterError(field, "must be a plain https URL (no user, password or fragment)")
    if split.scheme == "https" and host:
        return url
    if split.scheme == "http" and settings.allow_http_localhost and _local(host):
        return url
    raise InvalidParameterError(field, "must be an https URL of a push service")


def _local(host: str) -> bool:
    if host in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _keys(subscription: BrowserSubscription) -> tuple[str, str]:
    try:
        public = unb64(subscription.keys.p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public)
    except ValueError:
        raise InvalidParameterError(
            "subscription.keys.p256dh", "must be a P-256 public key (65 bytes, base64url)"
        ) from None
    if len(public) != 65:
        raise InvalidParameterError("subscription.keys.p256dh", "must be a P-256 public key (65 bytes, base64url)")
    try:
        auth = unb64(subscription.keys.auth)
    except ValueError:
        auth = b""
    if len(auth) != 16:
        raise InvalidParameterError("subscription.keys.auth", "must be 16 bytes, base64url")
    return subscription.keys.p256dh.rstrip("="), subscription.keys.auth.rstrip("=")


def _areas(areas: list[Area]) -> tuple[list[dict[str, Any]], list[str], list[dict[str, float]]]:
    """The areas as stored, the municipality codes, and the circles (lon, lat, radius): up to
    MAX_AREAS chosen, and one "where I am"."""
    if sum(bool(a.here) for a in areas) > 1:
        raise InvalidParameterError("areas", "only one area may be 'where I am'")
    if sum(not a.here for a in areas) > MAX_AREAS:
        raise InvalidParameterError("areas", f"at most {MAX_AREAS} areas, and 'where I am'")
    stored: list[dict[str, Any]] = []
    codes: list[str] = []
    circles: list[dict[str, float]] = []
    for i, area in enumerate(areas):
        if area.municipality is not None:
            try:
                code = normalize(area.municipality, width=6)
            except InvalidCodeError as exc:
                raise InvalidParameterError(f"areas[{i}].municipality", str(exc)) from None
            codes.append(code)
            stored.append(msgspec.to_builtins(Area(municipality=code, label=area.label)))
        else:
            circles.append({"lon": area.lon or 0.0, "lat": area.lat or 0.0, "r": float(area.radius_m or 0)})
            stored.append(msgspec.to_builtins(area))
    return stored, sorted(set(codes)), circles


def _circles(circles: list[dict[str, float]]) -> Any:
    """The points' circles as one MultiPolygon, drawn in metres (geography) and kept as geometry
    so that one GiST index answers "which circles does this area touch"."""
    if not circles:
        return None
    points = (
        func.jsonb_to_recordset(bindparam("points", circles, type_=JSONB))
        .table_valued(column("lon", Float), column("lat", Float), column("r", Float))
        .render_derived(name="p", with_types=True)
    )
    point = func.ST_SetSRID(func.ST_MakePoint(points.c.lon, points.c.lat), 4326)
    circle = func.geometry(func.ST_Buffer(func.geography(point), points.c.r, "quad_segs=16"))
    return select(func.ST_Multi(func.ST_Union(circle))).select_from(points).scalar_subquery()


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True)
class Created:
    id: uuid.UUID
    token: str
    new: bool


async def subscribe(session: AsyncSession, data: SubscriptionIn, settings: PushSettings) -> Created:
    """Store a subscription and give its management token (once). The same browser subscribing
    again (same endpoint and auth secret: after reinstalling, or losing the token) gets the same
    id and a new token; another auth secret for a known endpoint is refused."""
    endpoint = _endpoint(data.subscription.endpoint, settings, "subscription.endpoint")
    p256dh, auth = _keys(data.subscription)
    stored, codes, circles = _areas(data.areas)
    token = secrets.token_urlsafe(32)
    values: dict[str, Any] = {
        "p256dh": p256dh,
        "auth": auth,
        "token_hash": _hash(token),
        "areas": stored,
        "municipalities": codes,
        "circles": _circles(circles),
        "languages": list(dict.fromkeys(data.languages)),
        "kinds": list(dict.fromkeys(data.kinds)) if data.kinds is not None else ALL_KINDS,
        "min_intensity": INTENSITIES.index(data.min_intensity) + 1,
    }
    existing = await session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if existing is not None:
        if not hmac.compare_digest(existing.auth.encode(), auth.encode()):
            raise ConflictError("subscription.endpoint: already subscribed with another key")
        await session.execute(update(PushSubscription).where(PushSubscription.id == existing.id).values(**values))
        return Created(existing.id, token, new=False)
    new_id = await session.scalar(
        insert(PushSubscription).values(endpoint=endpoint, **values).returning(PushSubscription.id)
    )
    return Created(uuid.UUID(str(new_id)), token, new=True)


async def _owned(session: AsyncSession, subscription_id: str, token: str | None) -> PushSubscription:
    """The subscription, only for whoever holds its token: an unknown id and a wrong token are
    the same 404, so ids found elsewhere tell an attacker nothing."""
    if not token:
        raise InvalidParameterError(TOKEN_HEADER, "the header is required (the token given when subscribing)")
    try:
        key = uuid.UUID(subscription_id)
    except ValueError:
        raise NotFoundError("no such subscription") from None
    found = await session.scalar(select(PushSubscription).where(PushSubscription.id == key).with_for_update())
    if found is None or not hmac.compare_digest(found.token_hash, _hash(token)):
        raise NotFoundError("no such subscription (or not yours)")
    return found


async def change(
    session: AsyncSession, subscription_id: str, token: str | None, data: SubscriptionChange, settings: PushSettings
) -> SubscriptionOut:
    found = await _owned(session, subscription_id, token)
    values: dict[str, Any] = {}
    if data.subscription is not None:
        values["endpoint"] = _endpoint(data.subscription.endpoint, settings, "subscription.endpoint")
        values["p256dh"], values["auth"] = _keys(data.subscription)
        other = await session.scalar(
            select(PushSubscription.id).where(
                PushSubscription.endpoint == values["endpoint"], PushSubscription.id != found.id
            )
        )
        if other is not None:
            raise ConflictError("subscription.endpoint: another subscription has this endpoint")
    if data.areas is not None:
        values["areas"], values["municipalities"], circles = _areas(data.areas)
        values["circles"] = _circles(circles)
    if data.languages is not None:
        values["languages"] = list(dict.fromkeys(data.languages))
    if data.kinds is not None:
        values["kinds"] = list(dict.fromkeys(data.kinds))
    if data.min_intensity is not None:
        values["min_intensity"] = INTENSITIES.index(data.min_intensity) + 1
    if values:
        await session.execute(update(PushSubscription).where(PushSubscription.id == found.id).values(**values))
        await session.refresh(found)
    return describe(found)


async def unsubscribe(session: AsyncSession, subscription_id: str, token: str | None) -> None:
    found = await _owned(session, subscription_id, token)
    await session.execute(delete(PushSubscription).where(PushSubscription.id == found.id))
    # Its deliveries stay, for the alerts' counts, but no longer name it.
    await session.execute(update(Delivery).where(Delivery.subscription_id == found.id).values(subscription_id=None))


async def read(session: AsyncSession, subscription_id: str, token: str | None) -> SubscriptionOut:
    return describe(await _owned(session, subscription_id, token))


def describe(found: PushSubscription) -> SubscriptionOut:
    return SubscriptionOut(
        id=str(found.id),
        areas=msgspec.convert(found.areas, list[Area]),
        languages=msgspec.convert(found.languages, list[Any]),
        kinds=msgspec.convert(found.kinds, list[Any]),
        min_intensity=msgspec.convert(INTENSITIES[found.min_intensity - 1], Any),
        family=found.account_id is not None,
    )


async def link_family(
    session: AsyncSession, subscription_id: str, token: str | None, account_id: uuid.UUID | None
) -> SubscriptionOut:
    """Receive (an account) or stop receiving (None) the family news of the signed-in resident on
    this browser: it takes both the subscription's token and the resident's session, so that
    nobody links a browser of theirs to someone else's news."""
    found = await _owned(session, subscription_id, token)
    await session.execute(update(PushSubscription).where(PushSubscription.id == found.id).values(account_id=account_id))
    await session.refresh(found)
    return describe(found)


# ---------------------------------------------------------------- alerts


@dataclass(frozen=True)
class Stored:
    """What storing one draft did: ``outcome`` is created, unchanged, corrected, withdrawn or lifted."""

    alert_id: uuid.UUID
    kind: str
    name: str
    municipalities: list[str]
    outcome: str
    deliveries: int = 0


async def _names(session: AsyncSession, codes: list[str]) -> tuple[list[str], list[str]]:
    rows = dict(
        (
            await session.execute(
                select(Municipality.code, func.coalesce(Municipality.name_en, Municipality.name)).where(
                    Municipality.code.in_(codes)
                )
            )
        ).all()
    )
    ja_rows = dict(
        (await session.execute(select(Municipality.code, Municipality.name).where(Municipality.code.in_(codes)))).all()
    )
    return [ja_rows.get(c, c) for c in codes], [rows.get(c, c) for c in codes]


def _area(codes: list[str]) -> Any:
    return (
        select(func.ST_Multi(func.ST_Union(Municipality.boundary)))
        .where(Municipality.code.in_(codes), Municipality.boundary.is_not(None))
        .scalar_subquery()
    )


async def _values(session: AsyncSession, message: Message, draft: Draft) -> dict[str, Any]:
    places, places_en = await _names(session, draft.municipalities)
    return {
        "kind": draft.kind,
        "level": draft.level,
        "hazard": draft.hazard,
        "action": draft.action,
        "status": message.status,
        "name": draft.name,
        "intensity": draft.intensity,
        "headline": headlines(
            kind=draft.kind,
            name=draft.name,
            hazard=draft.hazard,
            level=draft.level,
            action=draft.action,
            status=message.status,
            places=places,
            places_en=places_en,
            intensity=draft.intensity,
        ),
        "details": {**draft.details, "type": message.type, "office": message.office, "text": message.headline},
        "municipalities": draft.municipalities,
        "area": _area(draft.municipalities),
        "issued_at": message.report_at,
        "expires_at": message.expires_at,
        "message_at": message.message_at,
    }


async def store(session: AsyncSession, message: Message) -> list[Stored]:
    """Apply one JMA message: 発表 adds its alerts (again: nothing), 訂正 updates the alerts of the
    report it corrects, 取消 withdraws them. Lifting (解除) takes the municipalities off the alerts
    that issued that kind there. Deliveries are made for what is new, where it is new."""
    prefix = f"{message.source}:{message.report_id}#"
    if message.info_type == "取消":
        withdrawn = (
            await session.scalars(
                update(Alert)
                .where(Alert.source_id.startswith(prefix, autoescape=True), Alert.cancelled_at.is_(None))
                .values(cancelled_at=message.message_at, message_at=message.message_at)
                .returning(Alert)
            )
        ).all()
        return [Stored(a.id, a.kind, a.name, a.municipalities, "withdrawn") for a in withdrawn]
    results: list[Stored] = []
    seen: set[str] = set()
    for draft in message.drafts:
        source_id = message.source_id(draft)
        seen.add(source_id)
        values = await _values(session, message, draft)
        existing = await session.scalar(select(Alert).where(Alert.source_id == source_id).with_for_update())
        before: tuple[list[str], WKBElement | None] = ([], None)
        if existing is None:
            alert_id = await session.scalar(
                insert(Alert)
                .values(source=message.source, source_id=source_id, **values)
                .on_conflict_do_nothing(index_elements=["source_id"])
                .returning(Alert.id)
            )
            if alert_id is None:  # imported at the same moment by another process
                continue
            if draft.action == "cancel":
                await _lift(session, alert_id, message, draft)
            outcome = "created"
        elif message.info_type == "訂正" and message.message_at > existing.message_at:
            alert_id = existing.id
            before = (list(existing.municipalities), existing.area)
            await session.execute(update(Alert).where(Alert.id == alert_id).values(**values, cancelled_at=None))
            outcome = "corrected"
        else:
            results.append(Stored(existing.id, existing.kind, existing.name, existing.municipalities, "unchanged"))
            continue
        queued = await target(session, alert_id, before)
        results.append(Stored(alert_id, draft.kind, draft.name, draft.municipalities, outcome, queued))
    if message.info_type == "訂正":
        # What the corrected report no longer says is withdrawn.
        dropped = (
            await session.scalars(
                update(Alert)
                .where(
                    Alert.source_id.startswith(prefix, autoescape=True),
                    Alert.source_id.not_in(seen),
                    Alert.cancelled_at.is_(None),
                )
                .values(cancelled_at=message.message_at, message_at=message.message_at)
                .returning(Alert)
            )
        ).all()
        results += [Stored(a.id, a.kind, a.name, a.municipalities, "withdrawn") for a in dropped]
    return results


async def _lift(session: AsyncSession, alert_id: uuid.UUID, message: Message, draft: Draft) -> None:
    """A 解除 takes its municipalities off the alerts in force that issued the same thing there;
    an alert left with none is over."""
    earlier = (
        await session.scalars(
            select(Alert)
            .where(
                Alert.source == message.source,
                Alert.action == "issue",
                Alert.kind == draft.kind,
                Alert.hazard == draft.hazard,
                Alert.status == message.status,
                Alert.cancelled_at.is_(None),
                Alert.municipalities.overlap(draft.municipalities),
                Alert.issued_at <= message.report_at,
                # A river's lifting lifts that river's information only.
                Alert.details["riverCode"].astext == draft.details["riverCode"]
                if "riverCode" in draft.details
                else true(),
            )
            .order_by(Alert.issued_at.desc())
            .with_for_update()
        )
    ).all()
    for alert in earlier:
        left = [m for m in alert.municipalities if m not in draft.municipalities]
        await session.execute(
            update(Alert)
            .where(Alert.id == alert.id)
            .values(municipalities=left, cancelled_at=None if left else message.message_at)
        )
    # The lifting reaches only those the lifted alerts reached (TARGET reads details.lifts).
    await session.execute(
        update(Alert)
        .where(Alert.id == alert_id)
        .values(
            replaces_id=earlier[0].id if earlier else None,
            details=Alert.details.op("||")(bindparam("lifts", {"lifts": [str(a.id) for a in earlier]}, type_=JSONB)),
        )
    )


#: The subscriptions an alert reaches: its kind, its intensity, its area (an exercise or a test
#: reaches nobody). A correction passes the area it had (``before_*``), and reaches only those
#: outside it: the others were queued when it was first issued.
REACHED = """
    SELECT s.id
    FROM alert a
    JOIN push_subscription s ON a.kind = ANY (s.kinds)
        AND (a.intensity IS NULL OR a.intensity >= s.min_intensity)
        AND (s.municipalities && a.municipalities
             OR (a.area IS NOT NULL AND s.circles IS NOT NULL AND ST_Intersects(s.circles, a.area)))
    WHERE a.id = :alert AND a.status = 'actual' AND a.cancelled_at IS NULL
        AND NOT (s.municipalities && CAST(:before_municipalities AS varchar[])
                 OR (CAST(:before_area AS geometry) IS NOT NULL AND s.circles IS NOT NULL
                     AND ST_Intersects(s.circles, CAST(:before_area AS geometry))))
        -- A lifting (解除) tells only those who were told of what it lifts.
        AND (a.action = 'issue' OR EXISTS (
            SELECT 1 FROM delivery d
            WHERE d.subscription_id = s.id AND d.state IN ('queued', 'sent')
              AND d.alert_id::text IN (SELECT jsonb_array_elements_text(a.details -> 'lifts'))))
"""


async def target(
    session: AsyncSession, alert_id: uuid.UUID, before: tuple[list[str], WKBElement | None] = ([], None)
) -> int:
    """Queue the alert for every subscription it reaches (``before``: the municipalities and area
    it had before a correction, reached then). The jobs carry the subscriptions; the worker makes
    each delivery row, unique per alert and subscription, as it takes them. How many were queued."""
    from server.alerts.queue import enqueue_packed, packed  # the queue library only where jobs are made

    jobs = (
        await session.execute(
            text(packed(REACHED)),
            {"alert": alert_id, "before_municipalities": before[0], "before_area": before[1]},
        )
    ).all()
    reached = sum(size for _, size in jobs)
    if reached:
        await enqueue_packed(session, [payload for payload, _ in jobs])
        await session.execute(update(Alert).where(Alert.id == alert_id).values(targeted=Alert.targeted + reached))
    return int(reached)


async def counts(session: AsyncSession, alert_id: uuid.UUID) -> DeliveryCounts:
    states = dict(
        (
            await session.execute(
                select(Delivery.state, func.count()).where(Delivery.alert_id == alert_id).group_by(Delivery.state)
            )
        ).all()
    )
    targeted = await session.scalar(select(Alert.targeted).where(Alert.id == alert_id)) or 0
    # Jobs not yet taken have no rows: they are waiting too.
    states["queued"] = states.get("queued", 0) + max(0, targeted - sum(states.values()))
    return msgspec.convert(states, DeliveryCounts)


def summary(alert: Alert, language: str = "ja") -> AlertSummary:
    return AlertSummary(
        id=str(alert.id),
        kind=msgspec.convert(alert.kind, Any),
        level=alert.level,
        headline=alert.headline.get(language) or alert.headline["ja"],
        status=msgspec.convert(alert.status, Any),
        municipalities=list(alert.municipalities),
        issued_at=alert.issued_at,
        expires_at=alert.expires_at,
        source=msgspec.convert(alert.source, Any),
        action=msgspec.convert(alert.action, Any),
        cancelled=alert.cancelled_at is not None,
    )


async def listing(
    session: AsyncSession,
    municipality: str | None,
    since: datetime | None,
    near: tuple[float, float, int] | None = None,
    limit: int = 100,
) -> list[AlertSummary]:
    """Alerts for residents, newest first: never exercises or tests. ``near`` (lat, lon, radius):
    those whose area reaches the circle, as a My Areas point is reached by push (an alert without
    an area: its municipalities', where the point lies)."""
    query = select(Alert).where(Alert.status == "actual").order_by(Alert.issued_at.desc()).limit(limit)
    if municipality is not None:
        query = query.where(Alert.municipalities.overlap([municipality]))
    if near is not None:
        lat, lon, radius = near
        point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
        towns = select(Municipality.code).where(func.ST_Intersects(Municipality.boundary, point))
        query = query.where(
            or_(
                func.ST_DWithin(func.geography(Alert.area), func.geography(point), radius),
                Alert.area.is_(None) & Alert.municipalities.overlap(func.array(towns.scalar_subquery())),
            )
        )
    if since is not None:
        query = query.where(Alert.issued_at >= since)
    return [summary(a) for a in (await session.scalars(query)).all()]


async def get(session: AsyncSession, alert_id: str) -> Alert:
    try:
        key = uuid.UUID(alert_id)
    except ValueError:
        raise NotFoundError("no such alert") from None
    found = await session.get(Alert, key)
    if found is None:
        raise NotFoundError("no such alert")
    return found


def now() -> datetime:
    return datetime.now(UTC)
