"""``bosai alerts``: import JMA 防災情報XML messages, and the worker that delivers pushes."""

from __future__ import annotations

import gzip
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click

from server.alerts.cap import CAP_NS, parse_cap
from server.alerts.jma import JmaError, Message, parse
from server.alerts.service import Stored, counts, store
from server.alerts.worker import work
from server.db.cli import ready_settings
from server.db.engine import create_engine, session_factory
from server.lib.cli import friendly_errors, run
from server.lib.errors import BosaiError
from server.settings import Settings

# A JMA message is tens of KB; a file that unpacks past this is not one.
MAX_MESSAGE_BYTES = 8 * 1024 * 1024
CAP_ROOT = re.compile(rb"<(?:\w+:)?alert\b[^>]*" + re.escape(CAP_NS.encode()))


@dataclass
class FileResult:
    path: str
    stored: list[Stored]
    error: str | None = None


def parse_message(data: bytes) -> Message:
    """A JMA 防災情報XML message, or a CAP 1.2 one (told apart by the root element's namespace)."""
    if CAP_ROOT.search(data[:2048]):
        return parse_cap(data)
    return parse(data)


def sources(paths: list[Path]) -> Iterator[Path]:
    """Files as given, and the .xml / .xml.gz / .gz files under folders, in name order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith((".xml", ".gz")))
        else:
            yield path


def read(path: Path) -> bytes:
    if path.name.endswith(".gz"):
        with gzip.open(path, "rb") as compressed:
            data = compressed.read(MAX_MESSAGE_BYTES + 1)
    else:
        with path.open("rb") as plain:
            data = plain.read(MAX_MESSAGE_BYTES + 1)
    if len(data) > MAX_MESSAGE_BYTES:
        raise JmaError("(document)", f"larger than {MAX_MESSAGE_BYTES // (1024 * 1024)} MiB: not a JMA message")
    return data


async def import_files(settings: Settings, paths: list[Path]) -> list[FileResult]:
    """Each file in its own transaction: all of it is stored, or (refused) nothing."""
    engine = create_engine(settings.database)
    results = []
    try:
        for path in sources(paths):
            try:
                message = parse_message(read(path))
                async with session_factory(engine)() as session, session.begin():
                    results.append(FileResult(str(path), await store(session, message)))
            except JmaError as exc:
                results.append(FileResult(str(path), [], f"{exc.element}: {exc.reason}"))
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                results.append(FileResult(str(path), [], f"(file): {exc}"))
            except BosaiError as exc:
                results.append(FileResult(str(path), [], exc.detail))
    finally:
        await engine.dispose()
    return results


@click.group()
def alerts() -> None:
    """Push alerts: import JMA messages, deliver them."""


@alerts.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@friendly_errors
def import_command(paths: tuple[Path, ...]) -> None:
    """Import JMA 防災情報XML or CAP 1.2 messages (files, folders, .gz): one line per alert made, changed or
    refused. Exits 1 when a file was refused (the others are imported)."""
    settings = ready_settings()
    results = run(import_files(settings, list(paths)))
    failed = False
    for result in results:
        if result.error is not None:
            failed = True
            click.echo(f"{result.path}: refused: {result.error}")
            continue
        if not result.stored:
            click.echo(f"{result.path}: nothing to alert (only continued or quiet items)")
        for s in result.stored:
            places = ",".join(s.municipalities[:5]) + ("…" if len(s.municipalities) > 5 else "")
            click.echo(f"{result.path}: {s.alert_id} {s.outcome} {s.kind} {s.name} [{places}] queued {s.deliveries}")
    if failed:
        raise SystemExit(1)


@alerts.command(name="worker")
@click.option("--once", is_flag=True, help="Deliver what is queued (retries included), then exit.")
@friendly_errors
def worker_command(once: bool) -> None:
    """Deliver queued push alerts (runs until stopped, as the compose service does)."""
    settings = ready_settings()
    try:
        done = run(work(settings, once=once))
    except BosaiError as exc:
        raise click.ClickException(exc.detail) from exc
    if once:
        click.echo(f"{done} deliveries run")


@alerts.command(name="watch")
@click.option("--once", is_flag=True, help="Poll once, print what was taken, and exit.")
@friendly_errors
def watch_command(once: bool) -> None:
    """Poll the JMA PULL feeds (BOSAI_JMA_FEEDS) every BOSAI_JMA_POLL_SECONDS and import what is new."""
    from server.alerts.watch import watch

    settings = ready_settings()
    for result in run(watch(settings, once=once)):
        for url in result.failed:
            click.echo(f"{url}: unreachable or not a feed (asked again next poll)")
        for taken in result.taken:
            if taken.error is not None:
                click.echo(f"{taken.entry.link}: refused: {taken.error}")
            for s in taken.stored:
                click.echo(f"{taken.entry.link}: {s.alert_id} {s.outcome} {s.kind} {s.name} queued {s.deliveries}")


@alerts.command(name="counts")
@click.argument("alert_id", type=click.UUID)
@friendly_errors
def counts_command(alert_id: uuid.UUID) -> None:
    """Deliveries of one alert by state (queued, sent, failed, removed, expired)."""
    settings = ready_settings()

    async def go() -> str:
        engine = create_engine(settings.database)
        try:
            async with session_factory(engine)() as session:
                c = await counts(session, alert_id)
                return f"queued {c.queued} sent {c.sent} failed {c.failed} removed {c.removed} expired {c.expired}"
        finally:
            await engine.dispose()

    click.echo(run(go()))
