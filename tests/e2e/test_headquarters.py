"""Headquarters at a desk (1366×768) in headless Chromium: map, table and totals on the first
screen without scrolling; the map's symbols all load; a click on a shelter on the map opens its
detail with its history, and so do Tab and Enter or Space on its marker; a change of capacity
shows in the history with who made it; the table sorts by people and filters; the trend chart is there; axe
finds nothing serious. The same screen on a 360×640 phone stays usable (no sideways scroll)."""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, expect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from server.demo import DEMO_PASSWORD, demo_accounts, demo_event
from server.lib.keys import Keys
from tests.conftest import TEST_KEYS
from tests.e2e.conftest import ARTIFACTS, Demo, Server
from tests.e2e.test_checkin import PREF_HQ, in_view_unscrolled
from tests.e2e.test_pwa import serious_violations

DESK: ViewportSize = {"width": 1366, "height": 768}
PHONE: ViewportSize = {"width": 360, "height": 640}
# Screenshots to look at (BOSAI_SHOTS, else the e2e artifacts folder).
SHOTS = Path(os.environ.get("BOSAI_SHOTS", str(ARTIFACTS)))
# The people of each row, in the table's order.
ROW_PEOPLE = "(rows) => rows.map((r) => Number(r.querySelector('[data-testid=people]').textContent.split('/')[0]))"


@pytest.fixture(scope="module", autouse=True)
def shots() -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="module")
async def event(demo: Demo) -> None:
    """The demo's open event, begun six hours ago, its walk-ins come in over those hours (so the
    trend has a course to draw)."""
    engine = create_async_engine(demo.url)
    try:
        await demo_accounts(engine)
        keys = Keys(base64.b64decode(TEST_KEYS["BOSAI_DATA_KEY"]), base64.b64decode(TEST_KEYS["BOSAI_QR_KEY"]))
        await demo_event(engine, keys)
        async with engine.begin() as connection:
            for table in ("disaster_event", "shelter_operation"):
                await connection.execute(text(f"UPDATE {table} SET opened_at = now() - interval '6 hours'"))  # noqa: S608
            await connection.execute(
                text(
                    "UPDATE checkin SET created_at = now() - (interval '5 hours' / (n + 1)) FROM "
                    "(SELECT id AS row_id, row_number() OVER (ORDER BY id) AS n FROM checkin) numbered "
                    "WHERE checkin.id = numbered.row_id"
                )
            )
    finally:
        await engine.dispose()


async def desk(browser: Browser, server: Server, viewport: ViewportSize) -> tuple[BrowserContext, Page, list[str]]:
    """Headquarters signed in on the dashboard; the console's warnings and errors, collected."""
    context = await browser.new_context(viewport=viewport, locale="ja-JP", service_workers="allow")
    page = await context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type in ("warning", "error") else None)
    await page.goto(f"{server.url}/#/hq/dashboard")
    await page.get_by_label("メールアドレス").fill(PREF_HQ)
    await page.get_by_label("パスワード").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="サインイン", exact=True).click()
    await expect(page.locator(".hq-marker").first).to_be_visible(timeout=20_000)
    return context, page, console


async def test_headquarters_see_map_table_and_totals_at_once_and_open_a_shelter_from_the_map(
    browser: Browser, server: Server, event: None
) -> None:
    context, page, console = await desk(browser, server, DESK)
    try:
        await page.wait_for_function("() => window.__bosaiHqMap?.loaded() && window.__bosaiHqMap.areTilesLoaded()")
        await expect(page.locator("svg.trend")).to_be_visible(timeout=10_000)
        await page.screenshot(path=str(SHOTS / "hq-1366x768.png"))
        # The first screen holds the map, the table (its first rows) and the totals: no scrolling.
        for part in ("[data-testid=hq-map]", "[data-testid=hq-totals]", ".hq-side .table-wrap thead"):
            assert await in_view_unscrolled(page, page.locator(part)), f"{part} is not on the first screen"
        assert await in_view_unscrolled(page, page.locator(".hq-side .table-wrap tbody tr").first)
        rows = page.locator(".hq-side .table-wrap tbody tr")
        assert await page.locator(".hq-marker").count() == await rows.count() > 1
        assert not [m for m in console if "could not be loaded" in m], console

        # A shelter on the map opens its detail: stays, care needs, history of its check-ins.
        marker = page.locator(".hq-marker").first
        name = await marker.locator(".hq-marker-name").inner_text()
        await marker.click()
        detail = page.get_by_test_id("hq-detail")
        await expect(detail.get_by_role("heading", level=2)).to_contain_text(name)
        await expect(detail.locator(".hq-history li[data-kind=in]").first).to_be_visible()
        await expect(detail.locator(".hq-history li[data-kind=opened]")).to_have_count(1)
        await expect(marker).to_have_attribute("data-selected", "true")
        await page.screenshot(path=str(SHOTS / "hq-1366x768-detail.png"))
        assert await serious_violations(page) == []

        # The keyboard too: Tab from the map reaches the markers (named with name and status, a
        # focus ring shown), Enter opens another shelter's detail, Space yet another's.
        opened = [name]
        for key in ("Enter", " "):
            await page.locator(".hq-map canvas").focus()  # the detail took the focus: back to the map
            await page.keyboard.press("Tab")
            focused = page.locator(".hq-marker:focus")
            await expect(focused).to_have_count(1)
            while await focused.locator(".hq-marker-name").inner_text() in opened:
                await page.keyboard.press("Tab")
            shelter = await focused.locator(".hq-marker-name").inner_text()
            await expect(focused).to_have_attribute("role", "button")
            # Named by what it shows (speech input), with its status in words.
            named = re.compile(f"^{re.escape(shelter)}\\s*（(開設中|混雑|満員)）")
            await expect(focused).to_have_accessible_name(named)
            assert await focused.evaluate("(e) => getComputedStyle(e).outlineStyle") == "solid"
            await page.keyboard.press(key)
            await expect(detail.get_by_role("heading", level=2)).to_contain_text(shelter)
            opened.append(shelter)
        await page.screenshot(path=str(SHOTS / "hq-1366x768-keyboard.png"))

        # What staff change is in the history: who changed the capacity from what to what.
        shelter_id = await page.locator(".hq-marker[data-selected=true]").get_attribute("data-shelter")
        async with httpx.AsyncClient(base_url=server.url) as client:
            me = (await client.post("/api/auth/login", json={"email": PREF_HQ, "password": DEMO_PASSWORD})).json()
            client.headers["X-CSRF-Token"] = me["csrfToken"]
            before = next(
                s["capacity"]
                for s in (await client.get("/api/shelters/occupancy")).json()["shelters"]
                if s["shelterId"] == shelter_id
            )
            changed = await client.put(f"/api/shelters/{shelter_id}", json={"capacity": before + 7})
            assert changed.status_code == 200, changed.text
        changes = detail.locator(".hq-history li[data-kind=change]")
        await expect(changes.filter(has_text="定員を").first).to_contain_text(
            f"定員を {before} から {before + 7} に変更（{PREF_HQ}）", timeout=15_000
        )

        # Sorted by people: most first, then (pressed again) fewest first.
        people = page.get_by_role("button", name="人数 / 定員")
        await people.click()
        await expect(page.locator("th[aria-sort=descending]")).to_contain_text("人数")
        most = await rows.evaluate_all(ROW_PEOPLE)
        assert most == sorted(most, reverse=True) and most[0] > most[-1], most
        await people.click()
        await expect(page.locator("th[aria-sort=ascending]")).to_contain_text("人数")
        assert await rows.evaluate_all(ROW_PEOPLE) == sorted(most)

        # Filtered by words of a name: that shelter alone, on the map too.
        await page.get_by_label("名前で探す").fill(name)
        await expect(rows).to_have_count(1)
        await expect(page.locator(".hq-marker")).to_have_count(1)
        await page.get_by_label("名前で探す").fill("")
        await expect(page.locator(".hq-marker")).to_have_count(len(most))
        assert not [m for m in console if "could not be loaded" in m], console
    finally:
        await context.close()


async def test_the_headquarters_screen_on_a_phone_stacks_without_sideways_scrolling(
    browser: Browser, server: Server, event: None
) -> None:
    context, page, _ = await desk(browser, server, PHONE)
    try:
        await expect(page.locator("svg.trend")).to_be_visible(timeout=10_000)
        await page.wait_for_function("() => window.__bosaiHqMap?.loaded() && window.__bosaiHqMap.areTilesLoaded()")
        await page.screenshot(path=str(SHOTS / "hq-360x640.png"))
        assert await in_view_unscrolled(page, page.get_by_test_id("total-all"))
        assert await page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        await page.screenshot(path=str(SHOTS / "hq-360x640-full.png"), full_page=True)
        await page.locator(".hq-side .table-wrap tbody tr th button").first.click()
        await expect(page.get_by_test_id("hq-detail")).to_be_visible()
        assert await page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        assert await serious_violations(page) == []
    finally:
        await context.close()
