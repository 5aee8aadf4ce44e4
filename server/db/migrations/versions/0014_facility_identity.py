"""facility identity: every record keeps its own place; welfare shelters' target groups

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 15:10:00.000000

Until now a GSI shelter and every emergency site sharing the serial of its 共通ID were one
facility, whatever their names and points. Facilities made that way are split by the rule of
geo.identity (same serial, 住所同一 and the same address, the same name, within 50 m): the place
holding the facility's preferred record (its shelter) keeps the facility's id — so shelter
operations and staff scopes stay with the building — and every other place gets a facility of its
own. A withdrawn record stays with the facility it was in (its history). Records get their
受入対象者 as target groups; facilities get every name of their records and their target groups.

The downgrade drops the new columns and leaves the places split (merging them again would lose
what the split found).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from geo.identity import Identity, places, says_same_address
from geo.kinds import FACILITY_KINDS, HAZARD_TYPES, TARGET_GROUPS
from geo.targets import target_groups
from server.lib.ids import uuid7

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KNOWN = "target_groups <@ ARRAY[{}]::varchar[]".format(", ".join(f"'{g}'" for g in TARGET_GROUPS))
_PREFERRED = ("designated_shelter", "welfare_shelter", "emergency_site")


def _rank(kinds: Sequence[str]) -> int:
    return min((_PREFERRED.index(k) for k in kinds if k in _PREFERRED), default=len(_PREFERRED))


def upgrade() -> None:
    empty = sa.text("'{}'")
    op.add_column("facility", sa.Column("names", postgresql.ARRAY(sa.Text()), server_default=empty, nullable=False))
    op.add_column(
        "facility", sa.Column("target_groups", postgresql.ARRAY(sa.String(32)), server_default=empty, nullable=False)
    )
    op.create_check_constraint(op.f("ck_facility_target_groups_known"), "facility", _KNOWN)
    op.add_column(
        "facility_record",
        sa.Column("target_groups", postgresql.ARRAY(sa.String(32)), server_default=empty, nullable=False),
    )
    op.add_column(
        "facility_record", sa.Column("target_other", postgresql.ARRAY(sa.Text()), server_default=empty, nullable=False)
    )
    op.create_check_constraint(op.f("ck_facility_record_target_groups_known"), "facility_record", _KNOWN)
    bind = op.get_bind()

    for row in bind.execute(
        sa.text("SELECT id, attributes->>'受入対象者' AS targets FROM facility_record WHERE attributes ? '受入対象者'")
    ).all():
        groups, other = target_groups(row.targets)
        bind.execute(
            sa.text("UPDATE facility_record SET target_groups = :groups, target_other = :other WHERE id = :id"),
            {"groups": list(groups), "other": list(other), "id": row.id},
        )

    bind.execute(sa.text("UPDATE facility SET names = ARRAY[name]"))
    shared = bind.execute(
        sa.text("SELECT facility_id FROM facility_record GROUP BY facility_id HAVING count(*) > 1")
    ).scalars()
    affected: set[Any] = set()
    for facility_id in shared.all():
        affected |= _split(bind, facility_id)
    for facility_id in affected:
        _recompute(bind, facility_id)
    # A facility of one record: its names and target groups are the record's.
    bind.execute(
        sa.text(
            "UPDATE facility f SET target_groups = r.target_groups FROM facility_record r "
            "WHERE r.facility_id = f.id AND r.withdrawn_at IS NULL AND cardinality(r.target_groups) > 0 "
            "AND NOT f.id = ANY(:affected)"
        ),
        {"affected": list(affected)},
    )


def _json(value: Any) -> dict[str, Any]:
    loaded = json.loads(value) if isinstance(value, str) else value
    return dict(loaded or {})


def _split(bind: sa.Connection, facility_id: Any) -> set[Any]:
    rows = bind.execute(
        sa.text(
            "SELECT id, source_id, dataset, place_key, name, address, ST_X(geom) AS lon, ST_Y(geom) AS lat, "
            "attributes, kinds, withdrawn_at FROM facility_record WHERE facility_id = :id ORDER BY created_at, id"
        ),
        {"id": facility_id},
    ).all()
    live = [r for r in rows if r.withdrawn_at is None]
    by_source = {r.source_id: r for r in live}
    groups = places(
        [
            Identity(
                r.source_id,
                r.dataset,
                r.place_key,
                r.name,
                r.address,
                r.lon,
                r.lat,
                says_same_address(_json(r.attributes)),
                _rank(r.kinds),
            )
            for r in live
        ]
    )
    touched = {facility_id}
    for group in groups[1:]:  # the first holds the preferred record: it keeps the facility
        new_id = uuid7()
        bind.execute(
            sa.text(
                "INSERT INTO facility (id, municipality_id, kinds, name, geom, created_at, updated_at) "
                "SELECT :new, municipality_id, kinds, name, geom, created_at, now() FROM facility WHERE id = :old"
            ),
            {"new": new_id, "old": facility_id},
        )
        bind.execute(
            sa.text("UPDATE facility_record SET facility_id = :new WHERE id = ANY(:ids)"),
            {"new": new_id, "ids": [by_source[i.source_id].id for i in group]},
        )
        touched.add(new_id)
    return touched


def _recompute(bind: sa.Connection, facility_id: Any) -> None:
    """As server.imports.service._recompute does after an import."""
    records = bind.execute(
        sa.text(
            "SELECT source_id, kinds, suitable_hazards, target_groups, name, name_kana, name_en, address, "
            "capacity, capacity_text, ST_AsEWKB(geom) AS geom, attributes, withdrawn_at "
            "FROM facility_record WHERE facility_id = :id ORDER BY created_at, id"
        ),
        {"id": facility_id},
    ).all()
    live = sorted((r for r in records if r.withdrawn_at is None), key=lambda r: _rank(r.kinds))
    values: dict[str, Any] = {"id": facility_id, "source_ids": [r.source_id for r in records]}
    if not live:
        bind.execute(
            sa.text(
                "UPDATE facility SET source_ids = :source_ids, withdrawn_at = coalesce(withdrawn_at, now()) "
                "WHERE id = :id"
            ),
            values,
        )
        return
    first = live[0]
    values |= {
        "kinds": [k for k in FACILITY_KINDS if any(k in r.kinds for r in live)],
        "hazards": [h for h in HAZARD_TYPES if any(h in r.suitable_hazards for r in live)],
        "targets": [g for g in TARGET_GROUPS if any(g in r.target_groups for r in live)],
        "names": list(dict.fromkeys(r.name for r in live)),
        "name": first.name,
        "name_kana": next((r.name_kana for r in live if r.name_kana), None),
        "name_en": next((r.name_en for r in live if r.name_en), None),
        "address": next((r.address for r in live if r.address), None),
        "capacity": next((r.capacity for r in live if r.capacity is not None), None),
        "capacity_text": next((r.capacity_text for r in live if r.capacity_text), None),
        "geom": bytes(first.geom),
    }
    bind.execute(
        sa.text(
            "UPDATE facility SET source_ids = :source_ids, kinds = :kinds, suitable_hazards = :hazards, "
            "target_groups = :targets, names = :names, name = :name, name_kana = :name_kana, name_en = :name_en, "
            "address = :address, capacity = :capacity, capacity_text = :capacity_text, "
            "geom = ST_GeomFromEWKB(:geom), withdrawn_at = NULL, updated_at = now() WHERE id = :id"
        ),
        values,
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_facility_record_target_groups_known"), "facility_record", type_="check")
    op.drop_column("facility_record", "target_other")
    op.drop_column("facility_record", "target_groups")
    op.drop_constraint(op.f("ck_facility_target_groups_known"), "facility", type_="check")
    op.drop_column("facility", "target_groups")
    op.drop_column("facility", "names")
