"""The check-in flow in headless Chromium: a resident's QR code scanned by shelter staff (the image
through the scanner's photo input, read by the zxing-wasm reader we serve), headquarters watching
the count change live; and a staff device offline for 20 scans that sends exactly 20 check-ins
when the network returns."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from server.demo import DEMO_PASSWORD, demo_accounts, demo_event
from server.households.qr import png as qr_png
from server.lib.keys import Keys
from tests.conftest import TEST_KEYS
from tests.e2e.conftest import ARTIFACTS, DIST, LOADED_IMAGE, PHONE, Demo, Server
from tests.e2e.test_pwa import serious_violations

STAFF = "staff@demo.bosai.example"
OPEN_SHELTERS = "fetch('/api/shelters/open').then((r) => r.json()).then((a) => a.shelters)"
PREF_HQ = "pref-hq@demo.bosai.example"


@pytest.fixture(scope="module")
async def operations(demo: Demo) -> str:
    """The demo's accounts and its open event; the demo staff's shelter id."""
    engine = create_async_engine(demo.url)
    try:
        await demo_accounts(engine)
        keys = Keys(base64.b64decode(TEST_KEYS["BOSAI_DATA_KEY"]), base64.b64decode(TEST_KEYS["BOSAI_QR_KEY"]))
        await demo_event(engine, keys)
        async with engine.connect() as connection:
            shelter: str = str(
                await connection.scalar(
                    text(
                        "SELECT facility_id FROM account_role JOIN account ON account.id = account_id WHERE email = :e"
                    ),
                    {"e": STAFF},
                )
            )
    finally:
        await engine.dispose()
    return shelter


async def in_view_unscrolled(page: Page, target: Locator) -> bool:
    """Whether ``target`` is wholly on the first screen, the page scrolled neither down nor sideways."""
    box = await target.bounding_box()
    viewport = page.viewport_size
    assert box is not None and viewport is not None
    scrolled = await page.evaluate("[window.scrollY, document.documentElement.scrollWidth - window.innerWidth]")
    inside = box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    return scrolled == [0, 0] and inside and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]


async def signed_in(browser: Browser, server: Server, email: str, route: str) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(viewport=PHONE, locale="ja-JP", service_workers="allow")
    page = await context.new_page()
    await page.goto(f"{server.url}/{route}")
    await page.get_by_label("メールアドレス").fill(email)
    await page.get_by_label("パスワード").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="サインイン", exact=True).click()
    await expect(page.get_by_text(f"{email} でサインイン中")).to_be_visible()
    return context, page


async def resident_qr(server: Server, folder: Path, n: int, members: list[dict[str, object]]) -> tuple[str, Path]:
    """A resident made over HTTP (as the app does), their household saved; (code, its PNG)."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        me = (await client.post("/api/residents")).json()
        headers = {"X-CSRF-Token": me["csrfToken"]}
        saved = await client.put("/api/households/me", json={"members": members}, headers=headers)
        assert saved.status_code == 200, saved.text
        code = (await client.get("/api/households/me/qr")).json()["household"]
        png = folder / f"qr-{n}.png"
        png.write_bytes((await client.get("/api/households/me/qr.png")).content)
    return code, png


async def checkins(demo: Demo) -> int:
    engine = create_async_engine(demo.url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(text("SELECT count(*) FROM checkin")) or 0)
    finally:
        await engine.dispose()


async def test_staff_scan_a_residents_code_and_headquarters_see_it_live(
    browser: Browser, page: Page, server: Server, operations: str, tmp_path: Path
) -> None:
    shelter = operations
    # The resident registers in the app and shows the code.
    await page.goto(f"{server.url}/#/resident/myinfo")
    await page.get_by_role("button", name="書き留めました").click()
    await page.get_by_role("group", name="家族 1").get_by_label("名前").fill("森 さくら")
    await page.get_by_role("group", name="家族 1").get_by_label("移動").select_option("wheelchair")
    await expect(page.locator("p.save-state").first).to_have_text("保存しました。", timeout=15_000)
    await page.reload()
    await page.get_by_role("button", name="QRコードを表示").click()
    shown = page.get_by_role("img", name="世帯のQRコード（避難所の受付で見せてください）")
    await expect(shown).to_be_visible()
    await page.wait_for_function(LOADED_IMAGE, arg=await shown.element_handle())
    # What the staff's camera would see: the image the resident's phone shows.
    photo = tmp_path / "shown.png"
    await shown.screenshot(path=str(photo))
    code = (await page.evaluate("fetch('/api/households/me/qr').then((r) => r.json())"))["household"]

    hq_context, hq = await signed_in(browser, server, PREF_HQ, "#/hq/dashboard")
    staff_context, staff = await signed_in(browser, server, STAFF, "#/staff/scan")
    try:
        row = hq.locator(f"tr[data-shelter='{shelter}']")
        await expect(row).to_be_visible(timeout=15_000)
        await expect(hq.get_by_role("status").filter(has_text="リアルタイム更新中")).to_be_visible()
        before = int((await row.get_by_test_id("people").inner_text()).split("/")[0])
        assert await serious_violations(hq) == []

        await expect(staff.locator("[data-reader='ready']")).to_be_visible(timeout=20_000)
        await staff.locator("input[type=file]").set_input_files(str(photo))
        confirm = staff.get_by_role("region", name="世帯のQRコード")
        await expect(confirm).to_contain_text("森 さくら")
        await expect(confirm).to_contain_text("車いす")
        assert await serious_violations(staff) == []
        # At the door on a 360×640 phone: who came, where they stay and the button, without scrolling.
        check_in = confirm.get_by_role("button", name="全員を受付（1 人）")
        ARTIFACTS.mkdir(exist_ok=True)
        await staff.screenshot(path=str(ARTIFACTS / "door-confirm.png"))
        assert await in_view_unscrolled(staff, check_in), "the check-in button needs scrolling"
        started = time.monotonic()
        await check_in.click()
        done = staff.get_by_text("1 人を受付しました。")
        await expect(done).to_be_visible()
        assert await in_view_unscrolled(staff, done), "the result is off-screen"
        await expect(row.get_by_test_id("people")).to_contain_text(f"{before + 1} /", timeout=10_000)
        seen_after = time.monotonic() - started
        assert seen_after < 2.0, f"headquarters saw the check-in after {seen_after:.2f} s"
        await expect(staff.get_by_test_id("waiting")).to_have_text("すべて送信済み")
        ARTIFACTS.mkdir(exist_ok=True)
        await hq.set_viewport_size({"width": 1280, "height": 900})
        await hq.screenshot(path=str(ARTIFACTS / "hq-dashboard.png"), full_page=True)

        # The same code again: the person is already inside, nothing more to check in.
        await staff.locator("input[type=file]").set_input_files(str(photo))
        await expect(staff.get_by_text("全員受付済みです。")).to_be_visible()
        # A forged code is refused on the device, with the reason; a picture without one says so.
        forged = tmp_path / "forged.png"
        forged.write_bytes(qr_png(code[:-6] + ("AAAAAA" if not code.endswith("AAAAAA") else "BBBBBB")))
        await staff.locator("input[type=file]").set_input_files(str(forged))
        await expect(staff.get_by_role("alert")).to_contain_text("署名が合いません")
        await staff.locator("input[type=file]").set_input_files(str(DIST / "icons" / "icon-192.png"))
        await expect(staff.get_by_role("alert")).to_contain_text("QRコードが見つかりません")
    finally:
        await staff_context.close()
        await hq_context.close()


async def test_staff_offline_for_20_scans_send_exactly_20_when_back(
    browser: Browser, server: Server, demo: Demo, operations: str, tmp_path: Path
) -> None:
    codes = [
        await resident_qr(server, tmp_path, n, [{"name": f"避難 {n}郎", "relationship": "self"}]) for n in range(20)
    ]
    context, staff = await signed_in(browser, server, STAFF, "#/staff/scan")
    try:
        await expect(staff.locator("[data-reader='ready']")).to_be_visible(timeout=20_000)
        before = await checkins(demo)
        await context.set_offline(True)
        for n, (_, png) in enumerate(codes):
            await staff.locator("input[type=file]").set_input_files(str(png))
            confirm = staff.get_by_role("region", name="世帯のQRコード")
            await expect(confirm).to_contain_text("オフラインのため")
            await confirm.get_by_role("button", name="世帯で受付").click()
            await expect(staff.get_by_test_id("waiting")).to_contain_text(f"未送信の受付 {n + 1} 件")
        assert await checkins(demo) == before  # nothing reached the server
        await context.set_offline(False)
        await expect(staff.get_by_test_id("waiting")).to_have_text("すべて送信済み", timeout=30_000)
        assert await checkins(demo) == before + 20
        engine = create_async_engine(demo.url)
        try:
            async with engine.connect() as connection:
                per_household = (
                    await connection.execute(
                        text(
                            "SELECT household_id, count(*) FROM checkin "
                            "WHERE actor_id = (SELECT id FROM account WHERE email = :e) GROUP BY household_id"
                        ),
                        {"e": STAFF},
                    )
                ).all()
        finally:
            await engine.dispose()
        assert sum(count for _, count in per_household) >= 20 and all(count == 1 for _, count in per_household)
    finally:
        await context.close()


async def test_a_walk_in_gets_a_card_a_printable_code_and_is_found_by_kana(
    browser: Browser, server: Server, operations: str
) -> None:
    context, staff = await signed_in(browser, server, STAFF, "#/staff/walkin")
    try:
        card = staff.get_by_role("group", name="家族 1")
        await card.get_by_label("名前").fill("野口 ふみ")
        await card.get_by_label("よみがな").fill("ノグチ フミ")
        await card.get_by_label("移動").select_option("cane")
        await staff.get_by_label("住家の被害").select_option("half")
        await staff.get_by_label("電気").check()
        await staff.get_by_label("連絡がとれない家族").fill("長男（東京）")
        assert await serious_violations(staff) == []
        await staff.get_by_role("button", name="登録して受付").click()
        code = staff.get_by_role("img", name="避難者のQRコード")
        await expect(code).to_be_visible(timeout=10_000)
        await staff.wait_for_function(LOADED_IMAGE, arg=await code.element_handle())
        # The code is brought into view, and the card to print says whose it is.
        await expect(code).to_be_in_viewport()
        printed = staff.locator(".print-card")
        await expect(printed).to_contain_text("野口 ふみ")
        await expect(printed).to_contain_text("ノグチ フミ")

        await staff.goto(f"{server.url}/#/staff/shelter")
        await staff.get_by_label("名前・ふりがなで探す").fill("のぐち")
        found = staff.locator("li.household").filter(has_text="野口 ふみ")
        await expect(found).to_have_count(1)
        await expect(found).to_contain_text("歩行の介助")
        await expect(found).to_contain_text("長男（東京）")
        assert await serious_violations(staff) == []
        # Moved to another shelter: out of this one, into that one.
        inside = int(await staff.get_by_test_id("people-inside").inner_text())
        before = await staff.evaluate(OPEN_SHELTERS)
        await found.get_by_role("button", name="別の避難所へ移動").click()
        destination = next(s for s in before if s["shelterId"] != operations)
        await found.get_by_label("移動先の避難所").select_option(destination["shelterId"])
        await found.get_by_role("button", name="移動する（1 人）").click()
        await expect(staff.get_by_test_id("people-inside")).to_have_text(str(inside - 1), timeout=10_000)
        # Still listed (registered here, its code printable), no longer inside.
        await expect(found).to_contain_text("不在")
        await expect(found.get_by_role("button", name="退所（1 人）")).to_have_count(0)
        after = {s["shelterId"]: s["people"] for s in await staff.evaluate(OPEN_SHELTERS)}
        assert after[destination["shelterId"]] == destination["people"] + 1
    finally:
        await context.close()
