"""Column helpers shared by models: SQL lists of allowed values, spatial columns."""

from __future__ import annotations

from collections.abc import Iterable

from geoalchemy2 import Geometry


def sql_list(values: Iterable[str]) -> str:
    """``'a', 'b'`` for a CHECK constraint; the values are our own constants, never input."""
    return ", ".join(f"'{v}'" for v in values)


def geometry(kind: str) -> Geometry:
    """A WGS84 geometry column; its GiST index is declared explicitly by the model."""
    return Geometry(kind, srid=4326, spatial_index=False)
