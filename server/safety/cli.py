"""``bosai safety``: what headquarters do at a counter without the app (a DV or stalking victim
asks that nobody can find them by inquiry), PFIF imports, and the expiry of closed events' records."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import click

from server.db.cli import in_session, ready_settings
from server.lib.cli import friendly_errors
from server.lib.errors import BosaiError
from server.lib.keys import Keys, load_keys
from server.safety import expiry, pfif
from server.safety.service import forbid_inquiries
from server.settings import Settings
from server.shelters.service import parse_id


@click.group()
def safety() -> None:
    """Family safety status."""


@safety.command(name="forbid-inquiries")
@click.argument("code")
@click.option("--allow", is_flag=True, help="Allow inquiries again (lift what headquarters set).")
@friendly_errors
def forbid(code: str, allow: bool) -> None:
    """No inquiry finds the person whose card carries CODE (the inquiry code), whatever they consented to.

    An older code starting with "-" goes after "--": bosai safety forbid-inquiries -- -CODE"""
    settings = ready_settings()
    in_session(settings, lambda s: forbid_inquiries(s, None, code, not allow))
    click.echo(f"inquiries {'allowed' if allow else 'forbidden'} for the person with code {code}")


def _event(raw: str) -> uuid.UUID:
    try:
        return parse_id(raw, "event")
    except BosaiError as exc:
        raise click.ClickException(exc.detail) from exc


def _keys(settings: Settings) -> Keys:
    keys = load_keys(settings)
    if keys is None:
        raise click.ClickException("BOSAI_DATA_KEY and BOSAI_QR_KEY are unset: safety records cannot be read")
    return keys


@safety.command(name="import-pfif")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--event", "event_id", required=True, help="The disaster event the records belong to (its id).")
@friendly_errors
def import_pfif(file: Path, event_id: str) -> None:
    """Import the person records and notes of a PFIF 1.4 FILE into the event's registry, which
    inquiries also search. All or nothing; the same records again update what is there."""
    settings = ready_settings()
    keys = _keys(settings)
    event = _event(event_id)
    try:
        persons, ignored, orphans = pfif.parse(file.read_bytes())
    except BosaiError as exc:
        raise click.ClickException(f"{file}: {exc.detail}; nothing was imported") from exc
    created, updated, notes = in_session(settings, lambda s: pfif.store(s, keys, event, persons))
    click.echo(f"{file}: {created} persons new, {updated} updated, {notes} notes")
    if ignored:
        click.echo(f"  {ignored} elements PFIF 1.4 does not define were ignored")
    if orphans:
        click.echo(f"  {orphans} notes naming a person not in the file were skipped")


@safety.command(name="expire")
@click.option("--undo", "undo_event", metavar="EVENT", help="Restore what the expiry of EVENT cleared (within 3 days).")
@click.option("--event", "event_id", metavar="EVENT", help="Expire this event only (again, after an undo).")
@click.option("--watch", is_flag=True, help="Run every hour, for ever (the compose service).")
@friendly_errors
def expire_command(undo_event: str | None, event_id: str | None, watch: bool) -> None:
    """Clear the safety records of events closed BOSAI_SAFETY_EXPIRY_DAYS ago to placeholders
    (ids and dates), keeping them sealed 3 days for --undo, then dropping them."""
    settings = ready_settings()
    keys = _keys(settings)
    if undo_event is not None:
        event = _event(undo_event)
        done = in_session(settings, lambda s: expiry.undo(s, keys, event))
        click.echo(f"restored {done.statuses} statuses and {done.registry} imported records of {done.name}")
        return
    only = _event(event_id) if event_id else None
    while True:
        events, dropped = in_session(
            settings, lambda s: expiry.expire(s, keys, settings.safety.expiry_days, None, only)
        )
        for done in events:
            click.echo(
                f"{done.name}: {done.statuses} statuses and {done.registry} imported records cleared "
                f"(undo until {done.undo_until:%Y-%m-%d %H:%M} UTC: bosai safety expire --undo {done.event_id})"
            )
        if dropped:
            click.echo(f"{dropped} expiries past their undo window: their cleared content was dropped")
        if not watch:
            return
        time.sleep(3600)
