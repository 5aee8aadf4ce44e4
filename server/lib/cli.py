"""What every ``bosai`` command shares, whatever its feature: settings from the environment, the
one-line message for errors a person can fix, and running a coroutine."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import click

# cluster.py imports nothing of server/: reading its error here ties server/lib to no feature.
from server.db.cluster import ClusterError
from server.settings import Settings, SettingsError

P = ParamSpec("P")
R = TypeVar("R")


def friendly_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn the errors a person can fix into a one-line message and exit status 1."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (ClusterError, SettingsError) as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


def run(coro: Coroutine[Any, Any, R]) -> R:
    return asyncio.run(coro)


def load_settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
