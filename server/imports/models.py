"""One row per imported file: what it was, what it changed, what went wrong, how long it took."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Entity
from server.db.types import sql_list

IMPORT_STATUSES = ("running", "succeeded", "failed")


class ImportRun(Entity):
    __tablename__ = "import_run"

    file_name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), server_default="running")
    # read / created / updated / withdrawn / rejected
    counts: Mapped[dict[str, int]] = mapped_column(JSONB, server_default=text("'{}'"))
    # [{"line": 12, "column": "緯度", "value": "999", "message": "…"}, …]
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(f"status IN ({sql_list(IMPORT_STATUSES)})", name="status_known"),
        CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),
    )
