"""The schema-driven fuzzer, shared by the test (tests/fuzz) and the bench (bench/fuzz.py).

Schemathesis reads the app's own OpenAPI document. Every operation gets edge cases first (a valid
request with one field at a time set to a hostile value: NUL, huge numbers, long text), then
generated requests, valid ones (positive) and ones that break the schema (negative); path ids are
sometimes taken from the demo data so that requests reach real objects, not only 404s. Each caller
(anonymous, a resident, and one account per operator role, as `bosai demo` makes them) sends the
same cases, made once per operation, with its session cookie and CSRF token. The app runs
in-process (schemathesis' ASGI transport runs its lifespan once, so the pools exist). Any 5xx is a
finding: its first request per operation is kept as a curl command, with the exception the server
logged.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.core.result import Err
from schemathesis.specs.openapi.schemas import OpenApiSchema
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.accounts.auth import COOKIE
from server.accounts.service import RateLimit
from server.cli import FIXTURES, IMPORT_FIXTURES
from server.demo import DEMO_EVENT, DEMO_PASSWORD, demo_accounts, demo_event, import_demo_files, load_demo
from server.lib.keys import Keys

# The callers, in the order they run. Operators are the demo's accounts (server/demo.py).
OPERATORS = {
    "staff": "staff@demo.bosai.example",
    "municipal_hq": "city-hq@demo.bosai.example",
    "prefectural_hq": "pref-hq@demo.bosai.example",
    "data_admin": "data-admin@demo.bosai.example",
}
CALLERS = ("anonymous", "resident", *OPERATORS)
# Not fuzzed, and why.
EXCLUDED = {
    # An event stream that stays open while the event lasts: each case would wait for the
    # transport's stream deadline; bench/checkins.py measures it instead.
    "GET /api/live": "an endless event stream",
}
# Run last for each caller: it ends the caller's session, so the cases after it would all be
# anonymous ones.
LAST = ("POST /api/auth/logout",)
# Where the curl commands point: `make run` serves the demo there.
REPRO_BASE = "http://127.0.0.1:8000"
CURL_MAX = 600
DEMO_CODE = "029998"
Operation = APIOperation[Any, Any, Any, Any]
Request = Case[Any]


@dataclass(frozen=True)
class Caller:
    name: str
    cookie: str | None = None
    csrf: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        if self.cookie is None:
            return {}
        return {"Cookie": f"{COOKIE}={self.cookie}", "X-CSRF-Token": self.csrf or ""}


@dataclass
class Finding:
    """The first server error of one operation for one caller."""

    status: int
    curl: str
    detail: str


@dataclass
class Tally:
    operation: str
    caller: str
    cases: int = 0
    server_errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    first: Finding | None = None


async def load_demo_database(engine: AsyncEngine, keys: Keys) -> dict[str, Any]:
    """Everything `bosai demo` loads (the towns, the demo accounts, the open event with its
    walk-ins) into a migrated database; returns the demo ids path parameters may take."""
    await load_demo(engine, FIXTURES)
    summaries = await import_demo_files(engine, IMPORT_FIXTURES)
    assert all(s.ok for s in summaries), summaries
    await demo_accounts(engine)
    await demo_event(engine, keys)
    async with engine.connect() as connection:
        shelter = await connection.scalar(
            text(
                "SELECT f.id FROM facility f JOIN municipality m ON m.id = f.municipality_id "
                "WHERE m.code = :code AND 'designated_shelter' = ANY(f.kinds) ORDER BY f.name LIMIT 1"
            ),
            {"code": DEMO_CODE},
        )
        event = await connection.scalar(text("SELECT id FROM disaster_event WHERE name = :n"), {"n": DEMO_EVENT})
        centre = (
            await connection.execute(
                text(
                    "SELECT ST_X(c), ST_Y(c) FROM "
                    "(SELECT ST_Centroid(boundary) c FROM municipality WHERE code = :code) s"
                ),
                {"code": DEMO_CODE},
            )
        ).one()
    z = 14
    x = int((centre[0] + 180) / 360 * 2**z)
    y = int((1 - math.asinh(math.tan(math.radians(centre[1]))) / math.pi) / 2 * 2**z)
    # The staff account's shelter is the demo's first open shelter.
    return {
        "facility_id": str(shelter),
        "shelter_id": str(shelter),
        "event_id": str(event),
        "code": DEMO_CODE,
        "z": z,
        "x": x,
        "y": f"{y}.mvt",
    }


def load_schema(app: Litestar) -> OpenApiSchema:
    """The app's own OpenAPI document, its operations to be called in-process."""
    # Every case comes from one client address: the per-address sign-in limit would turn all but
    # the first few sign-in cases away with 429 before the handler reads them.
    if "login_limit" in app.state:
        app.state.login_limit = RateLimit(limit=1_000_000, window_s=60)
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    # The repro commands show the fuzzed values as sent (sessions are placeholders already).
    schema.config.output.sanitization.update(enabled=False)
    return schema


def _session_cookie(response: schemathesis.Response) -> str:
    cookies: SimpleCookie = SimpleCookie()
    for header in response.headers.get("set-cookie", []):
        cookies.load(header)
    return cookies[COOKIE].value


def sign_in(schema: OpenApiSchema, name: str) -> Caller:
    """A caller with a session of its own: a new resident, or a demo operator account."""
    if name == "anonymous":
        return Caller(name)
    if name == "resident":
        response = schema["/api/residents"]["POST"].Case().call()
    else:
        credentials: dict[str, Any] = {"email": OPERATORS[name], "password": DEMO_PASSWORD}
        response = schema["/api/auth/login"]["POST"].Case(body=credentials, media_type="application/json").call()
    assert response.status_code in (200, 201), (name, response.status_code, response.content[:500])
    me: dict[str, Any] = response.json()
    return Caller(name, _session_cookie(response), me["csrfToken"])


def operations(schema: OpenApiSchema) -> list[Operation]:
    """Every operation of the document but the excluded ones, the session-ending ones last."""
    found: list[Operation] = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # the document itself is broken: that is a finding too
        found.append(result.ok())
    kept = [op for op in found if op.label not in EXCLUDED]
    return sorted(kept, key=lambda op: (op.label in LAST, op.label))


def _strategy(operation: Operation, known: Mapping[str, Any]) -> st.SearchStrategy[Request]:
    path_names = {p.name for p in operation.path_parameters}
    demo_ids = {name: value for name, value in known.items() if name in path_names}
    options = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        options.append(operation.as_strategy(generation_mode=mode))
        if demo_ids:
            options.append(operation.as_strategy(generation_mode=mode, path_parameters=demo_ids))
    return st.one_of(options)


class _Errors(logging.Handler):
    """What the app logged at ERROR while one case ran (its unexpected exceptions)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        line = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            frame = _last_frame(record.exc_info[2])
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            line = f"{type(exc).__module__}.{type(exc).__qualname__}: {message}"[:300]
            line += f" (at {frame})" if frame else ""
        self.lines.append(line)


def _last_frame(tb: Any) -> str:
    """The deepest frame of the project's own code in a traceback: where the bug is."""
    where = ""
    root = str(Path(__file__).resolve().parents[2])
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(root) and "/.venv/" not in filename:
            where = f"{Path(filename).relative_to(root)}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where


@contextmanager
def _logged_errors() -> Iterator[_Errors]:
    handler = _Errors()
    logger = logging.getLogger()
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def _curl(case: Request, caller: Caller) -> str:
    headers = {"Cookie": f"{COOKIE}=$SESSION", "X-CSRF-Token": "$CSRF"} if caller.cookie else {}
    curl = case.as_curl_command(headers=headers, base_url=REPRO_BASE)
    return curl if len(curl) <= CURL_MAX else f"{curl[:CURL_MAX]}… ({len(curl)} characters)"


def _nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


# What random generation rarely hits but breaks servers (the stack notes' "measured traps"): NUL,
# which PostgreSQL refuses in text; numbers past every integer type and float; very long text.
# Each replaces one field of an otherwise valid request; path and query parameters take these.
HOSTILE_TEXT: tuple[Any, ...] = ("\x00", "9" * 40, "-1", "1e999", "x" * 5000)
# Body fields also take JSON values of other types, and deep nesting.
HOSTILE_JSON: tuple[Any, ...] = (*HOSTILE_TEXT, 2**63, -(2**63) - 1, 1e308, None, [], {}, _nested(200))
# Valid requests drawn to choose the seed of the edge cases from.
SEED_TRIES = 10


def _declared(operation: Operation) -> set[str]:
    """The properties the document declares for the request body (extra ones are noise)."""
    names: set[str] = set()
    for alternative in operation.body:
        schema = alternative.optimized_schema
        if isinstance(schema, dict):
            names.update(schema.get("properties", {}))
    return names


def _richness(case: Request, declared: set[str]) -> int:
    """How much of a request the server will read: fields sent, strings not empty."""
    body = case.body if isinstance(case.body, dict) else {}
    fields = {**(case.query or {}), **{k: v for k, v in body.items() if k in declared}}
    return len(fields) + sum(1 for value in fields.values() if value not in ("", None, [], {}))


def _seed(operation: Operation, known: Mapping[str, Any]) -> Request | None:
    """A valid request of ``operation`` (demo ids in its path) that fills in as many fields as
    a few tries give: the same every run."""
    path_names = {p.name for p in operation.path_parameters}
    demo_ids = {name: value for name, value in known.items() if name in path_names}
    seeds: list[Request] = []

    @settings(
        max_examples=SEED_TRIES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=demo_ids))
    def draw(case: Request) -> None:
        seeds.append(case)

    draw()
    declared = _declared(operation)
    seed = max(seeds, key=lambda case: _richness(case, declared), default=None)
    if seed is not None and isinstance(seed.body, dict):
        seed = _variant(operation, seed, body={k: v for k, v in seed.body.items() if k in declared})
    return seed


def edge_cases(operation: Operation, known: Mapping[str, Any]) -> list[Request]:
    """The edge cases of ``operation``: made once, sent by every caller."""
    key = (id(operation.schema), operation.label)
    if key not in _EDGE_CASES:
        _EDGE_CASES[key] = list(_edge_cases(operation, known))
    return _EDGE_CASES[key]


_EDGE_CASES: dict[tuple[int, str], list[Request]] = {}


def _edge_cases(operation: Operation, known: Mapping[str, Any]) -> Iterator[Request]:
    """The seed request with one field at a time (every query parameter declared, sent or not)
    replaced by each hostile value; the worst values first, in every field, as a rate limit may
    stop the rest."""
    seed = _seed(operation, known)
    if seed is None:
        return
    path = seed.path_parameters or {}
    # Optional parameters are left out: one the server rejects would hide what the hostile one does.
    required = {p.name for p in operation.query if p.is_required}
    query = {name: value for name, value in (seed.query or {}).items() if name in required}
    body = seed.body if isinstance(seed.body, dict) else None
    for n, hostile in enumerate(HOSTILE_JSON):
        if n < len(HOSTILE_TEXT):
            for name in path:
                yield _variant(operation, seed, path_parameters={**path, name: hostile})
            for name in [p.name for p in operation.query]:
                yield _variant(operation, seed, query={**query, name: hostile})
        for name in body or {}:
            yield _variant(operation, seed, body={**(body or {}), name: hostile})


def _variant(operation: Operation, seed: Request, **changed: Any) -> Request:
    fields: dict[str, Any] = {
        "path_parameters": seed.path_parameters,
        "query": seed.query,
        "headers": dict(seed.headers or {}),
        "cookies": seed.cookies,
        "body": seed.body,
        "media_type": seed.media_type,
    }
    return operation.Case(**{**fields, **changed})


# Cases after which an operation that answered nothing but 401/403 counts as closed to the caller.
PROBE = 5
DENIED = {401, 403}


def _closed(tally: Tally) -> bool:
    """The operation turned this caller away every time: more cases would only be turned away."""
    return tally.cases >= PROBE and set(tally.statuses) <= DENIED


def _send(case: Request, caller: Caller, tally: Tally) -> None:
    with _logged_errors() as errors:
        try:
            response = case.call(headers=caller.headers)
            status = response.status_code
            detail = response.content[:300].decode("utf-8", "replace")
        except Exception as exc:  # the app crashed the transport: as bad as a 500
            status, detail = 599, f"{type(exc).__name__}: {exc}"
    tally.cases += 1
    tally.statuses[status] = tally.statuses.get(status, 0) + 1
    if status >= 500:
        tally.server_errors += 1
        if tally.first is None:
            tally.first = Finding(status, _curl(case, caller), "; ".join(errors.lines) or detail)


def generated_cases(operation: Operation, known: Mapping[str, Any], examples: int) -> list[Request]:
    """Up to ``examples`` generated cases of ``operation``: drawn once, sent by every caller.

    Derandomized, the draw never depended on the caller (each drew the same sequence), and
    drawing, not sending, was most of the fuzzer's time.
    """
    key = (id(operation.schema), operation.label, examples)
    if key not in _GENERATED:
        cases: list[Request] = []

        @settings(
            max_examples=examples,
            derandomize=True,  # the same cases every run: a finding reproduces
            database=None,
            deadline=None,
            phases=[Phase.generate],  # findings are recorded, not raised: nothing to shrink
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
        )
        @given(case=_strategy(operation, known))
        def draw(case: Request) -> None:
            cases.append(case)

        draw()
        _GENERATED[key] = cases
    return _GENERATED[key]


_GENERATED: dict[tuple[int, str, int], list[Request]] = {}


def fuzz_operation(operation: Operation, caller: Caller, known: Mapping[str, Any], examples: int) -> Tally:
    """Send the edge cases and up to ``examples`` generated cases of ``operation`` as ``caller``;
    count the 5xx."""
    tally = Tally(operation.label, caller.name)
    started = time.monotonic()
    # The edge cases all go: a sign-in endpoint answers 401 to wrong credentials, not to the caller.
    for case in edge_cases(operation, known):
        _send(case, caller, tally)
    for case in generated_cases(operation, known, examples):
        if _closed(tally):
            break
        _send(case, caller, tally)
    tally.seconds = time.monotonic() - started
    return tally


def fuzz(schema: OpenApiSchema, caller: Caller, known: Mapping[str, Any], examples: int) -> list[Tally]:
    return [fuzz_operation(operation, caller, known, examples) for operation in operations(schema)]


def describe(tallies: list[Tally]) -> str:
    """The server errors found, one block per operation and caller, for a person to act on."""
    blocks = []
    for t in tallies:
        if t.first is None:
            continue
        blocks.append(
            f"{t.operation} as {t.caller}: {t.server_errors} of {t.cases} cases answered 5xx "
            f"(first {t.first.status})\n    {t.first.detail}\n    {t.first.curl}"
        )
    return "\n".join(blocks)
