"""Small OpenStreetMap XML files written by the tests: nodes on a grid, ways with tags."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

# About 100 m between grid columns and rows at 40.8° N.
ORIGIN = (140.75, 40.80)
STEP_LON, STEP_LAT = 0.00119, 0.0009


def at(col: float, row: float) -> tuple[float, float]:
    """(lon, lat) of a grid position."""
    return ORIGIN[0] + col * STEP_LON, ORIGIN[1] + row * STEP_LAT


@dataclass
class Osm:
    nodes: dict[tuple[float, float], int] = field(default_factory=dict)
    ways: list[tuple[int, list[int], dict[str, str]]] = field(default_factory=list)

    def node(self, col: float, row: float) -> int:
        return self.nodes.setdefault((col, row), len(self.nodes) + 1)

    def way(self, points: list[tuple[float, float]], **tags: str) -> int:
        refs = [self.node(c, r) for c, r in points]
        self.ways.append((1000 + len(self.ways), refs, tags))
        return self.ways[-1][0]

    def write(self, path: Path) -> Path:
        lines = ["<?xml version='1.0' encoding='UTF-8'?>", "<osm version='0.6' generator='bosai-tests'>"]
        for (col, row), ref in self.nodes.items():
            lon, lat = at(col, row)
            lines.append(f"<node id='{ref}' version='1' lat='{lat:.7f}' lon='{lon:.7f}'/>")
        for way_id, refs, tags in self.ways:
            lines.append(f"<way id='{way_id}' version='1'>")
            lines.extend(f"<nd ref='{r}'/>" for r in refs)
            lines.extend(f"<tag k={quoteattr(k.replace('_', ':'))} v={quoteattr(v)}/>" for k, v in tags.items())
            lines.append("</way>")
        lines.append("</osm>")
        path.write_text("\n".join(lines), encoding="utf-8")
        return path
