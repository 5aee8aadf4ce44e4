"""The inbox's view of one alert: the area to draw (GeoJSON and its box), the headline in every
language, the shelters named by headquarters, and their free text kept apart from the generated
text (so the app can show it as written)."""

from __future__ import annotations

import dataclasses

from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.accounts.service import RoleRequest
from server.app import create_app
from server.settings import PushSettings, Settings
from tests.server.alerts.test_orders import CITY, SQUARES, WEST, hq


async def test_one_alert_has_its_area_shelters_and_free_text(settings: Settings, engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO municipality (id, code, name, name_en, prefecture, boundary) "
                "VALUES (gen_random_uuid(), :c, '見本市', 'Mihon', '青森県', ST_GeomFromText(:g, 4326))"
            ),
            {"c": CITY, "g": SQUARES[CITY]},
        )
        shelter = await connection.scalar(
            text(
                "INSERT INTO facility (id, municipality_id, kinds, name, geom) SELECT gen_random_uuid(), id, "
                "'{designated_shelter}', '見本小学校', ST_SetSRID(ST_MakePoint(140.72, 40.80), 4326) "
                "FROM municipality WHERE code = :c RETURNING id"
            ),
            {"c": CITY},
        )
    push = dataclasses.replace(settings, push=PushSettings(allow_http_localhost=True))
    async with AsyncTestClient(app=create_app(push)) as client:
        await hq(engine, client, RoleRequest("municipal_hq", CITY))
        order = {
            "hazard": "flood",
            "level": 4,
            "polygon": WEST,
            "reason": "川の水位が上がっています",
            "shelters": [str(shelter), "not-an-id"],
        }
        issued = await client.post("/api/alerts", json=order)
        assert issued.status_code == 201, issued.text
        got = await client.get(f"/api/alerts/{issued.json()['id']}")
        assert got.status_code == 200, got.text
        alert = got.json()
        assert alert["headline"] == "【警戒レベル4】避難指示（見本市）"
        assert alert["headlines"]["en"] == "Evacuation order (alert level 4) — Mihon"
        assert set(alert["headlines"]) == {"ja", "en", "ja-easy"}
        assert alert["hazard"] == "flood" and alert["level"] == 4 and alert["source"] == "hq"
        assert alert["reason"] == "川の水位が上がっています" and alert["instructions"] is None
        assert alert["municipalityNames"] == ["見本市"] and alert["municipalityNamesEn"] == ["Mihon"]
        assert alert["area"]["type"] in ("Polygon", "MultiPolygon")
        assert alert["bbox"] == [140.7, 40.78, 140.75, 40.84]
        assert alert["shelters"] == [
            {"id": str(shelter), "name": "見本小学校", "nameEn": None, "lat": 40.8, "lon": 140.72}
        ]
        assert (await client.get("/api/alerts/not-an-id")).status_code == 404
