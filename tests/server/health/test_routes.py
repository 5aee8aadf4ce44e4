from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.db.migrate import head_revision
from tests.conftest import settings_for


async def test_healthz_answers_without_the_database(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_on_a_migrated_database(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": "ok", "revision": head_revision()}


async def test_readyz_says_migrations_are_missing(empty_database_url: str) -> None:
    async with AsyncTestClient(app=create_app(settings_for(empty_database_url))) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 503
    assert f"revision none, code expects {head_revision()}" in body["detail"]
    assert "bosai db upgrade" in body["detail"]


async def test_readyz_when_the_database_is_down() -> None:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    settings = settings_for("postgresql+asyncpg://postgres@127.0.0.1:9/bosai")
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert (await client.get("/healthz")).status_code == 200
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["detail"].startswith("database unreachable:")


async def test_openapi_document_is_served(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert {"/healthz", "/readyz"} <= set(document["paths"])


async def test_root_serves_the_app_page(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert "防災" in response.text  # the built app, or the placeholder before `make pwa`
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"  # an update must reach every phone


async def test_unknown_path_is_problem_json(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["title"] == "Not Found"
