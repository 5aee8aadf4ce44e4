"""``bosai users`` (operator accounts) and ``bosai keys`` (keys for personal data and QR codes)."""

from __future__ import annotations

import secrets
import sys

import click

from geo.codes import InvalidCodeError, normalize
from server.accounts.models import ROLES
from server.accounts.service import RoleRequest, add_operator, disable_operator, list_operators
from server.db.cli import in_session, ready_settings
from server.lib.cli import friendly_errors
from server.lib.keys import generate

# Residents make their own accounts in the app; every other role is given here.
OPERATOR_ROLES = [role for role in ROLES if role != "resident"]


@click.group()
def users() -> None:
    """Staff, headquarters and data admin accounts (residents make their own in the app)."""


@users.command(name="add")
@click.argument("email")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(OPERATOR_ROLES),
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
    password = sys.stdin.readline().rstrip("\n") if password_stdin else secrets.token_urlsafe(12)
    code = None
    if municipality:
        try:
            code = normalize(municipality)
        except InvalidCodeError as exc:
            raise click.BadParameter(str(exc), param_hint="--municipality") from exc
    settings = ready_settings()
    requests = [RoleRequest(role, code if role == "municipal_hq" else None, list(shelters)) for role in roles]

    in_session(settings, lambda session: add_operator(session, email, password, requests))
    click.echo(f"{email}: {', '.join(roles)}")
    if not password_stdin:
        click.echo(f"password (shown once): {password}")


@users.command(name="list")
@friendly_errors
def users_list() -> None:
    """Every operator account with its roles and scopes."""
    settings = ready_settings()
    for row in in_session(settings, list_operators):
        scope = row.municipality or (str(row.shelter) if row.shelter else "")
        click.echo(f"{row.email:40} {row.role:16} {scope:36} {'disabled' if row.disabled else ''}".rstrip())


@users.command(name="disable")
@click.argument("email")
@friendly_errors
def users_disable(email: str) -> None:
    """Disable an account and end its sessions."""
    settings = ready_settings()
    if not in_session(settings, lambda session: disable_operator(session, email)):
        raise click.ClickException(f"no account {email}")
    click.echo(f"{email}: disabled, signed out everywhere")


@click.group()
def keys() -> None:
    """Keys for personal data at rest and QR signatures."""


@keys.command(name="generate")
def keys_generate() -> None:
    """Print new BOSAI_DATA_KEY, BOSAI_QR_KEY and BOSAI_VAPID_KEY lines for the environment (keep them secret, and
    keep the data key: without it stored personal data cannot be read)."""
    for name, value in generate().items():
        click.echo(f"{name}={value}")
