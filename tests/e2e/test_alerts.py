"""Alerts in headless Chromium. A resident reads why before the browser asks, allows
notifications and saves My Areas (a municipality from the list and a point picked on the map):
the server gets the browser's subscription, pointed at the project's test receiver. A real
order from headquarters is delivered by the worker to that receiver (RFC 8291, decrypted there);
its payload, pushed to the service worker through CDP ``ServiceWorker.deliverPushMessage``, shows
a notification (the registration's getNotifications()) and arrives in the inbox, where the alert
shows its level in words, what to do, the free text marked as written, the area on a map and
the nearest open shelters. Headquarters draw a polygon order, preview how many it reaches, send
it, see its delivery counts and lift it. axe finds nothing serious on the new screens."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from server.alerts import family
from server.alerts.worker import work
from server.demo import DEMO_PASSWORD, demo_accounts
from server.settings import PushSettings
from tests.conftest import settings_for
from tests.e2e.conftest import PHONE, Demo, Server
from tests.e2e.test_checkin import PREF_HQ
from tests.e2e.test_pwa import serious_violations
from tests.server.alerts.receiver import Receiver

CITY = "029998"  # 見本市, the demo city
# A quadrilateral in the west of 見本市 (lon, lat), drawn corner by corner on the map (the map is
# fitted around it with room to spare: a corner under the zoom buttons would press them).
CORNERS = [(140.71, 40.79), (140.76, 40.79), (140.76, 40.83), (140.71, 40.83)]
HOME = {"lat": 40.81, "lon": 140.73}

# The browser's subscription, as the receiver's keys make it: pushManager answers it. Headless
# Chromium has no push service: its own subscribe(), with notifications granted and the server's
# VAPID key, fails with "AbortError: Registration failed - permission denied".
FAKE_PUSH = """
(subscription) => {
  const made = {
    endpoint: subscription.endpoint, expirationTime: null,
    options: {userVisibleOnly: true},
    getKey: () => null,
    toJSON: () => subscription,
    unsubscribe: async () => { window.__bosaiPushGone = true; return true; },
  };
  PushManager.prototype.subscribe = async function () { window.__bosaiPushMade = true; return made; };
  PushManager.prototype.getSubscription = async function () { return window.__bosaiPushMade ? made : null; };
}
"""


@pytest.fixture(scope="module")
def push_server(demo: Demo) -> Iterator[Server]:
    """The server as production runs it, but letting subscriptions name a local http receiver."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BOSAI_PUSH_ALLOW_HTTP", "1")
        running = Server(demo)
    yield running
    running.stop()


@pytest.fixture(scope="module")
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.start()
    yield r
    await r.stop()


@pytest.fixture(scope="module")
async def accounts(demo: Demo) -> None:
    engine = create_async_engine(demo.url)
    try:
        await demo_accounts(engine)
    finally:
        await engine.dispose()


async def deliver(demo: Demo) -> None:
    settings = settings_for(demo.url)
    await work(dataclasses.replace(settings, push=PushSettings(allow_http_localhost=True)), once=True, backoff_s=0.1)


async def hq_client(server: Server) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=server.url, timeout=30)
    signed = await client.post("/api/auth/login", json={"email": PREF_HQ, "password": DEMO_PASSWORD})
    assert signed.status_code == 200, signed.text
    client.headers["X-CSRF-Token"] = signed.json()["csrfToken"]
    return client


async def click_on_map(page: Page, lon: float, lat: float) -> None:
    """A click where (lon, lat) is on the alerts map, once it shows the area."""
    await page.get_by_test_id("alert-map").evaluate("(e) => e.scrollIntoView({block: 'center'})")
    point = await page.evaluate(
        """([lon, lat]) => {
            const map = window.__bosaiAlertMap;
            const box = map.getCanvas().getBoundingClientRect();
            const p = map.project([lon, lat]);
            return {x: box.left + p.x, y: box.top + p.y};
        }""",
        [lon, lat],
    )
    await page.mouse.click(point["x"], point["y"])


async def map_ready(page: Page) -> None:
    await page.wait_for_function("() => window.__bosaiAlertMap && window.__bosaiAlertMap.loaded()", timeout=30_000)


async def pushed(
    context: BrowserContext, page: Page, server: Server, payload: dict[str, Any], title: str
) -> list[dict[str, Any]]:
    """Deliver a push to the service worker through CDP; the notifications it shows with that title."""
    cdp = await context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    await cdp.send("ServiceWorker.enable")
    for _ in range(50):
        if registrations:
            break
        await asyncio.sleep(0.1)
    registration = next(r for r in registrations if not r.get("isDeleted"))
    await cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": server.url, "registrationId": registration["registrationId"], "data": json.dumps(payload)},
    )
    # Read in the same look that finds it: in one run a notification found was gone at the next
    # look (headless Chromium has no notification centre to keep it in).
    # (Polled here: wait_for_function takes an async function's promise as an answer at once.)
    for _ in range(200):
        shown: list[dict[str, Any]] = await page.evaluate(
            """async () => {
                const shown = await (await navigator.serviceWorker.ready).getNotifications();
                return shown.map((n) => ({title: n.title, body: n.body, data: n.data}));
            }"""
        )
        if matching := [n for n in shown if n["title"] == title]:
            return matching
        await asyncio.sleep(0.1)
    raise AssertionError(f"no notification {title!r} was shown")


async def test_a_resident_subscribes_and_a_push_shows_a_notification_and_the_inbox_entry(
    browser: Browser, push_server: Server, receiver: Receiver, demo: Demo, accounts: None
) -> None:
    server = push_server
    context: BrowserContext = await browser.new_context(viewport=PHONE, locale="ja-JP", service_workers="allow")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    phone = receiver.browser("phone")
    await context.add_init_script(f"({FAKE_PUSH})({json.dumps(phone.subscription())})")
    try:
        await page.goto(f"{server.url}/#/resident/alerts")
        await page.evaluate("navigator.serviceWorker.ready")
        # The app explains before the browser asks; the browser has not been asked yet.
        await expect(page.get_by_test_id("explain")).to_contain_text("許可")
        assert await page.evaluate("Notification.permission") == "default"
        await expect(page.get_by_text("まだお知らせはありません")).to_be_visible()
        assert await serious_violations(page) == []

        # A municipality from the list, and home picked on the map.
        await page.get_by_label("市町村").select_option(CITY)
        await page.get_by_role("button", name="追加", exact=True).first.click()
        await page.get_by_role("button", name="地図で選ぶ").click()
        await map_ready(page)
        await page.evaluate(f"window.__bosaiAlertMap.jumpTo({{center: [{HOME['lon']}, {HOME['lat']}], zoom: 13}})")
        await click_on_map(page, HOME["lon"], HOME["lat"])
        await expect(page.get_by_test_id("picked-point")).to_contain_text("40.81")
        await page.get_by_label("半径").first.select_option("500")
        await page.get_by_role("button", name="追加", exact=True).nth(1).click()
        await expect(page.locator(".my-area-list li")).to_have_count(2)
        await expect(page.locator(".my-area-list")).to_contain_text("自宅（半径500 m）")

        # "Where I am" too: the phone's place now, moved later by the app.
        await context.grant_permissions(["notifications", "geolocation"], origin=server.url)
        await context.set_geolocation({"latitude": 40.80, "longitude": 140.74})
        await page.get_by_label("現在地も", exact=False).check()
        await page.get_by_role("button", name="通知を受け取る").click()
        await expect(page.get_by_role("status").filter(has_text="保存しました")).to_be_visible()
        engine = create_async_engine(demo.url)
        try:
            async with engine.connect() as connection:
                row = (
                    await connection.execute(
                        text("SELECT endpoint, municipalities, areas, languages FROM push_subscription")
                    )
                ).one()
        finally:
            await engine.dispose()
        assert row.endpoint == phone.endpoint
        assert row.municipalities == [CITY] and row.languages == ["ja"]
        point = row.areas[1]
        assert abs(point["lat"] - HOME["lat"]) < 0.001 and point["radiusM"] == 500 and point["label"] == "自宅"
        assert row.areas[2] == {"lat": 40.8, "lon": 140.74, "radiusM": 1000, "here": True, "label": "現在地"}

        # Headquarters order an evacuation for the whole city: the worker delivers it to the
        # receiver, which decrypts it; that payload is what the service worker receives.
        hq = await hq_client(server)
        try:
            issued = await hq.post(
                "/api/alerts",
                json={
                    "hazard": "flood",
                    "level": 4,
                    "municipalities": [CITY],
                    "instructions": "見本川の近くの人は高台へ",
                },
            )
            assert issued.status_code == 201, issued.text
            alert_id = issued.json()["id"]
        finally:
            await hq.aclose()
        await deliver(demo)
        payload = receiver.got("phone")[-1]
        assert payload["alertId"] == alert_id and payload["headline"].startswith("【警戒レベル4】避難指示")

        shown = await pushed(context, page, server, payload, payload["headline"])
        assert shown[0]["body"].startswith("警戒レベル4") and shown[0]["data"] == {"alertId": alert_id}

        entry = page.locator(f'.alert-list li[data-alert="{alert_id}"]')
        await expect(entry).to_contain_text("警戒レベル4 避難指示")
        await expect(entry).to_contain_text("避難指示（見本市）")
        await entry.get_by_role("link").click()
        detail = page.locator(f'article.alert-detail[data-alert="{alert_id}"]')
        await expect(detail.locator(".level-badge")).to_have_text("警戒レベル4 避難指示")
        await expect(detail.locator(".alert-todo")).to_contain_text("危険な場所から全員避難")
        await expect(detail.locator(".free-text")).to_contain_text("見本川の近くの人は高台へ")
        await expect(detail.locator(".free-text")).to_contain_text("そのままの文章")
        await expect(detail.get_by_role("heading", name="近くの開いている避難所（洪水に対応）")).to_be_visible()
        await map_ready(page)
        # The level's colour is the Cabinet Office's purple, with its words beside it.
        colour = await detail.locator(".level-badge").evaluate("(e) => getComputedStyle(e).backgroundColor")
        assert colour == "rgb(170, 0, 170)"
        # Read aloud: each utterance says its language.
        spoken = await page.evaluate(
            """() => {
                const said = [];
                speechSynthesis.speak = (u) => said.push({lang: u.lang, text: u.text});
                document.querySelector('[data-testid=read-aloud]').click();
                return said;
            }"""
        )
        assert spoken[0] == {"lang": "ja-JP", "text": payload["headline"]}
        assert all(s["lang"] == "ja-JP" for s in spoken)
        assert await serious_violations(page) == []

        # Offline, the inbox still has it (from IndexedDB).
        await context.set_offline(True)
        await page.goto(f"{server.url}/#/resident/alerts")
        await expect(page.locator(f'.alert-list li[data-alert="{alert_id}"]')).to_be_visible()
        await context.set_offline(False)

        # Family news: the resident (signed in by opening the family screen) has this browser
        # receive it too; a family push shows who and how, and opens the family screen.
        await page.goto(f"{server.url}/#/resident/family")
        await expect(page.get_by_text("「家族の知らせ」にチェック")).to_be_visible()
        await page.goto(f"{server.url}/#/resident/alerts")
        await page.get_by_label("この端末に、グループの人の安否と「無事か知らせて」を通知する").check()
        await expect(page.get_by_role("status").filter(has_text="この端末に通知します")).to_be_visible()
        engine = create_async_engine(demo.url)
        try:
            async with engine.connect() as connection:
                linked = await connection.scalar(text("SELECT account_id IS NOT NULL FROM push_subscription"))
        finally:
            await engine.dispose()
        assert linked is True
        news = json.loads(family.body("ja", "花子", "safe"))
        (note,) = await pushed(context, page, server, news, "花子さん: 無事です")
        assert note["data"] == {"url": "/#/resident/family"}
        assert await serious_violations(page) == []

        # The resident walks 2 km north and the map learns where they are: "where I am" follows.
        await page.goto(f"{server.url}/#/resident/map")
        # (The browser would answer from its one-minute-old fix: the new one is given directly.)
        await page.evaluate(
            """() => { navigator.geolocation.getCurrentPosition = (ok) =>
                ok({coords: {latitude: 40.82, longitude: 140.74, accuracy: 10}, timestamp: Date.now()}); }"""
        )
        await page.get_by_role("button", name="現在地", exact=True).click()
        engine = create_async_engine(demo.url)
        try:
            for _ in range(100):
                async with engine.connect() as connection:
                    areas = await connection.scalar(text("SELECT areas FROM push_subscription"))
                if areas[2]["lat"] == 40.82:
                    break
                await asyncio.sleep(0.1)
        finally:
            await engine.dispose()
        assert areas[2] == {"lat": 40.82, "lon": 140.74, "radiusM": 1000, "here": True, "label": "現在地"}
    finally:
        await context.close()
    assert not errors, errors


async def test_headquarters_draw_a_polygon_preview_the_count_send_and_lift(
    browser: Browser, push_server: Server, receiver: Receiver, accounts: None
) -> None:
    server = push_server
    # Someone inside the polygon, subscribed by point only.
    async with httpx.AsyncClient(base_url=server.url) as public:
        made = await public.post(
            "/api/push/subscriptions",
            json=receiver.browser("inside").body([{"lat": 40.81, "lon": 140.735, "radiusM": 100}]),
        )
        assert made.status_code == 201, made.text
    context = await browser.new_context(viewport=PHONE, locale="ja-JP", service_workers="allow")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        await page.goto(f"{server.url}/#/hq/orders")
        await page.get_by_label("メールアドレス").fill(PREF_HQ)
        await page.get_by_label("パスワード").fill(DEMO_PASSWORD)
        await page.get_by_role("button", name="サインイン", exact=True).click()
        await expect(page.get_by_role("heading", name="避難情報の発令", level=2)).to_be_visible(timeout=20_000)
        assert await serious_violations(page) == []

        await page.get_by_role("radio", name="避難指示").check()
        await page.get_by_label("災害の種類").select_option("landslide")
        await page.get_by_role("radio", name="地図に範囲を描く").check()
        await map_ready(page)
        await page.evaluate(
            "window.__bosaiAlertMap.fitBounds([[140.68, 40.77], [140.79, 40.85]], {duration: 0, padding: 48})"
        )
        for lon, lat in CORNERS:
            await click_on_map(page, lon, lat)
        await expect(page.get_by_test_id("drawn")).to_have_text("角の数: 4")
        await page.get_by_label("住民への呼びかけ（自由記述、そのまま表示されます）").fill("山沿いの人は早めに避難")

        async with page.expect_response(lambda r: r.url.endswith("/api/alerts") and r.request.method == "POST") as got:
            await page.get_by_role("button", name="確認（届く人数を数える）").click()
        preview = await (await got.value).json()
        sent_body = json.loads((await got.value).request.post_data or "{}")
        assert sent_body["dryRun"] is True and sent_body["polygon"]["type"] == "Polygon"
        assert len(sent_body["polygon"]["coordinates"][0]) == 5
        assert preview["municipalities"] == [CITY] and preview["reached"] >= 1
        await expect(page.get_by_test_id("order-preview")).to_contain_text(f"{preview['reached']}件の登録に届きます")

        await page.get_by_role("button", name="発令する").click()
        await expect(page.get_by_test_id("order-sent")).to_contain_text(f"{preview['reached']}件へ送信しています")
        sent = page.locator(".sent-orders li").first
        await expect(sent).to_contain_text("避難指示")
        await expect(sent.get_by_test_id("delivery-counts")).to_contain_text(f"送信待ち {preview['reached']}")
        assert await serious_violations(page) == []

        await sent.get_by_role("button", name="解除する").click()
        await expect(sent).to_contain_text("解除は")
        await sent.get_by_role("button", name="解除を発令する").click()
        await expect(page.locator(".sent-orders li").first).to_contain_text("解除")
    finally:
        await context.close()
    assert not errors, errors
