"""`make bench`: the server on one core, wrk on the other, each endpoint against the baseline.

The baseline is a trivial JSON endpoint of the same app (`/healthz`), measured in the same run, so
results are comparable across machines as ratios. The data is generated (bench/data.py): 80,000
facilities across Japan and 20,000 hazard polygons. tipg, installed in its own environment
(bench/.venv-tipg), serves the same facility table as tiles for comparison. Targets are printed
beside the ratios, never asserted in tests. Results are also written to bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from bench import alerts, checkins, firstvisit, fuzz, imports, packs, routes, safety
from bench.data import HOT_SPOT, generate
from server.db.engine import local_cluster
from server.db.migrate import upgrade
from server.settings import Settings

RESULTS = Path(__file__).resolve().parent / "results"
BENCH_DATABASE = "bosai_bench"
IMPORT_DATABASE = "bosai_bench_import"
CHECKIN_DATABASE = "bosai_bench_checkins"
FIRSTVISIT_DATABASE = "bosai_bench_firstvisit"
ALERTS_DATABASE = "bosai_bench_alerts"
SAFETY_DATABASE = "bosai_bench_safety"
ROUTES_DATABASE = "bosai_bench_routes"


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    target_ratio: float | None = None  # minimum req/s as a fraction of the baseline's


LAT, LON = HOT_SPOT
Z, X, Y = 12, int((LON + 180) / 360 * 4096), int((1 - math.asinh(math.tan(math.radians(LAT))) / math.pi) / 2 * 4096)
TILE = f"/tiles/{Z}/{X}/{Y}.mvt"
TIPG_TILE = f"/collections/public.facility/tiles/WebMercatorQuad/{Z}/{X}/{Y}?geom-column=geom"

CACHED = Case(f"tile z{Z} (3 layers, cached)", TILE)
CASES = [
    Case("baseline /healthz", "/healthz"),
    Case("nearest 5 shelters for flood", f"/api/facilities/nearest?lat={LAT}&lon={LON}&hazard=flood", 0.15),
    Case("hazards/at", f"/api/hazards/at?lat={LAT}&lon={LON}", 0.15),
    CACHED,
    Case("readiness /readyz (one DB round trip)", "/readyz"),
]
UNCACHED = Case(f"tile z{Z} (3 layers, cache off)", TILE)
TIPG = Case(f"tipg tile z{Z} (facility table)", TIPG_TILE)
TIPG_VENV = Path(__file__).resolve().parent / ".venv-tipg"
TIPG_VERSION = "1.6.1"


@dataclass(frozen=True)
class Result:
    name: str
    path: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    ratio: float
    target_ratio: float | None


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if match is None:
        raise ValueError(f"cannot read wrk latency {text!r}")
    return float(match[1]) * _UNITS[match[2]]


def wrk(url: str, seconds: int, connections: int, timeout_s: int = 2) -> tuple[float, float, float]:
    """Run wrk on core 1; return (req/s, p50 ms, p99 ms)."""
    out = subprocess.run(
        [
            "taskset",
            "-c",
            "1",
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            f"--timeout={timeout_s}s",
            "--latency",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"{url} answered errors during the run:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE)[1])  # type: ignore[index]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)[1])  # type: ignore[index]
    return rps, p50, p99


def prepare_database(settings: Settings, name: str) -> str:
    """A database of the bench's own in the local cluster: the bench empties and fills it, so it
    never uses DATABASE_URL."""
    cluster = local_cluster(settings.database)
    cluster.start()
    asyncio.run(cluster.create_database(name))
    return cluster.url(name)


async def load(url: str) -> str:
    engine = create_async_engine(url)
    try:
        await upgrade(engine)
        return await generate(engine)
    finally:
        await engine.dispose()


def tipg_python() -> Path:
    """tipg in an environment of its own (its dependencies are not the app's)."""
    python = TIPG_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(TIPG_VENV)], check=True)
    check = subprocess.run(
        [str(python), "-c", f"import tipg; assert tipg.__version__ == '{TIPG_VERSION}'"], check=False
    )
    if check.returncode != 0:
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", f"tipg=={TIPG_VERSION}", "uvicorn==0.54.0"], check=True
        )
    return python


@contextmanager
def serving(command: list[str], env: dict[str, str], probe: str) -> Iterator[str]:
    """Run a server pinned to core 0 until the block ends; yield its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with subprocess.Popen(["taskset", "-c", "0", *command, "--port", str(port)], env=env) as process:
        try:
            deadline = time.monotonic() + 60
            while not _up(base + probe):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit(f"{command[0]} did not start")
                time.sleep(0.3)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=20)


def measure(base: str, case: Case, args: argparse.Namespace, baseline: float) -> Result:
    timeout = getattr(args, "timeout", 2)
    wrk(base + case.path, 1, args.connections, timeout)  # warm up
    rps, p50, p99 = wrk(base + case.path, args.seconds, args.connections, timeout)
    return Result(case.name, case.path, rps, p50, p99, rps / (baseline or rps), case.target_ratio)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=int, default=5, help="duration of each measurement (default 5)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    parser.add_argument(
        "--only",
        choices=("map", "imports", "checkins", "fuzz", "firstvisit", "alerts", "safety", "routes"),
        help="run one part: map, imports and packs, checkins, fuzz, firstvisit (a throttled first visit), "
        "alerts, safety (status updates, check-ins telling the family) or routes (walking routes on a "
        "city-sized graph)",
    )
    args = parser.parse_args()
    settings = Settings.from_env({k: v for k, v in os.environ.items() if k != "DATABASE_URL"})
    if args.only in (None, "map"):
        map_bench(settings, args)
    if args.only in (None, "imports"):
        url = prepare_database(settings, IMPORT_DATABASE)
        imports.report(asyncio.run(imports.measure(url)))
        packs.report(asyncio.run(packs.measure(url, settings)))
    if args.only in (None, "checkins"):
        url = prepare_database(settings, CHECKIN_DATABASE)
        checkins.report(checkins.measure(url, args.seconds, args.connections))
    if args.only in (None, "safety"):
        url = prepare_database(settings, SAFETY_DATABASE)
        safety.report(safety.measure(url, args.seconds, args.connections))
    if args.only in (None, "fuzz"):
        fuzz.report(fuzz.measure(settings))
    if args.only in (None, "alerts"):
        alerts.report(alerts.measure(prepare_database(settings, ALERTS_DATABASE), settings))
    if args.only in (None, "routes"):
        routes_bench(settings, args)
    if args.only in (None, "firstvisit"):
        url = prepare_database(settings, FIRSTVISIT_DATABASE)
        firstvisit.load_demo(url)
        bosai = str(Path(sys.executable).with_name("bosai"))
        env = {**os.environ, "DATABASE_URL": url, "BOSAI_LOG_LEVEL": "warning"}
        with serving([bosai, "serve", "--workers", "1"], env, "/readyz") as base:
            firstvisit.report(firstvisit.run(base))


def routes_bench(settings: Settings, args: argparse.Namespace) -> None:
    """Routes per second against /healthz on a city-sized graph; its import time and pack size."""
    url = prepare_database(settings, ROUTES_DATABASE)
    city = asyncio.run(routes.prepare(url, settings))
    bosai = str(Path(sys.executable).with_name("bosai"))
    env = {**os.environ, "DATABASE_URL": url, "BOSAI_LOG_LEVEL": "warning"}
    results: list[Result] = []
    with serving([bosai, "serve", "--workers", "1"], env, "/readyz") as base:
        for path in city.routes.values():  # every route answers before anything is timed
            response = httpx.get(base + path, timeout=60)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}: {response.text[:300]}")
        results.append(measure(base, Case("baseline /healthz", "/healthz"), args, 0.0))
        # A route takes far longer than /healthz: few connections and a long timeout, so that wrk
        # counts answers rather than timeouts (at 32 connections every route request timed out,
        # and the backlog it left behind starved what was measured next); the baseline alike.
        slow = argparse.Namespace(**{**vars(args), "connections": routes.CONNECTIONS, "timeout": 60})
        slow_base = measure(base, Case(f"baseline /healthz ({routes.CONNECTIONS} conn.)", "/healthz"), slow, 0.0)
        results.append(slow_base)
        for name, path in city.routes.items():
            case = Case(f"{name} ({routes.CONNECTIONS} conn.)", path, routes.TARGET_RATIO)
            results.append(measure(base, case, slow, slow_base.requests_per_s))
    routes.report(city, [asdict(r) for r in results])


def map_bench(settings: Settings, args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk (make bench installs it as root)")

    url = prepare_database(settings, BENCH_DATABASE)
    print(asyncio.run(load(url)))
    tipg = tipg_python()
    bosai = str(Path(sys.executable).with_name("bosai"))
    env = {**os.environ, "DATABASE_URL": url, "BOSAI_LOG_LEVEL": "warning"}
    results: list[Result] = []
    with serving([bosai, "serve", "--workers", "1"], env, "/readyz") as base:
        for case in CASES:
            results.append(measure(base, case, args, results[0].requests_per_s if results else 0.0))
    baseline = results[0].requests_per_s
    with serving([bosai, "serve", "--workers", "1"], {**env, "BOSAI_TILE_CACHE_MB": "0"}, "/readyz") as base:
        results.append(measure(base, UNCACHED, args, baseline))
    tipg_env = {**env, "DATABASE_URL": url.replace("+asyncpg", ""), "TIPG_DB_SCHEMAS": '["public"]'}
    command = [str(tipg), "-m", "uvicorn", "tipg.main:app", "--log-level", "warning"]
    with serving(command, tipg_env, "/collections") as base:
        results.append(measure(base, TIPG, args, baseline))
    report(results, args)


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def report(results: list[Result], args: argparse.Namespace) -> None:
    print(f"\n{'endpoint':44} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'x base':>7}  target")
    for r in results:
        target = (
            "" if r.target_ratio is None else f"≥ {r.target_ratio:g} {'ok' if r.ratio >= r.target_ratio else 'MISSED'}"
        )
        print(f"{r.name:44} {r.requests_per_s:9.0f} {r.p50_ms:8.2f} {r.p99_ms:8.2f} {r.ratio:7.2f}  {target}")
    by_name = {r.name: r.requests_per_s for r in results}
    for case in (CACHED, UNCACHED):
        times = by_name[case.name] / by_name[TIPG.name]
        print(f"{case.name} vs tipg: {times:.1f}x (target >= 4x: {'ok' if times >= 4 else 'MISSED'})")
    RESULTS.mkdir(exist_ok=True)
    record = {"seconds": args.seconds, "connections": args.connections, "results": [asdict(r) for r in results]}
    (RESULTS / "latest.json").write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
