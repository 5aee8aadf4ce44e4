"""A counter that moves whenever map data changes, so caches (tiles, packs) know when to renew."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Integer, func
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base

#: Tables whose every write statement bumps the data version (by trigger, whatever the writer).
VERSIONED_TABLES = ("municipality", "facility", "hazard_zone")


class DataVersion(Base):
    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, server_default="1")
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)
