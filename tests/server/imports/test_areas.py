"""Importing boundaries and hazard zones into PostGIS, by the service, the CLI and POST /api/imports."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from fixtures.make_imports import CODE6, TOWN
from geo.importers.base import Options, Source
from server.app import create_app
from server.cli import main
from server.imports.service import FileSummary, import_file
from server.imports.sources import expand
from server.settings import Settings
from tests.conftest import settings_for
from tests.server.roles import sign_in

Client = AsyncTestClient[Litestar]
BOW_TIE = "SELECT {} FROM hazard_zone WHERE attributes->>'feature' = '3' AND hazard_type = 'flood'"

IMPORTS = Path(__file__).resolve().parents[3] / "fixtures" / "import"
AREAS = IMPORTS / "areas"


async def load(engine: AsyncEngine, name: str, options: Options | None = None) -> FileSummary:
    (source,) = [s for s in expand([IMPORTS]) if s.name.endswith(name)]
    fractions: list[float] = []
    summary = await import_file(engine, source, options, fractions.append)
    assert fractions == sorted(fractions) and fractions[0] == 0.2 and fractions[-1] < 1  # for the progress bar
    return summary


async def rows(engine: AsyncEngine, sql: str) -> list[tuple[object, ...]]:
    async with engine.connect() as connection:
        return [tuple(r) for r in await connection.execute(text(sql))]


async def test_boundaries_replace_geometry_and_bbox_and_keep_kana(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO municipality (id, code, name, name_kana, name_en, prefecture) "
                "VALUES (gen_random_uuid(), :code, '旧名', 'みほんちょう', 'Mihon Town', '')"
            ),
            {"code": CODE6},
        )
    old = await load(engine, "N03-20000401_02.shp")
    assert old.ok and (old.created, old.updated) == (0, 1), old.errors
    new = await load(engine, "N03-20250101_02.geojson")
    assert new.ok and (new.created, new.updated) == (1, 1) and new.notes
    towns = await rows(
        engine,
        "SELECT code, name, name_kana, name_en, prefecture, ST_IsValid(boundary), ST_NumGeometries(boundary), "
        "ST_Equals(bbox, ST_Envelope(boundary)) FROM municipality ORDER BY code",
    )
    assert towns == [
        (CODE6, TOWN, "みほんちょう", "Mihon Town", "青森県", True, 2, True),
        ("029998", "見本市", None, None, "青森県", True, 2, True),
    ]


async def test_facilities_outside_a_newly_imported_boundary_are_flagged(engine: AsyncEngine) -> None:
    facilities = await load(engine, "standard_08_aed_v1.csv")
    assert facilities.ok and not facilities.outside_boundary  # no boundary yet: nothing to compare with
    # A boundary that covers only the western half of the town.
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"N03_001": "青森県", "N03_004": TOWN, "N03_007": CODE6[:5]},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[140.84, 40.75], [140.91, 40.75], [140.91, 40.9], [140.84, 40.9], [140.84, 40.75]]
                    ],
                },
            }
        ],
    }
    summary = await import_file(engine, Source("n03.geojson", json.dumps(doc).encode()))
    assert summary.ok and summary.outside_boundary
    assert all(s.startswith(f"std08:{CODE6}:") for s in summary.outside_boundary)
    (moved,) = await rows(
        engine,
        "SELECT count(*) FROM facility WHERE NOT ST_Covers(ST_MakeEnvelope(140.84, 40.75, 140.91, 40.9, 4326), geom)",
    )
    assert moved == (len(summary.outside_boundary),)  # flagged, none moved


async def test_hazard_zones_are_stored_valid_subdivided_and_answer_point_queries(
    engine: AsyncEngine, settings: Settings
) -> None:
    flood = await load(engine, "A31a-24_02_flood.geojson")
    assert flood.ok and (flood.read, flood.created) == (5, 4)
    assert flood.notes == ["1 features had no area once made valid and were skipped: [4]"]
    tsunami = await load(engine, "A40-20_02_tsunami.geojson")
    assert tsunami.ok and tsunami.created == 3
    stored = await rows(
        engine,
        "SELECT hazard_type, rank_code, depth_min_m, depth_max_m, ST_IsValid(geom), ST_GeometryType(geom), "
        "attributes->>'feature' FROM hazard_zone ORDER BY hazard_type, (attributes->>'feature')::int",
    )
    assert all(valid and kind == "ST_MultiPolygon" for *_, valid, kind, _ in stored)
    assert stored[3][:4] == ("flood", "2", 0.5, 3.0)  # the bow tie, made valid: two triangles
    assert await rows(engine, BOW_TIE.format("ST_NumGeometries(geom)")) == [(2,)]
    parts, biggest = (
        await rows(
            engine,
            "SELECT count(*), max(ST_NPoints(p.geom)) FROM hazard_zone_part p JOIN hazard_zone z ON z.id = p.zone_id "
            "WHERE z.attributes->>'feature' = '2' AND z.hazard_type = 'tsunami'",
        )
    )[0]
    assert int(str(parts)) > 10 and int(str(biggest)) <= 256  # the 4,000-vertex coast, cut up
    ((lon, lat),) = await rows(engine, BOW_TIE.format("ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))"))
    async with AsyncTestClient(app=create_app(settings)) as client:
        body = (await client.get(f"/api/hazards/at?lat={lat}&lon={lon}")).json()
    assert {(z["hazardType"], z["rankCode"]) for z in body["zones"]} >= {("flood", "2")}


async def test_reimporting_a_hazard_file_replaces_its_zones(engine: AsyncEngine) -> None:
    await load(engine, "A33-23_02_landslide.shp")
    ids = await rows(engine, "SELECT count(*) FROM hazard_zone")
    again = await load(engine, "A33-23_02_landslide.shp")
    assert (again.created, again.updated, again.withdrawn) == (0, 5, 0)
    assert await rows(engine, "SELECT count(*) FROM hazard_zone") == ids
    assert await rows(engine, "SELECT DISTINCT source FROM hazard_zone") == [("a33_landslide:A33-23_02_landslide.shp",)]


async def test_a_hazard_file_with_a_bad_feature_changes_nothing(engine: AsyncEngine) -> None:
    good = await load(engine, "A40-20_02_tsunami.geojson")
    before = await rows(engine, "SELECT id FROM hazard_zone ORDER BY id")
    doc = json.loads((AREAS / "A40-20_02_tsunami.geojson").read_text(encoding="utf-8"))
    ring = doc["features"][0]["geometry"]["coordinates"][0][0]
    ring[:] = [[lon - 126, lat] for lon, lat in ring]  # a first feature far out of Japan
    bad = await import_file(engine, Source("A40-20_02_tsunami.geojson", json.dumps(doc).encode()))
    assert good.ok and not bad.ok and bad.errors[0]["line"] == 0 and "outside Japan" in bad.errors[0]["message"]
    assert await rows(engine, "SELECT id FROM hazard_zone ORDER BY id") == before
    assert await rows(engine, "SELECT status FROM import_run ORDER BY started_at") == [("succeeded",), ("failed",)]


async def test_a_municipality_hazard_file_with_its_depth_text(engine: AsyncEngine) -> None:
    await load(engine, "N03-20250101_02.geojson")
    summary = await load(
        engine, f"{CODE6}_inland_flood.geojson", Options(hazard="inland_flood", rank_attribute="浸水深")
    )
    assert summary.ok, summary.errors
    zones = await rows(
        engine,
        "SELECT z.rank_label, z.depth_min_m, z.depth_max_m, m.code FROM hazard_zone z "
        "JOIN municipality m ON m.id = z.municipality_id ORDER BY z.depth_max_m",
    )
    assert zones == [("0.3m未満の区域", 0.0, 0.3, CODE6), ("0.3m以上0.5m未満の区域", 0.3, 0.5, CODE6)]


def test_cli_imports_shapefiles_from_folders_and_zips(database_url: str, tmp_path: Path) -> None:
    archive = tmp_path / "A33.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for part in AREAS.glob("A33-23_02_landslide.*"):
            out.write(part, f"A33/{part.name}")
    env = {"DATABASE_URL": database_url}
    result = CliRunner().invoke(main, ["import", str(archive), str(AREAS / "N03-20000401_02.shp")], env=env)
    assert result.exit_code == 0, result.output
    assert "A33.zip:A33/A33-23_02_landslide.shp" in result.output.replace("…", "") or "a33_landslide" in result.output
    assert "n03_boundary" in result.output
    generic = ["import", "--hazard", "inland_flood", "--rank-attribute", "浸水深", str(IMPORTS / "inland_flood")]
    assert CliRunner().invoke(main, generic, env=env).exit_code == 0
    wrong = CliRunner().invoke(main, ["import", "--rank-attribute", "浸水深", str(IMPORTS / "inland_flood")], env=env)
    assert wrong.exit_code == 2 and "--rank-attribute needs --hazard" in wrong.output
    unnamed = CliRunner().invoke(main, ["import", str(IMPORTS / "inland_flood")], env=env)
    assert unnamed.exit_code == 1 and "Polygon" in unnamed.output


async def test_http_import_needs_a_data_admin(client: Client, engine: AsyncEngine) -> None:
    response = await client.post("/api/imports", files={"file": ("a.csv", b"x")})
    assert response.status_code == 401
    await sign_in(client, engine, "municipal_hq")
    response = await client.post("/api/imports", files={"file": ("a.csv", b"x")})
    assert response.status_code == 403 and "data_admin" in response.json()["detail"]


@pytest.fixture
async def demo_client(database_url: str, engine: AsyncEngine) -> AsyncIterator[Client]:
    """Signed in as a data admin."""
    async with AsyncTestClient(app=create_app(settings_for(database_url))) as client:
        await sign_in(client, engine, "data_admin")
        yield client


async def test_http_import_returns_the_summary_per_file(demo_client: Client) -> None:
    parts = [("file", (p.name, p.read_bytes())) for p in sorted(AREAS.glob("A33-23_02_landslide.*"))]
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as out:
        out.write(IMPORTS / "facilities" / "standard_08_aed_v1.csv", "standard_08_aed_v1.csv")
    parts.append(("file", ("aed.zip", zipped.getvalue())))
    response = await demo_client.post("/api/imports", files=parts)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is True
    assert [(f["file"], f["format"], f["created"]) for f in body["files"]] == [
        ("A33-23_02_landslide.shp", "a33_landslide", 5),
        ("aed.zip:standard_08_aed_v1.csv", "standard_aed", 12),
    ]
    assert {"read", "updated", "withdrawn", "rejected", "errors", "outsideBoundary", "notes", "runId"} <= set(
        body["files"][0]
    )


async def test_http_import_of_a_bad_file_is_422_with_its_errors(demo_client: Client) -> None:
    bad = (IMPORTS / "broken" / "standard_03_v1_one_bad_row.csv").read_bytes()
    response = await demo_client.post("/api/imports", files={"file": ("sites.csv", bad)})
    assert response.status_code == 422
    (summary,) = response.json()["files"]
    assert (
        summary["status"] == "failed" and summary["errors"][0]["line"] == 5 and summary["errors"][0]["column"] == "緯度"
    )


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({}, "file"),
        ({"hazard": "meteor"}, "hazard"),
        ({"format": "xls"}, "format"),
        ({"rankAttribute": "x"}, "rankAttribute"),
    ],
)
async def test_http_import_names_the_bad_field(demo_client: Client, fields: dict[str, str], name: str) -> None:
    files = {} if name == "file" else {"file": ("a.geojson", b"{}")}
    response = await demo_client.post("/api/imports", data=fields or {"municipality": "029998"}, files=files or None)
    assert response.status_code == 400, response.text
    assert response.json()["invalidParams"][0]["name"] == name
