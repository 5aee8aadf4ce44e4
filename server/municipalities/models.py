"""Municipalities (市区町村): the unit that owns shelters, hazard maps and offline packs."""

from __future__ import annotations

from geoalchemy2 import WKBElement
from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, validates

from geo.codes import check_digit, is_valid
from server.db.base import Entity
from server.db.types import geometry

# The check digit of 全国地方公共団体コード, computed in SQL so that no path into the table can
# store an impossible code.
_S = "+".join(f"{w} * substr(code, {i}, 1)::int" for i, w in enumerate((6, 5, 4, 3, 2), start=1))
CODE_CHECK = (
    f"code ~ '^[0-9]{{6}}$' AND substr(code, 6, 1)::int = "
    f"CASE WHEN ({_S}) >= 11 THEN (11 - ({_S}) % 11) % 10 ELSE 11 - ({_S}) END"
)


class Municipality(Entity):
    __tablename__ = "municipality"

    code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(Text)
    name_kana: Mapped[str | None] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    prefecture: Mapped[str] = mapped_column(Text)
    boundary: Mapped[WKBElement | None] = mapped_column(geometry("MULTIPOLYGON"))
    bbox: Mapped[WKBElement | None] = mapped_column(geometry("POLYGON"))

    __table_args__ = (
        CheckConstraint(CODE_CHECK, name="code_check_digit"),
        Index("ix_municipality_boundary", "boundary", postgresql_using="gist"),
    )

    @validates("code")
    def _validate_code(self, _key: str, code: str) -> str:
        if not is_valid(code):
            hint = f" (check digit should be {check_digit(code[:5])})" if code[:5].isdigit() and len(code) == 6 else ""
            raise ValueError(f"municipality code {code!r} is not a valid 6-digit code{hint}")
        return code
