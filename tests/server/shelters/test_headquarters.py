"""What headquarters read at their desk: a shelter's updatedAt is its last change (not the event's
start); the trend of people in shelters over the event, per municipality, from the check-in rows;
a shelter's history of check-ins and check-outs (counts, no one named)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.app import create_app
from server.settings import Settings
from tests.server.roles import Client, sign_in
from tests.server.shelters.test_attacks import TOWN, neighbour, town_hq
from tests.server.shelters.test_checkins import family_code


async def _post(client: Client, path: str, shelter: str, **body: Any) -> dict[str, Any]:
    response = await client.post(
        path, json={"shelterId": shelter, **body}, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_updated_at_is_the_time_of_the_shelters_last_change(
    client: Client, engine: AsyncEngine, settings: Settings, opened: tuple[str, str]
) -> None:
    _, shelter = opened
    code, _ = await family_code(settings, engine)
    await sign_in(client, engine, "staff")
    opened_at = (await client.get("/api/shelters/occupancy")).json()["shelters"][0]["updatedAt"]
    checked_in = await _post(client, "/api/checkins", shelter, qr=code, stay="inside")
    assert datetime.fromisoformat(checked_in["at"]) > datetime.fromisoformat(opened_at)

    shown = (await client.get("/api/shelters/occupancy")).json()["shelters"][0]["updatedAt"]
    rows = list(csv.DictReader(io.StringIO((await client.get("/api/shelters/occupancy.csv")).text.lstrip("\ufeff"))))
    geojson = (await client.get("/api/shelters/occupancy.geojson")).json()["features"][0]["properties"]["updatedAt"]
    assert datetime.fromisoformat(shown) == datetime.fromisoformat(checked_in["at"])
    assert rows[0]["updatedAt"] == shown == geojson

    # A change of the shelter itself is its newest change.
    assert (await client.put(f"/api/shelters/{shelter}", json={"capacity": 10})).status_code == 200
    changed = (await client.get("/api/shelters/occupancy")).json()["shelters"][0]["updatedAt"]
    assert datetime.fromisoformat(changed) > datetime.fromisoformat(checked_in["at"])


async def test_the_trend_counts_people_inside_at_the_end_of_each_bucket_per_municipality(
    client: Client, engine: AsyncEngine, settings: Settings, opened: tuple[str, str]
) -> None:
    event_id, shelter = opened
    await neighbour(engine, event_id)  # 見本町's shelter: a series of its own, all zeros
    code, saved = await family_code(settings, engine)
    await sign_in(client, engine, "staff")
    came = await _post(client, "/api/checkins", shelter, qr=code, stay="inside")
    left = await _post(client, "/api/checkouts", shelter, qr=code, memberIds=[saved["members"][1]["id"]])
    # The event began ten hours ago; two came in 1.5 h later, one left 7.5 h after the start.
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE disaster_event SET opened_at = now() - interval '10 hours' WHERE id = :e"), {"e": event_id}
        )
        for row, ago in ((came["id"], "8.5 hours"), (left["id"], "2.5 hours")):
            await connection.execute(
                text(f"UPDATE checkin SET created_at = now() - interval '{ago}' WHERE id = :c"),  # noqa: S608
                {"c": row},
            )
    async with AsyncTestClient(app=create_app(settings)) as hq:
        await sign_in(hq, engine, "prefectural_hq")
        answer = await hq.get("/api/shelters/trend?buckets=10")
        assert answer.status_code == 200, answer.text
        trend = answer.json()
        assert trend["all"] == [0, 2, 2, 2, 2, 2, 2, 1, 1, 1]
        towns = {town["code"]: town for town in trend["municipalities"]}
        assert towns["029998"]["people"] == trend["all"] and towns["029998"]["name"] == "見本市"
        assert towns[TOWN]["people"] == [0] * 10
        assert len(trend["times"]) == 10 and trend["times"][-1] == trend["to"]
        assert 35_900 < trend["stepSeconds"] * 10 < 36_100  # ten hours, give or take the request's time
        assert (await hq.get(f"/api/shelters/trend?buckets=10&event={event_id}")).json()["all"] == trend["all"]
        assert (await hq.get("/api/shelters/trend?buckets=10&municipality=029980")).json()["all"] == [0] * 10
        bad = await hq.get("/api/shelters/trend?buckets=0")
        assert bad.status_code == 400 and bad.json()["invalidParams"][0]["name"] == "buckets"
        unknown = await hq.get("/api/shelters/trend?event=nonsense")
        assert unknown.status_code == 400 and unknown.json()["invalidParams"][0]["name"] == "event"
    # Headquarters of 見本町 see their own town only.
    async with town_hq(settings, engine) as town:
        theirs = (await town.get("/api/shelters/trend?buckets=10")).json()
        assert [t["code"] for t in theirs["municipalities"]] == [TOWN] and theirs["all"] == [0] * 10


async def test_a_shelters_history_lists_its_check_ins_and_outs_newest_first_without_names(
    client: Client, engine: AsyncEngine, settings: Settings, opened: tuple[str, str]
) -> None:
    event_id, shelter = opened
    code, saved = await family_code(settings, engine)
    await sign_in(client, engine, "staff")
    await _post(client, "/api/checkins", shelter, qr=code, stay="car")
    await _post(client, "/api/checkouts", shelter, qr=code, memberIds=[saved["members"][1]["id"]], stay="car")
    answer = await client.get(f"/api/shelters/{shelter}/history")
    assert answer.status_code == 200, answer.text
    history = answer.json()
    assert history["shelterId"] == shelter and history["event"] == event_id and history["eventName"] == "見本川洪水"
    kinds = [(e["kind"], e["people"], e["stay"]) for e in history["entries"]]
    assert kinds == [("out", 1, "car"), ("in", 2, "car"), ("opened", None, None)]
    assert "山田" not in answer.text
    async with town_hq(settings, engine) as town:
        refused = await town.get(f"/api/shelters/{shelter}/history")
        assert refused.status_code == 403, refused.text
    assert (await client.get(f"/api/shelters/{uuid.uuid4()}/history")).status_code in (403, 404)
    assert (await client.get("/api/shelters/nonsense/history")).status_code == 400


async def test_a_shelters_history_says_who_changed_what_from_what_to_what(
    client: Client, engine: AsyncEngine, settings: Settings, opened: tuple[str, str]
) -> None:
    """Changes of capacity, needs, pets and open/closed are entries of the history with who made
    them and the value before and after; a change to the same value is none; the fill status
    (open / crowded / full) the check-ins bring about is an entry too, at the check-in that did it."""
    _, shelter = opened
    code, _ = await family_code(settings, engine)  # a household of two
    me = await sign_in(client, engine, "staff")
    for body in ({"capacity": 2}, {"capacity": 2}, {"needs": {"sick": 3}}, {"petsAccepted": True}):
        assert (await client.put(f"/api/shelters/{shelter}", json=body)).status_code == 200, body
    await _post(client, "/api/checkins", shelter, qr=code, stay="inside")  # 2 of 2: full
    assert (await client.put(f"/api/shelters/{shelter}", json={"status": "closed"})).status_code == 200
    answer = await client.get(f"/api/shelters/{shelter}/history")
    assert answer.status_code == 200, answer.text
    entries = answer.json()["entries"]
    changes = [
        (e["kind"], e["field"], e["before"], e["after"], e["by"]) for e in entries if e["kind"] in ("change", "fill")
    ]
    who = me["email"]
    assert changes == [
        ("change", "status", "open", "closed", who),
        ("fill", "status", "open", "full", None),
        ("change", "pets", False, True, who),
        ("change", "needs", {}, {"sick": 3}, who),
        ("change", "capacity", 4, 2, who),
    ]
    # The closing is said once: by the change that closed it, not again by the closing's time.
    assert [e["kind"] for e in entries].count("closed") == 0
    assert [e["kind"] for e in entries][-1] == "opened"
