"""POST /api/checkins and /api/checkouts (staff of the shelter, headquarters), each exactly once
per Idempotency-Key; GET /api/shelters/occupancy (headquarters; staff for their shelters)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery

from server.accounts.auth import signed_in
from server.accounts.service import audit
from server.db.engine import session_factory
from server.lib.errors import ForbiddenError, InvalidParameterError
from server.lib.keys import require
from server.shelters.service import close_event, occupancy, open_event, record, update_shelter

OPERATORS = ("staff", "municipal_hq", "prefectural_hq")


async def _record(request: Request[Any, Any, Any], state: State, direction: str) -> Response[dict[str, Any]]:
    caller = await signed_in(request, state, *OPERATORS)
    body = await _json(request)
    key = request.headers.get("idempotency-key", "")
    async with session_factory(state.engine)() as session, session.begin():
        done = await record(session, require(state.crypto), caller, key, direction, body)
        row = done.checkin
        if done.created:
            audit(
                session,
                caller.account_id,
                f"checkin.{direction}",
                f"household:{row.household_id}",
                shelter=str(row.facility_id),
            )
    answer = {
        "id": str(row.id),
        "direction": row.direction,
        "shelterId": str(row.facility_id),
        "event": str(row.event_id),
        "household": str(row.household_id) if row.household_id else None,
        "memberIds": row.member_ids,
        "people": row.people,
        "stay": row.stay,
        "at": row.created_at.isoformat() if row.created_at else None,
        "replayed": not done.created,
    }
    return Response(answer, status_code=201 if done.created else 200)


class CheckinController(Controller):
    path = "/api"
    tags = ["shelters"]  # noqa: RUF012

    @post("/checkins", summary="Check a household (or some members) in; once per Idempotency-Key")
    async def check_in(self, request: Request[Any, Any, Any], state: State) -> Response[dict[str, Any]]:
        return await _record(request, state, "in")

    @post("/checkouts", summary="Check people out; once per Idempotency-Key")
    async def check_out(self, request: Request[Any, Any, Any], state: State) -> Response[dict[str, Any]]:
        return await _record(request, state, "out")

    @get("/shelters/occupancy", summary="People inside each shelter now, by stay, against capacity")
    async def shelters_occupancy(
        self,
        request: Request[Any, Any, Any],
        state: State,
        event: FromQuery[str | None] = None,
        municipality: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        caller = await signed_in(request, state, *OPERATORS)
        async with session_factory(state.read_engine)() as session:
            shelters = await occupancy(session, caller, event, municipality)
        return {"shelters": shelters, "people": sum(s["people"] for s in shelters)}


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
