"""Opening a shelter in an event is a "shelter opened" alert for its area: a push (decrypted by the
test receiver) to those near it or in its municipality who asked for the kind ``shelter``, and to
nobody else; opening it again while open says nothing, reopening it after a closure says it again."""

from __future__ import annotations

import asyncio

from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.alerts.worker import work
from server.cli import main
from server.settings import Settings
from tests.server.alerts.receiver import Receiver
from tests.server.alerts.test_delivery import rows, subscribe
from tests.server.roles import a_shelter, sign_in


async def bosai(database_url: str, *args: str) -> str:
    # In a thread: the command runs its own event loop.
    result = await asyncio.to_thread(CliRunner().invoke, main, list(args), env={"DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    return result.output


async def test_opening_a_shelter_tells_those_near_it_who_asked(
    push_settings: Settings,
    database_url: str,
    engine: AsyncEngine,
    receiver: Receiver,
    app_client: AsyncTestClient[Litestar],
) -> None:
    town, shelter = await a_shelter(engine)  # 中央小学校 at 40.8 N, 140.76 E in 見本市 (029998)
    async with engine.begin() as connection:
        event = str(
            await connection.scalar(
                text(
                    "INSERT INTO disaster_event (id, hazard_type, name) "
                    "VALUES (gen_random_uuid(), 'flood', '大雨') RETURNING id"
                )
            )
        )
    near = {"lat": 40.803, "lon": 140.762, "radiusM": 500}  # 350 m away, no municipality named
    await subscribe(app_client, receiver.browser("near"), [near], kinds=["shelter"], languages=["en"])
    await subscribe(app_client, receiver.browser("near_not_asked"), [near], kinds=["evacuation", "warning"])
    await subscribe(app_client, receiver.browser("in_town"), [{"municipality": town}], kinds=["shelter"])
    await subscribe(app_client, receiver.browser("far"), [{"lat": 41.3, "lon": 141.2, "radiusM": 500}])

    await bosai(database_url, "shelters", "open", shelter, "--event", event)
    await bosai(database_url, "shelters", "open", shelter, "--event", event)  # already open: no news
    await work(push_settings, once=True, backoff_s=0.1)
    assert [p["headline"] for p in receiver.got("near")] == ["Shelter opened: 中央小学校 — 見本市"]
    assert [p["headline"] for p in receiver.got("in_town")] == ["避難所開設：中央小学校（見本市）"]
    assert receiver.got("near_not_asked") == [] and receiver.got("far") == []
    assert receiver.got("near")[0]["kind"] == "shelter"
    listed = (await app_client.get("/api/alerts", params={"municipality": town})).json()["alerts"]
    assert [(a["kind"], a["source"]) for a in listed] == [("shelter", "hq")]

    # Closed, then reopened by its headquarters on the desk (PUT): news again.
    await bosai(database_url, "shelters", "close", shelter, "--event", event)
    await sign_in(app_client, engine, "municipal_hq")
    answer = await app_client.put(f"/api/shelters/{shelter}", json={"status": "open"})
    assert answer.status_code == 200, answer.text
    await work(push_settings, once=True, backoff_s=0.1)
    assert len(receiver.got("near")) == 2 and len(receiver.got("in_town")) == 2
    assert receiver.got("near_not_asked") == [] and receiver.got("far") == []
    assert await rows(engine, "SELECT kind, count(*) FROM alert GROUP BY kind") == [("shelter", 2)]
