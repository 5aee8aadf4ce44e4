"""POST /api/checkins and /api/checkouts on raw asyncpg: the door's hot path (a queue of people,
or a staff device sending a day's offline scans at once). Four round trips in one transaction:
the key (a replay answers at once), the shelter and its operation, the household, then the row
and its audit entry together. The rules are the ORM path's own (service.py): who operates a
shelter, whom a code or the asked members name, what a row holds."""

from __future__ import annotations

import json

import asyncpg

from server.accounts.service import Principal
from server.db.fast import Compiled
from server.households.qr import QrError, check_signature
from server.households.service import current_issue, member_path
from server.lib.errors import ConflictError, ForbiddenError, InvalidParameterError, NotFoundError, UnprocessableError
from server.lib.keys import Keys
from server.shelters.models import Checkin
from server.shelters.schemas import CheckinRequest
from server.shelters.service import (
    STAY_INSIDE,
    Recorded,
    checkin_values,
    may_name_household,
    operates,
    people_of,
    same_request,
    scoped_key,
)

STAY = Compiled(STAY_INSIDE)
COLUMNS = (
    "id, idempotency_key, event_id, facility_id, household_id, member_ids, people, stay, direction, actor_id, "
    "care, transfer_facility_id, created_at"
)
BY_KEY = f"SELECT {COLUMNS} FROM checkin WHERE idempotency_key = $1"  # noqa: S608 - constant columns
SHELTER = """
SELECT f.name, m.code, o.event_id, o.status
FROM facility f JOIN municipality m ON m.id = f.municipality_id
LEFT JOIN LATERAL (
    SELECT so.event_id, so.status FROM shelter_operation so JOIN disaster_event e ON e.id = so.event_id
    WHERE so.facility_id = f.id AND e.status = 'open' ORDER BY so.opened_at DESC LIMIT 1
) o ON true
WHERE f.id = $1
"""
HOUSEHOLD_BY_CODE = "SELECT id, qr_counter, member_qr::text, sealed FROM household WHERE qr_id = $1"
HOUSEHOLD_BY_MEMBER_CODE = (
    "SELECT id, qr_counter, member_qr::text, sealed FROM household WHERE member_qr @? CAST($1 AS jsonpath)"
)
HOUSEHOLD_BY_ID = """
SELECT h.id, h.qr_counter, h.member_qr::text, h.sealed, h.registered_at = $2 AS registered_here, EXISTS (
    SELECT 1 FROM checkin c
    WHERE c.household_id = h.id AND c.facility_id = $2 AND c.event_id = $3 AND c.direction = 'in'
) AS came_in
FROM household h WHERE h.id = $1
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
)
INSERT = f"""
WITH row AS (
    INSERT INTO checkin ({", ".join(INSERTED)})
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb)
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


def _row(record: asyncpg.Record) -> Checkin:
    values = dict(record)
    if isinstance(values["care"], str):
        values["care"] = json.loads(values["care"])
    return Checkin(**values)


async def record(
    pool: asyncpg.Pool, keys: Keys, caller: Principal, key: str, direction: str, body: CheckinRequest
) -> Recorded:
    """Record a check-in or check-out once: the same key again, from the same caller to the same
    endpoint, returns the same record."""
    key = scoped_key(caller, "checkin" if direction == "in" else "checkout", key)
    async with pool.acquire() as connection, connection.transaction():
        existing = await connection.fetchrow(BY_KEY, key)
        if existing is not None:
            row = _row(existing)
            same_request(row, body.shelter_id)
            return Recorded(row, False)
        facility_id = body.shelter_id
        shelter = await connection.fetchrow(SHELTER, facility_id)
        if shelter is None:
            raise NotFoundError(f"no shelter {facility_id}")
        if not operates(caller, facility_id, shelter["code"]):
            raise ForbiddenError("this shelter is not yours to operate")
        if shelter["status"] != "open":
            raise ConflictError(f"{shelter['name']} is closed: open it for the event first")
        household, member = await _household(connection, keys, body, shelter["event_id"])
        if not body.qr:
            ground = may_name_household(
                caller,
                shelter["code"],
                direction,
                bool(household["registered_here"]),
                household["came_in"],
                body.override,
            )
            if ground == "override":
                assert body.override is not None  # noqa: S101 - checked by may_name_household
                await connection.execute(
                    OVERRIDE, caller.account_id, str(household["id"]), str(facility_id), body.override.reason
                )
        document = keys.open(household["sealed"], str(household["id"]))
        assert isinstance(document, dict)  # noqa: S101 - what seal() wrote
        members = people_of(document, body.member_ids, member)
        stay = body.stay
        if direction == "out" and not stay:
            where = {"household": household["id"], "facility": facility_id, "event": shelter["event_id"]}
            stay = await connection.fetchval(STAY.sql, *STAY.args(where))
        values = checkin_values(
            caller,
            key,
            direction,
            shelter["event_id"],
            facility_id,
            household["id"],
            document,
            members,
            stay,
        )
        values["care"] = json.dumps(values["care"])
        inserted = await connection.fetchrow(INSERT, *(values[c] for c in INSERTED))
        if inserted is not None:
            return Recorded(_row(inserted), True)
        twin = await connection.fetchrow(BY_KEY, key)  # a concurrent request with the same key won
        assert twin is not None  # noqa: S101
        return Recorded(_row(twin), False)


async def _household(
    connection: asyncpg.Connection, keys: Keys, body: CheckinRequest, event_id: object
) -> tuple[asyncpg.Record, str | None]:
    if not body.qr:
        if not body.household_id:
            raise InvalidParameterError("qr", "send the scanned qr, or a householdId")
        found = await connection.fetchrow(HOUSEHOLD_BY_ID, body.household_id, body.shelter_id, event_id)
        if found is None:
            raise NotFoundError(f"no household {body.household_id}")
        return found, None
    try:
        code = check_signature(body.qr, keys.public_keys)
        if code.kind == "household":
            found = await connection.fetchrow(HOUSEHOLD_BY_CODE, code.opaque_id)
        else:
            found = await connection.fetchrow(HOUSEHOLD_BY_MEMBER_CODE, member_path(code))
        if found is None:
            raise QrError(f"no {code.kind} carries this code")
        return found, current_issue(code, found["qr_counter"], json.loads(found["member_qr"]))
    except QrError as exc:
        raise UnprocessableError(f"QR code refused: {exc}") from None
