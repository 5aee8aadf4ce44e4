"""What the family screen needs of the server: the names members chose, an invite's QR code of
its whole link, "please tell us you are safe" (members only, not too often, shown to the asked
person until they answer), and a view that answers 304 (reading and auditing nobody) until
something in it changes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.settings import Settings
from tests.server.roles import Client
from tests.server.safety.test_safety import ALICE, BOB, clients, key, member, resident

__all__ = ["clients"]


async def audited(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(text("SELECT count(*) FROM audit_event WHERE action = 'safety.read'")))


async def test_names_invite_qr_and_a_view_unchanged_until_a_member_changes(
    settings: Settings, engine: AsyncEngine, clients: list[Client]
) -> None:
    alice = await resident(settings, engine, ALICE)
    bob = await resident(settings, engine, BOB)
    clients += [alice, bob]
    made = await alice.post("/api/safety/groups", json={"name": "山田家", "myName": "  お母さん "})
    assert made.status_code == 201, made.text
    invite = made.json()["invite"]
    # The link opens the app's family screen; its QR code holds the whole link (this server's).
    assert invite["url"] == f"/#/resident/family/join/{invite['code']}"
    assert "<svg" in invite["qrSvg"] and "path" in invite["qrSvg"]
    joined = await bob.post("/api/safety/groups/join", json={"code": invite["code"], "name": "太郎"})
    assert joined.status_code == 200, joined.text
    assert (
        await bob.post("/api/safety/groups/join", json={"code": invite["code"], "name": "x" * 41})
    ).status_code == 400

    first = await bob.get("/api/safety/groups")
    assert {m["name"] for m in first.json()["groups"][0]["members"]} == {"お母さん", "太郎"}
    etag = first.headers["etag"]
    assert (await alice.put("/api/safety/status", json={"status": "safe"}, headers=key())).status_code == 201

    seen = await bob.get("/api/safety/groups")
    assert seen.headers["etag"] != etag  # Alice's new status changes the view
    assert member(seen.json(), me=False)["status"]["status"] == "safe"
    before = await audited(engine)
    again = await bob.get("/api/safety/groups", headers={"If-None-Match": seen.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert await audited(engine) == before  # nobody's status read
    # A check-in's status (another writer) changes it too: staff set it for Alice from a card here.
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO safety_status (id, person_id, status) "
                "SELECT gen_random_uuid(), person_id, 'at_shelter' FROM safety_member m "
                "JOIN safety_group g ON g.id = m.group_id WHERE m.person_id = g.creator_id"
            )
        )
    changed = await bob.get("/api/safety/groups", headers={"If-None-Match": seen.headers["etag"]})
    assert changed.status_code == 200 and member(changed.json(), me=False)["status"]["status"] == "at_shelter"


async def test_please_tell_us_you_are_safe(settings: Settings, engine: AsyncEngine, clients: list[Client]) -> None:
    alice = await resident(settings, engine, ALICE)
    bob = await resident(settings, engine, BOB)
    carol = await resident(settings, engine)
    clients += [alice, bob, carol]
    made = (await alice.post("/api/safety/groups", json={"name": "山田家", "myName": "花子"})).json()
    group = made["id"]
    assert (await bob.post("/api/safety/groups/join", json={"code": made["invite"]["code"], "name": "太郎"})).is_success
    view: dict[str, Any] = (await bob.get("/api/safety/groups")).json()
    alice_id, bob_id = member(view, me=False)["personId"], member(view, me=True)["personId"]
    etag = (await alice.get("/api/safety/groups")).headers["etag"]

    asked = await bob.post(f"/api/safety/groups/{group}/ask", json={"personId": alice_id})
    assert asked.status_code == 201, asked.text
    assert asked.json()["personId"] == alice_id and asked.json()["at"]
    mine = await alice.get("/api/safety/groups", headers={"If-None-Match": etag})
    assert mine.status_code == 200  # the request changed Alice's view
    assert [(a["personId"], a["name"]) for a in mine.json()["groups"][0]["askedMe"]] == [(bob_id, "太郎")]
    assert (await bob.get("/api/safety/groups")).json()["groups"][0]["askedMe"] == []  # only the asked see it

    again = await bob.post(f"/api/safety/groups/{group}/ask", json={"personId": alice_id})
    assert again.status_code == 429 and again.headers["content-type"] == "application/problem+json"
    assert int(again.headers["retry-after"]) > 0
    # Strangers, themselves, people outside the group, and nonsense: 4xx problem+json, no request kept.
    refused = [
        await carol.post(f"/api/safety/groups/{group}/ask", json={"personId": alice_id}),
        await bob.post(f"/api/safety/groups/{group}/ask", json={"personId": bob_id}),
        await alice.post(f"/api/safety/groups/{group}/ask", json={"personId": "00000000-0000-7000-8000-000000000000"}),
        await alice.post(f"/api/safety/groups/{group}/ask", json={"personId": "nobody"}),
        await alice.post("/api/safety/groups/not-an-id/ask", json={"personId": bob_id}),
    ]
    assert [r.status_code for r in refused] == [404, 400, 404, 400, 400], [r.text for r in refused]
    assert all(r.headers["content-type"] == "application/problem+json" for r in refused)
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM safety_request")) == 1

    # Alice answers: the request is no longer shown to her.
    assert (await alice.put("/api/safety/status", json={"status": "safe"}, headers=key())).status_code == 201
    assert (await alice.get("/api/safety/groups")).json()["groups"][0]["askedMe"] == []
