"""One way for a handler to say who may call it and to receive what it works with.

A route declares its rule as a guard — ``guards=[anyone]``, ``guards=[signed_in_as()]`` (any
signed-in account) or ``guards=[signed_in_as("staff", "municipal_hq")]`` — and receives the caller,
a database session in a transaction and the keys as dependencies (``caller: Caller``,
``session: Session``, ``keys: DataKeys``), registered once in ``create_app``. The roles table in
the tests reads these guards from the route table, so a route without a declared rule fails.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.auth import COOKIE, CSRF_HEADER, SAFE, client_bucket
from server.accounts.service import Principal, principal
from server.db.engine import session_factory
from server.lib.access import anyone
from server.lib.errors import ForbiddenError, UnauthorizedError
from server.lib.keys import Keys, require

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]
_CALLER = "bosai_principal"


async def current(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """The caller as the database says now: None once the session has ended. A long request (a
    live stream) asks again from time to time."""
    token = connection.cookies.get(COOKIE)
    return await principal(connection.app.state.fast_pool, token) if token else None


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The signed-in caller (resolved once per request), who must send the session's CSRF token
    with any write made with the cookie."""
    cached = connection.scope.get(_CALLER)
    if isinstance(cached, Principal):
        return cached
    caller = await current(connection)
    if caller is None:
        raise UnauthorizedError("sign in first (no valid session)")
    if connection.scope.get("method", "GET") not in SAFE:
        sent = connection.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), caller.csrf_token.encode()):
            raise ForbiddenError(f"missing or wrong {CSRF_HEADER} header (the csrfToken of GET /api/auth/me)")
    connection.scope[_CALLER] = caller  # type: ignore[literal-required]
    return caller


def signed_in_as(*roles: str) -> Guard:
    """A guard: the caller is signed in and holds one of ``roles`` (any role when none is named)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        caller = await authenticate(connection)
        if roles and not caller.roles & set(roles):
            raise ForbiddenError(f"this needs the role {' or '.join(roles)}")

    guard.roles = roles  # type: ignore[attr-defined]  # read by the roles table
    return guard


OPERATORS = ("staff", "municipal_hq", "prefectural_hq")
HEADQUARTERS = ("municipal_hq", "prefectural_hq")


async def provide_caller(request: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    return await authenticate(request)


async def provide_session(state: State) -> AsyncIterator[AsyncSession]:
    """A session in a transaction: committed when the handler returns, rolled back if it raises."""
    async with session_factory(state.engine)() as session, session.begin():
        yield session


def provide_keys(state: State) -> Keys:
    return require(state.crypto)


# What a handler declares to receive them: ``caller: Caller, session: Session, keys: DataKeys``.
Caller = NamedDependency[Principal]
Session = NamedDependency[AsyncSession]
DataKeys = NamedDependency[Keys]

DEPENDENCIES = {
    "caller": Provide(provide_caller),
    "session": Provide(provide_session),
    "keys": Provide(provide_keys, sync_to_thread=False),
}

__all__ = [
    "DEPENDENCIES",
    "HEADQUARTERS",
    "OPERATORS",
    "Caller",
    "DataKeys",
    "Session",
    "anyone",
    "client_bucket",
    "current",
    "signed_in_as",
]
