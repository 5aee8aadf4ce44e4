"""End-to-end: the built PWA served by a real `bosai serve` on the demo data, in Debian's headless
Chromium driven by Playwright. `make test` builds the PWA first (pwa/dist)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, async_playwright
from sqlalchemy.ext.asyncio import create_async_engine

from server.cli import FIXTURES, IMPORT_FIXTURES
from server.demo import import_demo_files, load_demo
from server.packs.worker import build_packs
from server.settings import PackSettings
from tests.conftest import TEST_KEYS, Postgres, database_name, fresh_database, settings_for

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "pwa" / "dist"
AXE = ROOT / "pwa" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("BOSAI_CHROMIUM", "/usr/bin/chromium")
# Debian's Chromium, headless, as root, on a closed network, with software WebGL for MapLibre.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
PHONE: ViewportSize = {"width": 360, "height": 640}
ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"
# An <img> that has loaded a real picture (a QR code is wider than 100 px).
LOADED_IMAGE = "(img) => img.complete && img.naturalWidth > 100"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """`bosai serve` as a process of its own, stoppable mid-test."""

    def __init__(self, database: Demo, static_dir: Path = DIST) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": database.url, "BOSAI_STATIC_DIR": str(static_dir)}
        env |= {"BOSAI_LOG_LEVEL": "warning", "BOSAI_PACKS_DIR": str(database.packs), **TEST_KEYS}
        env["BOSAI_RESIDENTS_PER_MINUTE"] = "1000"  # the tests make many residents from one address
        bosai = Path(sys.executable).with_name("bosai")
        self.process = subprocess.Popen([str(bosai), "serve", "--port", str(self.port)], env=env)
        # Generous: on a busy two-core machine (pytest-xdist workers, Chromium) imports alone took 30 s.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("bosai serve did not become ready")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass(frozen=True)
class Demo:
    """The demo data in a database of its own, with its offline packs built."""

    url: str
    packs: Path


@pytest.fixture(scope="session")
async def demo_template(postgres: Postgres, template_database: str) -> AsyncIterator[Demo]:
    """The demo loaded and its packs built once for the session (the slowest part of the setup);
    each module works on copies of both."""
    if not (DIST / "index.html").is_file():
        pytest.fail("pwa/dist is missing: `make test` builds the PWA (or: cd pwa && npm run build)")
    packs = Path(tempfile.mkdtemp(prefix="bosai-e2e-packs-"))
    async with fresh_database(postgres, template_database) as url:
        engine = create_async_engine(url)
        try:
            await load_demo(engine, FIXTURES)
            assert all(s.ok for s in await import_demo_files(engine, IMPORT_FIXTURES))
        finally:
            await engine.dispose()  # a template must have no connections when it is copied
        settings = replace(settings_for(url), packs=PackSettings(folder=packs))
        await build_packs(settings)
        yield Demo(url, packs)
    shutil.rmtree(packs, ignore_errors=True)


@pytest.fixture(scope="module")
async def demo(postgres: Postgres, demo_template: Demo) -> AsyncIterator[Demo]:
    """The demo data in a database of the module's own, with its packs (a copy: tests write both)."""
    packs = Path(tempfile.mkdtemp(prefix="bosai-e2e-packs-"))
    shutil.copytree(demo_template.packs, packs, dirs_exist_ok=True)
    async with fresh_database(postgres, database_name(demo_template.url)) as url:
        yield Demo(url, packs)
    shutil.rmtree(packs, ignore_errors=True)


@pytest.fixture(scope="module")
def server(demo: Demo) -> Iterator[Server]:
    running = Server(demo)
    yield running
    running.stop()


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        await launched.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(viewport=PHONE, locale="ja-JP", service_workers="allow")
    yield context
    await context.close()


@pytest.fixture
async def page(context: BrowserContext) -> AsyncIterator[Page]:
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert not errors, errors
