"""GET/PUT /api/households/me (residents), their QR codes, and QR verification for staff;
GET /api/qr/keys (public) for verifying offline. Every read and write is audit-logged."""

from __future__ import annotations

import msgspec
from litestar import Controller, Response, get, post, put
from litestar.params import FromPath, JSONBody

from server.accounts.guards import Caller, DataKeys, Session, anyone, signed_in_as
from server.accounts.service import Principal, audit
from server.households import qr
from server.households.models import Household
from server.households.schemas import (
    HouseholdDocument,
    HouseholdIn,
    PublicKey,
    PublicKeys,
    QrCodes,
    Reissue,
    Reissued,
)
from server.households.service import household_code, load, member_code, reissue, save
from server.lib.errors import NotFoundError
from server.lib.keys import Keys, b64

IMAGE_HEADERS = {"Cache-Control": "no-store"}
RESIDENT = [signed_in_as("resident")]


async def _saved(session: Session, keys: Keys, caller: Principal) -> Household:
    """The caller's household, which must have been saved (it has no QR code before)."""
    household, _ = await load(session, keys, caller.account_id)
    if household is None:
        raise NotFoundError("save your household first: it has no QR code yet")
    return household


async def _code(session: Session, keys: Keys, caller: Principal, member_id: str | None) -> str:
    household = await _saved(session, keys, caller)
    audit(session, caller.account_id, "household.qr", f"household:{household.id}", member=member_id)
    return member_code(keys, household, member_id) if member_id else household_code(keys, household)


class HouseholdController(Controller):
    path = "/api/households/me"
    tags = ["households"]  # noqa: RUF012
    guards = RESIDENT

    @get("/", summary="My evacuation info (residents)")
    async def read(self, session: Session, caller: Caller, keys: DataKeys) -> HouseholdDocument:
        household, document = await load(session, keys, caller.account_id)
        audit(session, caller.account_id, "household.read", f"household:{household.id if household else 'none'}")
        return msgspec.convert(document, HouseholdDocument)

    @put("/", summary="Replace my evacuation info; errors name the field")
    async def write(
        self, session: Session, caller: Caller, keys: DataKeys, data: JSONBody[HouseholdIn]
    ) -> HouseholdDocument:
        household, document = await save(session, keys, caller.account_id, data)
        audit(session, caller.account_id, "household.write", f"household:{household.id}")
        return msgspec.convert(document, HouseholdDocument)

    @get("/qr.svg", summary="The household's QR code (SVG)", media_type="image/svg+xml")
    async def qr_svg(self, session: Session, caller: Caller, keys: DataKeys) -> Response[bytes]:
        code = await _code(session, keys, caller, None)
        return Response(qr.svg(code), headers=IMAGE_HEADERS, media_type="image/svg+xml")

    @get("/qr.png", summary="The household's QR code (PNG)", media_type="image/png")
    async def qr_png(self, session: Session, caller: Caller, keys: DataKeys) -> Response[bytes]:
        code = await _code(session, keys, caller, None)
        return Response(qr.png(code), headers=IMAGE_HEADERS, media_type="image/png")

    @get("/members/{member_id:str}/qr.svg", summary="A member's QR code (SVG)", media_type="image/svg+xml")
    async def member_svg(
        self, session: Session, caller: Caller, keys: DataKeys, member_id: FromPath[str]
    ) -> Response[bytes]:
        code = await _code(session, keys, caller, member_id)
        return Response(qr.svg(code), headers=IMAGE_HEADERS, media_type="image/svg+xml")

    @get("/members/{member_id:str}/qr.png", summary="A member's QR code (PNG)", media_type="image/png")
    async def member_png(
        self, session: Session, caller: Caller, keys: DataKeys, member_id: FromPath[str]
    ) -> Response[bytes]:
        code = await _code(session, keys, caller, member_id)
        return Response(qr.png(code), headers=IMAGE_HEADERS, media_type="image/png")

    @get("/qr", summary="The QR codes' text (household and members), for showing them offline")
    async def codes(self, session: Session, caller: Caller, keys: DataKeys) -> QrCodes:
        household = await _saved(session, keys, caller)
        audit(session, caller.account_id, "household.qr", f"household:{household.id}")
        members = {m: member_code(keys, household, m) for m in household.member_qr}
        return QrCodes(household=household_code(keys, household), members=members)

    @post(
        "/qr/reissue", summary="A new code for the household (or one member); the old one is revoked", status_code=200
    )
    async def reissue_code(
        self, session: Session, caller: Caller, keys: DataKeys, data: JSONBody[Reissue | None] = None
    ) -> Reissued:
        member_id = data.member_id if data else None
        household = await _saved(session, keys, caller)
        reissue(household, member_id)
        audit(session, caller.account_id, "household.qr_reissue", f"household:{household.id}", member=member_id)
        return Reissued(code=member_code(keys, household, member_id) if member_id else household_code(keys, household))


class QrController(Controller):
    path = "/api/qr"
    tags = ["households"]  # noqa: RUF012

    @get("/keys", guards=[anyone], summary="Public keys that sign QR codes (Ed25519), for verifying offline")
    async def public_keys(self, keys: DataKeys) -> PublicKeys:
        return PublicKeys(
            format="B1.<h|m>.<opaque id>.<key id>.<issue counter>.<signature of the first five parts, base64url>",
            keys=[
                PublicKey(kid=kid, alg="Ed25519", public_key=b64(public), current=kid == keys.qr_key_id)
                for kid, public in keys.public_keys.items()
            ],
        )
