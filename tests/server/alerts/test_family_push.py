"""Family safety news by push, through the alerts worker to a push service of our own that
decrypts what it gets: a member's new status reaches the other members' linked browsers once, in
their language, with neither its message nor its place; a request reaches the person asked; a
member who stopped sharing with groups is not pushed about; linking a browser takes both its
token and the resident's session."""

from __future__ import annotations

import json
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.alerts.worker import work
from server.app import create_app
from server.settings import Settings
from tests.server.alerts.receiver import Receiver
from tests.server.roles import Client
from tests.server.safety.test_safety import ALICE, BOB, clients, key, member, resident

__all__ = ["clients"]


async def linked(client: Client, receiver: Receiver, name: str, languages: list[str]) -> dict[str, Any]:
    """A browser subscribed to alerts whose resident asked for their family news on it too."""
    body = receiver.browser(name).body([{"municipality": "022012"}], languages=languages)
    made = await client.post("/api/push/subscriptions", json=body)
    assert made.status_code == 201, made.text
    sub: dict[str, Any] = made.json()
    answer = await client.put(f"/api/push/subscriptions/{sub['id']}/family", headers={"X-Push-Token": sub["token"]})
    assert answer.status_code == 200 and answer.json()["family"] is True, answer.text
    return sub


async def test_news_reaches_the_group_once_and_says_only_who_and_how(
    push_settings: Settings, engine: AsyncEngine, receiver: Receiver, clients: list[Client]
) -> None:
    alice = await resident(push_settings, engine, ALICE)
    bob = await resident(push_settings, engine, BOB)
    carol = await resident(push_settings, engine)
    clients += [alice, bob, carol]
    made = (await alice.post("/api/safety/groups", json={"name": "山田家", "myName": "花子"})).json()
    assert (await bob.post("/api/safety/groups/join", json={"code": made["invite"]["code"], "name": "太郎"})).is_success
    await linked(alice, receiver, "alice", ["ja"])
    bob_browser = await linked(bob, receiver, "bob", ["en"])
    await linked(carol, receiver, "carol", ["ja-easy"])  # not in the group
    alice_id = member((await bob.get("/api/safety/groups")).json(), me=False)["personId"]

    # Linking takes the resident's session and the subscription's token.
    async with AsyncTestClient(app=create_app(push_settings)) as nobody:
        url = f"/api/push/subscriptions/{bob_browser['id']}/family"
        assert (await nobody.put(url, headers={"X-Push-Token": bob_browser["token"]})).status_code == 401
    assert (await carol.put(url, headers={"X-Push-Token": "not-the-token"})).status_code in (403, 404)
    assert (await carol.put(url)).status_code == 400  # no token

    # Alice is safe (the same write sent twice), with a message and a place.
    status = {"status": "safe", "message": "家の2階にいます", "location": {"lat": 40.8123, "lon": 140.7611}}
    same = key()
    for _ in range(2):
        assert (await alice.put("/api/safety/status", json=status, headers=same)).is_success
    await work(push_settings, once=True, backoff_s=0.1)
    (news,) = receiver.got("bob")
    assert news["kind"] == "family" and news["headline"] == "花子 is safe" and news["url"].endswith("/family")
    assert "2階" not in json.dumps(news, ensure_ascii=False) and "40.8" not in json.dumps(news)
    assert receiver.got("alice") == [] and receiver.got("carol") == []
    (arrival,) = [a for a in receiver.arrivals if a.name == "bob"]
    assert arrival.headers["Urgency"] == "normal" and int(arrival.headers["TTL"]) > 0

    # Bob asks Alice to say she is safe: only Alice hears, in her language, from Bob by his name.
    assert (await bob.post(f"/api/safety/groups/{made['id']}/ask", json={"personId": alice_id})).status_code == 201
    await work(push_settings, once=True, backoff_s=0.1)
    assert [n["headline"] for n in receiver.got("alice")] == ["太郎さんが、無事かどうか知らせてほしいと言っています"]
    assert len(receiver.got("bob")) == 1 and receiver.got("carol") == []

    # Alice stops sharing with groups: her next status is pushed to nobody. Bob unlinks his
    # browser: Carol's news (she joins, and needs help) no longer reaches it.
    assert (await alice.put("/api/safety/consent", json={"shareGroups": False})).is_success
    assert (await alice.put("/api/safety/status", json={"status": "injured"}, headers=key())).is_success
    off = await bob.delete(
        f"/api/push/subscriptions/{bob_browser['id']}/family", headers={"X-Push-Token": bob_browser["token"]}
    )
    assert off.status_code == 200 and off.json()["family"] is False
    invite = (await alice.post(f"/api/safety/groups/{made['id']}/invites")).json()
    assert (await carol.post("/api/safety/groups/join", json={"code": invite["code"], "name": "美香"})).is_success
    assert (await carol.put("/api/safety/status", json={"status": "needs_help"}, headers=key())).is_success
    await work(push_settings, once=True, backoff_s=0.1)
    assert len(receiver.got("bob")) == 1
    assert receiver.got("carol") == []  # Alice's injury was not shared
    assert [n["headline"] for n in receiver.got("alice")][-1] == "美香さん: 助けが必要です"
    async with engine.connect() as connection:
        states = (await connection.execute(text("SELECT state, count(*) FROM family_push GROUP BY state"))).all()
    assert dict(states) == {"sent": 3}
