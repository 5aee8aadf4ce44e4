"""The guard of a route that is public on purpose (imported by server/web, which is no feature;
features take it from server.accounts.guards with the others)."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler


async def anyone(_connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """A guard that lets everyone through: the route is public on purpose."""
