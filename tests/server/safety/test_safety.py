"""Family safety status: groups and invites, statuses (idempotent, sealed at rest, coarse when
asked), what a check-in tells the family in its own transaction, inquiries that show only what the
person consented to, and what headquarters see."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.app import create_app
from server.settings import Settings
from tests.server.roles import Client, an_open_shelter, cli, sign_in
from tests.server.shelters.test_people import CARD

ALICE = {"members": [{"name": "山田 花子", "relationship": "self"}], "home": {"lat": 40.8, "lon": 140.76}}
BOB = {"members": [{"name": "山田 太郎", "relationship": "self"}]}
PHONE = "090-1234-5678"


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def resident(settings: Settings, engine: AsyncEngine, household: dict[str, Any] | None = None) -> Client:
    client: Client = AsyncTestClient(app=create_app(settings))
    await client.__aenter__()
    await sign_in(client, engine, "resident")
    if household is not None:
        assert (await client.put("/api/households/me", json=household)).status_code == 200
    return client


async def operator(settings: Settings, engine: AsyncEngine, role: str) -> Client:
    client: Client = AsyncTestClient(app=create_app(settings))
    await client.__aenter__()
    await sign_in(client, engine, role)
    return client


@pytest.fixture
async def clients() -> AsyncIterator[list[Client]]:
    made: list[Client] = []
    yield made
    for client in made:
        await client.__aexit__(None, None, None)


async def family(settings: Settings, engine: AsyncEngine, clients: list[Client]) -> tuple[Client, Client, str]:
    """Alice (with a household) made a group that Bob joined: (alice, bob, group id)."""
    alice = await resident(settings, engine, ALICE)
    bob = await resident(settings, engine, BOB)
    clients += [alice, bob]
    made = await alice.post("/api/safety/groups", json={"name": "山田家"})
    assert made.status_code == 201, made.text
    invite = made.json()["invite"]
    assert len(invite["code"]) >= 20 and invite["code"] in invite["url"] and invite["expiresAt"]
    joined = await bob.post("/api/safety/groups/join", json={"code": invite["code"]})
    assert joined.status_code == 200, joined.text
    return alice, bob, made.json()["id"]


def member(groups: dict[str, Any], me: bool) -> dict[str, Any]:
    found: dict[str, Any] = next(m for m in groups["groups"][0]["members"] if m["me"] is me)
    return found


async def test_a_group_sees_its_members_status_and_strangers_see_nothing(
    settings: Settings, engine: AsyncEngine, clients: list[Client]
) -> None:
    alice, bob, group = await family(settings, engine, clients)
    status = {"status": "safe", "message": "無事です", "location": {"lat": 40.8123, "lon": 140.7611}}
    first = await alice.put("/api/safety/status", json=status, headers={"Idempotency-Key": "alice-safe-0001"})
    assert first.status_code == 201, first.text
    again = await alice.put("/api/safety/status", json=status, headers={"Idempotency-Key": "alice-safe-0001"})
    assert again.status_code == 200 and again.json()["at"] == first.json()["at"]

    seen = (await bob.get("/api/safety/groups")).json()
    alice_there = member(seen, me=False)
    assert alice_there["creator"] and alice_there["status"]["status"] == "safe"
    assert alice_there["status"]["message"] == "無事です"
    where = alice_there["status"]["location"]
    # Coarse by default: a cell's centre about 500 m wide, not the point sent.
    assert where["precision"] == "coarse" and (where["lat"], where["lon"]) != (40.8123, 140.7611)
    assert abs(where["lat"] - 40.8123) < 0.003 and abs(where["lon"] - 140.7611) < 0.004

    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM safety_status")) == 1
        sealed = await connection.scalar(text("SELECT sealed FROM safety_status"))
        audited = await connection.scalar(text("SELECT count(*) FROM audit_event WHERE action = 'safety.read'"))
    assert "無事".encode() not in sealed and b"40.81" not in sealed  # sealed at rest
    assert audited == 1  # Bob read Alice's status

    stranger = await resident(settings, engine)
    clients.append(stranger)
    assert (await stranger.get("/api/safety/groups")).json() == {"groups": []}
    for response in (
        await stranger.post(f"/api/safety/groups/{group}/invites"),
        await stranger.post(f"/api/safety/groups/{group}/leave"),
        await stranger.delete(f"/api/safety/groups/{group}/members/{alice_there['personId']}"),
    ):
        assert response.status_code == 404, response.text
    # Someone else's key is their own: a new status of theirs, Alice's untouched.
    theirs = await stranger.put(
        "/api/safety/status", json={"status": "injured"}, headers={"Idempotency-Key": "alice-safe-0001"}
    )
    assert theirs.status_code == 201 and theirs.json()["status"] == "injured"
    assert member((await bob.get("/api/safety/groups")).json(), me=False)["status"]["status"] == "safe"


async def test_copies_of_a_status_sent_at_once_make_one_row(
    settings: Settings, engine: AsyncEngine, clients: list[Client]
) -> None:
    alice = await resident(settings, engine, ALICE)
    clients.append(alice)
    sent = {"Idempotency-Key": "outbox-retry-0001"}
    answers = await asyncio.gather(
        *(alice.put("/api/safety/status", json={"status": "safe"}, headers=sent) for _ in range(5))
    )
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 201]
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM safety_status")) == 1


async def test_consent_not_to_share_with_groups_hides_the_status(
    settings: Settings, engine: AsyncEngine, clients: list[Client]
) -> None:
    alice, bob, _ = await family(settings, engine, clients)
    assert (await alice.put("/api/safety/consent", json={"shareGroups": False})).status_code == 200
    assert (await alice.put("/api/safety/status", json={"status": "injured"}, headers=key())).status_code == 201
    assert member((await bob.get("/api/safety/groups")).json(), me=False)["status"] is None
    assert member((await alice.get("/api/safety/groups")).json(), me=True)["status"]["status"] == "injured"


async def test_invites_expire_run_out_and_look_alike_when_refused(
    settings: Settings, engine: AsyncEngine, clients: list[Client]
) -> None:
    alice, bob, group = await family(settings, engine, clients)
    carol = await resident(settings, engine)
    clients.append(carol)
    fresh = (await alice.post(f"/api/safety/groups/{group}/invites")).json()
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE safety_invite SET expires_at = now() - interval '1 second'"))
    expired = await carol.post("/api/safety/groups/join", json={"code": fresh["code"]})
    unknown = await carol.post("/api/safety/groups/join", json={"code": "x" * 24})
    assert expired.status_code == unknown.status_code == 404
    assert expired.json()["detail"] == unknown.json()["detail"]

    last = (await bob.post(f"/api/safety/groups/{group}/invites")).json()
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE safety_invite SET uses_left = 0 WHERE expires_at > now()"))
    assert (await carol.post("/api/safety/groups/join", json={"code": last["code"]})).status_code == 404
    assert (await carol.get("/api/safety/groups")).json() == {"groups": []}


async def test_the_creator_removes_members_and_others_only_leave(
    settings: Settings, engine: AsyncEngine, clients: list[Client]
) -> None:
    alice, bob, group = await family(settings, engine, clients)
    alice_id = member((await alice.get("/api/safety/groups")).json(), me=True)["personId"]
    bob_id = member((await bob.get("/api/safety/groups")).json(), me=True)["personId"]
    assert (await bob.delete(f"/api/safety/groups/{group}/members/{alice_id}")).status_code == 403
    assert (await alice.delete(f"/api/safety/groups/{group}/members/{bob_id}")).status_code == 200
    assert (await bob.get("/api/safety/groups")).json() == {"groups": []}
    assert (await alice.post(f"/api/safety/groups/{group}/leave")).status_code == 200
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM safety_group")) == 0  # left empty


async def qr_of(client: Client) -> str:
    code: str = (await client.get("/api/households/me/qr")).json()["household"]
    return code


async def test_a_check_in_tells_the_family_in_its_transaction(
    settings: Settings, engine: AsyncEngine, clients: list[Client]
) -> None:
    alice, bob, _ = await family(settings, engine, clients)
    shelter = await an_open_shelter(engine)
    staff = await operator(settings, engine, "prefectural_hq")
    clients.append(staff)
    code = await qr_of(alice)

    # Without consent to auto-update, a check-in says nothing to the family.
    quiet = await staff.post("/api/checkins", json={"shelterId": shelter, "qr": code}, headers=key())
    assert quiet.status_code == 201, quiet.text
    assert member((await bob.get("/api/safety/groups")).json(), me=False)["status"] is None
    assert (
        await staff.post("/api/checkouts", json={"shelterId": shelter, "qr": code}, headers=key())
    ).status_code == 201

    assert (await alice.put("/api/safety/consent", json={"autoCheckin": True})).status_code == 200
    went_in = await staff.post("/api/checkins", json={"shelterId": shelter, "qr": code}, headers=key())
    assert went_in.status_code == 201
    seen = member((await bob.get("/api/safety/groups")).json(), me=False)["status"]
    assert seen["status"] == "at_shelter" and seen["shelterId"] == shelter and seen["shelterName"] == "中央小学校"
    assert seen["byStaff"] is True

    out = await staff.post("/api/checkouts", json={"shelterId": shelter, "qr": code}, headers=key())
    assert out.status_code == 201
    seen = member((await bob.get("/api/safety/groups")).json(), me=False)["status"]
    assert seen["status"] == "left_shelter" and seen["shelterId"] == shelter


async def test_a_transfer_ends_at_the_new_shelter(
    settings: Settings, engine: AsyncEngine, clients: list[Client]
) -> None:
    alice, bob, _ = await family(settings, engine, clients)
    shelter = await an_open_shelter(engine)
    async with engine.begin() as connection:
        event = await connection.scalar(text("SELECT event_id FROM shelter_operation"))
    from tests.server.shelters.test_people import second_shelter

    other = await second_shelter(engine, str(event))
    staff = await operator(settings, engine, "prefectural_hq")
    clients.append(staff)
    await alice.put("/api/safety/consent", json={"autoCheckin": True})
    code = await qr_of(alice)
    assert (
        await staff.post("/api/checkins", json={"shelterId": shelter, "qr": code}, headers=key())
    ).status_code == 201
    moved = await staff.post(
        "/api/transfers", json={"shelterId": shelter, "toShelterId": other, "qr": code}, headers=key()
    )
    assert moved.status_code == 201, moved.text
    seen = member((await bob.get("/api/safety/groups")).json(), me=False)["status"]
    assert seen["status"] == "at_shelter" and seen["shelterId"] == other


async def test_a_failing_status_write_undoes_the_check_in_and_a_retry_makes_both_once(
    settings: Settings, engine: AsyncEngine, clients: list[Client]
) -> None:
    alice, bob, _ = await family(settings, engine, clients)
    shelter = await an_open_shelter(engine)
    staff = await operator(settings, engine, "prefectural_hq")
    clients.append(staff)
    await alice.put("/api/safety/consent", json={"autoCheckin": True})
    code = await qr_of(alice)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'status store down'; END $$"
            )
        )
        await connection.execute(
            text("CREATE TRIGGER refuse BEFORE INSERT ON safety_status FOR EACH ROW EXECUTE FUNCTION refuse()")
        )
    sent = {"Idempotency-Key": "door-scan-000001"}
    failed = await staff.post("/api/checkins", json={"shelterId": shelter, "qr": code}, headers=sent)
    assert failed.status_code >= 500
    async with engine.begin() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM checkin")) == 0  # no check-in without its status
        await connection.execute(text("DROP TRIGGER refuse ON safety_status"))
    for expected in (201, 200):  # the outbox sends it again, and again
        retried = await staff.post("/api/checkins", json={"shelterId": shelter, "qr": code}, headers=sent)
        assert retried.status_code == expected, retried.text
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM checkin")) == 1
        assert await connection.scalar(text("SELECT count(*) FROM safety_status")) == 1  # none twice
    assert member((await bob.get("/api/safety/groups")).json(), me=False)["status"]["status"] == "at_shelter"


async def test_staff_set_a_walk_ins_status_and_its_check_out_follows(
    settings: Settings, engine: AsyncEngine, clients: list[Client]
) -> None:
    shelter = await an_open_shelter(engine)
    staff = await operator(settings, engine, "prefectural_hq")
    clients.append(staff)
    walk_in = (await staff.post(f"/api/shelters/{shelter}/walkins", json=CARD, headers=key())).json()
    household, member_id = walk_in["householdId"], walk_in["members"][0]["id"]
    body = {"memberId": member_id, "status": "needs_help", "message": "薬が必要", "answerInquiries": True}
    sent = await staff.put(f"/api/safety/walkins/{household}/status", json=body, headers=key())
    assert sent.status_code == 201, sent.text
    assert sent.json()["byStaff"] is True
    found = (await staff.get("/api/safety/inquiry", params={"name": "高橋ゆき", "phone": "0170000000"})).json()
    assert found["found"] is True and found["status"] == "needs_help" and "message" not in found

    assert (
        await staff.post("/api/checkouts", json={"shelterId": shelter, "householdId": household}, headers=key())
    ).status_code == 201
    found = (await staff.get("/api/safety/inquiry", params={"name": "高橋 ゆき", "phone": "017-000-0000"})).json()
    assert found["status"] == "left_shelter"

    wrong = await staff.put(
        f"/api/safety/walkins/{household}/status", json={**body, "memberId": "nobody"}, headers=key()
    )
    assert wrong.status_code == 400 and "memberId" in wrong.text
    alice = await resident(settings, engine, ALICE)
    clients.append(alice)
    async with engine.connect() as connection:
        theirs = await connection.scalar(text("SELECT id FROM household WHERE account_id IS NOT NULL"))
    refused = await staff.put(f"/api/safety/walkins/{theirs}/status", json=body, headers=key())
    assert refused.status_code == 404  # a resident's household is theirs to speak for


async def test_inquiries_show_only_what_was_consented_and_nothing_alike(
    settings: Settings, engine: AsyncEngine, clients: list[Client]
) -> None:
    alice, bob, _ = await family(settings, engine, clients)
    asker: Client = AsyncTestClient(app=create_app(settings))
    await asker.__aenter__()
    clients.append(asker)
    await alice.put(
        "/api/safety/status",
        json={"status": "safe", "message": "秘密", "location": {"lat": 40.8, "lon": 140.7, "precision": "exact"}},
        headers=key(),
    )
    by_name = {"name": "山田花子", "phone": PHONE}
    nothing = (await asker.get("/api/safety/inquiry", params=by_name)).json()
    assert nothing == {"found": False, "status": None, "at": None}  # not consented yet

    consent = await alice.put("/api/safety/consent", json={"answerInquiries": True, "phone": PHONE})
    assert consent.json()["findableByName"] is True
    card_code = consent.json()["inquiryCode"]
    shown = await asker.get("/api/safety/inquiry", params={"name": "山田 花子", "phone": "09012345678"})
    assert shown.status_code == 200
    assert set(shown.json()) == {"found", "status", "at"} and shown.json()["status"] == "safe"
    assert "秘密" not in shown.text and "40.8" not in shown.text
    assert (await asker.get("/api/safety/inquiry", params={"code": card_code})).json()["status"] == "safe"

    absent = await asker.get("/api/safety/inquiry", params={"name": "存在 しない", "phone": PHONE})
    bob_code = (await bob.get("/api/safety/me")).json()["consent"]["inquiryCode"]
    silent = await asker.get("/api/safety/inquiry", params={"code": bob_code})  # Bob did not consent
    assert absent.json() == silent.json() == nothing

    hq = await operator(settings, engine, "municipal_hq")
    clients.append(hq)
    assert (await hq.put(f"/api/safety/hq/inquiries/{card_code}", json={"forbidden": True})).status_code == 200
    assert (await asker.get("/api/safety/inquiry", params={"code": card_code})).json() == nothing
    # Her next change of consent does not lift what headquarters set.
    again = await alice.put("/api/safety/consent", json={"answerInquiries": True, "autoCheckin": True})
    assert again.json()["forbiddenByHeadquarters"] is True
    assert (await asker.get("/api/safety/inquiry", params={"code": card_code})).json() == nothing
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text("SELECT subject, details FROM audit_event WHERE action = 'safety.inquiry' ORDER BY created_at")
            )
        ).all()
    assert len(rows) == 7
    assert rows[1].details["shown"]["status"] == "safe" and rows[1].details["by"] == "name+phone"
    assert rows[3].subject == "person:none" and rows[4].subject != "person:none"  # absent, and Bob


async def test_headquarters_forbid_inquiries_from_the_command_line(
    database_url: str, settings: Settings, engine: AsyncEngine, clients: list[Client]
) -> None:
    alice = await resident(settings, engine, ALICE)
    clients.append(alice)
    await alice.put("/api/safety/status", json={"status": "safe"}, headers=key())
    code = (await alice.put("/api/safety/consent", json={"answerInquiries": True})).json()["inquiryCode"]
    assert (await alice.get("/api/safety/inquiry", params={"code": code})).json()["found"] is True
    await asyncio.to_thread(cli, database_url, "safety", "forbid-inquiries", code)
    assert (await alice.get("/api/safety/inquiry", params={"code": code})).json()["found"] is False
    await asyncio.to_thread(cli, database_url, "safety", "forbid-inquiries", code, "--allow")
    assert (await alice.get("/api/safety/inquiry", params={"code": code})).json()["found"] is True


async def test_inquiries_are_rate_limited_per_client(
    settings: Settings, engine: AsyncEngine, clients: list[Client]
) -> None:
    asker: Client = AsyncTestClient(app=create_app(settings))
    await asker.__aenter__()
    clients.append(asker)
    answers = [
        (await asker.get("/api/safety/inquiry", params={"code": f"guess{n:04d}"})).status_code for n in range(11)
    ]
    assert answers == [200] * 10 + [429]
    # Another server process shares the count (it is in the database).
    other: Client = AsyncTestClient(app=create_app(settings))
    await other.__aenter__()
    clients.append(other)
    assert (await other.get("/api/safety/inquiry", params={"code": "guess9999"})).status_code == 429


async def test_headquarters_count_and_list_those_who_share(
    settings: Settings, engine: AsyncEngine, clients: list[Client]
) -> None:
    await an_open_shelter(engine)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE municipality SET boundary = ST_Multi(ST_MakeEnvelope(140.7, 40.7, 140.9, 40.9, 4326)) "
                "WHERE code = '029998'"
            )
        )
    alice, bob, _ = await family(settings, engine, clients)
    here = {"lat": 40.81, "lon": 140.77, "precision": "exact"}
    await alice.put("/api/safety/consent", json={"shareHq": True})
    await alice.put("/api/safety/status", json={"status": "injured", "location": here}, headers=key())
    await bob.put("/api/safety/status", json={"status": "needs_help", "location": here}, headers=key())
    hq = await operator(settings, engine, "municipal_hq")
    clients.append(hq)
    counts = (await hq.get("/api/safety/hq/counts")).json()
    assert counts == {
        "municipalities": [{"municipality": "029998", "municipalityName": "見本市", "needsHelp": 1, "injured": 1}]
    }
    people = (await hq.get("/api/safety/hq/people")).json()["people"]
    assert len(people) == 1  # Bob did not consent to share with headquarters
    assert people[0]["status"]["status"] == "injured" and people[0]["status"]["location"]["lat"] == 40.81
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM audit_event WHERE action = 'safety.hq_read'")) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "fine"}, "status"),
        ({"status": "safe", "message": "x" * 201}, "message"),
        ({"status": "safe", "message": 5}, "message"),
        ({"status": "safe", "location": {"lat": 91, "lon": 0}}, "location.lat"),
        ({"status": "safe", "location": {"lat": "north", "lon": 0}}, "location.lat"),
        ({"status": "safe", "location": {"lat": 40, "lon": 140, "precision": "street"}}, "location.precision"),
        ({"status": "safe", "extra": 1}, "extra"),
        ({"status": "safe", "message": "a\u0000b"}, "message"),
        ([], "data"),
    ],
)
async def test_bad_status_bodies_name_the_field(
    settings: Settings, engine: AsyncEngine, clients: list[Client], body: Any, field: str
) -> None:
    alice = await resident(settings, engine)
    clients.append(alice)
    response = await alice.put("/api/safety/status", json=body, headers=key())
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in response.text, response.text
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM safety_status")) == 0


async def test_bad_requests_of_every_kind_are_4xx(
    settings: Settings, engine: AsyncEngine, clients: list[Client]
) -> None:
    alice = await resident(settings, engine)
    clients.append(alice)
    deep: Any = "x"
    for _ in range(40):
        deep = {"a": deep}
    cases = [
        await alice.put("/api/safety/status", json={"status": "safe"}),  # no Idempotency-Key
        await alice.put("/api/safety/status", json={"status": "safe"}, headers={"Idempotency-Key": "short"}),
        await alice.put("/api/safety/status", json={"status": "safe", "message": deep}, headers=key()),
        await alice.put(
            "/api/safety/status",
            content=b'{"status": "safe", "message": "\xff\xfe"}',
            headers={**key(), "Content-Type": "application/json"},
        ),
        await alice.put(
            "/api/safety/status",
            content=b"{" + b" " * (2 << 20) + b"}",
            headers={**key(), "Content-Type": "application/json"},
        ),
        await alice.post("/api/safety/groups", json={"name": ""}),
        await alice.post("/api/safety/groups", json={"name": "x" * 61}),
        await alice.post("/api/safety/groups", json={"name": ["a"]}),
        await alice.post("/api/safety/groups/join", json={"code": 12345678}),
        await alice.post("/api/safety/groups/join", json={"code": "a\u0000bcdefghij"}),
        await alice.post("/api/safety/groups/not-an-id/leave"),
        await alice.delete(f"/api/safety/groups/{uuid.uuid4()}/members/not-an-id"),
        await alice.put("/api/safety/consent", json={"shareHq": "yes"}),
        await alice.put("/api/safety/consent", json={"phone": "call me"}),
        await alice.put("/api/safety/consent", json={"memberId": "nobody"}),
        await alice.get("/api/safety/inquiry"),
        await alice.get("/api/safety/inquiry", params={"name": "山田"}),
        await alice.get("/api/safety/inquiry", params={"code": "abc", "name": "x", "phone": PHONE}),
        await alice.get("/api/safety/inquiry", params={"code": "x" * 65}),
        await alice.get("/api/safety/inquiry?code=a%00b"),
        await alice.get("/api/safety/inquiry?code=%ff%fe"),
    ]
    for n, response in enumerate(cases):
        assert 400 <= response.status_code < 500, (n, response.status_code, response.text)
        assert response.headers["content-type"] == "application/problem+json", n


def test_card_codes_never_look_like_an_option() -> None:
    from server.safety.service import card_code

    codes = [card_code() for _ in range(2000)]  # one in 32 started with "-" or "_" before
    assert all(c[0].isalnum() and len(c) == 16 for c in codes) and len(set(codes)) == len(codes)
