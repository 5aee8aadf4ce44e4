"""My evacuation info, stored encrypted; QR codes issued, reissued (revoking) and verified."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import AsyncSession

from server.households.models import Household
from server.households.qr import QrCode, QrError, check_signature, issue, png, svg
from server.households.schemas import HouseholdIn
from server.lib.errors import NotFoundError
from server.lib.ids import uuid7
from server.lib.keys import Keys


def _opaque() -> str:
    return secrets.token_urlsafe(12)


async def load(session: AsyncSession, keys: Keys, account_id: uuid.UUID) -> tuple[Household | None, dict[str, Any]]:
    household = await session.scalar(select(Household).where(Household.account_id == account_id))
    if household is None:
        return None, msgspec.to_builtins(HouseholdIn())
    return household, open_document(keys, household)


async def load_by_id(session: AsyncSession, keys: Keys, household_id: uuid.UUID) -> tuple[Household, dict[str, Any]]:
    household = await session.get(Household, household_id)
    if household is None:
        raise NotFoundError(f"no household {household_id}")
    return household, open_document(keys, household)


def open_document(keys: Keys, household: Household) -> dict[str, Any]:
    document = keys.open(household.sealed, str(household.id))
    assert isinstance(document, dict)  # noqa: S101 - what seal() wrote
    return document


async def save(
    session: AsyncSession, keys: Keys, account_id: uuid.UUID, data: HouseholdIn
) -> tuple[Household, dict[str, Any]]:
    """Replace the document; members keep their ids (and QR codes) when sent back with them."""
    household = await session.scalar(select(Household).where(Household.account_id == account_id))
    if household is None:
        household = new_household(account_id=account_id)
        session.add(household)
    return household, seal(keys, household, data)


def new_household(**columns: Any) -> Household:
    return Household(id=uuid7(), qr_id=_opaque(), qr_counter=1, member_qr={}, key_id="", sealed=b"", **columns)


def seal(keys: Keys, household: Household, data: HouseholdIn) -> dict[str, Any]:
    """Store the document encrypted; new members get ids and QR codes, known ones keep theirs."""
    known = dict(household.member_qr)
    members = []
    for member in data.members:
        member_id = member.id if member.id in known else uuid.uuid4().hex
        members.append(msgspec.structs.replace(member, id=member_id))
    household.member_qr = {m.id: known.get(m.id) or {"qr": _opaque(), "counter": 1} for m in members if m.id}
    document: dict[str, Any] = msgspec.to_builtins(msgspec.structs.replace(data, members=members))
    household.sealed = keys.seal(document, str(household.id))
    household.key_id = "aes256gcm:1"
    return document


def member_code(keys: Keys, household: Household, member_id: str) -> str:
    entry = household.member_qr.get(member_id)
    if entry is None:
        raise NotFoundError(f"no member {member_id} in this household")
    return issue(keys, "member", str(entry["qr"]), int(str(entry["counter"])))


def household_code(keys: Keys, household: Household) -> str:
    return issue(keys, "household", household.qr_id, household.qr_counter)


def reissue(household: Household, member_id: str | None) -> None:
    """A new code; the previous one no longer verifies."""
    if member_id is None:
        household.qr_counter += 1
        return
    entry = household.member_qr.get(member_id)
    if entry is None:
        raise NotFoundError(f"no member {member_id} in this household")
    household.member_qr = {**household.member_qr, member_id: {**entry, "counter": int(str(entry["counter"])) + 1}}


async def verify_code(session: AsyncSession, keys: Keys, text: str) -> tuple[QrCode, Household, str | None]:
    """The code's household (and member), if it is intact, ours and the current issue."""
    code = check_signature(text, keys.public_keys)
    if code.kind == "household":
        household = await session.scalar(select(Household).where(Household.qr_id == code.opaque_id))
    else:
        household = await session.scalar(
            select(Household).where(sql("member_qr @? CAST(:path AS jsonpath)").bindparams(path=member_path(code)))
        )
    if household is None:
        raise QrError(f"no {code.kind} carries this code")
    return code, household, current_issue(code, household.qr_counter, household.member_qr)


def member_path(code: QrCode) -> str:
    """The JSON path finding a member's code in member_qr (the id is checked to be plain)."""
    if not all(c.isalnum() or c in "-_" for c in code.opaque_id):
        raise QrError("not a Bosai QR code")
    return f'$.* ? (@.qr == "{code.opaque_id}")'


def current_issue(code: QrCode, qr_counter: int, member_qr: dict[str, Any]) -> str | None:
    """The member the code names (None for a household code), if it is the current issue."""
    if code.kind == "household":
        counter, member = qr_counter, None
    else:
        member = next((m for m, e in member_qr.items() if e["qr"] == code.opaque_id), None)
        if member is None:
            raise QrError("no member carries this code")
        counter = int(str(member_qr[member]["counter"]))
    if code.counter != counter:
        raise QrError("this code was replaced by a newer one (revoked)")
    return member


# What other features use of QR codes (shelters: the door, printed walk-in cards).
__all__ = ["QrError", "check_signature", "png", "svg"]
