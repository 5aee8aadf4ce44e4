"""Each role can do exactly what it should and nothing more: every endpoint that needs a session,
tried with every role and with none.

Each case runs on a database of its own in which the role has just signed in. Signing in costs
argon2 hashes (slow on purpose), so it is done once per role into a seeded database, and each case
gets a copy of that database and the session's cookie and CSRF token.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from server.app import create_app
from server.settings import Settings
from tests.conftest import Postgres, database_name, fresh_database, settings_for
from tests.server.roles import Client, an_open_shelter, sign_in

ROLES = (None, "resident", "staff", "municipal_hq", "prefectural_hq", "data_admin")
VERIFIERS = {"staff", "municipal_hq", "prefectural_hq"}
HOUSEHOLD = {"members": [{"name": "山田花子", "relationship": "self"}]}
AED_CSV = "NO,名称,緯度,経度,設置位置,市区町村コード\n1,見本市役所,40.8,140.76,1階,029998\n".encode()


async def a_resident_code(settings: Settings, engine: AsyncEngine) -> str:
    async with AsyncTestClient(app=create_app(settings)) as resident:
        await sign_in(resident, engine, "resident")
        await resident.put("/api/households/me", json=HOUSEHOLD)
        code: str = (await resident.get("/api/households/me/qr")).json()["household"]
        return code


WALK_IN = {"members": [{"name": "来所 太郎", "relationship": "self"}]}
NOBODY = "00000000-0000-7000-8000-000000000000"  # an id that names nothing


def KEY() -> dict[str, str]:  # noqa: N802 - reads as the header it makes
    return {"Idempotency-Key": str(uuid.uuid4())}


# Rows whose allowed roles get past the role wall to a 4xx about what was sent (an unknown id, a
# made-up code, a stream asked with a bad resume point): anything but 401, 403 and 5xx.
PAST_THE_WALL = {
    "GET /api/alerts/{id}/deliveries",
    "GET /api/households/me/qr",
    "GET /api/households/me/qr.png",
    "GET /api/households/me/members/{id}/qr.svg",
    "GET /api/households/me/members/{id}/qr.png",
    "POST /api/auth/passkeys/register",
    "POST /api/checkins",
    "POST /api/checkouts",
    "POST /api/transfers",
    "GET /api/shelters/{id}/walkins/{id}/qr.svg",
    "POST /api/events/{id}/close",
    "GET /api/live",
    "POST /api/safety/groups/join",
    "POST /api/safety/groups/{id}/invites",
    "POST /api/safety/groups/{id}/leave",
    "POST /api/safety/groups/{id}/ask",
    "DELETE /api/safety/groups/{id}/members/{id}",
    "PUT /api/safety/walkins/{id}/status",
    "PUT /api/safety/hq/inquiries/{id}",
    "GET /api/events/{id}/pfif.xml",
}
Call = Callable[[Client, str], Awaitable[Any]]
# (what, how to call it given a QR code to verify or an open shelter's id, who may: the roles answered 2xx)
ENDPOINTS: list[tuple[str, Call, set[str]]] = [
    ("GET /api/auth/me", lambda c, _: c.get("/api/auth/me"), set(ROLES[1:])),
    ("GET /api/households/me", lambda c, _: c.get("/api/households/me"), {"resident"}),
    ("PUT /api/households/me", lambda c, _: c.put("/api/households/me", json=HOUSEHOLD), {"resident"}),
    ("GET /api/households/me/qr.svg", lambda c, _: c.get("/api/households/me/qr.svg"), set()),  # 404 for a new resident
    ("POST /api/households/me/qr/reissue", lambda c, _: c.post("/api/households/me/qr/reissue"), set()),
    ("POST /api/qr/verify", lambda c, code: c.post("/api/qr/verify", json={"qr": code}), VERIFIERS),
    (
        "POST /api/imports",
        lambda c, _: c.post("/api/imports", files={"file": ("029998_aed.csv", AED_CSV)}),
        {"data_admin"},
    ),
    ("POST /api/auth/logout", lambda c, _: c.post("/api/auth/logout"), set(ROLES[1:])),
    ("GET /api/shelters/occupancy", lambda c, _: c.get("/api/shelters/occupancy"), VERIFIERS),
    (
        "POST /api/events",
        lambda c, _: c.post("/api/events", json={"type": "flood", "name": "訓練", "municipalities": ["029998"]}),
        {"municipal_hq", "prefectural_hq"},
    ),
    ("GET /api/shelters/occupancy.csv", lambda c, _: c.get("/api/shelters/occupancy.csv"), VERIFIERS),
    ("GET /api/shelters/{id}/people", lambda c, shelter: c.get(f"/api/shelters/{shelter}/people"), VERIFIERS),
    (
        "POST /api/shelters/{id}/walkins",
        lambda c, shelter: c.post(
            f"/api/shelters/{shelter}/walkins", json=WALK_IN, headers={"Idempotency-Key": str(uuid.uuid4())}
        ),
        VERIFIERS,
    ),
    ("GET /api/audit", lambda c, _: c.get("/api/audit"), {"data_admin"}),
    # Past the role wall these answer 4xx for the made-up ids and bodies sent (PAST_THE_WALL).
    ("GET /api/households/me/qr", lambda c, _: c.get("/api/households/me/qr"), {"resident"}),
    ("GET /api/households/me/qr.png", lambda c, _: c.get("/api/households/me/qr.png"), {"resident"}),
    (
        "GET /api/households/me/members/{id}/qr.svg",
        lambda c, _: c.get(f"/api/households/me/members/{NOBODY}/qr.svg"),
        {"resident"},
    ),
    (
        "GET /api/households/me/members/{id}/qr.png",
        lambda c, _: c.get(f"/api/households/me/members/{NOBODY}/qr.png"),
        {"resident"},
    ),
    (
        "POST /api/auth/passkeys/register/options",
        lambda c, _: c.post("/api/auth/passkeys/register/options"),
        set(ROLES[1:]),
    ),
    (
        "POST /api/auth/passkeys/register",
        lambda c, _: c.post("/api/auth/passkeys/register", json={"challengeId": "x", "credential": {}}),
        set(ROLES[1:]),
    ),
    (
        "POST /api/checkins",
        lambda c, shelter: c.post("/api/checkins", json={"shelterId": shelter, "qr": "B1.x"}, headers=KEY()),
        VERIFIERS,
    ),
    (
        "POST /api/checkouts",
        lambda c, shelter: c.post("/api/checkouts", json={"shelterId": shelter, "householdId": NOBODY}, headers=KEY()),
        VERIFIERS,
    ),
    (
        "POST /api/transfers",
        lambda c, shelter: c.post(
            "/api/transfers", json={"shelterId": shelter, "toShelterId": NOBODY, "qr": "B1.x"}, headers=KEY()
        ),
        VERIFIERS,
    ),
    ("GET /api/shelters/occupancy.geojson", lambda c, _: c.get("/api/shelters/occupancy.geojson"), VERIFIERS),
    (
        "GET /api/shelters/{id}/walkins/{id}/qr.svg",
        lambda c, shelter: c.get(f"/api/shelters/{shelter}/walkins/{NOBODY}/qr.svg"),
        VERIFIERS,
    ),
    ("PUT /api/shelters/{id}", lambda c, shelter: c.put(f"/api/shelters/{shelter}", json={"capacity": 50}), VERIFIERS),
    (
        "POST /api/events/{id}/close",
        lambda c, _: c.post(f"/api/events/{NOBODY}/close"),
        {"municipal_hq", "prefectural_hq"},
    ),
    ("GET /api/live", lambda c, _: c.get("/api/live?last_event_id=x"), VERIFIERS),
    (
        "POST /api/alerts",
        lambda c, _: c.post(
            "/api/alerts", json={"hazard": "flood", "level": 4, "municipalities": ["029998"], "dryRun": True}
        ),
        {"municipal_hq", "prefectural_hq"},
    ),
    (
        "GET /api/alerts/{id}/deliveries",
        lambda c, _: c.get(f"/api/alerts/{NOBODY}/deliveries"),
        {"municipal_hq", "prefectural_hq"},
    ),
    ("GET /api/shelters/trend", lambda c, _: c.get("/api/shelters/trend"), VERIFIERS),
    ("GET /api/shelters/{id}/history", lambda c, shelter: c.get(f"/api/shelters/{shelter}/history"), VERIFIERS),
    ("GET /api/safety/me", lambda c, _: c.get("/api/safety/me"), {"resident"}),
    (
        "PUT /api/safety/status",
        lambda c, _: c.put("/api/safety/status", json={"status": "safe"}, headers=KEY()),
        {"resident"},
    ),
    ("PUT /api/safety/consent", lambda c, _: c.put("/api/safety/consent", json={"shareHq": True}), {"resident"}),
    ("POST /api/safety/groups", lambda c, _: c.post("/api/safety/groups", json={"name": "家族"}), {"resident"}),
    ("GET /api/safety/groups", lambda c, _: c.get("/api/safety/groups"), {"resident"}),
    ("GET /api/safety/hq/counts", lambda c, _: c.get("/api/safety/hq/counts"), {"municipal_hq", "prefectural_hq"}),
    ("GET /api/safety/hq/people", lambda c, _: c.get("/api/safety/hq/people"), {"municipal_hq", "prefectural_hq"}),
    # Past the role wall: an event that does not exist (404).
    (
        "GET /api/events/{id}/pfif.xml",
        lambda c, _: c.get(f"/api/events/{NOBODY}/pfif.xml"),
        {"municipal_hq", "prefectural_hq"},
    ),
    # Past the role wall: an invite, a group or a walk-in that does not exist (404).
    (
        "POST /api/safety/groups/join",
        lambda c, _: c.post("/api/safety/groups/join", json={"code": "x" * 24}),
        {"resident"},
    ),
    ("POST /api/safety/groups/{id}/invites", lambda c, _: c.post(f"/api/safety/groups/{NOBODY}/invites"), {"resident"}),
    ("POST /api/safety/groups/{id}/leave", lambda c, _: c.post(f"/api/safety/groups/{NOBODY}/leave"), {"resident"}),
    (
        "POST /api/safety/groups/{id}/ask",
        lambda c, _: c.post(f"/api/safety/groups/{NOBODY}/ask", json={"personId": NOBODY}),
        {"resident"},
    ),
    (
        "DELETE /api/safety/groups/{id}/members/{id}",
        lambda c, _: c.delete(f"/api/safety/groups/{NOBODY}/members/{NOBODY}"),
        {"resident"},
    ),
    (
        "PUT /api/safety/walkins/{id}/status",
        lambda c, _: c.put(
            f"/api/safety/walkins/{NOBODY}/status", json={"memberId": "m", "status": "safe"}, headers=KEY()
        ),
        VERIFIERS,
    ),
    (
        "PUT /api/safety/hq/inquiries/{id}",
        lambda c, _: c.put("/api/safety/hq/inquiries/nobody-code", json={"forbidden": True}),
        {"municipal_hq", "prefectural_hq"},
    ),
    ("GET /api/safety/inquiry", lambda c, _: c.get("/api/safety/inquiry?code=nobody"), set(ROLES)),  # type: ignore[arg-type]
    ("GET /api/qr/keys", lambda c, _: c.get("/api/qr/keys"), set(ROLES)),  # type: ignore[arg-type]
    ("GET /api/municipalities", lambda c, _: c.get("/api/municipalities"), set(ROLES)),  # type: ignore[arg-type]
]


@dataclass(frozen=True)
class SignedIn:
    """A database in which ``sign_in`` has run for one role, and that session's cookie and CSRF token."""

    template: str
    cookies: httpx.Cookies
    csrf: str | None


async def _signed_in(postgres: Postgres, template: str, role: str | None, stack: AsyncExitStack) -> SignedIn:
    url = await stack.enter_async_context(fresh_database(postgres, template))
    engine = create_async_engine(url)
    try:
        async with AsyncTestClient(app=create_app(settings_for(url))) as client:
            me = await sign_in(client, engine, role)
    finally:
        await engine.dispose()  # a template must have no connections when it is copied
    return SignedIn(database_name(url), httpx.Cookies(client.cookies), me.get("csrfToken"))


@pytest.fixture(scope="module")
async def signed_in(postgres: Postgres, template_database: str) -> AsyncIterator[dict[str | None, SignedIn]]:
    """For each role, a database in which it has signed in, made once for the module."""
    async with AsyncExitStack() as stack:
        yield {role: await _signed_in(postgres, template_database, role, stack) for role in ROLES}


@pytest.fixture
async def database_url(
    postgres: Postgres, signed_in: dict[str | None, SignedIn], role: str | None
) -> AsyncIterator[str]:
    """A copy of the database in which ``role`` has just signed in (``settings`` and ``engine`` use it)."""
    async with fresh_database(postgres, signed_in[role].template) as url:
        yield url


@pytest.mark.parametrize(("what", "call", "allowed"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
@pytest.mark.parametrize("role", ROLES, ids=[str(r) for r in ROLES])
async def test_endpoint_by_role(
    settings: Settings,
    engine: AsyncEngine,
    signed_in: dict[str | None, SignedIn],
    what: str,
    call: Call,
    allowed: set[str | None],
    role: str | None,
) -> None:
    if what == "POST /api/qr/verify":
        code = await a_resident_code(settings, engine)
    else:
        code = await an_open_shelter(engine) if "/shelters/{id}" in what else ""
    async with AsyncTestClient(app=create_app(settings)) as client:
        # What sign_in leaves on a client: the session cookie and, for writes, the CSRF header.
        client.cookies = httpx.Cookies(signed_in[role].cookies)
        if (csrf := signed_in[role].csrf) is not None:
            client.headers["X-CSRF-Token"] = csrf
        response = await call(client, code)
    if role in allowed and what in PAST_THE_WALL:
        assert response.status_code not in (401, 403) and response.status_code < 500, (role, response.text)
    elif role in allowed:
        assert response.status_code < 300, (role, response.text)
    elif role is None:
        assert response.status_code == 401, (role, response.text)
    elif what.startswith(("GET /api/households/me/qr", "POST /api/households/me/qr")) and role == "resident":
        assert response.status_code == 404  # allowed, but a new resident has no code yet
    else:
        assert response.status_code == 403, (role, response.text)
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
