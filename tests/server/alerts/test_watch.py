"""`bosai alerts watch` against a JMA feed served locally: entries of the types Bosai reads are
fetched and imported once (whatever feed lists them, however often), feeds are asked with
If-Modified-Since, a failed fetch is tried again, the long feed is read after an outage, and what
comes through the feed reaches a decrypting push receiver."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from fixtures.make_alerts import build
from server.alerts.watch import client, poll
from server.alerts.worker import work
from server.cli import main
from server.settings import JmaSettings, Settings
from tests.server.alerts.feed import FeedEntry, FeedServer
from tests.server.alerts.receiver import Receiver
from tests.server.alerts.test_delivery import rows, subscribe

BROKEN = Path(__file__).resolve().parents[3] / "fixtures/alerts/broken/missing_area_code.xml"


@pytest.fixture
async def feed(tmp_path: Path) -> AsyncIterator[FeedServer]:
    build(tmp_path, datetime.now(UTC) - timedelta(minutes=5))
    server = FeedServer(
        files={
            "issue.xml": tmp_path / "warnings" / "01_vpww54_issue.xml",
            "correction.xml": tmp_path / "warnings" / "02_vpww54_correction.xml",
            "quake.xml": tmp_path / "earthquakes" / "vxse53_hypocenter_intensity.xml",
            "tsunami.xml": tmp_path / "tsunami" / "vtse41_tsunami_warning.xml.gz",
            "broken.xml": BROKEN,
            "forecast.xml": tmp_path / "warnings" / "01_vpww54_issue.xml",
        }
    )
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def watch_settings(push_settings: Settings, feed: FeedServer) -> Settings:
    return dataclasses.replace(
        push_settings,
        jma=JmaSettings(feeds=(feed.url("/feed/extra.xml"),), long_feeds=(feed.url("/feed/extra_l.xml"),)),
    )


def at(minutes: int) -> datetime:
    return datetime(2026, 7, 11, 5, 0, tzinfo=UTC) + timedelta(minutes=minutes)


ISSUE = FeedEntry("urn:uuid:issue", "気象警報・注意報（Ｒ０６）", "issue.xml", at(0))
QUAKE = FeedEntry("urn:uuid:quake", "震源・震度に関する情報", "quake.xml", at(1))
FORECAST = FeedEntry("urn:uuid:forecast", "府県天気予報（Ｒ１）", "forecast.xml", at(2))
CORRECTION = FeedEntry("urn:uuid:correction", "気象警報・注意報（Ｒ０６）", "correction.xml", at(10))
TSUNAMI = FeedEntry("urn:uuid:tsunami", "津波警報・注意報・予報ａ", "tsunami.xml", at(3))


async def test_entries_are_imported_once_and_unchanged_feeds_are_not_read_again(
    watch_settings: Settings, feed: FeedServer, engine: AsyncEngine
) -> None:
    feed.publish("extra_l.xml", [ISSUE], at(0))
    feed.publish("extra.xml", [ISSUE, QUAKE, FORECAST], at(2))
    async with client() as http:
        first = await poll(watch_settings, engine, http)
        # Never polled: the long feed first, then the frequent one; the entry both list, once.
        assert first.caught_up
        assert [t.entry.id for t in first.taken] == ["urn:uuid:issue", "urn:uuid:quake"]
        assert [s.name for t in first.taken for s in t.stored][:2] == ["大雨警報", "大雨注意報"]
        assert feed.fetched("issue.xml") == 1 and feed.fetched("quake.xml") == 1
        assert feed.fetched("forecast.xml") == 0  # a type Bosai does not read is not even fetched

        second = await poll(watch_settings, engine, http)
        assert not second.caught_up and second.taken == []
        assert second.not_modified == [feed.url("/feed/extra.xml")]
        assert feed.asked("extra.xml") == [None, "Sat, 11 Jul 2026 05:02:00 GMT"]
        assert feed.asked("extra_l.xml") == [None]  # read only to catch up

        feed.publish("extra.xml", [ISSUE, QUAKE, FORECAST, CORRECTION], at(10))
        third = await poll(watch_settings, engine, http)
        assert [(t.entry.id, [s.outcome for s in t.stored]) for t in third.taken] == [
            ("urn:uuid:correction", ["corrected", "withdrawn"])
        ]
        assert feed.fetched("issue.xml") == 1
    # 大雨警報 and 大雨注意報, and one alert per intensity observed (3).
    assert (await rows(engine, "SELECT count(*) FROM alert WHERE source = 'jma'"))[0][0] == 2 + 3
    assert await rows(engine, "SELECT entry_id, outcome FROM jma_feed_entry ORDER BY entry_id") == [
        ("urn:uuid:correction", "imported"),
        ("urn:uuid:issue", "imported"),
        ("urn:uuid:quake", "imported"),
    ]


async def test_a_failed_fetch_is_tried_again_and_a_broken_message_is_not(
    watch_settings: Settings, feed: FeedServer, engine: AsyncEngine
) -> None:
    broken = FeedEntry("urn:uuid:broken", "気象警報・注意報（Ｒ０６）", "broken.xml", at(1))
    elsewhere = FeedEntry("urn:uuid:away", "震度速報", "x.xml", at(1), href="http://169.254.169.254/latest")
    feed.publish("extra_l.xml", [], at(0))
    feed.publish("extra.xml", [ISSUE, broken, elsewhere], at(1))
    feed.failing["issue.xml"] = 1
    async with client() as http:
        first = await poll(watch_settings, engine, http)
        assert [(t.entry.id, t.error) for t in first.taken] == [
            ("urn:uuid:broken", "Report/Body/Warning[0]/Item[0]/Area/Code: missing"),
            ("urn:uuid:away", "link http://169.254.169.254/latest is not on the feed's site"),
        ]
        # The feed's Last-Modified is not kept while an entry it lists is untaken: asked in full again.
        second = await poll(watch_settings, engine, http)
        assert [t.entry.id for t in second.taken] == ["urn:uuid:issue"]
        assert feed.asked("extra.xml") == [None, None]
        assert feed.fetched("issue.xml") == 2 and feed.fetched("broken.xml") == 1
        third = await poll(watch_settings, engine, http)
        assert third.taken == [] and third.not_modified == [feed.url("/feed/extra.xml")]


async def test_after_an_outage_the_long_feed_catches_up(
    watch_settings: Settings, feed: FeedServer, engine: AsyncEngine
) -> None:
    feed.publish("extra_l.xml", [ISSUE], at(0))
    feed.publish("extra.xml", [ISSUE], at(0))
    async with client() as http:
        await poll(watch_settings, engine, http)
        # Down for an hour: the frequent feed no longer lists what came meanwhile; the long one does.
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE jma_feed SET checked_at = now() - interval '1 hour'"))
        feed.publish("extra_l.xml", [ISSUE, QUAKE, TSUNAMI, CORRECTION], at(10))
        feed.publish("extra.xml", [CORRECTION], at(10))
        result = await poll(watch_settings, engine, http)
    assert result.caught_up
    assert [t.entry.id for t in result.taken] == ["urn:uuid:quake", "urn:uuid:tsunami", "urn:uuid:correction"]
    assert feed.fetched("correction.xml") == 1


async def test_what_the_feed_brings_reaches_the_phones_of_the_area(
    watch_settings: Settings,
    feed: FeedServer,
    engine: AsyncEngine,
    receiver: Receiver,
    app_client: AsyncTestClient[Litestar],
) -> None:
    await subscribe(app_client, receiver.browser("aomori"), [{"municipality": "022012"}], languages=["en"])
    await subscribe(app_client, receiver.browser("hirosaki"), [{"municipality": "022021"}], kinds=["tsunami"])
    feed.publish("extra_l.xml", [], at(0))
    feed.publish("extra.xml", [ISSUE, TSUNAMI], at(3))
    async with client() as http:
        await poll(watch_settings, engine, http)
        await poll(watch_settings, engine, http)
    await work(watch_settings, once=True, backoff_s=0.1)
    assert sorted(p["headline"] for p in receiver.got("aomori")) == [
        "Heavy rain warning issued (alert level 3 equivalent) — 022012",
        "Tsunami warning — 022012 and 6 more",
    ]
    assert receiver.got("hirosaki") == []  # 弘前市 is inland; its 注意報 is not a kind it asked for


async def test_the_command_polls_once(database_url: str, feed: FeedServer) -> None:
    feed.publish("extra_l.xml", [], at(0))
    feed.publish("extra.xml", [QUAKE], at(1))
    # In a thread: the feed is served by this test's event loop.
    result = await asyncio.to_thread(
        CliRunner().invoke,
        main,
        ["alerts", "watch", "--once"],
        env={
            "DATABASE_URL": database_url,
            "BOSAI_JMA_FEEDS": feed.url("/feed/extra.xml"),
            "BOSAI_JMA_LONG_FEEDS": feed.url("/feed/extra_l.xml"),
        },
    )
    assert result.exit_code == 0, result.output
    assert sum(" created earthquake 震度" in line for line in result.output.splitlines()) == 3
