"""Recording people in and out of shelters: a check-in, a check-out, both halves of a transfer and
a walk-in's first check-in all go through :func:`record`, on one asyncpg connection inside the
caller's transaction. It is the door's hot path (a queue of people, or a staff device sending a
day's offline scans at once): four round trips — the key (a replay answers at once), the shelter
and its operation, the household, then the row and its audit entry in one statement."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Literal

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.service import Principal
from server.households.service import QrError, check_signature, current_issue, member_path
from server.lib.errors import ConflictError, ForbiddenError, InvalidParameterError, NotFoundError, UnprocessableError
from server.lib.keys import Keys
from server.shelters.models import Checkin
from server.shelters.schemas import CheckinRequest, TransferRequest
from server.shelters.service import (
    CheckinHook,
    Recorded,
    checkin_values,
    may_name_household,
    no_hook,
    operates,
    people_of,
    scoped_key,
)

COLUMNS = (
    "id, idempotency_key, event_id, facility_id, household_id, member_ids, people, stay, direction, actor_id, "
    "care, transfer_facility_id, created_at"
)
BY_KEY = f"SELECT {COLUMNS} FROM checkin WHERE idempotency_key = $1"  # noqa: S608 - constant columns
# Requests with the same key wait for each other until the first commits, so a write of several
# rows (a transfer's two, a walk-in's household and check-in) is made once however many copies
# of it arrive at the same time.
LOCK = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"
SHELTER = """
SELECT f.name, m.code, o.event_id, o.status
FROM facility f JOIN municipality m ON m.id = f.municipality_id
LEFT JOIN LATERAL (
    SELECT so.event_id, so.status FROM shelter_operation so JOIN disaster_event e ON e.id = so.event_id
    WHERE so.facility_id = f.id AND e.status = 'open' ORDER BY so.opened_at DESC LIMIT 1
) o ON true
WHERE f.id = $1
"""
HOUSEHOLD = "SELECT h.id, h.qr_counter, h.member_qr::text, h.sealed, h.registered_at = $2 AS registered_here"
CAME_IN = """EXISTS (
    SELECT 1 FROM checkin c
    WHERE c.household_id = h.id AND c.facility_id = $2 AND c.event_id = $3 AND c.direction = 'in'
) AS came_in"""
HOUSEHOLD_BY_CODE = f"{HOUSEHOLD}, {CAME_IN} FROM household h WHERE h.qr_id = $1"
HOUSEHOLD_BY_MEMBER_CODE = f"{HOUSEHOLD}, {CAME_IN} FROM household h WHERE h.member_qr @? CAST($1 AS jsonpath)"
HOUSEHOLD_BY_ID = f"{HOUSEHOLD}, {CAME_IN} FROM household h WHERE h.id = $1"
# Where the household stayed when it came in: a check-out (or a transfer's) that does not say
# leaves that stay.
STAY_INSIDE = """
SELECT stay FROM checkin WHERE household_id = $1 AND facility_id = $2 AND event_id = $3 AND direction = 'in'
ORDER BY created_at DESC, id DESC LIMIT 1
"""
OVERRIDE = """
INSERT INTO audit_event (id, actor_id, action, subject, details)
VALUES (gen_random_uuid(), $1, 'checkin.override', 'household:' || $2::text,
        jsonb_build_object('shelter', $3::text, 'reason', $4::text))
"""
INSERTED = (
    "id",
    "idempotency_key",
    "event_id",
    "facility_id",
    "household_id",
    "member_ids",
    "people",
    "stay",
    "direction",
    "actor_id",
    "care",
    "transfer_facility_id",
)
INSERT = f"""
WITH row AS (
    INSERT INTO checkin ({", ".join(INSERTED)})
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING {COLUMNS}
), logged AS (
    INSERT INTO audit_event (id, actor_id, action, subject, details)
    SELECT gen_random_uuid(), actor_id, 'checkin.' || direction, 'household:' || household_id,
           jsonb_build_object('shelter', facility_id::text)
    FROM row
)
SELECT * FROM row
"""  # noqa: S608 - constant columns


@dataclass(frozen=True)
class Leg:
    """One row to record: which way, where, and what the client's key is scoped to."""

    direction: Literal["in", "out"]
    shelter_id: uuid.UUID
    endpoint: str  # checkin, checkout, transfer.out, transfer.in, walkin
    other_shelter: uuid.UUID | None = None  # the other end of a transfer
    # The arriving half of a transfer: the household and the caller's right to move it were
    # established by the leaving half, so neither is asked again at the destination.
    vouched: bool = False


def _row(record: asyncpg.Record) -> Checkin:
    values = dict(record)
    if isinstance(values["care"], str):
        values["care"] = json.loads(values["care"])
    return Checkin(**values)


async def serialise(connection: asyncpg.Connection, caller: Principal, leg: Leg, key: str) -> None:
    await connection.execute(LOCK, scoped_key(caller, leg.endpoint, key))


async def replay(connection: asyncpg.Connection, caller: Principal, leg: Leg, key: str) -> Recorded | None:
    """The row this caller's key already made at this endpoint, if any (for this shelter only)."""
    found = await connection.fetchrow(BY_KEY, scoped_key(caller, leg.endpoint, key))
    if found is None:
        return None
    row = _row(found)
    if row.facility_id != leg.shelter_id:
        raise ConflictError("this Idempotency-Key was already used for another shelter: send a new key")
    return Recorded(row, False)


async def record(
    connection: asyncpg.Connection,
    keys: Keys,
    caller: Principal,
    key: str,
    leg: Leg,
    body: CheckinRequest,
    hook: CheckinHook = no_hook,
) -> Recorded:
    """Record one leg once: the same key again, from the same caller to the same endpoint,
    answers the same row. Runs in the caller's transaction, and so does ``hook`` on a new row:
    what it writes is committed with the row or not at all."""
    done = await replay(connection, caller, leg, key)
    if done is not None:
        return done
    shelter = await connection.fetchrow(SHELTER, leg.shelter_id)
    if shelter is None:
        raise NotFoundError(f"no shelter {leg.shelter_id}")
    if not leg.vouched and not operates(caller, leg.shelter_id, shelter["code"]):
        raise ForbiddenError("this shelter is not yours to operate")
    if shelter["status"] != "open":
        raise ConflictError(f"{shelter['name']} is closed: open it for the event first")
    household, member = await _household(connection, keys, body, leg.shelter_id, shelter["event_id"])
    if not body.qr and not leg.vouched:
        ground = may_name_household(
            caller,
            shelter["code"],
            leg.direction,
            bool(household["registered_here"]),
            household["came_in"],
            body.override,
        )
        if ground == "override":
            assert body.override is not None  # noqa: S101 - checked by may_name_household
            await connection.execute(
                OVERRIDE, caller.account_id, str(household["id"]), str(leg.shelter_id), body.override.reason
            )
    document = keys.open(household["sealed"], str(household["id"]))
    assert isinstance(document, dict)  # noqa: S101 - what seal() wrote
    members = people_of(document, body.member_ids, member)
    stay = body.stay
    if leg.direction == "out" and not stay:
        stay = await connection.fetchval(STAY_INSIDE, household["id"], leg.shelter_id, shelter["event_id"])
    stored = scoped_key(caller, leg.endpoint, key)
    values = checkin_values(
        caller, stored, leg.direction, shelter["event_id"], leg.shelter_id, household["id"], document, members, stay
    )
    values["care"] = json.dumps(values["care"])
    values["transfer_facility_id"] = leg.other_shelter
    inserted = await connection.fetchrow(INSERT, *(values[c] for c in INSERTED))
    if inserted is not None:
        row = _row(inserted)
        await hook(connection, row)
        return Recorded(row, True)
    twin = await connection.fetchrow(BY_KEY, stored)  # a concurrent request with the same key won
    assert twin is not None  # noqa: S101
    return Recorded(_row(twin), False)


async def check(
    pool: asyncpg.Pool,
    keys: Keys,
    caller: Principal,
    key: str,
    leg: Leg,
    body: CheckinRequest,
    hook: CheckinHook = no_hook,
) -> Recorded:
    """A check-in or check-out in a transaction of its own."""
    async with pool.acquire() as connection, connection.transaction():
        return await record(connection, keys, caller, key, leg, body, hook)


async def transfer(
    pool: asyncpg.Pool, keys: Keys, caller: Principal, key: str, body: TransferRequest, hook: CheckinHook = no_hook
) -> tuple[Recorded, Recorded]:
    """Out of shelterId and into toShelterId in one transaction, once per key."""
    if body.to_shelter_id == body.shelter_id:
        raise InvalidParameterError("toShelterId", "another shelter than shelterId")
    leaving = Leg("out", body.shelter_id, "transfer.out", other_shelter=body.to_shelter_id)
    arriving = Leg("in", body.to_shelter_id, "transfer.in", other_shelter=body.shelter_id, vouched=True)
    async with pool.acquire() as connection, connection.transaction():
        await serialise(connection, caller, leaving, key)
        left = await record(connection, keys, caller, key, leaving, body, hook)
        # The same people, wherever the leaving half found them (by code or by id).
        arrived = CheckinRequest(
            shelter_id=body.to_shelter_id,
            household_id=left.checkin.household_id,
            member_ids=left.checkin.member_ids,
            stay=body.stay,
        )
        came = await record(connection, keys, caller, key, arriving, arrived, hook)
    return left, came


async def raw_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under a session, inside the session's transaction."""
    connection = await (await session.connection()).get_raw_connection()
    driver: asyncpg.Connection = connection.driver_connection
    return driver


async def _household(
    connection: asyncpg.Connection, keys: Keys, body: CheckinRequest, shelter_id: uuid.UUID, event_id: object
) -> tuple[asyncpg.Record, str | None]:
    """The household named by the scanned code or its id, and the member whose code it is."""
    if not body.qr:
        if not body.household_id:
            raise InvalidParameterError("qr", "send the scanned qr, or a householdId")
        found = await connection.fetchrow(HOUSEHOLD_BY_ID, body.household_id, shelter_id, event_id)
        if found is None:
            raise NotFoundError(f"no household {body.household_id}")
        return found, None
    try:
        code = check_signature(body.qr, keys.public_keys)
        if code.kind == "household":
            found = await connection.fetchrow(HOUSEHOLD_BY_CODE, code.opaque_id, shelter_id, event_id)
        else:
            found = await connection.fetchrow(HOUSEHOLD_BY_MEMBER_CODE, member_path(code), shelter_id, event_id)
        if found is None:
            raise QrError(f"no {code.kind} carries this code")
        return found, current_issue(code, found["qr_counter"], json.loads(found["member_qr"]))
    except QrError as exc:
        raise UnprocessableError(f"QR code refused: {exc}") from None
