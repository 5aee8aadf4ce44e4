"""Family safety in headless Chromium, two phones: A makes a group and B joins by the invite link;
staff check A in at a shelter and B's open view shows "at shelter X" without a reload; B asks A to
say they are safe; A says so offline and it is sent when the network returns. Then someone without
an account asks after people: only what each consented to is shown, and a person who forbade
inquiries looks exactly like nobody. axe on every new screen."""

from __future__ import annotations

import uuid

import httpx
from playwright.async_api import Browser, BrowserContext, Page, expect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from server.demo import DEMO_PASSWORD
from tests.e2e.conftest import ARTIFACTS, LOADED_IMAGE, PHONE, Demo, Server
from tests.e2e.test_checkin import STAFF, operations
from tests.e2e.test_pwa import serious_violations

__all__ = ["operations"]  # the demo's open event and the staff's shelter (a fixture)


async def phone(browser: Browser) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(viewport=PHONE, locale="ja-JP", service_workers="allow")
    return context, await context.new_page()


async def registered(page: Page, server: Server, name: str) -> None:
    """A resident made in the app, their household saved (a name to be found by, a QR code)."""
    await page.goto(f"{server.url}/#/resident/myinfo")
    await page.get_by_role("button", name="書き留めました").click()
    await page.get_by_role("group", name="家族 1").get_by_label("名前").fill(name)
    await expect(page.locator("p.save-state").first).to_have_text("保存しました。", timeout=15_000)


async def shelter_name(demo: Demo, shelter: str) -> str:
    engine = create_async_engine(demo.url)
    try:
        async with engine.connect() as connection:
            return str(await connection.scalar(text("SELECT name FROM facility WHERE id = :s"), {"s": shelter}))
    finally:
        await engine.dispose()


async def staff_check_in(server: Server, shelter: str, code: str) -> None:
    """What the staff's scanner sends (tests/e2e/test_checkin.py walks the scanner itself)."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        signed = await client.post("/api/auth/login", json={"email": STAFF, "password": DEMO_PASSWORD})
        assert signed.status_code == 200, signed.text
        headers = {"X-CSRF-Token": signed.json()["csrfToken"], "Idempotency-Key": str(uuid.uuid4())}
        done = await client.post("/api/checkins", json={"shelterId": shelter, "qr": code}, headers=headers)
        assert done.status_code == 201, done.text


async def test_a_family_group_sees_a_check_in_live_and_a_status_sent_offline(
    browser: Browser, server: Server, demo: Demo, operations: str
) -> None:
    shelter = operations
    context_a, a = await phone(browser)
    context_b, b = await phone(browser)
    try:
        await registered(a, server, "安否 花子")
        await a.goto(f"{server.url}/#/resident/family")
        await a.get_by_label("グループ名").fill("山田家")
        await a.get_by_label("グループでのあなたの名前").fill("花子")
        await a.get_by_role("button", name="作って招待する").click()
        invite = a.get_by_role("dialog", name="「山田家」への招待")
        qr = invite.get_by_role("img", name="「山田家」への招待のQRコード（相手のスマホのカメラで読み取ります）")
        await expect(qr).to_be_visible()
        await a.wait_for_function(LOADED_IMAGE, arg=await qr.element_handle())
        ARTIFACTS.mkdir(exist_ok=True)
        await a.screenshot(path=str(ARTIFACTS / "family-invite.png"))
        assert await serious_violations(a) == []
        link = await invite.get_by_test_id("invite-link").inner_text()
        assert link.startswith(f"{server.url}/#/resident/family/join/")
        await invite.get_by_role("button", name="閉じる").click()
        # A lets a check-in tell the group.
        await a.get_by_label("避難所で受付したら「避難所にいます」と自動で伝える").check()
        await expect(a.locator("fieldset.consent p.save-state")).to_have_text("保存しました。")

        # B opens the link (as from the QR code or a message), is asked, and joins.
        await b.goto(link)
        join = b.get_by_role("region", name="グループへの招待")
        await join.get_by_label("グループでのあなたの名前").fill("太郎")
        await join.get_by_role("button", name="参加する").click()
        await expect(b.get_by_text("「山田家」に参加しました。")).to_be_visible()
        group = b.get_by_role("region", name="山田家")
        hanako = group.get_by_test_id("member").filter(has_text="花子")
        await expect(hanako).to_contain_text("まだ連絡がありません")
        assert await serious_violations(b) == []

        # Staff check A in: B's open view shows it without a reload.
        code = (await a.evaluate("fetch('/api/households/me/qr').then((r) => r.json())"))["household"]
        await staff_check_in(server, shelter, code)
        name = await shelter_name(demo, shelter)
        await expect(hanako).to_contain_text(f"避難所「{name}」にいます", timeout=10_000)

        # B asks A to say they are safe; A sees it on their family screen.
        await hanako.get_by_role("button", name="無事か聞く").click()
        await expect(b.get_by_text("花子さんに「無事か教えて」と伝えました。")).to_be_visible()
        await expect(
            a.get_by_role("alert").filter(has_text="太郎さんが、あなたが無事か知りたがっています")
        ).to_be_visible(timeout=10_000)

        # A, offline, says they are safe (with a message): kept on the phone, sent when back.
        await context_a.set_offline(True)
        await a.get_by_text("メッセージや位置を添える").click()
        await a.get_by_label("メッセージ（200字まで）").fill("体育館の2階にいます")
        await a.get_by_role("button", name="無事です").click()
        await expect(a.locator(".my-status p.save-state")).to_have_text(
            "この端末に保存しました。通信が戻ったら送ります。"
        )
        await expect(hanako).to_contain_text(f"避難所「{name}」にいます")  # nothing reached the server
        await context_a.set_offline(False)
        await expect(a.locator(".my-status p.save-state")).to_have_text("送りました。", timeout=30_000)
        await expect(hanako).to_contain_text("無事", timeout=10_000)
        await expect(hanako).to_contain_text("体育館の2階にいます")
        await expect(a.get_by_role("alert").filter(has_text="知りたがっています")).to_have_count(0, timeout=10_000)
        await b.screenshot(path=str(ARTIFACTS / "family-group.png"), full_page=True)
        assert await serious_violations(a) == []
    finally:
        await context_b.close()
        await context_a.close()


async def test_an_inquiry_shows_only_what_was_consented_and_nothing_for_who_forbade(
    browser: Browser, server: Server
) -> None:
    context_p, person = await phone(browser)
    context_q, asker = await phone(browser)
    try:
        # Someone who lets inquiries be answered, by name and phone, and says they are safe with a message.
        await registered(person, server, "問合 一郎")
        await person.goto(f"{server.url}/#/resident/family")
        await person.get_by_label("問い合わせ用の電話番号").fill("090-1111-2222")
        await person.get_by_role("button", name="名前と電話番号で見つけられるようにする").click()
        await expect(
            person.get_by_text("名前（わたしの情報の最初の人）と電話番号の問い合わせで見つかります。")
        ).to_be_visible()
        await person.get_by_text("メッセージや位置を添える").click()
        await person.get_by_label("メッセージ（200字まで）").fill("母の家にいます")
        await person.get_by_role("button", name="無事です").click()
        await expect(person.locator(".my-status p.save-state")).to_have_text("送りました。", timeout=15_000)
        card_code = await person.get_by_test_id("inquiry-code").inner_text()
        # The same code is on their QR card (my info).
        await person.goto(f"{server.url}/#/resident/myinfo")
        await person.get_by_role("button", name="QRコードを表示").click()
        card = person.get_by_role("dialog").get_by_label("避難カード")
        await expect(card.get_by_test_id("card-inquiry-code")).to_have_text(card_code)

        # Someone who answers inquiries but then forbade them (made over HTTP, as the app does).
        async with httpx.AsyncClient(base_url=server.url) as client:
            made = (await client.post("/api/residents")).json()
            headers = {"X-CSRF-Token": made["csrfToken"]}
            household = {"members": [{"name": "拒否 次郎", "relationship": "self"}]}
            assert (await client.put("/api/households/me", json=household, headers=headers)).status_code == 200
            consent = {"answerInquiries": True, "phone": "080-3333-4444", "forbidInquiries": True}
            assert (await client.put("/api/safety/consent", json=consent, headers=headers)).status_code == 200
            status = await client.put(
                "/api/safety/status", json={"status": "safe"}, headers={**headers, "Idempotency-Key": "forbade-0001"}
            )
            assert status.status_code == 201, status.text

        # The inquirer has no account: the page makes none.
        await asker.goto(f"{server.url}/#/resident/family/inquiry")
        form = asker.get_by_role("form", name="安否の問い合わせ")
        answer = asker.get_by_role("region", name="結果")
        await form.get_by_label("氏名（フルネーム）").fill("問合 一郎")
        await form.get_by_label("電話番号", exact=True).fill("09011112222")
        await form.get_by_role("button", name="調べる").click()
        await expect(answer.get_by_test_id("inquiry-found")).to_contain_text("無事")
        shown = await answer.inner_text()
        assert "母の家" not in shown  # the message is for the group, never for inquiries
        assert await serious_violations(asker) == []
        await asker.screenshot(path=str(ARTIFACTS / "family-inquiry.png"), full_page=True)

        nothing = "お答えできる情報は見つかりませんでした。"
        await form.get_by_label("氏名（フルネーム）").fill("拒否 次郎")
        await form.get_by_label("電話番号", exact=True).fill("080-3333-4444")
        await form.get_by_role("button", name="調べる").click()
        await expect(answer.get_by_test_id("inquiry-nothing")).to_have_text(nothing)
        forbade = await answer.inner_text()
        await form.get_by_label("氏名（フルネーム）").fill("存在 しない")
        await form.get_by_role("button", name="調べる").click()
        await expect(answer.get_by_test_id("inquiry-nothing")).to_have_text(nothing)
        assert await answer.inner_text() == forbade  # nobody and "forbade" read the same

        await form.get_by_label("安否問い合わせ番号").first.check()
        await form.get_by_role("textbox", name="安否問い合わせ番号").fill(card_code)
        await form.get_by_role("button", name="調べる").click()
        await expect(answer.get_by_test_id("inquiry-found")).to_contain_text("無事")
        assert await serious_violations(asker) == []
        me = await asker.evaluate("fetch('/api/auth/me').then((r) => r.status)")
        assert me == 401  # still nobody
        # The phone may be borrowed: its service worker keeps other answers, never an inquiry's.
        await asker.wait_for_function("navigator.serviceWorker.controller !== null")
        await asker.evaluate("fetch('/api/municipalities')")
        await asker.evaluate(f"fetch('/api/safety/inquiry?code={card_code}')")
        cached = await asker.evaluate(
            "caches.open('bosai-api').then((c) => c.keys()).then((keys) => keys.map((r) => r.url))"
        )
        assert any("/api/municipalities" in url for url in cached), cached
        assert not [url for url in cached if "/api/safety/inquiry" in url], cached
    finally:
        await context_q.close()
        await context_p.close()
