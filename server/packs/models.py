"""Offline map packs: one PMTiles archive (with a compact facility list and walkable graph) per
municipality and version."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Entity


class OfflinePack(Entity):
    __tablename__ = "offline_pack"

    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    built_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The newest change among the data the pack was built from, and a digest of that data's state:
    # a pack whose digest differs from the data's current one is stale.
    data_as_of: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fingerprint: Mapped[str] = mapped_column(Text)
    bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    facilities_bytes: Mapped[int] = mapped_column(BigInteger)
    facilities_sha256: Mapped[str] = mapped_column(String(64))
    facilities_count: Mapped[int] = mapped_column(Integer)
    # The walkable graph beside the archive (server/roads/graph.py); none without roads.
    graph_bytes: Mapped[int | None] = mapped_column(BigInteger)
    graph_sha256: Mapped[str | None] = mapped_column(String(64))
    graph_edges: Mapped[int | None] = mapped_column(Integer)
    bbox: Mapped[list[float]] = mapped_column(ARRAY(Float))
    min_zoom: Mapped[int] = mapped_column(Integer)
    max_zoom: Mapped[int] = mapped_column(Integer)
    layers: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    tile_count: Mapped[int] = mapped_column(Integer)
    build_seconds: Mapped[float] = mapped_column(Float)

    __table_args__ = (UniqueConstraint("municipality_id", "version"),)
