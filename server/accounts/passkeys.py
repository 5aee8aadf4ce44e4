"""Passkeys (WebAuthn): a signed-in account adds one; later it signs in with it, on this device or
another one its platform syncs passkeys to. The relying party is the host the app is served from."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

import msgspec
from litestar import Controller, Request, Response, post
from litestar.datastructures import State
from litestar.params import JSONBody
from sqlalchemy import delete, select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import options_to_json_dict
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from server.accounts.auth import client_bucket, json_only, session_response
from server.accounts.guards import Caller, anyone, signed_in_as
from server.accounts.models import Account, Passkey, PasskeyChallenge
from server.accounts.schemas import (
    CreationOptions,
    LoginOptions,
    Me,
    PasskeyAdded,
    RegistrationOptions,
    RequestOptions,
)
from server.accounts.service import start_session
from server.db.engine import session_factory
from server.lib.errors import InvalidParameterError, UnauthorizedError
from server.lib.ids import uuid7
from server.lib.keys import b64, unb64

CHALLENGE_LIFETIME = timedelta(minutes=5)


def relying_party(request: Request[Any, Any, Any]) -> tuple[str, str]:
    """(RP id, origin): BOSAI_PUBLIC_URL's when set, else the host the request came to. Forwarded
    headers count only from BOSAI_TRUSTED_PROXIES (uvicorn applies them to the request's URL)."""
    public = request.app.state.settings.server.public_url
    if public:
        parts = urlsplit(public)
        return parts.hostname or "", f"{parts.scheme}://{parts.netloc}"
    host = request.headers.get("host") or request.url.netloc
    return host.split(":")[0], f"{request.url.scheme}://{host}"


async def _challenge(state: State, purpose: str, account_id: uuid.UUID | None, challenge: bytes) -> str:
    async with session_factory(state.engine)() as session, session.begin():
        await session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.expires_at < datetime.now(UTC)))
        row = PasskeyChallenge(
            id=uuid7(),
            challenge=challenge,
            purpose=purpose,
            account_id=account_id,
            expires_at=datetime.now(UTC) + CHALLENGE_LIFETIME,
        )
        session.add(row)
    return str(row.id)


async def _take_challenge(state: State, challenge_id: str, purpose: str) -> PasskeyChallenge:
    """The challenge, removed: it is good for one answer."""
    try:
        key = uuid.UUID(challenge_id)
    except ValueError:
        raise InvalidParameterError("challengeId", "unknown or expired; ask for new options") from None
    async with session_factory(state.engine)() as session, session.begin():
        row = await session.get(PasskeyChallenge, key)
        if row is None or row.purpose != purpose or row.expires_at < datetime.now(UTC):
            raise InvalidParameterError("challengeId", "unknown or expired; ask for new options")
        await session.delete(row)
    return row


class PasskeyAnswer(msgspec.Struct, rename="camel"):
    """What the browser's authenticator answered to our options, with the options' challenge id."""

    challenge_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    # PublicKeyCredential.toJSON(): checked by py_webauthn against the challenge and the key.
    credential: dict[str, Any]


class PasskeyController(Controller):
    path = "/api/auth/passkeys"
    tags = ["accounts"]  # noqa: RUF012

    @post(
        "/register/options",
        summary="Options for adding a passkey to the signed-in account",
        status_code=200,
        guards=[signed_in_as()],
    )
    async def register_options(
        self, request: Request[Any, Any, Any], state: State, caller: Caller
    ) -> RegistrationOptions:
        rp_id, _ = relying_party(request)
        async with session_factory(state.engine)() as session:
            existing = (
                await session.scalars(select(Passkey.credential_id).where(Passkey.account_id == caller.account_id))
            ).all()
        options = generate_registration_options(
            rp_id=rp_id,
            rp_name="Bosai 防災",
            user_id=caller.account_id.bytes,
            user_name=caller.email or f"resident-{str(caller.account_id)[:8]}",
            user_display_name=caller.email or "防災アプリ",
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.PREFERRED
            ),
            exclude_credentials=[PublicKeyCredentialDescriptor(id=unb64(c)) for c in existing],
        )
        challenge_id = await _challenge(state, "register", caller.account_id, options.challenge)
        return RegistrationOptions(challenge_id, msgspec.convert(options_to_json_dict(options), CreationOptions))

    @post("/register", summary="Keep the passkey the browser made", status_code=201, guards=[signed_in_as()])
    async def register(
        self, request: Request[Any, Any, Any], state: State, caller: Caller, data: JSONBody[PasskeyAnswer]
    ) -> PasskeyAdded:
        challenge = await _take_challenge(state, data.challenge_id, "register")
        if challenge.account_id != caller.account_id:
            raise InvalidParameterError("challengeId", "belongs to another account")
        rp_id, origin = relying_party(request)
        try:
            verified = verify_registration_response(
                credential=data.credential,
                expected_challenge=challenge.challenge,
                expected_rp_id=rp_id,
                expected_origin=origin,
            )
        except WebAuthnException as exc:
            raise InvalidParameterError("credential", f"not accepted: {exc}") from None
        async with session_factory(state.engine)() as session, session.begin():
            session.add(
                Passkey(
                    account_id=caller.account_id,
                    credential_id=b64(verified.credential_id),
                    public_key=verified.credential_public_key,
                    sign_count=verified.sign_count,
                )
            )
        return PasskeyAdded(added=True)

    @post(
        "/login/options",
        summary="Options for signing in with a passkey (any account's)",
        status_code=200,
        guards=[anyone],
    )
    async def login_options(self, request: Request[Any, Any, Any], state: State) -> LoginOptions:
        state.login_limit.check(client_bucket(request))
        rp_id, _ = relying_party(request)
        options = generate_authentication_options(rp_id=rp_id, user_verification=UserVerificationRequirement.PREFERRED)
        challenge_id = await _challenge(state, "login", None, options.challenge)
        return LoginOptions(challenge_id, msgspec.convert(options_to_json_dict(options), RequestOptions))

    @post(
        "/login",
        summary="Sign in with a passkey; sets the session cookie",
        status_code=200,
        guards=[anyone, json_only],
    )
    async def login(self, request: Request[Any, Any, Any], state: State, data: JSONBody[PasskeyAnswer]) -> Response[Me]:
        challenge = await _take_challenge(state, data.challenge_id, "login")
        rp_id, origin = relying_party(request)
        credential_id = str(data.credential.get("id", ""))
        async with session_factory(state.engine)() as session, session.begin():
            passkey = await session.scalar(select(Passkey).where(Passkey.credential_id == credential_id))
            account = await session.get(Account, passkey.account_id) if passkey else None
            if passkey is None or account is None or account.disabled_at is not None:
                raise UnauthorizedError("this passkey belongs to no account here")
            try:
                verified = verify_authentication_response(
                    credential=data.credential,
                    expected_challenge=challenge.challenge,
                    expected_rp_id=rp_id,
                    expected_origin=origin,
                    credential_public_key=passkey.public_key,
                    credential_current_sign_count=passkey.sign_count,
                )
            except WebAuthnException as exc:
                raise UnauthorizedError(f"the passkey's answer is not valid: {exc}") from None
            passkey.sign_count, passkey.last_used_at = verified.new_sign_count, datetime.now(UTC)
            token, _, lifetime = await start_session(session, account)
        return await session_response(request, state, token, lifetime)
