"""Facility readers, on the project's synthetic fixtures (no database)."""

from __future__ import annotations

import encodings.utf_8
import json
from pathlib import Path

import pytest

from geo.importers.base import ImportFailure
from geo.importers.facilities import capacity, parse
from geo.importers.rows import load_json
from tests.generated import assert_matches_generator

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "import" / "facilities"
BROKEN = FIXTURES.parent / "broken"


def test_the_fixtures_are_up_to_date_with_their_generator(tmp_path: Path) -> None:
    import fixtures.make_imports

    assert_matches_generator(fixtures.make_imports, FIXTURES.parent, tmp_path)


def test_gsi_csv_with_bom_and_no_municipality_column_takes_the_code_from_the_common_id() -> None:
    parsed = parse("029980_emergency_sites.csv", (FIXTURES / "029980_emergency_sites.csv").read_bytes())
    assert parsed.format == "gsi_emergency_site" and not parsed.errors
    first = parsed.records[0]
    assert first.municipality == "029980"
    assert first.source_id.startswith("E02998") and first.place_key == f"gsi:{first.source_id[1:11]}"
    assert first.kinds == ("emergency_site",)
    assert parsed.rows == len(parsed.records) == 28 + 3  # and the sites sharing a serial (SHARED)


def test_gsi_geojson_shelters_mark_welfare_shelters() -> None:
    parsed = parse("029980_designated_shelters.geojson", (FIXTURES / "029980_designated_shelters.geojson").read_bytes())
    welfare = [r for r in parsed.records if "welfare_shelter" in r.kinds]
    assert parsed.format == "gsi_shelter" and len(welfare) == 12 + 2  # and the two of SHARED
    assert all(r.kinds[0] == "designated_shelter" for r in parsed.records)
    assert parsed.records[0].prefecture == "青森県" and parsed.records[0].municipality_name == "見本町"


def test_shift_jis_v1_with_circle_flags_and_a_lost_leading_zero() -> None:
    data = (FIXTURES / "standard_03_v1_sjis.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # really Shift_JIS
    parsed = parse("standard_03_v1_sjis.csv", data)
    assert parsed.format == "standard_emergency_site" and not parsed.errors
    record = parsed.records[0]
    assert record.municipality == "029980"  # written 29980 in the file
    assert record.source_id == "std03:029980:1"
    assert record.suitable_hazards  # ○ and 〇 both read as set
    assert (
        record.capacity is not None and record.capacity_text and record.capacity_text.startswith(str(record.capacity))
    )


def test_current_format_reads_the_same_data_set_as_v1() -> None:
    v1 = parse("a.csv", (FIXTURES / "standard_03_v1_sjis.csv").read_bytes())
    current = parse("b.csv", (FIXTURES / "standard_03_current.csv").read_bytes())
    assert [r.source_id for r in v1.records] == [r.source_id for r in current.records]
    assert [r.suitable_hazards for r in v1.records] == [r.suitable_hazards for r in current.records]
    assert current.records[0].kinds == ("emergency_site", "designated_shelter")  # 指定避難所との重複 ○
    assert current.records[0].name_en is not None


@pytest.mark.parametrize(
    ("name", "fmt", "kind"),
    [("standard_08_aed_v1.csv", "standard_aed", "aed"), ("standard_10_medical_v1.csv", "standard_medical", "medical")],
)
def test_aed_and_medical(name: str, fmt: str, kind: str) -> None:
    parsed = parse(name, (FIXTURES / name).read_bytes())
    assert parsed.format == fmt and len(parsed.records) == 12
    assert all(r.kinds == (kind,) and r.municipality == "029980" for r in parsed.records)


def test_a_bad_row_is_located_by_file_line_column_and_value() -> None:
    parsed = parse("standard_03_v1_one_bad_row.csv", (BROKEN / "standard_03_v1_one_bad_row.csv").read_bytes())
    (error,) = parsed.errors
    assert (error.file, error.line, error.column) == ("standard_03_v1_one_bad_row.csv", 5, "緯度")
    assert "swapped" in error.message
    assert str(error).startswith("standard_03_v1_one_bad_row.csv, line 5, column 緯度: coordinates lie outside Japan")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("x.geojson", (BROKEN / "not_a_collection.geojson").read_bytes(), "not a GeoJSON FeatureCollection"),
        ("x.geojson", b"{not json", "not valid JSON"),
        ("x.csv", "氏名,年齢\n山田,30\n".encode(), "not a known facility file"),
        ("x.csv", b"", "the file is empty"),
        ("x.xlsx", b"PK", "unknown file type"),
    ],
)
def test_a_file_that_is_not_what_it_claims_is_rejected_whole(name: str, data: bytes, message: str) -> None:
    with pytest.raises(ImportFailure, match=message):
        parse(name, data)


def test_bad_flags_and_codes_name_their_column() -> None:
    header = "NO,名称,緯度,経度,市区町村コード," + ",".join(
        f"災害種別_{c}"
        for c in ["洪水", "崖崩れ、土石流及び地滑り", "高潮", "地震", "津波", "大規模な火事", "内水氾濫", "火山現象"]
    )
    rows = [header + ",指定避難所との重複", "1,A,40.8,140.7,029998,はい,,,,,,,,", "2,B,40.8,140.7,022011,,,,,,,,,"]
    parsed = parse("x.csv", "\n".join(rows).encode())
    assert [(e.line, e.column, e.value) for e in parsed.errors] == [
        (2, "災害種別_洪水", "はい"),
        (3, "市区町村コード", "022011"),
    ]


def test_the_municipality_comes_from_the_option_when_nothing_else_says_it() -> None:
    data = "NO,名称,緯度,経度,設置位置\n1,A,40.8,140.7,入口\n".encode()
    assert "pass --municipality" in str(parse("aed.csv", data).errors[0])
    assert parse("aed.csv", data, municipality="02999").records[0].municipality == "029998"
    assert parse("022012_aed.csv", data).records[0].municipality == "022012"  # from the file name


@pytest.mark.parametrize(
    ("text", "value"), [("810人（2平方メートルあたり1人）", 810), ("１，２００人", 1200), ("約", None), (None, None)]
)
def test_capacity_is_the_leading_number(text: str | None, value: int | None) -> None:
    assert capacity(text) == value


def test_a_table_longer_than_the_row_bound_is_refused_naming_the_file_the_line_and_the_bound() -> None:
    data = (FIXTURES / "standard_08_aed_v1.csv").read_bytes()  # 12 rows
    assert parse("aed.csv", data, max_rows=12).rows == 12
    with pytest.raises(ImportFailure) as refused:
        parse("aed.csv", data, max_rows=11)
    assert (refused.value.file, refused.value.line) == ("aed.csv", 13)  # the 12th row, after the header
    assert "more than 11 rows" in str(refused.value) and "BOSAI_IMPORT_MAX_ROWS" in str(refused.value)
    shelters = (FIXTURES / "029980_designated_shelters.geojson").read_bytes()
    with pytest.raises(ImportFailure, match="more than 5 features"):
        parse("shelters.geojson", shelters, max_rows=5)


@pytest.mark.parametrize(
    "document",
    [
        {"type": "FeatureCollection", "features": {"a": 1}},
        {"type": "FeatureCollection", "features": [5]},
        {"type": "FeatureCollection", "features": [{"properties": 5, "geometry": None}]},
    ],
)
def test_a_feature_collection_of_the_wrong_shape_is_a_located_failure(document: object) -> None:
    with pytest.raises(ImportFailure, match=r"shelters\.geojson"):
        parse("shelters.geojson", json.dumps(document).encode())


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("long.csv", b"a,b\n" + b"x" * 200_000 + b",1\n", "not a readable CSV: field larger than field limit"),
        ("deep.geojson", b"[" * 100_000, "nested too deeply"),
        ("one.csv", b"a\n" + b"\0" * 3_000_000, "a line longer than 1,048,576 characters"),
    ],
)
def test_files_past_the_parsers_own_bounds_are_located_failures(name: str, data: bytes, message: str) -> None:
    with pytest.raises(ImportFailure, match=message) as refused:
        parse(name, data)
    assert refused.value.file == name


@pytest.mark.parametrize(
    "text",
    [
        (FIXTURES / "029980_designated_shelters.geojson").read_text(),
        ' \n{ "features" : [ ] , "type":"FeatureCollection", "a": [1, [2, {"b": []}]], "c": {"d": [3]} }\n',
        "{}",
        "[1, 2]",
        '"text"',
        '{"features": [1, 2,]}',
        '{"features": [1 2]}',
        '{"a" 1}',
        '{"a": 1} x',
        '{"a": 1,}',
        "{1: 2}",
        '{"a": [1, 2}',
    ],
)
def test_json_decoded_a_feature_at_a_time_is_what_json_loads_gives(text: str) -> None:
    try:
        expected: object = json.loads(text)
    except json.JSONDecodeError:
        with pytest.raises(json.JSONDecodeError):
            load_json(text)
    else:
        assert load_json(text) == expected


def test_a_geojson_past_the_row_bound_is_refused_for_the_bound_before_the_rest_is_parsed() -> None:
    shelters = json.loads((FIXTURES / "029980_designated_shelters.geojson").read_text())["features"]
    good = ",".join(json.dumps(f, ensure_ascii=False) for f in shelters[:6])
    data = ('{"type": "FeatureCollection", "features": [' + good + ', {"type": "Feature", broken]}').encode()
    with pytest.raises(ImportFailure, match="not valid JSON"):
        parse("shelters.geojson", data, max_rows=7)  # within the bound, the broken feature is read
    with pytest.raises(ImportFailure) as refused:
        parse("shelters.geojson", data, max_rows=5)
    assert "more than 5 features" in refused.value.message and refused.value.line == 5


@pytest.mark.parametrize("name", ["standard_03_current.csv", "029980_emergency_sites.csv"])
def test_a_utf8_csv_is_decoded_once(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    decoded: list[int] = []
    decode = encodings.utf_8.IncrementalDecoder._buffer_decode

    def spy(data: bytes, errors: str, final: bool) -> tuple[str, int]:
        decoded.append(len(data))
        return decode(data, errors, final)

    monkeypatch.setattr(encodings.utf_8.IncrementalDecoder, "_buffer_decode", staticmethod(spy))
    data = (FIXTURES / name).read_bytes()  # UTF-8 (the second with a BOM), smaller than one read
    assert not parse(name, data).errors
    assert sum(decoded) == len(data.removeprefix(b"\xef\xbb\xbf"))


def test_a_shift_jis_csv_is_read_again_from_its_first_byte_that_is_not_utf8() -> None:
    data = (FIXTURES / "standard_03_v1_sjis.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    parsed = parse("sjis.csv", data)
    assert not parsed.errors and parsed.records[0].municipality_name == "見本町"
    assert parsed == parse("sjis.csv", data.decode("cp932").encode("utf-8"))
