"""One error hierarchy, answered as RFC 9457 problem+json with a message a person can act on."""

from __future__ import annotations

import errno
import logging
import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, ClassVar

import asyncpg
import sqlalchemy.exc
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class BosaiError(Exception):
    """Base of every error the API answers on purpose."""

    status_code: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"
    #: Seconds after which to try again, sent as ``Retry-After`` (429, 503).
    retry_after: int | None = None

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidParameterError(BosaiError):
    """A query, path or body field is malformed or out of range (400)."""

    status_code = 400
    title = "Invalid parameter"

    def __init__(self, name: str, reason: str, allowed: Sequence[str] | str | None = None) -> None:
        param: dict[str, Any] = {"name": name, "reason": reason}
        if allowed is not None:
            param["allowed"] = allowed
        super().__init__(f"{name}: {reason}", invalidParams=[param])


class NotFoundError(BosaiError):
    status_code = 404
    title = "Not found"


class UnauthorizedError(BosaiError):
    status_code = 401
    title = "Sign-in required"


class TooManyRequestsError(BosaiError):
    status_code = 429
    title = "Too many requests"


class ForbiddenError(BosaiError):
    status_code = 403
    title = "Forbidden"


class ConflictError(BosaiError):
    status_code = 409
    title = "ConflictError"


class UnprocessableError(BosaiError):
    status_code = 422
    title = "UnprocessableError"


class ServiceUnavailableError(BosaiError):
    status_code = 503
    title = "Service unavailable"


def problem(status: int, title: str, detail: str, instance: str, **extra: Any) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body["instance"] = instance
    body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_JSON)


def handle_bosai_error(request: Request[Any, Any, Any], exc: BosaiError) -> Response[dict[str, Any]]:
    response = problem(exc.status_code, exc.title, exc.detail, request.url.path, **exc.extra)
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


# Litestar's words for a required header, query or cookie parameter that was not sent.
_MISSING = re.compile(r"Missing required (?P<kind>\w+) parameter '(?P<name>[^']+)'")


_FIELD = re.compile(r"(?P<what>missing required|contains unknown) field `(?P<field>[^`]+)`")


def _named(key: str, reason: str) -> dict[str, str]:
    """A field missing from a body object, or not known in it, is named itself rather than the
    object around it."""
    field = _FIELD.search(reason)
    if field:
        parent = "" if key in ("data", "body") else f"{key}."
        said = "is required" if field["what"] == "missing required" else "is not a known field"
        return {"name": f"{parent}{field['field']}", "reason": said}
    return {"name": key, "reason": reason}


def handle_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    """Litestar's own parameter validation, named per field like our InvalidParameterError."""
    params = [
        _named(item.get("key") or item.get("source", "body"), item.get("message", "invalid"))
        for item in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(item, dict)
    ]
    missing = _MISSING.match(exc.detail)
    if not params and missing:
        params = [{"name": missing["name"], "reason": f"the {missing['kind']} parameter is required"}]
    names = ", ".join(str(p["name"]) for p in params) or "request"
    detail = f"{names}: {params[0]['reason']}" if len(params) == 1 else f"invalid values in {names}"
    return problem(400, "Invalid parameter", detail, request.url.path, invalidParams=params)


def handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    return problem(exc.status_code, HTTPStatus(exc.status_code).phrase, exc.detail, request.url.path)


#: Seconds a client is told to wait when the database cannot be reached.
RETRY_AFTER_S = 5

# PostgreSQL is down, restarting, shutting down or full: the request may succeed later (503), and
# no one should read "something went wrong on the server" into it.
_DOWN = (
    asyncpg.PostgresConnectionError,  # 08xxx, ConnectionDoesNotExistError among them
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    sqlalchemy.exc.TimeoutError,  # the pool had no free connection in time
    ConnectionError,  # refused, reset, aborted
    TimeoutError,  # connect timeout (asyncio.TimeoutError is the same class)
)
_NETWORK_ERRNOS = {errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT, errno.ECONNRESET}


def database_unreachable(exc: BaseException) -> bool:
    """True when ``exc``, or what caused it, says the database cannot be reached (not a bug)."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, _DOWN):
            return True
        if isinstance(current, sqlalchemy.exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, asyncpg.InterfaceError) and "closed" in str(current):
            return True
        if isinstance(current, OSError) and (current.errno in _NETWORK_ERRNOS or type(current).__name__ == "gaierror"):
            return True
        pending.extend((current.__cause__, current.__context__, getattr(current, "orig", None)))
    return False


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    if database_unreachable(exc):
        log.warning("database unreachable on %s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
        response = problem(
            503,
            "Service unavailable",
            "The database cannot be reached right now; please try again shortly.",
            request.url.path,
        )
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "Internal error",
        "Something went wrong on the server. It has been logged; please try again.",
        request.url.path,
    )


EXCEPTION_HANDLERS = {
    BosaiError: handle_bosai_error,
    ValidationException: handle_validation,
    HTTPException: handle_http,
    Exception: handle_unexpected,
}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_JSON", "database_unreachable"]
