"""Expiry: the safety records of an event closed BOSAI_SAFETY_EXPIRY_DAYS ago are cleared to
placeholders (ids and dates), imported PFIF records too; an undo within 3 days restores them,
after that it is refused and what was kept is dropped. Events closed more recently, and records
of no event, stay."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.cli import main
from server.db.engine import session_factory
from server.lib.errors import ConflictError
from server.lib.keys import load_keys
from server.safety import expiry
from server.settings import Settings, SettingsError
from tests.conftest import TEST_KEYS
from tests.server.roles import Client
from tests.server.safety.test_pfif import FIXTURES, an_event
from tests.server.safety.test_safety import ALICE, PHONE, key, member, operator, qr_of, resident


@pytest.fixture
async def clients() -> AsyncIterator[list[Client]]:
    made: list[Client] = []
    yield made
    for client in made:
        await client.__aexit__(None, None, None)


async def bosai(database_url: str, *args: str, days: str = "40") -> Any:
    env = {"DATABASE_URL": database_url, "BOSAI_SAFETY_EXPIRY_DAYS": days, **TEST_KEYS}
    return await asyncio.to_thread(CliRunner().invoke, main, list(args), env=env)


async def closed_days_ago(engine: AsyncEngine, event: str, days: int) -> None:
    """The event as if it had opened 400 days ago and closed ``days`` ago (its statuses were moved
    into that past when made)."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE disaster_event SET status = 'closed', opened_at = now() - interval '400 days', "
                "closed_at = now() - make_interval(days => :d) WHERE id = :e"
            ),
            {"d": days, "e": event},
        )


async def statuses(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT id, status, facility_id IS NOT NULL, municipality_id IS NOT NULL, sealed IS NOT NULL "
                "FROM safety_status ORDER BY created_at, id"
            )
        )
        return [tuple(r) for r in rows]


async def a_family_in_an_event(
    settings: Settings, engine: AsyncEngine, database_url: str, clients: list[Client]
) -> tuple[str, Client, Client]:
    """Alice, whose status Bob sees: safe with a message, then checked in at the shelter; and the
    event's imported PFIF records. (event id, alice, bob)."""
    event, shelter = await an_event(engine)
    alice = await resident(settings, engine, ALICE)
    bob = await resident(settings, engine)
    staff = await operator(settings, engine, "prefectural_hq")
    clients += [alice, bob, staff]
    invite = (await alice.post("/api/safety/groups", json={"name": "家族"})).json()["invite"]["code"]
    assert (await bob.post("/api/safety/groups/join", json={"code": invite})).status_code == 200
    await alice.put("/api/safety/consent", json={"autoCheckin": True, "answerInquiries": True, "phone": PHONE})
    said = {"status": "safe", "message": "体育館にいます", "location": {"lat": 40.81, "lon": 140.77}}
    assert (await alice.put("/api/safety/status", json=said, headers=key())).status_code == 201
    went = await staff.post("/api/checkins", json={"shelterId": shelter, "qr": await qr_of(alice)}, headers=key())
    assert went.status_code == 201
    imported = await bosai(
        database_url, "safety", "import-pfif", str(FIXTURES / "another-registry.xml"), "--event", event
    )
    assert imported.exit_code == 0, imported.output
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE safety_status SET created_at = created_at - interval '399 days'"))
    return event, alice, bob


async def test_expiry_clears_an_old_events_records_and_the_undo_restores_them(
    settings: Settings, engine: AsyncEngine, database_url: str, clients: list[Client]
) -> None:
    event, alice, bob = await a_family_in_an_event(settings, engine, database_url, clients)
    before = await statuses(engine)
    assert [s[1] for s in before] == ["safe", "at_shelter"]

    # Closed 39 days ago: nothing expires yet.
    await closed_days_ago(engine, event, 39)
    early = await bosai(database_url, "safety", "expire")
    assert early.exit_code == 0 and early.output == ""
    assert await statuses(engine) == before

    await closed_days_ago(engine, event, 41)
    done = await bosai(database_url, "safety", "expire")
    assert done.exit_code == 0, done.output
    assert "2 statuses and 2 imported records cleared" in done.output and f"--undo {event}" in done.output
    cleared = await statuses(engine)
    assert [s[0] for s in cleared] == [s[0] for s in before]  # the ids stay
    assert all(s[1:] == ("unknown", False, False, False) for s in cleared)  # nothing else
    async with engine.connect() as connection:
        registry = (
            await connection.execute(
                text(
                    "SELECT person_record_id, source_date IS NOT NULL, status, inquiry_hash, name_hash, sealed "
                    "FROM safety_registry ORDER BY 1"
                )
            )
        ).all()
    assert [tuple(r) for r in registry] == [
        ("volunteers.example.jp/person.1001", True, None, None, None, None),
        ("volunteers.example.jp/person.1002", True, None, None, None, None),
    ]
    seen = member((await bob.get("/api/safety/groups")).json(), me=False)["status"]
    assert seen["status"] == "unknown" and seen["message"] is None and seen["shelterId"] is None
    asked = await bob.get("/api/safety/inquiry", params={"name": "佐藤一郎", "phone": "09022223333"})
    assert asked.json()["found"] is False
    # Running again clears nothing more; importing into the expired event is refused.
    assert (await bosai(database_url, "safety", "expire")).output == ""
    late = await bosai(database_url, "safety", "import-pfif", str(FIXTURES / "another-registry.xml"), "--event", event)
    assert late.exit_code == 1 and "expired" in late.output

    undone = await bosai(database_url, "safety", "expire", "--undo", event)
    assert undone.exit_code == 0, undone.output
    assert "restored 2 statuses and 2 imported records" in undone.output
    assert await statuses(engine) == before
    seen = member((await bob.get("/api/safety/groups")).json(), me=False)["status"]
    assert seen["status"] == "at_shelter" and seen["shelterName"] == "中央小学校"
    mine = (await alice.get("/api/safety/me")).json()["status"]
    assert mine["status"] == "at_shelter"
    found = await bob.get("/api/safety/inquiry", params={"name": "佐藤一郎", "phone": "09022223333"})
    assert found.json()["status"] == "safe"
    # An undone expiry is not redone by the schedule, only when named.
    assert (await bosai(database_url, "safety", "expire")).output == ""
    again = await bosai(database_url, "safety", "expire", "--event", event)
    assert again.exit_code == 0 and "2 statuses" in again.output
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM audit_event WHERE action = 'safety.expire'")) == 2
        assert (
            await connection.scalar(text("SELECT count(*) FROM audit_event WHERE action = 'safety.expire_undone'")) == 1
        )


async def test_after_three_days_the_undo_is_refused_and_the_kept_content_dropped(
    settings: Settings, engine: AsyncEngine, database_url: str, clients: list[Client]
) -> None:
    event, _, _ = await a_family_in_an_event(settings, engine, database_url, clients)
    await closed_days_ago(engine, event, 50)
    keys = load_keys(settings)
    assert keys is not None
    now = datetime.now(UTC)
    async with session_factory(engine)() as session, session.begin():
        done, _ = await expiry.expire(session, keys, 40, now)
    assert [(d.event_id, d.statuses, d.registry) for d in done] == [(uuid.UUID(event), 2, 2)]
    later = now + timedelta(days=3, minutes=1)
    async with session_factory(engine)() as session, session.begin():
        with pytest.raises(ConflictError, match="can no longer be undone"):
            await expiry.undo(session, keys, uuid.UUID(event), later)
    async with session_factory(engine)() as session, session.begin():
        _, dropped = await expiry.expire(session, keys, 40, later)
    assert dropped == 1
    async with engine.connect() as connection:
        kept = (await connection.execute(text("SELECT sealed, expired_at, undo_until FROM safety_expiry"))).one()
    assert kept.sealed is None and kept.undo_until == kept.expired_at + timedelta(days=3)
    refused = await bosai(database_url, "safety", "expire", "--undo", event)
    assert refused.exit_code == 1 and "can no longer be undone" in refused.output
    assert all(s[1:] == ("unknown", False, False, False) for s in await statuses(engine))


async def test_the_expiry_setting_follows_the_days_asked(
    settings: Settings, engine: AsyncEngine, database_url: str, clients: list[Client]
) -> None:
    event, _, _ = await a_family_in_an_event(settings, engine, database_url, clients)
    await closed_days_ago(engine, event, 35)
    assert (await bosai(database_url, "safety", "expire")).output == ""  # default 40
    done = await bosai(database_url, "safety", "expire", days="30")
    assert done.exit_code == 0 and "2 statuses" in done.output
    refused = await bosai(database_url, "safety", "expire", days="29")
    assert refused.exit_code == 1 and "BOSAI_SAFETY_EXPIRY_DAYS" in refused.output


@pytest.mark.parametrize(("raw", "days"), [(None, 40), ("30", 30), ("360", 360)])
def test_expiry_days_setting(raw: str | None, days: int) -> None:
    env = {} if raw is None else {"BOSAI_SAFETY_EXPIRY_DAYS": raw}
    assert Settings.from_env(env).safety.expiry_days == days


@pytest.mark.parametrize("raw", ["29", "361", "forty"])
def test_expiry_days_setting_out_of_range(raw: str) -> None:
    with pytest.raises(SettingsError, match="BOSAI_SAFETY_EXPIRY_DAYS"):
        Settings.from_env({"BOSAI_SAFETY_EXPIRY_DAYS": raw})
