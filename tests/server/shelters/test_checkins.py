"""Disaster events and shelters from the CLI; check-ins exactly once per idempotency key, even
sent concurrently; refusals with their reasons; occupancy from the check-in records."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from click.testing import CliRunner
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.app import create_app
from server.cli import main
from server.settings import Settings
from tests.server.roles import Client, a_shelter, cli, sign_in

FAMILY = {"members": [{"name": "山田花子", "relationship": "self"}, {"name": "山田太郎", "relationship": "child"}]}


async def family_code(settings: Settings, engine: AsyncEngine) -> tuple[str, dict[str, Any]]:
    async with AsyncTestClient(app=create_app(settings)) as resident:
        await sign_in(resident, engine, "resident")
        saved = (await resident.put("/api/households/me", json=FAMILY)).json()
        code: str = (await resident.get("/api/households/me/qr")).json()["household"]
        return code, saved


async def test_a_check_in_happens_once_per_key_even_concurrently(
    client: Client, engine: AsyncEngine, settings: Settings, opened: tuple[str, str]
) -> None:
    _, shelter = opened
    code, _ = await family_code(settings, engine)
    await sign_in(client, engine, "staff")
    key = str(uuid.uuid4())
    body = {"shelterId": shelter, "qr": code, "stay": "inside"}
    answers = await asyncio.gather(
        *(client.post("/api/checkins", json=body, headers={"Idempotency-Key": key}) for _ in range(8))
    )
    assert sorted(a.status_code for a in answers).count(201) == 1 and all(a.status_code in (200, 201) for a in answers)
    assert len({a.json()["id"] for a in answers}) == 1 and answers[0].json()["people"] == 2
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM checkin")) == 1
    again = await client.post("/api/checkins", json=body, headers={"Idempotency-Key": key})
    assert again.status_code == 200 and again.json()["replayed"] is True


async def test_occupancy_follows_check_ins_and_outs_against_capacity(
    client: Client, engine: AsyncEngine, settings: Settings, opened: tuple[str, str]
) -> None:
    event_id, shelter = opened
    code, saved = await family_code(settings, engine)
    await sign_in(client, engine, "staff")

    async def post(path: str, **body: Any) -> Any:
        response = await client.post(
            path, json={"shelterId": shelter, **body}, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        assert response.status_code == 201, response.text
        return response.json()

    await post("/api/checkins", qr=code, stay="inside")
    first = (await client.get(f"/api/shelters/occupancy?event={event_id}")).json()["shelters"][0]
    assert (first["people"], first["byStay"]["inside"], first["status"]) == (2, 2, "open")  # 2 of 4
    await post(
        "/api/checkins",
        householdId=(await client.post("/api/qr/verify", json={"qr": code})).json()["household"],
        stay="car",
    )
    full = (await client.get("/api/shelters/occupancy")).json()["shelters"][0]
    assert (full["people"], full["byStay"]["car"], full["status"]) == (4, 2, "full")
    await post("/api/checkouts", qr=code, memberIds=[saved["members"][1]["id"]], stay="car")
    after = (await client.get("/api/shelters/occupancy")).json()
    assert after["shelters"][0]["byStay"] == {"inside": 2, "outdoor": 0, "car": 1, "at_home": 0}
    assert after["people"] == 3
    assert after["shelters"][0]["status"] == "open"  # 3 of 4: below the 80 % of "crowded"


async def test_refusals_say_why(
    client: Client, engine: AsyncEngine, settings: Settings, opened: tuple[str, str], database_url: str
) -> None:
    event_id, shelter = opened
    code, _ = await family_code(settings, engine)
    await sign_in(client, engine, "staff")

    async def check_in(**body: Any) -> Any:
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        return await client.post(
            "/api/checkins", json={"shelterId": shelter, "stay": "inside", **body}, headers=headers
        )

    forged = code[:-4] + ("AAAA" if not code.endswith("AAAA") else "BBBB")
    assert (await check_in(qr=forged)).status_code == 422
    missing = await client.post("/api/checkins", json={"shelterId": shelter, "qr": code})
    assert missing.status_code == 400 and missing.json()["invalidParams"][0]["name"] == "Idempotency-Key"
    assert (await check_in(qr=code, stay="roof")).json()["invalidParams"][0]["name"] == "stay"
    await asyncio.to_thread(cli, database_url, "shelters", "close", shelter, "--event", event_id)
    closed = await check_in(qr=code)
    assert closed.status_code == 409 and "closed" in closed.json()["detail"]


async def test_staff_of_another_shelter_and_residents_may_not_check_in(
    client: Client, engine: AsyncEngine, settings: Settings, opened: tuple[str, str]
) -> None:
    _, shelter = opened
    code, _ = await family_code(settings, engine)
    async with engine.begin() as connection:
        other = await connection.scalar(
            text(
                "INSERT INTO facility (id, municipality_id, kinds, name, geom) SELECT gen_random_uuid(), "
                "municipality_id, kinds, '東小学校', geom FROM facility LIMIT 1 RETURNING id"
            )
        )
        await connection.execute(text("UPDATE account_role SET facility_id = :f WHERE role = 'staff'"), {"f": other})
    await sign_in(client, engine, "resident")
    body = {"shelterId": shelter, "qr": code}
    assert (await client.post("/api/checkins", json=body, headers={"Idempotency-Key": "k" * 16})).status_code == 403
    async with AsyncTestClient(app=create_app(settings)) as staff:
        await sign_in(staff, engine, "staff")
        async with engine.begin() as connection:
            await connection.execute(
                text("UPDATE account_role SET facility_id = :f WHERE role = 'staff'"), {"f": other}
            )
        refused = await staff.post("/api/checkins", json=body, headers={"Idempotency-Key": "s" * 16})
        assert refused.status_code == 403 and "not yours" in refused.json()["detail"]


def test_events_close_with_their_shelters(database_url: str, opened: tuple[str, str]) -> None:
    event_id, _ = opened
    assert "closed 見本川洪水" in cli(database_url, "events", "close", event_id)
    bad = CliRunner().invoke(
        main,
        ["events", "open", "--type", "meteor", "--name", "x", "--municipality", "029998"],
        env={"DATABASE_URL": database_url},
    )
    assert bad.exit_code == 1 and "unknown type" in bad.output


async def test_headquarters_open_events_and_staff_update_their_shelter(
    client: Client, engine: AsyncEngine, settings: Settings
) -> None:
    _, shelter = await a_shelter(engine)
    await sign_in(client, engine, "municipal_hq")
    elsewhere = await client.post("/api/events", json={"type": "flood", "name": "x", "municipalities": ["022012"]})
    assert elsewhere.status_code == 403
    bad = await client.post("/api/events", json={"type": "meteor", "name": "x", "municipalities": ["029998"]})
    assert bad.status_code == 400 and bad.json()["invalidParams"][0]["name"] == "type"
    event = (
        await client.post("/api/events", json={"type": "tsunami", "name": "津波", "municipalities": ["029998"]})
    ).json()
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO shelter_operation (id, event_id, facility_id) VALUES (gen_random_uuid(), :e, :f)"),
            {"e": event["id"], "f": shelter},
        )
    async with AsyncTestClient(app=create_app(settings)) as staff:
        await sign_in(staff, engine, "staff")
        needs = {"suppliesShort": ["water", "blankets"], "sick": 2}
        updated = await staff.put(
            f"/api/shelters/{shelter}", json={"capacity": 120, "petsAccepted": True, "needs": needs}
        )
        assert updated.status_code == 200 and updated.json()["needs"] == needs and updated.json()["capacity"] == 120
        wrong = await staff.put(f"/api/shelters/{shelter}", json={"status": "full"})
        assert wrong.status_code == 400 and wrong.json()["invalidParams"][0]["name"] == "status"
        assert (await staff.put(f"/api/shelters/{shelter}", json={"status": "closed"})).json()["status"] == "closed"
    assert (await client.post(f"/api/events/{event['id']}/close")).json()["status"] == "closed"
    async with AsyncTestClient(app=create_app(settings)) as staff:
        await sign_in(staff, engine, "staff")
        assert (await staff.put(f"/api/shelters/{shelter}", json={"capacity": 5})).status_code == 409
