"""`make bench`: the server on one core, wrk on the other, each endpoint against the baseline.

The baseline is a trivial JSON endpoint of the same app (`/healthz`), measured in the same run, so
results are comparable across machines as ratios. Targets are printed beside the ratios, never
asserted in tests. Results are also written to bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from server.cli import FIXTURES
from server.db.engine import local_cluster
from server.db.migrate import upgrade
from server.demo import load_demo
from server.settings import Settings

RESULTS = Path(__file__).resolve().parent / "results"
BENCH_DATABASE = "bosai_bench"


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    target_ratio: float | None = None  # minimum req/s as a fraction of the baseline's


CASES = [
    Case("baseline /healthz", "/healthz"),
    Case("readiness /readyz (one DB round trip)", "/readyz"),
]


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


def wrk(url: str, seconds: int, connections: int) -> tuple[float, float, float]:
    """Run wrk on core 1; return (req/s, p50 ms, p99 ms)."""
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"{url} answered errors during the run:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    p50 = _ms(re.search(r"50%\s+(\S+)", out)[1])  # type: ignore[index]
    p99 = _ms(re.search(r"99%\s+(\S+)", out)[1])  # type: ignore[index]
    return rps, p50, p99


def prepare_database(settings: Settings) -> str:
    """A database of its own, so the bench never touches the demo's data."""
    if settings.database.url:
        return settings.database.url
    cluster = local_cluster(settings.database)
    cluster.start()
    asyncio.run(cluster.create_database(BENCH_DATABASE))
    return cluster.url(BENCH_DATABASE)


async def load(url: str) -> None:
    engine = create_async_engine(url)
    try:
        await upgrade(engine)
        await load_demo(engine, FIXTURES)
    finally:
        await engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=int, default=5, help="duration of each measurement (default 5)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk (make bench installs it as root)")

    settings = Settings.from_env()
    url = prepare_database(settings)
    asyncio.run(load(url))
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "BOSAI_LOG_LEVEL": "warning"}
    bosai = str(Path(sys.executable).with_name("bosai"))
    with subprocess.Popen(
        ["taskset", "-c", "0", bosai, "serve", "--workers", "1", "--port", str(port)], env=env
    ) as app:
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while not _up(base):
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start within 30 s")
                time.sleep(0.2)
            results: list[Result] = []
            baseline = 0.0
            for case in CASES:
                wrk(base + case.path, 1, args.connections)  # warm up
                rps, p50, p99 = wrk(base + case.path, args.seconds, args.connections)
                baseline = baseline or rps
                results.append(Result(case.name, case.path, rps, p50, p99, rps / baseline, case.target_ratio))
        finally:
            app.terminate()
            app.wait(timeout=20)
    report(results, args)


def _up(base: str) -> bool:
    try:
        httpx.get(f"{base}/healthz", timeout=1)
    except httpx.TransportError:
        return False
    return True


def report(results: list[Result], args: argparse.Namespace) -> None:
    print(f"\n{'endpoint':44} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>7}  target")
    for r in results:
        target = (
            "" if r.target_ratio is None else f"≥ {r.target_ratio:g} {'ok' if r.ratio >= r.target_ratio else 'MISSED'}"
        )
        print(f"{r.name:44} {r.requests_per_s:9.0f} {r.p50_ms:8.2f} {r.p99_ms:8.2f} {r.ratio:7.2f}  {target}")
    RESULTS.mkdir(exist_ok=True)
    record = {"seconds": args.seconds, "connections": args.connections, "results": [asdict(r) for r in results]}
    (RESULTS / "latest.json").write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
