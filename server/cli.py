"""The ``bosai`` command: serve the app, manage the database, run the demo."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Coroutine
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click
import uvicorn

from geo.importers.areas import AREA_FORMATS
from geo.importers.base import ImportFailure
from geo.importers.facilities import FORMATS
from geo.kinds import HAZARD_TYPES
from server.db.cluster import ClusterError
from server.db.engine import DATABASE_NAME, create_engine, local_cluster, session_factory
from server.db.migrate import database_revision, head_revision, upgrade
from server.settings import Settings, SettingsError

if TYPE_CHECKING:
    from server.imports.service import FileSummary

P = ParamSpec("P")
R = TypeVar("R")

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "demo"
IMPORT_FIXTURES = FIXTURES.parent / "import"


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


async def _upgrade(settings: Settings) -> str | None:
    engine = create_engine(settings.database)
    try:
        await upgrade(engine)
        return await database_revision(engine)
    finally:
        await engine.dispose()


@click.group(name="bosai", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log what is being done.")
def main(verbose: bool) -> None:
    """Bosai (防災): disaster-prevention platform — API server, database and demo.

    Configuration comes from the environment (DATABASE_URL, BOSAI_*); see the README. Without
    DATABASE_URL, a local PostgreSQL cluster is kept under ./.bosai/.
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s")


def _serve(settings: Settings, host: str | None, port: int | None, workers: int | None) -> None:
    server = settings.server
    click.echo(f"Bosai on http://{host or server.host}:{port or server.port}/")
    uvicorn.run(
        "server.app:create_app",
        factory=True,
        host=host or server.host,
        port=port or server.port,
        workers=workers or server.workers,
        log_level=server.log_level,
        # uvicorn believes X-Forwarded-* from 127.0.0.1 by default: only from configured proxies here.
        proxy_headers=bool(server.trusted_proxies),
        forwarded_allow_ips=",".join(server.trusted_proxies) or None,
        # Live streams never end by themselves: do not let them hold a shutdown for long.
        timeout_graceful_shutdown=5,
    )


_host = click.option("--host", help="Address to listen on [env BOSAI_HOST, default 127.0.0.1].")
_port = click.option("--port", type=click.IntRange(1, 65535), help="Port [env BOSAI_PORT, default 8000].")


@main.command()
@_host
@_port
@click.option("--workers", type=click.IntRange(1, 64), help="Worker processes [env BOSAI_WORKERS, default 1].")
@friendly_errors
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the API and the PWA (starts the local database when DATABASE_URL is unset)."""
    settings = load_settings()
    prepare_database(settings)
    _serve(settings, host, port, workers)


@main.group()
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
    click.echo(f"schema at revision {run(_upgrade(settings))}")


@db.command()
@click.option("-m", "--message", required=True, help="What the migration changes.")
@friendly_errors
def revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database (developers)."""
    from alembic import command

    from server.db.engine import database_url
    from server.db.migrate import alembic_config

    settings = load_settings()
    prepare_database(settings)
    command.revision(alembic_config(database_url(settings.database)), message=message, autogenerate=True)


def _short(name: str, width: int) -> str:
    return name if len(name) <= width else "…" + name[-(width - 1) :]


@main.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "format_",
    type=click.Choice(sorted([*FORMATS, *AREA_FORMATS])),
    help="Read every file as this format instead of detecting it from its columns.",
)
@click.option("--municipality", help="Municipality code for files that say it nowhere (row, 共通ID, file name).")
@click.option(
    "--hazard",
    type=click.Choice(HAZARD_TYPES),
    help="Hazard type of a hazard-zone file of no national format (a municipality's own map).",
)
@click.option(
    "--rank-attribute",
    metavar="COLUMN",
    help='With --hazard: the property holding the rank or depth text (e.g. "0.3m未満の区域").',
)
@friendly_errors
def import_command(
    paths: tuple[Path, ...],
    format_: str | None,
    municipality: str | None,
    hazard: str | None,
    rank_attribute: str | None,
) -> None:
    """Import open data: GSI shelters and emergency sites (CSV, GeoJSON); standard data 03, 08
    and 10 (CSV); 国土数値情報 N03 boundaries and A31a/A31/A33/A40 hazard zones (GeoJSON or
    Shapefile); other hazard-zone files with --hazard. Accepts files, folders and zip archives.
    Each file is all or nothing; the command exits 1 if any file failed, after importing the
    good ones."""
    import tempfile

    from geo.importers.base import Options
    from server.imports.service import import_staged
    from server.imports.sources import Staged, stage_paths
    from server.lib.errors import BosaiError

    if rank_attribute and not hazard:
        raise click.UsageError("--rank-attribute needs --hazard")
    options = Options(format_, municipality, hazard, rank_attribute)
    settings = load_settings()
    prepare_database(settings, quiet=True)
    # Zip archives are unpacked to disk within the same bounds as uploads; files are read one at a time.
    folder = tempfile.TemporaryDirectory(prefix="bosai-import-")
    try:
        sources = stage_paths(paths, Path(folder.name), settings.imports)
    except BosaiError as exc:
        folder.cleanup()
        raise click.ClickException(exc.detail) from exc
    engine = create_engine(settings.database)

    async def run_all() -> list[FileSummary]:
        results = []
        sizes = {s.name: s.size for s in sources}
        total = sum(sizes.values())
        shown = sys.stderr.isatty() and (len(sources) > 1 or total > 1_000_000)
        try:
            with click.progressbar(
                length=total,
                label="importing",
                file=sys.stderr,
                hidden=not shown,
                item_show_func=_shown_name,
            ) as bar:
                for source in sources:
                    done = 0

                    def advance(fraction: float, source: Staged = source) -> None:
                        nonlocal done
                        step = int(fraction * sizes[source.name]) - done
                        done += step
                        bar.update(step, source.name)

                    results.append(
                        await import_staged(engine, source, options, advance, max_rows=settings.imports.max_rows)
                    )
                    advance(1.0)
        finally:
            await engine.dispose()
        return results

    try:
        summaries = run(run_all())
    finally:
        folder.cleanup()
    _print_summaries(summaries)
    failed = [s.file for s in summaries if not s.ok]
    if failed:
        click.echo(f"{len(failed)} of {len(summaries)} files failed and were not imported: {', '.join(failed)}")
        sys.exit(1)


def _shown_name(name: str | None) -> str | None:
    return _short(name, 30) if name else None


def _print_summaries(summaries: list[FileSummary]) -> None:
    click.echo(f"{'file':40} {'format':24} {'read':>6} {'created':>8} {'updated':>8} {'withdrawn':>9} {'rejected':>8}")
    for s in summaries:
        counts = f"{s.read:6} {s.created:8} {s.updated:8} {s.withdrawn:9} {s.rejected:8}"
        click.echo(f"{_short(s.file, 40):40} {(s.format or '?'):24} {counts}")
        for error in s.errors[:20]:
            click.echo(f"  error: {ImportFailure(**error)}")
        if len(s.errors) > 20:
            click.echo(f"  … and {len(s.errors) - 20} more errors (all are kept in import_run {s.run_id})")
        for source_id in s.outside_boundary:
            click.echo(f"  outside its municipality's boundary: {source_id}")
        for note in s.notes:
            click.echo(f"  note: {note}")


@main.group()
def users() -> None:
    """Staff, headquarters and data admin accounts (residents make their own in the app)."""


@users.command(name="add")
@click.argument("email")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(["staff", "municipal_hq", "prefectural_hq", "data_admin"]),
    help="Repeatable: a person may hold several roles.",
)
@click.option("--municipality", help="Municipality code (municipal_hq).")
@click.option("--shelter", "shelters", multiple=True, help="Facility id of a shelter (staff; repeatable).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of making one.")
@friendly_errors
def users_add(
    email: str, roles: tuple[str, ...], municipality: str | None, shelters: tuple[str, ...], password_stdin: bool
) -> None:
    """Create an account (or give an existing one more roles and a new password). Without
    --password-stdin a password is made and printed once."""
    import secrets

    from server.accounts.service import RoleRequest, add_operator

    password = sys.stdin.readline().rstrip("\n") if password_stdin else secrets.token_urlsafe(12)
    code = None
    if municipality:
        from geo.codes import InvalidCodeError, normalize

        try:
            code = normalize(municipality)
        except InvalidCodeError as exc:
            raise click.BadParameter(str(exc), param_hint="--municipality") from exc
    settings = load_settings()
    prepare_database(settings, quiet=True)
    requests = [RoleRequest(role, code if role == "municipal_hq" else None, list(shelters)) for role in roles]

    _in_session(settings, lambda session: add_operator(session, email, password, requests))
    click.echo(f"{email}: {', '.join(roles)}")
    if not password_stdin:
        click.echo(f"password (shown once): {password}")


@users.command(name="list")
@friendly_errors
def users_list() -> None:
    """Every operator account with its roles and scopes."""
    from sqlalchemy import select

    from server.accounts.models import Account, AccountRole
    from server.municipalities.models import Municipality

    settings = load_settings()
    prepare_database(settings, quiet=True)

    async def rows() -> list[tuple[Any, ...]]:
        engine = create_engine(settings.database)
        try:
            async with session_factory(engine)() as session:
                result = await session.execute(
                    select(
                        Account.email, Account.disabled_at, AccountRole.role, Municipality.code, AccountRole.facility_id
                    )
                    .join(AccountRole, AccountRole.account_id == Account.id)
                    .outerjoin(Municipality, Municipality.id == AccountRole.municipality_id)
                    .where(Account.kind == "operator")
                    .order_by(Account.email, AccountRole.role)
                )
                return [tuple(r) for r in result.all()]
        finally:
            await engine.dispose()

    for email, disabled, role, code, shelter in run(rows()):
        scope = code or (str(shelter) if shelter else "")
        click.echo(f"{email:40} {role:16} {scope:36} {'disabled' if disabled else ''}".rstrip())


@users.command(name="disable")
@click.argument("email")
@friendly_errors
def users_disable(email: str) -> None:
    """Disable an account and end its sessions."""
    from datetime import UTC, datetime

    from sqlalchemy import delete, select

    from server.accounts.models import Account, AuthSession

    settings = load_settings()
    prepare_database(settings, quiet=True)

    async def disable(session: Any) -> bool:
        account = await session.scalar(select(Account).where(Account.email.ilike(email)))
        if account is None:
            return False
        account.disabled_at = datetime.now(UTC)
        await session.execute(delete(AuthSession).where(AuthSession.account_id == account.id))
        return True

    if not _in_session(settings, disable):
        raise click.ClickException(f"no account {email}")
    click.echo(f"{email}: disabled, signed out everywhere")


@main.group()
def events() -> None:
    """Disaster events (for drills and scripts too)."""


def _in_session(settings: Settings, work: Callable[[Any], Coroutine[Any, Any, R]]) -> R:
    from server.lib.errors import BosaiError

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


@events.command(name="open")
@click.option("--type", "hazard_type", required=True, help="earthquake, tsunami, flood, … or other.")
@click.option("--name", required=True, help="How people will call it, e.g. 令和8年12月 見本川洪水.")
@click.option("--municipality", "codes", multiple=True, required=True, help="Municipality code (repeatable).")
@friendly_errors
def events_open(hazard_type: str, name: str, codes: tuple[str, ...]) -> None:
    """Open a disaster event; prints its id as the last line."""
    from geo.codes import InvalidCodeError, normalize
    from server.shelters.service import open_event

    try:
        wanted = [normalize(c) for c in codes]
    except InvalidCodeError as exc:
        raise click.BadParameter(str(exc), param_hint="--municipality") from exc
    settings = load_settings()
    prepare_database(settings, quiet=True)
    event = _in_session(settings, lambda s: open_event(s, hazard_type, name, wanted))
    click.echo(f"opened {event.name} ({event.hazard_type}) in {', '.join(wanted)}")
    click.echo(str(event.id))


@events.command(name="close")
@click.argument("event_id")
@friendly_errors
def events_close(event_id: str) -> None:
    """Close a disaster event and every shelter opened in it."""
    from server.shelters.service import close_event

    settings = load_settings()
    prepare_database(settings, quiet=True)
    event = _in_session(settings, lambda s: close_event(s, event_id))
    click.echo(f"closed {event.name}")


@main.group()
def shelters() -> None:
    """Open and close shelters within a disaster event."""


@shelters.command(name="open")
@click.argument("facility_id")
@click.option("--event", "event_id", required=True, help="The event's id (bosai events open prints it).")
@click.option("--capacity", type=click.IntRange(1, 100_000), help="People it can take (default: the facility's).")
@friendly_errors
def shelters_open(facility_id: str, event_id: str, capacity: int | None) -> None:
    """Open a facility as a shelter in an event."""
    from server.shelters.service import set_shelter

    settings = load_settings()
    prepare_database(settings, quiet=True)
    operation = _in_session(settings, lambda s: set_shelter(s, event_id, facility_id, open_=True, capacity=capacity))
    click.echo(f"open: {facility_id} (capacity {operation.capacity or 'unknown'})")


@shelters.command(name="close")
@click.argument("facility_id")
@click.option("--event", "event_id", required=True, help="The event's id.")
@friendly_errors
def shelters_close(facility_id: str, event_id: str) -> None:
    """Close a shelter: no more check-ins there."""
    from server.shelters.service import set_shelter

    settings = load_settings()
    prepare_database(settings, quiet=True)
    _in_session(settings, lambda s: set_shelter(s, event_id, facility_id, open_=False))
    click.echo(f"closed: {facility_id}")


@main.group()
def keys() -> None:
    """Keys for personal data at rest and QR signatures."""


@keys.command(name="generate")
def keys_generate() -> None:
    """Print new BOSAI_DATA_KEY and BOSAI_QR_KEY lines for the environment (keep them secret, and
    keep the data key: without it stored personal data cannot be read)."""
    from server.lib.keys import generate

    for name, value in generate().items():
        click.echo(f"{name}={value}")


@main.group()
def packs() -> None:
    """Offline map packs: one PMTiles archive and facility list per municipality."""


@packs.command(name="build")
@click.option("--municipality", "codes", multiple=True, help="Municipality code (repeatable); default: all.")
@friendly_errors
def packs_build(codes: tuple[str, ...]) -> None:
    """Build the next version of each municipality's pack (zooms 8–16) into BOSAI_PACKS_DIR."""
    from geo.codes import InvalidCodeError, normalize
    from server.packs.worker import build_packs

    try:
        wanted = [normalize(c) for c in codes] or None
    except InvalidCodeError as exc:
        raise click.BadParameter(str(exc), param_hint="--municipality") from exc
    settings = load_settings()
    prepare_database(settings, quiet=True)
    built = run(build_packs(settings, wanted, _pack_progress))
    for code, pack in built:
        click.echo(
            f"{code} v{pack.version}: {pack.bytes / 1e6:.2f} MB, {pack.tile_count} tiles, "
            f"{pack.facilities_count} facilities, {pack.build_seconds:.1f} s"
        )
    missing = sorted(set(wanted or ()) - {code for code, _ in built})
    if missing:
        raise click.ClickException(f"no municipality with code {', '.join(missing)}")


def _pack_progress(code: str, name: str) -> Callable[[int, int], None] | None:
    if not sys.stderr.isatty():
        click.echo(f"building the pack of {name} ({code})")
        return None
    state: dict[str, Any] = {}

    def report(done: int, total: int) -> None:
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = click.progressbar(length=total, label=f"{name} ({code})", file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    return report


@packs.command(name="watch")
@friendly_errors
def packs_watch() -> None:
    """Rebuild a municipality's pack whenever its data changes (checks every BOSAI_PACK_INTERVAL s)."""
    from server.packs.worker import watch

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    prepare_database(settings, quiet=True)
    click.echo(f"watching for changed data every {settings.packs.interval_s} s; packs in {settings.packs.folder}")
    run(watch(settings))


@main.command()
@_host
@_port
@click.option("--no-serve", is_flag=True, help="Prepare and load the demo data, then exit.")
@friendly_errors
def demo(host: str | None, port: int | None, no_serve: bool) -> None:
    """Upgrade the database, load the demo city 見本市 and, through the importer, its neighbour
    見本町 (fixtures/import/), make the demo accounts, open a demo disaster event with shelters
    and check-ins, and serve them in demo mode."""
    from server.demo import DEMO_PASSWORD, demo_accounts, demo_event, import_demo_files, load_demo

    settings = load_settings()
    prepare_database(settings)
    click.echo(f"schema at revision {run(_upgrade(settings))}")
    engine = create_engine(settings.database)

    from server.lib.keys import load_keys

    keys = load_keys(settings)

    async def load() -> tuple[str, list[FileSummary], list[tuple[str, str]], str]:
        try:
            shown = await load_demo(engine, FIXTURES)
            summaries = await import_demo_files(engine, IMPORT_FIXTURES)
            accounts = await demo_accounts(engine)
            event = await demo_event(engine, keys) if keys else "no demo event: BOSAI_DATA_KEY/BOSAI_QR_KEY unset"
            return shown, summaries, accounts, event
        finally:
            await engine.dispose()

    shown, summaries, accounts, event = run(load())
    click.echo(shown)
    _print_summaries(summaries)
    if not all(s.ok for s in summaries):
        raise click.ClickException("the demo's import fixtures did not import: see the errors above")
    click.echo(event)
    from server.packs.service import stale
    from server.packs.worker import build_packs

    async def stale_codes() -> list[str]:
        engine = create_engine(settings.database)
        try:
            return [s.code for s in await stale(engine)]
        finally:
            await engine.dispose()

    click.echo(f"demo accounts (password {DEMO_PASSWORD}; sign in on the app's staff and headquarters screens):")
    for email, what in accounts:
        click.echo(f"  {email:34} {what}")
    changed = run(stale_codes())
    if changed:
        for code, pack in run(build_packs(settings, changed, _pack_progress)):
            click.echo(f"offline pack {code} v{pack.version}: {pack.bytes / 1e6:.2f} MB")
    if no_serve:
        return
    # Worker processes read their settings from the environment, so demo mode travels there.
    os.environ["BOSAI_DEMO"] = "1"
    # The pack watcher runs beside the server, as the compose worker does in production.
    watcher = subprocess.Popen([sys.executable, "-m", "server.cli", "packs", "watch"])
    try:
        _serve(Settings.from_env(), host, port, None)
    finally:
        watcher.terminate()


if __name__ == "__main__":
    main()
