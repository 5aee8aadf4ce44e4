"""Open shelters first and hazard-aware "nearest", in a real browser at 360×640: a crowded
shelter shows its state on the map and in the lists; a resident in a flood zone sees only places
outside it, and what to do there, without scrolling."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from playwright.async_api import BrowserContext, Geolocation, Page, expect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.e2e.conftest import ARTIFACTS, PHONE, Demo, Server
from tests.e2e.test_pwa import serious_violations

# The demo city's centre, inside the 0.5–3 m band of the river's flood zone.
HOME: Geolocation = {"latitude": 40.80, "longitude": 140.76}
NEAREST = f"/api/facilities/nearest?lat={HOME['latitude']}&lon={HOME['longitude']}"


@pytest.fixture(scope="module")
async def shelters(demo: Demo, server: Server) -> dict[str, dict[str, Any]]:
    """The three nearest places opened in a new event: the nearest full (4 of 4), the next crowded
    (9 of 10), the third open (1 of 50). Returns them by state."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        nearest = (await client.get(NEAREST)).json()["features"]
    chosen = dict(zip(("full", "crowded", "open"), nearest[:3], strict=True))
    engine = create_async_engine(demo.url)
    try:
        async with engine.begin() as connection:
            event = await connection.scalar(
                text(
                    "INSERT INTO disaster_event (id, hazard_type, name) "
                    "VALUES (gen_random_uuid(), 'flood', '見本川洪水') RETURNING id"
                )
            )
            for state, capacity, people in (("full", 4, 4), ("crowded", 10, 9), ("open", 50, 1)):
                values = {"e": event, "f": chosen[state]["id"], "c": capacity, "n": people, "k": uuid.uuid4().hex}
                await connection.execute(
                    text(
                        "INSERT INTO shelter_operation (id, event_id, facility_id, capacity) "
                        "VALUES (gen_random_uuid(), :e, :f, :c)"
                    ),
                    values,
                )
                await connection.execute(
                    text(
                        "INSERT INTO checkin (id, idempotency_key, event_id, facility_id, people, stay, direction) "
                        "VALUES (gen_random_uuid(), :k, :e, :f, :n, 'inside', 'in')"
                    ),
                    values,
                )
    finally:
        await engine.dispose()
    return chosen


async def located(context: BrowserContext, server: Server) -> Page:
    await context.grant_permissions(["geolocation"], origin=server.url)
    await context.set_geolocation(HOME)
    page = await context.new_page()
    await page.goto(f"{server.url}/#/resident/map")
    await page.get_by_role("button", name="現在地", exact=True).click()
    return page


async def test_an_open_crowded_shelter_shows_its_state_on_the_map_and_in_the_list(
    context: BrowserContext, server: Server, shelters: dict[str, dict[str, Any]]
) -> None:
    assert context.pages == [] and PHONE["width"] == 360
    page = await located(context, server)
    nearest = page.locator("section[aria-labelledby=nearest-title]")
    items = nearest.locator("ol.nearest > li")
    # Open first, then crowded (then places not operated), the full one last.
    await expect(items.first).to_have_attribute("data-status", "open")
    await expect(items.first).to_contain_text(shelters["open"]["properties"]["name"])
    await expect(items.first).to_contain_text("1人／定員50人")
    crowded = items.nth(1)
    await expect(crowded).to_have_attribute("data-status", "crowded")
    await expect(crowded).to_contain_text("混雑")
    await expect(crowded).to_contain_text("9人／定員10人")
    await expect(items.last).to_have_attribute("data-status", "full")
    # The nearest one is full, and the list says so.
    await expect(nearest.get_by_test_id("nearer-full")).to_contain_text(shelters["full"]["properties"]["name"])

    # The map: a badge by shape beside each open shelter, from the live list.
    badges = """() => Object.fromEntries((window.__bosaiMap?.queryRenderedFeatures({layers: ['shelter-status']}) ?? [])
        .map((f) => [f.properties.id, f.properties.status]))"""
    lon, lat = shelters["crowded"]["geometry"]["coordinates"]
    await page.wait_for_selector(".map[data-ready=true]")  # MapLibre comes after the sketch
    await page.evaluate(f"window.__bosaiMap.jumpTo({{center: [{lon}, {lat}], zoom: 15}})")
    crowded_id = shelters["crowded"]["id"]
    await page.wait_for_function(f"() => ({badges})()[{crowded_id!r}] === 'crowded'", timeout=30_000)
    # Beside the shelter's own symbol, which stays drawn.
    symbols = await page.evaluate(
        "window.__bosaiMap.queryRenderedFeatures({layers: ['facilities']}).map((f) => f.properties.id)"
    )
    assert crowded_id in symbols
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "open-shelters-map.png"))
    await nearest.scroll_into_view_if_needed()
    await page.screenshot(path=str(ARTIFACTS / "open-shelters-nearest.png"))
    assert await serious_violations(page) == []

    # Its sheet shows one capacity: the operating one.
    await crowded.get_by_role("button").first.click()
    sheet = page.locator("dialog.sheet")
    await expect(sheet).to_contain_text("混雑")
    await expect(sheet.locator("dd", has_text="人").first).to_have_text("10人")
    await sheet.get_by_role("button", name="閉じる").click()

    # The resident's list of open shelters in the municipality, with fill level.
    await page.goto(f"{server.url}/#/resident/shelters")
    listed = page.locator("ul.open-shelters > li")
    await expect(listed).to_have_count(3)
    await expect(listed.first).to_have_attribute("data-status", "open")
    row = page.locator("ul.open-shelters > li[data-status=crowded]")
    await expect(row).to_contain_text(shelters["crowded"]["properties"]["name"])
    await expect(row).to_contain_text("9人／定員10人")
    await expect(row.locator(".distance")).to_have_text(re.compile(r"\d+(\.\d)?\s*k?m"))
    await page.screenshot(path=str(ARTIFACTS / "open-shelters-list.png"))
    assert await serious_violations(page) == []


async def test_without_a_place_the_list_shows_the_municipality_where_shelters_are_open(
    context: BrowserContext, server: Server, shelters: dict[str, dict[str, Any]]
) -> None:
    # No place chosen and no pack stored: the first municipality of the list (見本町) has no open
    # shelter, so the list starts with the one that has (見本市), not with "none open".
    page = await context.new_page()
    await page.goto(f"{server.url}/#/resident/shelters")
    await expect(page.locator("ul.open-shelters > li")).to_have_count(3)
    assert await page.locator("ul.open-shelters .distance").count() == 0


async def test_a_resident_in_a_flood_zone_sees_only_places_outside_it_by_default(
    context: BrowserContext, server: Server
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        answer = (await client.get(NEAREST)).json()
    assert answer["avoidedHazards"] == ["flood"] and answer["excludedInside"] > 0
    page = await located(context, server)
    # What to do here, in the first screen: the 0.5–3 m band floods the first floor.
    advice = page.locator("section[aria-labelledby=risk-title] .advice")
    await expect(advice).to_contain_text("1階が浸水します")
    box = await advice.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"], box
    assert await page.evaluate("window.scrollY") == 0

    nearest = page.locator("section[aria-labelledby=nearest-title]")
    await expect(nearest.get_by_test_id("left-out")).to_contain_text("洪水")
    await expect(nearest.get_by_test_id("left-out")).to_contain_text("0.5–3")
    items = nearest.locator("ol.nearest > li")
    await expect(items).to_have_count(len(answer["features"]))
    names = set(await items.locator("strong").all_inner_texts())
    assert names == {f["properties"]["name"] for f in answer["features"]}
    assert not any(f["properties"]["insideHazardZone"] for f in answer["features"])
    # Every place listed lies outside every flood zone.
    async with httpx.AsyncClient(base_url=server.url) as client:
        for f in answer["features"]:
            lon, lat = f["geometry"]["coordinates"]
            zones = (await client.get(f"/api/hazards/at?lat={lat}&lon={lon}")).json()["zones"]
            assert "flood" not in {z["hazardType"] for z in zones}, f["properties"]["name"]
    await page.screenshot(path=str(ARTIFACTS / "flood-zone-first-screen.png"))
    assert await serious_violations(page) == []
