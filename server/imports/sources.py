"""The files behind the paths given to `bosai import` (files, folders, zip archives) or sent to
`POST /api/imports`. A Shapefile travels with its sidecars (.dbf, .shx, .prj, .cpg) as one source."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePath

from geo.importers.base import Source

SUFFIXES = (".csv", ".geojson", ".json", ".shp")
SIDECARS = (".dbf", ".shx", ".prj", ".cpg")


def expand(paths: Iterable[Path]) -> list[Source]:
    """Every importable file under ``paths``, in a stable order. Members of a zip archive are
    named ``archive.zip:member``."""
    return group(_files(paths))


def uploaded(files: Iterable[tuple[str, bytes]]) -> list[Source]:
    """The sources among uploaded files (zip archives unpacked)."""
    return group(item for name, data in files for item in _unpacked(name, data))


def _files(paths: Iterable[Path]) -> Iterator[tuple[str, bytes]]:
    for path in paths:
        if path.is_dir():
            yield from _files(sorted(p for p in path.rglob("*") if p.is_file() and _wanted(p.name)))
        else:
            yield from _unpacked(str(path), path.read_bytes())
            if path.suffix.lower() == ".shp":  # a Shapefile named alone brings its sidecars
                for sidecar in sorted(path.parent.iterdir()):
                    if sidecar.stem == path.stem and sidecar.suffix.lower() in SIDECARS:
                        yield str(sidecar), sidecar.read_bytes()


def _unpacked(name: str, data: bytes) -> Iterator[tuple[str, bytes]]:
    if not name.lower().endswith(".zip"):
        yield name, data
        return
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        yield name, data  # reported as unreadable when imported
        return
    with archive:
        for member in sorted(archive.namelist()):
            if _wanted(member) and not member.lower().endswith(".zip"):
                yield f"{name}:{member}", archive.read(member)


def group(files: Iterable[tuple[str, bytes]]) -> list[Source]:
    """Files as sources: each sidecar joins the Shapefile of the same name (case-insensitive);
    a sidecar without its Shapefile is dropped. Files of other types stay, to be reported."""
    files = list(files)
    sidecars: dict[str, dict[str, bytes]] = {}
    for name, data in files:
        suffix = PurePath(name).suffix.lower()
        if suffix in SIDECARS:
            sidecars.setdefault(_stem(name), {})[suffix] = data
    return [
        Source(name, data, sidecars.get(_stem(name), {}) if name.lower().endswith(".shp") else {})
        for name, data in files
        if PurePath(name).suffix.lower() not in SIDECARS
    ]


def _stem(name: str) -> str:
    return name[: -len(PurePath(name).suffix)].lower()


def _wanted(name: str) -> bool:
    base = PurePath(name).name
    return name.lower().endswith((*SUFFIXES, *SIDECARS, ".zip")) and not base.startswith(".") and "__MACOSX" not in name
