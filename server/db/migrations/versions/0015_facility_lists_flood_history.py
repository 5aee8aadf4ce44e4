"""facility lists and flood history: two more kinds of place, past inundation as a zone type

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 15:10:00.000000

A municipality's own facility lists bring places of kinds the national files do not have
(要配慮者利用施設 care_facility, 公共施設 public_facility), and its past-inundation maps (浸水履歴)
are stored as hazard zones of their own type, flood_history: the CHECK constraints that list the
known values grow. The lists are spelled out here, not imported, so this revision stays what it was.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = (
    "'designated_shelter', 'welfare_shelter', 'emergency_site', 'tsunami_building', 'wide_area_site', 'medical', 'aed'"
)
_HAZARDS = "'flood', 'landslide', 'storm_surge', 'earthquake', 'tsunami', 'large_fire', 'inland_flood', 'volcano'"


def _constraints(kinds: str, zone_types: str) -> None:
    op.drop_constraint(op.f("ck_facility_kinds_known"), "facility", type_="check")
    op.create_check_constraint(
        op.f("ck_facility_kinds_known"), "facility", f"cardinality(kinds) > 0 AND kinds <@ ARRAY[{kinds}]::varchar[]"
    )
    op.drop_constraint(op.f("ck_hazard_zone_hazard_type_known"), "hazard_zone", type_="check")
    op.create_check_constraint(
        op.f("ck_hazard_zone_hazard_type_known"), "hazard_zone", f"hazard_type IN ({zone_types})"
    )


def upgrade() -> None:
    _constraints(f"{_KINDS}, 'care_facility', 'public_facility'", f"{_HAZARDS}, 'flood_history'")


def downgrade() -> None:
    # Rows of the new values would violate the old constraints: they go first.
    op.execute("DELETE FROM hazard_zone WHERE hazard_type = 'flood_history'")
    op.execute(
        "UPDATE facility SET kinds = array_remove(array_remove(kinds, 'care_facility'), 'public_facility') "
        "WHERE kinds && ARRAY['care_facility', 'public_facility']::varchar[]"
    )
    op.execute("DELETE FROM facility WHERE cardinality(kinds) = 0")
    _constraints(_KINDS, _HAZARDS)
