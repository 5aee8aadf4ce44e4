"""The edge of the app: whatever arrives gets a 4xx naming the problem, never a 500; a database
that is down gives 503; every answer carries the security headers; TileJSON ignores Host."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.app import create_app
from server.cli import FIXTURES
from server.demo import load_demo
from server.lib.guard import MAX_JSON_DEPTH
from server.packs.worker import build_packs
from server.settings import PackSettings, Settings, SettingsError
from tests.conftest import settings_for
from tests.server.roles import PASSWORD, operator, sign_in

Client = AsyncTestClient[Litestar]
CITY = "029998"


def problem_names(response: Any) -> list[str]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return [p["name"] for p in response.json().get("invalidParams", [])]


@pytest.fixture
async def demo(engine: AsyncEngine, settings: Settings) -> AsyncIterator[Client]:
    await load_demo(engine, FIXTURES)
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


# --- query strings and paths ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/shelters/open?municipality=%00", "municipality"),
        ("/api/facilities?sourceId=%00", "sourceId"),
        ("/api/facilities?sourceId=a%00b&kind=", "sourceId"),
        ("/api/shelters/occupancy?municipality=%00", "municipality"),
        ("/api/shelters/occupancy.csv?event=%00", "event"),
        ("/api/audit?actor=%00", "actor"),
        ("/api/facilities?sourceId=%FF", "sourceId"),
        ("/api/shelters/open?municipality=%C3%28", "municipality"),
        ("/api/facilities?%FF=1", "query"),
        ("/api/facilities?a%00=1", "query"),
        ("/api/facilities/%00", "facility_id"),
        ("/api/facilities/%FF%FE", "facility_id"),
        ("/api/packs/%00", "code"),
    ],
)
async def test_nul_and_invalid_utf8_in_the_url_are_named(demo: Client, url: str, name: str) -> None:
    response = await demo.get(url)
    assert response.status_code == 400, response.text
    assert problem_names(response) == [name]


async def test_ordinary_query_strings_pass(demo: Client) -> None:
    response = await demo.get("/api/facilities?kind=designated_shelter&limit=2&includeWithdrawn=false")
    assert response.status_code == 200
    # Japanese text percent-encoded as UTF-8 is valid, whatever the handler makes of it.
    assert (await demo.get("/api/shelters/open?municipality=%E8%A6%8B%E6%9C%AC%E5%B8%82")).status_code < 500


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/facilities?limit=2147483648", "limit"),
        ("/api/facilities?limit=99999999999999999999", "limit"),
        ("/api/facilities?limit=" + "9" * 5000, "limit"),
        ("/api/facilities?limit=-2147483649", "limit"),
        ("/api/facilities/nearest?lat=40.8&lon=140.76&limit=9223372036854775808", "limit"),
        ("/api/facilities/nearest?lat=" + "9" * 5000 + "&lon=140.76", "lat"),
        ("/tiles/2147483648/0/0.mvt", "z"),
        ("/tiles/14/99999999999999999999/0.mvt", "x"),
        ("/tiles/14/0/99999999999999999999.mvt", "y"),
        ("/tiles/14/0/" + "9" * 5000 + ".mvt", "y"),
        ("/tiles/14/0/%C2%B2.mvt", "y"),
    ],
)
async def test_integers_out_of_range_are_named(demo: Client, url: str, name: str) -> None:
    response = await demo.get(url)
    assert response.status_code == 400, response.text
    assert problem_names(response) == [name]


# --- JSON bodies ---------------------------------------------------------------------------


def nested(depth: int) -> bytes:
    return b'{"email": ' + b"[" * depth + b"]" * depth + b', "password": "x"}'


@pytest.mark.parametrize(
    ("body", "name"),
    [
        (b'{"email": "a\\u0000@example.jp", "password": "x"}', "email"),
        (b'{"email": "a@example.jp", "password": "\\ud800"}', "password"),
        (b'{"email": "a@example.jp", "password": "\\udc00x"}', "password"),
        (b'{"email": "a@example.jp", "pass\\u0000": "x"}', "pass\\u0000"),
        (b'{"email": "\xff\xfe@example.jp", "password": "x"}', "body"),
        (b'{"email": "a@example.jp", "password": "\xc3\x28"}', "body"),
        (nested(1000), "body"),
        (nested(MAX_JSON_DEPTH + 1), "body"),
        (b'{"email": "a@example.jp", "password": "x", "n": 99999999999999999999999}', "n"),
        (b'{"email": "a@example.', "body"),
    ],
)
async def test_json_bodies_no_handler_could_store_are_named(demo: Client, body: bytes, name: str) -> None:
    response = await demo.post("/api/auth/login", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    names = problem_names(response)
    assert names == [name.replace("\\u0000", "\x00")]


async def test_the_json_path_names_the_member(demo: Client) -> None:
    body = {"members": [{"name": "ok"}, {"name": "a\x00b", "notes": ["fine", "\ud800"]}]}
    response = await demo.put(
        "/api/households/me",
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/vnd.bosai+json; charset=utf-8"},
    )
    assert response.status_code == 400
    assert problem_names(response) in (["members[1].name"], ["members[1].notes[1]"])


@pytest.mark.parametrize("content_type", [None, "text/plain", "text/plain;charset=UTF-8"])
async def test_undeclared_and_text_bodies_are_checked_too(demo: Client, content_type: str | None) -> None:
    # Handlers decode such bodies as JSON all the same, so they get the same checks.
    headers = {"Content-Type": content_type} if content_type else {}
    response = await demo.post("/api/auth/login", content=b'{"email": "a\\u0000@x", "password": "x"}', headers=headers)
    assert response.status_code == 400
    assert problem_names(response) == ["email"]
    response = await demo.post("/api/auth/login", content=b"\xff", headers=headers)
    assert response.status_code == 400
    assert problem_names(response) == ["body"]


async def test_a_body_that_is_fine_reaches_handlers_unchanged(demo: Client, engine: AsyncEngine) -> None:
    # data: (Litestar decodes the body) after the guard read it.
    email = await operator(engine, "staff")
    login = await demo.post(
        "/api/auth/login",
        content=json.dumps({"email": email, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert login.status_code == 200, login.text
    # await request.body() in the handler, after the guard read it.
    demo.cookies.clear()
    await sign_in(demo, engine, "resident")
    household = {"members": [{"name": "山田 花子", "relationship": "self"}]}
    response = await demo.put("/api/households/me", json=household)
    assert response.status_code in (200, 201), response.text
    assert (await demo.get("/api/households/me")).json()["members"][0]["name"] == "山田 花子"


async def test_bodies_beyond_the_default_limit_are_413(demo: Client, engine: AsyncEngine) -> None:
    note = {"email": "a@example.jp", "password": "x" * (9 * 1024 * 1024)}
    response = await demo.post("/api/auth/login", json=note)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    # The import upload keeps its own, larger limit.
    await sign_in(demo, engine, "data_admin")
    big = b"name,lat,lon\n" + b"x,40.8,140.76\n" * (2 * 1024 * 1024 // 14)
    upload = await demo.post("/api/imports", files={"file": ("big.csv", big, "text/csv")}, data={"format": "nope"})
    assert upload.status_code == 400, upload.text  # read whole, then refused for its format
    assert problem_names(upload) == ["format"]


# --- the database is down ------------------------------------------------------------------


@pytest.fixture
async def down() -> AsyncIterator[Client]:
    # Port 9 (discard) on loopback: nothing listens, connections are refused at once.
    settings = settings_for("postgresql+asyncpg://postgres@127.0.0.1:9/bosai")
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/api/municipalities"),
        ("GET", "/api/facilities"),
        ("GET", "/api/facilities/nearest?lat=40.8&lon=140.76"),
        ("GET", "/api/hazards/at?lat=40.8&lon=140.76"),
        ("GET", "/api/shelters/open"),
        ("GET", "/api/packs"),
        ("GET", "/tiles/tilejson.json"),
        ("GET", "/tiles/14/14552/6133.mvt"),
        ("POST", "/api/auth/login"),
        ("POST", "/api/residents"),
    ],
)
async def test_a_database_that_is_down_gives_503(down: Client, method: str, url: str) -> None:
    body = {"email": "a@example.jp", "password": "x"} if url == "/api/auth/login" else None
    response = await down.request(method, url, json=body)
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["retry-after"]) > 0
    assert "database" in response.json()["detail"]


async def test_readiness_is_unchanged_when_the_database_is_down(down: Client) -> None:
    assert (await down.get("/healthz")).status_code == 200
    response = await down.get("/readyz")
    assert response.status_code == 503
    assert response.json()["detail"].startswith("database unreachable:")


async def test_connections_cut_by_the_server_give_503_then_recover(
    demo: Client, engine: AsyncEngine, database_url: str
) -> None:
    # Pooled connections are open after these; the server then ends them (as on a restart).
    urls = ("/api/shelters/open", "/api/facilities/nearest?lat=40.8&lon=140.76", "/tiles/tilejson.json")
    for url in urls:
        assert (await demo.get(url)).status_code == 200
    database = database_url.rsplit("/", 1)[1]
    async with engine.connect() as connection:
        await connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"
            ),
            {"d": database},
        )
    for url in urls:
        first = await demo.get(url)
        assert first.status_code in (200, 503), first.text
        if first.status_code == 503:
            assert first.headers["retry-after"]
        assert (await demo.get(url)).status_code == 200


# --- Range ---------------------------------------------------------------------------------


@pytest.fixture
async def packs(engine: AsyncEngine, settings: Settings, tmp_path: Path) -> AsyncIterator[Client]:
    pack_settings = replace(settings, packs=PackSettings(folder=tmp_path / "packs"))
    await load_demo(engine, FIXTURES)
    await build_packs(pack_settings, [CITY])
    async with AsyncTestClient(app=create_app(pack_settings)) as client:
        yield client


@pytest.mark.parametrize(
    ("asked", "status", "content_range"),
    [
        ("bytes=" + "9" * 5000 + "-", 416, "bytes */{size}"),
        ("bytes=" + "9" * 5000 + "-" + "9" * 5000, 416, "bytes */{size}"),
        ("bytes=0-" + "9" * 5000, 206, "bytes 0-{last}/{size}"),
        ("bytes=-" + "9" * 5000, 206, "bytes 0-{last}/{size}"),
        ("bytes=" + "0" * 5000 + "1-" + "0" * 4999 + "9", 206, "bytes 1-9/{size}"),
    ],
)
async def test_ranges_with_thousands_of_digits(packs: Client, asked: str, status: int, content_range: str) -> None:
    url = f"/packs/{CITY}/1.pmtiles"
    size = len((await packs.get(url)).content)
    response = await packs.get(url, headers={"Range": asked})
    assert response.status_code == status
    assert response.headers["content-range"] == content_range.format(size=size, last=size - 1)


# --- security headers ----------------------------------------------------------------------


def assert_security_headers(response: Any) -> None:
    csp = {part.split()[0]: part.split()[1:] for part in response.headers["content-security-policy"].split("; ")}
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'", "'wasm-unsafe-eval'"]  # no inline script, no eval
    assert csp["frame-ancestors"] == ["'none'"]
    assert "blob:" in csp["worker-src"] and {"data:", "blob:"} <= set(csp["img-src"])
    assert csp["object-src"] == ["'none'"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["permissions-policy"].startswith("camera=(self), geolocation=(self)")


@pytest.mark.parametrize(
    "url",
    ["/", "/manifest.webmanifest", "/api/municipalities", "/no/such/thing", "/api/facilities?limit=x", "/healthz"],
)
async def test_every_answer_carries_the_security_headers(demo: Client, url: str) -> None:
    response = await demo.get(url)
    assert response.status_code in (200, 400, 404)
    assert_security_headers(response)


async def test_errors_from_the_guard_and_the_database_carry_them_too(demo: Client, down: Client) -> None:
    assert_security_headers(await demo.get("/api/facilities?sourceId=%00"))
    assert_security_headers(await down.get("/api/municipalities"))


# --- TileJSON ------------------------------------------------------------------------------


async def test_tilejson_ignores_a_spoofed_host(demo: Client) -> None:
    response = await demo.get("/tiles/tilejson.json", headers={"Host": "evil.example"})
    assert "evil.example" not in response.text
    assert response.json()["tiles"] == ["http://127.0.0.1:8000/tiles/{z}/{x}/{y}.mvt"]


async def test_tilejson_uses_the_public_url(engine: AsyncEngine, database_url: str) -> None:
    await load_demo(engine, FIXTURES)
    settings = settings_for(database_url, public_url="https://bosai.example.jp/map")
    async with AsyncTestClient(app=create_app(settings)) as client:
        response = await client.get("/tiles/tilejson.json", headers={"Host": "evil.example"})
    assert response.json()["tiles"] == ["https://bosai.example.jp/map/tiles/{z}/{x}/{y}.mvt"]


@pytest.mark.parametrize(
    ("env", "base"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"BOSAI_HOST": "0.0.0.0", "BOSAI_PORT": "9000"}, "http://localhost:9000"),  # noqa: S104
        ({"BOSAI_HOST": "::1"}, "http://[::1]:8000"),
        ({"BOSAI_PUBLIC_URL": "https://bosai.example.jp/"}, "https://bosai.example.jp"),
        ({"BOSAI_PUBLIC_URL": "http://10.0.0.5:8080/bosai"}, "http://10.0.0.5:8080/bosai"),
    ],
)
def test_the_public_url_setting(env: dict[str, str], base: str) -> None:
    assert Settings.from_env(env).server.base_url == base


@pytest.mark.parametrize(
    "raw", ["bosai.example.jp", "ftp://bosai.example.jp", "https://", "https://x.jp/?a=1", "https://x.jp:port"]
)
def test_an_unusable_public_url_is_named(raw: str) -> None:
    with pytest.raises(SettingsError, match="BOSAI_PUBLIC_URL"):
        Settings.from_env({"BOSAI_PUBLIC_URL": raw})
