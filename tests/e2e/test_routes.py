"""Evacuation routes in a real browser at 360×640: asked from a facility's sheet, drawn on the map
with time, steps and read-aloud (online, from the server), and asked from an alert's shelters
(avoiding the alert's hazard); and offline, computed on the device
from the graph of a downloaded pack, with the server's length within 1 %."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, expect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from server.cli import FIXTURES
from server.demo import DEMO_PASSWORD, demo_accounts, import_demo_roads
from server.packs.worker import build_packs
from server.settings import PackSettings
from tests.conftest import settings_for
from tests.e2e.conftest import ARTIFACTS, Demo, Server
from tests.e2e.test_checkin import PREF_HQ
from tests.e2e.test_pwa import RENDERED_FACILITIES, serious_violations

CITY = "029998"
START = (40.80, 140.76)  # the demo city's centre, inside several hazard zones
ROUTE_DRAWN = (
    "window.__bosaiMap?.getLayer('route') ? window.__bosaiMap.queryRenderedFeatures({layers: ['route']}).length : 0"
)


@pytest.fixture(scope="module")
async def routed(demo: Demo) -> AsyncIterator[Demo]:
    """The module's demo with the city's streets imported and its pack rebuilt (version 2, with its
    graph), and its staff accounts (headquarters issue an alert)."""
    engine = create_async_engine(demo.url)
    try:
        await import_demo_roads(engine, FIXTURES)
        await demo_accounts(engine)
    finally:
        await engine.dispose()
    await build_packs(replace(settings_for(demo.url), packs=PackSettings(folder=demo.packs)), [CITY])
    yield demo


@pytest.fixture(scope="module")
def routed_server(routed: Demo) -> Iterator[Server]:
    running = Server(routed)
    yield running
    running.stop()


async def first_shelter(server: Server, walking: bool) -> dict[str, Any]:
    """The first of the nearest list: on foot online, in a straight line from a pack offline."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        answer = (
            await client.get(
                f"/api/facilities/nearest?lat={START[0]}&lon={START[1]}&hazard=earthquake&walking={str(walking).lower()}"
            )
        ).json()
    first: dict[str, Any] = answer["features"][0]
    return first


async def server_route(server: Server, facility: str, **query: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.get(
            "/api/routes", params={"from": f"{START[0]:.6f},{START[1]:.6f}", "to": facility, **query}
        )
    assert response.status_code == 200, response.text
    properties: dict[str, Any] = response.json()["properties"]
    return properties


async def choose_start(page: Page) -> None:
    """The map's centre at START as the chosen place (what "check the centre" does)."""
    await page.wait_for_selector(".map[data-ready=true]")  # MapLibre comes after the sketch
    await page.evaluate(f"window.__bosaiMap.jumpTo({{center: [{START[1]}, {START[0]}], zoom: 14}})")
    await page.get_by_role("button", name="地図の中心の危険を調べる").click()


async def test_a_route_from_the_sheet_is_drawn_with_time_steps_and_read_aloud(
    page: Page, routed: Demo, routed_server: Server
) -> None:
    shelter = await first_shelter(routed_server, walking=True)
    name = shelter["properties"]["name"]
    await page.goto(f"{routed_server.url}/#/resident/map")
    await page.wait_for_function(f"() => {RENDERED_FACILITIES} > 0", timeout=30_000)
    await choose_start(page)
    nearest = page.locator("section[aria-labelledby=nearest-title]")
    await nearest.get_by_label("災害の種類").select_option("earthquake")
    first = nearest.locator("ol.nearest > li").first
    await expect(first).to_contain_text(name)
    await expect(first.get_by_test_id("walking")).to_contain_text("道のり")  # walking distance along the roads
    await first.get_by_role("button", name="詳しく見る").click()
    sheet = page.locator("dialog.sheet")
    await sheet.get_by_role("button", name="ここへの避難ルート").click()
    await expect(sheet).not_to_be_visible()

    panel = page.get_by_test_id("route-panel")
    await expect(panel.get_by_role("heading", level=2)).to_contain_text(name)
    summary = panel.get_by_test_id("route-summary")
    await expect(summary).to_contain_text("分")
    expected = await server_route(routed_server, shelter["id"], hazard="earthquake")
    assert float(await summary.get_attribute("data-length-m") or 0) == pytest.approx(expected["lengthM"], rel=0.001)
    assert await panel.get_by_test_id("route-result").get_attribute("data-computed-on") == "server"
    steps = panel.get_by_test_id("route-steps").locator("li")
    await expect(steps).to_have_count(len(expected["steps"]))
    await expect(steps.last).to_contain_text(f"{name}に到着です")
    await page.wait_for_function(f"() => ({ROUTE_DRAWN}) > 0", timeout=30_000)

    # The slower pace of an older person doubles the time.
    adult_minutes = expected["minutes"]
    await panel.get_by_label("歩く人").select_option("elderly")
    elderly = await server_route(routed_server, shelter["id"], hazard="earthquake", profile="elderly")
    assert elderly["minutes"] == pytest.approx(2 * adult_minutes, abs=0.2)
    await expect(summary).to_contain_text(f"約{int(-(-elderly['minutes'] // 1))}分")

    # Read aloud in Japanese, one utterance per step (the synthesiser replaced by a recorder).
    await page.evaluate(
        "window.__spoken = []; speechSynthesis.speak = (u) => window.__spoken.push([u.lang, u.text]);"
        " speechSynthesis.cancel = () => {};"
    )
    await panel.get_by_role("button", name="道順を読み上げる").click()
    spoken = await page.evaluate("window.__spoken")
    assert len(spoken) == len(expected["steps"]) and {lang for lang, _ in spoken} == {"ja-JP"}
    assert spoken[-1][1] == f"{name}に到着です"

    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "route.png"))
    await panel.scroll_into_view_if_needed()
    assert await serious_violations(page) == []
    await panel.get_by_role("button", name="ルートを閉じる").click()

    # From an alert (issue 19, item 6): headquarters order an evacuation for floods and open the
    # shelters suited to them; the alert's nearest open shelters each have a route, which avoids
    # flood zones from the place chosen above.
    engine = create_async_engine(routed.url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "WITH e AS (INSERT INTO disaster_event (id, hazard_type, name) "
                    "VALUES (gen_random_uuid(), 'flood', '見本川洪水') RETURNING id) "
                    "INSERT INTO shelter_operation (id, event_id, facility_id, capacity) "
                    "SELECT gen_random_uuid(), e.id, f.id, 100 FROM e, facility f "
                    "WHERE 'flood' = ANY(f.suitable_hazards) AND f.withdrawn_at IS NULL"
                )
            )
    finally:
        await engine.dispose()
    async with httpx.AsyncClient(base_url=routed_server.url, timeout=30) as hq:
        signed = await hq.post("/api/auth/login", json={"email": PREF_HQ, "password": DEMO_PASSWORD})
        assert signed.status_code == 200, signed.text
        issued = await hq.post(
            "/api/alerts",
            headers={"X-CSRF-Token": signed.json()["csrfToken"]},
            json={"hazard": "flood", "level": 4, "municipalities": [CITY]},
        )
        assert issued.status_code == 201, issued.text
    await page.evaluate(f"location.hash = '#/resident/alerts/{issued.json()['id']}'")  # the app keeps its place
    listed = page.locator("ul.alert-shelters > li")
    await expect(listed.first).to_be_visible()
    target = (await listed.first.locator("strong").inner_text()).strip()
    await listed.first.get_by_role("button", name="ここへの避難ルート").click()
    await expect(page).to_have_url(f"{routed_server.url}/#/resident/map")
    panel = page.get_by_test_id("route-panel")
    await expect(panel.get_by_role("heading", level=2)).to_contain_text(target)
    assert await panel.get_by_label("避ける災害").input_value() == "flood"
    await expect(panel.get_by_test_id("route-result")).to_have_attribute("data-hazard", "flood")
    assert await panel.get_by_test_id("route-result").get_attribute("data-computed-on") == "server"
    await page.screenshot(path=str(ARTIFACTS / "route-from-alert.png"))
    engine = create_async_engine(routed.url)
    try:
        async with engine.begin() as connection:  # the next test's nearest list as it was
            await connection.execute(text("DELETE FROM disaster_event WHERE name = '見本川洪水'"))
    finally:
        await engine.dispose()


async def test_offline_the_route_is_computed_on_the_device_with_the_servers_length(
    context: BrowserContext, routed_server: Server
) -> None:
    own = routed_server  # the browser goes offline: nothing it asks reaches the server
    shelter = await first_shelter(own, walking=False)
    expected = {hazard: await server_route(own, shelter["id"], hazard=hazard) for hazard in ("earthquake", "flood")}
    async with httpx.AsyncClient(base_url=own.url) as client:
        manifest = (await client.get(f"/api/packs/{CITY}")).json()
    assert manifest["graph"] is not None and manifest["graph"]["edges"] > 1000
    page = await context.new_page()
    await page.goto(f"{own.url}/#/resident/offline")
    row = page.locator(f"li[data-code='{CITY}']")
    await row.get_by_role("button", name="見本市をダウンロード").click()
    await expect(row.get_by_role("status")).to_contain_text("保存しました", timeout=60_000)
    await page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30_000)
    await context.set_offline(True)
    await page.goto(f"{own.url}/#/resident/map")
    await expect(page.get_by_text("オフラインです")).to_be_visible()
    layer = f"facilities@{CITY}-v{manifest['version']}"
    await page.wait_for_function(
        f"() => window.__bosaiMap?.getLayer('{layer}') ? "
        f"window.__bosaiMap.queryRenderedFeatures({{layers: ['{layer}']}}).length > 0 : false",
        timeout=30_000,
    )
    await choose_start(page)
    nearest = page.locator("section[aria-labelledby=nearest-title]")
    await nearest.get_by_label("災害の種類").select_option("earthquake")
    first = nearest.locator("ol.nearest > li").first
    await expect(first).to_contain_text(shelter["properties"]["name"])
    await first.get_by_role("button", name="ルート").click()

    panel = page.get_by_test_id("route-panel")
    result = panel.get_by_test_id("route-result")
    await expect(result).to_have_attribute("data-computed-on", "device", timeout=30_000)
    await expect(panel).to_contain_text("この端末が計算しました")
    summary = panel.get_by_test_id("route-summary")
    for hazard in ("earthquake", "flood"):
        await panel.get_by_label("避ける災害").select_option(hazard)
        await expect(result).to_have_attribute("data-hazard", hazard, timeout=30_000)
        await expect(result).to_have_attribute("data-computed-on", "device")
        on_device = float(await summary.get_attribute("data-length-m") or 0)
        assert on_device == pytest.approx(expected[hazard]["lengthM"], rel=0.01), hazard
    await page.wait_for_function(f"() => ({ROUTE_DRAWN}) > 0", timeout=30_000)
    await page.screenshot(path=str(ARTIFACTS / "route-offline.png"))
    assert await serious_violations(page) == []
