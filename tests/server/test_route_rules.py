"""Read from the app's route table: every route declares who may call it (a guard), and every
route that needs a session has its row in the roles table, so a new route cannot be forgotten."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from server.accounts.guards import anyone
from tests.conftest import settings_for
from tests.server.accounts.test_roles import ENDPOINTS

PUBLIC = "public"


def rule(handler: HTTPRouteHandler) -> str | tuple[str, ...] | None:
    """``public``, the roles allowed (empty: any signed-in account), or None when undeclared."""
    for guard in handler.resolve_guards():
        if guard is anyone:
            return PUBLIC
        roles = getattr(guard, "roles", None)
        if roles is not None:
            return tuple(roles)
    return None


def routes() -> dict[str, HTTPRouteHandler]:
    """Every "METHOD /path" the app serves (path parameters written {id}), but the API document."""
    from server.app import create_app

    app: Litestar = create_app(settings_for(None))
    found = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith("/schema"):
            continue
        path = re.sub(r"\{[^}]+\}", "{id}", route.path)
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                found[f"{method} {path}"] = handler
    return found


def test_every_route_declares_who_may_call_it() -> None:
    undeclared = sorted(name for name, handler in routes().items() if rule(handler) is None)
    assert undeclared == [], "declare guards=[anyone] or guards=[signed_in_as(...)] on: " + ", ".join(undeclared)


def test_every_route_that_needs_a_session_is_in_the_roles_table() -> None:
    tabled = {re.sub(r"\{[^}]+\}", "{id}", what) for what, _, _ in ENDPOINTS}
    needs_session = {name for name, handler in routes().items() if rule(handler) not in (PUBLIC, None)}
    assert sorted(needs_session - tabled) == []
