"""GET/PUT /api/households/me (residents), their QR codes, and QR verification for staff;
GET /api/qr/keys (public) for verifying offline. Every read and write is audit-logged."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.auth import signed_in
from server.accounts.service import audit
from server.db.engine import session_factory
from server.households import qr
from server.households.models import Household
from server.households.schemas import HouseholdIn, validation_path
from server.households.service import household_code, load, member_code, reissue, save, verify_code
from server.lib.errors import InvalidParameterError, NotFoundError, UnprocessableError
from server.lib.keys import Keys, b64, require
from server.shelters.people import at_door

VERIFIERS = ("staff", "municipal_hq", "prefectural_hq")
IMAGE_HEADERS = {"Cache-Control": "no-store"}


async def _saved(session: AsyncSession, keys: Keys, account_id: uuid.UUID) -> Household:
    """The caller's household, which must have been saved (it has no QR code before)."""
    household, _ = await load(session, keys, account_id)
    if household is None:
        raise NotFoundError("save your household first: it has no QR code yet")
    return household


def _keys(state: State) -> Keys:
    return require(state.crypto)


class HouseholdController(Controller):
    path = "/api/households/me"
    tags = ["households"]  # noqa: RUF012

    @get("/", summary="My evacuation info (residents)")
    async def read(self, request: Request[Any, Any, Any], state: State) -> dict[str, Any]:
        caller = await signed_in(request, state, "resident")
        async with session_factory(state.engine)() as session, session.begin():
            household, document = await load(session, _keys(state), caller.account_id)
            audit(session, caller.account_id, "household.read", f"household:{household.id if household else 'none'}")
        return document

    @put("/", summary="Replace my evacuation info; errors name the field")
    async def write(self, request: Request[Any, Any, Any], state: State) -> dict[str, Any]:
        caller = await signed_in(request, state, "resident")
        try:
            data = msgspec.json.decode(await request.body(), type=HouseholdIn)
        except msgspec.ValidationError as exc:
            name, reason = validation_path(str(exc))
            raise InvalidParameterError(name, reason) from None
        except msgspec.DecodeError:
            raise InvalidParameterError("body", "not valid JSON") from None
        async with session_factory(state.engine)() as session, session.begin():
            household, document = await save(session, _keys(state), caller.account_id, data)
            audit(session, caller.account_id, "household.write", f"household:{household.id}")
        return document

    @get("/qr.svg", summary="The household's QR code (SVG)", media_type="image/svg+xml")
    async def qr_svg(self, request: Request[Any, Any, Any], state: State) -> Response[bytes]:
        return Response(
            qr.svg(await self._code(request, state, None)), headers=IMAGE_HEADERS, media_type="image/svg+xml"
        )

    @get("/qr.png", summary="The household's QR code (PNG)", media_type="image/png")
    async def qr_png(self, request: Request[Any, Any, Any], state: State) -> Response[bytes]:
        return Response(qr.png(await self._code(request, state, None)), headers=IMAGE_HEADERS, media_type="image/png")

    @get("/members/{member_id:str}/qr.svg", summary="A member's QR code (SVG)", media_type="image/svg+xml")
    async def member_svg(
        self, request: Request[Any, Any, Any], state: State, member_id: FromPath[str]
    ) -> Response[bytes]:
        return Response(
            qr.svg(await self._code(request, state, member_id)), headers=IMAGE_HEADERS, media_type="image/svg+xml"
        )

    @get("/members/{member_id:str}/qr.png", summary="A member's QR code (PNG)", media_type="image/png")
    async def member_png(
        self, request: Request[Any, Any, Any], state: State, member_id: FromPath[str]
    ) -> Response[bytes]:
        return Response(
            qr.png(await self._code(request, state, member_id)), headers=IMAGE_HEADERS, media_type="image/png"
        )

    @get("/qr", summary="The QR codes' text (household and members), for showing them offline")
    async def codes(self, request: Request[Any, Any, Any], state: State) -> dict[str, Any]:
        caller = await signed_in(request, state, "resident")
        keys = _keys(state)
        async with session_factory(state.engine)() as session, session.begin():
            household = await _saved(session, keys, caller.account_id)
            audit(session, caller.account_id, "household.qr", f"household:{household.id}")
            members = {m: member_code(keys, household, m) for m in household.member_qr}
            return {"household": household_code(keys, household), "members": members}

    @post(
        "/qr/reissue", summary="A new code for the household (or one member); the old one is revoked", status_code=200
    )
    async def reissue_code(self, request: Request[Any, Any, Any], state: State) -> dict[str, Any]:
        caller = await signed_in(request, state, "resident")
        body = await request.body()
        member_id = msgspec.json.decode(body).get("memberId") if body.strip() else None
        keys = _keys(state)
        async with session_factory(state.engine)() as session, session.begin():
            household = await _saved(session, keys, caller.account_id)
            reissue(household, member_id)
            audit(session, caller.account_id, "household.qr_reissue", f"household:{household.id}", member=member_id)
            code = member_code(keys, household, member_id) if member_id else household_code(keys, household)
        return {"code": code}

    async def _code(self, request: Request[Any, Any, Any], state: State, member_id: str | None) -> str:
        caller = await signed_in(request, state, "resident")
        keys = _keys(state)
        async with session_factory(state.engine)() as session, session.begin():
            household = await _saved(session, keys, caller.account_id)
            audit(session, caller.account_id, "household.qr", f"household:{household.id}", member=member_id)
            return member_code(keys, household, member_id) if member_id else household_code(keys, household)


class QrController(Controller):
    path = "/api/qr"
    tags = ["households"]  # noqa: RUF012

    @get("/keys", summary="Public keys that sign QR codes (Ed25519), for verifying offline")
    async def public_keys(self, state: State) -> dict[str, Any]:
        keys = _keys(state)
        return {
            "format": "B1.<h|m>.<opaque id>.<key id>.<issue counter>.<signature of the first five parts, base64url>",
            "keys": [
                {"kid": kid, "alg": "Ed25519", "publicKey": b64(public), "current": kid == keys.qr_key_id}
                for kid, public in keys.public_keys.items()
            ],
        }

    @post(
        "/verify",
        summary="Verify a scanned code (staff, headquarters); with shelterId, the household as staff see it",
        status_code=200,
    )
    async def verify(self, request: Request[Any, Any, Any], state: State) -> dict[str, Any]:
        caller = await signed_in(request, state, *VERIFIERS)
        try:
            body = msgspec.json.decode(await request.body())
            text, shelter = str(body.get("qr", "")), body.get("shelterId")
        except (msgspec.DecodeError, AttributeError):
            raise InvalidParameterError("qr", 'send {"qr": "<the scanned text>"}') from None
        async with session_factory(state.engine)() as session, session.begin():
            try:
                code, household, member = await verify_code(session, _keys(state), text)
            except qr.QrError as exc:
                audit(session, caller.account_id, "qr.rejected", "qr", reason=str(exc))
                raise UnprocessableError(f"QR code refused: {exc}") from None
            audit(session, caller.account_id, "qr.verify", f"household:{household.id}", member=member)
            answer = {"valid": True, "kind": code.kind, "household": str(household.id), "member": member}
            if shelter:
                # Shown at the door to be let in: the shelter's operators see the household.
                answer["view"] = await at_door(session, _keys(state), caller, str(shelter), household)
        return answer
