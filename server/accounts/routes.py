"""Sign-in and accounts: POST /api/auth/login, /api/auth/logout, GET /api/auth/me,
POST /api/residents (a device-bound account) and /api/residents/recover; GET /api/audit."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromQuery, JSONBody
from sqlalchemy import String, cast, select

from server.accounts.auth import (
    COOKIE,
    client_bucket,
    json_only,
    json_or_nothing,
    session_response,
    signed_in,
    with_session_cookie,
)
from server.accounts.guards import Caller, Session, anyone, signed_in_as
from server.accounts.models import Account, AuditEvent
from server.accounts.schemas import AuditEntry, AuditLog, Me, NewResident, SignedOut
from server.accounts.service import (
    add_resident,
    check_password,
    check_recovery,
    clear_attempts,
    end_session,
    normal_email,
    start_session,
    take_attempt,
    throttle_key,
)
from server.db.engine import session_factory
from server.lib.errors import InvalidParameterError


class Login(msgspec.Struct):
    email: Annotated[str, msgspec.Meta(max_length=320)]
    password: Annotated[str, msgspec.Meta(max_length=1024)]


class Recovery(msgspec.Struct, rename="camel"):
    account_id: Annotated[str, msgspec.Meta(max_length=64)]
    recovery_code: Annotated[str, msgspec.Meta(max_length=64)]


def _account_key(account_id: str) -> str:
    """One throttle key per account, however its id is spelt (hyphens, braces, ``urn:uuid:``)."""
    try:
        return str(uuid.UUID(account_id.strip()))
    except ValueError:
        return account_id.strip().lower()


class AuthController(Controller):
    path = "/api/auth"
    tags = ["accounts"]  # noqa: RUF012

    @post(
        "/login",
        summary="Sign in with e-mail and password; sets the session cookie",
        status_code=200,
        guards=[anyone, json_only],
    )
    async def login(self, request: Request[Any, Any, Any], state: State, data: JSONBody[Login]) -> Response[Me]:
        """Throttled per client (10 tries a minute) and per (address, client): see
        server.accounts.service for why no answer tells an unknown address from a wrong password."""
        client = client_bucket(request)
        state.login_limit.check(client)
        if not data.email.strip() or not data.password:
            raise InvalidParameterError("email" if not data.email.strip() else "password", "is required")
        key = throttle_key("password", normal_email(data.email), client)
        await take_attempt(state.engine, key)
        async with session_factory(state.engine)() as session, session.begin():
            account = await check_password(session, data.email, data.password)
            await clear_attempts(session, key)
            token, _, lifetime = await start_session(session, account)
        return await session_response(request, state, token, lifetime)

    @post("/logout", summary="End this session", status_code=200, guards=[signed_in_as()])
    async def logout(self, request: Request[Any, Any, Any], session: Session) -> Response[SignedOut]:
        await end_session(session, request.cookies[COOKIE])
        response = Response(SignedOut(signed_out=True))
        response.delete_cookie(COOKIE, path="/")
        return response

    @get("/me", summary="Who is signed in: roles, scopes and the CSRF token for writes", guards=[signed_in_as()])
    async def whoami(self, caller: Caller) -> Me:
        return Me.of(caller)


class ResidentController(Controller):
    path = "/api/residents"
    tags = ["accounts"]  # noqa: RUF012

    @post(
        "/",
        summary="A device-bound resident account; the recovery code is shown this once",
        guards=[anyone, json_or_nothing],
    )
    async def create(self, request: Request[Any, Any, Any], state: State) -> Response[NewResident]:
        # Each account costs an argon2 hash: a few a minute per client.
        state.resident_limit.check(client_bucket(request))
        async with session_factory(state.engine)() as session, session.begin():
            account, code = await add_resident(session)
            token, _, lifetime = await start_session(session, account)
        me = Me.of(await signed_in(state, token))
        answer = NewResident(**msgspec.structs.asdict(me), recovery_code=code)
        return with_session_cookie(Response(answer, status_code=201), request, token, lifetime)

    @post(
        "/recover",
        summary="Sign in on a new device with the account id and recovery code",
        status_code=200,
        guards=[anyone, json_only],
    )
    async def recover(self, request: Request[Any, Any, Any], state: State, data: JSONBody[Recovery]) -> Response[Me]:
        """Throttled like password sign-in, per client and per (account id, client)."""
        client = client_bucket(request)
        state.login_limit.check(client)
        key = throttle_key("recovery", _account_key(data.account_id), client)
        await take_attempt(state.engine, key, "this account")
        async with session_factory(state.engine)() as session, session.begin():
            account = await check_recovery(session, data.account_id, data.recovery_code)
            await clear_attempts(session, key)
            token, _, lifetime = await start_session(session, account)
        return await session_response(request, state, token, lifetime)


class AuditController(Controller):
    path = "/api/audit"
    tags = ["accounts"]  # noqa: RUF012

    @get(
        "/",
        summary="The audit log, newest first (data admins): who read or changed whose data, when",
        guards=[signed_in_as("data_admin")],
    )
    async def log(
        self,
        state: State,
        actor: FromQuery[str | None] = None,
        subject: FromQuery[str | None] = None,
        action: FromQuery[str | None] = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        limit: FromQuery[int] = 100,
    ) -> AuditLog:
        if not 1 <= limit <= 1000:
            raise InvalidParameterError("limit", "from 1 to 1000")
        query = (
            select(AuditEvent, Account.email)
            .outerjoin(Account, Account.id == AuditEvent.actor_id)
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
        if actor:
            query = query.where((Account.email == normal_email(actor)) | (cast(AuditEvent.actor_id, String) == actor))
        if subject:
            query = query.where(AuditEvent.subject == subject)
        if action:
            query = query.where(AuditEvent.action.startswith(action, autoescape=True))
        if since:
            query = query.where(AuditEvent.created_at >= since)
        if until:
            query = query.where(AuditEvent.created_at < until)
        async with session_factory(state.read_engine)() as session:
            rows = (await session.execute(query)).all()
        return AuditLog(
            events=[
                AuditEntry(
                    at=event.created_at.isoformat(),
                    actor=event.actor_id,
                    actor_email=email,
                    action=event.action,
                    subject=event.subject,
                    details=event.details,
                )
                for event, email in rows
            ]
        )
