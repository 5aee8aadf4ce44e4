"""Signing test clients in: a resident (device-bound) or an operator of a given role."""

from __future__ import annotations

import uuid
from typing import Any

from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.accounts.service import RoleRequest, add_operator
from server.cli import main
from server.db.engine import session_factory

PASSWORD = "correct horse battery staple"  # noqa: S105 - a test account
OPERATOR_ROLES = ("staff", "municipal_hq", "prefectural_hq", "data_admin")
Client = AsyncTestClient[Litestar]


def cli(database_url: str, *args: str) -> str:
    result = CliRunner().invoke(main, list(args), env={"DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    return result.output


async def a_shelter(engine: AsyncEngine) -> tuple[str, str]:
    """A municipality (029998) and one shelter in it, created when missing: (code, facility id)."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO municipality (id, code, name, prefecture) VALUES (gen_random_uuid(), '029998', "
                "'見本市', '青森県') ON CONFLICT (code) DO NOTHING"
            )
        )
        facility = await connection.scalar(text("SELECT id FROM facility LIMIT 1"))
        if facility is None:
            facility = await connection.scalar(
                text(
                    "INSERT INTO facility (id, municipality_id, kinds, name, geom) SELECT gen_random_uuid(), id, "
                    "ARRAY['designated_shelter'], '中央小学校', ST_SetSRID(ST_MakePoint(140.76, 40.8), 4326) "
                    "FROM municipality WHERE code = '029998' RETURNING id"
                )
            )
    return "029998", str(facility)


async def an_open_shelter(engine: AsyncEngine) -> str:
    """The test shelter, opened (capacity 100) in an open event made when there is none."""
    _, shelter = await a_shelter(engine)
    async with engine.begin() as connection:
        event = await connection.scalar(text("SELECT id FROM disaster_event WHERE status = 'open' LIMIT 1"))
        if event is None:
            event = await connection.scalar(
                text(
                    "INSERT INTO disaster_event (id, hazard_type, name) "
                    "VALUES (gen_random_uuid(), 'flood', '訓練') RETURNING id"
                )
            )
        await connection.execute(
            text(
                "INSERT INTO shelter_operation (id, event_id, facility_id, capacity) "
                "VALUES (gen_random_uuid(), :e, :f, 100) "
                "ON CONFLICT (event_id, facility_id) DO UPDATE SET status = 'open'"
            ),
            {"e": event, "f": shelter},
        )
    return shelter


async def operator(engine: AsyncEngine, role: str, email: str | None = None) -> str:
    """An operator account holding ``role``; its e-mail."""
    code, shelter = await a_shelter(engine)
    email = email or f"{role}-{uuid.uuid4().hex[:8]}@test.example"
    request = RoleRequest(role, code if role == "municipal_hq" else None, [shelter] if role == "staff" else [])
    async with session_factory(engine)() as session, session.begin():
        await add_operator(session, email, PASSWORD, [request])
    return email


async def sign_in(client: Client, engine: AsyncEngine, role: str | None) -> dict[str, Any]:
    """Sign ``client`` in as ``role`` ("resident", an operator role, or None for nobody); writes
    then carry the CSRF header. Returns GET /api/auth/me's answer ({} for nobody)."""
    if role is None:
        return {}
    if role == "resident":
        response = await client.post("/api/residents")
    else:
        email = await operator(engine, role)
        response = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code in (200, 201), response.text
    me: dict[str, Any] = response.json()
    client.headers["X-CSRF-Token"] = me["csrfToken"]
    return me
