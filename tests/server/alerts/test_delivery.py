"""JMA messages imported, targeted and pushed to a push service of our own that decrypts what it
gets: only the matching subscriptions receive, in their language, never twice, never an
exercise; 410 removes a subscription, 429 waits its Retry-After, 5xx backs off."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from fixtures.make_alerts import build
from server.alerts.cli import import_files
from server.alerts.push import Sender
from server.alerts.schemas import DeliveryCounts
from server.alerts.service import counts
from server.alerts.worker import Deliverer, subject, work
from server.app import create_app
from server.cli import main
from server.db.engine import session_factory
from server.lib.keys import VapidKey, b64, load_vapid
from server.settings import PushSettings, Settings
from tests.server.alerts.browser import Browser
from tests.server.alerts.receiver import Receiver

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "alerts"
# むつ市 (022080) as a square around its office, so that points can fall inside or outside it.
MUTSU = "MULTIPOLYGON(((141.1 41.2, 141.3 41.2, 141.3 41.4, 141.1 41.4, 141.1 41.2)))"


@pytest.fixture
def push_settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, push=PushSettings(allow_http_localhost=True))


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.start()
    yield r
    await r.stop()


@pytest.fixture
async def app_client(push_settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=create_app(push_settings)) as client:
        yield client


@pytest.fixture
def messages(tmp_path: Path) -> Path:
    """The fixtures, issued five minutes ago (an alert past its time is never pushed)."""
    build(tmp_path, datetime.now(UTC) - timedelta(minutes=5))
    return tmp_path


async def subscribe(client: AsyncTestClient[Litestar], b: Browser, areas: list[dict[str, Any]], **more: Any) -> str:
    answer = await client.post("/api/push/subscriptions", json=b.body(areas, **more))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def imported(settings: Settings, *paths: Path) -> list[str]:
    results = await import_files(settings, list(paths))
    assert [r.error for r in results] == [None] * len(results)
    return [f"{s.outcome} {s.name}" for r in results for s in r.stored]


async def rows(engine: AsyncEngine, sql: str, **params: Any) -> list[Any]:
    async with engine.connect() as connection:
        return list((await connection.execute(text(sql), params)).all())


async def test_each_subscription_gets_what_its_areas_and_kinds_ask_for(
    push_settings: Settings,
    app_client: AsyncTestClient[Litestar],
    receiver: Receiver,
    engine: AsyncEngine,
    messages: Path,
) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO municipality (id, code, name, name_en, prefecture, boundary) VALUES "
                "(gen_random_uuid(), '022080', 'むつ市', 'Mutsu', '青森県', ST_GeomFromText(:g, 4326)), "
                "(gen_random_uuid(), '022012', '青森市', 'Aomori', '青森県', NULL)"
            ),
            {"g": MUTSU},
        )
    aomori = await subscribe(app_client, receiver.browser("aomori"), [{"municipality": "022012"}], languages=["en"])
    await subscribe(
        app_client, receiver.browser("hachinohe"), [{"municipality": "022039"}], kinds=["earthquake"], minIntensity="5-"
    )
    await subscribe(app_client, receiver.browser("hirosaki"), [{"municipality": "022021"}], kinds=["warning"])
    await subscribe(app_client, receiver.browser("in_mutsu"), [{"lat": 41.3, "lon": 141.2, "radiusM": 500}])
    await subscribe(app_client, receiver.browser("far"), [{"lat": 40.0, "lon": 141.0, "radiusM": 500}])

    await imported(
        push_settings,
        messages / "warnings" / "01_vpww54_issue.xml",
        messages / "warnings" / "04_vpww54_exercise.xml",
        messages / "warnings" / "05_vpww56_levelled.xml",
        messages / "earthquakes" / "vxse53_hypocenter_intensity.xml",
        messages / "tsunami" / "vtse41_tsunami_warning.xml.gz",
    )
    assert await work(push_settings, once=True, backoff_s=0.1) > 0

    got = {name: sorted(p["headline"] for p in receiver.got(name)) for name in receiver.browsers}
    assert got["aomori"] == [
        "Earthquake: seismic intensity 4 observed — Aomori",
        "Heavy rain warning issued (alert level 3 equivalent) — Aomori",
        "Tsunami warning — Aomori and 6 more",
    ]
    assert got["hachinohe"] == ["地震 震度5弱を観測（022039）"]
    assert got["hirosaki"] == []  # 大雨注意報 is an advisory, 震度2 an earthquake: neither asked for
    assert sorted(p["kind"] for p in receiver.got("in_mutsu")) == ["tsunami", "warning"]
    assert got["far"] == []
    # Never the exercise, to anyone.
    assert not any(
        "訓練" in p["headline"] or "Exercise" in p["headline"] for a in receiver.arrivals for p in [a.payload]
    )

    by_kind = {a.payload["kind"]: a for a in receiver.arrivals if a.name == "in_mutsu"}
    assert by_kind["tsunami"].headers["Urgency"] == "very-high"
    assert by_kind["warning"].headers["Urgency"] == "high"  # レベル4大雨危険警報
    for arrival in receiver.arrivals:
        payload = arrival.payload
        assert set(payload) >= {"alertId", "kind", "level", "headline", "url"}
        assert payload["url"].endswith(f"/alerts/{payload['alertId']}")
        assert 0 < int(arrival.headers["TTL"]) <= 26 * 3600  # until the alert expires
        assert len(arrival.headers["Topic"]) <= 32
        # Signed with the key the app gives browsers.
        vapid = VapidKey(push_settings.security.vapid_key or b"")
        assert f"k={b64(vapid.public)}" in arrival.headers["Authorization"]
    states = await rows(engine, "SELECT state, count(*) FROM delivery GROUP BY state")
    assert dict(states) == {"sent": len(receiver.arrivals)}
    # The row says when it was sent (after it was taken).
    sent = await rows(
        engine, "SELECT bool_and(updated_at > created_at) FROM delivery WHERE subscription_id = :id", id=aomori
    )
    assert sent == [(True,)]


async def test_the_same_message_twice_is_one_alert_and_one_delivery(
    push_settings: Settings,
    app_client: AsyncTestClient[Litestar],
    receiver: Receiver,
    engine: AsyncEngine,
    messages: Path,
) -> None:
    await subscribe(app_client, receiver.browser("a"), [{"municipality": "022012"}])
    issue = messages / "warnings" / "01_vpww54_issue.xml"
    assert await imported(push_settings, issue) == ["created 大雨警報", "created 大雨注意報"]
    assert await imported(push_settings, issue) == ["unchanged 大雨警報", "unchanged 大雨注意報"]
    await work(push_settings, once=True, backoff_s=0.1)
    assert await imported(push_settings, issue) == ["unchanged 大雨警報", "unchanged 大雨注意報"]
    await work(push_settings, once=True, backoff_s=0.1)
    assert len(receiver.got("a")) == 1
    assert (await rows(engine, "SELECT count(*) FROM alert"))[0][0] == 2
    assert (await rows(engine, "SELECT count(*) FROM delivery"))[0][0] == 1

    # Two jobs for the same alert and subscription at once (a correction racing its first issue,
    # a job re-run): the unique row and its claim send one.
    await subscribe(app_client, receiver.browser("b"), [{"municipality": "022012"}])
    (alert_id, b_id) = (
        await rows(
            engine,
            "SELECT a.id, s.id FROM alert a, push_subscription s WHERE s.endpoint LIKE '%/b' AND a.name = '大雨警報'",
        )
    )[0]
    vapid = load_vapid(push_settings)
    assert vapid is not None
    deliverer = Deliverer(push_settings, Sender(vapid, subject(push_settings)))
    receiver.slow["b"] = 0.5  # the second job takes its rows while the first is still sending
    try:
        both = await asyncio.gather(deliverer.deliver(101, alert_id, [b_id]), deliverer.deliver(102, alert_id, [b_id]))
    finally:
        await deliverer.close()
    assert sorted(sum(both, Counter()).items()) == [("sent", 1)]
    assert len(receiver.got("b")) == 1
    assert (await rows(engine, "SELECT count(*) FROM delivery WHERE subscription_id = :b", b=b_id))[0][0] == 1


async def test_a_correction_reaches_only_the_new_places_and_a_lifting_tells_who_had_it(
    push_settings: Settings,
    app_client: AsyncTestClient[Litestar],
    receiver: Receiver,
    engine: AsyncEngine,
    messages: Path,
) -> None:
    await subscribe(app_client, receiver.browser("aomori"), [{"municipality": "022012"}])
    await subscribe(app_client, receiver.browser("goshogawara"), [{"municipality": "022055"}])
    await subscribe(app_client, receiver.browser("hirosaki"), [{"municipality": "022021"}])
    w = messages / "warnings"
    await imported(push_settings, w / "01_vpww54_issue.xml")
    await work(push_settings, once=True, backoff_s=0.1)
    corrected = await imported(push_settings, w / "02_vpww54_correction.xml")
    # The 注意報 the correction no longer names is withdrawn; the 警報 now covers 五所川原市 too.
    assert corrected == ["corrected 大雨警報", "withdrawn 大雨注意報"]
    assert await imported(push_settings, w / "02_vpww54_correction.xml") == ["unchanged 大雨警報"]
    await work(push_settings, once=True, backoff_s=0.1)
    assert [p["headline"] for p in receiver.got("aomori")] == ["【警戒レベル3相当】大雨警報 発表（022012）"]
    assert len(receiver.got("goshogawara")) == 1  # reached by the correction, once
    assert len(receiver.got("hirosaki")) == 1  # the 注意報, before it was withdrawn
    listed = await app_client.get("/api/alerts", params={"municipality": "022021"})
    assert [a["cancelled"] for a in listed.json()["alerts"]] == [True]

    # Subscribed after the warning went out: its lifting is no news to this one.
    await subscribe(app_client, receiver.browser("late"), [{"municipality": "022012"}])
    assert await imported(push_settings, w / "03_vpww54_lift.xml") == ["created 大雨警報"]
    await work(push_settings, once=True, backoff_s=0.1)
    assert receiver.got("late") == []
    assert [p["headline"] for p in receiver.got("aomori")][-1] == "大雨警報 解除（022012）"
    assert len(receiver.got("goshogawara")) == 1  # still under the warning: nothing new
    left = await rows(
        engine, "SELECT municipalities, cancelled_at FROM alert WHERE action = 'issue' AND kind = 'warning'"
    )
    assert left == [(["022055"], None)]


async def test_an_exercise_is_stored_and_reaches_no_resident(
    push_settings: Settings,
    app_client: AsyncTestClient[Litestar],
    receiver: Receiver,
    engine: AsyncEngine,
    messages: Path,
) -> None:
    await subscribe(app_client, receiver.browser("a"), [{"municipality": "022012"}])
    assert await imported(push_settings, messages / "warnings" / "04_vpww54_exercise.xml") == ["created 大雨特別警報"]
    await work(push_settings, once=True, backoff_s=0.1)
    assert receiver.arrivals == []
    stored = await rows(engine, "SELECT status, level, headline->>'ja' FROM alert")
    assert stored == [("exercise", 5, "【訓練】【警戒レベル5相当】大雨特別警報 発表（022012）")]
    assert (await app_client.get("/api/alerts")).json() == {"alerts": []}


async def test_gone_subscriptions_are_removed_and_busy_services_are_waited_for(
    push_settings: Settings,
    app_client: AsyncTestClient[Litestar],
    receiver: Receiver,
    engine: AsyncEngine,
    messages: Path,
) -> None:
    gone = await subscribe(app_client, receiver.browser("gone"), [{"municipality": "022012"}])
    await subscribe(app_client, receiver.browser("busy"), [{"municipality": "022012"}])
    await subscribe(app_client, receiver.browser("broken"), [{"municipality": "022012"}])
    receiver.plan("gone", 410)
    receiver.plan("busy", 429, {"Retry-After": "1"})
    receiver.plan("broken", 500)
    receiver.plan("broken", 503)
    await imported(push_settings, messages / "warnings" / "01_vpww54_issue.xml")
    await work(push_settings, once=True, backoff_s=0.2)

    assert receiver.got("gone") == []
    assert await rows(engine, "SELECT id FROM push_subscription WHERE id = :id", id=gone) == []
    # Retried once its Retry-After had passed, then delivered.
    (busy,) = receiver.arrivals[[a.name for a in receiver.arrivals].index("busy") :][:1]
    assert busy.at - receiver.refused["busy"][0] >= 1.0
    assert len(receiver.got("broken")) == 1 and len(receiver.refused["broken"]) == 2
    states = await rows(engine, "SELECT state, attempts, last_status FROM delivery ORDER BY state, attempts")
    assert states == [("removed", 1, 410), ("sent", 2, 201), ("sent", 3, 201)]
    alert_id = (await rows(engine, "SELECT alert_id FROM delivery LIMIT 1"))[0][0]
    async with session_factory(engine)() as session:
        assert await counts(session, alert_id) == DeliveryCounts(sent=2, removed=1)


async def test_a_job_that_fails_is_run_again_and_sends_once(
    push_settings: Settings,
    app_client: AsyncTestClient[Litestar],
    receiver: Receiver,
    engine: AsyncEngine,
    messages: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The database failing under a job (here its first write) must neither leave its deliveries
    queued for ever (PgQueuer deletes a failed job by default) nor send them twice. A subscription
    whose keys cannot be used fails alone, not its job's others."""
    for name in ("a", "b", "c"):
        await subscribe(app_client, receiver.browser(name), [{"municipality": "022012"}])
    await imported(push_settings, messages / "warnings" / "01_vpww54_issue.xml")
    await rows(engine, "SELECT 1")  # the engine is up before its rows are spoiled below
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE push_subscription SET p256dh = 'not-a-key' WHERE endpoint LIKE '%/c'"))
    failures: list[bool] = []
    write = Deliverer._write

    async def failing_once(self: Deliverer, *args: Any) -> None:
        if not failures:
            failures.append(True)
            raise ConnectionError("the database went away")
        await write(self, *args)

    monkeypatch.setattr(Deliverer, "_write", failing_once)
    await work(push_settings, once=True)

    assert failures == [True]
    assert [len(receiver.got(name)) for name in ("a", "b", "c")] == [1, 1, 0]
    states = await rows(engine, "SELECT state, count(*) FROM delivery GROUP BY state ORDER BY state")
    assert states == [("failed", 1), ("sent", 2)]


async def test_nothing_is_sent_after_an_alert_expires(
    push_settings: Settings,
    app_client: AsyncTestClient[Litestar],
    receiver: Receiver,
    engine: AsyncEngine,
    tmp_path: Path,
) -> None:
    await subscribe(app_client, receiver.browser("a"), [{"municipality": "022012"}])
    build(tmp_path, datetime.now(UTC) - timedelta(hours=2))  # 震度 information lives an hour
    await imported(push_settings, tmp_path / "earthquakes" / "vxse53_hypocenter_intensity.xml")
    await work(push_settings, once=True, backoff_s=0.1)
    assert receiver.arrivals == []
    assert await rows(engine, "SELECT state FROM delivery") == [("expired",)]


def test_the_command_names_refused_files_and_their_element(database_url: str) -> None:
    result = CliRunner().invoke(
        main,
        ["alerts", "import", str(FIXTURES / "broken"), str(FIXTURES / "earthquakes")],
        env={"DATABASE_URL": database_url},
    )
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(
        line.endswith("missing_area_code.xml: refused: Report/Body/Warning[0]/Item[0]/Area/Code: missing")
        for line in lines
    )
    assert any("not_xml.xml: refused: (document): not well-formed XML" in line for line in lines)
    assert any("unknown_type.xml: refused: Report/Control/Title: '府県天気概況'" in line for line in lines)
    # The good files beside them are imported: one line per alert.
    assert sum(" created earthquake 震度" in line for line in lines) == 5
