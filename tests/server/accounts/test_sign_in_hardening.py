"""Sign-in an attacker cannot bend: addresses compared exactly once normalised, failures throttled
per (address, client) without telling unknown from wrong from throttled, resident accounts made a
few at a time, JSON bodies only, and X-Forwarded-For believed only from configured proxies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import uvicorn
from alembic import command
from litestar import Litestar
from litestar.testing import AsyncTestClient
from litestar.types import Receive, Scope, Send
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from server import cli
from server.accounts import service
from server.accounts.service import FREE_FAILURES, MAX_WAIT_S, wait_after
from server.app import create_app
from server.db.migrate import alembic_config, upgrade
from server.settings import Settings, SettingsError
from tests.conftest import settings_for
from tests.server.roles import PASSWORD, Client, operator

LOGIN = "/api/auth/login"
WRONG = "x" * 12


def from_peer(app: Litestar, host: str) -> Litestar:
    """``app`` as reached from ``host`` (the test client's peer is otherwise "testclient")."""
    inner = app.asgi_handler

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        await inner({**scope, "client": (host, 40000)}, receive, send)  # type: ignore[arg-type]

    app.asgi_handler = handler
    return app


def peer(settings: Settings, host: str) -> AsyncTestClient[Litestar]:
    return AsyncTestClient(app=from_peer(create_app(settings), host))


class Clock:
    """The throttle's clock, stopped; tests move it on instead of sleeping."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.at

    def wait(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    stopped = Clock()
    monkeypatch.setattr(service, "now", stopped)
    return stopped


async def test_wildcards_in_the_address_sign_in_as_nobody(client: Client, engine: AsyncEngine) -> None:
    await operator(engine, "staff", "staffb@test.example")
    for typed in ("staffb%", "st_ffb@test.example", "%b@test.example", "%"):
        answer = await client.post(LOGIN, json={"email": typed, "password": PASSWORD})
        assert answer.status_code == 401, typed
    assert (await client.post(LOGIN, json={"email": " STAFFB@test.example", "password": PASSWORD})).status_code == 200


async def test_addresses_are_stored_and_looked_up_normalised(client: Client, engine: AsyncEngine) -> None:
    await operator(engine, "staff", " Ｓｔａｆｆ.Norm@Test.Example ")
    async with engine.connect() as connection:
        stored = await connection.scalar(text("SELECT email FROM account WHERE kind = 'operator'"))
    assert stored == "staff.norm@test.example"
    for typed in ("staff.norm@test.example", "ＳＴＡＦＦ.NORM@test.example\u3000"):
        assert (await client.post(LOGIN, json={"email": typed, "password": PASSWORD})).status_code == 200, typed


async def test_the_migration_normalises_stored_addresses(engine: AsyncEngine) -> None:
    def to_0011(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0011")

    async with engine.begin() as connection:
        await connection.run_sync(to_0011)
        await connection.execute(
            text(
                "INSERT INTO account (id, kind, email, password_hash) "
                "VALUES (gen_random_uuid(), 'operator', ' Mixed.Case@Ｅxample.COM ', 'x')"
            )
        )
    await upgrade(engine)
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT email FROM account")) == "mixed.case@example.com"


async def test_a_stranger_cannot_lock_the_owner_out(settings: Settings, engine: AsyncEngine) -> None:
    email = await operator(engine, "staff", "victim@test.example")
    async with peer(settings, "198.51.100.7") as attacker:
        for typed in ("%victim%", "%victim%", email, email, email, email, email):
            assert (await attacker.post(LOGIN, json={"email": typed, "password": WRONG})).status_code == 401
        held = await attacker.post(LOGIN, json={"email": email, "password": PASSWORD})
        assert held.status_code == 429 and held.headers["retry-after"] == "1"  # not even the right password
    async with peer(settings, "203.0.113.9") as owner:
        assert (await owner.post(LOGIN, json={"email": email, "password": PASSWORD})).status_code == 200


async def _tries(client: Client, clock: Clock, email: str) -> list[tuple[int, str, str | None]]:
    """FREE_FAILURES wrong passwords, a try while waiting, one more failure once the wait has
    passed, and a try during the (doubled) wait: (status, detail, Retry-After) of each."""
    answers = [await client.post(LOGIN, json={"email": email, "password": WRONG}) for _ in range(FREE_FAILURES)]
    answers.append(await client.post(LOGIN, json={"email": email, "password": PASSWORD}))
    clock.wait(1)
    answers.append(await client.post(LOGIN, json={"email": email, "password": WRONG}))
    answers.append(await client.post(LOGIN, json={"email": email, "password": PASSWORD}))
    return [(a.status_code, a.json()["detail"], a.headers.get("retry-after")) for a in answers]


async def test_unknown_wrong_and_throttled_cannot_be_told_apart(
    settings: Settings, engine: AsyncEngine, clock: Clock
) -> None:
    known = await operator(engine, "staff", "known@test.example")
    async with peer(settings, "198.51.100.1") as one, peer(settings, "198.51.100.2") as other:
        for_known = await _tries(one, clock, known)
        for_unknown = await _tries(other, clock, "unknown@test.example")
    assert for_known == for_unknown
    statuses = [status for status, _, _ in for_known]
    assert statuses == [401] * FREE_FAILURES + [429, 401, 429]
    assert [wait for _, _, wait in for_known][-3:] == ["1", None, "2"]  # the wait grows
    async with peer(settings, "198.51.100.1") as one:
        clock.wait(2)
        assert (await one.post(LOGIN, json={"email": known, "password": PASSWORD})).status_code == 200
    async with engine.connect() as connection:  # a success forgets that client's failures
        assert await connection.scalar(text("SELECT count(*) FROM sign_in_throttle")) == 1


def test_the_wait_grows_to_a_ceiling() -> None:
    waits = [wait_after(n) for n in range(1, FREE_FAILURES + 12)]
    assert waits[: FREE_FAILURES - 1] == [0] * (FREE_FAILURES - 1)
    assert waits[FREE_FAILURES - 1 : FREE_FAILURES + 3] == [1, 2, 4, 8]
    assert waits[-1] == MAX_WAIT_S and waits == sorted(waits)


async def test_recovery_is_throttled_per_account_and_client(settings: Settings, engine: AsyncEngine) -> None:
    async with peer(settings, "198.51.100.3") as phone:
        made = (await phone.post("/api/residents")).json()
    good = {"accountId": made["id"], "recoveryCode": made["recoveryCode"]}
    bad = {**good, "recoveryCode": "0000-0000-0000-0000-0000"}
    async with peer(settings, "198.51.100.4") as guesser:
        for _ in range(FREE_FAILURES):
            assert (await guesser.post("/api/residents/recover", json=bad)).status_code == 401
        held = await guesser.post("/api/residents/recover", json=good)
        assert held.status_code == 429 and held.headers["retry-after"] == "1"
        unknown = await guesser.post("/api/residents/recover", json={**bad, "accountId": str(made["id"])[::-1]})
        assert unknown.status_code == 401  # another account id is another pair
        # The same id spelt otherwise (no hyphens, braces, urn:uuid:) is the same pair, still held.
        plain = str(made["id"]).replace("-", "")
        for spelling in (plain, "{" + str(made["id"]) + "}", "urn:uuid:" + str(made["id"]).upper()):
            again = await guesser.post("/api/residents/recover", json={**good, "accountId": spelling})
            assert again.status_code == 429, spelling
    async with peer(settings, "203.0.113.4") as new_phone:
        assert (await new_phone.post("/api/residents/recover", json=good)).status_code == 200


async def test_resident_accounts_are_made_a_few_a_minute_per_client(settings: Settings) -> None:
    async with peer(settings, "198.51.100.5") as client:
        made = [(await client.post("/api/residents")).status_code for _ in range(6)]
        refused = await client.post("/api/residents")
    assert made == [201] * 5 + [429]
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert int(refused.headers["retry-after"]) >= 1 and "resident accounts" in refused.json()["detail"]
    async with peer(settings, "198.51.100.6") as elsewhere:
        assert (await elsewhere.post("/api/residents")).status_code == 201


@pytest.mark.parametrize(
    ("path", "body", "content_type"),
    [
        (LOGIN, '{"email": "a@test.example", "password": "xxxxxxxxxxxx"}', "text/plain"),
        (LOGIN, "email=a%40test.example&password=xxxxxxxxxxxx", "application/x-www-form-urlencoded"),
        (LOGIN, '{"email": "a@test.example", "password": "xxxxxxxxxxxx"}', None),
        ("/api/residents/recover", '{"accountId": "x", "recoveryCode": "y"}', "text/plain"),
        ("/api/auth/passkeys/login", '{"challengeId": "x", "credential": {}}', "text/plain"),
        ("/api/residents", "", "text/plain"),
        ("/api/residents", "", "multipart/form-data; boundary=x"),
    ],
)
async def test_anonymous_sign_ins_take_only_json(
    client: Client, path: str, body: str, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    answer = await client.post(path, content=body.encode(), headers=headers)
    assert answer.status_code == 415, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "application/json" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (LOGIN, {"email": "a\u0000@test.example", "password": WRONG}),
        (LOGIN, {"email": "\u0000", "password": "\u0000"}),
        (LOGIN, {"email": "a@test.example", "password": "x\u0000yz"}),
        ("/api/residents/recover", {"accountId": "\u0000", "recoveryCode": "\u0000"}),
    ],
)
async def test_nul_characters_sign_in_as_nobody(client: Client, path: str, body: dict[str, Any]) -> None:
    # Refused at the edge (server/lib/guard.py), before any sign-in is tried.
    assert (await client.post(path, json=body)).status_code == 400


async def test_nul_characters_in_audit_filters_are_refused(client: Client, engine: AsyncEngine) -> None:
    email = await operator(engine, "data_admin")
    await client.post(LOGIN, json={"email": email, "password": PASSWORD})
    for name in ("actor", "subject", "action"):
        answer = await client.get("/api/audit", params={name: "a\u0000b"})
        assert answer.status_code == 400 and answer.json()["invalidParams"][0]["name"] == name


async def test_a_spoofed_forwarded_for_does_not_change_the_bucket(settings: Settings) -> None:
    async with peer(settings, "198.51.100.8") as client:
        answers = [
            (
                await client.post(
                    LOGIN,
                    json={"email": f"a{n}@test.example", "password": WRONG},
                    headers={"X-Forwarded-For": f"203.0.113.{n}"},
                )
            ).status_code
            for n in range(11)
        ]
    assert answers == [401] * 10 + [429]


async def test_forwarded_for_names_the_client_behind_a_trusted_proxy(database_url: str) -> None:
    settings = settings_for(database_url, trusted_proxies=("10.0.0.0/8",))

    async def attempt(client: Client, n: int, forwarded: str) -> int:
        body = {"email": f"b{n}@test.example", "password": WRONG}
        return (await client.post(LOGIN, json=body, headers={"X-Forwarded-For": forwarded})).status_code

    async with peer(settings, "10.1.2.3") as proxy:
        assert [await attempt(proxy, n, "198.51.100.1") for n in range(10)] == [401] * 10
        assert await attempt(proxy, 10, "198.51.100.1") == 429
        assert await attempt(proxy, 11, "198.51.100.2") == 401  # another client behind the proxy
        # What the client wrote itself (left of what the proxy appended) is not believed.
        assert await attempt(proxy, 12, "203.0.113.77, 198.51.100.1") == 429
        # Through two trusted proxies: the nearest untrusted hop.
        assert await attempt(proxy, 13, "198.51.100.1, 10.9.9.9") == 429


def test_trusted_proxies_come_from_the_environment() -> None:
    assert Settings.from_env({}).server.trusted_proxies == ()
    parsed = Settings.from_env({"BOSAI_TRUSTED_PROXIES": "10.0.0.1, 172.16.0.0/12,::1"})
    assert parsed.server.trusted_proxies == ("10.0.0.1/32", "172.16.0.0/12", "::1/128")
    with pytest.raises(SettingsError, match=r"BOSAI_TRUSTED_PROXIES: 'proxy\.local'"):
        Settings.from_env({"BOSAI_TRUSTED_PROXIES": "proxy.local"})


@pytest.mark.parametrize(
    ("env", "proxy_headers", "allowed"),
    [({}, False, None), ({"BOSAI_TRUSTED_PROXIES": "10.0.0.0/8,192.0.2.1"}, True, "10.0.0.0/8,192.0.2.1/32")],
)
def test_serve_tells_uvicorn_which_proxies_to_believe(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], proxy_headers: bool, allowed: str | None
) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *_, **options: seen.update(options))
    cli._serve(Settings.from_env(env), None, None, None)
    assert seen["proxy_headers"] is proxy_headers and seen["forwarded_allow_ips"] == allowed
