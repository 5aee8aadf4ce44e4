"""A resident's first visit on a weak signal: Chromium's network throttling at 400 kbit/s both ways
and 400 ms round trip, an empty cache and no service worker, the demo served by `bosai serve`.

Measured: bytes transferred (as sent, after compression), the share of them that came compressed,
the time to the first text painted (first-contentful-paint), to the first usable map (the sketch:
our tiles drawn on a canvas with the same view, zones and shelter symbols, a tap opening a sheet;
`data-drawn` on it) and to the full map (MapLibre's `load`, shown by `data-ready` on the map), which
replaces the sketch. The service worker is blocked: its precache starts after
the map and would only compete for the same bytes; a second visit is served by it. The floor,
measured in the same run on the same throttled network, is the shell's raw HTML alone (every other
request refused): no first visit can be faster. Targets (the screens issue): first text ≤ 3 s, map usable ≤ 8 s.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, Route, async_playwright

RESULTS = Path(__file__).resolve().parent / "results"
DIST = Path(__file__).resolve().parent.parent / "pwa" / "dist"
CHROMIUM = os.environ.get("BOSAI_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--disable-quic"]
PHONE = {"width": 360, "height": 640}
KBIT_S, RTT_MS = 400, 400
TARGET_TEXT_S, TARGET_MAP_S = 3.0, 8.0


@dataclass(frozen=True)
class VisitResult:
    floor_html_s: float
    first_text_s: float
    sketch_s: float
    map_s: float
    transferred_kb: float
    compressed_share: float
    requests: int
    target_text_s: float = TARGET_TEXT_S
    target_map_s: float = TARGET_MAP_S


async def _throttled(browser: Browser) -> tuple[Page, Any]:
    context = await browser.new_context(viewport=PHONE, service_workers="block", locale="ja-JP")  # type: ignore[arg-type]
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    bytes_per_s = KBIT_S * 1000 / 8
    await cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": RTT_MS, "downloadThroughput": bytes_per_s, "uploadThroughput": bytes_per_s},
    )
    return page, cdp


async def _floor(browser: Browser, base: str) -> float:
    """Seconds until the shell's HTML has arrived, nothing else allowed."""
    page, _ = await _throttled(browser)

    async def document_only(route: Route) -> None:
        if route.request.resource_type == "document":
            await route.continue_()
        else:
            await route.abort()

    await page.route("**/*", document_only)
    await page.goto(f"{base}/", wait_until="commit")
    await page.wait_for_load_state("domcontentloaded")
    seconds: float = await page.evaluate("performance.getEntriesByType('navigation')[0].responseEnd / 1000")
    await page.context.close()
    return seconds


async def _visit(browser: Browser, base: str) -> VisitResult:
    page, cdp = await _throttled(browser)
    encoded: dict[str, float] = {}
    compressed: set[str] = set()

    def on_response(event: dict[str, Any]) -> None:
        headers = {k.lower(): v for k, v in event["response"]["headers"].items()}
        if headers.get("content-encoding", "identity") != "identity":
            compressed.add(event["requestId"])

    def on_finished(event: dict[str, Any]) -> None:
        encoded[event["requestId"]] = event["encodedDataLength"]

    cdp.on("Network.responseReceived", on_response)
    cdp.on("Network.loadingFinished", on_finished)
    await page.goto(f"{base}/#/resident/map", wait_until="commit")
    await page.wait_for_selector("canvas.sketch[data-drawn=true]", state="attached", timeout=180_000)
    sketch_s: float = await page.evaluate("performance.now() / 1000")
    await page.wait_for_selector(".map[data-ready=true]", timeout=180_000)
    map_s: float = await page.evaluate("performance.now() / 1000")
    first_text_s: float = await page.evaluate(
        "(performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN) / 1000"
    )
    await page.wait_for_timeout(1000)  # the requests the map's first frame started
    total = sum(encoded.values())
    packed = sum(size for request, size in encoded.items() if request in compressed)
    await page.context.close()
    return VisitResult(0.0, first_text_s, sketch_s, map_s, total / 1000, packed / total if total else 0.0, len(encoded))


async def measure(base: str) -> VisitResult:
    if not (DIST / "index.html").is_file():
        raise SystemExit("pwa/dist is missing: make bench builds the PWA (or: cd pwa && npm run build)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            floor = await _floor(browser, base)
            visit = await _visit(browser, base)
        finally:
            await browser.close()
    return replace(visit, floor_html_s=floor)


def load_demo(database_url: str) -> None:
    """The demo towns, as `make run` loads them (no event: the keys are not needed)."""
    bosai = str(Path(sys.executable).with_name("bosai"))
    env = {**os.environ, "DATABASE_URL": database_url, "BOSAI_LOG_LEVEL": "warning"}
    subprocess.run([bosai, "demo", "--no-serve"], env=env, check=True, capture_output=True)


def report(result: VisitResult) -> None:
    def verdict(seconds: float, target: float) -> str:
        return "ok" if seconds <= target else "MISSED"

    print(f"\nfirst visit at {KBIT_S} kbit/s, {RTT_MS} ms RTT, 360×640, empty cache")
    print(f"  floor (the shell's HTML alone)   {result.floor_html_s:6.2f} s")
    print(
        f"  first text (first paint)         {result.first_text_s:6.2f} s  "
        f"x floor {result.first_text_s / result.floor_html_s:5.1f}  "
        f"target ≤ {TARGET_TEXT_S:g} s {verdict(result.first_text_s, TARGET_TEXT_S)}"
    )
    print(
        f"  map usable (the sketch)          {result.sketch_s:6.2f} s  "
        f"x floor {result.sketch_s / result.floor_html_s:5.1f}  "
        f"target ≤ {TARGET_MAP_S:g} s {verdict(result.sketch_s, TARGET_MAP_S)}"
    )
    full = result.map_s
    print(f"  full map (MapLibre) drawn        {full:6.2f} s  x floor {full / result.floor_html_s:5.1f}")
    print(
        f"  transferred {result.transferred_kb:.1f} KB in {result.requests} requests, "
        f"{result.compressed_share:.0%} of the bytes compressed"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "firstvisit.json").write_text(json.dumps(asdict(result), indent=1))


def run(base: str) -> VisitResult:
    return asyncio.run(measure(base))
