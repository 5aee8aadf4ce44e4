"""Query parameters parsed by hand, so that every bad value gets a 400 naming the parameter and
what it accepts (Litestar's own messages name the type, not the allowed values)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from server.lib.errors import InvalidParameterError


def number(raw: str | None, name: str, low: float, high: float) -> float:
    """A required finite number within [low, high]."""
    allowed = f"a number from {low:g} to {high:g}"
    if raw is None or raw.strip() == "":
        raise InvalidParameterError(name, "is required", allowed)
    try:
        value = float(raw)
    except ValueError:
        raise InvalidParameterError(name, f"{raw!r} is not a number", allowed) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise InvalidParameterError(name, f"{raw} is out of range", allowed)
    return value


def latitude(raw: str | None, name: str = "lat") -> float:
    return number(raw, name, -90, 90)


def longitude(raw: str | None, name: str = "lon") -> float:
    return number(raw, name, -180, 180)


def choice(raw: str | None, name: str, allowed: Sequence[str]) -> str | None:
    """One of ``allowed``, or None when absent."""
    if raw is None or raw == "":
        return None
    if raw not in allowed:
        raise InvalidParameterError(name, f"unknown value {raw!r}", list(allowed))
    return raw


def whole(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    allowed = f"a whole number from {low} to {high}"
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameterError(name, f"{raw!r} is not a whole number", allowed) from None
    if not low <= value <= high:
        raise InvalidParameterError(name, f"{value} is out of range", allowed)
    return value


def flag(raw: str | None, name: str) -> bool:
    if raw is None or raw == "":
        return False
    lowered = raw.lower()
    if lowered not in {"true", "false", "1", "0"}:
        raise InvalidParameterError(name, f"{raw!r} is not a boolean", ["true", "false"])
    return lowered in {"true", "1"}


def bbox(raw: str | None, name: str = "bbox") -> tuple[float, float, float, float] | None:
    """``minLon,minLat,maxLon,maxLat`` in WGS84, or None when absent."""
    if raw is None or raw == "":
        return None
    allowed = "minLon,minLat,maxLon,maxLat (WGS84 degrees, min < max)"
    parts = raw.split(",")
    if len(parts) != 4:
        raise InvalidParameterError(name, f"expected 4 comma-separated numbers, got {len(parts)}", allowed)
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise InvalidParameterError(name, f"{raw!r} holds something that is not a number", allowed) from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InvalidParameterError(name, f"{raw!r} is not a box within the world", allowed)
    return west, south, east, north
