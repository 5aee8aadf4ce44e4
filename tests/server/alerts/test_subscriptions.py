"""POST/PUT/DELETE /api/push/subscriptions and GET /api/push/key, as a browser and as an attacker:
every bad field is a 4xx naming it, and ids alone change nothing."""

from __future__ import annotations

import base64
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.lib.keys import unb64
from tests.server.alerts.browser import Browser
from tests.server.roles import Client

HOME = {"lat": 40.82, "lon": 140.74, "radiusM": 1000}


def browser(name: str = "a") -> Browser:
    return Browser(f"https://push.example.net/send/{name}")


async def test_the_vapid_key_is_an_uncompressed_p256_point(client: Client) -> None:
    answer = await client.get("/api/push/key")
    assert answer.status_code == 200
    point = unb64(answer.json()["publicKey"])
    assert len(point) == 65 and point[0] == 4
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)


async def test_subscribe_as_the_interface_says_then_change_and_delete(client: Client, engine: AsyncEngine) -> None:
    b = browser()
    made = await client.post(
        "/api/push/subscriptions", json=b.body([{"municipality": "022012"}, HOME], kinds=["earthquake", "tsunami"])
    )
    assert made.status_code == 201, made.text
    sub_id, token = made.json()["id"], made.json()["token"]
    headers = {"X-Push-Token": token}
    read = (await client.get(f"/api/push/subscriptions/{sub_id}", headers=headers)).json()
    assert read["kinds"] == ["earthquake", "tsunami"] and read["minIntensity"] == "3"
    assert read["areas"] == [{"municipality": "022012"}, HOME]
    async with engine.connect() as connection:
        # The point's circle is stored as a geometry about 1 km across.
        width = await connection.scalar(
            text("SELECT ST_XMax(circles::box2d::geometry) - ST_XMin(circles::box2d::geometry) FROM push_subscription")
        )
    assert 0.02 < width < 0.03  # degrees of longitude at 40.8°N for 2 km
    changed = await client.put(
        f"/api/push/subscriptions/{sub_id}", json={"languages": ["en", "ja"], "minIntensity": "5-"}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["languages"] == ["en", "ja"] and changed.json()["minIntensity"] == "5-"
    gone = await client.delete(f"/api/push/subscriptions/{sub_id}", headers=headers)
    assert gone.status_code == 200 and gone.json() == {"id": sub_id, "deleted": True}
    assert (await client.get(f"/api/push/subscriptions/{sub_id}", headers=headers)).status_code == 404


async def test_kinds_omitted_means_every_kind(client: Client) -> None:
    made = (await client.post("/api/push/subscriptions", json=browser().body([HOME]))).json()
    read = (await client.get(f"/api/push/subscriptions/{made['id']}", headers={"X-Push-Token": made["token"]})).json()
    assert set(read["kinds"]) >= {"evacuation", "warning", "earthquake", "tsunami", "shelter"}


async def test_an_id_without_its_token_changes_nothing(client: Client) -> None:
    victim = (await client.post("/api/push/subscriptions", json=browser("victim").body([HOME]))).json()
    attacker = (await client.post("/api/push/subscriptions", json=browser("attacker").body([HOME]))).json()
    url = f"/api/push/subscriptions/{victim['id']}"
    for headers in ({}, {"X-Push-Token": attacker["token"]}, {"X-Push-Token": "x" * 43}):
        assert (await client.put(url, json={"languages": ["en"]}, headers=headers)).status_code in (400, 404)
        assert (await client.delete(url, headers=headers)).status_code in (400, 404)
    # Unknown id and wrong token answer alike: an id tells nothing.
    other = await client.delete(f"/api/push/subscriptions/{attacker['id'][:-4]}0000", headers={"X-Push-Token": "x"})
    wrong = await client.delete(url, headers={"X-Push-Token": "x"})
    assert other.status_code == wrong.status_code == 404
    assert other.json()["detail"] == wrong.json()["detail"]
    read = await client.get(url, headers={"X-Push-Token": victim["token"]})
    assert read.status_code == 200 and read.json()["languages"] == ["ja"]


async def test_a_known_endpoint_with_another_auth_secret_is_refused(client: Client) -> None:
    b = browser()
    first = await client.post("/api/push/subscriptions", json=b.body([HOME]))
    thief = Browser(b.endpoint)  # same endpoint, its own keys
    stolen = await client.post("/api/push/subscriptions", json=thief.body([{"municipality": "022012"}]))
    assert stolen.status_code == 409
    # The browser itself subscribing again gets its subscription back, with a new token.
    again = await client.post("/api/push/subscriptions", json=b.body([{"municipality": "022012"}]))
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert again.json()["token"] != first.json()["token"]


def _with(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    target: Any = body
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    if last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return body


BAD_FIELDS: list[tuple[str, Any, str]] = [
    ("subscription.endpoint", "http://push.example.net/x", "subscription.endpoint"),
    ("subscription.endpoint", "https://user:pw@push.example.net/x", "subscription.endpoint"),
    ("subscription.endpoint", "javascript:alert(1)", "subscription.endpoint"),
    ("subscription.endpoint", 12, "subscription.endpoint"),
    ("subscription.endpoint", "https://push.example.net/" + "a" * 2000, "subscription.endpoint"),
    ("subscription.keys.p256dh", "A" * 87, "subscription.keys.p256dh"),
    ("subscription.keys.p256dh", "short", "subscription.keys.p256dh"),
    ("subscription.keys.auth", base64.urlsafe_b64encode(b"x" * 15).decode(), "subscription.keys.auth"),
    ("subscription.keys.auth", "!" * 22, "subscription.keys.auth"),
    ("areas", [], "areas"),
    ("areas", [HOME] * 11, "areas"),
    ("areas.0", {"lat": 40.8, "lon": 140.7, "radiusM": 10}, "areas"),
    ("areas.0", {"lat": 40.8, "lon": 140.7, "radiusM": 100_000}, "areas"),
    ("areas.0", {"lat": 95, "lon": 140.7, "radiusM": 500}, "areas"),
    ("areas.0", {"municipality": "022011"}, "areas[0].municipality"),
    ("areas.0", {"municipality": "abc"}, "areas"),
    ("languages", ["fr"], "languages"),
    ("languages", "ja", "languages"),
    ("kinds", ["everything"], "kinds"),
    ("minIntensity", "8", "minIntensity"),
    ("areas.0", {"municipality": "022012", "lat": 40.8, "lon": 140.7, "radiusM": 500}, "areas"),
    ("areas.0", {"lat": 40.8, "lon": 140.7}, "areas"),
]


async def test_bad_fields_are_named(client: Client) -> None:
    # One app for every case: each is a separate request on the same database.
    wrong = []
    for path, value, named in BAD_FIELDS:
        body = _with(browser().body([HOME]), path, value)
        answer = await client.post("/api/push/subscriptions", json=body)
        names = [p["name"] for p in answer.json().get("invalidParams", [])]
        ok = 400 <= answer.status_code < 500 and answer.headers["content-type"].startswith("application/problem+json")
        if not ok or not any(name.startswith(named) for name in names):
            wrong.append((path, value, answer.status_code, names, answer.json().get("detail")))
    assert wrong == []
    assert (await client.get("/api/push/key")).status_code == 200


async def test_nul_unknown_fields_and_huge_bodies_are_refused(client: Client) -> None:
    b = browser()
    nul = b.body([{"municipality": "022012", "label": "家\u0000"}])
    assert (await client.post("/api/push/subscriptions", json=nul)).status_code == 400
    unknown = b.body([HOME], admin=True)
    assert (await client.post("/api/push/subscriptions", json=unknown)).status_code == 400
    huge = b.body([HOME], padding="x" * (2 * 1024 * 1024))
    assert (await client.post("/api/push/subscriptions", json=huge)).status_code == 413
    not_json = await client.post("/api/push/subscriptions", content=b"{", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400
    assert (await client.post("/api/push/subscriptions", json=[1, 2])).status_code == 400
    assert (await client.get("/api/push/subscriptions/not-a-uuid", headers={"X-Push-Token": "x"})).status_code == 404
    assert (await client.get("/api/push/subscriptions/not-a-uuid")).status_code == 400


async def test_where_i_am_is_one_point_beside_ten_areas(client: Client) -> None:
    here = {"lat": 40.83, "lon": 140.75, "radiusM": 1000, "here": True, "label": "現在地"}
    ten = [{"lat": 40.8 + i / 100, "lon": 140.7, "radiusM": 500} for i in range(10)]
    made = await client.post("/api/push/subscriptions", json=browser("here").body([*ten, here]))
    assert made.status_code == 201, made.text
    sub = made.json()
    mine = await client.get(f"/api/push/subscriptions/{sub['id']}", headers={"X-Push-Token": sub["token"]})
    assert mine.json()["areas"][-1] == here
    # The app moves it as the resident moves.
    moved = {**here, "lat": 40.9}
    changed = await client.put(
        f"/api/push/subscriptions/{sub['id']}", json={"areas": [*ten, moved]}, headers={"X-Push-Token": sub["token"]}
    )
    assert changed.status_code == 200 and changed.json()["areas"][-1]["lat"] == 40.9
    refused = [
        await client.post("/api/push/subscriptions", json=browser("two").body([here, {**here, "lat": 41.0}])),
        await client.post("/api/push/subscriptions", json=browser("eleven").body([*ten, HOME])),
        await client.post(
            "/api/push/subscriptions", json=browser("town").body([{"municipality": "022012", "here": True}])
        ),
    ]
    assert [r.status_code for r in refused] == [400, 400, 400]
    assert all("areas" in (r.json().get("detail", "") + str(r.json().get("invalidParams", ""))) for r in refused)
