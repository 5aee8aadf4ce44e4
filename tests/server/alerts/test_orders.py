"""Evacuation information from headquarters: a polygon order reaches a point inside and the
municipality's subscribers, not a point outside it nor the neighbour; the count is shown before
sending; municipal headquarters order only in their own municipality; 解除 reaches who had it."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.accounts.service import RoleRequest, add_operator
from server.alerts.worker import work
from server.app import create_app
from server.db.engine import session_factory
from server.settings import Settings
from tests.server.alerts.receiver import Receiver
from tests.server.roles import PASSWORD

CITY, TOWN = "029998", "029980"  # 見本市 and its neighbour 見本町, side by side
SQUARES = {
    CITY: "MULTIPOLYGON(((140.70 40.78, 140.80 40.78, 140.80 40.84, 140.70 40.84, 140.70 40.78)))",
    TOWN: "MULTIPOLYGON(((140.80 40.78, 140.90 40.78, 140.90 40.84, 140.80 40.84, 140.80 40.78)))",
}
# The west part of 見本市 only.
WEST = {
    "type": "Polygon",
    "coordinates": [[[140.70, 40.78], [140.75, 40.78], [140.75, 40.84], [140.70, 40.84], [140.70, 40.78]]],
}
ACROSS = {
    "type": "Polygon",
    "coordinates": [[[140.78, 40.79], [140.85, 40.79], [140.85, 40.83], [140.78, 40.83], [140.78, 40.79]]],
}


async def hq(engine: AsyncEngine, client: AsyncTestClient[Litestar], request: RoleRequest) -> None:
    """Sign ``client`` in as headquarters (made here)."""
    email = f"{request.role}-{request.municipality or 'pref'}@test.example"
    async with session_factory(engine)() as session, session.begin():
        await add_operator(session, email, PASSWORD, [request])
    signed = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    client.headers["X-CSRF-Token"] = signed.json()["csrfToken"]


async def test_a_polygon_order_reaches_inside_and_not_outside(
    push_settings: Settings, engine: AsyncEngine, receiver: Receiver
) -> None:
    async with engine.begin() as connection:
        for code, square in SQUARES.items():
            await connection.execute(
                text(
                    "INSERT INTO municipality (id, code, name, prefecture, boundary) "
                    "VALUES (gen_random_uuid(), :c, :n, '青森県', ST_GeomFromText(:g, 4326))"
                ),
                {"c": code, "n": "見本市" if code == CITY else "見本町", "g": square},
            )
    # One app per client: a test client runs its app on a loop of its own.
    async with (
        AsyncTestClient(app=create_app(push_settings)) as public,
        AsyncTestClient(app=create_app(push_settings)) as city_hq,
        AsyncTestClient(app=create_app(push_settings)) as town_hq,
        AsyncTestClient(app=create_app(push_settings)) as prefecture,
    ):

        async def subscribe(name: str, area: dict[str, Any]) -> None:
            body = receiver.browser(name).body([area])
            assert (await public.post("/api/push/subscriptions", json=body)).status_code == 201

        await subscribe("inside", {"lat": 40.81, "lon": 140.72, "radiusM": 100})
        await subscribe("outside", {"lat": 40.81, "lon": 140.78, "radiusM": 100})
        await subscribe("whole_city", {"municipality": CITY})
        await subscribe("neighbour", {"municipality": TOWN})

        await hq(engine, city_hq, RoleRequest("municipal_hq", CITY))
        await hq(engine, town_hq, RoleRequest("municipal_hq", TOWN))
        await hq(engine, prefecture, RoleRequest("prefectural_hq"))
        if True:
            order = {"hazard": "flood", "level": 4, "polygon": WEST, "reason": "川の水位が上がっています"}
            preview = await city_hq.post("/api/alerts", json={**order, "dryRun": True})
            assert preview.status_code == 200, preview.text
            assert preview.json() == {"id": None, "reached": 2, "municipalities": [CITY], "dryRun": True}
            async with engine.connect() as connection:
                assert await connection.scalar(text("SELECT count(*) FROM alert")) == 0

            issued = await city_hq.post("/api/alerts", json=order)
            assert issued.status_code == 201, issued.text
            assert issued.json()["reached"] == 2
            alert_id = issued.json()["id"]
            await work(push_settings, once=True, backoff_s=0.1)
            assert [p["headline"] for p in receiver.got("inside")] == ["【警戒レベル4】避難指示（見本市）"]
            assert len(receiver.got("whole_city")) == 1
            assert receiver.got("outside") == [] and receiver.got("neighbour") == []
            assert receiver.arrivals[0].headers["Urgency"] == "high"

            # The inbox of a My Areas point lists what reached it (and the same check of its input).
            def listed(near: str) -> Any:
                return public.get("/api/alerts", params={"near": near})

            assert [a["id"] for a in (await listed("40.81,140.72,100")).json()["alerts"]] == [alert_id]
            assert (await listed("40.81,140.78,100")).json()["alerts"] == []
            for bad in ("40.81,140.72", "north,140.72,100", "40.81,140.72,10", "95,140.72,100", "40.81,140.72,1e9"):
                refused = await listed(bad)
                assert refused.status_code == 400 and "near" in refused.json()["detail"], (bad, refused.text)

            counts = await city_hq.get(f"/api/alerts/{alert_id}/deliveries")
            assert counts.json() == {"queued": 0, "sent": 2, "failed": 0, "removed": 0, "expired": 0}
            assert (await town_hq.get(f"/api/alerts/{alert_id}/deliveries")).status_code == 404

            # 見本町's headquarters cannot order for 見本市, nor a polygon reaching into it.
            for body in ({**order, "polygon": ACROSS}, {"hazard": "flood", "level": 5, "municipalities": [CITY]}):
                assert (await town_hq.post("/api/alerts", json=body)).status_code == 403
            across = await prefecture.post("/api/alerts", json={**order, "polygon": ACROSS, "dryRun": True})
            assert across.json()["municipalities"] == [TOWN, CITY] or across.json()["municipalities"] == [CITY, TOWN]

            lifted = await city_hq.post("/api/alerts", json={"hazard": "flood", "cancels": alert_id})
            assert lifted.status_code == 201, lifted.text
            await work(push_settings, once=True, backoff_s=0.1)
            assert receiver.got("inside")[-1]["headline"] == "避難指示 解除（見本市）"
            assert (await city_hq.post("/api/alerts", json={"hazard": "flood", "cancels": alert_id})).status_code == 409


async def test_orders_are_checked_field_by_field(push_settings: Settings, engine: AsyncEngine) -> None:
    async with AsyncTestClient(app=create_app(push_settings)) as client:
        await hq(engine, client, RoleRequest("prefectural_hq"))
        if True:
            cases = [
                ({"hazard": "flood", "level": 4}, "municipalities"),
                ({"hazard": "flood", "level": 4, "municipalities": ["029998"], "polygon": WEST}, "municipalities"),
                ({"hazard": "flood", "municipalities": ["029998"]}, "level"),
                ({"hazard": "flood", "level": 2, "municipalities": ["029998"]}, "level"),
                ({"hazard": "flood", "level": 4, "municipalities": ["029999"]}, "municipalities[0]"),
                (
                    {
                        "hazard": "flood",
                        "level": 4,
                        "polygon": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
                    },
                    "polygon",
                ),
                (
                    {
                        "hazard": "flood",
                        "level": 4,
                        "polygon": {"type": "Polygon", "coordinates": [[[140.7, 40.8]] * 4]},
                    },
                    "polygon",
                ),
                ({"hazard": "flood", "level": 4, "circle": {"lat": 40.8, "lon": 140.7, "radiusM": 10**6}}, "circle"),
                ({"hazard": "volcano", "level": 4, "municipalities": ["029998"]}, "hazard"),
                ({"hazard": "flood", "cancels": "not-an-id"}, None),
            ]
            wrong = []
            for body, named in cases:
                answer = await client.post("/api/alerts", json=body)
                names = [p["name"] for p in answer.json().get("invalidParams", [])]
                if not 400 <= answer.status_code < 500 or (named and not any(n.startswith(named) for n in names)):
                    wrong.append((body, answer.status_code, names, answer.json().get("detail")))
            assert wrong == []
