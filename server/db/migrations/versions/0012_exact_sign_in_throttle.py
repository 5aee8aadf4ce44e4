"""exact e-mail addresses, sign-in throttle per address and client

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 09:20:00.000000

Addresses were stored as typed and matched with ILIKE (a pattern: ``%`` and ``_`` matched any
account). They are now stored normalised (trimmed, NFKC, lower case) and compared with ``=``;
the unique index moves from ``lower(email)`` to the column itself. The per-account lock-out,
which anyone could trigger, gives way to a throttle per address and client.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _normal(email: str) -> str:
    # The same rule as server.accounts.service.normal_email, frozen here as migrations must be.
    return unicodedata.normalize("NFKC", email).strip().lower()


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, email FROM account WHERE email IS NOT NULL")).all()
    owners: dict[str, str] = {}
    for _, email in rows:
        normal = _normal(email)
        if normal in owners and owners[normal] != email:
            raise RuntimeError(
                f"accounts {owners[normal]!r} and {email!r} are the same address once normalised ({normal!r}); "
                "change or remove one (SQL on table account), then upgrade again"
            )
        owners[normal] = email
    op.drop_index("ix_account_email", table_name="account")
    for account_id, email in rows:
        if _normal(email) != email:
            connection.execute(
                sa.text("UPDATE account SET email = :email WHERE id = :id"), {"email": _normal(email), "id": account_id}
            )
    op.create_index("ix_account_email", "account", ["email"], unique=True)
    op.drop_column("account", "failed_logins")
    op.drop_column("account", "locked_until")
    op.create_table(
        "sign_in_throttle",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("retry_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_throttle")),
    )
    op.create_index("ix_sign_in_throttle_updated_at", "sign_in_throttle", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sign_in_throttle_updated_at", table_name="sign_in_throttle")
    op.drop_table("sign_in_throttle")
    op.add_column("account", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("account", sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
    op.drop_index("ix_account_email", table_name="account")
    op.create_index("ix_account_email", "account", [sa.literal_column("lower(email)")], unique=True)
