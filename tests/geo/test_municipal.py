"""Readers of what a municipality publishes of its own: facility lists, a boundary drawn as lines,
past inundation with dates (fixtures/import/municipal/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape

from fixtures.make_imports import BUILDINGS, CODE6, SHIFT
from geo.importers import areas, facilities
from geo.importers.areas import past_date
from geo.importers.base import ImportFailure, Options, ParsedFile, Source
from server.imports.sources import expand

MUNICIPAL = Path(__file__).resolve().parents[2] / "fixtures" / "import" / "municipal"
DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"


def parse_list(name: str, kind: str = "tsunami_building", **options: object) -> ParsedFile:
    path = MUNICIPAL / name
    return facilities.parse(str(path), path.read_bytes(), kind=kind, **options)  # type: ignore[arg-type]


def test_the_common_layout_reads_alike_in_utf8_with_bom_and_in_shift_jis_with_full_width_digits() -> None:
    bom = parse_list(f"{CODE6}_tsunami_buildings_bom.csv")
    sjis = parse_list(f"{CODE6}_tsunami_buildings_sjis.csv")
    assert (MUNICIPAL / f"{CODE6}_tsunami_buildings_bom.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert "．" in (MUNICIPAL / f"{CODE6}_tsunami_buildings_sjis.csv").read_bytes().decode("cp932")
    assert not bom.errors and not sjis.errors
    for parsed in (bom, sjis):
        assert parsed.format == "facility_list"
        assert [r.name for r in parsed.records] == [b[0] for b in BUILDINGS]
        assert all(r.kinds == ("tsunami_building",) and r.municipality == CODE6 for r in parsed.records)
        first = parsed.records[0]
        assert first.attributes["区分"] == "公共施設" and first.attributes["電話番号"] == "0172-00-0001"
        assert first.name_kana == BUILDINGS[0][1]
    assert [(r.source_id, r.lon, r.lat) for r in bom.records] == [(r.source_id, r.lon, r.lat) for r in sjis.records]
    assert bom.notes[0].startswith("columns used: name=名称, lat=緯度, lon=経度, id=NO, kana=名称_カナ")


def test_a_list_needs_a_kind_and_its_name_and_coordinates() -> None:
    with pytest.raises(ImportFailure, match="--kind"):
        parse_list(f"{CODE6}_tsunami_buildings_bom.csv", kind="castle")
    with pytest.raises(ImportFailure, match="no name / lat / lon column"):
        parse_list("public_facilities.csv", kind="public_facility", municipality=CODE6)
    with pytest.raises(ImportFailure, match="names no column"):
        parse_list("public_facilities.csv", kind="public_facility", columns={"name": "名前"})
    named = parse_list(
        "public_facilities.csv",
        kind="public_facility",
        municipality=CODE6,
        columns={"name": "施設", "lat": "北緯", "lon": "東経"},
    )
    assert [r.name for r in named.records] == ["見本町体育館", "見本町図書館"]
    # No id column: a place is known by its name and point.
    assert named.records[0].source_id.startswith(f"list:public_facility:{CODE6}:見本町体育館@")


def test_a_bad_coordinate_names_file_line_and_column() -> None:
    path = MUNICIPAL / f"{CODE6}_care_facilities.csv"
    data = path.read_text(encoding="utf-8").replace(
        "デイサービスみほん,高齢者施設,青森県見本町緑町2,", "デイサービスみほん,高齢者施設,青森県見本町緑町2,北"
    )
    parsed = facilities.parse(str(path), data.encode(), kind="care_facility")
    (error,) = parsed.errors
    assert (error.line, error.column) == (3, "緯度") and str(error.value).startswith("北")
    assert str(error).startswith(f"{path}, line 3, column 緯度: not a number")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019/10/12", ("2019-10-12", 2019)),
        ("2019-10-12T00:00:00", ("2019-10-12", 2019)),
        (20191012, ("2019-10-12", 2019)),
        ("令和元年10月12日", ("2019-10-12", 2019)),
        ("平成30年7月6日", ("2018-07-06", 2018)),
        ("H30.7.6", ("2018-07-06", 2018)),
        ("昭和５６年８月", (None, 1981)),
        (1981, (None, 1981)),
        (1981.0, (None, 1981)),
        ("不明", (None, None)),
        (None, (None, None)),
    ],
)
def test_past_dates_as_files_write_them(value: object, expected: tuple[str | None, int | None]) -> None:
    assert past_date(value) == expected


def test_boundary_lines_in_a_plane_rectangular_crs_become_the_area_they_enclose() -> None:
    (source,) = [s for s in expand([MUNICIPAL]) if s.name.endswith("boundary_lines.shp")]
    parsed = areas.parse(source, Options(format="boundary", municipality=CODE6))
    assert not parsed.errors and parsed.format == "boundary"
    (town,) = parsed.boundaries
    assert town.code == CODE6 and town.keep_name
    # The fixture's lines trace the demo city moved east: the same two polygons come back.
    (city,) = json.loads((DEMO / "municipality.geojson").read_text(encoding="utf-8"))["features"]
    expected = shapely.affinity.translate(shape(city["geometry"]), xoff=SHIFT)
    assert len(town.geometry.geoms) == 2
    assert town.geometry.symmetric_difference(expected).area / expected.area < 1e-6


def test_past_inundation_keeps_its_dates() -> None:
    (source,) = [s for s in expand([MUNICIPAL]) if s.name.endswith("flood_history.shp")]
    parsed = areas.parse(source, Options(hazard="flood_history"))
    assert "dates from column 浸水年月日" in parsed.notes
    got = [(z.hazard_type, z.rank_code, z.attributes["date"], z.attributes["year"]) for z in parsed.zones]
    assert got == [
        ("flood_history", "2019", "2019-10-12", 2019),
        ("flood_history", "2018", "2018-07-06", 2018),
        ("flood_history", "1981", None, 1981),
    ]


def _lines(*lines: list[tuple[float, float]]) -> Source:
    features = [
        {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": line}} for line in lines
    ]
    return Source("lines.geojson", json.dumps({"type": "FeatureCollection", "features": features}).encode())


def test_boundary_lines_that_enclose_nothing_fail_and_loose_ends_are_reported() -> None:
    square = [(140.0, 40.0), (140.1, 40.0), (140.1, 40.1)], [(140.1, 40.1), (140.0, 40.1), (140.0, 40.0)]
    stub = [(140.1, 40.05), (140.15, 40.05)]
    parsed = areas.parse(_lines(*square, stub), Options(format="boundary", municipality=CODE6))
    (town,) = parsed.boundaries
    assert abs(town.geometry.area - 0.01) < 1e-9
    assert any("dangling" in note for note in parsed.notes), parsed.notes
    with pytest.raises(ImportFailure, match="enclose no area"):
        areas.parse(_lines(square[0]), Options(format="boundary", municipality=CODE6))
