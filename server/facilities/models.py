"""Facilities: shelters, evacuation sites, medical institutions and AEDs, as one place each."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from geoalchemy2 import Geography, Geometry, WKBElement
from sqlalchemy import CheckConstraint, Computed, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.kinds import FACILITY_KINDS, HAZARD_TYPES, TARGET_GROUPS
from server.db.base import Entity
from server.db.types import geometry, sql_list


class Facility(Entity):
    """A place. It may hold several designations (``kinds``) and several source records."""

    __tablename__ = "facility"

    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipality.id", ondelete="RESTRICT"))
    kinds: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    name: Mapped[str] = mapped_column(Text)
    name_kana: Mapped[str | None] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[WKBElement] = mapped_column(geometry("POINT"))
    # Distances in metres come from the geography twin; KNN on geometry(4326) sorts by degrees.
    geog: Mapped[WKBElement] = mapped_column(
        Geography("POINT", srid=4326, spatial_index=False), Computed("geom::geography", persisted=True)
    )
    # Web Mercator twin for nearest-neighbour search: the projection is conformal, so KNN on it
    # orders neighbours by true distance locally, and its GiST KNN is ~20x faster than geography's
    # (measured: 0.7 ms vs 14 ms for 35 neighbours among 80,000 places).
    merc: Mapped[WKBElement] = mapped_column(
        Geometry("POINT", srid=3857, spatial_index=False), Computed("ST_Transform(geom, 3857)", persisted=True)
    )
    capacity: Mapped[int | None] = mapped_column(Integer)
    capacity_text: Mapped[str | None] = mapped_column(Text)
    suitable_hazards: Mapped[list[str]] = mapped_column(ARRAY(String(16)), server_default=text("'{}'"))
    # Hazard types whose zones contain the place. Kept by database triggers (a place moves, a zone
    # comes or goes), never written by the app: "nearest place outside the zone" then filters an
    # array instead of testing polygons for every candidate.
    inside_hazards: Mapped[list[str]] = mapped_column(ARRAY(String(16)), server_default=text("'{}'"))
    # Identifiers of the source records that describe this place (GSI 共通ID, standard data ID…).
    source_ids: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    # Every name its live records give it (its own first), so that a search by any finds it.
    names: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    # Who its welfare-shelter records take in (TARGET_GROUPS), for matching a household's needs.
    target_groups: Mapped[list[str]] = mapped_column(ARRAY(String(32)), server_default=text("'{}'"))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    # Set when a newer version of the source no longer lists the place: hidden, kept for history.
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(
            f"cardinality(kinds) > 0 AND kinds <@ ARRAY[{sql_list(FACILITY_KINDS)}]::varchar[]", name="kinds_known"
        ),
        CheckConstraint(f"suitable_hazards <@ ARRAY[{sql_list(HAZARD_TYPES)}]::varchar[]", name="hazards_known"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        CheckConstraint(f"target_groups <@ ARRAY[{sql_list(TARGET_GROUPS)}]::varchar[]", name="target_groups_known"),
        Index("ix_facility_municipality_id", "municipality_id"),
        Index("ix_facility_geom", "geom", postgresql_using="gist"),
        Index("ix_facility_geog", "geog", postgresql_using="gist"),
        Index("ix_facility_merc", "merc", postgresql_using="gist"),
        Index("ix_facility_kinds", "kinds", postgresql_using="gin"),
        Index("ix_facility_suitable_hazards", "suitable_hazards", postgresql_using="gin"),
        Index("ix_facility_source_ids", "source_ids", postgresql_using="gin"),
    )


class FacilityRecord(Entity):
    """One record of a source file (a GSI 共通ID, a standard-data ID) as published, with its own
    name, point and designation. A facility is the place: one record, or several that
    geo.identity finds to be one place; its kinds, hazard flags, names and source ids are the
    union of its live records."""

    __tablename__ = "facility_record"

    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facility.id", ondelete="CASCADE"))
    source_id: Mapped[str] = mapped_column(Text, unique=True)
    # The unit a newer file replaces ("gsi_shelter:022055"): records of it absent from the newer
    # file are withdrawn.
    dataset: Mapped[str] = mapped_column(Text)
    place_key: Mapped[str | None] = mapped_column(Text)
    kinds: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    suitable_hazards: Mapped[list[str]] = mapped_column(ARRAY(String(16)), server_default=text("'{}'"))
    name: Mapped[str] = mapped_column(Text)
    name_kana: Mapped[str | None] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[WKBElement] = mapped_column(geometry("POINT"))
    capacity: Mapped[int | None] = mapped_column(Integer)
    capacity_text: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    # 受入対象者 of a welfare shelter: known groups, and the fragments outside the vocabulary.
    target_groups: Mapped[list[str]] = mapped_column(ARRAY(String(32)), server_default=text("'{}'"))
    target_other: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    import_run_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("import_run.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(f"target_groups <@ ARRAY[{sql_list(TARGET_GROUPS)}]::varchar[]", name="target_groups_known"),
        Index("ix_facility_record_facility_id", "facility_id"),
        Index("ix_facility_record_dataset", "dataset"),
        Index("ix_facility_record_place_key", "place_key"),
    )
