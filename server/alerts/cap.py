"""CAP 1.2 (OASIS Common Alerting Protocol) out and in: every alert as a CAP message (one ``info``
per language: ja, en and やさしい日本語 as ``ja-x-easy``), an Atom feed of them for signage, relays
and other municipalities' systems, and CAP messages read into alerts like JMA's.

Mapping (both ways): status Actual/Exercise/Test; an alert lifting another (解除) is an ``Update``
with responseType ``AllClear`` that references it; an alert withdrawn or over is a ``Cancel``;
municipalities are ``geocode`` ``JISX0402`` (the 5-digit code); the alert's structure rides in
``eventCode``/``parameter`` named ``bosai:…`` so that a Bosai reading another Bosai's CAP gets the
same kind and level back."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Final
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, SubElement, register_namespace, tostring

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from geo.codes import InvalidCodeError
from server.alerts.areas import from_jis5
from server.alerts.jma import Draft as AlertDraft
from server.alerts.jma import JmaError, Message
from server.alerts.models import KINDS, Alert
from server.alerts.text import HAZARD_EN
from server.municipalities.models import Municipality

CAP_NS: Final = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS: Final = "http://www.w3.org/2005/Atom"
CAP_TYPE: Final = "application/cap+xml"
JST: Final = timezone(timedelta(hours=9))
register_namespace("cap", CAP_NS)
register_namespace("atom", ATOM_NS)
STATUS_OUT: Final = {"actual": "Actual", "exercise": "Exercise", "test": "Test"}
STATUS_IN: Final = {"Actual": "actual", "Exercise": "exercise", "Test": "test"}
LANGUAGES_OUT: Final = {"ja": "ja", "en": "en", "ja-easy": "ja-x-easy"}
CATEGORY: Final = {
    "earthquake": "Geo",
    "tsunami": "Geo",
    "landslide": "Geo",
    "evacuation": "Safety",
    "shelter": "Safety",
}
# A CAP message without Bosai's own eventCode: its kind guessed from its category.
KIND_OF_CATEGORY: Final = {"Met": "warning", "Geo": "earthquake", "Safety": "evacuation", "Env": "warning"}
# Polygons are simplified to about 50 m: a municipality's exact boundary would make megabytes.
SIMPLIFY_DEG: Final = 0.0005
MAX_CAP_BYTES: Final = 4 * 1024 * 1024


def _time(value: datetime) -> str:
    # CAP's pattern wants a numeric offset (no "Z"): Japan's time, as JMA writes it.
    return value.astimezone(JST).strftime("%Y-%m-%dT%H:%M:%S+09:00")


def _severity(alert: Alert) -> str:
    if alert.action == "cancel":
        return "Minor"
    if alert.kind == "tsunami":
        return {"大津波警報": "Extreme", "津波警報": "Severe"}.get(alert.name, "Moderate")
    if alert.kind == "earthquake" and alert.intensity is not None:
        return "Extreme" if alert.intensity >= 7 else "Severe" if alert.intensity >= 5 else "Moderate"
    if alert.level is not None:
        return {5: "Extreme", 4: "Severe", 3: "Moderate"}.get(alert.level, "Minor")
    return "Minor" if alert.kind in ("advisory", "shelter") else "Unknown"


def _urgency(alert: Alert) -> str:
    if alert.action == "cancel":
        return "Past"
    if alert.kind in ("earthquake", "tsunami", "evacuation") or (alert.level or 0) >= 4:
        return "Immediate"
    return "Expected"


def _response(alert: Alert) -> str:
    if alert.action == "cancel":
        return "AllClear"
    if alert.kind == "evacuation" or alert.kind == "tsunami":
        return "Evacuate"
    if alert.kind == "shelter":
        return "Shelter"
    return "Prepare" if (alert.level or 0) >= 3 else "Monitor"


def _event_en(alert: Alert) -> str:
    if alert.kind == "shelter":
        return "Shelter opened"
    if alert.kind == "evacuation":
        return {3: "Elderly and others evacuate", 4: "Evacuation order", 5: "Emergency safety"}.get(
            alert.level or 4, "Evacuation"
        )
    return f"{HAZARD_EN.get(alert.hazard, alert.hazard.replace('_', ' ').capitalize())} {alert.kind}"


def _sender(base_url: str) -> str:
    return f"bosai@{urlsplit(base_url).hostname or 'localhost'}"


def _identifier(alert: Alert, suffix: str = "") -> str:
    return f"urn:uuid:{alert.id}{suffix}"


def _value(parent: Element, tag: str, name: str, value: str) -> None:
    pair = SubElement(parent, f"{{{CAP_NS}}}{tag}")
    SubElement(pair, f"{{{CAP_NS}}}valueName").text = name
    SubElement(pair, f"{{{CAP_NS}}}value").text = value


def _ring(coordinates: list[list[float]]) -> str:
    return " ".join(f"{lat:.5f},{lon:.5f}" for lon, lat in coordinates)


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    name_en: str


@dataclass
class Exported:
    """An alert with what its CAP needs that is not on the row: its area's polygons (GeoJSON,
    simplified), the names of its municipalities and the alert it lifts."""

    alert: Alert
    polygons: list[list[list[float]]]
    places: list[Place]
    lifts: Alert | None


async def exported(session: AsyncSession, alerts: list[Alert]) -> list[Exported]:
    ids = [a.id for a in alerts]
    shapes: dict[uuid.UUID, str | None] = dict(
        (
            await session.execute(
                select(
                    Alert.id, func.ST_AsGeoJSON(func.ST_SimplifyPreserveTopology(Alert.area, SIMPLIFY_DEG), 5)
                ).where(Alert.id.in_(ids), Alert.area.is_not(None))
            )
        ).all()
    )
    codes = sorted({c for a in alerts for c in a.municipalities})
    names = {
        code: Place(code, name, name_en or name)
        for code, name, name_en in (
            await session.execute(
                select(Municipality.code, Municipality.name, Municipality.name_en).where(Municipality.code.in_(codes))
            )
        ).all()
    }
    lifted_ids = [a.replaces_id for a in alerts if a.replaces_id is not None]
    lifted = {a.id: a for a in (await session.scalars(select(Alert).where(Alert.id.in_(lifted_ids)))).all()}
    found = []
    for alert in alerts:
        polygons: list[list[list[float]]] = []
        shape = shapes.get(alert.id)
        if shape:
            geometry = json.loads(shape)
            parts = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
            polygons = [part[0] for part in parts if part and len(part[0]) >= 4]
        places = [names.get(c, Place(c, c, c)) for c in alert.municipalities]
        found.append(Exported(alert, polygons, places, lifted.get(alert.replaces_id) if alert.replaces_id else None))
    return found


def cap_element(item: Exported, base_url: str) -> Element:
    """One alert as a CAP ``alert`` element."""
    alert = item.alert
    sender = _sender(base_url)
    root = Element(f"{{{CAP_NS}}}alert")

    def add(parent: Element, tag: str, text: str) -> Element:
        element = SubElement(parent, f"{{{CAP_NS}}}{tag}")
        element.text = text
        return element

    withdrawn = alert.cancelled_at is not None and alert.action == "issue"
    add(root, "identifier", _identifier(alert, "-cancel" if withdrawn else ""))
    add(root, "sender", sender)
    add(root, "sent", _time(alert.cancelled_at if withdrawn and alert.cancelled_at else alert.issued_at))
    add(root, "status", STATUS_OUT[alert.status])
    if withdrawn:
        msg_type, references = "Cancel", [alert]
    elif alert.action == "cancel" and item.lifts is not None:
        msg_type, references = "Update", [item.lifts]
    else:
        msg_type, references = "Alert", []
    add(root, "msgType", msg_type)
    add(root, "source", {"jma": "気象庁 (JMA)", "hq": "災害対策本部", "cap": "CAP"}.get(alert.source, alert.source))
    add(root, "scope", "Public")
    if alert.details.get("freeText"):
        add(root, "note", "description and instruction are headquarters' own words, as written")
    if references:
        add(root, "references", " ".join(f"{sender},{_identifier(r)},{_time(r.issued_at)}" for r in references))
    for language, cap_language in LANGUAGES_OUT.items():
        headline = alert.headline.get(language)
        if not headline:
            continue
        info = SubElement(root, f"{{{CAP_NS}}}info")
        add(info, "language", cap_language)
        add(info, "category", CATEGORY.get(alert.kind, "Met"))
        add(info, "event", alert.name if language != "en" else _event_en(alert))
        add(info, "responseType", _response(alert))
        add(info, "urgency", "Past" if withdrawn else _urgency(alert))
        add(info, "severity", _severity(alert))
        add(info, "certainty", "Observed" if alert.kind in ("earthquake", "evacuation", "shelter") else "Likely")
        _value(info, "eventCode", "bosai:kind", alert.kind)
        _value(info, "eventCode", "bosai:hazard", alert.hazard)
        add(info, "effective", _time(alert.issued_at))
        add(info, "expires", _time(alert.expires_at))
        office = alert.details.get("office")
        add(info, "senderName", str(office) if office else "Bosai")
        add(info, "headline", headline)
        text = alert.details.get("reason") or (alert.details.get("text") if language == "ja" else None)
        if text:
            add(info, "description", str(text))
        if alert.details.get("instructions"):
            add(info, "instruction", str(alert.details["instructions"]))
        add(info, "web", f"{base_url}/alerts/{alert.id}")
        if alert.level is not None:
            _value(info, "parameter", "bosai:level", str(alert.level))
        if alert.intensity is not None:
            _value(info, "parameter", "bosai:intensity", str(alert.intensity))
        _value(info, "parameter", "bosai:action", alert.action)
        area = SubElement(info, f"{{{CAP_NS}}}area")
        names = [p.name_en if language == "en" else p.name for p in item.places]
        add(area, "areaDesc", "、".join(names) if language != "en" else ", ".join(names) or "-")
        for ring in item.polygons:
            add(area, "polygon", _ring(ring))
        for place in item.places:
            _value(area, "geocode", "JISX0402", place.code[:5])
    return root


def to_cap(item: Exported, base_url: str) -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        + tostring(cap_element(item, base_url), encoding="unicode", default_namespace=CAP_NS).encode()
    )


def to_atom(items: list[Exported], base_url: str, *, self_url: str, updated: datetime) -> bytes:
    """An Atom feed whose entries each carry one CAP message (and link to it)."""
    feed = Element(f"{{{ATOM_NS}}}feed")

    def add(parent: Element, tag: str, text: str, **attributes: str) -> Element:
        element = SubElement(parent, f"{{{ATOM_NS}}}{tag}", attributes)
        element.text = text
        return element

    add(feed, "id", self_url)
    add(feed, "title", "Bosai alerts (CAP 1.2)")
    add(feed, "updated", _time(updated))
    add(feed, "link", "", rel="self", href=self_url, type="application/atom+xml")
    author = SubElement(feed, f"{{{ATOM_NS}}}author")
    add(author, "name", "Bosai")
    for item in items:
        alert = item.alert
        entry = SubElement(feed, f"{{{ATOM_NS}}}entry")
        add(entry, "id", _identifier(alert))
        add(entry, "title", alert.headline.get("ja") or alert.name)
        add(entry, "updated", _time(alert.updated_at or alert.message_at))
        add(entry, "published", _time(alert.issued_at))
        add(entry, "link", "", rel="alternate", href=f"{base_url}/api/alerts/{alert.id}.cap", type=CAP_TYPE)
        content = SubElement(entry, f"{{{ATOM_NS}}}content", {"type": CAP_TYPE})
        content.append(cap_element(item, base_url))
    # Prefixed (atom:, cap:): ElementTree gives a default namespace only to documents without
    # unqualified attributes, and Atom's are. Namespace-aware readers see the same feed.
    body = tostring(feed, encoding="unicode")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body.encode()


# ---------------------------------------------------------------- in


def is_cap(root_tag: str) -> bool:
    return root_tag == f"{{{CAP_NS}}}alert"


def _find(element: Element, tag: str) -> Element | None:
    return element.find(f"{{{CAP_NS}}}{tag}")


def _text(element: Element, tag: str, where: str) -> str:
    found = _find(element, tag)
    value = (found.text or "").strip() if found is not None else ""
    if not value:
        raise JmaError(f"{where}/{tag}", "missing")
    return value


def _pairs(element: Element, tag: str) -> dict[str, str]:
    pairs = {}
    for pair in element.findall(f"{{{CAP_NS}}}{tag}"):
        name, value = _find(pair, "valueName"), _find(pair, "value")
        if name is not None and value is not None and name.text and value.text:
            pairs[name.text.strip()] = value.text.strip()
    return pairs


def _cap_time(raw: str, where: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise JmaError(where, f"{raw!r} is not a date and time") from None
    if value.tzinfo is None:
        raise JmaError(where, f"{raw!r} has no time zone")
    return value


def parse_cap(data: bytes) -> Message:
    """Read one CAP 1.2 message as a :class:`Message` (source ``cap``).

    Raises:
        JmaError: naming the element missing or wrong (the same error the JMA reader gives).
    """
    try:
        root = ElementTree.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise JmaError("(document)", f"refused: {type(exc).__name__}") from None
    except ElementTree.ParseError as exc:
        raise JmaError("(document)", f"not well-formed XML: {exc}") from None
    if not is_cap(root.tag):
        raise JmaError(root.tag, "not a CAP 1.2 alert")
    raw_status = _text(root, "status", "alert")
    if raw_status not in STATUS_IN:
        raise JmaError("alert/status", f"{raw_status!r}: Bosai reads Actual, Exercise and Test")
    msg_type = _text(root, "msgType", "alert")
    if msg_type not in ("Alert", "Update", "Cancel"):
        raise JmaError("alert/msgType", f"{msg_type!r}: Bosai reads Alert, Update and Cancel")
    identifier = _text(root, "identifier", "alert")
    sender = _text(root, "sender", "alert")
    sent = _cap_time(_text(root, "sent", "alert"), "alert/sent")
    report = identifier
    if msg_type in ("Update", "Cancel"):
        # A CAP Update or Cancel names what it changes: the first reference's identifier.
        references = (_text(root, "references", "alert")).split()
        try:
            report = references[0].split(",")[1]
        except IndexError:
            raise JmaError("alert/references", "expected sender,identifier,sent") from None
    infos = root.findall(f"{{{CAP_NS}}}info")
    if not infos:
        raise JmaError("alert/info", "missing")
    info = next((i for i in infos if _language(i).startswith("ja")), infos[0])
    where = f"alert/info[{infos.index(info)}]"
    codes = _pairs(info, "eventCode")
    parameters = _pairs(info, "parameter")
    category = _text(info, "category", where)
    kind = codes.get("bosai:kind") or KIND_OF_CATEGORY.get(category, "warning")
    if kind not in KINDS:
        raise JmaError(f"{where}/eventCode", f"bosai:kind {kind!r} is not a kind Bosai knows")
    event = _text(info, "event", where)
    responses = {(r.text or "").strip() for r in info.findall(f"{{{CAP_NS}}}responseType")}
    action = parameters.get("bosai:action") or ("cancel" if "AllClear" in responses else "issue")
    if action not in ("issue", "cancel"):
        raise JmaError(f"{where}/parameter", f"bosai:action {action!r}: expected issue or cancel")
    level = _number(parameters.get("bosai:level"), f"{where}/parameter", 0, 5)
    intensity = _number(parameters.get("bosai:intensity"), f"{where}/parameter", 1, 9)
    municipalities: list[str] = []
    for a, area in enumerate(info.findall(f"{{{CAP_NS}}}area")):
        for code_name, value in (
            (_find(g, "valueName"), _find(g, "value")) for g in area.findall(f"{{{CAP_NS}}}geocode")
        ):
            if code_name is None or value is None or (code_name.text or "").strip() != "JISX0402":
                continue
            raw = (value.text or "").strip()
            if not (raw.isascii() and raw.isdigit() and len(raw) in (5, 6)):
                raise JmaError(f"{where}/area[{a}]/geocode", f"{raw!r} is not a JIS X 0402 code")
            try:
                code = from_jis5(raw[:5])
            except InvalidCodeError as exc:
                raise JmaError(f"{where}/area[{a}]/geocode", str(exc)) from None
            if code not in municipalities:
                municipalities.append(code)
    if not municipalities:
        raise JmaError(f"{where}/area/geocode", "no JISX0402 municipality code: Bosai targets municipalities")
    expires = _find(info, "expires")
    expires_at = _cap_time((expires.text or "").strip(), f"{where}/expires") if expires is not None else None
    lifetime = (expires_at - sent) if expires_at is not None and expires_at > sent else timedelta(hours=24)
    headline = _find(info, "headline")
    info_type = {"Alert": "発表", "Update": "訂正", "Cancel": "取消"}[msg_type]
    if msg_type == "Update" and action == "cancel":
        # A lifting (AllClear) is news of its own: it takes its places off what it lifts.
        info_type, report = "発表", identifier
    draft = AlertDraft(
        key="cap",
        kind=kind,
        hazard=codes.get("bosai:hazard", "other")[:24],
        name=event[:200],
        level=level,
        action=action,
        municipalities=municipalities,
        intensity=intensity,
        details={"sender": sender, "identifier": identifier},
    )
    return Message(
        type="CAP",
        title=event,
        status=STATUS_IN[raw_status],
        info_type=info_type,
        report_id=hashlib.sha256(f"{sender}|{report}".encode()).hexdigest()[:24],
        office=sender,
        report_at=sent,
        message_at=sent,
        headline=(headline.text or "").strip() if headline is not None else "",
        drafts=[draft],
        lifetime=lifetime,
        source="cap",
    )


def _language(info: Element) -> str:
    found = _find(info, "language")
    return (found.text or "").strip() if found is not None else ""


def _number(raw: str | None, where: str, low: int, high: int) -> int | None:
    if raw is None:
        return None
    if not re.fullmatch(r"[0-9]", raw) or not low <= int(raw) <= high:
        raise JmaError(where, f"{raw!r}: expected a whole number {low}–{high}")
    return int(raw)
