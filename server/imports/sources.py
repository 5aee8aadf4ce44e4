"""The files behind the paths given to `bosai import` (files, folders, zip archives) or sent to
`POST /api/imports`. A Shapefile travels with its sidecars (.dbf, .shx, .prj, .cpg) as one source.

Zip archives are unpacked to a staging folder on disk, never into memory, within the bounds of
:class:`ImportSettings`: the number of files an archive holds (checked from its end record before
its central directory is loaded), the size each file and all of them together unpack to (checked
from the declared sizes first, then counted while unpacking, stopping at the first byte past a
bound, since a declared size is only a claim). A zip inside a zip is not unpacked: it is reported
as a file that cannot be imported. Sources are then read from disk one at a time when imported."""

from __future__ import annotations

import shutil
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path, PurePath
from typing import IO, Protocol, TypeVar

from geo.importers.base import Source
from server.lib.errors import BosaiError, UnprocessableError
from server.settings import MIB, ImportSettings

SUFFIXES = (".csv", ".geojson", ".json", ".shp")
SIDECARS = (".dbf", ".shx", ".prj", ".cpg")
CHUNK = 1024 * 1024  # bytes unpacked between two checks of the bounds
# A central directory entry is 46 bytes and its name; 1 KiB a file leaves room for long Japanese
# paths and bounds what zipfile builds in memory before the files can be counted.
CENTRAL_DIRECTORY_BYTES_PER_FILE = 1024

T = TypeVar("T")


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class ImportTooLargeError(BosaiError):
    """An upload or archive beyond one of the import bounds (413); names the bound and its setting."""

    status_code = 413
    title = "Import too large"

    def __init__(self, detail: str, setting: str, value: int) -> None:
        super().__init__(detail, limit={"setting": setting, "value": value})


def _mib(size: int) -> str:
    return f"{size / MIB:,.0f} MiB" if size >= MIB else f"{size:,} bytes"


def upload_too_large(limits: ImportSettings) -> ImportTooLargeError:
    return ImportTooLargeError(
        f"the upload is larger than {_mib(limits.max_upload_bytes)}, the most one import may send "
        "(BOSAI_IMPORT_MAX_UPLOAD_MB)",
        "BOSAI_IMPORT_MAX_UPLOAD_MB",
        limits.max_upload_bytes,
    )


@dataclass(frozen=True)
class Staged:
    """A file to import, on disk until it is imported (``path`` None: nothing to read, e.g. a zip
    inside a zip, reported when imported)."""

    name: str
    path: Path | None
    sidecars: dict[str, Path] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(p.stat().st_size for p in (self.path, *self.sidecars.values()) if p is not None)

    def load(self) -> Source:
        data = self.path.read_bytes() if self.path is not None else b""
        return Source(self.name, data, {suffix: path.read_bytes() for suffix, path in self.sidecars.items()})


class Stager:
    """Collects the files of one import into ``folder``; the unpacked bound counts across every
    archive of the import."""

    def __init__(self, folder: Path, limits: ImportSettings) -> None:
        self.folder, self.limits = folder, limits
        self.unpacked = 0
        self.files: list[tuple[str, Path | None]] = []
        self._numbers = count()

    def staged(self) -> list[Staged]:
        return [
            Staged(name, path, {suffix: p for suffix, p in sidecars.items() if p is not None})
            for name, path, sidecars in group(self.files)
        ]

    def add_path(self, path: Path) -> None:
        """A file, folder or zip archive named on the command line."""
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*") if p.is_file() and _wanted(p.name)):
                self.add_path(found)
            return
        if _is_zip(path.name):
            with path.open("rb") as file:
                self.add_archive(str(path), file, path)
            return
        self.files.append((str(path), path))
        if path.suffix.lower() == ".shp":  # a Shapefile named alone brings its sidecars
            for sidecar in sorted(path.parent.iterdir()):
                if sidecar.stem == path.stem and sidecar.suffix.lower() in SIDECARS:
                    self.files.append((str(sidecar), sidecar))

    def add_upload(self, name: str, file: IO[bytes]) -> None:
        """A file sent to `POST /api/imports` (already bounded by the upload size)."""
        if _is_zip(name):
            self.add_archive(name, file, None)
            return
        self.files.append((name, self._copy(name, file)))

    def add_archive(self, name: str, file: IO[bytes], original: Path | None) -> None:
        """The importable files of a zip archive, unpacked within the bounds."""
        declared = _declared_entries(file)
        if declared is not None:
            self._check_count(name, *declared)
        file.seek(0)
        try:
            archive = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
            # Not a zip after all: kept as it is, to be reported as unreadable when imported.
            self.files.append((name, original if original is not None else self._copy(name, file)))
            return
        with archive:
            entries = archive.infolist()
            self._check_count(name, len(entries), 0)
            wanted = sorted((i for i in entries if not i.is_dir() and _wanted(i.filename)), key=lambda i: i.filename)
            for info in wanted:
                self._check_declared(f"{name}:{info.filename}", info.file_size)
            declared_total = sum(i.file_size for i in wanted if not _is_zip(i.filename))
            self._check_unpacked(name, self.unpacked + declared_total)
            for info in wanted:
                member = f"{name}:{info.filename}"
                if _is_zip(info.filename):
                    self.files.append((member, None))
                    continue
                path = self._new_path(info.filename)
                try:
                    with archive.open(info) as source, path.open("wb") as out:
                        self.unpacked += bounded_copy(source, out, member, self.limits, self.unpacked)
                except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError) as exc:
                    raise UnprocessableError(f"{member}: not a readable zip archive member ({exc})") from None
                self.files.append((member, path))

    def _check_count(self, name: str, files: int, central_directory: int) -> None:
        limit = self.limits.max_files
        if files > limit or central_directory > limit * CENTRAL_DIRECTORY_BYTES_PER_FILE:
            shown = f"{files:,} entries" if files > limit else f"a {_mib(central_directory)} list of entries"
            raise ImportTooLargeError(
                f"{name} holds {shown}: a zip archive may hold at most {limit:,} files and folders "
                "(BOSAI_IMPORT_MAX_FILES)",
                "BOSAI_IMPORT_MAX_FILES",
                limit,
            )

    def _check_declared(self, member: str, size: int) -> None:
        if size > self.limits.max_file_bytes:
            raise file_too_large(member, self.limits)

    def _check_unpacked(self, name: str, total: int) -> None:
        if total > self.limits.max_unpacked_bytes:
            raise unpacked_too_large(name, self.limits)

    def _new_path(self, name: str) -> Path:
        # Names inside an archive never become paths: a member called ../../x stays in the folder.
        return self.folder / f"{next(self._numbers)}{PurePath(name).suffix.lower()[:16]}"

    def _copy(self, name: str, file: IO[bytes]) -> Path:
        file.seek(0)
        path = self._new_path(name)
        with path.open("wb") as out:
            shutil.copyfileobj(file, out, CHUNK)
        return path


def file_too_large(member: str, limits: ImportSettings) -> ImportTooLargeError:
    return ImportTooLargeError(
        f"{member} unpacks to more than {_mib(limits.max_file_bytes)}: each file of a zip archive may unpack "
        f"to at most {_mib(limits.max_file_bytes)} (BOSAI_IMPORT_MAX_FILE_MB)",
        "BOSAI_IMPORT_MAX_FILE_MB",
        limits.max_file_bytes,
    )


def unpacked_too_large(name: str, limits: ImportSettings) -> ImportTooLargeError:
    return ImportTooLargeError(
        f"{name}: the zip archives of this import unpack to more than {_mib(limits.max_unpacked_bytes)}, "
        f"the most one import may unpack (BOSAI_IMPORT_MAX_UNPACKED_MB)",
        "BOSAI_IMPORT_MAX_UNPACKED_MB",
        limits.max_unpacked_bytes,
    )


def bounded_copy(source: Readable, out: IO[bytes], member: str, limits: ImportSettings, unpacked: int = 0) -> int:
    """Copy ``source`` to ``out`` a chunk at a time and return the bytes copied; raise as soon as
    the file passes ``max_file_bytes`` or ``unpacked`` plus it passes ``max_unpacked_bytes``,
    whatever the archive declared."""
    copied = 0
    while chunk := source.read(CHUNK):
        copied += len(chunk)
        if copied > limits.max_file_bytes:
            raise file_too_large(member, limits)
        if unpacked + copied > limits.max_unpacked_bytes:
            raise unpacked_too_large(member.rsplit(":", 1)[0], limits)
        out.write(chunk)
    return copied


_END = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_END = struct.Struct("<4sQ2H2L4Q")


def _declared_entries(file: IO[bytes]) -> tuple[int, int] | None:
    """The file count and central directory size an archive's end record declares (None when it
    has none: not a zip), read before zipfile loads the whole directory into memory."""
    file.seek(0, 2)
    size = file.tell()
    tail = min(size, _END.size + 65535)
    file.seek(size - tail)
    data = file.read(tail)
    at = data.rfind(b"PK\x05\x06")
    if at < 0 or len(data) - at < _END.size:
        return None
    _, _, _, _, entries, directory, _, _ = _END.unpack_from(data, at)
    if at >= _ZIP64_LOCATOR.size:
        signature, _, offset, _ = _ZIP64_LOCATOR.unpack_from(data, at - _ZIP64_LOCATOR.size)
        if signature == b"PK\x06\x07" and offset + _ZIP64_END.size <= size:
            file.seek(offset)
            record = file.read(_ZIP64_END.size)
            if record[:4] == b"PK\x06\x06":
                fields = _ZIP64_END.unpack(record)
                entries, directory = max(entries, fields[7]), max(directory, fields[8])
    return entries, directory


def stage_paths(paths: Iterable[Path], folder: Path, limits: ImportSettings) -> list[Staged]:
    """Every importable file under ``paths``, in a stable order, zip archives unpacked into
    ``folder``. Members of a zip archive are named ``archive.zip:member``."""
    stager = Stager(folder, limits)
    for path in paths:
        stager.add_path(path)
    return stager.staged()


def stage_uploads(files: Iterable[tuple[str, IO[bytes]]], folder: Path, limits: ImportSettings) -> list[Staged]:
    """The sources among uploaded files, copied or unpacked into ``folder``."""
    stager = Stager(folder, limits)
    for name, file in files:
        stager.add_upload(name, file)
    return stager.staged()


def expand(paths: Iterable[Path], limits: ImportSettings | None = None) -> list[Source]:
    """Every importable file under ``paths``, read into memory (for small sets: the demo, tests)."""
    with tempfile.TemporaryDirectory(prefix="bosai-import-") as folder:
        return [staged.load() for staged in stage_paths(paths, Path(folder), limits or ImportSettings())]


def group(files: Iterable[tuple[str, T]]) -> list[tuple[str, T, dict[str, T]]]:
    """Files as sources: each sidecar joins the Shapefile of the same name (case-insensitive);
    a sidecar without its Shapefile is dropped. Files of other types stay, to be reported."""
    files = list(files)
    sidecars: dict[str, dict[str, T]] = {}
    for name, data in files:
        suffix = PurePath(name).suffix.lower()
        if suffix in SIDECARS:
            sidecars.setdefault(_stem(name), {})[suffix] = data
    return [
        (name, data, sidecars.get(_stem(name), {}) if name.lower().endswith(".shp") else {})
        for name, data in files
        if PurePath(name).suffix.lower() not in SIDECARS
    ]


def _stem(name: str) -> str:
    return name[: -len(PurePath(name).suffix)].lower()


def _is_zip(name: str) -> bool:
    return name.lower().endswith(".zip")


def _wanted(name: str) -> bool:
    base = PurePath(name).name
    return name.lower().endswith((*SUFFIXES, *SIDECARS, ".zip")) and not base.startswith(".") and "__MACOSX" not in name
