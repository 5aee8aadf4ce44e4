"""Sign-in, sessions, CSRF, lock-out, rate limit, residents' recovery, and the `bosai users` CLI."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.accounts import service
from server.app import create_app
from server.cli import main
from server.settings import Settings
from tests.server.roles import PASSWORD, Client, operator, sign_in


async def test_login_sets_an_httponly_samesite_cookie_and_me_says_the_roles(
    client: Client, engine: AsyncEngine
) -> None:
    email = await operator(engine, "municipal_hq")
    response = await client.post("/api/auth/login", json={"email": email.upper(), "password": PASSWORD})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert "bosai_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Secure" not in cookie  # plain http in tests
    me = (await client.get("/api/auth/me")).json()
    assert me["email"] == email and me["roles"] == [{"role": "municipal_hq", "municipality": "029998", "shelter": None}]
    assert me["csrfToken"]
    secure = await client.post(
        "/api/auth/login", json={"email": email, "password": PASSWORD}, headers={"X-Forwarded-Proto": "https"}
    )
    assert "Secure" in secure.headers["set-cookie"]


async def test_wrong_passwords_say_nothing_about_the_account_and_hold_this_client(
    client: Client, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    stopped = datetime.now(UTC)  # the wait must not pass while a slow machine hashes passwords
    monkeypatch.setattr(service, "now", lambda: stopped)
    email = await operator(engine, "staff")
    unknown = await client.post("/api/auth/login", json={"email": "nobody@test.example", "password": "x" * 12})
    wrong = await client.post("/api/auth/login", json={"email": email, "password": "x" * 12})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["detail"] == wrong.json()["detail"]
    for _ in range(4):
        await client.post("/api/auth/login", json={"email": email, "password": "x" * 12})
    held = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert held.status_code == 429 and "too many failed sign-ins" in held.json()["detail"]
    assert held.headers["retry-after"]


async def test_sign_in_attempts_are_rate_limited_per_address(settings: Settings, engine: AsyncEngine) -> None:
    async with AsyncTestClient(app=create_app(settings)) as client:
        answers = [
            (
                await client.post("/api/auth/login", json={"email": f"a{n}@test.example", "password": "x" * 12})
            ).status_code
            for n in range(11)
        ]
    assert answers[:10] == [401] * 10 and answers[10] == 429


async def test_writes_need_the_csrf_token(client: Client, engine: AsyncEngine) -> None:
    await sign_in(client, engine, "resident")
    token = client.headers.pop("X-CSRF-Token")
    body = {"members": [{"name": "山田花子", "relationship": "self"}]}
    assert (await client.put("/api/households/me", json=body)).status_code == 403
    assert (await client.put("/api/households/me", json=body, headers={"X-CSRF-Token": "wrong"})).status_code == 403
    assert (await client.put("/api/households/me", json=body, headers={"X-CSRF-Token": token})).status_code == 200


async def test_logout_ends_the_session(client: Client, engine: AsyncEngine) -> None:
    await sign_in(client, engine, "prefectural_hq")
    assert (await client.post("/api/auth/logout")).status_code == 200
    assert (await client.get("/api/auth/me")).status_code == 401


async def test_a_resident_moves_to_a_new_device_with_the_recovery_code(settings: Settings, engine: AsyncEngine) -> None:
    async with AsyncTestClient(app=create_app(settings)) as phone:
        me = await sign_in(phone, engine, "resident")
        assert me["kind"] == "resident" and me["roles"] == [{"role": "resident", "municipality": None, "shelter": None}]
    created = me
    async with AsyncTestClient(app=create_app(settings)) as other:
        refused = await other.post(
            "/api/residents/recover", json={"accountId": created["id"], "recoveryCode": "0000-0000-0000-0000-0000"}
        )
        assert refused.status_code == 401
    # The code was shown once, in the creation answer; sign in anew to get another and use it.
    async with AsyncTestClient(app=create_app(settings)) as phone:
        made = (await phone.post("/api/residents")).json()
    async with AsyncTestClient(app=create_app(settings)) as other:
        moved = await other.post(
            "/api/residents/recover", json={"accountId": made["id"], "recoveryCode": made["recoveryCode"].lower()}
        )
        assert moved.status_code == 200 and moved.json()["id"] == made["id"]
    async with engine.connect() as connection:
        stored = await connection.scalar(text("SELECT recovery_hash FROM account WHERE id = :id"), {"id": made["id"]})
    assert stored.startswith("$argon2id$") and made["recoveryCode"] not in stored


def test_cli_adds_lists_and_disables_operators(database_url: str) -> None:
    env = {"DATABASE_URL": database_url}
    runner = CliRunner()
    bad = runner.invoke(main, ["users", "add", "hq@test.example", "--role", "municipal_hq"], env=env)
    assert bad.exit_code == 1 and "--municipality" in bad.output
    added = runner.invoke(
        main, ["users", "add", "admin@test.example", "--role", "data_admin", "--role", "prefectural_hq"], env=env
    )
    assert added.exit_code == 0 and "password (shown once): " in added.output
    typed = runner.invoke(
        main,
        ["users", "add", "typed@test.example", "--role", "data_admin", "--password-stdin"],
        env=env,
        input=PASSWORD + "\n",
    )
    assert typed.exit_code == 0 and "shown once" not in typed.output
    listed = runner.invoke(main, ["users", "list"], env=env)
    assert "admin@test.example" in listed.output and "prefectural_hq" in listed.output
    disabled = runner.invoke(main, ["users", "disable", "typed@test.example"], env=env)
    assert disabled.exit_code == 0 and "disabled" in runner.invoke(main, ["users", "list"], env=env).output
    assert runner.invoke(main, ["users", "disable", "nobody@test.example"], env=env).exit_code == 1


async def test_a_disabled_account_cannot_sign_in(client: Client, engine: AsyncEngine) -> None:
    email = await operator(engine, "data_admin")
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE account SET disabled_at = now() WHERE email = :e"), {"e": email})
    response = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 401 and "disabled" in response.json()["detail"]


@pytest.mark.parametrize("field", ["email", "password"])
async def test_login_names_a_missing_field(client: Client, field: str) -> None:
    body = {"email": "a@test.example", "password": "x" * 12, field: ""}
    response = await client.post("/api/auth/login", json=body)
    assert response.status_code == 400 and response.json()["invalidParams"][0]["name"] == field


async def test_passkey_endpoints_refuse_what_they_cannot_check(client: Client, engine: AsyncEngine) -> None:
    assert (await client.post("/api/auth/passkeys/register/options")).status_code == 401
    options = (await client.post("/api/auth/passkeys/login/options")).json()
    assert options["challengeId"] and options["options"]["rpId"] == "testserver.local"
    forged = {"challengeId": options["challengeId"], "credential": {"id": "AAAA", "response": {}}}
    assert (await client.post("/api/auth/passkeys/login", json=forged)).status_code == 401
    again = await client.post("/api/auth/passkeys/login", json=forged)  # a challenge is good once
    assert again.status_code == 400 and again.json()["invalidParams"][0]["name"] == "challengeId"
    await sign_in(client, engine, "resident")
    registration = (await client.post("/api/auth/passkeys/register/options")).json()
    assert registration["options"]["authenticatorSelection"]["residentKey"] == "required"
    bad = {"challengeId": registration["challengeId"], "credential": {"id": "AAAA", "response": {}}}
    assert (await client.post("/api/auth/passkeys/register", json=bad)).status_code == 400
