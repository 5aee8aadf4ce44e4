"""JMA 防災情報XML read into alerts (pure: no database). Supported: 気象警報・注意報 (VPWW54 and
the per-hazard VPWW55–61 whose names carry the level), 土砂災害警戒情報 (VXWW50), 震度速報 (VXSE51),
震源・震度情報 (VXSE53) and 津波警報・注意報・予報 (VTSE41).

A message becomes one :class:`Draft` per thing it issues or lifts (a warning kind, an intensity,
a tsunami category), each with the municipalities concerned. What is only continued (継続)
becomes nothing: residents were told when it was issued. A message that cannot be read is a
:class:`JmaError` naming the element; nothing of it is used."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from geo.codes import InvalidCodeError
from server.alerts.areas import FORECAST_AREAS, SEISMIC_AREAS, TSUNAMI_AREAS, expand, from_jis5, municipality_of
from server.alerts.schemas import INTENSITIES

STATUSES: Final = {"通常": "actual", "訓練": "exercise", "試験": "test"}
INFO_TYPES: Final = ("発表", "訂正", "取消")

# 気象警報・注意報 codes (VPWW54): (kind, hazard, 警戒レベル or None).
WARNING_CODES: Final[dict[str, tuple[str, str, int | None]]] = {
    "02": ("warning", "snowstorm", None),
    "03": ("warning", "heavy_rain", 3),
    "04": ("warning", "flood", 3),
    "05": ("warning", "storm", None),
    "06": ("warning", "heavy_snow", None),
    "07": ("warning", "high_waves", None),
    "08": ("warning", "storm_surge", 4),
    "10": ("advisory", "heavy_rain", 2),
    "12": ("advisory", "heavy_snow", None),
    "13": ("advisory", "snowstorm", None),
    "14": ("advisory", "thunder", None),
    "15": ("advisory", "strong_wind", None),
    "16": ("advisory", "high_waves", None),
    "17": ("advisory", "snowmelt", None),
    "18": ("advisory", "flood", 2),
    "19": ("advisory", "storm_surge", 2),
    "20": ("advisory", "dense_fog", None),
    "21": ("advisory", "dry_air", None),
    "22": ("advisory", "avalanche", None),
    "23": ("advisory", "low_temperature", None),
    "24": ("advisory", "frost", None),
    "25": ("advisory", "icing", None),
    "26": ("advisory", "snow_accretion", None),
    "32": ("warning", "snowstorm", None),
    "33": ("warning", "heavy_rain", 5),
    "35": ("warning", "storm", None),
    "36": ("warning", "heavy_snow", None),
    "37": ("warning", "high_waves", None),
    "38": ("warning", "storm_surge", 4),
}
# The 2026 per-hazard warnings name their level: レベル4大雨危険警報, レベル2氾濫注意報 …
LEVELLED = re.compile(r"^レベル(?P<level>[1-5])(?P<hazard>.+?)(?P<grade>注意報|危険警報|特別警報|警報)$")
LEVELLED_HAZARDS: Final = {"大雨": "heavy_rain", "土砂災害": "landslide", "氾濫": "flood", "高潮": "storm_surge"}
# A Kind/Status that puts the named kind in force (発表 and the changes of grade into it).
ISSUING: Final = {
    "発表",
    "特別警報から警報",
    "警報から特別警報",
    "注意報から警報",
    "警報から注意報",
    "注意報から特別警報",
}
LIFTING: Final = {"解除"}
CONTINUING: Final = {"継続", "特別警報から警報", "なし"}

TSUNAMI_KINDS: Final[dict[str, tuple[str, str]]] = {
    # code: (name, action)
    "52": ("大津波警報", "issue"),
    "53": ("大津波警報", "issue"),
    "51": ("津波警報", "issue"),
    "62": ("津波注意報", "issue"),
    "50": ("津波警報解除", "cancel"),
    "60": ("津波注意報解除", "cancel"),
}
# How long an alert stays worth pushing: after it, a push service drops an undelivered message.
LIFETIME: Final = {
    "warning": timedelta(hours=24),
    "advisory": timedelta(hours=24),
    "landslide": timedelta(hours=24),
    "earthquake": timedelta(hours=1),
    "tsunami": timedelta(hours=12),
    "flood": timedelta(hours=24),
}
# 指定河川洪水予報 (VXKO) kind codes: (name, 警戒レベル, action). 10 lifts the river's information.
RIVER_FLOOD_CODES: Final[dict[str, tuple[str, int, str]]] = {
    "10": ("氾濫注意情報解除", 2, "cancel"),
    "20": ("氾濫注意情報", 2, "issue"),
    "21": ("氾濫注意情報", 2, "issue"),
    "22": ("氾濫注意情報", 2, "issue"),
    "30": ("氾濫警戒情報", 3, "issue"),
    "31": ("氾濫警戒情報", 3, "issue"),
    "40": ("氾濫危険情報", 4, "issue"),
    "41": ("氾濫危険情報", 4, "issue"),
    "50": ("氾濫発生情報", 5, "issue"),
    "51": ("氾濫発生情報", 5, "issue"),
    "52": ("氾濫発生情報", 5, "issue"),
    "53": ("氾濫発生情報", 5, "issue"),
}


class JmaError(ValueError):
    """A message that cannot be read: the element and why."""

    def __init__(self, element: str, reason: str) -> None:
        super().__init__(f"{element}: {reason}")
        self.element = element
        self.reason = reason


@dataclass
class Draft:
    """One alert a message issues (or lifts)."""

    key: str  # identity within the report: same report, same key
    kind: str
    hazard: str
    name: str
    level: int | None
    action: str  # issue | cancel
    municipalities: list[str]
    intensity: int | None = None
    details: dict[str, str] = field(default_factory=dict)


@dataclass
class Message:
    """A JMA message read: what it is, which report it belongs to, and the alerts it makes."""

    type: str  # VPWW54, VXSE53 …
    title: str
    status: str  # actual | exercise | test
    info_type: str  # 発表 | 訂正 | 取消
    report_id: str  # the report this message is (or corrects, or withdraws)
    office: str
    report_at: datetime
    message_at: datetime
    headline: str
    drafts: list[Draft]
    lifetime: timedelta
    source: str = "jma"  # or "cap": a CAP 1.2 message read the same way (server/alerts/cap.py)

    def source_id(self, draft: Draft) -> str:
        return f"{self.source}:{self.report_id}#{draft.key}"

    @property
    def expires_at(self) -> datetime:
        return self.report_at + self.lifetime


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == name]


def _child(element: Element, path: str, where: str) -> Element:
    current = element
    for name in path.split("/"):
        found = _children(current, name)
        if not found:
            raise JmaError(f"{where}/{path}", "missing")
        current = found[0]
    return current


def _text(element: Element, path: str, where: str) -> str:
    value = (_child(element, path, where).text or "").strip()
    if not value:
        raise JmaError(f"{where}/{path}", "empty")
    return value


def _optional_text(element: Element, path: str) -> str:
    current: Element | None = element
    for name in path.split("/"):
        found = _children(current, name) if current is not None else []
        current = found[0] if found else None
    return (current.text or "").strip() if current is not None else ""


def _time(element: Element, path: str, where: str) -> datetime:
    raw = _text(element, path, where)
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise JmaError(f"{where}/{path}", f"{raw!r} is not a date and time") from None
    if value.tzinfo is None:
        raise JmaError(f"{where}/{path}", f"{raw!r} has no time zone")
    return value


def _municipality(code: str, where: str) -> str:
    try:
        return municipality_of(code)
    except InvalidCodeError as exc:
        raise JmaError(where, str(exc)) from None


def parse(data: bytes) -> Message:
    """Read one message.

    Raises:
        JmaError: naming the element that is missing or wrong, or the message type unknown.
    """
    try:
        root = ElementTree.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise JmaError("(document)", f"refused: {type(exc).__name__}") from None
    except ElementTree.ParseError as exc:
        raise JmaError("(document)", f"not well-formed XML: {exc}") from None
    if _local(root.tag) != "Report":
        raise JmaError(_local(root.tag), "not a JMA report (the root element must be Report)")
    title = _text(root, "Control/Title", "Report")
    raw_status = _text(root, "Control/Status", "Report")
    if raw_status not in STATUSES:
        raise JmaError("Report/Control/Status", f"{raw_status!r}: expected 通常, 訓練 or 試験")
    head = _child(root, "Head", "Report")
    info_type = _text(head, "InfoType", "Report/Head")
    if info_type not in INFO_TYPES:
        raise JmaError("Report/Head/InfoType", f"{info_type!r}: expected one of {', '.join(INFO_TYPES)}")
    report_at = _time(head, "ReportDateTime", "Report/Head")
    office = _text(root, "Control/PublishingOffice", "Report")
    head_title = _text(head, "Title", "Report/Head")
    event_id = _optional_text(head, "EventID")
    body = _child(root, "Body", "Report")
    kind, drafts = _body(title, head_title, body, head)
    # A 訂正 or 取消 names the same report (office, title, report time, event) as what it changes.
    report = f"{office}|{head_title}|{report_at.isoformat()}|{event_id}"
    report_id = hashlib.sha256(report.encode()).hexdigest()[:24]
    return Message(
        type=kind,
        title=title,
        status=STATUSES[raw_status],
        info_type=info_type,
        report_id=report_id,
        office=office,
        report_at=report_at,
        message_at=_time(root, "Control/DateTime", "Report"),
        headline=_optional_text(head, "Headline/Text"),
        drafts=drafts,
        lifetime=max((LIFETIME[d.kind] for d in drafts), default=timedelta(hours=1)),
    )


LEVELLED_TITLE: Final = re.compile(r"^(大雨|土砂災害|氾濫|高潮)(警報|危険警報|特別警報|注意報)")


def known_title(title: str) -> bool:
    """Whether a message of this Control/Title (a JMA feed entry's title) is one Bosai reads: the
    watcher fetches only those."""
    return (
        title.startswith(("気象警報・注意報", "津波警報・注意報・予報", "レベル"))
        or bool(LEVELLED_TITLE.match(title))
        or title in ("土砂災害警戒情報", "震度速報", "震源・震度に関する情報", "指定河川洪水予報")
    )


def _body(title: str, head_title: str, body: Element, head: Element) -> tuple[str, list[Draft]]:
    if title.startswith("気象警報・注意報"):
        return "VPWW54", _warnings(body, "気象警報・注意報（市町村等）")
    if LEVELLED_TITLE.match(title) or title.startswith("レベル"):
        return "VPWW55-61", _warnings(body, None)
    if title == "土砂災害警戒情報":
        return "VXWW50", _landslide(body)
    if title == "指定河川洪水予報":
        return "VXKO", _river_flood(head, body)
    if title == "震度速報":
        return "VXSE51", _intensity_areas(body)
    if title == "震源・震度に関する情報":
        return "VXSE53", _intensity_cities(body)
    if title.startswith("津波警報・注意報・予報"):
        return "VTSE41", _tsunami(body)
    raise JmaError("Report/Control/Title", f"{title!r} ({head_title}) is not a message type Bosai reads")


def _warning_kind(item: Element, where: str) -> list[tuple[str, str, str, int | None, str, str]]:
    """(name, kind, hazard, level, action, key) of each Kind in an item that issues or lifts."""
    found: list[tuple[str, str, str, int | None, str, str]] = []
    kinds = _children(item, "Kind")
    if not kinds:
        raise JmaError(f"{where}/Kind", "missing")
    for k, kind in enumerate(kinds):
        here = f"{where}/Kind[{k}]"
        name = _text(kind, "Name", here)
        status = _text(kind, "Status", here)
        if status in LIFTING:
            action = "cancel"
        elif status in ISSUING and status not in CONTINUING:
            action = "issue"
        elif status in CONTINUING:
            continue
        else:
            raise JmaError(f"{here}/Status", f"{status!r} is not a status Bosai knows")
        levelled = LEVELLED.match(name)
        if levelled:
            hazard = LEVELLED_HAZARDS.get(levelled["hazard"])
            if hazard is None:
                raise JmaError(f"{here}/Name", f"{name!r}: unknown hazard {levelled['hazard']!r}")
            grade = levelled["grade"]
            kind_name = "advisory" if grade == "注意報" else "landslide" if hazard == "landslide" else "warning"
            found.append((name, kind_name, hazard, int(levelled["level"]), action, f"{name}:{action}"))
            continue
        code = _text(kind, "Code", here)
        if code not in WARNING_CODES:
            raise JmaError(f"{here}/Code", f"{code!r} is not a 気象警報・注意報 code")
        kind_name, hazard, level = WARNING_CODES[code]
        found.append((name, kind_name, hazard, level, action, f"{code}:{action}"))
    return found


def _warnings(body: Element, warning_type: str | None) -> list[Draft]:
    groups: dict[str, Draft] = {}
    warnings = [w for w in _children(body, "Warning") if warning_type is None or w.get("type") == warning_type]
    if not warnings:
        raise JmaError("Report/Body/Warning", f"no Warning of type {warning_type or '(any)'}")
    for w, warning in enumerate(warnings):
        for i, item in enumerate(_children(warning, "Item")):
            where = f"Report/Body/Warning[{w}]/Item[{i}]"
            code = _text(item, "Area/Code", where)
            municipality = _municipality(code, f"{where}/Area/Code")
            for name, kind, hazard, level, action, key in _warning_kind(item, where):
                draft = groups.setdefault(key, Draft(key, kind, hazard, name, level, action, []))
                if municipality not in draft.municipalities:
                    draft.municipalities.append(municipality)
    return list(groups.values())


def _landslide(body: Element) -> list[Draft]:
    groups: dict[str, Draft] = {}
    warnings = [w for w in _children(body, "Warning") if w.get("type") == "土砂災害警戒情報"]
    if not warnings:
        raise JmaError("Report/Body/Warning", "no Warning of type 土砂災害警戒情報")
    for i, item in enumerate(_children(warnings[0], "Item")):
        where = f"Report/Body/Warning[0]/Item[{i}]"
        municipality = _municipality(_text(item, "Area/Code", where), f"{where}/Area/Code")
        status = _text(item, "Kind/Status", where)
        if status in CONTINUING:
            continue
        if status not in ISSUING | LIFTING:
            raise JmaError(f"{where}/Kind/Status", f"{status!r} is not a status Bosai knows")
        action = "cancel" if status in LIFTING else "issue"
        draft = groups.setdefault(action, Draft(action, "landslide", "landslide", "土砂災害警戒情報", 4, action, []))
        draft.municipalities.append(municipality)
    return list(groups.values())


def _intensity(raw: str, where: str) -> int:
    if raw not in INTENSITIES:
        raise JmaError(where, f"{raw!r} is not a seismic intensity (1 … 7)")
    return INTENSITIES.index(raw) + 1


def _earthquake_details(body: Element) -> dict[str, str]:
    details = {}
    hypocenter = _optional_text(body, "Earthquake/Hypocenter/Area/Name")
    if hypocenter:
        details["hypocenter"] = hypocenter
    magnitude = next((m for m in body.iter() if _local(m.tag) == "Magnitude"), None)
    if magnitude is not None and magnitude.text:
        details["magnitude"] = magnitude.text.strip()
    return details


def _by_intensity(found: dict[int, list[str]], details: dict[str, str]) -> list[Draft]:
    # A municipality shaken at several observation points keeps its strongest intensity only.
    strongest: dict[str, int] = {}
    for intensity, municipalities in found.items():
        for m in municipalities:
            strongest[m] = max(strongest.get(m, 0), intensity)
    grouped: dict[int, list[str]] = defaultdict(list)
    for m, intensity in strongest.items():
        grouped[intensity].append(m)
    return [
        Draft(
            key=f"int{INTENSITIES[i - 1]}",
            kind="earthquake",
            hazard="earthquake",
            name=f"震度{INTENSITIES[i - 1]}",
            level=None,
            action="issue",
            municipalities=sorted(ms),
            intensity=i,
            details=details,
        )
        for i, ms in sorted(grouped.items(), reverse=True)
    ]


def _intensity_areas(body: Element) -> list[Draft]:
    observation = _child(body, "Intensity/Observation", "Report/Body")
    found: dict[int, list[str]] = defaultdict(list)
    for p, pref in enumerate(_children(observation, "Pref")):
        for a, area in enumerate(_children(pref, "Area")):
            where = f"Report/Body/Intensity/Observation/Pref[{p}]/Area[{a}]"
            intensity = _intensity(_text(area, "MaxInt", where), f"{where}/MaxInt")
            try:
                found[intensity] += expand(SEISMIC_AREAS, _text(area, "Code", where), "地震情報／細分区域")
            except InvalidCodeError as exc:
                raise JmaError(f"{where}/Code", str(exc)) from None
    if not found:
        raise JmaError("Report/Body/Intensity/Observation/Pref", "missing")
    return _by_intensity(found, _earthquake_details(body))


def _intensity_cities(body: Element) -> list[Draft]:
    observation = _child(body, "Intensity/Observation", "Report/Body")
    found: dict[int, list[str]] = defaultdict(list)
    for p, pref in enumerate(_children(observation, "Pref")):
        for a, area in enumerate(_children(pref, "Area")):
            for c, city in enumerate(_children(area, "City")):
                where = f"Report/Body/Intensity/Observation/Pref[{p}]/Area[{a}]/City[{c}]"
                intensity = _intensity(_text(city, "MaxInt", where), f"{where}/MaxInt")
                found[intensity].append(_municipality(_text(city, "Code", where), f"{where}/Code"))
    if not found:
        raise JmaError("Report/Body/Intensity/Observation/Pref/Area/City", "missing")
    return _by_intensity(found, _earthquake_details(body))


def _tsunami(body: Element) -> list[Draft]:
    forecast = _child(body, "Tsunami/Forecast", "Report/Body")
    groups: dict[str, Draft] = {}
    for i, item in enumerate(_children(forecast, "Item")):
        where = f"Report/Body/Tsunami/Forecast/Item[{i}]"
        code = _text(item, "Category/Kind/Code", where)
        if code not in TSUNAMI_KINDS:
            # 津波予報 (若干の海面変動) and なし reach no phone.
            if not code.isdigit():
                raise JmaError(f"{where}/Category/Kind/Code", f"{code!r} is not a tsunami category code")
            continue
        name, action = TSUNAMI_KINDS[code]
        try:
            municipalities = expand(TSUNAMI_AREAS, _text(item, "Area/Code", where), "津波予報区")
        except InvalidCodeError as exc:
            raise JmaError(f"{where}/Area/Code", str(exc)) from None
        draft = groups.setdefault(name, Draft(name, "tsunami", "tsunami", name, None, action, []))
        draft.municipalities += [m for m in municipalities if m not in draft.municipalities]
    return list(groups.values())


def _river_flood(head: Element, body: Element) -> list[Draft]:
    """指定河川洪水予報: the river and the kind (level) from the Head's 予報区域 information, the
    municipalities from the Body's 浸水想定地区 (CityCode), else every municipality of the
    府県予報区 named in the Head (through the project's code table)."""
    headline = _child(head, "Headline", "Report/Head")
    informations = {i.get("type", ""): i for i in _children(headline, "Information")}
    river_info = informations.get("指定河川洪水予報（河川）") or informations.get("指定河川洪水予報（予報区域）")
    if river_info is None:
        raise JmaError("Report/Head/Headline/Information", "no 指定河川洪水予報（河川） information")
    where = "Report/Head/Headline/Information/Item"
    item = _child(river_info, "Item", "Report/Head/Headline/Information")
    code = _text(item, "Kind/Code", where)
    if code not in RIVER_FLOOD_CODES:
        raise JmaError(f"{where}/Kind/Code", f"{code!r} is not a 指定河川洪水予報 code")
    name, level, action = RIVER_FLOOD_CODES[code]
    river = _text(item, "Areas/Area/Name", where)
    river_code = _text(item, "Areas/Area/Code", where)
    municipalities: list[str] = []
    for w, warning in enumerate(_children(body, "Warning")):
        for i, entry in enumerate(_children(warning, "Item")):
            for a, area in enumerate(
                _children(_children(entry, "Areas")[0], "Area") if _children(entry, "Areas") else []
            ):
                city = _optional_text(area, "CityCode")
                if not city:
                    continue
                if not (len(city) == 5 and city.isascii() and city.isdigit()):
                    raise JmaError(
                        f"Report/Body/Warning[{w}]/Item[{i}]/Areas/Area[{a}]/CityCode", f"{city!r}: not 5 digits"
                    )
                if from_jis5(city) not in municipalities:
                    municipalities.append(from_jis5(city))
    if not municipalities:
        forecast = informations.get("指定河川洪水予報（府県予報区等）")
        if forecast is None:
            raise JmaError("Report/Body/Warning/Item/Areas/Area/CityCode", "missing (and no 府県予報区 in the Head)")
        for a, area in enumerate(e for e in forecast.iter() if _local(e.tag) == "Area"):
            try:
                found = expand(FORECAST_AREAS, _text(area, "Code", "Report/Head/Headline/Information"), "府県予報区")
            except InvalidCodeError as exc:
                raise JmaError(f"Report/Head/Headline/Information/Item/Areas/Area[{a}]/Code", str(exc)) from None
            municipalities += [m for m in found if m not in municipalities]
    return [
        Draft(
            key=f"{river_code}:{action}",
            kind="flood",
            hazard="flood",
            name=f"{river}{name}",
            level=level,
            action=action,
            municipalities=municipalities,
            details={"river": river, "riverCode": river_code, "code": code},
        )
    ]
