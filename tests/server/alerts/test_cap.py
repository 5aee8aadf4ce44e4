"""CAP 1.2 out and in: every alert (JMA warnings, their lifting and withdrawal, earthquakes,
tsunami, headquarters' polygon order, a shelter opening) as CAP that validates against the OASIS
CAP 1.2 XSD; the Atom feed of CAP entries (each entry's CAP valid too, never an exercise); CAP
files imported like JMA's, delivered to the area, lifted by an AllClear update, and refused with
the element named; an exported alert read back by `bosai alerts import` is the same alert."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from lxml import etree
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.alerts.cap import CAP_NS, _time
from server.alerts.cli import import_files
from server.alerts.worker import work
from server.settings import Settings
from tests.server.alerts.receiver import Receiver
from tests.server.alerts.test_delivery import MUTSU, imported, rows, subscribe
from tests.server.roles import sign_in

CAP_FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "cap"
SCHEMA = etree.XMLSchema(etree.parse(str(CAP_FIXTURES / "CAP-v1.2.xsd")))
NS = {"cap": CAP_NS, "atom": "http://www.w3.org/2005/Atom"}


def valid(document: etree._Element) -> etree._Element:
    assert SCHEMA.validate(document), SCHEMA.error_log
    return document


def cap(body: bytes) -> etree._Element:
    return valid(etree.fromstring(body))


def texts(document: etree._Element, path: str) -> list[str]:
    found = document.xpath(path, namespaces=NS)
    assert isinstance(found, list)
    return [str(x) for x in found]


def elements(document: etree._Element, path: str) -> list[etree._Element]:
    found = document.xpath(path, namespaces=NS)
    assert isinstance(found, list)
    return [x for x in found if isinstance(x, etree._Element)]


def one(document: etree._Element, path: str) -> str:
    return "".join(texts(document, path))


@pytest.fixture
async def places(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO municipality (id, code, name, name_en, prefecture, boundary) VALUES "
                "(gen_random_uuid(), '022080', 'むつ市', 'Mutsu', '青森県', ST_GeomFromText(:g, 4326)), "
                "(gen_random_uuid(), '022012', '青森市', 'Aomori', '青森県', NULL)"
            ),
            {"g": MUTSU},
        )


async def test_every_alert_is_valid_cap_and_the_feed_carries_them(
    push_settings: Settings,
    app_client: AsyncTestClient[Litestar],
    engine: AsyncEngine,
    messages: Path,
    places: None,
) -> None:
    w = messages / "warnings"
    await imported(
        push_settings,
        w / "01_vpww54_issue.xml",
        w / "02_vpww54_correction.xml",  # withdraws the 注意報: a CAP Cancel
        w / "03_vpww54_lift.xml",  # lifts the 警報 in 青森市: a CAP Update, AllClear
        w / "04_vpww54_exercise.xml",
        w / "05_vpww56_levelled.xml",
        w / "06_vxww50_landslide.xml",
        messages / "earthquakes" / "vxse53_hypocenter_intensity.xml",
        messages / "tsunami" / "vtse41_tsunami_warning.xml.gz",
    )
    await sign_in(app_client, engine, "prefectural_hq")
    polygon = {"type": "Polygon", "coordinates": [[[141.15, 41.25], [141.25, 41.25], [141.2, 41.35], [141.15, 41.25]]]}
    order = await app_client.post(
        "/api/alerts", json={"hazard": "flood", "level": 4, "polygon": polygon, "reason": "川が あふれそうです"}
    )
    assert order.status_code == 201, order.text

    alerts = await rows(engine, "SELECT id, action, cancelled_at IS NOT NULL, source, status FROM alert")
    assert len(alerts) >= 12
    types = set()
    for alert_id, action, cancelled, source, status in alerts:
        answer = await app_client.get(f"/api/alerts/{alert_id}.cap")
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/cap+xml")
        document = cap(answer.content)
        msg_type = one(document, "/cap:alert/cap:msgType/text()")
        types.add(msg_type)
        assert one(document, "/cap:alert/cap:status/text()") == {"actual": "Actual", "exercise": "Exercise"}[status]
        assert texts(document, "/cap:alert/cap:info/cap:language/text()") == ["ja", "en", "ja-x-easy"]
        if cancelled and action == "issue":
            assert msg_type == "Cancel" and one(document, "/cap:alert/cap:references/text()")
        elif action == "cancel" and source == "jma":
            assert msg_type == "Update"
            assert set(texts(document, "//cap:responseType/text()")) == {"AllClear"}
        if source == "hq":
            # The drawn area as a CAP polygon (lat,lon pairs, closed), free text marked as such.
            ring = one(document, "/cap:alert/cap:info[1]/cap:area/cap:polygon/text()").split()
            assert len(ring) >= 4 and ring[0] == ring[-1] and ring[0].startswith("41.")
            assert one(document, "/cap:alert/cap:info[1]/cap:description/text()") == "川が あふれそうです"
            assert "as written" in one(document, "/cap:alert/cap:note/text()")
            assert one(document, "/cap:alert/cap:info[1]/cap:area/cap:geocode/cap:value/text()") == "02208"
    assert types == {"Alert", "Update", "Cancel"}

    feed = etree.fromstring((await app_client.get("/api/alerts.atom")).content)
    entries = elements(feed, "/atom:feed/atom:entry")
    actual = [a for a in alerts if a[4] == "actual"]
    assert len(entries) == len(actual)  # never the exercise
    for entry in entries:
        valid(elements(entry, "atom:content/cap:alert")[0])
        assert one(entry, "atom:link/@href").endswith(".cap")
    mutsu = etree.fromstring((await app_client.get("/api/alerts.atom", params={"municipality": "022080"})).content)
    assert 0 < len(elements(mutsu, "//atom:entry")) < len(entries)
    assert (await app_client.get("/api/alerts.atom", params={"municipality": "x"})).status_code == 400
    assert (await app_client.get("/api/alerts/nothing.cap")).status_code == 404
    assert (await app_client.get("/api/alerts/00000000-0000-7000-8000-000000000000.cap")).status_code == 404


def in_time(source: Path, out: Path, **replace: str) -> Path:
    """The CAP fixture sent five minutes ago (an alert past its expiry is never pushed)."""
    now = datetime.now(UTC)
    body = source.read_text(encoding="utf-8")
    body = re.sub(r"<sent>[^<]+</sent>", f"<sent>{_time(now - timedelta(minutes=5))}</sent>", body)
    body = re.sub(r"<expires>[^<]+</expires>", f"<expires>{_time(now + timedelta(hours=6))}</expires>", body)
    for old, new in replace.items():
        body = body.replace(old, new)
    out.write_text(body, encoding="utf-8")
    return out


async def test_cap_files_are_imported_delivered_lifted_and_refused_by_element(
    push_settings: Settings,
    app_client: AsyncTestClient[Litestar],
    receiver: Receiver,
    engine: AsyncEngine,
    tmp_path: Path,
    places: None,
) -> None:
    await subscribe(app_client, receiver.browser("aomori"), [{"municipality": "022012"}], languages=["ja-easy"])
    await subscribe(app_client, receiver.browser("hirosaki"), [{"municipality": "022021"}])
    order = in_time(CAP_FIXTURES / "hq_evacuation_order.xml", tmp_path / "order.xml")
    assert await imported(push_settings, order) == ["created 避難指示"]
    assert await imported(push_settings, order) == ["unchanged 避難指示"]  # the same message twice
    exercise = in_time(
        CAP_FIXTURES / "hq_evacuation_order.xml",
        tmp_path / "exercise.xml",
        **{"<status>Actual</status>": "<status>Exercise</status>", "-0001<": "-0002<"},
    )
    await imported(push_settings, exercise)
    await work(push_settings, once=True, backoff_s=0.1)
    assert [p["headline"] for p in receiver.got("aomori")] == [
        "【レベル4】みんな 逃（に）げて ください。（青森市ほか1）"
    ]
    assert receiver.got("hirosaki") == []
    stored = await rows(engine, "SELECT source, kind, level, hazard, municipalities FROM alert WHERE status = 'actual'")
    assert stored == [("cap", "evacuation", 4, "flood", ["022012", "022055"])]

    # What Bosai exports, to read back below.
    alert_id = (await rows(engine, "SELECT id FROM alert WHERE status = 'actual' AND action = 'issue'"))[0][0]
    exported = (await app_client.get(f"/api/alerts/{alert_id}.cap")).content

    # Lifted (解除) by the sender's CAP Update with responseType AllClear: told to who was told.
    lift = in_time(
        CAP_FIXTURES / "hq_evacuation_order.xml",
        tmp_path / "lift.xml",
        **{
            "-0001</identifier>": "-0003</identifier>",
            "<msgType>Alert</msgType>": "<msgType>Update</msgType>",
            "<scope>Public</scope>": "<scope>Public</scope><references>bousai@pref.aomori.example.jp,"
            "JP-AOMORI-PREF-2026-0711-0001,2026-07-11T06:00:00+09:00</references>",
            "<responseType>Evacuate</responseType>": "<responseType>AllClear</responseType>",
        },
    )
    assert await imported(push_settings, lift) == ["created 避難指示"]
    await work(push_settings, once=True, backoff_s=0.1)
    assert [p["action"] for p in receiver.got("aomori")] == ["issue", "cancel"]
    assert await rows(
        engine, "SELECT cancelled_at IS NOT NULL FROM alert WHERE status = 'actual' AND action = 'issue'"
    ) == [(True,)]

    # Read back as another system relays it (its own identifier): the same kind, level, hazard, places.
    (tmp_path / "again.xml").write_bytes(exported.replace(str(alert_id).encode(), b"elsewhere-1"))
    assert await imported(push_settings, tmp_path / "again.xml") == ["created 避難指示"]
    again = await rows(
        engine, "SELECT kind, level, hazard, municipalities FROM alert WHERE details->>'identifier' LIKE '%elsewhere-1'"
    )
    assert again == [("evacuation", 4, "flood", ["022012", "022055"])]

    broken = in_time(
        CAP_FIXTURES / "hq_evacuation_order.xml",
        tmp_path / "broken.xml",
        **{"<value>02201</value>": "<value>2201</value>"},
    )
    results = await import_files(push_settings, [broken])
    assert results[0].error == "alert/info[0]/area[0]/geocode: '2201' is not a JIS X 0402 code"
