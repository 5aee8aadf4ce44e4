"""Transfers, care-needs counts, what staff see at the door and inside their shelter (and nobody
else), walk-ins on the evacuee card, the audit log, and the occupancy exports."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.app import create_app
from server.settings import Settings
from tests.server.roles import Client, sign_in

FAMILY = {
    "members": [
        {"name": "佐藤 ハル", "kana": "サトウ ハル", "relationship": "self", "careNeeds": {"mobility": "wheelchair"}},
        {
            "name": "佐藤 一郎",
            "kana": "サトウ イチロウ",
            "relationship": "spouse",
            "careNeeds": {"medication": "インスリン", "allergy": "そば"},
        },
        {"name": "佐藤 みく", "relationship": "child", "careNeeds": {"infant": True}},
    ],
    "pets": [{"kind": "dog", "count": 1}],
}
CARD = {
    "members": [
        {"name": "高橋 ゆき", "kana": "たかはし ゆき", "relationship": "self", "careNeeds": {"pregnancy": True}}
    ],
    "address": "見本市中央1-2-3",
    "phone": "017-000-0000",
    "stay": "car",
    "houseDamage": "half",
    "utilitiesOut": ["power", "water"],
    "neededSupplies": "粉ミルク",
    "familyNotReached": "夫(連絡とれず)",
    "consents": {"shareStatusWithFamily": True},
}


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def resident_code(settings: Settings, engine: AsyncEngine, household: dict[str, Any] = FAMILY) -> str:
    async with AsyncTestClient(app=create_app(settings)) as resident:
        await sign_in(resident, engine, "resident")
        assert (await resident.put("/api/households/me", json=household)).status_code == 200
        code: str = (await resident.get("/api/households/me/qr")).json()["household"]
        return code


async def second_shelter(engine: AsyncEngine, event_id: str, status: str = "open") -> str:
    async with engine.begin() as connection:
        other = await connection.scalar(
            text(
                "INSERT INTO facility (id, municipality_id, kinds, name, name_kana, name_en, geom) "
                "SELECT gen_random_uuid(), municipality_id, kinds, '北中学校', 'きたちゅうがっこう', "
                "'Kita Junior High School', ST_SetSRID(ST_MakePoint(140.77, 40.81), 4326) "
                "FROM facility LIMIT 1 RETURNING id"
            )
        )
        await connection.execute(
            text(
                "INSERT INTO shelter_operation (id, event_id, facility_id, status, capacity) "
                "VALUES (gen_random_uuid(), :e, :f, :s, 50)"
            ),
            {"e": event_id, "f": other, "s": status},
        )
    return str(other)


async def test_transfer_moves_people_once_and_care_needs_follow(
    client: Client, engine: AsyncEngine, settings: Settings, opened: tuple[str, str]
) -> None:
    event_id, shelter = opened
    north = await second_shelter(engine, event_id)
    code = await resident_code(settings, engine)
    await sign_in(client, engine, "municipal_hq")
    assert (
        await client.post("/api/checkins", json={"shelterId": shelter, "qr": code}, headers=key())
    ).status_code == 201
    before = {s["shelterId"]: s for s in (await client.get("/api/shelters/occupancy")).json()["shelters"]}
    assert before[shelter]["people"] == 3 and before[shelter]["fill"] == 0.75
    care = before[shelter]["care"]
    assert (care["wheelchair"], care["medication"], care["allergy"], care["infant"], care["pets"]) == (1, 1, 1, 1, 1)

    headers = key()
    body = {"shelterId": shelter, "toShelterId": north, "qr": code}
    moved = await client.post("/api/transfers", json=body, headers=headers)
    assert moved.status_code == 201, moved.text
    assert moved.json()["out"]["transferShelterId"] == north and moved.json()["in"]["shelterId"] == north
    again = await client.post("/api/transfers", json=body, headers=headers)
    assert again.status_code == 200 and again.json()["in"]["id"] == moved.json()["in"]["id"]
    answer = (await client.get("/api/shelters/occupancy")).json()
    after = {s["shelterId"]: s for s in answer["shelters"]}
    assert (after[shelter]["people"], after[north]["people"]) == (0, 3)
    assert after[shelter]["care"]["wheelchair"] == 0 and after[north]["care"]["wheelchair"] == 1
    assert answer["totals"]["all"]["people"] == 3 and answer["totals"]["municipalities"]["029998"]["care"]["pets"] == 1
    async with AsyncTestClient(app=create_app(settings)) as anyone:  # residents see counts, no one named
        shown = (await anyone.get(f"/api/facilities/{north}")).json()["properties"]["status"]
        assert shown == {"status": "open", "occupancy": 3, "capacity": 50}
        listed = {s["shelterId"]: s for s in (await anyone.get("/api/shelters/open")).json()["shelters"]}
        assert (listed[north]["people"], listed[shelter]["people"], listed[north]["name"]) == (3, 0, "北中学校")
        assert set(listed[north]) == {
            *("shelterId", "name", "nameEn", "nameKana", "municipality", "status", "people", "capacity", "lat", "lon")
        }
        # Its names in other scripts too, for readers of other languages.
        assert (listed[north]["nameEn"], listed[north]["nameKana"]) == ("Kita Junior High School", "きたちゅうがっこう")

    closed = await second_shelter(engine, event_id, status="closed")
    refused = await client.post("/api/transfers", json={**body, "toShelterId": closed}, headers=key())
    assert refused.status_code == 409 and "closed" in refused.json()["detail"]
    same = await client.post("/api/transfers", json={**body, "toShelterId": shelter}, headers=key())
    assert same.status_code == 400 and same.json()["invalidParams"][0]["name"] == "toShelterId"


async def test_staff_see_a_household_at_their_door_and_inside_only_and_each_read_is_logged(
    client: Client, engine: AsyncEngine, settings: Settings, opened: tuple[str, str]
) -> None:
    event_id, shelter = opened
    north = await second_shelter(engine, event_id)
    code = await resident_code(settings, engine)
    await sign_in(client, engine, "staff")  # staff of `shelter`
    door = await client.post("/api/qr/verify", json={"qr": code, "shelterId": shelter})
    view = door.json()["view"]
    assert [m["name"] for m in view["members"]] == ["佐藤 ハル", "佐藤 一郎", "佐藤 みく"]
    assert view["members"][1]["careNeeds"]["medication"] == "インスリン" and not view["members"][0]["inside"]
    assert view["pets"] == [{"kind": "dog", "count": 1, "wantsToBring": True}] and "home" not in view
    assert (await client.post("/api/qr/verify", json={"qr": code, "shelterId": north})).status_code == 403
    plain = (await client.post("/api/qr/verify", json={"qr": code})).json()
    assert "view" not in plain  # without the shelter: whose code it is, nothing of what it holds

    assert (await client.get(f"/api/shelters/{shelter}/people")).json()["households"] == []
    members = [m["id"] for m in view["members"]]
    body = {"shelterId": shelter, "qr": code, "memberIds": members[:2]}
    assert (await client.post("/api/checkins", json=body, headers=key())).status_code == 201
    inside = (await client.get(f"/api/shelters/{shelter}/people")).json()["households"]
    assert [[m["inside"] for m in h["members"]] for h in inside] == [[True, True, False]]
    for query, found in (("さとう", 1), ("ｻﾄｳ", 1), ("イチロウ", 1), ("一郎", 1), ("高橋", 0)):
        answer = (await client.get(f"/api/shelters/{shelter}/people", params={"q": query})).json()
        assert len(answer["households"]) == found, query
    assert (await client.get(f"/api/shelters/{north}/people")).status_code == 403

    out = {"shelterId": shelter, "householdId": inside[0]["householdId"], "memberIds": members[:2]}
    assert (await client.post("/api/checkouts", json=out, headers=key())).status_code == 201
    assert (await client.get(f"/api/shelters/{shelter}/people")).json()["households"] == []

    async with AsyncTestClient(app=create_app(settings)) as admin:
        await sign_in(admin, engine, "data_admin")
        subject = f"household:{inside[0]['householdId']}"
        log = (await admin.get("/api/audit", params={"subject": subject, "action": "household.read"})).json()
        # the door, the list after check-in, and the four searches that found it
        assert len(log["events"]) == 2 + 4
        assert {e["actorEmail"].split("-")[0] for e in log["events"]} == {"staff"}
        assert all(e["details"]["shelter"] == shelter for e in log["events"])
        assert "佐藤" not in str(log)  # who read whose record, never the data
        assert (await client.get("/api/audit")).status_code == 403


async def test_a_walk_in_is_registered_once_checked_in_and_gets_a_printable_code(
    client: Client, engine: AsyncEngine, settings: Settings, opened: tuple[str, str]
) -> None:
    event_id, shelter = opened
    north = await second_shelter(engine, event_id)
    await sign_in(client, engine, "staff")
    headers = key()
    made = await client.post(f"/api/shelters/{shelter}/walkins", json=CARD, headers=headers)
    assert made.status_code == 201, made.text
    walk_in = made.json()
    again = await client.post(f"/api/shelters/{shelter}/walkins", json=CARD, headers=headers)
    assert again.status_code == 200 and again.json()["householdId"] == walk_in["householdId"]
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM household WHERE account_id IS NULL")) == 1
    occupancy = (await client.get("/api/shelters/occupancy")).json()["shelters"][0]
    assert occupancy["byStay"]["car"] == 1 and occupancy["care"]["pregnancy"] == 1

    listed = (await client.get(f"/api/shelters/{shelter}/people", params={"q": "タカハシ"})).json()["households"]
    assert (
        listed[0]["walkIn"] and listed[0]["houseDamage"] == "half" and listed[0]["utilitiesOut"] == ["power", "water"]
    )
    assert listed[0]["familyNotReached"] == "夫(連絡とれず)"
    svg = await client.get(f"/api/shelters/{shelter}/walkins/{walk_in['householdId']}/qr.svg")
    assert svg.status_code == 200 and svg.text.startswith("<?xml") and svg.headers["cache-control"] == "no-store"
    assert (await client.post("/api/qr/verify", json={"qr": walk_in["code"]})).json()["household"] == (
        walk_in["householdId"]
    )
    assert (await client.get(f"/api/shelters/{north}/walkins/{walk_in['householdId']}/qr.svg")).status_code == 404

    for card, field in (
        ({**CARD, "members": []}, "members"),
        ({**CARD, "phone": "call me"}, "phone"),
        ({**CARD, "houseDamage": "gone"}, "houseDamage"),
        ({**CARD, "members": [{"name": "", "relationship": "self"}]}, "members[0].name"),
    ):
        bad = await client.post(f"/api/shelters/{shelter}/walkins", json=card, headers=key())
        assert bad.status_code == 400 and bad.json()["invalidParams"][0]["name"] == field, bad.text
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM household WHERE account_id IS NULL")) == 1
    # Leaving without saying where from: the stay they came in with (the car) is the one left.
    out = {"shelterId": shelter, "householdId": walk_in["householdId"]}
    assert (await client.post("/api/checkouts", json=out, headers=key())).json()["stay"] == "car"
    after = (await client.get("/api/shelters/occupancy")).json()["shelters"][0]
    assert after["byStay"] == {"inside": 0, "outdoor": 0, "car": 0, "at_home": 0} and after["care"]["pregnancy"] == 0


@pytest.mark.parametrize("role", ["municipal_hq", "prefectural_hq"])
async def test_occupancy_exports_as_csv_and_geojson(
    client: Client, engine: AsyncEngine, settings: Settings, opened: tuple[str, str], role: str
) -> None:
    _, shelter = opened
    code = await resident_code(settings, engine)
    await sign_in(client, engine, role)
    assert (
        await client.post("/api/checkins", json={"shelterId": shelter, "qr": code}, headers=key())
    ).status_code == 201
    needs = {"needs": {"notes": '=HYPERLINK("http://x")', "suppliesShort": "水"}}
    assert (await client.put(f"/api/shelters/{shelter}", json=needs)).status_code == 200
    exported = await client.get("/api/shelters/occupancy.csv")
    assert exported.headers["content-type"].startswith("text/csv") and exported.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) == 1 and rows[0]["shelterId"] == shelter
    assert (rows[0]["people"], rows[0]["capacity"], rows[0]["care_wheelchair"], rows[0]["suppliesShort"]) == (
        "3",
        "4",
        "1",
        "水",
    )
    assert rows[0]["notes"].startswith("'=")  # never a formula in a spreadsheet
    geojson = (await client.get("/api/shelters/occupancy.geojson")).json()
    feature = geojson["features"][0]
    assert feature["geometry"]["coordinates"] == [140.76, 40.8] and feature["properties"]["people"] == 3
    assert feature["properties"]["status"] == "open" and feature["properties"]["fill"] == 0.75
