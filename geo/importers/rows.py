"""Rows of a CSV (UTF-8 with or without BOM, or Shift_JIS) or of a GeoJSON FeatureCollection,
behind one interface: values by header name, and where each row came from."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from geo.importers.base import MAX_ROWS, ImportFailure, too_many


def decode(file: str, data: bytes) -> str:
    """UTF-8 (a BOM is dropped), else Shift_JIS (cp932, as Excel writes it)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932")
    except UnicodeDecodeError as exc:
        raise ImportFailure(
            file, f"neither UTF-8 nor Shift_JIS text (undecodable byte at offset {exc.start})"
        ) from None


@dataclass(frozen=True)
class Row:
    """One record: ``values`` by header name; ``point`` when the file carries geometry."""

    file: str
    line: int
    values: dict[str, Any]
    point: tuple[float, float] | None = None

    def text(self, *names: str) -> str | None:
        """The first non-empty value among ``names``, stripped; None when all are empty or absent."""
        for name in names:
            value = self.values.get(name)
            if value is not None and str(value).strip() != "":
                return str(value).strip()
        return None

    def fail(self, message: str, column: str | None = None, value: object = None) -> ImportFailure:
        return ImportFailure(self.file, message, self.line, column, value)


@dataclass(frozen=True)
class Table:
    file: str
    kind: str  # "csv" or "geojson"
    columns: frozenset[str]
    rows: list[Row]


BOM = b"\xef\xbb\xbf"


class _NotUtf8(Exception):  # noqa: N818 - a signal to read the file again as Shift_JIS
    pass


def text_stream(data: bytes, encoding: str) -> io.TextIOWrapper:
    """The text of ``data`` decoded as it is read (a BOM dropped): a large CSV is never held twice
    (bytes and text) and the decoding is done in small steps."""
    stream = io.BytesIO(data)
    if data.startswith(BOM):
        stream.seek(len(BOM))
    return io.TextIOWrapper(stream, encoding=encoding, newline="")


#: Characters of one CSV line at most (a field may hold at most csv's own 128 Ki): a file of one
#: endless line is refused before that line is built in memory.
MAX_LINE = 1024 * 1024


def _lines(file: str, stream: io.TextIOWrapper) -> Iterator[str]:
    while line := stream.readline(MAX_LINE):
        if len(line) == MAX_LINE and not line.endswith(("\n", "\r")):
            raise ImportFailure(file, f"a line longer than {MAX_LINE:,} characters: not a table")
        yield line


def read_csv(file: str, data: bytes, max_rows: int = MAX_ROWS) -> Table:
    """The rows of a CSV in UTF-8, else Shift_JIS (cp932, as Excel writes it), as :func:`decode`
    would choose. It is read as UTF-8 and read again as Shift_JIS only at the first byte that is not
    UTF-8 (in a Shift_JIS file, within its first line): the file is decoded once, not checked whole
    first and then decoded."""
    try:
        return _read_csv(file, text_stream(data, "utf-8"), max_rows, utf8=True)
    except _NotUtf8:
        return _read_csv(file, text_stream(data, "cp932"), max_rows, utf8=False)


def _read_csv(file: str, stream: io.TextIOWrapper, max_rows: int, utf8: bool) -> Table:
    reader = csv.reader(_lines(file, stream))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ImportFailure(file, "the file is empty") from None
    except csv.Error as exc:
        raise ImportFailure(file, f"not a readable CSV: {exc}", 1) from None
    except UnicodeDecodeError:
        if utf8:
            raise _NotUtf8 from None
        raise ImportFailure(file, "neither UTF-8 nor Shift_JIS text (undecodable byte on line 1)") from None
    rows: list[Row] = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= max_rows:
                raise too_many(file, max_rows, "rows", reader.line_num)
            if len(values) > len(header):
                raise ImportFailure(file, f"{len(values)} fields but the header has {len(header)}", reader.line_num)
            rows.append(Row(file, reader.line_num, dict(zip(header, values, strict=False))))
    except csv.Error as exc:  # e.g. a field past csv's own bound (128 KiB)
        raise ImportFailure(file, f"not a readable CSV: {exc}", reader.line_num) from None
    except UnicodeDecodeError:
        if utf8:
            raise _NotUtf8 from None
        raise ImportFailure(
            file, f"neither UTF-8 nor Shift_JIS text (undecodable byte after line {reader.line_num})"
        ) from None
    return Table(file, "csv", frozenset(header), rows)


_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class TooManyItemsError(ValueError):
    """An array of the top-level object holds more than the limit :func:`load_json` was given."""

    def __init__(self, key: str, limit: int) -> None:
        super().__init__(f"{key!r} holds more than {limit:,} items")
        self.key, self.limit = key, limit


def load_json(text: str, limits: dict[str, int] | None = None) -> Any:
    """``json.loads(text)``, except that the arrays of a top-level object (a FeatureCollection's
    features) are decoded an element at a time: a large file is never one call holding the GIL
    for seconds, which would stall the server's event loop while a worker thread parses it.
    ``limits`` bounds the items of such arrays by key: TooManyItemsError as soon as one more is
    read, before the rest of the file is parsed."""
    limits = limits or {}
    pos = _skip(text, 0)
    if not text.startswith("{", pos):
        return json.loads(text)
    document: dict[str, Any] = {}
    pos = _skip(text, pos + 1)
    if text.startswith("}", pos):
        return _end(text, pos + 1, document)
    while True:
        key, pos = _DECODER.raw_decode(text, pos)
        if not isinstance(key, str):
            raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, pos)
        pos = _skip(text, pos)
        if not text.startswith(":", pos):
            raise json.JSONDecodeError("Expecting ':' delimiter", text, pos)
        pos = _skip(text, pos + 1)
        if text.startswith("[", pos):
            document[key], pos = _array(text, pos + 1, key, limits.get(key))
        else:
            document[key], pos = _DECODER.raw_decode(text, pos)
        pos = _skip(text, pos)
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
        elif text.startswith("}", pos):
            return _end(text, pos + 1, document)
        else:
            raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)


def _array(text: str, pos: int, key: str, limit: int | None) -> tuple[list[Any], int]:
    items: list[Any] = []
    pos = _skip(text, pos)
    if text.startswith("]", pos):
        return items, pos + 1
    while True:
        if limit is not None and len(items) >= limit:
            raise TooManyItemsError(key, limit)
        item, pos = _DECODER.raw_decode(text, pos)
        items.append(item)
        pos = _skip(text, pos)
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
        elif text.startswith("]", pos):
            return items, pos + 1
        else:
            raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)


def _skip(text: str, pos: int) -> int:
    found = _SPACE.match(text, pos)
    return found.end() if found else pos


def _end(text: str, pos: int, document: dict[str, Any]) -> dict[str, Any]:
    if _skip(text, pos) != len(text):
        raise json.JSONDecodeError("Extra data", text, pos)
    return document


def read_geojson(file: str, data: bytes, max_rows: int = MAX_ROWS) -> Table:
    try:
        document = load_json(decode(file, data), {"features": max_rows})
    except TooManyItemsError:
        raise too_many(file, max_rows, "features", max_rows) from None
    except json.JSONDecodeError as exc:
        raise ImportFailure(file, f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise ImportFailure(file, "not valid GeoJSON: nested too deeply") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ImportFailure(file, 'not a GeoJSON FeatureCollection (its top-level "type" must be FeatureCollection)')
    features = document.get("features") or []
    if not isinstance(features, list):
        raise ImportFailure(file, 'not a GeoJSON FeatureCollection (its "features" must be a list)')
    rows: list[Row] = []
    columns: set[str] = set()
    for index, feature in enumerate(features):
        properties = (feature.get("properties") or {}) if isinstance(feature, dict) else None
        geometry = (feature.get("geometry") or {}) if isinstance(feature, dict) else None
        if not isinstance(properties, dict) or not isinstance(geometry, dict):
            raise ImportFailure(file, "a feature must be an object with object properties and geometry", index)
        columns.update(properties)
        coordinates = geometry.get("coordinates")
        if geometry.get("type") != "Point" or not isinstance(coordinates, list) or len(coordinates) < 2:
            raise ImportFailure(file, "expected a Point geometry", index, "geometry", geometry.get("type"))
        try:
            point = (float(coordinates[0]), float(coordinates[1]))
        except (TypeError, ValueError):
            raise ImportFailure(file, "coordinates are not numbers", index, "geometry", coordinates) from None
        rows.append(Row(file, index, properties, point))
    return Table(file, "geojson", frozenset(columns), rows)


def read_table(file: str, data: bytes, max_rows: int = MAX_ROWS) -> Table:
    """The table in a .csv, .geojson or .json file, of at most ``max_rows`` rows."""
    lowered = file.lower()
    if lowered.endswith(".csv"):
        return read_csv(file, data, max_rows)
    if lowered.endswith((".geojson", ".json")):
        return read_geojson(file, data, max_rows)
    raise ImportFailure(file, "unknown file type: expected .csv, .geojson, .json, .shp (with its sidecars) or .zip")
