"""``bosai packs``: build the offline map packs, once or whenever their data changes."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

import click

from geo.codes import InvalidCodeError, normalize
from server.db.cli import ready_settings
from server.lib.cli import friendly_errors, run
from server.packs.worker import build_packs, watch


@click.group()
def packs() -> None:
    """Offline map packs: one PMTiles archive and facility list per municipality."""


@packs.command(name="build")
@click.option("--municipality", "codes", multiple=True, help="Municipality code (repeatable); default: all.")
@friendly_errors
def packs_build(codes: tuple[str, ...]) -> None:
    """Build the next version of each municipality's pack (zooms 8–16) into BOSAI_PACKS_DIR."""
    try:
        wanted = [normalize(c) for c in codes] or None
    except InvalidCodeError as exc:
        raise click.BadParameter(str(exc), param_hint="--municipality") from exc
    settings = ready_settings()
    built = run(build_packs(settings, wanted, pack_progress))
    for code, pack in built:
        click.echo(
            f"{code} v{pack.version}: {pack.bytes / 1e6:.2f} MB, {pack.tile_count} tiles, "
            f"{pack.facilities_count} facilities, {pack.build_seconds:.1f} s"
        )
    missing = sorted(set(wanted or ()) - {code for code, _ in built})
    if missing:
        raise click.ClickException(f"no municipality with code {', '.join(missing)}")


def pack_progress(code: str, name: str) -> Callable[[int, int], None] | None:
    """A progress bar per pack on a terminal, one line per pack otherwise (``packs build``, ``demo``)."""
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
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = ready_settings()
    click.echo(f"watching for changed data every {settings.packs.interval_s} s; packs in {settings.packs.folder}")
    run(watch(settings))
