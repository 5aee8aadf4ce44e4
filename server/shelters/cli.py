"""``bosai events`` and ``bosai shelters``: open and close disaster events and their shelters (for
drills and scripts too)."""

from __future__ import annotations

import click

from geo.codes import InvalidCodeError, normalize
from server.db.cli import in_session, ready_settings
from server.lib.cli import friendly_errors
from server.shelters.service import OpeningHook, close_event, no_opening_hook, open_event, set_shelter


@click.group()
def events() -> None:
    """Disaster events (for drills and scripts too)."""


@events.command(name="open")
@click.option("--type", "hazard_type", required=True, help="earthquake, tsunami, flood, … or other.")
@click.option("--name", required=True, help="How people will call it, e.g. 令和8年12月 見本川洪水.")
@click.option("--municipality", "codes", multiple=True, required=True, help="Municipality code (repeatable).")
@friendly_errors
def events_open(hazard_type: str, name: str, codes: tuple[str, ...]) -> None:
    """Open a disaster event; prints its id as the last line."""
    try:
        wanted = [normalize(c) for c in codes]
    except InvalidCodeError as exc:
        raise click.BadParameter(str(exc), param_hint="--municipality") from exc
    settings = ready_settings()
    event = in_session(settings, lambda s: open_event(s, hazard_type, name, wanted))
    click.echo(f"opened {event.name} ({event.hazard_type}) in {', '.join(wanted)}")
    click.echo(str(event.id))


@events.command(name="close")
@click.argument("event_id")
@friendly_errors
def events_close(event_id: str) -> None:
    """Close a disaster event and every shelter opened in it."""
    settings = ready_settings()
    event = in_session(settings, lambda s: close_event(s, event_id))
    click.echo(f"closed {event.name}")


@click.group()
def shelters() -> None:
    """Open and close shelters within a disaster event."""


def opening_hook() -> OpeningHook:
    """What opening tells others (a push alert), as the root command wired it (server/cli.py)."""
    obj = click.get_current_context().find_root().obj
    hook: OpeningHook = obj.get("on_shelter_open", no_opening_hook) if isinstance(obj, dict) else no_opening_hook
    return hook


@shelters.command(name="open")
@click.argument("facility_id")
@click.option("--event", "event_id", required=True, help="The event's id (bosai events open prints it).")
@click.option("--capacity", type=click.IntRange(1, 100_000), help="People it can take (default: the facility's).")
@friendly_errors
def shelters_open(facility_id: str, event_id: str, capacity: int | None) -> None:
    """Open a facility as a shelter in an event."""
    settings = ready_settings()
    hook = opening_hook()
    operation = in_session(
        settings, lambda s: set_shelter(s, event_id, facility_id, open_=True, capacity=capacity, on_open=hook)
    )
    click.echo(f"open: {facility_id} (capacity {operation.capacity or 'unknown'})")


@shelters.command(name="close")
@click.argument("facility_id")
@click.option("--event", "event_id", required=True, help="The event's id.")
@friendly_errors
def shelters_close(facility_id: str, event_id: str) -> None:
    """Close a shelter: no more check-ins there."""
    settings = ready_settings()
    in_session(settings, lambda s: set_shelter(s, event_id, facility_id, open_=False))
    click.echo(f"closed: {facility_id}")
