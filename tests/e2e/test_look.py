"""How the screens look and read at 360×640, in every language, at 200 % text and in the dark: no
sideways scrolling (WCAG 1.4.4, 1.4.10), tab bars that never scroll inside themselves (behind one
menu button at 200 %), the language's name whole in its select, one language per screen (English names where the data
has them, Japanese marked lang="ja" where it has none), the flood depth colours of Japanese hazard
maps in map and legend, and axe clean in the light and the dark scheme."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Geolocation, Page, expect
from sqlalchemy.ext.asyncio import create_async_engine

from server.demo import DEMO_PASSWORD, demo_accounts, demo_event
from server.lib.keys import Keys
from tests.conftest import TEST_KEYS
from tests.e2e.conftest import ARTIFACTS, PHONE, Demo, Server
from tests.e2e.test_pwa import RENDERED_FACILITIES, serious_violations

LANGUAGES = ["ja", "en", "easy"]
STAFF = "staff@demo.bosai.example"
# The demo city's centre, inside hazard zones (the risk and nearest panels have something to say).
HOME: Geolocation = {"latitude": 40.80, "longitude": 140.76}
RESIDENT = ["map", "shelters", "myinfo", "offline"]
STAFF_SCREENS = ["shelter", "scan", "walkin"]
# 国土交通省「水害ハザードマップ作成の手引き」: the depth bands' standard colours, shallow to deep.
FLOOD_BANDS = [
    "rgb(247, 245, 169)",  # < 0.5 m
    "rgb(255, 216, 192)",  # 0.5–3 m
    "rgb(255, 183, 183)",  # 3–5 m
    "rgb(255, 145, 145)",  # 5–10 m
    "rgb(242, 133, 201)",  # 10–20 m
    "rgb(220, 122, 220)",  # ≥ 20 m
]
# Japanese script (kana and kanji) outside lang="ja": an English screen has none.
UNMARKED_JAPANESE = r"""() => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const found = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const element = node.parentElement;
        if (!/[\u3040-\u30ff\u3400-\u9fff]/.test(node.data) || element.closest('[hidden], script, style')) continue;
        if (element.offsetParent === null && getComputedStyle(element).position !== 'fixed') continue;
        const lang = element.closest('[lang]')?.getAttribute('lang') ?? '';
        if (!lang.startsWith('ja')) found.push(node.data.trim().slice(0, 40));
    }
    return found;
}"""
# Asked only once the layer exists: asked earlier, MapLibre reports an error the map screen shows.
FACILITIES_SHOWN = f"window.__bosaiMap?.getLayer('facilities') !== undefined && ({RENDERED_FACILITIES}) > 0"
SIDEWAYS = "document.scrollingElement.scrollWidth - window.innerWidth"
# Tab bars shown that scroll inside themselves (a tab out of sight): their class and the pixels hidden.
NAV_SCROLLS = """() => [...document.querySelectorAll('nav')].filter((n) => n.offsetParent !== null)
    .map((n) => [n.className, n.scrollWidth - n.clientWidth]).filter(([, over]) => over > 0)"""
# Pixels the language select lacks for the chosen language's name beside its arrow (its text box
# against the name drawn in the select's font, and 16 px for the arrow): > 0 is a name cut off.
LANGUAGE_CUT = """() => {
    const select = document.querySelector('.language select');
    const probe = document.createElement('span');
    probe.style.cssText = `font: ${getComputedStyle(select).font}; white-space: pre; position: absolute`;
    probe.textContent = select.selectedOptions[0].textContent;
    document.body.append(probe);
    const needed = probe.getBoundingClientRect().width;
    probe.remove();
    const style = getComputedStyle(select);
    return needed + 16 - (select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight));
}"""
# What sticks out on the right, innermost first: the culprits named in the failure.
STICKING_OUT = """() => [...document.querySelectorAll('body *')]
    .filter((e) => !e.parentElement.closest('nav, .table-wrap, .maplibregl-map'))
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5
        && ![...e.children].some((c) => c.getBoundingClientRect().right > window.innerWidth + 0.5))
    .slice(0, 5)
    .map((e) => `${e.tagName.toLowerCase()}.${e.className}: ${Math.round(e.getBoundingClientRect().right)}px`)"""


@pytest.fixture(scope="module")
async def operations(demo: Demo) -> None:
    """The demo's accounts and its open event (shelters open, with names to show)."""
    engine = create_async_engine(demo.url)
    try:
        await demo_accounts(engine)
        keys = Keys(base64.b64decode(TEST_KEYS["BOSAI_DATA_KEY"]), base64.b64decode(TEST_KEYS["BOSAI_QR_KEY"]))
        await demo_event(engine, keys)
    finally:
        await engine.dispose()


async def new_page(browser: Browser, language: str, *, text_size: int = 100, dark: bool = False) -> Page:
    context = await browser.new_context(
        viewport=PHONE,
        locale="ja-JP",
        color_scheme="dark" if dark else "light",
        geolocation=HOME,
        permissions=["geolocation"],
    )
    await context.add_init_script(f"localStorage.setItem('bosai.language', '{language}')")
    page = await context.new_page()
    if text_size != 100:  # the user's text size, as the browser's settings set it
        cdp = await context.new_cdp_session(page)
        await cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 16 * text_size // 100}})
    return page


async def sign_in(page: Page, server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        assert (await client.get("/readyz")).status_code == 200
    await page.goto(f"{server.url}/#/staff/shelter")
    await page.locator("input[type=email]").fill(STAFF)
    await page.locator("input[type=password]").fill(DEMO_PASSWORD)
    await page.locator("form button[type=submit]").first.click()
    await expect(page.get_by_text(STAFF).first).to_be_visible()


async def show(page: Page, server: Server, area: str, screen: str) -> None:
    """The screen, settled: on the map a place located (risk and nearest answered), legend open."""
    await page.goto(f"{server.url}/#/{area}/{screen}")
    await expect(page.locator("main h2").first).to_be_visible()
    if screen == "map":
        await page.wait_for_function(f"() => {FACILITIES_SHOWN}", timeout=30_000)
        await page.locator(".locate button").click()
        await expect(page.locator("ol.nearest > li").first).to_be_visible(timeout=15_000)
        await expect(page.locator("ul.zones > li").first).to_be_visible()
        await page.locator("details.legend summary").click()
    elif screen == "shelters":
        await expect(page.locator("ul.open-shelters > li").first).to_be_visible(timeout=15_000)
    elif screen == "offline":
        await expect(page.locator("li[data-code]").first).to_be_visible(timeout=15_000)
    elif area == "staff":
        await page.wait_for_load_state("networkidle")


async def snapshot(page: Page, name: str) -> None:
    """A picture of the first screen, for people to compare with earlier ones."""
    folder = ARTIFACTS / "look"
    folder.mkdir(parents=True, exist_ok=True)
    if name.startswith("map-"):  # the legend, as far as a screen shows of it
        await page.locator("details.legend").scroll_into_view_if_needed()
        await page.screenshot(path=str(folder / f"legend-{name.removeprefix('map-')}.png"))
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(folder / f"{name}.png"))


# One walk per language and look checks both: every language at 100 % and 200 % text, and axe
# in the light and the dark scheme (a walk of every screen costs a dozen seconds or more).
@pytest.mark.parametrize(("text_size", "dark"), [(100, False), (200, True)], ids=["100-light", "200-dark"])
@pytest.mark.parametrize("language", LANGUAGES)
async def test_no_screen_scrolls_sideways_and_every_screen_passes_axe(
    browser: Browser, server: Server, operations: None, language: str, text_size: int, dark: bool
) -> None:
    page = await new_page(browser, language, text_size=text_size, dark=dark)
    try:
        wide: dict[str, list[Any]] = {}
        tabs: dict[str, list[Any]] = {}
        found: dict[str, list[dict[str, Any]]] = {}
        for area, names in (("resident", RESIDENT), ("staff", STAFF_SCREENS)):
            if area == "staff":
                await sign_in(page, server)
            for screen in names:
                await show(page, server, area, screen)
                over = await page.evaluate(SIDEWAYS)
                if over > 0:
                    wide[screen] = [over, *await page.evaluate(STICKING_OUT)]
                scrolling = await page.evaluate(NAV_SCROLLS)
                if text_size == 200:  # the tab bars behind one button naming the screen, opened
                    menu = page.locator("button.nav-toggle")
                    await menu.click()
                    await expect(menu).to_have_attribute("aria-expanded", "true")
                    scrolling += await page.evaluate(NAV_SCROLLS)
                    await expect(page.locator("nav.screens a[aria-current=page]")).to_be_visible()
                    await menu.click()
                if scrolling:
                    tabs[screen] = scrolling
                await snapshot(page, f"{screen}-{language}-{text_size}{'-dark' if dark else ''}")
                violations = await serious_violations(page)
                if violations:
                    found[screen] = violations
        if dark:
            scheme = await page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
            assert scheme != "rgb(255, 255, 255)", "the dark scheme keeps a white page"
        assert wide == {}, f"pixels of sideways scroll per screen: {wide}"
        assert tabs == {}, f"tab bars scrolling inside themselves: {tabs}"
        assert await page.evaluate(LANGUAGE_CUT) <= 0, "the language select cuts the language's name"
        assert found == {}
    finally:
        await page.context.close()


async def test_english_screens_show_english_names_and_mark_the_japanese(
    browser: Browser, server: Server, operations: None
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        towns = (await client.get("/api/municipalities")).json()["municipalities"]
        nearest = (await client.get(f"/api/facilities/nearest?lat={HOME['latitude']}&lon={HOME['longitude']}")).json()
    english = {t["code"]: t["nameEn"] for t in towns if t["nameEn"]}
    assert english, "the demo city has an English name"
    page = await new_page(browser, "en")
    try:
        unmarked: dict[str, list[str]] = {}
        for area, names in (("resident", RESIDENT), ("staff", STAFF_SCREENS)):
            if area == "staff":
                await sign_in(page, server)
            for screen in names:
                await show(page, server, area, screen)
                body = await page.locator("main").inner_text()
                for code, name in english.items():
                    town = next(t["name"] for t in towns if t["code"] == code)
                    assert town not in body, f"{screen} shows {town} where {name} exists"
                found = await page.evaluate(UNMARKED_JAPANESE)
                if found:
                    unmarked[screen] = found
                if screen == "map":
                    listed = await page.locator("ol.nearest > li strong").all_inner_texts()
                    for feature in nearest["features"]:
                        if feature["properties"]["nameEn"]:
                            assert feature["properties"]["name"] not in listed
                if screen == "offline":
                    for code, name in english.items():
                        row = page.locator(f"li[data-code='{code}']")
                        button = row.get_by_role("button", name=f"Download {name}")
                        # As rendered, spaces and all (pieces of a flex box lose theirs).
                        await expect(button).to_contain_text(f"Download {name} (", use_inner_text=True)
                if screen == "shelters":
                    options = await page.locator("main select option").all_inner_texts()
                    if options:
                        assert set(english.values()) <= set(options)
        assert unmarked == {}, f"Japanese text outside lang=ja on English screens: {unmarked}"
    finally:
        await page.context.close()


async def test_the_legend_and_the_map_draw_flood_depth_in_the_graded_colours(browser: Browser, server: Server) -> None:
    page = await new_page(browser, "ja")
    try:
        await page.goto(f"{server.url}/#/resident/map")
        await page.wait_for_function(f"() => {FACILITIES_SHOWN}", timeout=30_000)
        await page.locator("details.legend summary").click()
        swatches = page.locator("[data-hazard='flood'] .bands .swatch")
        await expect(swatches).to_have_count(len(FLOOD_BANDS))
        colours = await swatches.evaluate_all("(all) => all.map((s) => getComputedStyle(s).backgroundColor)")
        assert colours == FLOOD_BANDS
        paint = await page.evaluate("JSON.stringify(window.__bosaiMap.getPaintProperty('hazard-flood', 'fill-color'))")
        for band in ("#f7f5a9", "#ffd8c0", "#ffb7b7", "#ff9191", "#f285c9", "#dc7adc"):
            assert band in paint.lower()
        # Each hazard type its own look in the legend: no two alike.
        looks = await page.locator("fieldset .toggle .swatch").evaluate_all(
            "(all) => all.map((s) => ['backgroundColor', 'backgroundImage', 'borderStyle']"
            ".map((p) => getComputedStyle(s)[p]).join(' '))"
        )
        assert len(set(looks)) == len(looks)
    finally:
        await page.context.close()
