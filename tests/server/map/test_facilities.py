"""GET /api/facilities (paging, filters), /api/facilities/{id} and /api/facilities/nearest."""

from __future__ import annotations

import uuid

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from shapely.geometry import Point, shape

from tests.server.map.conftest import features, great_circle_m, inside

Client = AsyncTestClient[Litestar]


async def test_paging_walks_every_facility_once_in_a_stable_order(demo: Client) -> None:
    seen: list[str] = []
    url: str | None = "/api/facilities?limit=25"
    while url:
        response = await demo.get(url)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/geo+json")
        body = response.json()
        assert body["type"] == "FeatureCollection" and body["numberReturned"] == len(body["features"])
        seen += [f["id"] for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
    assert len(seen) == len(set(seen)) == 84
    assert seen == sorted(seen, key=uuid.UUID)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=welfare_shelter", lambda p: "welfare_shelter" in p["kinds"]),
        ("hazard=tsunami", lambda p: "tsunami" in p["suitableHazards"]),
        (
            "kind=emergency_site&hazard=flood",
            lambda p: "emergency_site" in p["kinds"] and "flood" in p["suitableHazards"],
        ),
        ("municipality=02999", lambda p: True),  # five digits: the check digit is added
        ("municipality=029998", lambda p: True),
    ],
)
async def test_filters_match_the_source_data(demo: Client, query: str, expected: object) -> None:
    body = (await demo.get(f"/api/facilities?limit=1000&{query}")).json()
    names = {f["properties"]["name"] for f in body["features"]}
    wanted = {f["properties"]["name"] for f in features("facilities.geojson") if expected(f["properties"])}  # type: ignore[operator]
    assert names == wanted and names


async def test_bbox_keeps_only_places_inside_it(demo: Client) -> None:
    box = (140.70, 40.78, 140.76, 40.82)
    body = (await demo.get("/api/facilities?limit=1000&bbox=" + ",".join(map(str, box)))).json()
    got = {f["properties"]["name"] + f["properties"]["kinds"][0] for f in body["features"]}
    want = {
        f["properties"]["name"] + f["properties"]["kinds"][0]
        for f in features("facilities.geojson")
        if box[0] <= f["geometry"]["coordinates"][0] <= box[2] and box[1] <= f["geometry"]["coordinates"][1] <= box[3]
    }
    assert got == want and got


async def test_a_source_id_finds_its_record_and_the_detail_has_everything(demo: Client) -> None:
    body = (await demo.get("/api/facilities?sourceId=demo:029998:DS03")).json()
    (feature,) = body["features"]
    assert feature["properties"]["kinds"] == ["designated_shelter", "emergency_site"]
    detail = (await demo.get(f"/api/facilities/{feature['id']}")).json()
    assert detail["type"] == "Feature"
    assert detail["properties"]["sourceIds"] == ["demo:029998:DS03"]
    assert detail["properties"]["attributes"] == {}
    assert detail["geometry"]["type"] == "Point"
    source = next(f for f in features("facilities.geojson") if f["properties"]["sourceId"] == "demo:029998:DS03")
    assert detail["geometry"]["coordinates"] == source["geometry"]["coordinates"]
    assert detail["properties"]["capacity"] == source["properties"]["capacity"]


@pytest.mark.parametrize("facility_id", ["0191f5a0-0000-7000-8000-00000000dead", "not-a-uuid"])
async def test_unknown_facility_is_404(demo: Client, facility_id: str) -> None:
    response = await demo.get(f"/api/facilities/{facility_id}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


SHELTERS = {"designated_shelter", "welfare_shelter", "emergency_site", "tsunami_building", "wide_area_site"}


def expected_nearest(lat: float, lon: float, hazard: str, limit: int) -> tuple[list[tuple[str, float]], int]:
    """Nearest suitable shelters by great-circle distance, computed from the fixture files."""
    ranked = sorted(
        (great_circle_m(lat, lon, f["geometry"]["coordinates"][1], f["geometry"]["coordinates"][0]), f)
        for f in features("facilities.geojson")
        if SHELTERS & set(f["properties"]["kinds"]) and hazard in f["properties"]["suitableHazards"]
    )
    chosen: list[tuple[str, float]] = []
    excluded = 0
    for distance, f in ranked:
        if inside(hazard, *f["geometry"]["coordinates"]):
            excluded += 1
            continue
        chosen.append((f["properties"]["sourceId"], distance))
        if len(chosen) == limit:
            break
    return chosen, excluded


@pytest.mark.parametrize(
    ("lat", "lon", "hazard"),
    [
        (40.80, 140.76, "flood"),
        (40.835, 140.75, "tsunami"),
        (40.78, 140.79, "landslide"),
        (40.81, 140.72, "earthquake"),
    ],
)
async def test_nearest_matches_great_circle_distances_and_leaves_out_places_in_the_zone(
    demo: Client, lat: float, lon: float, hazard: str
) -> None:
    body = (await demo.get(f"/api/facilities/nearest?lat={lat}&lon={lon}&hazard={hazard}&limit=4")).json()
    want, excluded = expected_nearest(lat, lon, hazard, 4)
    got = [(f["properties"]["sourceIds"][0], f["properties"]["distanceM"]) for f in body["features"]]
    assert [sid for sid, _ in got] == [sid for sid, _ in want]
    for (_, d_got), (_, d_want) in zip(got, want, strict=True):
        assert d_got == pytest.approx(d_want, abs=0.5)
    assert body["excludedInside"] == excluded
    assert body["distanceMethod"] == "straight_line"
    first = body["features"][0]["properties"]
    assert first["walkingMinutes"] == -(-first["distanceM"] // (4000 / 60))
    assert not any(f["properties"]["insideHazardZone"] for f in body["features"])


async def test_include_inside_shows_flagged_places(demo: Client) -> None:
    # A point in the river's deepest band: some nearby flood-suitable places lie in flood zones.
    params = "lat=40.79&lon=140.745&hazard=flood&limit=10"
    default = (await demo.get(f"/api/facilities/nearest?{params}")).json()
    shown = (await demo.get(f"/api/facilities/nearest?{params}&includeInside=true")).json()
    assert default["excludedInside"] > 0
    flagged = [f for f in shown["features"] if f["properties"]["insideHazardZone"]]
    assert flagged and all(inside("flood", *f["geometry"]["coordinates"]) for f in flagged)
    assert shown["excludedInside"] == 0


async def test_a_shelter_counts_for_a_hazard_through_its_emergency_site_designation(demo: Client) -> None:
    body = (await demo.get("/api/facilities/nearest?lat=40.80&lon=140.76&hazard=earthquake&limit=50")).json()
    kinds = [set(f["properties"]["kinds"]) for f in body["features"]]
    assert {"designated_shelter", "emergency_site"} in kinds
    assert {"designated_shelter"} not in kinds  # a shelter with no site designation has no suitability


async def test_nearest_for_any_hazard_and_with_a_kind(demo: Client) -> None:
    body = (await demo.get("/api/facilities/nearest?lat=40.80&lon=140.76&kind=aed&limit=3&hazard=any")).json()
    assert [f["properties"]["kinds"] for f in body["features"]] == [["aed"]] * 3
    d = [f["properties"]["distanceM"] for f in body["features"]]
    assert d == sorted(d)
    here = Point(140.76, 40.80)
    nearest_aed = min(
        (f for f in features("facilities.geojson") if f["properties"]["kinds"] == ["aed"]),
        key=lambda f: shape(f["geometry"]).distance(here),
    )
    assert body["features"][0]["properties"]["sourceIds"] == [nearest_aed["properties"]["sourceId"]]


@pytest.mark.parametrize(
    ("url", "name", "allowed"),
    [
        ("/api/facilities/nearest?lat=91&lon=140", "lat", "a number from -90 to 90"),
        ("/api/facilities/nearest?lat=40&lon=181", "lon", "a number from -180 to 180"),
        ("/api/facilities/nearest?lat=north&lon=140", "lat", "a number from -90 to 90"),
        ("/api/facilities/nearest?lon=140", "lat", "a number from -90 to 90"),
        ("/api/facilities/nearest?lat=40&lon=140&hazard=meteor", "hazard", None),
        ("/api/facilities/nearest?lat=40&lon=140&limit=51", "limit", "a whole number from 1 to 50"),
        ("/api/facilities?limit=1001", "limit", "a whole number from 1 to 1000"),
        ("/api/facilities?kind=school", "kind", None),
        ("/api/facilities?bbox=1,2,3", "bbox", "minLon,minLat,maxLon,maxLat (WGS84 degrees, min < max)"),
        ("/api/facilities?bbox=141,40,140,41", "bbox", "minLon,minLat,maxLon,maxLat (WGS84 degrees, min < max)"),
        ("/api/facilities?municipality=022011", "municipality", "a 5- or 6-digit 全国地方公共団体コード"),
        ("/api/facilities?cursor=%%%", "cursor", "the nextCursor of a previous page"),
        ("/api/facilities/nearest?lat=40&lon=140&includeInside=maybe", "includeInside", ["true", "false"]),
    ],
)
async def test_bad_input_names_the_parameter_and_what_it_accepts(
    demo: Client, url: str, name: str, allowed: object
) -> None:
    response = await demo.get(url)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    (param,) = response.json()["invalidParams"]
    assert param["name"] == name
    if allowed is not None:
        assert param["allowed"] == allowed
    else:
        assert isinstance(param["allowed"], list) and len(param["allowed"]) > 5
