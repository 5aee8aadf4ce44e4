"""Polygon layers from 国土数値情報 and municipalities: N03 boundaries and hazard zones (A31a/A31
flood depth, A33 landslide warning zones, A40 tsunami inundation, and any other hazard file given
its hazard type and rank attribute). GeoJSON or Shapefile, in JGD2011, JGD2000 or any CRS with a
definition, reprojected to WGS84. Also Bosai's own boundary and hazard GeoJSON (the demo city's),
which say what the national files cannot: a town's kana and English names, a zone's rank and depth
band together."""

from __future__ import annotations

import dataclasses
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import numpy as np
import pyogrio.errors
import pyogrio.raw
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geo.codes import InvalidCodeError, normalize
from geo.importers.base import MAX_ROWS, ImportFailure, Options, Source, too_many
from geo.kinds import HISTORY_TYPES, ZONE_TYPES

MAX_ERRORS = 100
# Japan, generously (Okinotorishima to Etorofu, Yonaguni to Minamitorishima).
JAPAN = (122.0, 20.0, 154.0, 46.0)


@dataclass(frozen=True)
class Layer:
    """The features of a polygon file in WGS84: geometries and their properties by column."""

    file: str
    columns: frozenset[str]
    geometries: np.ndarray[Any, Any]  # shapely geometries (None where a feature has none)
    values: dict[str, np.ndarray[Any, Any]]

    def __len__(self) -> int:
        return len(self.geometries)

    def properties(self, index: int) -> dict[str, Any]:
        """The feature's non-empty properties as plain Python values."""
        found = {}
        for column, values in self.values.items():
            value = values[index]
            if isinstance(value, np.generic):
                value = value.item()
            if value is None or value == "" or (isinstance(value, float) and np.isnan(value)):
                continue
            found[column] = value
        return found


@dataclass(frozen=True)
class BoundaryRecord:
    """One municipality's boundary: every N03 polygon of its code, dissolved."""

    code: str
    name: str
    prefecture: str
    geometry: BaseGeometry
    features: int
    name_kana: str | None = None  # N03 has none: a stored one is kept
    name_en: str | None = None
    # A municipality's own boundary file may not name its town: the stored name is kept (a new
    # municipality is named by its code until a file names it).
    keep_name: bool = False


@dataclass(frozen=True)
class ZoneRecord:
    index: int
    hazard_type: str
    rank_code: str | None
    rank_label: str | None
    depth_min_m: float | None
    depth_max_m: float | None
    geometry: BaseGeometry
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ParsedAreas:
    file: str
    format: str
    boundaries: list[BoundaryRecord]
    zones: list[ZoneRecord]
    errors: list[ImportFailure]
    rows: int
    notes: list[str]
    # The zones' source (what a later import of the same source replaces); None: the format and
    # the file's name.
    source: str | None = None


# --- reading -------------------------------------------------------------------------------------


def read_layer(source: Source, max_features: int = MAX_ROWS) -> Layer:
    """The features of a GeoJSON file or a Shapefile (with its sidecars), reprojected to WGS84;
    more than ``max_features`` is an error (one more is read to know)."""
    suffix = PurePath(source.name).suffix.lower()
    encoding = None
    if suffix == ".shp":
        for needed, what in ((".dbf", "attributes"), (".shx", "index"), (".prj", "coordinate system")):
            if needed not in source.sidecars:
                raise ImportFailure(
                    source.name, f"a Shapefile needs its {needed} ({what}) beside it, with the same name"
                )
        if ".cpg" not in source.sidecars:
            encoding = dbf_encoding(source.sidecars[".dbf"])
    try:
        with warnings.catch_warnings():
            # GDAL warns of rings left unclosed; they are closed below, as GDAL would.
            warnings.simplefilter("ignore", RuntimeWarning)
            meta, _, wkb, values = pyogrio.raw.read(
                _in_memory(source, suffix),
                encoding=encoding,
                force_2d=True,
                datetime_as_string=True,
                max_features=max_features + 1,
            )
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise ImportFailure(source.name, f"not a readable GeoJSON or Shapefile: {exc}") from None
    if len(wkb) > max_features:
        raise too_many(source.name, max_features, "features")
    geometries = shapely.from_wkb(wkb, on_invalid="fix")
    crs = meta["crs"]
    if crs is None and suffix == ".shp":
        raise ImportFailure(source.name, "the .prj names no coordinate system")
    if crs is not None:
        geometries = _to_wgs84(source.name, crs, geometries)
    columns = [str(c) for c in meta["fields"]]
    return Layer(source.name, frozenset(columns), geometries, dict(zip(columns, values, strict=True)))


def _in_memory(source: Source, suffix: str) -> bytes:
    """What GDAL reads the file from, in memory (the file was read from disk once, to be hashed):
    a GeoJSON as it is; a Shapefile with its sidecars as an uncompressed zip, the one way GDAL
    reads several files from one buffer."""
    if suffix != ".shp":
        return source.data
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("layer.shp", source.data)
        for extension, data in source.sidecars.items():
            archive.writestr(f"layer{extension}", data)
    return buffer.getvalue()


def dbf_encoding(dbf: bytes) -> str:
    """The text encoding of a .dbf that comes without a .cpg: its language driver byte when it
    names Shift_JIS, else UTF-8 when every record decodes as UTF-8, else Shift_JIS (cp932), as old
    国土数値情報 Shapefiles are."""
    if len(dbf) > 29 and dbf[29] == 0x13:
        return "CP932"
    start = int.from_bytes(dbf[8:10], "little") if len(dbf) >= 10 else 0
    try:
        dbf[start:].decode("utf-8")
    except UnicodeDecodeError:
        return "CP932"
    return "UTF-8"


def _to_wgs84(file: str, crs: str, geometries: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    try:
        source = CRS.from_user_input(crs)
    except CRSError as exc:
        raise ImportFailure(file, f"unknown coordinate system: {exc}") from None
    if source.to_epsg() == 4326:
        return geometries
    transformer = Transformer.from_crs(source, "EPSG:4326", always_xy=True)
    result: np.ndarray[Any, Any] = shapely.transform(
        geometries, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
    )
    return result


# --- depth and rank vocabularies -----------------------------------------------------------------

# A31a 浸水深ランク (planned scale and maximum assumed rainfall).
A31A_DEPTH = {1: (0.0, 0.5), 2: (0.5, 3.0), 3: (3.0, 5.0), 4: (5.0, 10.0), 5: (10.0, 20.0), 6: (20.0, None)}
# A31 (2012) 浸水深: 11–15 for one band scheme, 21–27 for the finer one.
A31_DEPTH = {
    11: (0.0, 0.5), 12: (0.5, 1.0), 13: (1.0, 2.0), 14: (2.0, 5.0), 15: (5.0, None),
    21: (0.0, 0.5), 22: (0.5, 1.0), 23: (1.0, 2.0), 24: (2.0, 3.0), 25: (3.0, 4.0), 26: (4.0, 5.0), 27: (5.0, None),
}  # fmt: skip
A31A_SCENARIOS = {"1": "planned", "2": "maximum", "3": "duration", "4": "house_collapse"}
A33_PHENOMENA = {1: "急傾斜地の崩壊", 2: "土石流", 3: "地すべり"}
A33_CLASSES = {1: "土砂災害警戒区域", 2: "土砂災害特別警戒区域"}

_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*(cm|m|メートル)?")


def depth_band(text: str) -> tuple[float | None, float | None] | None:
    """The depth band in metres a label states: "0.3m未満の区域" → (0, 0.3), "0.5～3.0m" → (0.5, 3),
    "5m以上" → (5, None), "50cm未満" → (0, 0.5). None when the text states no band."""
    t = unicodedata.normalize("NFKC", text).replace("〜", "~").replace("～", "~")
    found = _NUMBER.findall(t)
    if not found or len(found) > 2:
        return None
    units = [u for _, u in found]
    values = []
    for i, (number, unit) in enumerate(found):
        unit = unit or next((u for u in units[i + 1 :] if u), "m")
        values.append(float(number) / 100 if unit == "cm" else float(number))
    if len(values) == 2:
        low, high = values
        return (low, high) if low <= high else None
    (value,) = values
    if re.search(r"未満|以下|まで|以内", t) or t.strip().startswith("~"):
        return (0.0, value)
    if re.search(r"以上|超|~\s*$", t):
        return (value, None)
    return None


def _metres(value: float | None) -> str:
    return f"{value:.1f}m"


def band_label(low: float | None, high: float | None) -> str:
    if high is None:
        return f"{_metres(low)}以上"
    if not low:
        return f"{_metres(high)}未満"
    return f"{_metres(low)}以上{_metres(high)}未満"


def _code(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


# --- readers -------------------------------------------------------------------------------------


class Reader:
    """Turns each feature of a layer into a record, or says which value is wrong."""

    def __init__(self, layer: Layer, options: Options) -> None:
        self.layer, self.options = layer, options

    def fail(self, index: int, message: str, column: str | None = None, value: object = None) -> ImportFailure:
        return ImportFailure(self.layer.file, message, index, column, value)


def _zone(
    reader: Reader,
    index: int,
    hazard: str,
    rank: Any,
    band: tuple[float | None, float | None] | None,
    label: str | None,
    **attributes: Any,
) -> ZoneRecord:
    low, high = band or (None, None)
    rank_code = None if rank is None else str(rank).strip()[:16]
    properties = reader.layer.properties(index)
    return ZoneRecord(
        index,
        hazard,
        rank_code,
        label,
        low,
        high,
        reader.layer.geometries[index],
        {"feature": index, **attributes, "source": properties},
    )


def a31a_flood(reader: Reader, index: int) -> ZoneRecord:
    """A31a: the rank column A31a_x05, x being the scenario."""
    props = reader.layer.properties(index)
    column = next(c for c in sorted(reader.layer.columns) if re.fullmatch(r"A31a_[1-4]05", c))
    scenario = A31A_SCENARIOS[column[5]]
    rank = props.get(column)
    band = A31A_DEPTH.get(_code(rank) or 0) if scenario in ("planned", "maximum") else None
    label = band_label(*band) if band else (None if rank is None else f"{scenario} rank {rank}")
    river = props.get(f"A31a_{column[5]}02")
    return _zone(reader, index, "flood", rank, band, label, scenario=scenario, river=river)


def a31_flood(reader: Reader, index: int) -> ZoneRecord:
    rank = reader.layer.properties(index).get("A31_001")
    band = A31_DEPTH.get(_code(rank) or 0)
    return _zone(reader, index, "flood", rank, band, band_label(*band) if band else None)


def a33_landslide(reader: Reader, index: int) -> ZoneRecord:
    props = reader.layer.properties(index)
    zone_class, phenomenon = _code(props.get("A33_002")), _code(props.get("A33_001"))
    label = " ".join(x for x in (A33_CLASSES.get(zone_class or 0), A33_PHENOMENA.get(phenomenon or 0)) if x) or None
    notice = props.get("A33_007")
    return _zone(
        reader,
        index,
        "landslide",
        props.get("A33_002"),
        None,
        label,
        phenomenon=A33_PHENOMENA.get(phenomenon or 0),
        zone_number=props.get("A33_004"),
        name=props.get("A33_005"),
        notice_date=None if str(notice).startswith("9999") else notice,
    )


def a40_tsunami(reader: Reader, index: int) -> ZoneRecord:
    text = reader.layer.properties(index).get("A40_003")
    band = depth_band(str(text)) if text is not None else None
    return _zone(reader, index, "tsunami", None, band, None if text is None else str(text).strip())


def bosai_hazards(reader: Reader, index: int) -> ZoneRecord:
    """Bosai's own zones: hazard type, rank, label and depth band as the API answers them."""
    props = reader.layer.properties(index)
    low, high = props.get("depthMinM"), props.get("depthMaxM")
    band = None if low is None and high is None else (_metres_or_none(low), _metres_or_none(high))
    return _zone(reader, index, str(props["hazardType"]), props.get("rankCode"), band, props.get("rankLabel"))


def _metres_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def hazard_zones(reader: Reader, index: int) -> ZoneRecord:
    """Any other hazard file: the operator names the hazard and the rank attribute. A past
    inundation (flood_history) keeps its date: ``date`` (ISO, when the day is known) and ``year``."""
    hazard, column = str(reader.options.hazard), reader.options.rank_attribute  # hazard checked in parse()
    props = reader.layer.properties(index)
    value = props.get(column) if column else None
    text = None if value is None else str(value).strip()
    band = depth_band(text) if text else None
    plain_code = text is not None and re.fullmatch(r"[0-9A-Za-z_.-]{1,16}", text) is not None
    label = text if not plain_code or band is None else band_label(*band)
    if hazard not in HISTORY_TYPES:
        return _zone(reader, index, hazard, text if plain_code else None, band, label)
    dated = reader.options.date_attribute
    raw = props.get(dated) if dated else None
    day, year = past_date(raw)
    # The rank code of a past flood is its year: tiles carry it, the map can say which flood it was.
    return _zone(
        reader,
        index,
        hazard,
        str(year) if year is not None else None,
        band,
        label if text is not None else (None if raw is None else str(raw).strip()),
        date=day,
        year=year,
        date_text=None if raw is None else str(raw).strip(),
    )


#: Japanese eras: the Gregorian year before each one's first year (令和元年 = 2019).
_ERAS = {"明治": 1867, "大正": 1911, "昭和": 1925, "平成": 1988, "令和": 2018, "M": 1867, "T": 1911, "S": 1925,
         "H": 1988, "R": 2018}  # fmt: skip
_WESTERN = re.compile(r"(\d{4})\s*[-/.年]?\s*(?:(\d{1,2})\s*[-/.月]?\s*(?:(\d{1,2})\s*日?)?)?")
_ERA = re.compile(
    r"(明治|大正|昭和|平成|令和|[MTSHR])\s*(\d{1,2}|元)\s*[-/.年]?\s*(?:(\d{1,2})\s*[-/.月]?\s*(?:(\d{1,2})\s*日?)?)?"
)


def past_date(value: Any) -> tuple[str | None, int | None]:
    """The ISO date (when the day is known) and the year of a past event as a file writes it:
    "2019-10-12", "2019/10/12", 20191012, 2019, "令和元年10月12日", "H30.7.6", "平成30年7月"."""
    if value is None:
        return None, None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value)).strip().upper()
    if re.fullmatch(r"\d{8}", text):
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    era = _ERA.match(text)
    if era:
        year = _ERAS[era[1]] + (1 if era[2] == "元" else int(era[2]))
        month, day = era[3], era[4]
    else:
        western = _WESTERN.match(text)
        if western is None:
            return None, None
        year, month, day = int(western[1]), western[2], western[3]
    if not 1800 <= year <= 2200:
        return None, None
    if month and day and 1 <= int(month) <= 12 and 1 <= int(day) <= 31:
        return f"{year:04d}-{int(month):02d}-{int(day):02d}", year
    return None, year


AREA_FORMATS: dict[str, Callable[[frozenset[str]], bool]] = {
    "n03_boundary": lambda columns: "N03_007" in columns,
    "a31a_flood": lambda columns: any(re.fullmatch(r"A31a_[1-4]05", c) for c in columns),
    "a31_flood": lambda columns: "A31_001" in columns,
    "a33_landslide": lambda columns: {"A33_001", "A33_002"} <= columns,
    "a40_tsunami": lambda columns: "A40_003" in columns,
    "bosai_boundary": lambda columns: {"code", "name", "prefecture"} <= columns,
    "bosai_hazards": lambda columns: {"hazardType", "rankCode"} <= columns,
    "hazard_zones": lambda _columns: False,  # only when the operator names the hazard
    "boundary": lambda _columns: False,  # a municipality's own boundary: only when the operator says so
}
ZONE_READERS: dict[str, Callable[[Reader, int], ZoneRecord]] = {
    "a31a_flood": a31a_flood,
    "a31_flood": a31_flood,
    "a33_landslide": a33_landslide,
    "a40_tsunami": a40_tsunami,
    "bosai_hazards": bosai_hazards,
    "hazard_zones": hazard_zones,
}
#: The formats whose records are municipalities' boundaries (the others are hazard zones).
BOUNDARY_FORMATS = ("n03_boundary", "bosai_boundary", "boundary")


def detect(columns: frozenset[str], options: Options) -> str | None:
    """The polygon format of a layer with these columns; None when it is none of them."""
    if options.format:
        return options.format if options.format in AREA_FORMATS else None
    found = next((name for name, matches in AREA_FORMATS.items() if matches(columns)), None)
    return found or ("hazard_zones" if options.hazard else None)


def parse(source: Source, options: Options, layer: Layer | None = None, max_features: int = MAX_ROWS) -> ParsedAreas:
    """Read a boundary or hazard-zone file whole; bad features are collected (up to MAX_ERRORS)
    with their index, column and value. Raises ImportFailure when the file as a whole is wrong
    (or has more than ``max_features``)."""
    layer = layer or read_layer(source, max_features)
    name = detect(layer.columns, options)
    if name is None:
        raise ImportFailure(
            source.name,
            "not a known boundary or hazard file (N03, A31a, A31, A33, A40): for another hazard file pass "
            "--hazard TYPE and --rank-attribute COLUMN (past inundation: --hazard flood_history); for a "
            "municipality's own boundary, --format boundary --municipality CODE",
        )
    notes: list[str] = []
    if name == "hazard_zones":
        options = _check_generic(source.name, layer, options, notes)
    errors = _check_geometries(layer, lines=name == "boundary")
    reader = Reader(layer, options)
    if name == "boundary":
        boundaries = [] if errors else [municipal_boundary(reader, notes)]
        return ParsedAreas(source.name, name, boundaries, [], errors, len(layer), notes)
    if name == "n03_boundary":
        boundaries, notes = _boundaries(reader, errors)
        return ParsedAreas(source.name, name, boundaries, [], errors, len(layer), notes)
    if name == "bosai_boundary":
        boundaries = [] if errors else _bosai_boundaries(reader, errors)
        return ParsedAreas(source.name, name, boundaries, [], errors, len(layer), [])
    if name == "bosai_hazards":
        errors += _check_bosai_zones(reader)
    zones = []
    if not errors:
        read = ZONE_READERS[name]
        zones = [read(reader, i) for i in range(len(layer))]
    return ParsedAreas(source.name, name, [], zones, errors, len(layer), notes, _source(layer) if zones else None)


def _source(layer: Layer) -> str | None:
    """The one ``source`` every zone of a Bosai file names (the source it was exported with)."""
    sources = {str(v) for v in layer.values.get("source", ()) if v is not None and v != ""}
    return sources.pop() if len(sources) == 1 else None


def _check_bosai_zones(reader: Reader) -> list[ImportFailure]:
    errors = []
    for index in range(len(reader.layer)):
        props = reader.layer.properties(index)
        hazard = props.get("hazardType")
        if hazard not in ZONE_TYPES:
            errors.append(reader.fail(index, f"one of {', '.join(ZONE_TYPES)}", "hazardType", hazard))
        for column in ("depthMinM", "depthMaxM"):
            value = props.get(column)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                errors.append(reader.fail(index, "a depth in metres", column, value))
        if len(errors) >= MAX_ERRORS:
            break
    return errors


def _bosai_boundaries(reader: Reader, errors: list[ImportFailure]) -> list[BoundaryRecord]:
    records = []
    for index in range(len(reader.layer)):
        props = reader.layer.properties(index)
        try:
            code = normalize(str(props.get("code", "")))
        except InvalidCodeError as exc:
            errors.append(reader.fail(index, str(exc), "code", props.get("code")))
            continue
        name = props.get("name")
        if not name:
            errors.append(reader.fail(index, "the name is empty", "name"))
            continue
        geometry = reader.layer.geometries[index]
        records.append(
            BoundaryRecord(
                code,
                str(name),
                str(props.get("prefecture", "")),
                geometry if isinstance(geometry, MultiPolygon) else MultiPolygon([geometry]),
                1,
                props.get("nameKana"),
                props.get("nameEn"),
            )
        )
    return [] if errors else records


#: Where a past-inundation file keeps its date, most usual first (compared width- and case-folded).
DATE_COLUMNS = ("浸水年月日", "発生年月日", "災害発生日", "浸水日", "発生日", "年月日", "日付", "date",
                "浸水年", "発生年", "災害年", "年", "year", "年度")  # fmt: skip


def _check_generic(file: str, layer: Layer, options: Options, notes: list[str]) -> Options:
    """The options checked against the file; for a past inundation, the date column found."""
    if options.hazard not in ZONE_TYPES:
        raise ImportFailure(file, f"--hazard must be one of {', '.join(ZONE_TYPES)}", value=options.hazard)
    for flag, column in (("--rank-attribute", options.rank_attribute), ("--date-attribute", options.date_attribute)):
        if column and column not in layer.columns:
            raise ImportFailure(
                file,
                f"{flag} names no column of this file; its columns: {', '.join(sorted(layer.columns))}",
                value=column,
            )
    if options.hazard not in HISTORY_TYPES:
        return options
    column = options.date_attribute
    if column is None:
        folded = {unicodedata.normalize("NFKC", c).strip().lower(): c for c in sorted(layer.columns)}
        column = next((folded[name] for name in DATE_COLUMNS if name in folded), None)
    if column is None:
        notes.append(
            "no date column found (looked for " + ", ".join(DATE_COLUMNS[:6]) + ", …): the zones are stored "
            f"without a date; name it with --date-attribute (columns: {', '.join(sorted(layer.columns))})"
        )
        return options
    notes.append(f"dates from column {column}")
    return dataclasses.replace(options, date_attribute=column)


def municipal_boundary(reader: Reader, notes: list[str]) -> BoundaryRecord:
    """A municipality's own boundary (--format boundary --municipality CODE): its polygons, or the
    areas its boundary lines enclose (the lines are noded and polygonised and every enclosed face
    kept), dissolved into one."""
    layer, options = reader.layer, reader.options
    if not options.municipality:
        raise ImportFailure(layer.file, "a boundary of no national format needs --municipality CODE")
    try:
        code = normalize(options.municipality)
    except InvalidCodeError as exc:
        raise ImportFailure(layer.file, f"--municipality: {exc}", value=options.municipality) from None
    kinds = shapely.get_type_id(layer.geometries)
    polygons = list(layer.geometries[np.isin(kinds, (3, 6))])
    lines = layer.geometries[np.isin(kinds, (1, 2, 5))]
    if len(lines):
        # Lines drawn piece by piece meet at their ends, or cross: union nodes them where they meet
        # (on a centimetre grid, so that ends a float's rounding apart still meet).
        noded = shapely.union_all(shapely.set_precision(lines, 1e-7))
        found, _cuts, dangles, _rings = shapely.polygonize_full(shapely.get_parts(noded))
        faces = shapely.get_parts(found)
        if not len(faces):
            raise ImportFailure(layer.file, "the boundary lines enclose no area: are they closed?", column="geometry")
        loose = len(shapely.get_parts(dangles))
        if loose:
            notes.append(f"{loose} line pieces enclose nothing (dangling ends) and were left out: is a gap open?")
        notes.append(f"{len(faces)} areas enclosed by {len(lines)} lines, united")
        polygons.extend(faces)
    merged = shapely.union_all(polygons)
    if isinstance(merged, Polygon):
        merged = MultiPolygon([merged])
    return BoundaryRecord(code, code, "", merged, len(layer), keep_name=True)


def _check_geometries(layer: Layer, lines: bool = False) -> list[ImportFailure]:
    """Polygons (or, with ``lines``, boundary lines too) inside Japan."""
    errors = []
    kinds = shapely.get_type_id(layer.geometries)
    bounds = shapely.bounds(layer.geometries)
    west, south, east, north = JAPAN
    allowed = (1, 2, 3, 5, 6) if lines else (3, 6)  # (Multi)LineString, LinearRing; (Multi)Polygon
    for index in range(len(layer)):
        if kinds[index] not in allowed:
            found = "none" if kinds[index] == -1 else layer.geometries[index].geom_type
            expected = "a Polygon, MultiPolygon or boundary line" if lines else "a Polygon or MultiPolygon"
            errors.append(ImportFailure(layer.file, f"expected {expected}", index, "geometry", found))
        else:
            x0, y0, x1, y1 = bounds[index]
            if x0 < west or x1 > east or y0 < south or y1 > north:
                errors.append(
                    ImportFailure(
                        layer.file,
                        "coordinates lie outside Japan (is the coordinate system right?)",
                        index,
                        "geometry",
                        [round(float(v), 4) for v in bounds[index]],
                    )
                )
        if len(errors) >= MAX_ERRORS:
            break
    return errors


def _n03_name(props: dict[str, Any]) -> str:
    """市区町村名, with the 政令市 before a ward's name ("札幌市中央区"); a 郡 is dropped."""
    city = props.get("N03_003")
    parts = [city if city and str(city).endswith("市") else None, props.get("N03_004"), props.get("N03_005")]
    name = ""
    for part in parts:
        if part and not name.endswith(str(part)):
            name += str(part)
    return name


def _boundaries(reader: Reader, errors: list[ImportFailure]) -> tuple[list[BoundaryRecord], list[str]]:
    by_code: dict[str, list[int]] = {}
    unassigned = 0
    for index in range(len(reader.layer)):
        raw = reader.layer.properties(index).get("N03_007")
        if raw is None:
            unassigned += 1  # 所属未定地: belongs to no municipality
            continue
        try:
            code = normalize(str(raw), width=5)
        except InvalidCodeError as exc:
            errors.append(reader.fail(index, str(exc), "N03_007", raw))
            continue
        by_code.setdefault(code, []).append(index)
    notes = [f"{unassigned} polygons of 所属未定地 (no municipality) were skipped"] if unassigned else []
    if errors:
        return [], notes
    records = []
    for code, indexes in by_code.items():
        first = reader.layer.properties(indexes[0])
        merged = shapely.union_all(reader.layer.geometries[indexes])
        if isinstance(merged, Polygon):
            merged = MultiPolygon([merged])
        records.append(BoundaryRecord(code, _n03_name(first), str(first.get("N03_001", "")), merged, len(indexes)))
    return records, notes
