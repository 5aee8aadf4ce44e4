"""Which OpenStreetMap ways a person may walk, and how ways become a graph (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest
from shapely.geometry import box

from geo.roads import read_graph, road_class
from tests.server.roads.osm import Osm, at


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"highway": "residential"}, "minor"),
        ({"highway": "footway"}, "path"),
        ({"highway": "steps"}, "steps"),
        ({"highway": "primary"}, "primary"),
        ({"highway": "motorway"}, None),
        ({"highway": "motorway", "foot": "yes"}, None),
        ({"highway": "trunk"}, None),
        ({"highway": "trunk", "sidewalk": "both"}, "trunk"),
        ({"highway": "trunk", "sidewalk": "separate"}, None),
        ({"highway": "residential", "foot": "no"}, None),
        ({"highway": "service", "access": "private"}, None),
        ({"highway": "service", "access": "private", "foot": "yes"}, "service"),
        ({"highway": "cycleway"}, None),
        ({"highway": "cycleway", "foot": "designated"}, "path"),
        ({"highway": "construction"}, None),
        ({"building": "yes"}, None),
    ],
)
def test_walkable_ways(tags: dict[str, str], expected: str | None) -> None:
    assert road_class(tags) == expected


def test_ways_are_cut_at_junctions_and_components_found(tmp_path: Path) -> None:
    osm = Osm()
    osm.way([(0, 0), (1, 0), (2, 0)], highway="residential", name="本町通り")  # cut at (1, 0)
    osm.way([(1, 0), (1, 1)], highway="footway")
    osm.way([(5, 5), (6, 5)], highway="path")  # an island
    osm.way([(2, 0), (3, 0)], highway="motorway")  # not walked: (2, 0) is no junction
    graph = read_graph(osm.write(tmp_path / "a.osm"))
    assert graph.ways_read == 3
    assert sorted((e.source, e.target) for e in graph.edges) == sorted(
        [
            (osm.node(0, 0), osm.node(1, 0)),
            (osm.node(1, 0), osm.node(2, 0)),
            (osm.node(1, 0), osm.node(1, 1)),
            (osm.node(5, 5), osm.node(6, 5)),
        ]
    )
    assert graph.component[osm.node(0, 0)] == 0 and graph.component[osm.node(5, 5)] == 1
    assert graph.largest_share == pytest.approx(3 / 4)
    first = next(e for e in graph.edges if e.source == osm.node(0, 0))
    assert first.name == "本町通り" and 95 < first.length_m < 105


def test_clipping_keeps_edges_with_a_point_inside(tmp_path: Path) -> None:
    osm = Osm()
    osm.way([(0, 0), (1, 0), (2, 0), (3, 0)], highway="residential")
    osm.way([(1, 0), (1, 1)], highway="residential")
    osm.way([(2, 0), (2, 1)], highway="residential")
    west, south = at(-0.5, -0.5)
    east, north = at(1.5, 0.5)
    graph = read_graph(osm.write(tmp_path / "b.osm"), box(west, south, east, north))
    # (0,0)-(1,0), (1,0)-(2,0) and (1,0)-(1,1) touch the box; (2,0)-(3,0) and (2,0)-(2,1) do not.
    assert len(graph.edges) == 3
