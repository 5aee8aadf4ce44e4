"""shelter status in tiles: opening, closing or resizing a shelter bumps the data version

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 12:30:00.000000

The facilities layer of /tiles carries whether a shelter is open in the current event and its
operating capacity, so tiles (cached per data version) must be renewed when those change. A
check-in does not bump it: how full a shelter is stays out of tiles (the tile cache would be
emptied at every scan), so only a change of status or capacity, an opened shelter or a closed
event does.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE TRIGGER shelter_operation_data_version AFTER INSERT OR DELETE OR TRUNCATE ON shelter_operation "
        "FOR EACH STATEMENT EXECUTE FUNCTION bosai_bump_data_version()"
    )
    # Row triggers with WHEN: an update that leaves status and capacity as they were (needs, pets,
    # the time of the last change) keeps every cached tile.
    op.execute(
        "CREATE TRIGGER shelter_operation_status_data_version AFTER UPDATE OF status, capacity ON shelter_operation "
        "FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.capacity IS DISTINCT FROM NEW.capacity) "
        "EXECUTE FUNCTION bosai_bump_data_version()"
    )
    op.execute(
        "CREATE TRIGGER disaster_event_data_version AFTER UPDATE OF status ON disaster_event "
        "FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION bosai_bump_data_version()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER disaster_event_data_version ON disaster_event")
    op.execute("DROP TRIGGER shelter_operation_status_data_version ON shelter_operation")
    op.execute("DROP TRIGGER shelter_operation_data_version ON shelter_operation")
