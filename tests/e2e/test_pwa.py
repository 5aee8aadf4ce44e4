"""The PWA in a real browser at 360×640: map, facility sheet, panels, languages, accessibility,
and a reload with the server stopped and the network gone."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, Route, expect
from sqlalchemy.ext.asyncio import create_async_engine

from server.households.qr import check_signature
from server.lib.keys import unb64
from server.packs.worker import build_packs
from server.settings import PackSettings
from tests.conftest import settings_for
from tests.e2e.conftest import ARTIFACTS, AXE, DIST, LOADED_IMAGE, PHONE, Demo, Server

SCREENS = [
    "#/resident/map",
    "#/resident/shelters",
    "#/resident/offline",
    "#/resident/myinfo",
    "#/resident/alerts",
    "#/resident/family",
    "#/resident/outbox",
    "#/staff/shelter",
    "#/staff/scan",
    "#/staff/walkin",
    "#/hq/dashboard",
]
# Waited for as functions: a string expression is eval'd in the page, which the app's CSP refuses.
RENDERED_FACILITIES = "window.__bosaiMap?.queryRenderedFeatures({layers: ['facilities']}).length ?? 0"
SETTLED = f"window.__bosaiMap?.areTilesLoaded() && !window.__bosaiMap.isMoving() && ({RENDERED_FACILITIES}) > 0"


async def open_map(page: Page, server: Server) -> None:
    await page.goto(f"{server.url}/#/resident/map")
    await page.wait_for_function(f"() => {RENDERED_FACILITIES} > 0", timeout=30_000)


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated, not added as an inline <script>: the app's Content-Security-Policy refuses those.
        await page.evaluate(AXE.read_text(encoding="utf-8"))
    result = await page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def test_the_map_shows_facilities_and_a_tap_opens_its_sheet(page: Page, server: Server) -> None:
    await open_map(page, server)
    facility = await page.evaluate(
        """() => {
            const map = window.__bosaiMap;
            const box = map.getCanvas().getBoundingClientRect();
            const inside = map.queryRenderedFeatures({layers: ['facilities']}).map((f) => {
                const p = map.project(f.geometry.coordinates);
                return {id: f.properties.id, name: f.properties.name, x: box.left + p.x, y: box.top + p.y};
            }).filter((f) => f.x > box.left + 30 && f.x < box.right - 60
                && f.y > box.top + 30 && f.y < box.bottom - 30);
            return inside[0];
        }"""
    )
    assert facility, "no facility symbol inside the visible map"
    await page.mouse.click(facility["x"], facility["y"])
    sheet = page.locator("dialog.sheet")
    await expect(sheet).to_be_visible()
    await expect(sheet.locator("h2")).to_have_text(facility["name"])
    async with httpx.AsyncClient() as client:
        details = await client.get(f"{server.url}/api/facilities/{facility['id']}")
    address = details.json()["properties"]["address"]
    if address:
        await expect(sheet).to_contain_text(address)
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "facility-sheet.png"))
    await sheet.get_by_role("button", name="閉じる").click()
    await expect(sheet).to_be_hidden()


async def test_before_maplibre_arrives_a_sketch_shows_the_map_and_a_tap_opens_a_sheet(
    page: Page, server: Server
) -> None:
    """On a weak signal MapLibre takes seconds more than our tiles: the sketch draws the same view
    first. Here MapLibre never arrives, as on a signal that drops mid-download."""
    # MapLibre's own chunk and the map view's (a shared chunk of the shell may carry a name like
    # "maplibre-gl-worker-<hash>": the pattern takes the hash's exact length, 8).
    await page.route(re.compile(r"/assets/(maplibre|MapView)-[\w-]{8}\.js$"), lambda route: route.abort())
    await page.goto(f"{server.url}/#/resident/map")
    sketch = page.locator("canvas.sketch[data-drawn=true]")
    await expect(sketch).to_be_visible()
    drawn = await page.evaluate("window.__bosaiSketch")
    box = await sketch.bounding_box()
    assert box is not None
    # Below the status line ("loading the full map"), away from the edges.
    inside = [f for f in drawn if 20 < f["x"] < box["width"] - 20 and 60 < f["y"] < box["height"] - 20]
    assert inside, f"no facility drawn inside the sketch: {drawn[:5]}"
    await page.mouse.click(box["x"] + inside[0]["x"], box["y"] + inside[0]["y"])
    sheet = page.locator("dialog.sheet")
    await expect(sheet).to_be_visible(timeout=15_000)  # the sheet asks the server first
    async with httpx.AsyncClient() as client:
        name = (await client.get(f"{server.url}/api/facilities/{inside[0]['id']}")).json()["properties"]["name"]
    await expect(sheet.locator("h2")).to_have_text(name)
    await sheet.get_by_role("button", name="閉じる").click()
    # The other panels work meanwhile, and the page stays accessible.
    await page.get_by_role("button", name="現在地").first.wait_for()
    assert await serious_violations(page) == []


async def test_language_is_switchable_and_remembered(page: Page, server: Server) -> None:
    await page.goto(f"{server.url}/#/resident/map")
    nav = page.get_by_role("navigation", name="画面")
    await expect(nav.get_by_role("link", name="地図", exact=True)).to_be_visible()
    await page.get_by_label("言語").select_option("en")
    screens = page.get_by_role("navigation", name="Screens")
    await expect(screens.get_by_role("link", name="Map", exact=True)).to_be_visible()
    assert await page.evaluate("document.documentElement.lang") == "en"
    await page.reload()
    await expect(page.get_by_role("heading", name="Bosai")).to_be_visible()  # remembered
    await page.get_by_label("Language").select_option("easy")
    await expect(page.get_by_role("link", name="ちず", exact=True)).to_be_visible()
    assert await page.evaluate("document.documentElement.lang") == "ja"


async def test_risk_here_and_nearest_shelters_answer_for_a_chosen_place(page: Page, server: Server) -> None:
    await open_map(page, server)
    centre = await page.evaluate("(() => { const c = window.__bosaiMap.getCenter(); return [c.lat, c.lng]; })()")
    await page.get_by_role("button", name="地図の中心の危険を調べる").click()
    risk = page.locator("section[aria-labelledby=risk-title]")
    await expect(risk).not_to_contain_text("調べています")
    async with httpx.AsyncClient(base_url=server.url) as client:
        zones = (await client.get(f"/api/hazards/at?lat={centre[0]:.6f}&lon={centre[1]:.6f}")).json()["zones"]
    if zones:  # one line (and what to do) per hazard
        await expect(risk.locator("li")).to_have_count(len({z["hazardType"] for z in zones}))
    else:
        await expect(risk).to_contain_text("ハザード区域に入っていません")
    nearest = page.locator("section[aria-labelledby=nearest-title]")
    await nearest.get_by_label("災害の種類").select_option("earthquake")
    await expect(nearest.locator("ol.nearest > li")).to_have_count(5)
    await expect(nearest.locator("ol.nearest > li").first).to_contain_text("徒歩")
    await nearest.locator("ol.nearest > li").first.get_by_role("button").first.click()
    await expect(page.locator("dialog.sheet")).to_contain_text("地震")


@pytest.mark.parametrize("screen", SCREENS)
async def test_every_screen_has_no_serious_accessibility_violation(page: Page, server: Server, screen: str) -> None:
    await page.goto(f"{server.url}/{screen}")
    await expect(page.locator("main h2").first).to_be_visible()
    if screen == "#/resident/map":
        await page.wait_for_function(f"() => {RENDERED_FACILITIES} > 0", timeout=30_000)
        await page.locator("details.legend summary").click()
    assert await serious_violations(page) == []
    # Touch targets: every visible control is at least 44×44 CSS pixels (checkboxes by their label).
    small = await page.evaluate(
        """() => [...document.querySelectorAll('button, select, nav a, a.button, label.toggle, summary')]
            .filter((e) => e.offsetParent !== null && !e.closest('.maplibregl-ctrl'))
            .map((e) => ({text: e.textContent.trim().slice(0, 30), box: e.getBoundingClientRect()}))
            .filter(({box}) => box.width < 44 || box.height < 44)
            .map(({text, box}) => `${text}: ${Math.round(box.width)}x${Math.round(box.height)}`)"""
    )
    assert small == []


async def test_the_facility_sheet_passes_axe_in_english(page: Page, server: Server) -> None:
    await page.goto(f"{server.url}/#/resident/map")
    await page.get_by_label("言語").select_option("en")
    await page.wait_for_function(f"() => {RENDERED_FACILITIES} > 0", timeout=30_000)
    await page.get_by_role("button", name="Check the centre of the map").click()
    await page.locator("ol.nearest > li").first.get_by_role("button").first.click()
    await expect(page.locator("dialog.sheet dl")).to_be_visible()
    assert await serious_violations(page) == []


async def test_static_files_are_cached_right(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        index = await client.get("/")
        assert index.headers["cache-control"] == "no-cache"
        for path in ("/sw.js", "/manifest.webmanifest"):
            assert (await client.get(path)).headers["cache-control"] == "no-cache"
        script = index.text.split('src="', 1)[1].split('"', 1)[0]
        assert script.startswith("/assets/")
        assert "immutable" in (await client.get(script)).headers["cache-control"]
        # The build's precompressed copy, as Chromium asks for it: a third of the script or less.
        chromium = await client.get(script, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
        assert chromium.headers["content-encoding"] == "br" and chromium.headers["vary"] == "Accept-Encoding"
        plain = await client.get(script, headers={"Accept-Encoding": "identity"})
        assert chromium.num_bytes_downloaded < len(plain.content) / 3
        manifest = (await client.get("/manifest.webmanifest")).json()
    assert manifest["display"] == "standalone" and manifest["theme_color"]
    assert {"any", "maskable"} == {icon["purpose"] for icon in manifest["icons"]}
    assert manifest["name"] and manifest["translations"]["en"]["name"]


async def test_offline_the_shell_and_the_last_seen_data_still_render(context: BrowserContext, demo: Demo) -> None:
    own = Server(demo)  # stopped mid-test
    try:
        page = await context.new_page()
        await page.goto(f"{own.url}/#/resident/map")
        await page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30_000)
        await page.reload()  # now every request goes through the service worker and is kept
        await page.wait_for_function(f"() => {SETTLED}", timeout=30_000)
        online = await page.evaluate(RENDERED_FACILITIES)
        await page.get_by_role("button", name="地図の中心の危険を調べる").click()
        await expect(page.locator("ol.nearest > li").first).to_be_visible()
    finally:
        own.stop()
    await context.set_offline(True)
    await page.reload()
    await expect(page.get_by_role("heading", name="防災")).to_be_visible()
    await expect(page.get_by_text("オフラインです")).to_be_visible()
    await page.wait_for_function(f"() => {SETTLED}", timeout=30_000)
    assert await page.evaluate(RENDERED_FACILITIES) == online  # the same map, from cached tiles
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "offline.png"))
    manifest = json.loads(await page.evaluate("fetch('/manifest.webmanifest').then((r) => r.text())"))
    assert manifest["short_name"] == "防災"  # precached shell
    await page.get_by_role("button", name="地図の中心の危険を調べる").click()
    await expect(page.locator("ol.nearest > li").first).to_be_visible()  # the last answer, from the cache


async def test_the_app_is_installable(page: Page, server: Server) -> None:
    await page.goto(f"{server.url}/#/resident/map")
    await page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30_000)
    cdp = await page.context.new_cdp_session(page)
    errors = (await cdp.send("Page.getInstallabilityErrors"))["installabilityErrors"]
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == []


async def test_a_larger_system_text_size_is_honoured(page: Page, server: Server) -> None:
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 24}})  # the user's text size, 150%
    await page.goto(f"{server.url}/#/resident/map")
    await expect(page.locator("main h2").first).to_be_visible()
    assert await page.evaluate("getComputedStyle(document.documentElement).fontSize") == "24px"
    heading = await page.evaluate("parseFloat(getComputedStyle(document.querySelector('main h2')).fontSize)")
    assert heading >= 24 * 1.25  # headings scale with it
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll


async def test_a_new_version_is_offered_and_loaded_on_reload(
    context: BrowserContext, demo: Demo, tmp_path: Path
) -> None:
    static = tmp_path / "dist"
    shutil.copytree(DIST, static)
    own = Server(demo, static)
    try:
        page = await context.new_page()
        await page.goto(f"{own.url}/#/resident/map")
        await page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30_000)
        first = await page.evaluate("navigator.serviceWorker.controller.scriptURL")
        with (static / "sw.js").open("a") as worker:
            worker.write("\n// a new release\n")
        await page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
        banner = page.get_by_role("alert")
        await expect(banner).to_contain_text("新しいバージョンがあります", timeout=30_000)
        async with page.expect_event("load", timeout=30_000):
            await banner.get_by_role("button", name="再読み込み").click()
        await expect(page.get_by_text("新しいバージョンがあります")).to_be_hidden()
        script = await page.evaluate("fetch('/sw.js', {cache: 'no-store'}).then((r) => r.text())")
        assert script.endswith("// a new release\n")
        # The new worker took over: none is left waiting, and it controls the reloaded page.
        assert await page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.waiting === null)")
        assert await page.evaluate("navigator.serviceWorker.controller.scriptURL") == first
    finally:
        own.stop()


async def test_hazard_types_can_be_hidden_from_the_legend(page: Page, server: Server) -> None:
    await open_map(page, server)
    await page.locator("details.legend summary").click()
    flood = page.get_by_role("checkbox", name="洪水")
    await expect(flood).to_be_checked()
    await flood.uncheck()
    visibility = "window.__bosaiMap.getLayoutProperty('hazard-flood', 'visibility')"
    assert await page.evaluate(visibility) == "none"
    await page.wait_for_function(
        "() => window.__bosaiMap.queryRenderedFeatures({layers: ['hazard-flood']}).length === 0"
    )
    await flood.check()
    assert await page.evaluate(visibility) == "visible"


async def test_locate_me_checks_the_risk_where_the_phone_is(context: BrowserContext, server: Server) -> None:
    await context.grant_permissions(["geolocation"], origin=server.url)
    await context.set_geolocation({"latitude": 40.80, "longitude": 140.76})
    page = await context.new_page()
    await page.goto(f"{server.url}/#/resident/map")
    await page.get_by_role("button", name="現在地", exact=True).click()
    risk = page.locator("section[aria-labelledby=risk-title]")
    await expect(risk).to_contain_text("現在地")
    async with httpx.AsyncClient(base_url=server.url) as client:
        zones = (await client.get("/api/hazards/at?lat=40.8&lon=140.76")).json()["zones"]
    assert zones  # the demo city's centre lies in hazard zones
    await expect(risk.locator("li")).to_have_count(len({z["hazardType"] for z in zones}))


async def _download(page: Page, server: Server, name: str, code: str) -> None:
    await page.goto(f"{server.url}/#/resident/offline")
    row = page.locator(f"li[data-code='{code}']")
    await row.get_by_role("button", name=f"{name}をダウンロード").click()
    await expect(row.get_by_role("status")).to_contain_text("保存しました", timeout=30_000)
    await expect(page.locator(f"li[data-stored='{code}']")).to_contain_text("第1版")


async def test_a_downloaded_pack_keeps_the_map_and_its_answers_offline(context: BrowserContext, demo: Demo) -> None:
    own = Server(demo)  # stopped mid-test
    lat, lon = 40.80, 140.76  # the demo city's centre, inside several hazard zones
    try:
        async with httpx.AsyncClient(base_url=own.url) as client:
            zones = (await client.get(f"/api/hazards/at?lat={lat}&lon={lon}")).json()["zones"]
            nearest = (await client.get(f"/api/facilities/nearest?lat={lat}&lon={lon}&hazard=earthquake")).json()
        page = await context.new_page()
        await _download(page, own, "見本市", "029998")
    finally:
        own.stop()
    await context.set_offline(True)
    await page.goto(f"{own.url}/#/resident/map")
    await expect(page.get_by_text("オフラインです")).to_be_visible()
    await expect(page.get_by_text("時点のものです")).to_be_visible()  # how old the data is
    pack = "@029998-v1"
    layer = f"facilities{pack}"
    rendered = (
        f"window.__bosaiMap?.getLayer('{layer}') ? "
        f"window.__bosaiMap.queryRenderedFeatures({{layers: ['{layer}']}}).length : 0"
    )
    await page.wait_for_function(f"() => ({rendered}) > 0", timeout=30_000)
    hazards = await page.evaluate(
        f"window.__bosaiMap.queryRenderedFeatures().filter((f) => f.layer.id.endsWith('{pack}')"
        " && f.layer.id.startsWith('hazard-')).length"
    )
    assert hazards > 0
    assert await page.evaluate("window.__bosaiMap.getLayoutProperty('facilities', 'visibility')") == "none"
    await expect(page.locator(".map-status.error")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "offline-pack.png"))

    # "Risk here" and the nearest shelters, computed in the browser from the pack.
    await page.evaluate(f"window.__bosaiMap.jumpTo({{center: [{lon}, {lat}], zoom: 14}})")
    await page.get_by_role("button", name="地図の中心の危険を調べる").click()
    risk = page.locator("section[aria-labelledby=risk-title]")
    await expect(risk.locator("li")).to_have_count(len({z["hazardType"] for z in zones}))
    for zone in {z["hazardType"] for z in zones}:
        label = {"flood": "洪水", "tsunami": "津波", "landslide": "土砂災害", "storm_surge": "高潮"}.get(zone)
        if label:
            await expect(risk).to_contain_text(label)
    panel = page.locator("section[aria-labelledby=nearest-title]")
    await panel.get_by_label("災害の種類").select_option("earthquake")
    first = nearest["features"][0]["properties"]["name"]
    await expect(panel.locator("ol.nearest > li").first).to_contain_text(first)
    await expect(panel.locator("ol.nearest > li")).to_have_count(5)
    await panel.locator("ol.nearest > li").first.get_by_role("button").first.click()
    await expect(page.locator("dialog.sheet h2")).to_have_text(first)  # details from the pack's facility list
    await page.locator("dialog.sheet").get_by_role("button", name="閉じる").click()
    # By default, offline too: away from the flood zone here, and no live shelter status claimed.
    await panel.get_by_label("災害の種類").select_option("")
    await expect(panel.get_by_test_id("left-out")).to_contain_text("洪水")
    await expect(panel).to_contain_text("オフラインのため、避難所が開いているか")
    await expect(panel.locator("ol.nearest > li[data-status=none]")).to_have_count(5)


async def test_a_corrupted_download_is_refused_and_the_stored_pack_kept(
    context: BrowserContext, demo: Demo, server: Server
) -> None:
    page = await context.new_page()
    await _download(page, server, "見本町", "029980")
    settings = replace(settings_for(demo.url), packs=PackSettings(folder=demo.packs))
    await build_packs(settings, ["029980"])  # version 2 on the server

    async def corrupt(route: Route) -> None:
        response = await route.fetch()
        body = bytearray(await response.body())
        body[len(body) // 2] ^= 0xFF
        await route.fulfill(response=response, body=bytes(body))

    await page.route("**/packs/029980/2.pmtiles", corrupt)
    await page.reload()
    row = page.locator("li[data-code='029980']")
    await expect(row).to_contain_text("新しい版（第2版）があります")
    await row.get_by_role("button", name="見本町を更新").click()
    await expect(row.get_by_role("alert")).to_contain_text("壊れていた")
    stored = page.locator("li[data-stored='029980']")
    await expect(stored).to_contain_text("第1版")  # the old pack stays
    await page.unroute("**/packs/029980/2.pmtiles")
    await row.get_by_role("button", name="見本町を更新").click()
    await expect(stored).to_contain_text("第2版", timeout=30_000)


async def test_a_resident_registers_a_household_and_gets_a_signed_qr(page: Page, server: Server) -> None:
    await page.goto(f"{server.url}/#/resident/myinfo")
    recovery = page.get_by_role("alert").filter(has_text="回復コード")
    await expect(recovery).to_be_visible()  # the account was made on opening; its code shown once
    await recovery.get_by_role("button", name="書き留めました").click()
    member = page.get_by_role("group", name="家族 1")
    await member.get_by_label("名前").fill("山田花子")
    await member.get_by_label("生年月日").fill("1948-04-02")
    await member.get_by_label("移動").select_option("wheelchair")
    await member.get_by_label("アレルギー").fill("そば")
    await expect(page.locator("p.save-state").first).to_have_text("保存しました。", timeout=15_000)
    saved = await page.evaluate("fetch('/api/households/me').then((r) => r.json())")
    assert saved["members"][0]["name"] == "山田花子" and saved["members"][0]["careNeeds"]["allergy"] == "そば"

    # The button is there as soon as the first save is sent, without leaving the screen.
    await page.get_by_role("button", name="QRコードを表示").click()
    image = page.get_by_role("img", name="世帯のQRコード（避難所の受付で見せてください）")
    await expect(image).to_be_visible()
    # Full screen over the app's headers, "close" in the first screen and focused.
    close = page.get_by_role("dialog").get_by_role("button", name="閉じる")
    await expect(close).to_be_focused()
    box = await close.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"], box
    assert await page.evaluate("document.elementFromPoint(180, 5).closest('.qr-full') !== null")
    await page.wait_for_function(LOADED_IMAGE, arg=await image.element_handle())
    codes = await page.evaluate("fetch('/api/households/me/qr').then((r) => r.json())")
    async with httpx.AsyncClient(base_url=server.url) as client:
        keys = (await client.get("/api/qr/keys")).json()["keys"]
    parsed = check_signature(codes["household"], {k["kid"]: unb64(k["publicKey"]) for k in keys})
    assert parsed.kind == "household" and parsed.counter == 1
    assert not any(word in codes["household"] for word in ("山田", "花子", "そば", "1948"))
    assert await serious_violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "household-qr.png"))


async def test_a_passkey_brings_the_household_to_a_new_session(context: BrowserContext, server: Server) -> None:
    local = server.url.replace("127.0.0.1", "localhost")  # WebAuthn needs a domain: localhost is one
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    await page.goto(f"{local}/#/resident/myinfo")
    await page.get_by_role("button", name="書き留めました").click()
    await page.get_by_role("group", name="家族 1").get_by_label("名前").fill("佐藤次郎")
    await expect(page.locator("p.save-state").first).to_have_text("保存しました。", timeout=15_000)
    first = (await page.evaluate("fetch('/api/auth/me').then((r) => r.json())"))["id"]
    await page.get_by_role("button", name="パスキーを追加").click()
    await expect(page.get_by_text("パスキーを追加しました。")).to_be_visible()

    await context.clear_cookies()  # as on a new phone: a new, empty account is made on opening
    await page.evaluate("localStorage.clear()")
    await page.reload()
    await page.get_by_role("button", name="書き留めました").click()
    assert (await page.evaluate("fetch('/api/auth/me').then((r) => r.json())"))["id"] != first
    await page.get_by_role("button", name="パスキーでサインイン").click()
    await expect(page.get_by_text("サインインしました。")).to_be_visible()
    assert (await page.evaluate("fetch('/api/auth/me').then((r) => r.json())"))["id"] == first
    await expect(page.get_by_role("group", name="家族 1").get_by_label("名前")).to_have_value("佐藤次郎")


async def test_my_info_is_kept_offline_and_sent_when_the_network_returns(
    context: BrowserContext, server: Server
) -> None:
    page = await context.new_page()
    await page.goto(f"{server.url}/#/resident/myinfo")
    await page.get_by_role("button", name="書き留めました").click()
    name = page.get_by_role("group", name="家族 1").get_by_label("名前")
    await name.fill("鈴木一子")
    await expect(page.locator("p.save-state").first).to_have_text("保存しました。", timeout=15_000)
    await page.reload()
    await page.get_by_role("button", name="QRコードを表示").click()
    await expect(page.get_by_role("img", name="世帯のQRコード（避難所の受付で見せてください）")).to_be_visible()
    await page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30_000)
    await page.reload()  # the page and its QR code now come through the service worker

    await context.set_offline(True)
    await page.reload()
    await page.get_by_role("button", name="QRコードを表示").click()  # the code shows with no network
    image = page.get_by_role("img", name="世帯のQRコード（避難所の受付で見せてください）")
    await expect(image).to_be_visible()
    await page.wait_for_function(LOADED_IMAGE, arg=await image.element_handle())
    await page.get_by_role("button", name="閉じる").click()
    await name.fill("鈴木一子（改）")
    await expect(page.locator("p.save-state").first).to_have_text(
        "この端末に保存しました。通信が戻ったら送ります。", timeout=15_000
    )
    await context.set_offline(False)
    await page.evaluate("window.dispatchEvent(new Event('online'))")
    await expect(page.locator("p.save-state").first).to_have_text("保存しました。", timeout=30_000)
    saved = await page.evaluate("fetch('/api/households/me').then((r) => r.json())")
    assert saved["members"][0]["name"] == "鈴木一子（改）"


async def test_staff_sign_in_on_the_staff_screens(page: Page, server: Server, demo: Demo) -> None:
    from server.demo import DEMO_PASSWORD, demo_accounts

    engine = create_async_engine(demo.url)
    try:
        accounts = await demo_accounts(engine)
    finally:
        await engine.dispose()
    email = next(e for e, what in accounts if what == "shelter staff")
    await page.goto(f"{server.url}/#/staff/shelter")
    await page.get_by_label("メールアドレス").fill(email)
    await page.get_by_label("パスワード").fill("wrong password 123")
    await page.get_by_role("button", name="サインイン", exact=True).click()
    await expect(page.get_by_role("alert")).to_contain_text("サインインできません")
    await page.get_by_label("パスワード").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="サインイン", exact=True).click()
    await expect(page.get_by_text(f"{email} でサインイン中（staff）")).to_be_visible()
    assert await serious_violations(page) == []
    await page.get_by_text(f"{email} でサインイン中（staff）").click()  # the account menu opens
    await page.get_by_role("button", name="サインアウト").click()
    await expect(page.get_by_label("メールアドレス")).to_be_visible()
