"""The edge of the application: what every request must be before any handler sees it.

PostgreSQL refuses NUL in text and any string that is not valid UTF-8 (a lone surrogate cannot be
encoded), Python's decoders accept both, and deep nesting exhausts the recursion of every decoder:
left to the handlers, each of these becomes a 500 somewhere. One middleware in front of every
route refuses them with a 400 naming the parameter or the JSON path, so no feature has to
remember to.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_to_bytes

import msgspec
from litestar import Request
from litestar.enums import ScopeType
from litestar.handlers import HTTPRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, HTTPRequestEvent, Receive, ReceiveMessage, Scope, Send

from server.lib.errors import InvalidParameterError

#: Request bodies larger than this are refused with 413 unless a route sets its own
#: ``request_max_body_size`` (the import upload does). Litestar's default is 10 MB.
MAX_BODY_BYTES = 1024 * 1024
#: Deeper JSON is refused: no request of this API nests more than a few levels.
MAX_JSON_DEPTH = 32
#: Integers beyond what PostgreSQL's bigint holds can never be stored.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(text: str) -> str | None:
    """Why PostgreSQL could not store ``text``, or None."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    return "contains a NUL character" if found.group() == "\x00" else "contains a lone surrogate (not valid Unicode)"


def _decoded(raw: bytes, name: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidParameterError(name, f"is not valid UTF-8 (byte {exc.start})") from None
    if (reason := _unstorable(text)) is not None:
        raise InvalidParameterError(name, reason)
    return text


def check_query(query_string: bytes) -> None:
    """Every name and value of the query string is valid UTF-8 without NUL."""
    for pair in query_string.split(b"&"):
        raw_name, _, raw_value = pair.partition(b"=")
        # A name that is itself unreadable cannot name the problem: the query string does.
        name = _decoded(unquote_to_bytes(raw_name.replace(b"+", b" ")), "query")
        _decoded(unquote_to_bytes(raw_value.replace(b"+", b" ")), name)


def check_path(scope: Scope) -> None:
    """The path, percent-decoded, is valid UTF-8 without NUL; a bad path parameter is named."""
    raw = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
    raw_path = raw.split(b"?", 1)[0]
    params: dict[str, Any] = scope.get("path_params") or {}
    try:
        _decoded(unquote_to_bytes(raw_path), "path")
    except InvalidParameterError as exc:
        for name, value in params.items():
            if isinstance(value, str) and (_unstorable(value) or "\ufffd" in value):
                raise InvalidParameterError(name, exc.extra["invalidParams"][0]["reason"]) from None
        raise


def _json_path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return key if parent == "body" else f"{parent}.{key}"


def _walk(document: Any) -> Iterator[tuple[str, int, Any]]:
    """(path, depth, value) of every value and key, without recursion (depth is what is checked)."""
    stack: list[tuple[str, int, Any]] = [("body", 1, document)]
    while stack:
        path, depth, value = stack.pop()
        yield path, depth, value
        if isinstance(value, dict):
            for key, item in value.items():
                child = _json_path(path, key)
                yield child, depth, key
                stack.append((child, depth + 1, item))
        elif isinstance(value, list):
            stack.extend((_json_path(path, index), depth + 1, item) for index, item in enumerate(value))


def check_json(body: bytes, *, declared: bool) -> None:
    """A JSON body is valid UTF-8, at most MAX_JSON_DEPTH deep, with storable strings and keys and
    integers within bigint. A body that is not JSON is refused only when it says it is
    (``declared``); the handlers that read other types answer for them."""
    # msgspec does not check that the bytes inside a string are UTF-8: decoding first does.
    text = _decoded_body(body)
    try:
        document = msgspec.json.decode(body)
    except RecursionError:
        raise InvalidParameterError("body", "nested too deeply", f"at most {MAX_JSON_DEPTH} levels") from None
    except msgspec.DecodeError as exc:
        # msgspec refuses lone surrogates ("\ud800") as truncated input: Python's decoder keeps
        # them, so the walk below can name where they are.
        try:
            document = json.loads(text)
        except (ValueError, RecursionError):
            if not declared:
                return
            raise InvalidParameterError("body", f"is not valid JSON ({exc})") from None
    for path, depth, value in _walk(document):
        if depth > MAX_JSON_DEPTH:
            raise InvalidParameterError("body", "nested too deeply", f"at most {MAX_JSON_DEPTH} levels")
        if isinstance(value, str) and (reason := _unstorable(value)) is not None:
            raise InvalidParameterError(path, reason)
        if isinstance(value, int) and not isinstance(value, bool) and not INT64_MIN <= value <= INT64_MAX:
            raise InvalidParameterError(path, "is out of range", f"a whole number from {INT64_MIN} to {INT64_MAX}")


def _decoded_body(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidParameterError("body", f"is not valid UTF-8 (byte {exc.start})") from None


def _media_type(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower().decode("latin-1")
    return None


def _has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if (name == b"content-length" and value.strip() not in (b"", b"0")) or name == b"transfer-encoding":
            return True
    return False


def _json_kind(media_type: str | None) -> bool | None:
    """True: the body says it is JSON; False: it may be JSON (handlers decode untyped and text
    bodies as JSON); None: not JSON (forms, uploads), left to the route."""
    if media_type is None or media_type.startswith("text/"):
        return False
    if media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json")):
        return True
    return None


class EdgeGuard(ASGIMiddleware):
    """Refuses, before routing reaches a handler, query strings, paths and JSON bodies that no
    handler could store. The body is read once (within the route's size limit) and handed on."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        check_path(scope)
        if scope.get("query_string"):
            check_query(scope["query_string"])
        media_type = _media_type(scope)
        kind = _json_kind(media_type)
        # A route without a body limit (the import upload) reads its body itself, after its guard:
        # reading it here would buffer any size from anyone.
        handler = scope["route_handler"]
        unbounded = isinstance(handler, HTTPRouteHandler) and handler.resolve_request_max_body_size() is None
        if kind is None or unbounded or not _has_body(scope):
            await next_app(scope, receive, send)
            return
        # Request.body() keeps the body in the connection's state, so the handler's own Request
        # (data:, request.body()) finds it; the replayed message serves anything that streams.
        body = await Request[Any, Any, Any](scope, receive).body()
        if body:
            check_json(body, declared=kind)
        await next_app(scope, _replay(body, receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> ReceiveMessage:
        nonlocal sent
        if not sent:
            sent = True
            return HTTPRequestEvent(type="http.request", body=body, more_body=False)
        return await receive()

    return replayed
