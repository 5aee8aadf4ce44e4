"""What a municipality publishes of its own (fixtures/import/municipal/): facility lists of any
kind (the common layout in UTF-8 with BOM and in Shift_JIS, a layout of the town's own, unusual
headers), its boundary as lines in a plane rectangular CRS, past inundation; and the planner
statistics every import leaves behind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from fixtures.make_imports import BUILDINGS, CODE6, TOWN
from geo.importers.base import Options
from server.app import create_app
from server.cli import main
from server.imports.service import FileSummary, import_file
from server.imports.sources import expand
from tests.conftest import settings_for
from tests.server.roles import sign_in

Client = AsyncTestClient[Litestar]
IMPORTS = Path(__file__).resolve().parents[3] / "fixtures" / "import"
MUNICIPAL = IMPORTS / "municipal"


async def load(engine: AsyncEngine, name: str, options: Options | None = None) -> FileSummary:
    (source,) = [s for s in expand([IMPORTS]) if s.name.endswith(name)]
    return await import_file(engine, source, options)


async def rows(engine: AsyncEngine, sql: str, **params: object) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        return [tuple(r) for r in await connection.execute(text(sql), params)]


LIST_ROWS = """
    SELECT r.source_id, f.name, f.kinds, round(ST_Y(f.geom)::numeric, 6), round(ST_X(f.geom)::numeric, 6),
           r.attributes->>'区分', r.attributes->>'備考', r.attributes->>'電話番号', f.name_kana, m.code
    FROM facility_record r JOIN facility f ON f.id = r.facility_id JOIN municipality m ON m.id = f.municipality_id
    ORDER BY r.source_id
"""


async def test_a_tsunami_building_list_in_the_common_layout_imports_in_utf8_and_in_shift_jis(
    engine: AsyncEngine,
) -> None:
    first = await load(engine, "tsunami_buildings_bom.csv", Options(kind="tsunami_building"))
    assert first.ok and (first.format, first.created) == ("facility_list", 3), first.errors
    assert any("name=名称" in n and "lat=緯度" in n and "lon=経度" in n for n in first.notes), first.notes
    stored = await rows(engine, LIST_ROWS)
    assert [r[1] for r in stored] == [b[0] for b in BUILDINGS]
    assert all(r[2] == ["tsunami_building"] and r[9] == CODE6 for r in stored)
    assert stored[0][0] == f"list:tsunami_building:{CODE6}:1"
    assert [(r[5], r[6] or None, r[7]) for r in stored] == [
        ("公共施設", "屋上まで開放", "0172-00-0001"),
        ("民間施設", "4階以上", "0172-00-0002"),
        ("民間施設", None, "0172-00-0003"),
    ]
    assert stored[0][8] == BUILDINGS[0][1]
    # The same list saved by Excel: Shift_JIS, full-width digits. Same records, same points.
    again = await load(engine, "tsunami_buildings_sjis.csv", Options(kind="tsunami_building"))
    assert again.ok and (again.created, again.updated, again.withdrawn) == (0, 3, 0), again.errors
    assert [r[:5] for r in await rows(engine, LIST_ROWS)] == [r[:5] for r in stored]


async def test_a_list_of_the_towns_own_layout_keeps_hazard_columns_as_attributes(engine: AsyncEngine) -> None:
    summary = await load(engine, "care_facilities.csv", Options(kind="care_facility"))
    assert summary.ok and summary.created == 3, summary.errors
    assert any("洪水浸水レベル" in n for n in summary.notes), summary.notes
    stored = await rows(
        engine,
        "SELECT f.name, f.kinds, r.attributes->>'洪水浸水レベル', r.attributes->>'土砂災害警戒区域', m.code "
        "FROM facility_record r JOIN facility f ON f.id = r.facility_id "
        "JOIN municipality m ON m.id = f.municipality_id ORDER BY f.name",
    )
    assert stored == [
        ("デイサービスみほん", ["care_facility"], "0.5～3.0m", None, CODE6),  # the code from the file name
        ("特別養護老人ホーム見本園", ["care_facility"], "0.5～3.0m", None, CODE6),
        ("見本町保育所", ["care_facility"], None, "土砂災害警戒区域", CODE6),
    ]


async def test_unusual_headers_are_named_with_columns_and_errors_say_file_line_column(engine: AsyncEngine) -> None:
    guessed = await load(engine, "public_facilities.csv", Options(kind="public_facility", municipality=CODE6))
    message = guessed.errors[0]["message"]
    assert not guessed.ok and "its columns: 北緯, 施設, 東経, 開館時間" in message and "--columns name=" in message
    columns = (("name", "施設"), ("lat", "北緯"), ("lon", "東経"))
    options = Options(kind="public_facility", municipality=CODE6, columns=columns)
    named = await load(engine, "public_facilities.csv", options)
    assert named.ok and named.created == 2, named.errors
    assert (await rows(engine, "SELECT name, attributes->>'開館時間' FROM facility_record ORDER BY name")) == [
        ("見本町体育館", "9:00-21:00"),
        ("見本町図書館", "9:00-18:00"),
    ]
    bad = (MUNICIPAL / "public_facilities.csv").read_text(encoding="utf-8").replace("見本町図書館,", "見本町図書館,北")
    source = expand([MUNICIPAL / "public_facilities.csv"])[0]
    broken = await import_file(
        engine,
        type(source)(source.name, bad.encode()),
        Options(kind="public_facility", municipality=CODE6, columns=columns),
    )
    assert not broken.ok
    (error,) = broken.errors
    assert (error["file"].endswith("public_facilities.csv"), error["line"], error["column"]) == (True, 3, "北緯")


async def test_a_boundary_drawn_as_lines_in_a_plane_rectangular_crs(engine: AsyncEngine) -> None:
    await load(engine, "N03-20250101_02.geojson")
    summary = await load(engine, "boundary_lines.shp", Options(format="boundary", municipality=CODE6))
    assert summary.ok and (summary.created, summary.updated) == (0, 1), summary.errors
    # The faces the lines enclose are the town's two polygons (mainland and island), where N03 has
    # them; its name is kept (the lines name no town).
    (town,) = await rows(
        engine,
        "SELECT m.name, ST_NumGeometries(m.boundary), "
        "ST_Area(ST_SymDifference(m.boundary, ST_Union(n.geom))::geography) / ST_Area(m.boundary::geography) "
        "FROM municipality m, (SELECT boundary AS geom FROM municipality WHERE code = '029998') n "
        "WHERE m.code = :code GROUP BY m.name, m.boundary",
        code=CODE6,
    )
    assert town[:2] == (TOWN, 2)
    moved = await rows(
        engine,
        "SELECT ST_Area(boundary::geography) / ST_Area(ST_Translate((SELECT boundary FROM municipality "
        "WHERE code = '029998'), 0.15, 0)::geography) FROM municipality WHERE code = :code",
        code=CODE6,
    )
    assert abs(float(moved[0][0]) - 1) < 0.01  # the town is the demo city moved east (fixtures)
    nameless = await load(engine, "boundary_lines.shp", Options(format="boundary"))
    assert not nameless.ok and "--municipality" in nameless.errors[0]["message"]


async def test_past_inundation_is_a_layer_of_its_own_answered_as_history(engine: AsyncEngine, client: Client) -> None:
    summary = await load(engine, "flood_history.shp", Options(hazard="flood_history", municipality=CODE6))
    assert summary.ok and summary.created == 3, summary.errors
    assert "dates from column 浸水年月日" in summary.notes
    zones = await rows(
        engine,
        "SELECT hazard_type, rank_code, attributes->>'date', (attributes->>'year')::int, "
        "attributes->'source'->>'災害名' FROM hazard_zone ORDER BY rank_code",
    )
    assert zones == [
        ("flood_history", "1981", None, 1981, "昭和56年8月豪雨"),
        ("flood_history", "2018", "2018-07-06", 2018, "平成30年7月豪雨"),
        ("flood_history", "2019", "2019-10-12", 2019, "令和元年東日本台風"),
    ]
    ((lon, lat),) = await rows(
        engine,
        "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM hazard_zone WHERE rank_code = '2019'",
    )
    answer = (await client.get("/api/hazards/at", params={"lat": lat, "lon": lon})).json()
    (zone,) = answer["zones"]
    assert (zone["hazardType"], zone["basis"], zone["date"], zone["year"]) == (
        "flood_history",
        "history",
        "2019-10-12",
        2019,
    )
    # A past flood is no forecast: "nearest" does not avoid it.
    near = (await client.get("/api/facilities/nearest", params={"lat": lat, "lon": lon})).json()
    assert "flood_history" not in near.get("avoidedHazards", [])


async def test_every_import_leaves_committed_statistics_of_the_tables_it_wrote(engine: AsyncEngine) -> None:
    tuples = "SELECT relname, reltuples FROM pg_class WHERE relname IN ({}) ORDER BY relname"
    before = dict(await rows(engine, tuples.format("'facility', 'facility_record'")))
    assert set(before.values()) == {-1}  # never analysed: the planner guesses
    assert (await load(engine, "tsunami_buildings_bom.csv", Options(kind="tsunami_building"))).ok
    assert dict(await rows(engine, tuples.format("'facility', 'facility_record'"))) == {
        "facility": 3,
        "facility_record": 3,
    }
    assert (await load(engine, "flood_history.shp", Options(hazard="flood_history", municipality=CODE6))).ok
    assert dict(await rows(engine, tuples.format("'hazard_zone', 'hazard_zone_part'"))) == {
        "hazard_zone": 3,
        "hazard_zone_part": 3,
    }


def test_the_cli_takes_kind_columns_boundary_and_flood_history(database_url: str) -> None:
    env = {"DATABASE_URL": database_url}
    helped = CliRunner().invoke(main, ["import", "--help"], env=env)
    for option in ("--kind", "--columns", "--format", "--municipality", "--hazard", "--date-attribute"):
        assert option in helped.output
    assert "tsunami_building" in helped.output and "flood_history" in helped.output
    runs = [
        ["--kind", "tsunami_building", str(MUNICIPAL / f"{CODE6}_tsunami_buildings_sjis.csv")],
        [
            *("--kind", "public_facility", "--municipality", CODE6),
            *("--columns", "name=施設,lat=北緯,lon=東経", str(MUNICIPAL / "public_facilities.csv")),
        ],
        ["--format", "boundary", "--municipality", CODE6, str(MUNICIPAL / f"{CODE6}_boundary_lines.shp")],
        ["--hazard", "flood_history", "--municipality", CODE6, str(MUNICIPAL / f"{CODE6}_flood_history.shp")],
    ]
    for args in runs:
        result = CliRunner().invoke(main, ["import", *args], env=env)
        assert result.exit_code == 0, result.output
    listed = CliRunner().invoke(main, ["import", *runs[1]], env=env)
    assert "columns used: name=施設, lat=北緯, lon=東経" in listed.output
    unkinded = ["import", "--columns", "name=x", str(MUNICIPAL / "public_facilities.csv")]
    wrong = CliRunner().invoke(main, unkinded, env=env)
    assert wrong.exit_code == 2 and "--columns needs --kind" in wrong.output


@pytest.fixture
async def admin_client(database_url: str, engine: AsyncEngine) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(settings_for(database_url))) as client:
        await sign_in(client, engine, "data_admin")
        yield client


async def test_http_import_takes_kind_and_columns(admin_client: Client) -> None:
    data = (MUNICIPAL / "public_facilities.csv").read_bytes()
    form = {"kind": "public_facility", "columns": "name=施設,lat=北緯,lon=東経", "municipality": CODE6}
    response = await admin_client.post("/api/imports", files={"file": ("public.csv", data)}, data=form)
    assert response.status_code == 200, response.text
    (summary,) = response.json()["files"]
    assert (summary["format"], summary["created"]) == ("facility_list", 2)
    response = await admin_client.post(
        "/api/imports", files={"file": ("public.csv", data)}, data={"kind": "castle", "municipality": CODE6}
    )
    assert response.status_code == 400 and response.json()["invalidParams"][0]["name"] == "kind"
    response = await admin_client.post("/api/imports", files={"file": ("public.csv", data)}, data={"columns": "name"})
    assert response.status_code == 400 and response.json()["invalidParams"][0]["name"] == "columns"
