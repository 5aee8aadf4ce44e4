"""gzip where it helps: whole JSON, GeoJSON, CSV and HTML answers of 1 KiB or more, for a client
that accepts it; never a stream, a partial (206) answer, one already encoded, an image or a small
answer; Vary: Accept-Encoding on every answer that could have been compressed."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator, Iterator

import pytest
from litestar import Litestar, Response, get
from litestar.response import Stream
from litestar.testing import TestClient

from server.lib.access import anyone
from server.lib.compression import Compression, accepted_encodings

BIG: dict[str, object] = {"shelters": [{"name": "見本小学校", "people": n} for n in range(200)]}


@get("/json", guards=[anyone], sync_to_thread=False)
def big_json() -> dict[str, object]:
    return BIG


@get("/small", guards=[anyone], sync_to_thread=False)
def small_json() -> dict[str, str]:
    return {"ok": "yes"}


@get("/csv", guards=[anyone], media_type="text/csv", sync_to_thread=False)
def csv() -> str:
    return "name,people\n" + "見本小学校,12\n" * 200


@get("/png", guards=[anyone], media_type="image/png", sync_to_thread=False)
def png() -> bytes:
    return b"\x89PNG" + b"\x00" * 4000


@get("/partial", guards=[anyone], sync_to_thread=False)
def partial() -> Response[bytes]:
    headers = {"Content-Range": "bytes 0-3999/10000"}
    return Response(b"a" * 4000, status_code=206, media_type="application/json", headers=headers)


@get("/encoded", guards=[anyone], sync_to_thread=False)
def encoded() -> Response[bytes]:
    body = gzip.compress(b"[" + b"1," * 2000 + b"1]")
    return Response(body, media_type="application/json", headers={"Content-Encoding": "gzip"})


@get("/stream", guards=[anyone], sync_to_thread=False)
def stream() -> Stream:
    async def parts() -> AsyncIterator[str]:
        for _ in range(3):
            yield "data: " + "x" * 2000 + "\n\n"

    return Stream(parts(), media_type="text/event-stream")


@pytest.fixture
def client() -> Iterator[TestClient[Litestar]]:
    app = Litestar([big_json, small_json, csv, png, partial, encoded, stream], middleware=[Compression()])
    with TestClient(app) as client:
        yield client


def test_a_large_json_answer_is_gzipped_for_a_client_that_accepts_it(client: TestClient[Litestar]) -> None:
    plain = client.get("/json", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.headers["vary"] == "Accept-Encoding"
    packed = client.get("/json", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["content-encoding"] == "gzip" and packed.headers["vary"] == "Accept-Encoding"
    assert packed.json() == plain.json() == BIG
    assert int(packed.headers["content-length"]) == packed.num_bytes_downloaded < len(plain.content) / 4
    csv = client.get("/csv", headers={"Accept-Encoding": "gzip"})
    assert csv.headers["content-encoding"] == "gzip" and csv.text.count("見本小学校") == 200


def test_gzip_with_quality_zero_is_refused_and_is_not_sent(client: TestClient[Litestar]) -> None:
    answer = client.get("/json", headers={"Accept-Encoding": "br, gzip;q=0"})
    assert "content-encoding" not in answer.headers and answer.json() == BIG
    assert accepted_encodings("gzip;q=0.5, br;q=0, *;q=x") == {"gzip"}
    assert accepted_encodings("") == frozenset()


@pytest.mark.parametrize("path", ["/small", "/png", "/partial", "/stream"])
def test_what_gains_nothing_or_must_stay_as_it_is_is_never_compressed(client: TestClient[Litestar], path: str) -> None:
    answer = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert answer.status_code in (200, 206)
    assert "content-encoding" not in answer.headers


def test_an_answer_already_encoded_is_not_encoded_twice(client: TestClient[Litestar]) -> None:
    answer = client.get("/encoded", headers={"Accept-Encoding": "gzip"})
    assert answer.headers["content-encoding"] == "gzip"
    assert answer.json() == [1] * 2001  # decoded once by the client: encoded once by the server
