"""Facility files: GSI designated shelters and emergency sites (CSV, GeoJSON) and the Digital
Agency standard data sets 03 (emergency sites, current and v1), 08 (AED) and 10 (medical); and
Bosai's own facility GeoJSON (the demo city's), which says every kind of place.

Columns are found by header name, never by position (DATA.md). Each row becomes a
FacilityRecord, or the whole file fails with the line, column and value at fault.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import PurePath

from geo.codes import InvalidCodeError, normalize
from geo.importers.base import MAX_ROWS, FacilityRecord, ImportFailure, ParsedFile
from geo.importers.rows import Row, Table, read_table
from geo.kinds import FACILITY_KINDS, HAZARD_TYPES
from geo.targets import target_groups

# Hazard flag columns, in HAZARD_TYPES order; the standard data prefixes them with 災害種別_.
HAZARD_COLUMNS = ("洪水", "崖崩れ、土石流及び地滑り", "高潮", "地震", "津波", "大規模な火事", "内水氾濫", "火山現象")
_TRUE, _FALSE = {"1", "○", "〇", "◯", "１"}, {"", "0", "０", "×", "-"}

# Japan, generously: anything outside is a swapped or broken coordinate.
_LAT, _LON = (20.0, 46.5), (122.0, 154.5)


def flag(row: Row, column: str) -> bool:
    raw = row.text(column) or ""
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise row.fail("a flag must be 1, ○, 〇 or empty", column, raw)


def hazards(row: Row, prefix: str = "") -> tuple[str, ...]:
    return tuple(h for h, column in zip(HAZARD_TYPES, HAZARD_COLUMNS, strict=True) if flag(row, prefix + column))


def coordinates(row: Row) -> tuple[float, float]:
    if row.point is not None:
        lon, lat = row.point
        column = "geometry"
    else:
        values = []
        for column in ("経度", "緯度"):
            raw = row.text(column)
            if raw is None:
                raise row.fail("missing coordinate", column)
            try:
                values.append(float(raw))
            except ValueError:
                raise row.fail("not a number", column, raw) from None
        lon, lat = values
        column = "緯度"
    if not (_LAT[0] <= lat <= _LAT[1] and _LON[0] <= lon <= _LON[1]):
        hint = " (latitude and longitude swapped?)" if _LAT[0] <= lon <= _LAT[1] else ""
        raise row.fail(f"coordinates lie outside Japan{hint}", column, f"{lat}, {lon}")
    return lon, lat


def capacity(text: str | None) -> int | None:
    """The leading whole number of 想定収容人数 ("810人（2平方メートルあたり1人）" → 810)."""
    if not text:
        return None
    match = re.match(r"\s*([0-9０-９,，]+)", text)
    if match is None:
        return None
    digits = match[1].translate(str.maketrans("０１２３４５６７８９", "0123456789")).replace(",", "").replace("，", "")
    return int(digits) if digits else None


class Context:
    """Where a file's municipality comes from when a row does not say: the 共通ID, the file name
    (its leading 5 or 6 digits), or the operator's --municipality."""

    def __init__(self, file: str, municipality: str | None) -> None:
        self.file = file
        stem = PurePath(file).name
        match = re.match(r"(\d{5,6})(?!\d)", stem)
        self.from_name = match[1] if match else None
        self.given = municipality

    def municipality(self, row: Row, *columns: str, gsi_id: str | None = None) -> str:
        for column in columns:
            raw = row.text(column)
            if raw is not None:
                try:
                    return normalize(raw, width=6)  # code columns hold six digits; five lost a zero
                except InvalidCodeError as exc:
                    raise row.fail(str(exc), column, raw) from None
        candidates = [(gsi_id[1:6] if gsi_id else None), self.from_name, self.given]
        for candidate in candidates:
            if candidate:
                try:
                    return normalize(candidate)
                except InvalidCodeError:
                    continue
        raise row.fail("no municipality code in the row, the 共通ID or the file name: pass --municipality")


def _name(row: Row, *columns: str) -> str:
    name = row.text(*columns)
    if name is None:
        raise row.fail("the name is empty", columns[0])
    return name


def _gsi_id(row: Row) -> str:
    value = row.text("共通ID")
    if value is None or not re.fullmatch(r"E\d{12}[0-9A-Za-z]", value):
        raise row.fail("共通ID must be E + 12 digits + a sequence character", "共通ID", value)
    return value


def _prefecture_and_name(row: Row) -> tuple[str | None, str | None]:
    both = row.text("都道府県名及び市町村名")
    if both:
        match = re.match(r"(.+?[都道府県])(.+)", both)
        return (match[1], match[2]) if match else (None, both)
    return row.text("都道府県名", "所在地_都道府県"), row.text("市区町村名", "所在地_市区町村", "地方公共団体名")


def _gsi(
    row: Row,
    ctx: Context,
    dataset: str,
    kinds: tuple[str, ...],
    hazards: tuple[str, ...],
    targets: tuple[tuple[str, ...], tuple[str, ...]] = ((), ()),
) -> FacilityRecord:
    gsi = _gsi_id(row)
    municipality = ctx.municipality(row, gsi_id=gsi)
    prefecture, town = _prefecture_and_name(row)
    lon, lat = coordinates(row)
    return FacilityRecord(
        line=row.line,
        source_id=gsi,
        dataset=f"{dataset}:{municipality}",
        # Municipality + facility serial: records of both GSI files sharing it may be one place,
        # when geo.identity says so.
        place_key=f"gsi:{gsi[1:11]}",
        municipality=municipality,
        municipality_name=town,
        prefecture=prefecture,
        kinds=kinds,
        name=_name(row, "施設・場所名"),
        name_kana=None,
        name_en=None,
        address=row.text("住所"),
        lon=lon,
        lat=lat,
        suitable_hazards=hazards,
        attributes=_originals(row),
        target_groups=targets[0],
        target_other=targets[1],
    )


def gsi_emergency_site(row: Row, ctx: Context) -> FacilityRecord:
    return _gsi(row, ctx, "gsi_emergency_site", ("emergency_site",), hazards(row))


def gsi_shelter(row: Row, ctx: Context) -> FacilityRecord:
    # Subtype 2 in the 共通ID is a welfare shelter; 受入対象者 names its target groups.
    targets = row.text("受入対象者")
    welfare = _gsi_id(row)[12] == "2" or targets is not None
    kinds = ("designated_shelter", "welfare_shelter") if welfare else ("designated_shelter",)
    return _gsi(row, ctx, "gsi_shelter", kinds, (), target_groups(targets))


def _standard_id(row: Row, municipality: str, dataset: str) -> str:
    local = row.text("ID", "NO")
    if local is None:
        raise row.fail("the record has no ID or NO", "ID")
    return f"{dataset}:{municipality}:{local}"


def _standard_address(row: Row) -> str | None:
    base = row.text("所在地_連結表記", "住所")
    extra = row.text("建物名等(方書)", "方書")
    return f"{base} {extra}" if base and extra else base


_STANDARD_CODES = (
    "全国地方公共団体コード",
    "所在地_全国地方公共団体コード",
    "市区町村コード",
    "都道府県コード又は市区町村コード",
)


def _standard(row: Row, ctx: Context, dataset: str, kinds: tuple[str, ...]) -> FacilityRecord:
    municipality = ctx.municipality(row, *_STANDARD_CODES)
    prefecture, town = _prefecture_and_name(row)
    lon, lat = coordinates(row)
    capacity_text = row.text("想定収容人数")
    return FacilityRecord(
        line=row.line,
        source_id=_standard_id(row, municipality, dataset),
        dataset=f"{dataset}:{municipality}",
        place_key=None,
        municipality=municipality,
        municipality_name=town,
        prefecture=prefecture,
        kinds=kinds,
        name=_name(row, "名称"),
        name_kana=row.text("名称_カナ"),
        name_en=row.text("名称_英字"),
        address=_standard_address(row),
        lon=lon,
        lat=lat,
        capacity=capacity(capacity_text),
        capacity_text=capacity_text,
        suitable_hazards=hazards(row, "災害種別_") if dataset == "std03" else (),
        attributes=_originals(row),
    )


def standard_emergency_site(row: Row, ctx: Context) -> FacilityRecord:
    shelter_too = flag(row, "指定避難所との重複")
    kinds = ("emergency_site", "designated_shelter") if shelter_too else ("emergency_site",)
    return _standard(row, ctx, "std03", kinds)


def standard_aed(row: Row, ctx: Context) -> FacilityRecord:
    return _standard(row, ctx, "std08", ("aed",))


def standard_medical(row: Row, ctx: Context) -> FacilityRecord:
    return _standard(row, ctx, "std10", ("medical",))


def _listed(row: Row, column: str, known: tuple[str, ...]) -> tuple[str, ...]:
    values = row.values.get(column) or []
    if not isinstance(values, list) or not all(isinstance(v, str) and v in known for v in values):
        raise row.fail(f"a list of {', '.join(known)}", column, values)
    return tuple(v for v in known if v in values)


def bosai_facility(row: Row, ctx: Context) -> FacilityRecord:
    """Bosai's own GeoJSON (the demo's, fixtures/demo/): a place as the API describes it, with the
    id it has in its source; kinds national files cannot say (津波避難ビル, 広域避難場所) included."""
    source_id = row.text("sourceId")
    if source_id is None:
        raise row.fail("the record has no sourceId", "sourceId")
    kinds = _listed(row, "kinds", FACILITY_KINDS)
    if not kinds:
        raise row.fail("a place has at least one kind", "kinds", [])
    capacity = row.values.get("capacity")
    if capacity is not None and (type(capacity) is not int or capacity < 0):
        raise row.fail("a capacity is a whole number of people", "capacity", capacity)
    municipality = ctx.municipality(row, "municipality")
    lon, lat = coordinates(row)
    return FacilityRecord(
        line=row.line,
        source_id=source_id,
        dataset=f"bosai:{municipality}",
        place_key=None,
        municipality=municipality,
        municipality_name=None,
        prefecture=None,
        kinds=kinds,
        name=_name(row, "name"),
        name_kana=row.text("nameKana"),
        name_en=row.text("nameEn"),
        address=row.text("address"),
        lon=lon,
        lat=lat,
        capacity=capacity,
        capacity_text=row.text("capacityText"),
        suitable_hazards=_listed(row, "suitableHazards", HAZARD_TYPES),
        attributes=_originals(row),
    )


def _originals(row: Row) -> dict[str, object]:
    """The source row as published, minus empty values (kept for history and display)."""
    return {k: v for k, v in row.values.items() if v is not None and str(v).strip() != ""}


Reader = Callable[[Row, Context], FacilityRecord]
MAX_ERRORS = 100

#: Format name → (columns that identify it, reader).
FORMATS: dict[str, tuple[frozenset[str], Reader]] = {
    "gsi_emergency_site": (frozenset({"共通ID", "施設・場所名", "洪水"}), gsi_emergency_site),
    "gsi_shelter": (frozenset({"共通ID", "施設・場所名", "受入対象者"}), gsi_shelter),
    "standard_emergency_site": (frozenset({"名称", "災害種別_洪水"}), standard_emergency_site),
    "standard_aed": (frozenset({"名称", "設置位置"}), standard_aed),
    "standard_medical": (frozenset({"名称", "医療機関の種類"}), standard_medical),
    "bosai_facilities": (frozenset({"sourceId", "kinds", "name"}), bosai_facility),
}


def detect(table: Table) -> str:
    found = [name for name, (needed, _) in FORMATS.items() if needed <= table.columns]
    if len(found) != 1:
        known = "; ".join(f"{name}: {', '.join(sorted(cols))}" for name, (cols, _) in FORMATS.items())
        raise ImportFailure(
            table.file,
            f"not a known facility file: its columns match {found or 'no format'} ({known}). A "
            "municipality's own list of one kind of place (名称, 緯度, 経度, …): pass --kind KIND",
        )
    return found[0]


def parse(
    file: str,
    data: bytes,
    *,
    format: str | None = None,
    municipality: str | None = None,
    max_rows: int = MAX_ROWS,
    kind: str | None = None,
    columns: dict[str, str] | None = None,
) -> ParsedFile:
    """Read a facility file whole. Bad rows are collected (up to MAX_ERRORS) with their line,
    column and value; the caller imports the file only when there are none. Raises ImportFailure
    when the file as a whole is unreadable, of no known format or longer than ``max_rows``.
    ``kind`` (and ``columns``) read it as a municipality's own list of that kind of place."""
    table = read_table(file, data, max_rows)
    notes: list[str] = []
    if format == LIST_FORMAT or (format is None and (kind or columns)):
        name = LIST_FORMAT
        reader, notes = facility_list(table, kind, columns or {})
    else:
        if kind or columns:
            raise ImportFailure(file, f"--kind and --columns are for format {LIST_FORMAT}, not {format}")
        name = format or detect(table)
        if name not in FORMATS:
            raise ImportFailure(file, f"unknown format {name!r}; known: {', '.join(FORMATS)}")
        reader = FORMATS[name][1]
    context = Context(file, municipality)
    records, errors = [], []
    seen: dict[str, int] = {}
    for row in table.rows:
        try:
            record = reader(row, context)
            if record.source_id in seen:
                raise row.fail(f"the same id is on line {seen[record.source_id]} too", "ID", record.source_id)
        except ImportFailure as failure:
            errors.append(failure)
            if len(errors) >= MAX_ERRORS:
                break
            continue
        seen[record.source_id] = record.line
        records.append(record)
    return ParsedFile(file, name, records, errors, len(table.rows), notes)


# --- a municipality's own facility list ------------------------------------------------------------

LIST_FORMAT = "facility_list"

#: What each role's column may be called, most usual first: the common layout of municipal open data
#: (NO, 市区町村コード, …, 名称, 名称_カナ, 住所, 方書, 緯度, 経度, 電話番号, 区分, 備考) and the
#: headers lists of a city's own layout use. Compared once width and case are folded.
LIST_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("名称", "施設名", "施設名称", "施設・場所名", "名前", "避難所名", "避難場所名", "建物名", "name"),
    "lat": ("緯度", "lat", "latitude", "y", "緯度(世界測地系)"),
    "lon": ("経度", "lon", "lng", "long", "longitude", "x", "経度(世界測地系)"),
    "id": ("no", "id", "番号", "施設id", "施設番号", "連番"),
    "kana": ("名称_カナ", "名称カナ", "施設名カナ", "施設名_カナ", "ふりがな", "フリガナ"),
    "address": ("住所", "所在地", "所在地_連結表記"),
    "address_extra": ("方書", "建物名等(方書)"),
    "municipality": tuple(c.lower() for c in _STANDARD_CODES),
    "capacity": ("想定収容人数", "収容人数", "収容可能人数"),
}
_REQUIRED = ("name", "lat", "lon")


def _folded(header: str) -> str:
    return unicodedata.normalize("NFKC", header).strip().lower()


def list_columns(table: Table, given: dict[str, str]) -> dict[str, str]:
    """Which header holds each role: ``given`` (``--columns``) first, else the first known name.
    The name and both coordinates are required."""
    unknown = sorted(set(given) - set(LIST_COLUMNS))
    if unknown:
        raise ImportFailure(
            table.file, f"--columns knows {', '.join(LIST_COLUMNS)}; not {', '.join(unknown)}", column=unknown[0]
        )
    headers = {_folded(h): h for h in sorted(table.columns, key=str)}
    found: dict[str, str] = {}
    for role, names in LIST_COLUMNS.items():
        if role in given:
            if given[role] not in table.columns:
                raise ImportFailure(
                    table.file,
                    f"--columns {role}= names no column of this file; its columns: {', '.join(sorted(table.columns))}",
                    column=given[role],
                )
            found[role] = given[role]
            continue
        header = next((headers[_folded(n)] for n in names if _folded(n) in headers), None)
        if header is not None:
            found[role] = header
    missing = [role for role in _REQUIRED if role not in found]
    if missing:
        raise ImportFailure(
            table.file,
            f"no {' / '.join(missing)} column found (looked for "
            + "; ".join(f"{role}: {', '.join(LIST_COLUMNS[role][:5])}" for role in missing)
            + f"); its columns: {', '.join(sorted(table.columns))}. Name them with --columns "
            + ",".join(f"{role}=COLUMN" for role in missing),
        )
    return found


def _number(row: Row, column: str) -> float:
    raw = row.text(column)
    if raw is None:
        raise row.fail("missing coordinate", column)
    # Spreadsheets in Japanese often type coordinates in full-width digits (３５．６８).
    try:
        return float(unicodedata.normalize("NFKC", raw).replace(",", "").strip())
    except ValueError:
        raise row.fail("not a number", column, raw) from None


def facility_list(table: Table, kind: str | None, given: dict[str, str]) -> tuple[Reader, list[str]]:
    """A reader for a list of one ``kind`` of place, and notes saying which columns it uses. Every
    column (区分, 備考, 電話番号, a hazard position such as 洪水浸水レベル …) is kept as an attribute."""
    if kind not in FACILITY_KINDS:
        raise ImportFailure(table.file, f"a facility list needs --kind, one of {', '.join(FACILITY_KINDS)}", value=kind)
    columns = list_columns(table, given)
    used = set(columns.values())

    def read_row(row: Row, ctx: Context) -> FacilityRecord:
        municipality = ctx.municipality(row, *([columns["municipality"]] if "municipality" in columns else []))
        lat, lon = _number(row, columns["lat"]), _number(row, columns["lon"])
        if not (_LAT[0] <= lat <= _LAT[1] and _LON[0] <= lon <= _LON[1]):
            hint = " (latitude and longitude swapped?)" if _LAT[0] <= lon <= _LAT[1] else ""
            raise row.fail(f"coordinates lie outside Japan{hint}", columns["lat"], f"{lat}, {lon}")
        name = _name(row, columns["name"])
        local = row.text(columns["id"]) if "id" in columns else None
        # Without an id column, a place is known by its name and point: a newer list that keeps them
        # updates it.
        local = unicodedata.normalize("NFKC", local) if local else f"{name}@{lat:.5f},{lon:.5f}"
        base = row.text(columns["address"]) if "address" in columns else None
        extra = row.text(columns["address_extra"]) if "address_extra" in columns else None
        capacity_text = row.text(columns["capacity"]) if "capacity" in columns else None
        return FacilityRecord(
            line=row.line,
            source_id=f"list:{kind}:{municipality}:{local}",
            dataset=f"list:{kind}:{municipality}",
            place_key=None,
            municipality=municipality,
            municipality_name=row.text("市区町村名"),
            prefecture=row.text("都道府県名"),
            kinds=(str(kind),),
            name=name,
            name_kana=row.text(columns["kana"]) if "kana" in columns else None,
            name_en=None,
            address=f"{base} {extra}" if base and extra else base,
            lon=lon,
            lat=lat,
            capacity=capacity(capacity_text),
            capacity_text=capacity_text,
            attributes=_originals(row),
        )

    kept = sorted(str(c) for c in table.columns if c not in used)
    notes = ["columns used: " + ", ".join(f"{role}={column}" for role, column in columns.items())]
    if kept:
        notes.append("other columns, kept as attributes: " + ", ".join(kept))
    return read_row, notes
