"""The check-in API as an attacker uses it: someone else's Idempotency-Key, a household id without
its code, another town's event, the same key fired many times at once, wrong types and sizes."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.accounts.service import RoleRequest, add_operator
from server.app import create_app
from server.db.engine import session_factory
from server.settings import Settings
from tests.server.roles import PASSWORD, Client, sign_in
from tests.server.shelters.test_people import CARD, key, resident_code

TOWN = "029980"  # 見本町, the neighbour of the test shelter's 見本市


TOWN_ROW = text(
    "INSERT INTO municipality (id, code, name, prefecture) VALUES (gen_random_uuid(), :c, '見本町', '青森県') "
    "ON CONFLICT (code) DO NOTHING"
)


async def neighbour(engine: AsyncEngine, event_id: str) -> str:
    """A shelter of 見本町, open in the same event: its id."""
    async with engine.begin() as connection:
        await connection.execute(TOWN_ROW, {"c": TOWN})
        shelter = await connection.scalar(
            text(
                "INSERT INTO facility (id, municipality_id, kinds, name, geom) SELECT gen_random_uuid(), id, "
                "ARRAY['designated_shelter'], '町民体育館', ST_SetSRID(ST_MakePoint(140.9, 40.9), 4326) "
                "FROM municipality WHERE code = :c RETURNING id"
            ),
            {"c": TOWN},
        )
        await connection.execute(
            text(
                "INSERT INTO shelter_operation (id, event_id, facility_id, capacity) "
                "VALUES (gen_random_uuid(), :e, :f, 50)"
            ),
            {"e": event_id, "f": shelter},
        )
    return str(shelter)


@asynccontextmanager
async def town_hq(settings: Settings, engine: AsyncEngine) -> AsyncIterator[Client]:
    """A client signed in as 見本町's headquarters."""
    email = f"hq-{uuid.uuid4().hex[:6]}@town.example"
    async with engine.begin() as connection:
        await connection.execute(TOWN_ROW, {"c": TOWN})
    async with session_factory(engine)() as session, session.begin():
        await add_operator(session, email, PASSWORD, [RoleRequest("municipal_hq", TOWN)])
    async with AsyncTestClient(app=create_app(settings)) as client:
        signed = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        client.headers["X-CSRF-Token"] = signed.json()["csrfToken"]
        yield client


async def count(engine: AsyncEngine, sql: str) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(text(sql)) or 0)


async def test_a_key_someone_else_used_is_a_new_key_never_their_record(
    client: Client, engine: AsyncEngine, settings: Settings, opened: tuple[str, str]
) -> None:
    event_id, shelter = opened
    other = await neighbour(engine, event_id)
    await sign_in(client, engine, "staff")
    shared = {"Idempotency-Key": "demo-walk-in-000"}
    theirs = await client.post(f"/api/shelters/{shelter}/walkins", json=CARD, headers=shared)
    assert theirs.status_code == 201, theirs.text
    async with town_hq(settings, engine) as intruder:
        # The same key at the intruder's own shelter: a new walk-in of their own, not the victim's.
        mine = await intruder.post(
            f"/api/shelters/{other}/walkins",
            json={"members": [{"name": "別人", "relationship": "self"}]},
            headers=shared,
        )
        assert mine.status_code == 201, mine.text
        assert mine.json()["householdId"] != theirs.json()["householdId"]
        assert [m["name"] for m in mine.json()["members"]] == ["別人"]
        assert "高橋" not in mine.text and theirs.json()["code"] not in mine.text
        # At the victim's shelter the key gives nothing: reused for another shelter, or, new,
        # refused because that shelter is not theirs.
        reused = await intruder.post(f"/api/shelters/{shelter}/walkins", json=CARD, headers=shared)
        assert reused.status_code == 409 and "高橋" not in reused.text
        refused = await intruder.post(f"/api/shelters/{shelter}/walkins", json=CARD, headers=key())
        assert refused.status_code == 403 and "高橋" not in refused.text
    # The same caller's key at another endpoint is independent too: a check-out with the walk-in's
    # key is not answered with the walk-in's check-in.
    household = theirs.json()["householdId"]
    out = await client.post("/api/checkouts", json={"shelterId": shelter, "householdId": household}, headers=shared)
    assert out.status_code == 201 and out.json()["direction"] == "out"
    # And a transfer sent with a check-in's key is a transfer (it was a 500 before).
    code = await resident_code(settings, engine)
    same = key()
    checked_in = await client.post("/api/checkins", json={"shelterId": shelter, "qr": code}, headers=same)
    assert checked_in.status_code == 201
    body = {"shelterId": shelter, "toShelterId": other, "qr": code}
    moved = await client.post("/api/transfers", json=body, headers=same)
    assert moved.status_code == 201, moved.text
    assert moved.json()["in"]["shelterId"] == other and moved.json()["out"]["id"] != checked_in.json()["id"]


async def test_checking_a_household_in_by_id_needs_its_code_or_a_reason_from_headquarters(
    client: Client, engine: AsyncEngine, settings: Settings, opened: tuple[str, str]
) -> None:
    event_id, shelter = opened
    other = await neighbour(engine, event_id)
    code = await resident_code(settings, engine)
    await sign_in(client, engine, "prefectural_hq")
    household = (await client.post("/api/qr/verify", json={"qr": code})).json()["household"]
    async with town_hq(settings, engine) as intruder:
        # A household id alone checks nobody into the intruder's shelter, and its people stay hidden.
        body = {"shelterId": other, "householdId": household}
        refused = await intruder.post("/api/checkins", json=body, headers=key())
        assert refused.status_code == 403, refused.text
        assert "QR" in refused.json()["detail"]
        people = (await intruder.get(f"/api/shelters/{other}/people")).json()["households"]
        assert people == []
        # Its headquarters may override for its own shelter, with a reason that is audit-logged.
        short = await intruder.post("/api/checkins", json={**body, "override": {"reason": ""}}, headers=key())
        assert short.status_code == 400 and short.json()["invalidParams"][0]["name"] == "override.reason"
        forced = await intruder.post(
            "/api/checkins", json={**body, "override": {"reason": "スマホを紛失、本人確認済み"}}, headers=key()
        )
        assert forced.status_code == 201, forced.text
    logged = await count(engine, "SELECT count(*) FROM audit_event WHERE action = 'checkin.override'")
    assert logged == 1
    async with engine.connect() as connection:
        reason = await connection.scalar(
            text("SELECT details->>'reason' FROM audit_event WHERE action = 'checkin.override'")
        )
    assert reason == "スマホを紛失、本人確認済み"
    # Staff cannot override.
    async with AsyncTestClient(app=create_app(settings)) as staff:
        await sign_in(staff, engine, "staff")
        body = {"shelterId": shelter, "householdId": household, "override": {"reason": "本人の申告"}}
        assert (await staff.post("/api/checkins", json=body, headers=key())).status_code == 403
        # With the code they may; afterwards the household, inside, may be named by its id.
        assert (
            await staff.post("/api/checkins", json={"shelterId": shelter, "qr": code}, headers=key())
        ).status_code == 201
        out = await staff.post("/api/checkouts", json={"shelterId": shelter, "householdId": household}, headers=key())
        assert out.status_code == 201, out.text


async def test_headquarters_close_only_their_own_events(
    client: Client, engine: AsyncEngine, settings: Settings, opened: tuple[str, str]
) -> None:
    event_id, _ = opened
    async with town_hq(settings, engine) as intruder:
        refused = await intruder.post(f"/api/events/{event_id}/close")
        assert refused.status_code == 403, refused.text
    assert await count(engine, "SELECT count(*) FROM disaster_event WHERE status = 'open'") == 1
    assert await count(engine, "SELECT count(*) FROM shelter_operation WHERE status = 'open'") == 1
    await sign_in(client, engine, "municipal_hq")  # 見本市's own headquarters
    closed = await client.post(f"/api/events/{event_id}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


async def test_fifty_copies_of_one_walk_in_at_once_store_one_household(
    client: Client, engine: AsyncEngine, opened: tuple[str, str]
) -> None:
    _, shelter = opened
    await sign_in(client, engine, "staff")
    headers = key()
    answers = await asyncio.gather(
        *(client.post(f"/api/shelters/{shelter}/walkins", json=CARD, headers=headers) for _ in range(50))
    )
    assert sorted(a.status_code for a in answers).count(201) == 1, [a.status_code for a in answers]
    assert all(a.status_code in (200, 201) for a in answers)
    assert len({a.json()["householdId"] for a in answers}) == 1
    assert await count(engine, "SELECT count(*) FROM household") == 1
    assert await count(engine, "SELECT count(*) FROM checkin") == 1


async def test_wrong_types_sizes_and_ranges_are_refused_by_name(
    client: Client, engine: AsyncEngine, settings: Settings, opened: tuple[str, str]
) -> None:
    event_id, shelter = opened
    code = await resident_code(settings, engine)
    await sign_in(client, engine, "prefectural_hq")

    async def refused(method: str, path: str, body: Any, name: str) -> None:
        response = await client.request(method, path, json=body, headers=key())
        assert response.status_code == 400, (path, body, response.text)
        names = [p["name"] for p in response.json()["invalidParams"]]
        assert name in names, (path, body, response.json())

    await refused("POST", "/api/checkins", {"shelterId": shelter, "qr": code, "memberIds": 5}, "memberIds")
    await refused("POST", "/api/checkins", {"shelterId": "x", "qr": code}, "shelterId")
    await refused("POST", "/api/checkins", {"shelterId": shelter, "qr": code, "stay": "roof"}, "stay")
    await refused("POST", "/api/transfers", {"shelterId": shelter, "qr": code}, "toShelterId")
    await refused("POST", "/api/events", {"type": "flood", "name": "x", "municipalities": 5}, "municipalities")
    await refused("POST", "/api/events", {"type": "flood", "name": "x" * 201, "municipalities": ["029998"]}, "name")
    await refused("PUT", f"/api/shelters/{shelter}", {"capacity": 2**40}, "capacity")
    await refused("PUT", f"/api/shelters/{shelter}", {"capacity": "many"}, "capacity")
    await refused("PUT", f"/api/shelters/{shelter}", {"needs": {"notes": "x" * 2001}}, "needs.notes")
    await refused("PUT", f"/api/shelters/{shelter}", {"needs": {"secret": 1}}, "needs.secret")
    await refused("POST", f"/api/shelters/{shelter}/walkins", {"members": [{"name": 5}]}, "members[0].name")
    missing = await client.post("/api/checkins", json={"shelterId": shelter, "qr": code})
    assert missing.status_code == 400 and missing.json()["invalidParams"][0]["name"] == "Idempotency-Key"
    assert await count(engine, "SELECT count(*) FROM checkin") == 0
    assert event_id


async def test_csv_cells_never_start_a_formula(client: Client, engine: AsyncEngine, opened: tuple[str, str]) -> None:
    _, shelter = opened
    await sign_in(client, engine, "municipal_hq")
    needs = {"incidents": "\t=1+1", "notes": " +cmd|' /C calc'!A0", "suppliesShort": "@SUM(A1)"}
    assert (await client.put(f"/api/shelters/{shelter}", json={"needs": needs})).status_code == 200
    rows = list(csv.DictReader(io.StringIO((await client.get("/api/shelters/occupancy.csv")).text.lstrip("\ufeff"))))
    assert (rows[0]["incidents"], rows[0]["notes"], rows[0]["suppliesShort"]) == (
        "'\t=1+1",
        "' +cmd|' /C calc'!A0",
        "'@SUM(A1)",
    )
