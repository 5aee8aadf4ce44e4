"""Write the app icons to public/icons/ (deterministic, standard library only).

A white house (a shelter) on the theme red. The maskable icon keeps the house inside the central
safe zone (a circle of 80% of the width) and fills the whole square.

Run: python3 pwa/scripts/make_icons.py
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "public" / "icons"
RED, WHITE = (0xB3, 0x26, 0x1E), (0xFF, 0xFF, 0xFF)
# The house, in a unit square.
HOUSE = [(0.5, 0.12), (0.9, 0.48), (0.78, 0.48), (0.78, 0.88), (0.22, 0.88), (0.22, 0.48), (0.1, 0.48)]
DOOR = [(0.42, 0.62), (0.58, 0.62), (0.58, 0.88), (0.42, 0.88)]


def inside(x: float, y: float, polygon: list[tuple[float, float]]) -> bool:
    hit = False
    for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


def png(size: int, scale: float, rounded: bool) -> bytes:
    rows = []
    for j in range(size):
        row = bytearray([0])
        for i in range(size):
            x, y = (i + 0.5) / size, (j + 0.5) / size
            u, v = 0.5 + (x - 0.5) / scale, 0.5 + (y - 0.5) / scale
            corner = rounded and min(x, 1 - x) < 0.12 and min(y, 1 - y) < 0.12
            if corner and (min(x, 1 - x) - 0.12) ** 2 + (min(y, 1 - y) - 0.12) ** 2 > 0.12**2:
                row += bytes((0, 0, 0, 0))
                continue
            white = inside(u, v, HOUSE) and not inside(u, v, DOOR)
            row += bytes((*(WHITE if white else RED), 255))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b"")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "icon-192.png").write_bytes(png(192, 1.0, rounded=True))
    (OUT / "icon-512.png").write_bytes(png(512, 1.0, rounded=True))
    (OUT / "maskable-512.png").write_bytes(png(512, 0.7, rounded=False))
    points = " ".join(f"{x * 64:g},{y * 64:g}" for x, y in HOUSE)
    door = " ".join(f"{x * 64:g},{y * 64:g}" for x, y in DOOR)
    (OUT / "icon.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
        f'<rect width="64" height="64" rx="8" fill="#b3261e"/><polygon points="{points}" fill="#fff"/>'
        f'<polygon points="{door}" fill="#b3261e"/></svg>\n'
    )


if __name__ == "__main__":
    main()
