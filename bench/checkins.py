"""Check-ins and the live stream.

1. Check-ins per second: wrk (core 1) posts QR check-ins to one `bosai serve` worker (core 0), each
   with a new Idempotency-Key except every fifth, which re-sends a key already sent (a client's
   retry). Afterwards every key is sent once more, as a client retrying a lost answer would, and
   the database must hold exactly one check-in per key: none lost, none doubled. The baseline is
   the same app's trivial endpoint (`/healthz`), measured in the same run; target ≥ 0.1 × it.
2. Stream latency: 200 dashboard streams (`GET /api/live`) open at once, each resuming from its own
   event id (the hub shares the work whatever the resume point), held by 40 headquarters accounts
   (a process takes at most 5 streams per account); check-ins are posted one at a time, and the
   time from posting to each stream receiving the shelter's new count is taken (p50, p99 over all
   streams and check-ins).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import quantiles

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from server.accounts.service import Principal, RoleRequest, add_operator, start_session
from server.db.engine import session_factory
from server.db.migrate import upgrade
from server.households.schemas import HouseholdIn, Member
from server.households.service import household_code, new_household, seal
from server.lib.keys import Keys, generate
from server.shelters.live import STREAMS_PER_ACCOUNT
from server.shelters.service import scoped_key

RESULTS = Path(__file__).resolve().parent / "results"
HOUSEHOLDS = 200
STREAMS = 200
LIVE_CHECKINS = 20
PASSWORD = "bench password 2026"  # noqa: S105 - a throwaway account in the bench database
RETRY_EVERY = 5

# wrk's script: a new key per request, every fifth a re-sent earlier key; codes taken in turn.
LUA = """
local codes = {%(codes)s}
n = 0
function request()
  n = n + 1
  local key
  if n %% %(retry)d == 0 and n > 3 then key = "%(run)s-" .. (n - 3) else key = "%(run)s-" .. n end
  local body = '{"shelterId":"%(shelter)s","stay":"inside","qr":"' .. codes[(n %% #codes) + 1] .. '"}'
  return wrk.format("POST", "/api/checkins", {
    ["Content-Type"] = "application/json",
    ["Cookie"] = "%(cookie)s",
    ["X-CSRF-Token"] = "%(csrf)s",
    ["Idempotency-Key"] = key,
  }, body)
end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  io.write("sent=" .. threads[1]:get("n") .. "\\n")
end
"""


@dataclass(frozen=True)
class CheckinResult:
    baseline_per_s: float
    checkins_per_s: float
    ratio: float
    target_ratio: float
    keys: int
    rows: int
    lost: int
    doubled: int
    streams: int
    live_checkins: int
    delivered: int
    catch_up_s: float  # until every stream had read its backlog (n events behind for the n-th)
    p50_ms: float
    p99_ms: float
    max_ms: float


async def _prepare(url: str, keys: Keys) -> tuple[str, list[str], str]:
    """A shelter open in an event, its staff account, and households with codes."""
    engine = create_async_engine(url)
    try:
        await upgrade(engine)
        async with engine.begin() as connection:
            await connection.execute(
                text("TRUNCATE checkin, live_event, shelter_operation, disaster_event, household, account CASCADE")
            )
            await connection.execute(text("TRUNCATE facility_record, facility, municipality CASCADE"))
            shelter = str(
                await connection.scalar(
                    text(
                        "WITH town AS (INSERT INTO municipality (id, code, name, prefecture) VALUES "
                        "(gen_random_uuid(), '029998', '見本市', '青森県') RETURNING id) "
                        "INSERT INTO facility (id, municipality_id, kinds, name, geom) SELECT gen_random_uuid(), id, "
                        "ARRAY['designated_shelter'], '中央小学校', ST_SetSRID(ST_MakePoint(140.76, 40.8), 4326) "
                        "FROM town RETURNING id"
                    )
                )
            )
            await connection.execute(
                text(
                    "WITH event AS (INSERT INTO disaster_event (id, hazard_type, name) VALUES "
                    "(gen_random_uuid(), 'flood', 'bench') RETURNING id) "
                    "INSERT INTO shelter_operation (id, event_id, facility_id, capacity) "
                    "SELECT gen_random_uuid(), id, :f, 1000000 FROM event"
                ),
                {"f": shelter},
            )
        codes = []
        async with session_factory(engine)() as session, session.begin():
            await add_operator(session, "staff@bench.example", PASSWORD, [RoleRequest("staff", shelters=[shelter])])
            for n in range(HOUSEHOLDS):
                household = new_household()
                session.add(household)
                members = [Member(name=f"ベンチ {n}-{m}", relationship="self") for m in range(1 + n % 3)]
                seal(keys, household, HouseholdIn(members=members))
                codes.append(household_code(keys, household))
        return shelter, codes, url
    finally:
        await engine.dispose()


async def _dashboards(url: str, accounts: int) -> list[str]:
    """Session cookies of ``accounts`` headquarters accounts (made here: signing in that many
    times from one address would meet the sign-in rate limit)."""
    engine = create_async_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            cookies = []
            for n in range(accounts):
                hq = await add_operator(session, f"hq{n}@bench.example", PASSWORD, [RoleRequest("prefectural_hq")])
                await session.flush()
                token, _, _ = await start_session(session, hq)
                cookies.append(f"bosai_session={token}")
        return cookies
    finally:
        await engine.dispose()


def _sign_in(base: str, email: str) -> tuple[str, str]:
    answer = httpx.post(f"{base}/api/auth/login", json={"email": email, "password": PASSWORD})
    answer.raise_for_status()
    return f"bosai_session={answer.cookies['bosai_session']}", answer.json()["csrfToken"]


def _wrk(script: Path | None, url: str, seconds: int, connections: int) -> tuple[float, str]:
    command = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"{url} answered errors during the run:\n{out}")
    rps = float(out.split("Requests/sec:")[1].split()[0])
    return rps, out


async def _verify(url: str, base: str, run: str, sent: int, shelter: str, codes: list[str]) -> tuple[int, int, int]:
    """Send every key once more (a client's retry); then (distinct keys, rows, rows doubled)."""
    cookie, csrf = _sign_in(base, "staff@bench.example")
    headers = {"Cookie": cookie, "X-CSRF-Token": csrf}
    keys = [f"{run}-{n}" for n in range(1, sent + 1) if not (n % RETRY_EVERY == 0 and n > 3)]
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        semaphore = asyncio.Semaphore(16)

        async def again(n: int, key: str) -> None:
            body = {"shelterId": shelter, "stay": "inside", "qr": codes[(n % len(codes))]}
            async with semaphore:
                answer = await client.post("/api/checkins", json=body, headers={"Idempotency-Key": key})
                answer.raise_for_status()

        await asyncio.gather(*(again(int(key.rsplit("-", 1)[1]), key) for key in keys))
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            # Keys are stored scoped to the account that sent them (server.shelters.service).
            account = await connection.scalar(text("SELECT id FROM account WHERE email = 'staff@bench.example'"))
            staff = Principal(account, "operator", None, (), "")
            stored = [scoped_key(staff, "checkin", key) for key in keys]
            rows = int(
                await connection.scalar(
                    text("SELECT count(*) FROM checkin WHERE idempotency_key = ANY(:k)"), {"k": stored}
                )
                or 0
            )
            doubled = int(
                await connection.scalar(
                    text(
                        "SELECT count(*) FROM (SELECT idempotency_key FROM checkin WHERE idempotency_key = ANY(:k) "
                        "GROUP BY idempotency_key HAVING count(*) > 1) d"
                    ),
                    {"k": stored},
                )
                or 0
            )
    finally:
        await engine.dispose()
    return len(keys), rows, doubled


async def _stream_latency(url: str, base: str, shelter: str, codes: list[str]) -> tuple[list[float], float]:
    """Open STREAMS dashboard streams and let them read their backlogs; post check-ins one at a
    time; seconds to each stream, and seconds until every stream had caught up."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            last = int(await connection.scalar(text("SELECT coalesce(max(id), 0) FROM live_event")) or 0)
    finally:
        await engine.dispose()
    hq_cookies = await _dashboards(url, -(-STREAMS // STREAMS_PER_ACCOUNT))
    staff_cookie, csrf = _sign_in(base, "staff@bench.example")
    limits = httpx.Limits(max_connections=STREAMS + 10, max_keepalive_connections=STREAMS + 10)
    latencies: list[float] = []
    posted: dict[int, float] = {}  # people count after the check-in → when it was posted
    ready, delivered = asyncio.Event(), asyncio.Event()
    caught_up, expected = 0, 0

    async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(30, read=None), limits=limits) as hq:

        async def listen(n: int) -> None:
            nonlocal caught_up
            # Distinct resume points (as many dashboards reconnecting would send) up to the last event.
            headers = {"Last-Event-ID": str(max(0, last - n)), "Cookie": hq_cookies[n // STREAMS_PER_ACCOUNT]}
            async with hq.stream("GET", "/api/live", headers=headers) as response:
                response.raise_for_status()
                behind = n > 0
                async for line in response.aiter_lines():
                    if behind and line.startswith("id:") and int(line[3:]) >= last:
                        behind, caught_up = False, caught_up + 1
                        if caught_up == STREAMS - 1:
                            ready.set()
                    elif line.startswith("data:"):
                        people = json.loads(line[5:])["shelter"]["people"]
                        if people in posted:
                            latencies.append(time.perf_counter() - posted[people])
                            if len(latencies) >= expected:
                                delivered.set()

        started = time.perf_counter()
        listeners = [asyncio.create_task(listen(n)) for n in range(STREAMS)]
        await asyncio.wait_for(ready.wait(), 120)
        catch_up = time.perf_counter() - started
        await asyncio.sleep(1.0)
        async with httpx.AsyncClient(base_url=base, headers={"Cookie": staff_cookie, "X-CSRF-Token": csrf}) as staff:
            people = (await staff.get("/api/shelters/occupancy")).json()["people"]
            for n in range(LIVE_CHECKINS):
                code = codes[n % len(codes)]
                members = 1 + (n % len(codes)) % 3
                expected = STREAMS * (n + 1)
                delivered.clear()
                posted[people + members] = time.perf_counter()
                body = {"shelterId": shelter, "stay": "inside", "qr": code}
                answer = await staff.post("/api/checkins", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
                answer.raise_for_status()
                people += answer.json()["people"]
                with contextlib.suppress(TimeoutError):  # a stream that missed it shows in the report
                    await asyncio.wait_for(delivered.wait(), 10)
        for listener in listeners:
            listener.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
    return latencies, catch_up


def measure(url: str, seconds: int, connections: int) -> CheckinResult:
    from bench.__main__ import serving

    generated = generate()
    keys = Keys(base64.b64decode(generated["BOSAI_DATA_KEY"]), base64.b64decode(generated["BOSAI_QR_KEY"]))
    shelter, codes, _ = asyncio.run(_prepare(url, keys))
    bosai = str(Path(sys.executable).with_name("bosai"))
    env = {**os.environ, **generated, "DATABASE_URL": url, "BOSAI_LOG_LEVEL": "warning"}
    with serving([bosai, "serve", "--workers", "1"], env, "/readyz") as base:
        _wrk(None, base + "/healthz", 1, connections)
        baseline, _ = _wrk(None, base + "/healthz", seconds, connections)
        cookie, csrf = _sign_in(base, "staff@bench.example")
        run = uuid.uuid4().hex[:8]
        quoted = ",".join(f'"{c}"' for c in codes)
        script = Path(tempfile.mkdtemp()) / "checkins.lua"
        script.write_text(
            LUA
            % {"codes": quoted, "retry": RETRY_EVERY, "run": run, "shelter": shelter, "cookie": cookie, "csrf": csrf}
        )
        rate, out = _wrk(script, base, seconds, connections)
        sent = int(out.split("sent=")[1].split()[0])
        distinct, rows, doubled = asyncio.run(_verify(url, base, run, sent, shelter, codes))
        latencies, catch_up = asyncio.run(_stream_latency(url, base, shelter, codes))
        latencies.sort()
    if len(latencies) < 2:
        raise SystemExit(f"the live streams received {len(latencies)} events")
    cuts = quantiles(latencies, n=100)
    return CheckinResult(
        baseline_per_s=baseline,
        checkins_per_s=rate,
        ratio=rate / baseline,
        target_ratio=0.1,
        keys=distinct,
        rows=rows,
        lost=max(0, distinct - rows),
        doubled=doubled + max(0, rows - distinct),
        streams=STREAMS,
        live_checkins=LIVE_CHECKINS,
        delivered=len(latencies),
        catch_up_s=catch_up,
        p50_ms=cuts[49] * 1000,
        p99_ms=cuts[98] * 1000,
        max_ms=latencies[-1] * 1000,
    )


def report(result: CheckinResult) -> None:
    verdict = "ok" if result.ratio >= result.target_ratio else "MISSED"
    print(
        f"\ncheck-ins: {result.checkins_per_s:.0f}/s against /healthz {result.baseline_per_s:.0f}/s = "
        f"{result.ratio:.2f}x (target >= {result.target_ratio:g}: {verdict}); {result.keys} keys, "
        f"{result.rows} rows: {result.lost} lost, {result.doubled} doubled"
    )
    expected = result.streams * result.live_checkins
    print(
        f"live: {result.streams} streams x {result.live_checkins} check-ins, check-in to event "
        f"p50 {result.p50_ms:.0f} ms, p99 {result.p99_ms:.0f} ms, max {result.max_ms:.0f} ms "
        f"({result.delivered} of {expected} deliveries received); backlogs of 0-{result.streams - 1} events "
        f"read by all streams in {result.catch_up_s:.1f} s"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "checkins.json").write_text(json.dumps(asdict(result), indent=1))
