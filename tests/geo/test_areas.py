"""Boundary and hazard-zone readers (GeoJSON, Shapefile, CRS, encodings) on the project's fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon, box, mapping, shape

from fixtures.make_imports import CODE6, SHIFT, TOWN
from geo.importers.areas import ParsedAreas, dbf_encoding, depth_band, parse
from geo.importers.base import ImportFailure, Options, Source
from server.imports.sources import expand

AREAS = Path(__file__).resolve().parents[2] / "fixtures" / "import" / "areas"
DEMO = AREAS.parents[1] / "demo"


def source(name: str) -> Source:
    (found,) = [s for s in expand([AREAS]) if s.name.endswith(name)]
    return found


def read(name: str, options: Options | None = None) -> ParsedAreas:
    parsed = parse(source(name), options or Options())
    assert not parsed.errors, [str(e) for e in parsed.errors]
    return parsed


def geojson(features: list[tuple[dict[str, object], object]], **members: object) -> bytes:
    doc = {
        "type": "FeatureCollection",
        **members,
        "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in features],
    }
    return json.dumps(doc, ensure_ascii=False).encode()


@pytest.mark.parametrize(
    ("text", "band"),
    [
        ("0.3m未満の区域", (0.0, 0.3)),
        ("0.3m以上～1m未満", (0.3, 1.0)),
        ("0.3ｍ以上〜１ｍ未満", (0.3, 1.0)),  # full-width digits and metre sign, wave dash
        ("0.5～3.0m", (0.5, 3.0)),
        ("5.0m以上", (5.0, None)),
        ("20m～", (20.0, None)),
        ("50cm未満", (0.0, 0.5)),
        ("浸水なし", None),
        ("3m", None),  # a single depth with no direction is not a band
        ("5m～3m", None),
    ],
)
def test_depth_text_becomes_a_band_in_metres(text: str, band: tuple[float, float | None] | None) -> None:
    assert depth_band(text) == band


def test_n03_polygons_are_dissolved_by_code_and_unassigned_land_is_skipped() -> None:
    parsed = read("N03-20250101_02.geojson")
    assert parsed.format == "n03_boundary" and parsed.rows == 5
    towns = {b.code: b for b in parsed.boundaries}
    assert sorted(towns) == [CODE6, "029998"]
    town = towns[CODE6]
    assert (town.name, town.prefecture, town.features) == (TOWN, "青森県", 3)  # 見本郡 is not part of the name
    city = shape(json.loads((DEMO / "municipality.geojson").read_text())["features"][0]["geometry"])
    expected = shapely.affinity.translate(city, xoff=SHIFT)
    assert town.geometry.geom_type == "MultiPolygon" and len(town.geometry.geoms) == 2  # halves joined, island kept
    assert town.geometry.symmetric_difference(expected).area < 1e-8  # coordinates rounded to 6 decimals
    assert parsed.notes == ["1 polygons of 所属未定地 (no municipality) were skipped"]


def test_an_old_jgd2000_shapefile_in_shift_jis_without_cpg() -> None:
    shp = source("N03-20000401_02.shp")
    assert ".cpg" not in shp.sidecars and "JGD_2000" in shp.sidecars[".prj"].decode()
    assert dbf_encoding(shp.sidecars[".dbf"]) == "CP932"
    (town,) = read("N03-20000401_02.shp").boundaries
    current = next(b for b in read("N03-20250101_02.geojson").boundaries if b.code == CODE6)
    assert (town.code, town.name) == (CODE6, TOWN)
    assert town.geometry.symmetric_difference(current.geometry).area < 1e-8  # JGD2000 → WGS84 in place


def test_a31a_depth_ranks_become_bands_and_awkward_polygons_are_kept_for_the_database() -> None:
    parsed = read("A31a-24_02_flood.geojson")
    assert parsed.format == "a31a_flood" and len(parsed.zones) == 5
    bands = {(z.rank_code, z.depth_min_m, z.depth_max_m, z.rank_label) for z in parsed.zones}
    assert ("2", 0.5, 3.0, "0.5m以上3.0m未満") in bands and ("3", 3.0, 5.0, "3.0m以上5.0m未満") in bands
    assert all(z.hazard_type == "flood" and z.attributes["scenario"] == "maximum" for z in parsed.zones)
    assert parsed.zones[0].attributes["river"] == "見本川"
    assert not parsed.zones[3].geometry.is_valid  # the bow tie: made valid by PostGIS on import


def test_a33_zone_classes_and_unknown_notice_dates() -> None:
    parsed = read("A33-23_02_landslide.shp")
    labels = {z.rank_label for z in parsed.zones}
    assert {"土砂災害警戒区域 土石流", "土砂災害特別警戒区域 地すべり"} <= labels
    assert parsed.zones[0].attributes["notice_date"] is None  # 9999/1/1
    assert parsed.zones[1].attributes["notice_date"] == "2021/3/31"


def test_a40_depth_text_and_a_huge_polygon() -> None:
    parsed = read("A40-20_02_tsunami.geojson")
    assert [(z.depth_min_m, z.depth_max_m) for z in parsed.zones] == [(1.0, 3.0), (0.3, 1.0), (0.0, 0.3)]
    assert shapely.get_num_coordinates(parsed.zones[-1].geometry) > 4000


def test_another_hazard_file_needs_its_type_and_reads_its_rank_column() -> None:
    data = geojson([({"浸水深": "0.3m以上0.5m未満の区域"}, mapping(box(140.9, 40.8, 140.91, 40.81)))])
    with pytest.raises(ImportFailure, match="not a known boundary or hazard file"):
        parse(Source("zones.geojson", data), Options())
    with pytest.raises(ImportFailure, match="--hazard must be one of"):
        parse(Source("zones.geojson", data), Options(hazard="meteor"))
    with pytest.raises(ImportFailure, match="its columns: 浸水深"):
        parse(Source("zones.geojson", data), Options(hazard="inland_flood", rank_attribute="depth"))
    (zone,) = parse(Source("zones.geojson", data), Options(hazard="inland_flood", rank_attribute="浸水深")).zones
    assert (zone.hazard_type, zone.depth_min_m, zone.depth_max_m) == ("inland_flood", 0.3, 0.5)
    assert zone.rank_label == "0.3m以上0.5m未満の区域"


def test_a_projected_crs_is_reprojected_to_wgs84() -> None:
    # JGD2011 / Japan Plane Rectangular CS X (Aomori), metres.
    to_plane = Transformer.from_crs("EPSG:4326", "EPSG:6678", always_xy=True)
    square = box(140.90, 40.80, 140.91, 40.81)
    planar = shapely.transform(square, lambda xy: list(zip(*to_plane.transform(xy[:, 0], xy[:, 1]), strict=True)))
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::6678"}}
    data = geojson([({"A40_003": "1m以上"}, mapping(planar))], crs=crs)
    (zone,) = parse(Source("a40.geojson", data), Options()).zones
    assert zone.geometry.symmetric_difference(square).area < 1e-10


def test_bad_features_are_named_by_index_and_the_file_is_rejected() -> None:
    point = {"type": "Point", "coordinates": [140.9, 40.8]}
    swapped = mapping(Polygon([(40.8, 140.9), (40.81, 140.9), (40.81, 140.91)]))
    good = mapping(box(140.9, 40.8, 140.91, 40.81))
    data = geojson([({"A40_003": "1m以上"}, good), ({"A40_003": "1m以上"}, point), ({"A40_003": "1m"}, swapped)])
    parsed = parse(Source("a40.geojson", data), Options())
    assert [(e.line, e.column) for e in parsed.errors] == [(1, "geometry"), (2, "geometry")]
    assert (
        str(parsed.errors[0])
        == "a40.geojson, feature 1, column geometry: expected a Polygon or MultiPolygon (value 'Point')"
    )
    assert "outside Japan" in str(parsed.errors[1]) and not parsed.zones


def test_a_bad_n03_code_names_its_column() -> None:
    data = geojson([({"N03_004": "x", "N03_007": "99201"}, mapping(box(140.9, 40.8, 140.91, 40.81)))])
    (error,) = parse(Source("n03.geojson", data), Options()).errors
    assert (error.line, error.column, error.value) == (0, "N03_007", "99201")


def test_a_shapefile_without_its_prj_is_rejected_whole() -> None:
    (broken,) = [s for s in expand([AREAS.parent / "broken"]) if s.name.endswith(".shp")]
    with pytest.raises(ImportFailure, match=r"needs its \.prj"):
        parse(broken, Options())


def test_an_unclosed_ring_is_closed() -> None:
    ring = [[140.9, 40.8], [140.91, 40.8], [140.91, 40.81]]  # the last point does not repeat the first
    data = geojson([({"A40_003": "1m以上"}, {"type": "Polygon", "coordinates": [ring]})])
    (zone,) = parse(Source("a40.geojson", data), Options()).zones
    assert zone.geometry.is_valid and zone.geometry.area == pytest.approx(0.00005)


@pytest.mark.parametrize("name", ["A33-23_02_landslide.shp", "A40-20_02_tsunami.geojson"])
def test_a_layer_of_more_features_than_the_bound_is_refused_naming_the_bound(name: str) -> None:
    layer = source(name)
    features = parse(layer, Options()).rows
    assert parse(layer, Options(), max_features=features).rows == features
    with pytest.raises(ImportFailure, match=f"more than {features - 1} features") as refused:
        parse(layer, Options(), max_features=features - 1)
    assert refused.value.file == layer.name and "BOSAI_IMPORT_MAX_ROWS" in refused.value.message


@pytest.mark.parametrize("name", ["A33-23_02_landslide.shp", "N03-20000401_02.shp", "A31a-24_02_flood.geojson"])
def test_a_layer_is_read_from_memory_never_written_to_disk_again(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    layer = source(name)  # read from disk once, as the importer does
    written: list[Path] = []
    write_bytes = Path.write_bytes

    def spy(path: Path, data: bytes) -> int:
        written.append(path)
        return write_bytes(path, data)

    monkeypatch.setattr(Path, "write_bytes", spy)
    parsed = parse(layer, Options())
    assert parsed.rows > 0 and not parsed.errors
    assert written == []


def test_bosai_boundary_and_zones_keep_kana_rank_and_depth_band_and_their_source() -> None:
    (city,) = json.loads((DEMO / "municipality.geojson").read_text(encoding="utf-8"))["features"]
    boundary = parse(Source("municipality.geojson", (DEMO / "municipality.geojson").read_bytes()), Options())
    assert boundary.format == "bosai_boundary"
    (record,) = boundary.boundaries
    assert (record.code, record.name, record.name_kana, record.name_en, record.prefecture) == (
        "029998",
        "見本市",
        "みほんし",
        "Mihon City",
        "青森県",
    )
    assert record.geometry.equals(shape(city["geometry"]))
    zones = parse(Source("hazards.geojson", (DEMO / "hazards.geojson").read_bytes()), Options())
    assert zones.format == "bosai_hazards" and zones.source == "bosai-demo" and not zones.errors
    demo = json.loads((DEMO / "hazards.geojson").read_text(encoding="utf-8"))["features"]
    assert [(z.hazard_type, z.rank_code, z.rank_label, z.depth_min_m, z.depth_max_m) for z in zones.zones] == [
        tuple(f["properties"][k] for k in ("hazardType", "rankCode", "rankLabel", "depthMinM", "depthMaxM"))
        for f in demo
    ]


def test_a_bosai_zone_of_an_unknown_hazard_is_located() -> None:
    square = mapping(box(140.7, 40.7, 140.8, 40.8))
    data = geojson(
        [({"hazardType": "meteor", "rankCode": "1"}, square), ({"hazardType": "flood", "rankCode": "1"}, square)]
    )
    (error,) = parse(Source("zones.geojson", data), Options()).errors
    assert (error.line, error.column, error.value) == (0, "hazardType", "meteor")
