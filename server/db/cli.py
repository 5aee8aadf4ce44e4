"""``bosai db``: the local cluster (start/stop/status) and migrations; and what the other commands
need of the database: :func:`prepare_database` and :func:`in_session`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import click
from alembic import command
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import DATABASE_NAME, create_engine, database_url, local_cluster, session_factory
from server.db.migrate import alembic_config, database_revision, head_revision, upgrade
from server.lib.cli import friendly_errors, load_settings, run
from server.lib.errors import BosaiError
from server.settings import Settings

R = TypeVar("R")


def prepare_database(settings: Settings, *, quiet: bool = False) -> None:
    """Start the local cluster and create the database, unless DATABASE_URL names one."""
    if not settings.database.managed:
        return
    cluster = local_cluster(settings.database)
    status = cluster.start()
    if run(cluster.create_database(DATABASE_NAME)):
        click.echo(f"created database {DATABASE_NAME!r} with PostGIS and pgRouting")
    if not quiet:
        click.echo(f"PostgreSQL: {status.describe()}")


def ready_settings() -> Settings:
    """The settings from the environment, with the database up (what every data command needs first)."""
    settings = load_settings()
    prepare_database(settings, quiet=True)
    return settings


async def upgrade_database(settings: Settings) -> str | None:
    """Apply the migrations; the revision the database is at afterwards."""
    engine = create_engine(settings.database)
    try:
        await upgrade(engine)
        return await database_revision(engine)
    finally:
        await engine.dispose()


def in_session(settings: Settings, work: Callable[[AsyncSession], Coroutine[Any, Any, R]]) -> R:
    """Run ``work`` in one transaction; a service's refusal becomes the command's one-line error."""

    async def go() -> R:
        engine = create_engine(settings.database)
        try:
            async with session_factory(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return run(go())
    except BosaiError as exc:
        raise click.ClickException(exc.detail) from exc


@click.group()
def db() -> None:
    """Manage the database: the local cluster (start/stop/status) and migrations (upgrade)."""


@db.command()
@friendly_errors
def start() -> None:
    """Create (if needed) and start the local cluster, and create the database."""
    settings = load_settings()
    if not settings.database.managed:
        raise click.ClickException("DATABASE_URL is set: that database is not managed by bosai, nothing to start")
    prepare_database(settings)


@db.command()
@friendly_errors
def stop() -> None:
    """Stop the local cluster (data is kept)."""
    settings = load_settings()
    if not settings.database.managed:
        raise click.ClickException("DATABASE_URL is set: that database is not managed by bosai, nothing to stop")
    stopped = local_cluster(settings.database).stop()
    click.echo("stopped" if stopped else "not running")


@db.command()
@friendly_errors
def status() -> None:
    """Say where the database is, whether it runs, and its migration revision."""
    settings = load_settings()
    if settings.database.managed:
        state = local_cluster(settings.database).status()
        click.echo(f"local cluster: {state.describe()}")
        if not state.running:
            sys.exit(3)
    else:
        click.echo("database: DATABASE_URL (not managed by bosai)")
    engine = create_engine(settings.database)

    async def revision() -> str | None:
        try:
            return await database_revision(engine)
        finally:
            await engine.dispose()

    try:
        current = run(revision())
    except Exception as exc:
        raise click.ClickException(f"database unreachable: {exc}") from exc
    head = head_revision()
    note = "up to date" if current == head else "run `bosai db upgrade`"
    click.echo(f"schema revision: {current or 'none'} (code expects {head}: {note})")


@db.command(name="upgrade")
@friendly_errors
def upgrade_command() -> None:
    """Apply the migrations up to the newest (starts the local cluster if needed)."""
    settings = load_settings()
    prepare_database(settings)
    click.echo(f"schema at revision {run(upgrade_database(settings))}")


@db.command()
@click.option("-m", "--message", required=True, help="What the migration changes.")
@friendly_errors
def revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database (developers)."""
    settings = load_settings()
    prepare_database(settings)
    command.revision(alembic_config(database_url(settings.database)), message=message, autogenerate=True)
