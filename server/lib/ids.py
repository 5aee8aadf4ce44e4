"""Time-ordered UUIDs (RFC 9562 version 7): index-friendly primary keys."""

from __future__ import annotations

import os
import time
import uuid


def uuid7() -> uuid.UUID:
    """A new UUIDv7: 48 bits of Unix milliseconds, then 74 random bits."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & 0xFFFF_FFFF_FFFF) << 80 | rand & ~(0xF << 76) & ~(0x3 << 62)
    value |= 0x7 << 76  # version
    value |= 0x2 << 62  # variant 10
    return uuid.UUID(int=value)
