"""Which failures mean "the database cannot be reached" (503, try again) rather than a bug (500)."""

from __future__ import annotations

import errno
import socket

import asyncpg
import pytest
import sqlalchemy.exc

from server.lib.errors import database_unreachable


def wrapped(orig: BaseException, *, invalidated: bool = False) -> sqlalchemy.exc.DBAPIError:
    """As SQLAlchemy raises it: the driver's error as ``orig`` and as the cause."""
    error = sqlalchemy.exc.DBAPIError("SELECT 1", {}, orig, connection_invalidated=invalidated)
    error.__cause__ = orig
    return error


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"),
        OSError(errno.ECONNREFUSED, "Multiple exceptions: refused"),
        OSError(errno.EHOSTUNREACH, "No route to host"),
        socket.gaierror(-2, "Name or service not known"),
        TimeoutError(),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.InterfaceError("connection is closed"),
        sqlalchemy.exc.TimeoutError("QueuePool limit of size 10 overflow 10 reached"),
        wrapped(asyncpg.ConnectionDoesNotExistError("closed")),
        wrapped(Exception("whatever the driver said"), invalidated=True),
        sqlalchemy.exc.OperationalError("SELECT 1", {}, asyncpg.CannotConnectNowError("starting up")),
    ],
)
def test_connection_failures_are_unreachable(exc: BaseException) -> None:
    assert database_unreachable(exc)


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("a bug"),
        FileNotFoundError(errno.ENOENT, "no such pack"),
        PermissionError(errno.EACCES, "denied"),
        asyncpg.UniqueViolationError("duplicate key"),
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
        wrapped(asyncpg.DataError("invalid input for query argument $1")),
    ],
)
def test_other_errors_stay_errors(exc: BaseException) -> None:
    assert not database_unreachable(exc)
