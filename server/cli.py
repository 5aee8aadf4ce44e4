"""The ``bosai`` command: its root group, ``serve`` and ``demo``. Each feature's commands live in
its own ``cli.py`` (``server/<feature>/cli.py``, the database's in ``server/db/cli.py``) and are
registered here."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import click
import uvicorn

from server.accounts.cli import keys, users
from server.alerts.cli import alerts
from server.alerts.shelters import announce_opening
from server.db.cli import db, prepare_database, upgrade_database
from server.db.engine import create_engine
from server.demo import DEMO_PASSWORD, demo_accounts, demo_event, import_demo_files, import_demo_roads, load_demo
from server.imports.cli import import_command, print_road_import, print_summaries
from server.imports.service import FileSummary
from server.lib.cli import friendly_errors, load_settings, run
from server.lib.keys import load_keys
from server.packs.cli import pack_progress, packs
from server.packs.service import stale
from server.packs.worker import build_packs
from server.roads.service import RoadImport
from server.safety.cli import safety
from server.settings import Settings
from server.shelters.cli import events, shelters

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "demo"
IMPORT_FIXTURES = FIXTURES.parent / "import"


@click.group(name="bosai", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log what is being done.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Bosai (防災): disaster-prevention platform — API server, database and demo.

    Configuration comes from the environment (DATABASE_URL, BOSAI_*); see the README. Without
    DATABASE_URL, a local PostgreSQL cluster is kept under ./.bosai/.
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s")
    # Opening a shelter (`bosai shelters open`) queues a "shelter opened" push alert.
    ctx.ensure_object(dict)["on_shelter_open"] = announce_opening


for group in (db, import_command, users, keys, events, shelters, packs, alerts, safety):
    main.add_command(group)


def _serve(settings: Settings, host: str | None, port: int | None, workers: int | None) -> None:
    server = settings.server
    # The workers build their settings from the environment: they must see the address chosen here
    # (TileJSON's default public URL is made from it).
    os.environ["BOSAI_HOST"], os.environ["BOSAI_PORT"] = host or server.host, str(port or server.port)
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


@main.command()
@_host
@_port
@click.option("--no-serve", is_flag=True, help="Prepare and load the demo data, then exit.")
@friendly_errors
def demo(host: str | None, port: int | None, no_serve: bool) -> None:
    """Upgrade the database, import the demo city 見本市 (fixtures/demo/) and its neighbour
    見本町 (fixtures/import/) through the importer, make the demo accounts, open a demo disaster
    event with shelters and check-ins, and serve them in demo mode."""
    settings = load_settings()
    prepare_database(settings)
    click.echo(f"schema at revision {run(upgrade_database(settings))}")
    engine = create_engine(settings.database)

    loaded_keys = load_keys(settings)

    async def load() -> tuple[str, list[FileSummary], list[RoadImport], list[tuple[str, str]], str]:
        try:
            shown = await load_demo(engine, FIXTURES)
            summaries = await import_demo_files(engine, IMPORT_FIXTURES)
            roads = await import_demo_roads(engine, FIXTURES)
            accounts = await demo_accounts(engine)
            event = (
                await demo_event(engine, loaded_keys)
                if loaded_keys
                else "no demo event: BOSAI_DATA_KEY/BOSAI_QR_KEY unset"
            )
            return shown, summaries, roads, accounts, event
        finally:
            await engine.dispose()

    shown, summaries, roads, accounts, event = run(load())
    click.echo(shown)
    print_summaries(summaries)
    if not all(s.ok for s in summaries):
        raise click.ClickException("the demo's import fixtures did not import: see the errors above")
    for road_import in roads:
        print_road_import(road_import)
    click.echo(event)

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
        for code, pack in run(build_packs(settings, changed, pack_progress)):
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
