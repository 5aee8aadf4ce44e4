"""delivery rows made by the worker: alert.targeted, delivery.claimed_by, no subscription key

Revision ID: 0026
Revises: 0023
Create Date: 2026-11-29 22:00:00.000000

A city-wide warning queued 100,000 delivery rows in its import's transaction, with a foreign-key
check (and row lock) on every subscription: seconds before the first push could go. Now a job
carries the alert and a batch of subscriptions, and the worker makes the rows as it takes the job.
Jobs still waiting in the old form (one delivery id each) are rewritten to the new one.
push_subscription.last_success_at goes: it rewrote every subscription row on every push, and the
delivery rows already say when each one was sent.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("alert", sa.Column("targeted", sa.Integer(), server_default="0", nullable=False))
    op.execute("UPDATE alert SET targeted = (SELECT count(*) FROM delivery d WHERE d.alert_id = alert.id)")
    op.add_column("delivery", sa.Column("claimed_by", sa.BigInteger(), nullable=True))
    op.drop_constraint("fk_delivery_subscription_id_push_subscription", "delivery", type_="foreignkey")
    op.drop_column("push_subscription", "last_success_at")
    op.execute(
        """
        UPDATE pgqueuer.pgqueuer q SET payload = uuid_send(d.alert_id) || uuid_send(d.subscription_id)
        FROM delivery d
        WHERE q.entrypoint = 'push' AND length(q.payload) = 16 AND d.id = encode(q.payload, 'hex')::uuid
          AND d.subscription_id IS NOT NULL
        """
    )


def downgrade() -> None:
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
