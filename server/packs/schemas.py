"""What the packs API gives (camelCase on the wire): the manifest of an offline pack — where its
archive and facility list are, their sizes and digests, and what the archive holds."""

from __future__ import annotations

import msgspec


class PackFacilities(msgspec.Struct):
    """The compact facility list beside the archive."""

    url: str
    bytes: int
    sha256: str
    count: int


class PackGraph(msgspec.Struct):
    """The walkable graph beside the archive, for routes on the device (server/roads/graph.py)."""

    url: str
    bytes: int
    sha256: str
    edges: int


class PackManifest(msgspec.Struct, rename="camel"):
    municipality: str
    name: str
    version: int
    built_at: str
    data_as_of: str | None
    url: str
    bytes: int
    sha256: str
    bbox: tuple[float, float, float, float]  # west, south, east, north
    min_zoom: int
    max_zoom: int
    layers: list[str]
    tile_count: int
    facilities: PackFacilities
    build_seconds: float
    graph: PackGraph | None  # none without roads


class PackList(msgspec.Struct):
    packs: list[PackManifest]


class PackVersions(PackManifest):
    """A municipality's newest pack, and every version still downloadable (newest first)."""

    versions: list[int]


class MunicipalitySummary(msgspec.Struct, rename="camel"):
    """A municipality in the list residents choose a pack from (answered by packs/catalog.py)."""

    code: str
    name: str
    name_kana: str | None
    name_en: str | None
    prefecture: str
    bbox: tuple[float, float, float, float] | None
    facility_counts: dict[str, int]
    pack: PackManifest | None = None  # its newest offline pack, once one is built


class MunicipalityList(msgspec.Struct):
    municipalities: list[MunicipalitySummary]
