"""Hazard zones: flood depth ranks, landslide warning zones, tsunami and storm-surge inundation."""

from __future__ import annotations

import uuid
from typing import Any

from geoalchemy2 import WKBElement
from sqlalchemy import BigInteger, CheckConstraint, Float, ForeignKey, Identity, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.kinds import ZONE_TYPES
from server.db.base import Base, Entity
from server.db.types import geometry, sql_list


class HazardZone(Entity):
    __tablename__ = "hazard_zone"

    hazard_type: Mapped[str] = mapped_column(String(16))
    # The source's own rank code (A31a depth rank "2", A33 zone class "2", …) and its wording.
    rank_code: Mapped[str | None] = mapped_column(String(16))
    rank_label: Mapped[str | None] = mapped_column(Text)
    # Depth band in metres where the source gives one; depth_max_m is NULL for open bands (≥ 20 m).
    depth_min_m: Mapped[float | None] = mapped_column(Float)
    depth_max_m: Mapped[float | None] = mapped_column(Float)
    geom: Mapped[WKBElement] = mapped_column(geometry("MULTIPOLYGON"))
    source: Mapped[str] = mapped_column(Text)
    municipality_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("municipality.id", ondelete="SET NULL"))
    import_run_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("import_run.id", ondelete="SET NULL"))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))

    __table_args__ = (
        CheckConstraint(f"hazard_type IN ({sql_list(ZONE_TYPES)})", name="hazard_type_known"),
        CheckConstraint(
            "depth_min_m IS NULL OR depth_max_m IS NULL OR depth_min_m <= depth_max_m", name="depth_band_ordered"
        ),
        Index("ix_hazard_zone_geom", "geom", postgresql_using="gist"),
        Index("ix_hazard_zone_hazard_type", "hazard_type"),
        Index("ix_hazard_zone_municipality_id", "municipality_id"),
    )


class HazardZonePart(Base):
    """A hazard zone cut into pieces of at most 255 vertices (ST_Subdivide), for fast
    point-in-polygon tests. Maintained by a trigger on hazard_zone: never written by the app."""

    __tablename__ = "hazard_zone_part"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    zone_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hazard_zone.id", ondelete="CASCADE"))
    hazard_type: Mapped[str] = mapped_column(String(16))
    geom: Mapped[WKBElement] = mapped_column(geometry("POLYGON"))

    __table_args__ = (
        Index("ix_hazard_zone_part_geom", "geom", postgresql_using="gist"),
        Index("ix_hazard_zone_part_zone_id", "zone_id"),
    )
