"""The PWA's files: the precompressed copy the browser accepts is sent as it is (brotli before
gzip), the plain file to a client that accepts neither; hashed assets are immutable, the page
revalidates with a 304 while unchanged; nothing outside the folder is served."""

from __future__ import annotations

import gzip
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from server.lib.compression import Compression
from server.lib.errors import EXCEPTION_HANDLERS
from server.web.static import static_router

SCRIPT = b"console.log('" + "避難所".encode() * 2000 + b"');"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient[Litestar]]:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>防災</title>", encoding="utf-8")
    script = dist / "assets" / "index-abc123.js"
    script.write_bytes(SCRIPT)
    script.with_name(script.name + ".gz").write_bytes(gzip.compress(SCRIPT))
    script.with_name(script.name + ".br").write_bytes(b"brotli bytes")  # sent as they are, never decoded here
    (tmp_path / "secret.txt").write_text("outside the folder")
    app = Litestar([static_router(dist)], middleware=[Compression()], exception_handlers=EXCEPTION_HANDLERS)  # type: ignore[arg-type]
    with TestClient(app) as client:
        yield client


def test_the_encoding_the_browser_prefers_is_sent_precompressed(client: TestClient[Litestar]) -> None:
    chromium = client.get("/assets/index-abc123.js", headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert chromium.status_code == 200
    assert chromium.headers["content-encoding"] == "br" and chromium.headers["vary"] == "Accept-Encoding"
    assert chromium.headers["content-type"].startswith("text/javascript")
    assert chromium.content == b"brotli bytes"
    assert "immutable" in chromium.headers["cache-control"]

    older = client.get("/assets/index-abc123.js", headers={"Accept-Encoding": "gzip"})
    assert older.headers["content-encoding"] == "gzip" and older.content == SCRIPT  # decoded by the client
    assert older.num_bytes_downloaded < len(SCRIPT) / 4

    plain = client.get("/assets/index-abc123.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == SCRIPT
    assert plain.headers["vary"] == "Accept-Encoding"


def test_a_copy_older_than_its_file_is_never_sent(client: TestClient[Litestar], tmp_path: Path) -> None:
    script = tmp_path / "dist" / "assets" / "index-abc123.js"
    changed = SCRIPT + b"// patched after the build"
    script.write_bytes(changed)
    os.utime(script, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    answer = client.get("/assets/index-abc123.js", headers={"Accept-Encoding": "gzip, br"})
    assert answer.headers.get("content-encoding") != "br"  # not the stale copy (gzipped on the fly: fine)
    assert answer.content == changed


def test_the_page_revalidates_and_is_answered_304_while_unchanged(client: TestClient[Litestar]) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "防災" in page.text
    assert page.headers["cache-control"] == "no-cache" and page.headers["content-type"].startswith("text/html")
    again = client.get("/", headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert client.head("/").status_code == 200


@pytest.mark.parametrize("path", ["/missing.js", "/../secret.txt", "/assets/%2e%2e/%2e%2e/secret.txt"])
def test_nothing_outside_the_folder_or_missing_is_served(client: TestClient[Litestar], path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404
    assert "outside" not in answer.text
