"""When records are one place (geo.identity), and 受入対象者 as target groups (geo.targets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.make_imports import CODE6, gsi_id
from geo.identity import SAME_PLACE_M, Identity, distance_m, normalized, places, same_place
from geo.importers.facilities import parse
from geo.kinds import TARGET_GROUPS, TARGET_NEEDS
from geo.targets import target_groups
from server.shelters.service import CARE_NEEDS

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "import" / "facilities"


def record(source_id: str, name: str, north_m: float = 0.0, **changes: object) -> Identity:
    values: dict[str, object] = {
        "source_id": source_id,
        "dataset": "gsi_shelter:029980" if source_id[11] == "1" else "gsi_emergency_site:029980",
        "place_key": f"gsi:{source_id[1:11]}",
        "name": name,
        "address": "青森県見本町北2丁目1-1",
        "lon": 140.9,
        "lat": 40.8 + north_m / 111_320,
        "same_address": True,
        "rank": 0 if source_id[11] == "1" else 2,
    }
    return Identity(**{**values, **changes})  # type: ignore[arg-type]


def test_names_agree_across_widths_dashes_and_spaces_but_not_with_a_trailing_ground() -> None:
    assert normalized("見本町　第２公民館") == normalized("見本町 第2公民館") == "見本町第2公民館"
    assert normalized("北3丁目5−2") == normalized("北３丁目５－２") == "北3丁目5-2"
    shelter = record(gsi_id(303, 1, 1), "北部中学校")
    for suffix in ("グラウンド", "駐車場", "校庭"):
        assert not same_place(shelter, record(gsi_id(303, 2, 0), "北部中学校" + suffix, 5))


def test_one_place_only_with_the_serial_both_flags_the_address_the_name_and_50_m() -> None:
    shelter = record(gsi_id(302, 1, 1), "見本町 第2公民館")
    site = record(gsi_id(302, 2, 0), "見本町第２公民館", 10)
    assert same_place(shelter, site) and same_place(site, shelter)
    assert distance_m(shelter.lon, shelter.lat, site.lon, site.lat) == pytest.approx(10, abs=0.1)
    assert same_place(shelter, record(gsi_id(302, 2, 0), "見本町第２公民館", SAME_PLACE_M - 1))
    assert not same_place(shelter, record(gsi_id(302, 2, 0), "見本町第２公民館", SAME_PLACE_M + 1))
    assert not same_place(shelter, record(gsi_id(302, 2, 0), "見本町第２公民館", 10, same_address=False))
    assert not same_place(shelter, record(gsi_id(302, 2, 0), "見本町第２公民館", 10, address="北2丁目1-2"))
    assert not same_place(shelter, record(gsi_id(302, 2, 0), "見本町第２公民館", 10, address=None))
    assert not same_place(shelter, record(gsi_id(399, 2, 0), "見本町第２公民館", 10))  # another serial
    assert not same_place(shelter, record(gsi_id(302, 1, 1)[:-1] + "2", "見本町 第2公民館"))  # one file


def test_the_fixture_files_make_the_places_they_describe() -> None:
    records = []
    for name in (f"{CODE6}_designated_shelters.geojson", f"{CODE6}_emergency_sites.csv"):
        for r in parse(name, (FIXTURES / name).read_bytes()).records:
            same = any(
                str(r.attributes.get(c)) == "1" for c in ("指定避難所との住所同一", "指定緊急避難場所との住所同一")
            )
            records.append(Identity(r.source_id, r.dataset, r.place_key, r.name, r.address, r.lon, r.lat, same))
    groups = {tuple(sorted(i.source_id for i in group)) for group in places(records) if len(group) > 1}
    # The four schools that are emergency sites too (fixtures/demo), and the hall of serial 302.
    assert len(groups) == 5 and (gsi_id(302, 1, 1), gsi_id(302, 2, 0)) in groups
    names = {r.source_id: r.name for r in records}
    assert all(names[a] == names[b] for a, b in groups - {(gsi_id(302, 1, 1), gsi_id(302, 2, 0))})


@pytest.mark.parametrize(
    ("published", "groups", "other"),
    [
        ("高齢者", ["elderly"], []),
        ("乳幼児", ["infant"], []),
        (
            "障がい者（知的・精神・発達）",
            ["disability_intellectual", "disability_mental", "disability_developmental"],
            [],
        ),
        ("障害者(肢体・視覚)", ["disability_physical", "disability_visual"], []),
        (
            "高齢者・障がい者（すべて）・妊婦",
            ["elderly", *[g for g in TARGET_GROUPS if g.startswith("disability_")], "pregnant"],
            [],
        ),
        ("妊産婦・乳幼児", ["pregnant", "infant"], []),
        ("医療的ケア児", ["child", "medical_care"], []),
        ("要配慮者", ["needs_care"], []),
        ("障がい者", ["disability"], []),
        ("高齢者、外国人", ["elderly"], ["外国人"]),
        ("障がい者（ろう）", ["disability"], ["障がい者(ろう)"]),
        ("", [], []),
        (None, [], []),
    ],
)
def test_target_groups_are_read_into_the_vocabulary_and_unknown_text_is_kept(
    published: str | None, groups: list[str], other: list[str]
) -> None:
    assert target_groups(published) == (tuple(groups), tuple(other))


def test_every_target_group_says_which_care_needs_match_it() -> None:
    assert set(TARGET_NEEDS) == set(TARGET_GROUPS)
    assert {n for needs in TARGET_NEEDS.values() for n in needs} <= {*CARE_NEEDS, "aged65"}
