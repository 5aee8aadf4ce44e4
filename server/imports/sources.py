"""The files behind the paths given to `bosai import`: files, folders (recursively), zip archives."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

SUFFIXES = (".csv", ".geojson", ".json")


def expand(paths: list[Path]) -> Iterator[tuple[str, bytes]]:
    """(name, content) of every importable file, in a stable order. Members of a zip archive are
    named ``archive.zip:member``."""
    for path in paths:
        if path.is_dir():
            yield from expand(sorted(p for p in path.rglob("*") if p.is_file() and _wanted(p.name)))
        elif path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                for member in sorted(archive.namelist()):
                    if _wanted(member):
                        yield f"{path}:{member}", archive.read(member)
        else:
            yield str(path), path.read_bytes()


def _wanted(name: str) -> bool:
    return name.lower().endswith((*SUFFIXES, ".zip")) and not name.startswith(("__MACOSX", "."))
