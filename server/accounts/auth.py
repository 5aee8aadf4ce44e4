"""Sessions and clients: the session cookie and its answer after a sign-in; which client address a
request comes from (the one place that decides it); anonymous JSON endpoints take JSON only. Who
may call a route is declared by its guard (server/accounts/guards.py)."""

from __future__ import annotations

import functools
import ipaddress
from datetime import timedelta
from typing import Any, TypeVar

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, State
from litestar.handlers import BaseRouteHandler

from server.accounts.schemas import Me
from server.accounts.service import Principal, principal
from server.lib.errors import BosaiError

COOKIE = "bosai_session"
CSRF_HEADER = "x-csrf-token"
SAFE = {"GET", "HEAD", "OPTIONS"}
T = TypeVar("T")


def with_session_cookie(
    response: Response[T], request: Request[Any, Any, Any], token: str, lifetime: timedelta
) -> Response[T]:
    # A client's own claim of https only makes the cookie stricter, so it is honoured from anyone.
    secure = request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
    response.cookies.append(
        Cookie(
            key=COOKIE,
            value=token,
            max_age=int(lifetime.total_seconds()),
            path="/",
            httponly=True,
            secure=secure,
            samesite="lax",
        )
    )
    return response


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.cache
def _trusted(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _is_trusted(host: str, trusted: tuple[Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return any(address in network for network in trusted)


def client_address(request: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The client's address: the direct peer, unless that peer is one of BOSAI_TRUSTED_PROXIES;
    then the nearest X-Forwarded-For entry that is not a trusted proxy (entries further left were
    written by the client and prove nothing). With no trusted proxy the header is never read, so
    a client cannot choose its own rate-limit bucket. (uvicorn, given the same list by ``bosai
    serve``, may already have put that address in the peer; the walk below then changes nothing.)"""
    peer = request.client.host if request.client else "unknown"
    trusted = _trusted(request.app.state.settings.server.trusted_proxies)
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    hops = [h.strip() for v in request.headers.getall("x-forwarded-for", []) for h in v.split(",") if h.strip()]
    client = peer
    while hops and _is_trusted(client, trusted):
        client = hops.pop()
    return client


def client_bucket(request: ASGIConnection[Any, Any, Any, Any]) -> str:
    """What limits count per client: its address, an IPv6 one by its /64 (one subscriber's
    network, whose addresses are theirs to rotate)."""
    address = client_address(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


class UnsupportedMediaTypeError(BosaiError):
    status_code = 415
    title = "Unsupported media type"


def _json_guard(*, optional: bool) -> Any:
    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        sent = connection.headers.get("content-type")
        if sent is None and optional:
            return
        if (sent or "").split(";")[0].strip().lower() != "application/json":
            raise UnsupportedMediaTypeError(
                f"send the body as application/json (got {sent or 'no Content-Type'})", accepted=["application/json"]
            )

    return guard


# Anonymous endpoints that sign in: a form on another site can send text/plain or form bodies
# without a preflight (login CSRF), never application/json.
json_only = _json_guard(optional=False)
# POST /api/residents has no body: no Content-Type, or JSON; a cross-site form always sends another.
json_or_nothing = _json_guard(optional=True)


async def signed_in(state: State, token: str) -> Principal:
    """Who a session just written belongs to."""
    caller = await principal(state.fast_pool, token)
    assert caller is not None  # noqa: S101 - the session was just written
    return caller


async def session_response(
    request: Request[Any, Any, Any], state: State, token: str, lifetime: timedelta
) -> Response[Me]:
    """The answer to a new sign-in: who is signed in, with the session cookie."""
    caller = await signed_in(state, token)
    return with_session_cookie(Response(Me.of(caller)), request, token, lifetime)
