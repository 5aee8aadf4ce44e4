"""delivery rows made by the worker; family news by push (push_subscription.account_id, family_push)

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-29 22:00:00.000000

A city-wide warning queued 100,000 delivery rows in its import's transaction, with a foreign-key
check (and row lock) on every subscription: seconds before the first push could go. Now a job
carries the alert and a batch of subscriptions, and the worker makes the rows as it takes the job.
Jobs still waiting in the old form (one delivery id each) are rewritten to the new one.
push_subscription.last_success_at goes: it rewrote every subscription row on every push, and the
delivery rows already say when each one was sent.

Family safety news goes out through the same worker: a subscription its resident chose to link to
their account receives their groups' news, once per piece of news (family_push).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("alert", sa.Column("targeted", sa.Integer(), server_default="0", nullable=False))
    op.execute("UPDATE alert SET targeted = (SELECT count(*) FROM delivery d WHERE d.alert_id = alert.id)")
    op.add_column("delivery", sa.Column("claimed_by", sa.BigInteger(), nullable=True))
    op.drop_constraint("fk_delivery_subscription_id_push_subscription", "delivery", type_="foreignkey")
    op.drop_column("push_subscription", "last_success_at")
    op.add_column("push_subscription", sa.Column("account_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_push_subscription_account_id_account"),
        "push_subscription",
        "account",
        ["account_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(op.f("ix_push_subscription_account_id"), "push_subscription", ["account_id"])
    op.create_table(
        "family_push",
        sa.Column("notice_id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=8), server_default="queued", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "state IN ('queued', 'sent', 'failed', 'removed', 'expired')", name=op.f("ck_family_push_state_known")
        ),
        sa.PrimaryKeyConstraint("notice_id", "subscription_id", name=op.f("pk_family_push")),
    )
    op.execute(
        """
        UPDATE pgqueuer.pgqueuer q SET payload = uuid_send(d.alert_id) || uuid_send(d.subscription_id)
        FROM delivery d
        WHERE q.entrypoint = 'push' AND length(q.payload) = 16 AND d.id = encode(q.payload, 'hex')::uuid
          AND d.subscription_id IS NOT NULL
        """
    )


def downgrade() -> None:
    op.drop_table("family_push")
    op.drop_index(op.f("ix_push_subscription_account_id"), table_name="push_subscription")
    op.drop_constraint(op.f("fk_push_subscription_account_id_account"), "push_subscription", type_="foreignkey")
    op.drop_column("push_subscription", "account_id")
    # Jobs of the new form (an alert and many subscriptions) have no old form: they go, and their
    # subscriptions are not reached.
    op.execute("DELETE FROM pgqueuer.pgqueuer WHERE entrypoint = 'push' AND length(payload) <> 16")
    op.execute("DELETE FROM delivery WHERE subscription_id NOT IN (SELECT id FROM push_subscription)")
    op.create_foreign_key(
        "fk_delivery_subscription_id_push_subscription",
        "delivery",
        "push_subscription",
        ["subscription_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.drop_column("delivery", "claimed_by")
    op.drop_column("alert", "targeted")
    op.add_column("push_subscription", sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True))
