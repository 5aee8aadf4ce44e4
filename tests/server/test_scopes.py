"""Beyond the role wall, the scope: staff of another shelter and headquarters of another
municipality are refused (or shown nothing) on every route that acts on a shelter, an event or a
municipality. Which routes those are is read from the route table, so a new one cannot be left
out of this table."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.accounts.service import RoleRequest, add_operator
from server.app import create_app
from server.db.engine import session_factory
from server.settings import Settings
from tests.server.roles import PASSWORD, Client, an_open_shelter
from tests.server.shelters.test_attacks import TOWN, neighbour
from tests.server.shelters.test_people import CARD, resident_code
from tests.server.test_route_rules import routes, rule

SCOPED_ROLES = {"staff", "municipal_hq"}


@dataclass(frozen=True)
class Target:
    """The victim's things: an open shelter of 見本市, its event, a walk-in registered there and a
    resident's code."""

    shelter: str
    event: str
    walk_in: str
    code: str
    inquiry_code: str = ""


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


Call = Callable[[Client, Target], Awaitable[Any]]
# "refused": 403 (or 404 for a thing that is not the caller's to know of); "hidden": 200 without
# the victim's shelter in the answer.
CROSS_SCOPE: dict[str, tuple[Call, str]] = {
    "POST /api/checkins": (
        lambda c, t: c.post("/api/checkins", json={"shelterId": t.shelter, "qr": t.code}, headers=key()),
        "refused",
    ),
    "POST /api/checkouts": (
        lambda c, t: c.post("/api/checkouts", json={"shelterId": t.shelter, "qr": t.code}, headers=key()),
        "refused",
    ),
    "POST /api/transfers": (
        lambda c, t: c.post(
            "/api/transfers",
            json={"shelterId": t.shelter, "toShelterId": str(uuid.uuid4()), "qr": t.code},
            headers=key(),
        ),
        "refused",
    ),
    "POST /api/qr/verify": (
        lambda c, t: c.post("/api/qr/verify", json={"qr": t.code, "shelterId": t.shelter}),
        "refused",
    ),
    "GET /api/shelters/{id}/people": (lambda c, t: c.get(f"/api/shelters/{t.shelter}/people"), "refused"),
    "POST /api/shelters/{id}/walkins": (
        lambda c, t: c.post(f"/api/shelters/{t.shelter}/walkins", json=CARD, headers=key()),
        "refused",
    ),
    "GET /api/shelters/{id}/walkins/{id}/qr.svg": (
        lambda c, t: c.get(f"/api/shelters/{t.shelter}/walkins/{t.walk_in}/qr.svg"),
        "refused",
    ),
    "PUT /api/shelters/{id}": (lambda c, t: c.put(f"/api/shelters/{t.shelter}", json={"capacity": 1}), "refused"),
    "POST /api/events": (
        lambda c, t: c.post("/api/events", json={"type": "flood", "name": "乗っ取り", "municipalities": ["029998"]}),
        "refused",
    ),
    "POST /api/events/{id}/close": (lambda c, t: c.post(f"/api/events/{t.event}/close"), "refused"),
    "PUT /api/safety/walkins/{id}/status": (
        lambda c, t: c.put(
            f"/api/safety/walkins/{t.walk_in}/status", json={"memberId": "m", "status": "safe"}, headers=key()
        ),
        "refused",
    ),
    # Allowing inquiries again is for the person's municipality (forbidding is anyone's at headquarters).
    "PUT /api/safety/hq/inquiries/{id}": (
        lambda c, t: c.put(f"/api/safety/hq/inquiries/{t.inquiry_code}", json={"forbidden": False}),
        "refused",
    ),
    "GET /api/safety/hq/counts": (lambda c, t: c.get("/api/safety/hq/counts"), "hidden"),
    "GET /api/safety/hq/people": (lambda c, t: c.get("/api/safety/hq/people"), "hidden"),
    "GET /api/events/{id}/pfif.xml": (lambda c, t: c.get(f"/api/events/{t.event}/pfif.xml"), "hidden"),
    "GET /api/shelters/occupancy": (lambda c, t: c.get("/api/shelters/occupancy"), "hidden"),
    "GET /api/shelters/occupancy.csv": (lambda c, t: c.get("/api/shelters/occupancy.csv"), "hidden"),
    "GET /api/shelters/occupancy.geojson": (lambda c, t: c.get("/api/shelters/occupancy.geojson"), "hidden"),
    # Evacuation orders for 見本市 from 見本町's headquarters (tests/server/alerts/test_orders.py
    # covers a polygon reaching into the neighbour and the deliveries of another town's alert).
    "POST /api/alerts": (
        lambda c, t: c.post("/api/alerts", json={"hazard": "flood", "level": 5, "municipalities": ["029998"]}),
        "refused",
    ),
    "GET /api/alerts/{id}/deliveries": (
        lambda c, t: c.get("/api/alerts/00000000-0000-7000-8000-000000000000/deliveries"),
        "refused",
    ),
    "GET /api/shelters/trend": (lambda c, t: c.get(f"/api/shelters/trend?event={t.event}"), "hidden"),
    "GET /api/shelters/{id}/history": (lambda c, t: c.get(f"/api/shelters/{t.shelter}/history"), "refused"),
}
# Streams are filtered by the same scope as occupancy; tests/server/shelters/test_live.py follows
# a stream (it never ends, so it has no row here).
STREAMS = {"GET /api/live"}


def test_every_scoped_route_has_a_cross_scope_case() -> None:
    scoped = {
        name for name, handler in routes().items() if isinstance(r := rule(handler), tuple) and set(r) & SCOPED_ROLES
    }
    assert sorted(scoped - set(CROSS_SCOPE) - STREAMS) == []


@pytest.mark.parametrize("caller", ["staff of another shelter", "headquarters of another municipality"])
async def test_another_scope_is_refused_or_shown_nothing(settings: Settings, engine: AsyncEngine, caller: str) -> None:
    shelter = await an_open_shelter(engine)
    async with engine.connect() as connection:
        event = str(await connection.scalar(text("SELECT id FROM disaster_event LIMIT 1")))
    other = await neighbour(engine, event)  # 見本町's shelter, open in the same event
    code = await resident_code(settings, engine)
    async with AsyncTestClient(app=create_app(settings)) as hq:
        email = f"hq-{uuid.uuid4().hex[:8]}@test.example"
        async with session_factory(engine)() as session, session.begin():
            await add_operator(session, email, PASSWORD, [RoleRequest("prefectural_hq")])
        signed = await hq.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        hq.headers["X-CSRF-Token"] = signed.json()["csrfToken"]
        walk_in = await hq.post(f"/api/shelters/{shelter}/walkins", json=CARD, headers=key())
        assert walk_in.status_code == 201, walk_in.text
        # The walk-in asked for help at the shelter and shares it with headquarters (counts, list).
        status = {"memberId": walk_in.json()["members"][0]["id"], "status": "needs_help", "shareHq": True}
        told = await hq.put(f"/api/safety/walkins/{walk_in.json()['householdId']}/status", json=status, headers=key())
        assert told.status_code == 201, told.text
        forbidden = await hq.put(f"/api/safety/hq/inquiries/{await inquiry_code(engine)}", json={"forbidden": True})
        assert forbidden.status_code == 200, forbidden.text
    target = Target(shelter, event, walk_in.json()["householdId"], code, await inquiry_code(engine))

    request = (
        RoleRequest("staff", shelters=[other]) if caller.startswith("staff") else RoleRequest("municipal_hq", TOWN)
    )
    email = f"outsider-{uuid.uuid4().hex[:8]}@test.example"
    async with session_factory(engine)() as session, session.begin():
        await add_operator(session, email, PASSWORD, [request])
    async with AsyncTestClient(app=create_app(settings)) as client:
        signed = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        client.headers["X-CSRF-Token"] = signed.json()["csrfToken"]
        for name, (call, expected) in CROSS_SCOPE.items():
            response = await call(client, target)
            if expected == "hidden" and response.status_code == 403:
                assert name.startswith(("GET /api/safety/hq/", "GET /api/events/{id}/pfif.xml")), name
                assert caller.startswith("staff"), name  # not their role
            elif expected == "hidden":
                assert response.status_code == 200, (name, response.text)
                # Nor its municipality (the trend names towns, not shelters).
                assert shelter not in response.text and "029998" not in response.text, name
                assert "見本市" not in response.text, name
            else:
                assert response.status_code in (403, 404), (name, response.status_code, response.text)
            assert "高橋" not in response.text and "佐藤" not in response.text, name  # nobody's names
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM checkin WHERE facility_id = :s"), {"s": shelter}) == 1
        assert await connection.scalar(text("SELECT status FROM disaster_event")) == "open"
        assert await connection.scalar(text("SELECT count(*) FROM safety_status")) == 1
        assert await connection.scalar(text("SELECT bool_and(hq_forbidden) FROM safety_person"))


async def inquiry_code(engine: AsyncEngine) -> str:
    async with engine.connect() as connection:
        return str(await connection.scalar(text("SELECT inquiry_code FROM safety_person")))
