"""What every facility reader produces, and how it reports a bad row."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Most rows of a CSV, or features of a GeoJSON or Shapefile, one file may have: beyond, the file
#: is refused before its rows are built (the server's BOSAI_IMPORT_MAX_ROWS; readers default to it).
MAX_ROWS = 1_000_000


class ImportFailure(Exception):  # noqa: N818 - a failure of the file, reported to its owner
    """A file (or one of its rows) that cannot be imported: says where and why.

    Args:
        file: the file's name as given.
        message: what is wrong, in words a data clerk can act on.
        line: the CSV line (1 = header) or the GeoJSON feature index (0-based), when known.
        column: the column or property name, when known.
        value: the offending value, when there is one.
    """

    def __init__(
        self, file: str, message: str, line: int | None = None, column: str | None = None, value: object = None
    ) -> None:
        self.file, self.message, self.line, self.column, self.value = file, message, line, column, value
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}" if self.file.lower().endswith(".csv") else f", feature {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        shown = "" if self.value is None else f" (value {self.value!r})"
        return f"{where}: {self.message}{shown}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


def too_many(file: str, limit: int, what: str, line: int | None = None) -> ImportFailure:
    """The failure of a file with more than ``limit`` rows or features."""
    return ImportFailure(
        file, f"more than {limit:,} {what}: a file may have at most {limit:,} (BOSAI_IMPORT_MAX_ROWS)", line
    )


@dataclass(frozen=True)
class Source:
    """One file to import. A Shapefile (``.shp``) brings its sidecars by suffix (``.dbf``, ``.shx``,
    ``.prj``, ``.cpg``)."""

    name: str
    data: bytes
    sidecars: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class Options:
    """What the operator says about files that do not say it themselves.

    Args:
        format: read every file as this format instead of detecting it.
        municipality: the municipality code of files that name none.
        hazard: the hazard type of a hazard-zone file of no national format.
        rank_attribute: the property holding such a file's rank or depth text.
        kind: the kind of every place of a municipality's own facility list (format facility_list).
        columns: for such a list, which column holds what ({"name": "施設名", "lat": "Y", …}) where
            the headers are not ones the reader knows.
        date_attribute: the property holding the date (or year) of a past-inundation zone.
    """

    format: str | None = None
    municipality: str | None = None
    hazard: str | None = None
    rank_attribute: str | None = None
    kind: str | None = None
    columns: tuple[tuple[str, str], ...] = ()
    date_attribute: str | None = None


def parse_columns(text: str | None) -> tuple[tuple[str, str], ...]:
    """``name=施設名,lat=Y,lon=X`` as (role, column) pairs; ValueError saying what is wrong."""
    pairs = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        role, sep, column = part.partition("=")
        if not sep or not role.strip() or not column.strip():
            raise ValueError(f"expected ROLE=COLUMN, got {part.strip()!r}")
        pairs.append((role.strip(), column.strip()))
    return tuple(pairs)


@dataclass(frozen=True)
class FacilityRecord:
    """One row of a source file, as the database will keep it."""

    line: int
    source_id: str
    dataset: str  # the unit a newer file replaces, e.g. "gsi_emergency_site:022055"
    place_key: str | None  # records with the same key may be one place (GSI 共通ID serial): geo.identity
    municipality: str
    municipality_name: str | None
    prefecture: str | None
    kinds: tuple[str, ...]
    name: str
    name_kana: str | None
    name_en: str | None
    address: str | None
    lon: float
    lat: float
    capacity: int | None = None
    capacity_text: str | None = None
    suitable_hazards: tuple[str, ...] = ()
    attributes: dict[str, Any] = field(default_factory=dict)
    # A welfare shelter's 受入対象者: groups of geo.kinds.TARGET_GROUPS, and text outside it as published.
    target_groups: tuple[str, ...] = ()
    target_other: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedFile:
    file: str
    format: str
    records: list[FacilityRecord]
    errors: list[ImportFailure]
    rows: int
    notes: list[str] = field(default_factory=list)
