"""Family safety status.

1. Status updates per second: wrk (core 1) sends `PUT /api/safety/status` to one `bosai serve`
   worker (core 0) for 200 residents in groups of 10 (each update is one every other member of
   the group sees), each with a new Idempotency-Key; against the same app's trivial endpoint
   (`/healthz`) measured in the same run. Target ≥ 0.1 × it.
2. Check-ins with the family told: the same QR check-ins of the residents' households, with every
   member's consent to update their status on check-in (each check-in also writes their status, in
   its transaction) against without it. Runs alternate (off, on, off, on) so that a busy machine
   weighs on both alike. Target ≥ 0.8 ×.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.checkins import _prepare
from server.accounts.models import Account, AccountRole
from server.accounts.service import start_session
from server.db.engine import session_factory
from server.households.models import Household
from server.lib.ids import uuid7
from server.lib.keys import Keys, generate
from server.safety.models import SafetyGroup, SafetyMember, SafetyPerson

RESULTS = Path(__file__).resolve().parent / "results"
GROUP = 10

# wrk's script: resident n % R sets a status with a fresh key.
STATUS_LUA = """
local tokens = {%(tokens)s}
local csrfs = {%(csrfs)s}
n = 0
function request()
  n = n + 1
  local i = (n %% #tokens) + 1
  return wrk.format("PUT", "/api/safety/status", {
    ["Content-Type"] = "application/json",
    ["Cookie"] = "bosai_session=" .. tokens[i],
    ["X-CSRF-Token"] = csrfs[i],
    ["Idempotency-Key"] = "%(run)s-" .. n,
  }, '{"status":"safe","message":"無事です"}')
end
"""
# wrk's script: QR check-ins of the households in turn, each with a new key.
CHECKIN_LUA = """
local codes = {%(codes)s}
n = 0
function request()
  n = n + 1
  local body = '{"shelterId":"%(shelter)s","stay":"inside","qr":"' .. codes[(n %% #codes) + 1] .. '"}'
  return wrk.format("POST", "/api/checkins", {
    ["Content-Type"] = "application/json",
    ["Cookie"] = "%(cookie)s",
    ["X-CSRF-Token"] = "%(csrf)s",
    ["Idempotency-Key"] = "%(run)s-" .. n,
  }, body)
end
"""


@dataclass(frozen=True)
class SafetyResult:
    baseline_per_s: float
    statuses_per_s: float
    status_ratio: float
    status_target: float
    residents: int
    group_size: int
    checkins_off_per_s: list[float]
    checkins_on_per_s: list[float]
    checkin_ratio: float
    checkin_target: float
    statuses_from_checkins: int


async def _residents(url: str, keys: Keys) -> tuple[str, list[str], list[tuple[str, str]], tuple[str, str]]:
    """The check-in bench's shelter and households, each made a resident's (with a session), the
    residents in groups of GROUP: (shelter, QR codes, [(session token, CSRF token)], the staff's
    session). Sessions are made here: signing in costs an argon2 hash that a loaded server may
    take long to get to."""
    shelter, codes, _ = await _prepare(url, keys)
    engine = create_async_engine(url)
    sessions = []
    try:
        async with session_factory(engine)() as session, session.begin():
            households = list(
                (await session.scalars(select(Household).order_by(Household.created_at, Household.id))).all()
            )
            people = []
            for household in households:
                account = Account(id=uuid7(), kind="resident")
                session.add(account)
                await session.flush()
                session.add(AccountRole(account_id=account.id, role="resident"))
                household.account_id = account.id
                person = SafetyPerson(
                    id=uuid7(),
                    account_id=account.id,
                    household_id=household.id,
                    inquiry_code=secrets.token_urlsafe(12),
                    auto_checkin=False,
                    share_groups=True,
                )
                session.add(person)
                people.append(person)
                token, csrf, _ = await start_session(session, account)
                sessions.append((token, csrf))
            staff = await session.scalar(select(Account).where(Account.email == "staff@bench.example"))
            assert staff is not None  # made by _prepare
            staff_token, staff_csrf, _ = await start_session(session, staff)
            await session.flush()
            for start in range(0, len(people), GROUP):
                group = SafetyGroup(id=uuid7(), name=f"ベンチ家族 {start // GROUP}", creator_id=people[start].id)
                session.add(group)
                await session.flush()
                session.add_all(SafetyMember(group_id=group.id, person_id=p.id) for p in people[start : start + GROUP])
    finally:
        await engine.dispose()
    return shelter, codes, sessions, (f"bosai_session={staff_token}", staff_csrf)


async def _auto_checkin(url: str, on: bool) -> int:
    """Set everyone's consent to update their status on check-in; the statuses check-ins made so far."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE safety_person SET auto_checkin = :on"), {"on": on})
            made = await connection.scalar(
                text("SELECT count(*) FROM safety_status WHERE idempotency_key LIKE 'checkin:%'")
            )
        return int(made or 0)
    finally:
        await engine.dispose()


def _wrk(script: Path | None, url: str, seconds: int, connections: int) -> float:
    """wrk on core 1; req/s. A long timeout: on a loaded machine a write may wait its turn for
    seconds, and wrk would otherwise count it as lost rather than slow."""
    command = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"{url} answered errors during the run:\n{out}")
    return float(out.split("Requests/sec:")[1].split()[0])


async def _writes(url: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return int(
                await connection.scalar(
                    text("SELECT (SELECT count(*) FROM checkin) + (SELECT count(*) FROM safety_status)")
                )
                or 0
            )
    finally:
        await engine.dispose()


def _settle(url: str) -> None:
    """Wait until the requests wrk left in flight when it stopped are done (nothing written for a
    second), so that they do not eat into the next run."""
    before = asyncio.run(_writes(url))
    while True:
        time.sleep(1)
        after = asyncio.run(_writes(url))
        if after == before:
            return
        before = after


def _script(template: str, values: dict[str, object]) -> Path:
    path = Path(tempfile.mkdtemp()) / "safety.lua"
    path.write_text(template % values)
    return path


def measure(url: str, seconds: int, connections: int) -> SafetyResult:
    from bench.__main__ import serving

    generated = generate()
    keys = Keys(base64.b64decode(generated["BOSAI_DATA_KEY"]), base64.b64decode(generated["BOSAI_QR_KEY"]))
    shelter, codes, sessions, (cookie, csrf) = asyncio.run(_residents(url, keys))
    bosai = str(Path(sys.executable).with_name("bosai"))
    env = {**os.environ, **generated, "DATABASE_URL": url, "BOSAI_LOG_LEVEL": "warning"}
    with serving([bosai, "serve", "--workers", "1"], env, "/readyz") as base:
        _wrk(None, base + "/healthz", 1, connections)
        baseline = _wrk(None, base + "/healthz", seconds, connections)
        status_script = _script(
            STATUS_LUA,
            {
                "tokens": ",".join(f'"{t}"' for t, _ in sessions),
                "csrfs": ",".join(f'"{c}"' for _, c in sessions),
                "run": uuid.uuid4().hex[:8],
            },
        )
        _wrk(status_script, base, 1, connections)
        _settle(url)
        statuses = _wrk(status_script, base, seconds, connections)
        _settle(url)

        off: list[float] = []
        on: list[float] = []
        for auto in (False, True, False, True):
            asyncio.run(_auto_checkin(url, auto))
            script = _script(
                CHECKIN_LUA,
                {
                    "codes": ",".join(f'"{c}"' for c in codes),
                    "shelter": shelter,
                    "cookie": cookie,
                    "csrf": csrf,
                    "run": uuid.uuid4().hex[:8],
                },
            )
            rate = _wrk(script, base, seconds, connections)
            _settle(url)
            (on if auto else off).append(rate)
        made = asyncio.run(_auto_checkin(url, False))
    return SafetyResult(
        baseline_per_s=baseline,
        statuses_per_s=statuses,
        status_ratio=statuses / baseline,
        status_target=0.1,
        residents=len(sessions),
        group_size=GROUP,
        checkins_off_per_s=off,
        checkins_on_per_s=on,
        checkin_ratio=sum(on) / sum(off),
        checkin_target=0.8,
        statuses_from_checkins=made,
    )


def report(result: SafetyResult) -> None:
    status_verdict = "ok" if result.status_ratio >= result.status_target else "MISSED"
    checkin_verdict = "ok" if result.checkin_ratio >= result.checkin_target else "MISSED"
    print(
        f"\nsafety status updates ({result.residents} residents in groups of {result.group_size}): "
        f"{result.statuses_per_s:.0f}/s against /healthz {result.baseline_per_s:.0f}/s = "
        f"{result.status_ratio:.2f}x (target >= {result.status_target:g}: {status_verdict})"
    )
    print(
        "check-ins with auto-status on "
        f"{' / '.join(f'{r:.0f}' for r in result.checkins_on_per_s)}/s against off "
        f"{' / '.join(f'{r:.0f}' for r in result.checkins_off_per_s)}/s = {result.checkin_ratio:.2f}x "
        f"(target >= {result.checkin_target:g}: {checkin_verdict}); "
        f"{result.statuses_from_checkins} statuses written by check-ins"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "safety.json").write_text(json.dumps(asdict(result), indent=1))
