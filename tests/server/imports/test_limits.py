"""Imports are bounded (upload size, files per archive, unpacked sizes, rows and features) and run
off the event loop: a zip bomb is refused within a memory bound while /healthz keeps answering."""

from __future__ import annotations

import asyncio
import io
import struct
import threading
import zipfile
import zlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread
import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.app import create_app
from server.cli import main
from server.imports import routes, service, sources
from server.imports.sources import CHUNK, ImportTooLargeError, bounded_copy, stage_uploads
from server.settings import MIB, ImportSettings, Settings
from tests.conftest import settings_for
from tests.server.roles import PASSWORD, operator, sign_in

Client = AsyncTestClient[Litestar]
F = TypeVar("F", bound=Callable[..., Any])

IMPORTS = Path(__file__).resolve().parents[3] / "fixtures" / "import"
AED = IMPORTS / "facilities" / "standard_08_aed_v1.csv"  # 12 rows
TSUNAMI = IMPORTS / "areas" / "A40-20_02_tsunami.geojson"  # 3 features
LANDSLIDE = sorted((IMPORTS / "areas").glob("A33-23_02_landslide.*"))  # a Shapefile of 5 features
BOMB_BYTES = 600 * MIB
# What the server may grow by while refusing a 600 MiB bomb: far below the bomb, far above noise.
MEMORY_BOUND = 100 * MIB


def zeros_zip(name: str, size: int, declared: int | None = None) -> bytes:
    """A zip whose one member is ``size`` zero bytes (a multiple of 1 MiB), its header declaring
    ``declared`` bytes (default: the truth). Built from one compressed MiB repeated (each full
    flush starts afresh), so a 600 MiB bomb is made in a moment and weighs about 600 KB."""
    chunk = bytes(MIB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    stream = segment * (size // MIB) + compressor.flush()
    crc = 0
    for _ in range(size // MIB):
        crc = zlib.crc32(chunk, crc)
    stated = size if declared is None else declared
    raw = name.encode()
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(stream), stated, len(raw), 0) + raw
    central = (
        struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, len(stream), stated, len(raw), 0, 0, 0, 0, 0, 0
        )
        + raw
    )
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local) + len(stream), 0)
    return local + stream + central + end


def zipped(*members: tuple[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


# --- memory: the peak resident size of this process (Linux), reset before what is measured ----


def reset_peak_memory() -> int:
    """Reset the process's peak resident size (VmHWM) to the current one, and return it."""
    Path("/proc/self/clear_refs").write_text("5")
    return peak_memory()


def peak_memory() -> int:
    status = Path("/proc/self/status").read_text()
    (line,) = [line for line in status.splitlines() if line.startswith("VmHWM:")]
    return int(line.split()[1]) * 1024


class Parked:
    """Holds a step run in a worker thread until released (at most 30 s, so that a step run on the
    event loop, which blocks everything, makes the test fail instead of hang)."""

    def __init__(self) -> None:
        self.entered, self.released, self.resumed = threading.Event(), threading.Event(), threading.Event()

    def around(self, func: F) -> F:
        def parked(*args: Any, **kwargs: Any) -> Any:
            self.entered.set()
            self.released.wait(30)
            self.resumed.set()
            return func(*args, **kwargs)

        return parked  # type: ignore[return-value]


async def healthz_while(client: httpx.AsyncClient, parked: Parked, request: asyncio.Task[Any]) -> tuple[int, bool]:
    """GET /healthz while ``request`` is held at ``parked``: its status, and whether it answered
    while the step was still held (so: not on the event loop the step would have blocked)."""
    try:
        assert await anyio.to_thread.run_sync(parked.entered.wait, 30)
        health = await client.get("/healthz")
        return health.status_code, not parked.resumed.is_set() and not request.done()
    finally:
        parked.released.set()


@asynccontextmanager
async def data_admin(database_url: str, engine: AsyncEngine, **limits: int) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(with_limits(database_url, **limits))) as client:
        await sign_in(client, engine, "data_admin")
        yield client


def with_limits(database_url: str, **limits: int) -> Settings:
    return replace(settings_for(database_url), imports=ImportSettings(**limits))


@asynccontextmanager
async def served_data_admin(database_url: str, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    """The app served by uvicorn on its own event loop (a thread of this process, so that its
    memory is this process's), and a real HTTP client signed in as a data admin. The test
    client of Litestar handles one request at a time, so it cannot show what answers meanwhile."""
    config = uvicorn.Config(create_app(with_limits(database_url)), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive(), "the server did not start"
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            email = await operator(engine, "data_admin")
            response = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
            assert response.status_code == 200, response.text
            client.headers["X-CSRF-Token"] = response.json()["csrfToken"]
            yield client
    finally:
        server.should_exit = True
        await anyio.to_thread.run_sync(thread.join, 30)


async def count(engine: AsyncEngine, table: str) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(text(f"SELECT count(*) FROM {table}")) or 0)  # noqa: S608 - our names


async def imported(engine: AsyncEngine) -> list[int]:
    """How many rows the tables an import writes hold (signing in makes a town and a shelter)."""
    return [await count(engine, t) for t in ("facility", "facility_record", "hazard_zone", "municipality")]


# --- a decompression bomb ------------------------------------------------------------------------


async def test_a_zip_bomb_is_refused_naming_the_bound_within_a_memory_bound_while_healthz_answers(
    database_url: str, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = zeros_zip("zeros.csv", BOMB_BYTES)
    assert len(bomb) < MIB
    parked = Parked()
    monkeypatch.setattr(routes, "stage_uploads", parked.around(sources.stage_uploads))
    async with served_data_admin(database_url, engine) as client:  # the default bounds
        before = await imported(engine)
        baseline = reset_peak_memory()
        posting = asyncio.create_task(client.post("/api/imports", files={"file": ("bomb.zip", bomb)}))
        health, while_held = await healthz_while(client, parked, posting)
        response = await posting
        grown = peak_memory() - baseline
    assert health == 200 and while_held  # /healthz answered while the bomb was being unpacked
    assert response.status_code == 413, response.text
    body = response.json()
    assert "bomb.zip:zeros.csv" in body["detail"] and "256 MiB" in body["detail"]
    assert body["limit"] == {"setting": "BOSAI_IMPORT_MAX_FILE_MB", "value": 256 * MIB}
    assert grown < MEMORY_BOUND, f"grew by {grown / MIB:.0f} MiB"
    assert await count(engine, "import_run") == 0 and await imported(engine) == before


async def test_a_zip_whose_header_understates_a_member_is_not_believed(database_url: str, engine: AsyncEngine) -> None:
    # Declares 1 KiB, inflates to 600 MiB: reading stops at the declared size and the checksum
    # of what was read does not match, so the archive is refused without unpacking the rest.
    liar = zeros_zip("zeros.csv", BOMB_BYTES, declared=1024)
    async with data_admin(database_url, engine) as client:
        before = await imported(engine)
        baseline = reset_peak_memory()
        response = await client.post("/api/imports", files={"file": ("liar.zip", liar)})
        grown = peak_memory() - baseline
    assert response.status_code == 422, response.text
    assert "liar.zip:zeros.csv" in response.json()["detail"] and "CRC" in response.json()["detail"]
    assert grown < MEMORY_BOUND, f"grew by {grown / MIB:.0f} MiB"
    assert await count(engine, "import_run") == 0 and await imported(engine) == before


def test_unpacking_stops_at_the_first_chunk_past_a_bound_whatever_the_archive_declared() -> None:
    class Endless:
        """Zero bytes for ever, as a member whose header lies would give without a bound."""

        given = 0

        def read(self, size: int = -1) -> bytes:
            self.given += size
            return bytes(size)

    source, limits = Endless(), ImportSettings(max_file_bytes=5 * CHUNK, max_unpacked_bytes=100 * CHUNK)
    with pytest.raises(ImportTooLargeError, match="BOSAI_IMPORT_MAX_FILE_MB"):
        bounded_copy(source, io.BytesIO(), "a.zip:zeros.csv", limits)
    assert source.given == 6 * CHUNK
    source = Endless()
    with pytest.raises(ImportTooLargeError, match="BOSAI_IMPORT_MAX_UNPACKED_MB"):
        bounded_copy(source, io.BytesIO(), "b.zip:zeros.csv", limits, unpacked=98 * CHUNK)
    assert source.given == 3 * CHUNK


def test_the_cli_refuses_a_zip_bomb_on_disk_within_a_memory_bound(database_url: str, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(zeros_zip("zeros.csv", BOMB_BYTES))
    baseline = reset_peak_memory()
    result = CliRunner().invoke(main, ["import", str(bomb)], env={"DATABASE_URL": database_url})
    grown = peak_memory() - baseline
    assert result.exit_code == 1, result.output
    assert "bomb.zip:zeros.csv" in result.output and "BOSAI_IMPORT_MAX_FILE_MB" in result.output
    assert grown < MEMORY_BOUND, f"grew by {grown / MIB:.0f} MiB"


def test_the_cli_applies_the_settings_bounds(database_url: str, tmp_path: Path) -> None:
    archive = tmp_path / "many.zip"
    archive.write_bytes(zipped(*[(f"{i}.csv", b"x") for i in range(5)]))
    env = {"DATABASE_URL": database_url, "BOSAI_IMPORT_MAX_FILES": "3"}
    result = CliRunner().invoke(main, ["import", str(archive)], env=env)
    assert result.exit_code == 1 and "BOSAI_IMPORT_MAX_FILES" in result.output, result.output


# --- the other bounds ----------------------------------------------------------------------------


async def test_an_archive_of_too_many_files_is_refused(database_url: str, engine: AsyncEngine) -> None:
    many = zipped(*[(f"part{i}.csv", b"a,b\n1,2\n") for i in range(5)])
    async with data_admin(database_url, engine, max_files=4) as client:
        response = await client.post("/api/imports", files={"file": ("many.zip", many)})
        fine = await client.post("/api/imports", files={"file": ("aed.zip", zipped((AED.name, AED.read_bytes())))})
    assert response.status_code == 413, response.text
    assert "many.zip holds 5 entries" in response.json()["detail"] and "at most 4" in response.json()["detail"]
    assert response.json()["limit"] == {"setting": "BOSAI_IMPORT_MAX_FILES", "value": 4}
    assert fine.status_code == 200, fine.text


async def test_archives_that_together_unpack_past_the_bound_are_refused_and_nothing_is_imported(
    database_url: str, engine: AsyncEngine
) -> None:
    first = zipped((AED.name, AED.read_bytes()))
    second = zipped(("padding.csv", bytes(600_000)))
    async with data_admin(database_url, engine, max_file_bytes=MIB, max_unpacked_bytes=MIB // 2) as client:
        before = await imported(engine)
        response = await client.post("/api/imports", files=[("file", ("a.zip", first)), ("file", ("b.zip", second))])
    assert response.status_code == 413, response.text
    assert response.json()["limit"]["setting"] == "BOSAI_IMPORT_MAX_UNPACKED_MB"
    assert "b.zip" in response.json()["detail"]
    assert await count(engine, "import_run") == 0 and await imported(engine) == before  # not even a.zip


async def test_an_upload_past_the_bound_is_413_before_it_is_read(database_url: str, engine: AsyncEngine) -> None:
    async with data_admin(database_url, engine, max_upload_bytes=10_000) as client:
        response = await client.post("/api/imports", files={"file": ("big.csv", bytes(20_000))})
        small = await client.post("/api/imports", files={"file": (AED.name, AED.read_bytes())})
    assert response.status_code == 413, response.text
    assert response.json()["limit"] == {"setting": "BOSAI_IMPORT_MAX_UPLOAD_MB", "value": 10_000}
    assert "10,000 bytes" in response.json()["detail"]
    assert small.status_code == 200, small.text


@pytest.mark.parametrize(
    ("files", "name", "what"),
    [
        ([(AED.name, AED.read_bytes())], AED.name, "more than 2 rows"),
        ([(TSUNAMI.name, TSUNAMI.read_bytes())], TSUNAMI.name, "more than 2 features"),
        (
            [("A33.zip", zipped(*[(p.name, p.read_bytes()) for p in LANDSLIDE]))],
            "A33.zip:A33-23_02_landslide.shp",
            "more than 2 features",
        ),
    ],
)
async def test_a_file_of_more_rows_or_features_than_the_bound_is_422_naming_it_and_changes_nothing(
    database_url: str, engine: AsyncEngine, files: list[tuple[str, bytes]], name: str, what: str
) -> None:
    async with data_admin(database_url, engine, max_rows=2) as client:
        before = await imported(engine)
        response = await client.post("/api/imports", files=[("file", f) for f in files])
    assert response.status_code == 422, response.text
    (summary,) = response.json()["files"]
    (error,) = summary["errors"]
    assert summary["file"] == error["file"] == name and summary["status"] == "failed"
    assert what in error["message"] and "BOSAI_IMPORT_MAX_ROWS" in error["message"]
    assert await imported(engine) == before
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT status FROM import_run"))).scalars().all() == ["failed"]


async def test_a_zip_inside_a_zip_is_not_unpacked_and_is_reported(database_url: str, engine: AsyncEngine) -> None:
    inner = zipped(("hidden.csv", AED.read_bytes()))
    outer = zipped(("inner.zip", inner), (AED.name, AED.read_bytes()))
    async with data_admin(database_url, engine) as client:
        response = await client.post("/api/imports", files={"file": ("outer.zip", outer)})
    assert response.status_code == 422, response.text
    by_file = {f["file"]: f for f in response.json()["files"]}
    assert set(by_file) == {"outer.zip:inner.zip", f"outer.zip:{AED.name}"}
    assert "inside a zip archive is not unpacked" in by_file["outer.zip:inner.zip"]["errors"][0]["message"]
    assert by_file[f"outer.zip:{AED.name}"]["created"] == 12


async def test_members_are_unpacked_to_the_staging_folder_whatever_their_names(tmp_path: Path) -> None:
    archive = zipped(("../../escaped.csv", b"a\n1\n"), ("/abs/olute.csv", b"a\n2\n"))
    (tmp_path / "stage").mkdir()
    staged = stage_uploads([("x.zip", io.BytesIO(archive))], tmp_path / "stage", ImportSettings())
    assert [s.name for s in staged] == ["x.zip:../../escaped.csv", "x.zip:/abs/olute.csv"]
    assert all(s.path is not None and s.path.parent == tmp_path / "stage" for s in staged)
    assert [s.load().data for s in staged] == [b"a\n1\n", b"a\n2\n"]


# --- off the event loop --------------------------------------------------------------------------


async def test_parsing_runs_off_the_event_loop_so_healthz_answers_meanwhile(
    database_url: str, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    parked = Parked()
    monkeypatch.setattr(service, "read", parked.around(service.read))
    async with served_data_admin(database_url, engine) as client:
        posting = asyncio.create_task(client.post("/api/imports", files={"file": (AED.name, AED.read_bytes())}))
        health, while_held = await healthz_while(client, parked, posting)
        response = await posting
    assert health == 200 and while_held
    assert response.status_code == 200, response.text


def test_bounds_come_from_the_environment_in_mib() -> None:
    limits = ImportSettings.from_env({"BOSAI_IMPORT_MAX_FILE_MB": "3", "BOSAI_IMPORT_MAX_ROWS": "10"})
    assert (limits.max_file_bytes, limits.max_rows) == (3 * MIB, 10)
    assert Settings.from_env({}).imports == ImportSettings()


async def test_an_upload_without_a_length_is_411(database_url: str, engine: AsyncEngine) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b"--x\r\nContent-Disposition: form-data; name=file; filename=a.csv\r\n\r\na\r\n--x--\r\n"

    async with data_admin(database_url, engine) as client:
        headers = {"content-type": "multipart/form-data; boundary=x"}
        response = await client.post("/api/imports", content=body(), headers=headers)
    assert response.status_code == 411, response.text
    assert "Content-Length" in response.json()["detail"]


async def test_a_file_that_breaks_a_reader_fails_alone_and_is_recorded(
    database_url: str, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise ValueError("a case no reader foresaw")

    monkeypatch.setattr(service, "read", broken)
    async with data_admin(database_url, engine) as client:
        response = await client.post("/api/imports", files={"file": (AED.name, AED.read_bytes())})
    assert response.status_code == 422, response.text
    (summary,) = response.json()["files"]
    assert "could not be read (ValueError: a case no reader foresaw)" in summary["errors"][0]["message"]
    async with engine.connect() as connection:
        run = (await connection.execute(text("SELECT status, finished_at IS NOT NULL FROM import_run"))).one()
    assert tuple(run) == ("failed", True)
