"""Check-ins, check-outs, transfers and walk-ins (staff of the shelter, headquarters), each exactly
once per Idempotency-Key; occupancy with totals and its CSV/GeoJSON exports (headquarters; staff
for their shelters); who is inside a shelter (its operators, audit-logged); events and shelters."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter

from server.accounts.guards import HEADQUARTERS, OPERATORS, Caller, DataKeys, Session, anyone, signed_in_as
from server.accounts.service import Principal, audit
from server.db.engine import session_factory
from server.households.schemas import EvacueeCard, VerifyRequest
from server.households.service import QrError, household_code, svg, verify_code
from server.lib.errors import UnprocessableError
from server.lib.keys import Keys
from server.shelters import checkins
from server.shelters.checkins import Leg
from server.shelters.desk import history, trend
from server.shelters.models import STAYS, Checkin
from server.shelters.people import at_door, people, register_walk_in, walk_in_code
from server.shelters.schemas import (
    NEEDS,
    CheckinRecord,
    CheckinRequest,
    EventClosed,
    EventRecord,
    EventRequest,
    Needs,
    OccupancyAnswer,
    OccupancyFeature,
    OccupancyFeatures,
    OccupancyProperties,
    People,
    PointGeometry,
    PublicShelters,
    ShelterHistory,
    ShelterState,
    ShelterUpdate,
    TransferRecord,
    TransferRequest,
    Trend,
    Verified,
    WalkInMember,
    WalkInRecord,
)
from server.shelters.service import (
    CARE_NEEDS,
    CheckinHook,
    OpeningHook,
    Recorded,
    close_event,
    may_open_event,
    occupancy,
    open_event,
    public_shelters,
    totals,
    update_shelter,
)

IdempotencyKey = Annotated[
    str,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=8,
        max_length=120,
        description="The client's id of this write (a UUID): sent again, the same record answers.",
    ),
]
OPERATE = [signed_in_as(*OPERATORS)]
# What a check-in tells others in its transaction (family safety status), given by create_app.
AfterCheckin = NamedDependency[CheckinHook]
# What reopening a shelter tells others in its transaction (a "shelter opened" alert), given by create_app.
OnShelterOpen = NamedDependency[OpeningHook]


def _record(done: Recorded) -> CheckinRecord:
    row: Checkin = done.checkin
    return CheckinRecord(
        id=row.id,
        direction="in" if row.direction == "in" else "out",
        shelter_id=row.facility_id,
        event=row.event_id,
        household=row.household_id,
        member_ids=row.member_ids,
        people=row.people,
        stay=row.stay,  # type: ignore[arg-type]  # checked by the table's constraint
        transfer_shelter_id=row.transfer_facility_id,
        at=row.created_at.isoformat() if row.created_at else None,
        replayed=not done.created,
    )


def _created(done: Recorded, body: Any) -> Response[Any]:
    return Response(body, status_code=201 if done.created else 200)


async def _check(
    state: State, caller: Principal, keys: Keys, key: str, leg: Leg, data: CheckinRequest, hook: CheckinHook
) -> Response[CheckinRecord]:
    done = await checkins.check(state.fast_pool, keys, caller, key, leg, data, hook)
    return _created(done, _record(done))


class CheckinController(Controller):
    path = "/api"
    tags = ["shelters"]  # noqa: RUF012

    @post("/checkins", guards=OPERATE, summary="Check a household (or some members) in; once per Idempotency-Key")
    async def check_in(
        self,
        state: State,
        caller: Caller,
        keys: DataKeys,
        data: JSONBody[CheckinRequest],
        idempotency_key: IdempotencyKey,
        after_checkin: AfterCheckin,
    ) -> Response[CheckinRecord]:
        leg = Leg("in", data.shelter_id, "checkin")
        return await _check(state, caller, keys, idempotency_key, leg, data, after_checkin)

    @post("/checkouts", guards=OPERATE, summary="Check people out; once per Idempotency-Key")
    async def check_out(
        self,
        state: State,
        caller: Caller,
        keys: DataKeys,
        data: JSONBody[CheckinRequest],
        idempotency_key: IdempotencyKey,
        after_checkin: AfterCheckin,
    ) -> Response[CheckinRecord]:
        leg = Leg("out", data.shelter_id, "checkout")
        return await _check(state, caller, keys, idempotency_key, leg, data, after_checkin)

    @post(
        "/transfers",
        guards=OPERATE,
        summary="Move people to another shelter: out here, in there; once per Idempotency-Key",
    )
    async def transfer(
        self,
        state: State,
        caller: Caller,
        keys: DataKeys,
        data: JSONBody[TransferRequest],
        idempotency_key: IdempotencyKey,
        after_checkin: AfterCheckin,
    ) -> Response[TransferRecord]:
        left, came = await checkins.transfer(state.fast_pool, keys, caller, idempotency_key, data, after_checkin)
        return _created(left, TransferRecord(out=_record(left), came_in=_record(came)))

    @get("/shelters/occupancy", guards=OPERATE, summary="People inside each shelter now, by stay and care need; totals")
    async def shelters_occupancy(
        self,
        state: State,
        caller: Caller,
        event: FromQuery[str | None] = None,
        municipality: FromQuery[str | None] = None,
    ) -> OccupancyAnswer:
        shelters = await _occupancy(state, caller, event, municipality)
        answer = {
            "shelters": [{**s, "needs": Needs.stored(s["needs"])} for s in shelters],
            "people": sum(s["people"] for s in shelters),
            "totals": totals(shelters),
            "at": datetime.now(UTC).isoformat(),
        }
        return msgspec.convert(answer, OccupancyAnswer)

    @get(
        "/shelters/trend",
        guards=OPERATE,
        summary="People in the shelters one oversees over the event, per municipality, in equal time buckets",
    )
    async def shelters_trend(
        self,
        state: State,
        caller: Caller,
        event: FromQuery[str | None] = None,
        municipality: FromQuery[str | None] = None,
        buckets: Annotated[int, QueryParameter(description="how many equal spans (1 to 500)")] = 48,
    ) -> Trend:
        async with session_factory(state.read_engine)() as session:
            return msgspec.convert(await trend(session, caller, event, municipality, buckets), Trend)

    @get(
        "/shelters/{shelter_id:str}/history",
        guards=OPERATE,
        summary="A shelter's check-ins and outs, opening and closing, changes (who, from what to what), newest first",
    )
    async def shelter_history(
        self, state: State, caller: Caller, shelter_id: FromPath[str], event: FromQuery[str | None] = None
    ) -> ShelterHistory:
        async with session_factory(state.read_engine)() as session:
            return msgspec.convert(await history(session, caller, shelter_id, event), ShelterHistory)

    @get("/shelters/open", guards=[anyone], summary="Shelters open now, for everyone: status, people inside, capacity")
    async def open_now(self, state: State, municipality: FromQuery[str | None] = None) -> PublicShelters:
        async with state.read_engine.connect() as connection:
            shelters = await public_shelters(connection, None, municipality)
        return msgspec.convert({"shelters": shelters}, PublicShelters)

    @get(
        "/shelters/occupancy.csv",
        guards=OPERATE,
        summary="The occupancy table as CSV (UTF-8 with BOM, for spreadsheets)",
    )
    async def occupancy_csv(
        self,
        state: State,
        caller: Caller,
        event: FromQuery[str | None] = None,
        municipality: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        shelters = await _occupancy(state, caller, event, municipality)
        return Response(
            as_csv(shelters),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="occupancy.csv"', "Cache-Control": "no-store"},
        )

    @get(
        "/shelters/occupancy.geojson",
        guards=OPERATE,
        summary="The shelters and their occupancy as GeoJSON points",
        media_type="application/geo+json",
    )
    async def occupancy_geojson(
        self,
        state: State,
        caller: Caller,
        event: FromQuery[str | None] = None,
        municipality: FromQuery[str | None] = None,
    ) -> Response[OccupancyFeatures]:
        shelters = await _occupancy(state, caller, event, municipality)
        return Response(
            as_geojson(shelters),
            media_type="application/geo+json",
            headers={
                "Content-Disposition": 'attachment; filename="occupancy.geojson"',
                "Cache-Control": "no-store",
            },
        )

    @get(
        "/shelters/{shelter_id:str}/people",
        guards=OPERATE,
        summary="Who is inside (and walk-ins registered), by name or kana",
    )
    async def inside(
        self,
        session: Session,
        caller: Caller,
        keys: DataKeys,
        shelter_id: FromPath[str],
        q: Annotated[str | None, QueryParameter(max_length=100)] = None,
    ) -> People:
        return msgspec.convert({"households": await people(session, keys, caller, shelter_id, q)}, People)

    @post(
        "/shelters/{shelter_id:str}/walkins",
        guards=OPERATE,
        summary="Register a walk-in on the evacuee card and check them in",
    )
    async def walk_in(
        self,
        session: Session,
        caller: Caller,
        keys: DataKeys,
        shelter_id: FromPath[str],
        data: JSONBody[EvacueeCard],
        idempotency_key: IdempotencyKey,
        after_checkin: AfterCheckin,
    ) -> Response[WalkInRecord]:
        done = await register_walk_in(session, keys, caller, shelter_id, idempotency_key, data, after_checkin)
        answer = WalkInRecord(
            household_id=done.household.id,
            members=[WalkInMember(id=m["id"], name=m["name"]) for m in done.document["members"]],
            code=household_code(keys, done.household),
            checkin=_record(done.checkin),
        )
        return _created(done.checkin, answer)

    @get(
        "/shelters/{shelter_id:str}/walkins/{household_id:str}/qr.svg",
        guards=OPERATE,
        summary="A walk-in's QR code to print (SVG)",
        media_type="image/svg+xml",
    )
    async def walk_in_svg(
        self,
        session: Session,
        caller: Caller,
        keys: DataKeys,
        shelter_id: FromPath[str],
        household_id: FromPath[str],
    ) -> Response[bytes]:
        code = await walk_in_code(session, keys, caller, shelter_id, household_id)
        return Response(svg(code), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


async def _occupancy(state: State, caller: Caller, event: str | None, municipality: str | None) -> list[dict[str, Any]]:
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
                *(_cell(s[c]) for c in CSV_COLUMNS),
                *(s["byStay"][k] for k in stays),
                *(s["care"][n] for n in needs),
                *(_cell(s["needs"].get(n)) for n in NEEDS),
                s["updatedAt"],
            ]
        )
    return ("\ufeff" + out.getvalue()).encode()


# What starts a formula in a spreadsheet, also after leading blanks ("\t=1+1").
_FORMULA = ("=", "+", "-", "@", "\t", "\r", "\n")


def _cell(value: object) -> object:
    """A spreadsheet must not run what a cell holds: text that could start a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, str) and (value[:1] in _FORMULA or value.lstrip()[:1] in _FORMULA):
        return "'" + value
    return value


def as_geojson(shelters: list[dict[str, Any]]) -> OccupancyFeatures:
    return OccupancyFeatures(
        [
            OccupancyFeature(
                id=s["shelterId"],
                geometry=PointGeometry((s["lon"], s["lat"])),
                properties=msgspec.convert({**s, "needs": Needs.stored(s["needs"])}, OccupancyProperties),
            )
            for s in shelters
        ]
    )


class DoorController(Controller):
    path = "/api/qr"
    tags = ["shelters"]  # noqa: RUF012

    @post(
        "/verify",
        guards=OPERATE,
        summary="Verify a scanned code (staff, headquarters); with shelterId, the household as staff see it",
        status_code=200,
    )
    async def verify(self, session: Session, caller: Caller, keys: DataKeys, data: JSONBody[VerifyRequest]) -> Verified:
        try:
            code, household, member = await verify_code(session, keys, data.qr)
        except QrError as exc:
            raise UnprocessableError(f"QR code refused: {exc}") from None
        audit(session, caller.account_id, "qr.verify", f"household:{household.id}", member=member)
        answer: dict[str, Any] = {"valid": True, "kind": code.kind, "household": household.id, "member": member}
        if data.shelter_id:
            # Shown at the door to be let in: the shelter's operators see the household.
            answer["view"] = await at_door(session, keys, caller, str(data.shelter_id), household)
        return msgspec.convert(answer, Verified)


class OperationsController(Controller):
    path = "/api"
    tags = ["shelters"]  # noqa: RUF012

    @post(
        "/events",
        guards=[signed_in_as(*HEADQUARTERS)],
        summary="Headquarters open a disaster event {type, name, municipalities}",
    )
    async def open_disaster(self, session: Session, caller: Caller, data: JSONBody[EventRequest]) -> EventRecord:
        may_open_event(caller, data.municipalities)
        event = await open_event(session, data.type, data.name, data.municipalities)
        return EventRecord(
            id=event.id, type=event.hazard_type, name=event.name, status="open", municipalities=data.municipalities
        )

    @post(
        "/events/{event_id:str}/close",
        guards=[signed_in_as(*HEADQUARTERS)],
        summary="Close an event and its shelters (headquarters of every municipality in it, or the prefecture's)",
        status_code=200,
    )
    async def close_disaster(self, session: Session, caller: Caller, event_id: FromPath[str]) -> EventClosed:
        event = await close_event(session, event_id, caller)
        return EventClosed(id=event.id, status="closed")

    @put(
        "/shelters/{facility_id:str}",
        guards=OPERATE,
        summary="Staff update their shelter: status, capacity, pets, needs",
    )
    async def update(
        self,
        session: Session,
        caller: Caller,
        facility_id: FromPath[str],
        data: JSONBody[ShelterUpdate],
        on_shelter_open: OnShelterOpen,
    ) -> ShelterState:
        operation = await update_shelter(session, caller, facility_id, data, on_shelter_open)
        return ShelterState(
            shelter_id=operation.facility_id,
            status="open" if operation.status == "open" else "closed",
            capacity=operation.capacity,
            pets_accepted=operation.pets_accepted,
            needs=Needs.stored(operation.needs),
        )
