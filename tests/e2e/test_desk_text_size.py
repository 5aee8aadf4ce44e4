"""The headquarters desk on a phone at 200 % text, in English and やさしい日本語: no sideways scroll
(its wide table scrolls inside its own box)."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from server.demo import DEMO_PASSWORD
from tests.e2e.conftest import PHONE, Server
from tests.e2e.test_look import new_page, operations  # noqa: F401 - the demo's accounts and event

HQ = "pref-hq@demo.bosai.example"


@pytest.mark.parametrize("language", ["en", "easy"])
async def test_the_desk_at_200_percent_text_does_not_scroll_sideways(
    browser: Browser,
    server: Server,
    operations: None,  # noqa: F811
    language: str,
) -> None:
    page = await new_page(browser, language, text_size=200)
    try:
        await page.goto(f"{server.url}/#/hq/dashboard")
        await page.locator("input[type=email]").first.fill(HQ)
        await page.locator("input[type=password]").first.fill(DEMO_PASSWORD)
        await page.locator("form button[type=submit]").first.click()
        await expect(page.locator("table.occupancy tr[data-shelter]").first).to_be_visible()
        assert await page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    finally:
        await page.context.close()
