"""Push alerts at the scale of a city: 100,000 subscriptions of one municipality (青森市).

1. Feed → queued: a JMA 気象警報・注意報 message appears in a feed served locally; the time from the
   watcher's poll starting (`bosai alerts watch`'s one poll: the feed, the message, the import) to
   the commit that holds every push job, each for up to 250 subscribers (target < 1 s; the polling
   interval, up to a minute, comes on top). The workers make the delivery rows as they take jobs.
2. Encryption only: RFC 8291 aes128gcm of the same payload, one core, as the floor of what a
   worker can do.
3. Delivery: 2 `bosai alerts worker --once` processes deliver everything queued to a push receiver
   of the bench's own (another process, answering 201; every 1000th message is decrypted to prove
   the encryption real). Total time (target < 60 s), the rate per worker process against the
   encryption-only rate (target ≥ 0.5×), and duplicates: requests the receiver got for an
   endpoint already served (target 0), with the delivery rows by state.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from fixtures.make_alerts import build
from server.alerts.cli import read
from server.alerts.push import encrypt
from server.alerts.watch import client, poll
from server.db.migrate import upgrade
from server.lib.keys import b64, generate
from server.settings import JmaSettings, Settings

RESULTS = Path(__file__).resolve().parent / "results"
SUBSCRIBERS = 100_000
WORKERS = 2
# A busy machine may not finish: the workers are stopped after this, and the figures are of what
# was delivered by then (reported as unfinished).
DELIVERY_LIMIT_S = float(os.environ.get("BOSAI_BENCH_ALERTS_LIMIT_S", "300"))
ENCRYPTIONS = 3000
DECRYPT_EVERY = 1000
PAYLOAD = json.dumps(
    {
        "alertId": "0190f000-0000-7000-8000-000000000000",
        "kind": "warning",
        "level": 3,
        "headline": "【警戒レベル3相当】大雨警報 発表（青森市）",
        "url": "https://bosai.example.jp/alerts/0190f000-0000-7000-8000-000000000000",
        "action": "issue",
        "status": "actual",
        "lang": "ja",
    },
    ensure_ascii=False,
).encode()


@dataclass
class AlertBenchResult:
    subscribers: int
    queued: int
    feed_to_queued_s: float
    encryptions_per_s: float
    workers: int
    delivered: int
    delivery_s: float
    per_worker_per_s: float
    ratio_to_encryption: float
    receiver_requests: int
    duplicates: int
    states: dict[str, int]


# ---------------------------------------------------------------- the receiver (its own process)


def receiver_main(port_file: str, private_key_hex: str, auth_hex: str) -> None:
    """A push service answering 201 and counting requests per endpoint; every 1000th body is
    decrypted with the subscriptions' key (they share one: the cost to the sender is the same)."""
    import http_ece

    key = ec.derive_private_key(int(private_key_hex, 16), ec.SECP256R1())
    auth = bytes.fromhex(auth_hex)
    seen: dict[str, int] = {}
    state = {"requests": 0, "decrypted": 0, "undecryptable": 0}

    async def push(request: web.Request) -> web.Response:
        body = await request.read()
        name = request.match_info["name"]
        seen[name] = seen.get(name, 0) + 1
        state["requests"] += 1
        if state["requests"] % DECRYPT_EVERY == 0:
            try:
                json.loads(http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm"))
                state["decrypted"] += 1
            except Exception:
                state["undecryptable"] += 1
        return web.Response(status=201)

    async def stats(_: web.Request) -> web.Response:
        duplicates = sum(n - 1 for n in seen.values() if n > 1)
        return web.json_response({**state, "endpoints": len(seen), "duplicates": duplicates})

    async def serve() -> None:
        app = web.Application()
        app.router.add_post("/push/{name}", push)
        app.router.add_get("/stats", stats)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = str(runner.addresses[0][1])
        await asyncio.to_thread(Path(port_file).write_text, port)
        await asyncio.Event().wait()

    asyncio.run(serve())


# ---------------------------------------------------------------- the bench


def encryption_rate(p256dh: str, auth: str) -> float:
    encrypt(PAYLOAD, p256dh, auth)
    started = time.perf_counter()
    for _ in range(ENCRYPTIONS):
        encrypt(PAYLOAD, p256dh, auth)
    return ENCRYPTIONS / (time.perf_counter() - started)


async def _subscribers(url: str, base: str, p256dh: str, auth: str) -> None:
    engine = create_async_engine(url)
    try:
        await upgrade(engine)
        async with engine.begin() as connection:
            await connection.execute(
                text("TRUNCATE delivery, alert, push_subscription, jma_feed, jma_feed_entry CASCADE")
            )
            await connection.execute(text("TRUNCATE pgqueuer.pgqueuer"))
            await connection.execute(
                text(
                    "INSERT INTO municipality (id, code, name, name_en, prefecture) VALUES "
                    "(gen_random_uuid(), '022012', '青森市', 'Aomori', '青森県') ON CONFLICT (code) DO NOTHING"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO push_subscription (id, endpoint, p256dh, auth, token_hash, areas, municipalities, "
                    "languages, kinds, min_intensity) "
                    "SELECT gen_random_uuid(), :base || g, :p256dh, :auth, sha256(g::text::bytea), "
                    "'[{\"municipality\": \"022012\"}]'::jsonb, ARRAY['022012'], ARRAY['ja'], "
                    "ARRAY['evacuation','warning','advisory','landslide','flood','earthquake','tsunami','shelter'], 3 "
                    "FROM generate_series(1, :n) g"
                ),
                {"base": f"{base}/push/", "p256dh": p256dh, "auth": auth, "n": SUBSCRIBERS},
            )
        async with engine.begin() as connection:
            await connection.execute(text("ANALYZE push_subscription"))
    finally:
        await engine.dispose()


async def _feed_to_queued(url: str, settings: Settings) -> tuple[float, int]:
    """Publish the message in a local feed and time one poll until its jobs are committed."""
    folder = Path(tempfile.mkdtemp(prefix="bosai-bench-alerts-"))
    build(folder, datetime.now(UTC) - timedelta(minutes=1))
    message = read(folder / "warnings" / "01_vpww54_issue.xml")
    listed: list[str] = []

    async def feed(request: web.Request) -> web.Response:
        now = datetime.now(UTC)
        entries = "".join(
            f"<entry><title>気象警報・注意報（Ｒ０６）</title><id>urn:uuid:{e}</id><updated>{now.isoformat()}</updated>"
            f'<link type="application/xml" href="/data/{e}.xml"/></entry>'
            for e in listed
        )
        atom = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>bench</title><id>bench</id>{entries}</feed>'
        return web.Response(body=atom.encode(), headers={"Last-Modified": format_datetime(now, usegmt=True)})

    async def data(_: web.Request) -> web.Response:
        return web.Response(body=message, content_type="application/xml")

    app = web.Application()
    app.router.add_get("/feed.xml", feed)
    app.router.add_get("/data/{name}", data)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    jma = JmaSettings(feeds=(f"{base}/feed.xml",), long_feeds=())
    watching = Settings(database=settings.database, server=settings.server, jma=jma)
    engine = create_async_engine(url)
    try:
        async with client() as http:
            await poll(watching, engine, http)  # the empty feed: the watcher is running
            listed.append("bench-0001")
            started = time.perf_counter()
            result = await poll(watching, engine, http)
            elapsed = time.perf_counter() - started
        queued = sum(s.deliveries for t in result.taken for s in t.stored)
        async with engine.begin() as connection:
            await connection.execute(text("ANALYZE delivery"))
        return elapsed, queued
    finally:
        await engine.dispose()
        await runner.cleanup()


async def _states(url: str) -> dict[str, int]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT state, count(*) FROM delivery GROUP BY state"))).all()
        return {str(state): int(n) for state, n in rows}
    finally:
        await engine.dispose()


def measure(url: str, settings: Settings) -> AlertBenchResult:
    private = ec.generate_private_key(ec.SECP256R1())
    p256dh = b64(private.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))
    auth_bytes = os.urandom(16)
    auth = b64(auth_bytes)
    port_file = Path(tempfile.mkdtemp(prefix="bosai-bench-receiver-")) / "port"
    key_hex = format(private.private_numbers().private_value, "x")
    receiver = subprocess.Popen(
        [sys.executable, "-m", "bench.alerts", "receiver", str(port_file), key_hex, auth_bytes.hex()]
    )
    try:
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text():
            if time.monotonic() > deadline or receiver.poll() is not None:
                raise SystemExit("the bench's push receiver did not start")
            time.sleep(0.1)
        base = f"http://127.0.0.1:{port_file.read_text()}"
        asyncio.run(_subscribers(url, base, p256dh, auth))
        feed_s, queued = asyncio.run(_feed_to_queued(url, settings))
        print(f"feed message → {queued:,} push jobs queued: {feed_s:.2f} s", flush=True)
        encryptions = encryption_rate(p256dh, auth)
        print(f"encryption only: {encryptions:,.0f} /s", flush=True)
        env = {**os.environ, **generate(), "DATABASE_URL": url, "BOSAI_LOG_LEVEL": "warning"}
        bosai = str(Path(sys.executable).with_name("bosai"))
        started = time.perf_counter()
        workers = [subprocess.Popen([bosai, "alerts", "worker", "--once"], env=env) for _ in range(WORKERS)]
        for worker in workers:
            try:
                worker.wait(timeout=max(1.0, DELIVERY_LIMIT_S - (time.perf_counter() - started)))
            except subprocess.TimeoutExpired:
                worker.terminate()
                worker.wait(timeout=30)
        delivery_s = time.perf_counter() - started
        stats = httpx.get(f"{base}/stats", timeout=10).json()
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)
    states = asyncio.run(_states(url))
    delivered = states.get("sent", 0)
    per_worker = delivered / delivery_s / WORKERS
    return AlertBenchResult(
        subscribers=SUBSCRIBERS,
        queued=queued,
        feed_to_queued_s=feed_s,
        encryptions_per_s=encryptions,
        workers=WORKERS,
        delivered=delivered,
        delivery_s=delivery_s,
        per_worker_per_s=per_worker,
        ratio_to_encryption=per_worker / encryptions,
        receiver_requests=int(stats["requests"]),
        duplicates=int(stats["duplicates"]),
        states=states | {"decrypted_samples": int(stats["decrypted"]), "undecryptable": int(stats["undecryptable"])},
    )


def report(result: AlertBenchResult) -> None:
    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    print(f"\npush alerts, {result.subscribers:,} subscribers of one municipality")
    print(
        f"feed message → {result.queued:,} push jobs queued: {result.feed_to_queued_s:.2f} s "
        f"(target < 1 s: {verdict(result.feed_to_queued_s < 1)})"
    )
    print(f"encryption only (aes128gcm, one core): {result.encryptions_per_s:,.0f} /s")
    print(
        f"delivered {result.delivered:,} of {result.queued:,} with {result.workers} worker processes "
        f"in {result.delivery_s:.1f} s{'' if result.delivered >= result.queued else ' (stopped: unfinished)'} "
        f"(target < 60 s: {verdict(result.delivered == result.subscribers and result.delivery_s < 60)})"
    )
    print(
        f"per worker process: {result.per_worker_per_s:,.0f} /s = {result.ratio_to_encryption:.2f}× encryption only "
        f"(target ≥ 0.5×: {verdict(result.ratio_to_encryption >= 0.5)})"
    )
    print(
        f"receiver: {result.receiver_requests:,} requests, duplicates {result.duplicates} "
        f"(target 0: {verdict(result.duplicates == 0)}); deliveries by state {result.states}"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "alerts.json").write_text(json.dumps(asdict(result), indent=1))


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "receiver":
    receiver_main(sys.argv[2], sys.argv[3], sys.argv[4])
