"""Check-ins, check-outs, transfers and walk-ins (staff of the shelter, headquarters), each exactly
once per Idempotency-Key; occupancy with totals and its CSV/GeoJSON exports (headquarters; staff
for their shelters); who is inside a shelter (its operators, audit-logged); events and shelters."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.auth import signed_in
from server.accounts.service import Principal, audit
from server.db.engine import session_factory
from server.households import qr
from server.households.schemas import EvacueeCard, validation_path
from server.households.service import household_code
from server.lib.errors import ForbiddenError, InvalidParameterError
from server.lib.keys import require
from server.shelters import fast
from server.shelters.models import STAYS
from server.shelters.people import people, register_walk_in, walk_in_code
from server.shelters.service import (
    CARE_NEEDS,
    NEEDS,
    Recorded,
    close_event,
    occupancy,
    open_event,
    public_shelters,
    totals,
    transfer,
    update_shelter,
)

OPERATORS = ("staff", "municipal_hq", "prefectural_hq")


def _answer(done: Recorded) -> dict[str, Any]:
    row = done.checkin
    return {
        "id": str(row.id),
        "direction": row.direction,
        "shelterId": str(row.facility_id),
        "event": str(row.event_id),
        "household": str(row.household_id) if row.household_id else None,
        "memberIds": row.member_ids,
        "people": row.people,
        "stay": row.stay,
        "transferShelterId": str(row.transfer_facility_id) if row.transfer_facility_id else None,
        "at": row.created_at.isoformat() if row.created_at else None,
        "replayed": not done.created,
    }


def _audit_recorded(session: AsyncSession, caller: Principal, done: Recorded) -> None:
    if done.created:
        row = done.checkin
        audit(
            session,
            caller.account_id,
            f"checkin.{row.direction}",
            f"household:{row.household_id}",
            shelter=str(row.facility_id),
        )


async def _record(request: Request[Any, Any, Any], state: State, direction: str) -> Response[dict[str, Any]]:
    caller = await signed_in(request, state, *OPERATORS)
    body = await _json(request)
    key = request.headers.get("idempotency-key", "")
    done = await fast.record(state.fast_pool, require(state.crypto), caller, key, direction, body)
    return Response(_answer(done), status_code=201 if done.created else 200)


class CheckinController(Controller):
    path = "/api"
    tags = ["shelters"]  # noqa: RUF012

    @post("/checkins", summary="Check a household (or some members) in; once per Idempotency-Key")
    async def check_in(self, request: Request[Any, Any, Any], state: State) -> Response[dict[str, Any]]:
        return await _record(request, state, "in")

    @post("/checkouts", summary="Check people out; once per Idempotency-Key")
    async def check_out(self, request: Request[Any, Any, Any], state: State) -> Response[dict[str, Any]]:
        return await _record(request, state, "out")

    @post("/transfers", summary="Move people to another shelter: out here, in there; once per Idempotency-Key")
    async def transfer(self, request: Request[Any, Any, Any], state: State) -> Response[dict[str, Any]]:
        caller = await signed_in(request, state, *OPERATORS)
        body = await _json(request)
        key = request.headers.get("idempotency-key", "")
        async with session_factory(state.engine)() as session, session.begin():
            left, came = await transfer(session, require(state.crypto), caller, key, body)
            _audit_recorded(session, caller, left)
            _audit_recorded(session, caller, came)
        return Response({"out": _answer(left), "in": _answer(came)}, status_code=201 if left.created else 200)

    @get("/shelters/occupancy", summary="People inside each shelter now, by stay and care need; totals")
    async def shelters_occupancy(
        self,
        request: Request[Any, Any, Any],
        state: State,
        event: FromQuery[str | None] = None,
        municipality: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        shelters = await _occupancy(request, state, event, municipality)
        return {
            "shelters": shelters,
            "people": sum(s["people"] for s in shelters),
            "totals": totals(shelters),
            "at": datetime.now(UTC).isoformat(),
        }

    @get("/shelters/open", summary="Shelters open now, for everyone: status, people inside, capacity")
    async def open_now(self, state: State, municipality: FromQuery[str | None] = None) -> dict[str, Any]:
        async with state.read_engine.connect() as connection:
            return {"shelters": await public_shelters(connection, None, municipality)}

    @get("/shelters/occupancy.csv", summary="The occupancy table as CSV (UTF-8 with BOM, for spreadsheets)")
    async def occupancy_csv(
        self,
        request: Request[Any, Any, Any],
        state: State,
        event: FromQuery[str | None] = None,
        municipality: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        shelters = await _occupancy(request, state, event, municipality)
        return Response(
            as_csv(shelters),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="occupancy.csv"', "Cache-Control": "no-store"},
        )

    @get("/shelters/occupancy.geojson", summary="The shelters and their occupancy as GeoJSON points")
    async def occupancy_geojson(
        self,
        request: Request[Any, Any, Any],
        state: State,
        event: FromQuery[str | None] = None,
        municipality: FromQuery[str | None] = None,
    ) -> Response[dict[str, Any]]:
        shelters = await _occupancy(request, state, event, municipality)
        return Response(
            as_geojson(shelters),
            media_type="application/geo+json",
            headers={
                "Content-Disposition": 'attachment; filename="occupancy.geojson"',
                "Cache-Control": "no-store",
            },
        )

    @get("/shelters/{shelter_id:str}/people", summary="Who is inside (and walk-ins registered), by name or kana")
    async def inside(
        self, request: Request[Any, Any, Any], state: State, shelter_id: FromPath[str], q: FromQuery[str | None] = None
    ) -> dict[str, Any]:
        caller = await signed_in(request, state, *OPERATORS)
        async with session_factory(state.engine)() as session, session.begin():
            households = await people(session, require(state.crypto), caller, shelter_id, q)
        return {"households": households}

    @post("/shelters/{shelter_id:str}/walkins", summary="Register a walk-in on the evacuee card and check them in")
    async def walk_in(
        self, request: Request[Any, Any, Any], state: State, shelter_id: FromPath[str]
    ) -> Response[dict[str, Any]]:
        caller = await signed_in(request, state, *OPERATORS)
        try:
            card = msgspec.json.decode(await request.body(), type=EvacueeCard)
        except msgspec.ValidationError as exc:
            raise InvalidParameterError(*validation_path(str(exc))) from None
        except msgspec.DecodeError:
            raise InvalidParameterError("body", "not valid JSON") from None
        keys = require(state.crypto)
        key = request.headers.get("idempotency-key", "")
        async with session_factory(state.engine)() as session, session.begin():
            done = await register_walk_in(session, keys, caller, shelter_id, key, card)
            _audit_recorded(session, caller, done.checkin)
            code = household_code(keys, done.household)
        answer = {
            "householdId": str(done.household.id),
            "members": [{"id": m["id"], "name": m["name"]} for m in done.document["members"]],
            "code": code,
            "checkin": _answer(done.checkin),
        }
        return Response(answer, status_code=201 if done.checkin.created else 200)

    @get(
        "/shelters/{shelter_id:str}/walkins/{household_id:str}/qr.svg",
        summary="A walk-in's QR code to print (SVG)",
        media_type="image/svg+xml",
    )
    async def walk_in_svg(
        self, request: Request[Any, Any, Any], state: State, shelter_id: FromPath[str], household_id: FromPath[str]
    ) -> Response[bytes]:
        caller = await signed_in(request, state, *OPERATORS)
        async with session_factory(state.engine)() as session, session.begin():
            code = await walk_in_code(session, require(state.crypto), caller, shelter_id, household_id)
        return Response(qr.svg(code), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


async def _occupancy(
    request: Request[Any, Any, Any], state: State, event: str | None, municipality: str | None
) -> list[dict[str, Any]]:
    caller = await signed_in(request, state, *OPERATORS)
    async with session_factory(state.read_engine)() as session:
        return await occupancy(session, caller, event, municipality)


CSV_COLUMNS = (
    "municipality",
    "municipalityName",
    "name",
    "status",
    "people",
    "capacity",
    "fill",
    "petsAccepted",
    "lat",
    "lon",
)


def as_csv(shelters: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    stays, needs = list(STAYS), list(CARE_NEEDS)
    writer.writerow(
        ["shelterId", *CSV_COLUMNS, *(f"stay_{s}" for s in stays), *(f"care_{n}" for n in needs), *NEEDS, "updatedAt"]
    )
    for s in shelters:
        writer.writerow(
            [
                s["shelterId"],
                *(s[c] if s[c] is not None else "" for c in CSV_COLUMNS),
                *(s["byStay"][k] for k in stays),
                *(s["care"][n] for n in needs),
                *(_cell(s["needs"].get(n)) for n in NEEDS),
                s["updatedAt"],
            ]
        )
    return ("\ufeff" + out.getvalue()).encode()


def _cell(value: object) -> object:
    """A spreadsheet must not run what a cell holds (=, +, -, @ start a formula)."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def as_geojson(shelters: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": s["shelterId"],
                "geometry": {"type": "Point", "coordinates": [s["lon"], s["lat"]]},
                "properties": {k: v for k, v in s.items() if k not in ("lat", "lon")},
            }
            for s in shelters
        ],
    }


async def _json(request: Request[Any, Any, Any]) -> dict[str, Any]:
    try:
        body = msgspec.json.decode(await request.body())
    except msgspec.DecodeError:
        raise InvalidParameterError("body", "not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidParameterError("body", "a JSON object")
    return body


class OperationsController(Controller):
    path = "/api"
    tags = ["shelters"]  # noqa: RUF012

    @post("/events", summary="Headquarters open a disaster event {type, name, municipalities}")
    async def open_disaster(self, request: Request[Any, Any, Any], state: State) -> dict[str, Any]:
        caller = await signed_in(request, state, "municipal_hq", "prefectural_hq")
        body = await _json(request)
        codes = [str(c) for c in body.get("municipalities") or []]
        if "prefectural_hq" not in caller.roles and not set(codes) <= caller.municipalities("municipal_hq"):
            raise ForbiddenError("municipal headquarters open events for their own municipality only")
        async with session_factory(state.engine)() as session, session.begin():
            event = await open_event(session, str(body.get("type", "")), str(body.get("name", "")), codes)
        return {"id": str(event.id), "type": event.hazard_type, "name": event.name, "municipalities": codes}

    @post("/events/{event_id:str}/close", summary="Close an event and its shelters", status_code=200)
    async def close_disaster(
        self, request: Request[Any, Any, Any], state: State, event_id: FromPath[str]
    ) -> dict[str, Any]:
        await signed_in(request, state, "municipal_hq", "prefectural_hq")
        async with session_factory(state.engine)() as session, session.begin():
            event = await close_event(session, event_id)
        return {"id": str(event.id), "status": event.status}

    @put("/shelters/{facility_id:str}", summary="Staff update their shelter: status, capacity, pets, needs")
    async def update(self, request: Request[Any, Any, Any], state: State, facility_id: FromPath[str]) -> dict[str, Any]:
        caller = await signed_in(request, state, *OPERATORS)
        body = await _json(request)
        async with session_factory(state.engine)() as session, session.begin():
            operation = await update_shelter(session, caller, facility_id, body)
        return {
            "shelterId": str(operation.facility_id),
            "status": operation.status,
            "capacity": operation.capacity,
            "petsAccepted": operation.pets_accepted,
            "needs": operation.needs,
        }
