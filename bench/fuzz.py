"""The schema-driven fuzzer's long run (tests/fuzz/harness.py; `make test` runs a short one).

Every operation of the app's OpenAPI document gets the edge cases (one field at a time made
hostile) and EXAMPLES generated cases (valid and invalid) from each caller, against the demo data
in a database of the bench's own (`bosai_bench_fuzz`, dropped and reloaded each run). A caller that
an operation turns away (401/403) on its first cases stops there, so an operation's total comes from
the callers it lets in. Per endpoint it prints the cases run and the server errors (5xx), then the
first failing request of each with the exception the server logged; everything goes to
bench/results/fuzz.json. Findings are counted here, not asserted: the test is what fails.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asyncpg
from schemathesis.python.asgi import shutdown_lifespans
from sqlalchemy.ext.asyncio import create_async_engine

from server.app import create_app
from server.db.cluster import SUPERUSER
from server.db.engine import local_cluster
from server.db.migrate import upgrade
from server.lib.keys import generate, load_keys
from server.settings import Settings
from tests.fuzz.harness import CALLERS, Tally, describe, fuzz, load_demo_database, load_schema, sign_in

RESULTS = Path(__file__).resolve().parent / "results"
DATABASE = "bosai_bench_fuzz"
EXAMPLES = 300  # generated cases per operation and caller


@dataclass(frozen=True)
class Endpoint:
    operation: str
    cases: int
    server_errors: int


@dataclass(frozen=True)
class FuzzResult:
    examples: int
    callers: list[str]
    seconds: float
    cases: int
    server_errors: int
    endpoints: list[Endpoint]
    findings: str  # the first server error per endpoint and caller, as the test prints them
    tallies: list[dict[str, Any]]  # per endpoint and caller


async def _prepare(settings: Settings) -> tuple[Settings, dict[str, Any]]:
    cluster = local_cluster(settings.database)
    cluster.start()
    admin = await asyncpg.connect(host="127.0.0.1", port=cluster.port, user=SUPERUSER, database="postgres")
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    finally:
        await admin.close()
    await cluster.create_database(DATABASE)
    url = cluster.url(DATABASE)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    fuzz_settings = Settings.from_env({**env, **generate(), "DATABASE_URL": url})
    keys = load_keys(fuzz_settings)
    assert keys is not None
    engine = create_async_engine(url)
    try:
        await upgrade(engine)
        known = await load_demo_database(engine, keys)
    finally:
        await engine.dispose()
    return fuzz_settings, known


def measure(settings: Settings, examples: int = EXAMPLES, callers: tuple[str, ...] = CALLERS) -> FuzzResult:
    fuzz_settings, known = asyncio.run(_prepare(settings))
    schema = load_schema(create_app(fuzz_settings))
    signed_in = [sign_in(schema, name) for name in callers]
    started = time.monotonic()
    tallies: list[Tally] = []
    try:
        for caller in signed_in:
            for tally in fuzz(schema, caller, known, examples):
                tallies.append(tally)
                print(
                    f"  {tally.caller:15} {tally.operation:60} {tally.cases:5} cases "
                    f"{tally.server_errors:5} 5xx {tally.seconds:6.1f} s",
                    flush=True,
                )
    finally:
        shutdown_lifespans()
    totals: dict[str, list[int]] = {}
    for t in tallies:
        counts = totals.setdefault(t.operation, [0, 0])
        counts[0] += t.cases
        counts[1] += t.server_errors
    return FuzzResult(
        examples,
        list(callers),
        time.monotonic() - started,
        sum(t.cases for t in tallies),
        sum(t.server_errors for t in tallies),
        [Endpoint(operation, cases, errors) for operation, (cases, errors) in sorted(totals.items())],
        describe(tallies),
        [asdict(t) for t in tallies],
    )


def report(result: FuzzResult) -> None:
    print(f"\nfuzz: edge cases and {result.examples} generated cases per operation and caller")
    print(f"callers: {', '.join(result.callers)}")
    print(f"{'endpoint':62} {'cases':>7} {'5xx':>6}")
    for e in result.endpoints:
        print(f"{e.operation:62} {e.cases:7} {e.server_errors:6}")
    failing = sum(1 for e in result.endpoints if e.server_errors)
    print(
        f"{result.cases} cases in {result.seconds:.0f} s: {result.server_errors} server errors in {failing} endpoints"
    )
    if result.findings:
        print(f"\nfirst server error per endpoint and caller (reproduce against `make run`):\n{result.findings}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "fuzz.json").write_text(json.dumps(asdict(result), indent=1, ensure_ascii=False))
