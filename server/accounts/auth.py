"""Who is calling: the session cookie resolved to a Principal; CSRF checked on every write made
with the cookie; roles checked by the handler that needs them."""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from litestar import Request, Response
from litestar.datastructures import Cookie, State

from server.accounts.service import Principal, principal
from server.lib.errors import ForbiddenError, UnauthorizedError

COOKIE = "bosai_session"
CSRF_HEADER = "x-csrf-token"
SAFE = {"GET", "HEAD", "OPTIONS"}


async def current(request: Request[Any, Any, Any], state: State) -> Principal | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    return await principal(state.fast_pool, token)


async def signed_in(request: Request[Any, Any, Any], state: State, *roles: str) -> Principal:
    """The caller, who must be signed in, send the session's CSRF token with any write, and hold
    one of ``roles`` (any role when none is named)."""
    caller = await current(request, state)
    if caller is None:
        raise UnauthorizedError("sign in first (no valid session)")
    if request.method not in SAFE:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), caller.csrf_token.encode()):
            raise ForbiddenError(f"missing or wrong {CSRF_HEADER} header (the csrfToken of GET /api/auth/me)")
    if roles and not caller.roles & set(roles):
        raise ForbiddenError(f"this needs the role {' or '.join(roles)}")
    return caller


def with_session_cookie(
    response: Response[Any], request: Request[Any, Any, Any], token: str, lifetime: timedelta
) -> Response[Any]:
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


def me(caller: Principal) -> dict[str, Any]:
    return {
        "id": str(caller.account_id),
        "kind": caller.kind,
        "email": caller.email,
        "roles": [{"role": s.role, "municipality": s.municipality, "shelter": s.shelter} for s in caller.scopes],
        "csrfToken": caller.csrf_token,
    }


def client_address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


async def session_response(
    request: Request[Any, Any, Any], state: State, token: str, lifetime: timedelta, status_code: int = 200, **extra: Any
) -> Response[dict[str, Any]]:
    """The answer to a new sign-in: who is signed in (and ``extra``), with the session cookie."""
    caller = await principal(state.fast_pool, token)
    assert caller is not None  # noqa: S101 - the session was just written
    return with_session_cookie(Response({**me(caller), **extra}, status_code=status_code), request, token, lifetime)
