"""``bosai safety``: what headquarters do at a counter without the app (a DV or stalking victim
asks that nobody can find them by inquiry)."""

from __future__ import annotations

import click

from server.db.cli import in_session, ready_settings
from server.lib.cli import friendly_errors
from server.safety.service import forbid_inquiries


@click.group()
def safety() -> None:
    """Family safety status."""


@safety.command(name="forbid-inquiries")
@click.argument("code")
@click.option("--allow", is_flag=True, help="Allow inquiries again (lift what headquarters set).")
@friendly_errors
def forbid(code: str, allow: bool) -> None:
    """No inquiry finds the person whose card carries CODE (the inquiry code), whatever they consented to."""
    settings = ready_settings()
    in_session(settings, lambda s: forbid_inquiries(s, None, code, not allow))
    click.echo(f"inquiries {'allowed' if allow else 'forbidden'} for the person with code {code}")
