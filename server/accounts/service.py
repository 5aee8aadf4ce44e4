"""Accounts and sign-in: argon2id passwords, lock-out after repeated failures, a per-address
rate limit, random session tokens stored hashed, and a CSRF token per session."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import ROLES, Account, AccountRole, AuditEvent, AuthSession
from server.db.fast import Compiled, fetch
from server.facilities.models import Facility
from server.lib.errors import InvalidParameterError, TooManyRequestsError, UnauthorizedError
from server.lib.ids import uuid7
from server.municipalities.models import Municipality

HASHER = PasswordHasher()  # argon2id, the library's current parameters
MAX_FAILURES = 5
LOCKED_FOR = timedelta(minutes=15)
RESIDENT_SESSION = timedelta(days=365)  # the device is the account
OPERATOR_SESSION = timedelta(hours=12)
# A dummy hash, so a sign-in with an unknown e-mail costs what one with a wrong password does.
_DUMMY = HASHER.hash("not a password")


@dataclass(frozen=True)
class Scope:
    role: str
    municipality: str | None = None  # code
    shelter: str | None = None  # facility id


@dataclass(frozen=True)
class Principal:
    """Who is calling: the account, its roles with their scopes, and its session's CSRF token."""

    account_id: uuid.UUID
    kind: str
    email: str | None
    scopes: tuple[Scope, ...]
    csrf_token: str

    @property
    def roles(self) -> set[str]:
        return {s.role for s in self.scopes}

    def municipalities(self, role: str) -> set[str]:
        return {s.municipality for s in self.scopes if s.role == role and s.municipality}

    def shelters(self) -> set[str]:
        return {s.shelter for s in self.scopes if s.role == "staff" and s.shelter}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RateLimit:
    """At most ``limit`` attempts per key in a sliding window (per server process)."""

    def __init__(self, limit: int = 10, window_s: float = 60.0) -> None:
        self.limit, self.window_s = limit, window_s
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def check(self, key: str) -> None:
        now = time.monotonic()
        seen = self._seen[key]
        while seen and now - seen[0] > self.window_s:
            seen.popleft()
        if len(seen) >= self.limit:
            retry = int(self.window_s - (now - seen[0])) + 1
            raise TooManyRequestsError(f"too many sign-in attempts from this address; try again in {retry} s")
        seen.append(now)


@dataclass
class RoleRequest:
    role: str
    municipality: str | None = None
    shelters: list[str] = field(default_factory=list)


async def _role_rows(session: AsyncSession, account_id: uuid.UUID, request: RoleRequest) -> list[AccountRole]:
    if request.role not in ROLES:
        raise InvalidParameterError("role", f"unknown role {request.role!r}", list(ROLES))
    municipality_id = None
    if request.municipality:
        municipality_id = await session.scalar(select(Municipality.id).where(Municipality.code == request.municipality))
        if municipality_id is None:
            raise InvalidParameterError("municipality", f"no municipality with code {request.municipality}")
    if request.role == "municipal_hq" and municipality_id is None:
        raise InvalidParameterError("municipality", "municipal headquarters needs --municipality")
    if request.role == "staff":
        if not request.shelters:
            raise InvalidParameterError("shelter", "shelter staff needs at least one --shelter FACILITY_ID")
        rows = []
        for shelter in request.shelters:
            try:
                facility_id = uuid.UUID(shelter)
            except ValueError:
                raise InvalidParameterError("shelter", f"{shelter!r} is not a facility id") from None
            if await session.get(Facility, facility_id) is None:
                raise InvalidParameterError("shelter", f"no facility with id {shelter}")
            rows.append(AccountRole(account_id=account_id, role="staff", facility_id=facility_id))
        return rows
    return [AccountRole(account_id=account_id, role=request.role, municipality_id=municipality_id)]


async def add_operator(session: AsyncSession, email: str, password: str, roles: list[RoleRequest]) -> Account:
    """An e-mail account with roles; an existing one gains the roles and the new password."""
    if "@" not in email or len(email) > 254:
        raise InvalidParameterError("email", f"{email!r} is not an e-mail address")
    if len(password) < 12:
        raise InvalidParameterError("password", "at least 12 characters")
    account = await session.scalar(select(Account).where(Account.email.ilike(email)))
    if account is None:
        account = Account(id=uuid7(), kind="operator", email=email.strip())
        session.add(account)
    account.password_hash = HASHER.hash(password)
    account.disabled_at, account.failed_logins, account.locked_until = None, 0, None
    for request in roles:
        session.add_all(await _role_rows(session, account.id, request))
    return account


async def add_resident(session: AsyncSession) -> tuple[Account, str]:
    """A device-bound account; its recovery code is returned once and kept only as a hash."""
    code = "-".join(secrets.token_hex(2).upper() for _ in range(5))
    account = Account(id=uuid7(), kind="resident", recovery_hash=HASHER.hash(code))
    session.add(account)
    session.add(AccountRole(account_id=account.id, role="resident"))
    return account, code


async def start_session(session: AsyncSession, account: Account) -> tuple[str, str, timedelta]:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    lifetime = RESIDENT_SESSION if account.kind == "resident" else OPERATOR_SESSION
    session.add(
        AuthSession(
            token_hash=token_hash(token),
            account_id=account.id,
            csrf_token=csrf,
            expires_at=datetime.now(UTC) + lifetime,
        )
    )
    return token, csrf, lifetime


async def check_password(session: AsyncSession, email: str, password: str) -> Account:
    """The account, if the password is right and it is neither disabled nor locked. Failures
    count towards a lock-out; the answer never says whether the e-mail exists."""
    account = await session.scalar(select(Account).where(Account.email.ilike(email.strip())))
    now = datetime.now(UTC)
    if account is None or account.password_hash is None:
        _spend_time()
        raise UnauthorizedError("the e-mail address or the password is wrong")
    if account.locked_until and account.locked_until > now:
        minutes = int((account.locked_until - now).total_seconds() // 60) + 1
        raise TooManyRequestsError(f"too many failed sign-ins: this account is locked for {minutes} more minutes")
    try:
        HASHER.verify(account.password_hash, password)
    except VerificationError:
        account.failed_logins += 1
        if account.failed_logins >= MAX_FAILURES:
            account.locked_until, account.failed_logins = now + LOCKED_FOR, 0
        raise UnauthorizedError("the e-mail address or the password is wrong") from None
    if account.disabled_at is not None:
        raise UnauthorizedError("this account is disabled")
    account.failed_logins, account.locked_until = 0, None
    if HASHER.check_needs_rehash(account.password_hash):
        account.password_hash = HASHER.hash(password)
    return account


def _spend_time() -> None:
    with contextlib.suppress(VerificationError):
        HASHER.verify(_DUMMY, "something else")


async def check_recovery(session: AsyncSession, account_id: str, code: str) -> Account:
    try:
        key = uuid.UUID(account_id)
    except ValueError:
        raise UnauthorizedError("the account or the recovery code is wrong") from None
    account = await session.get(Account, key)
    if account is None or account.recovery_hash is None or account.disabled_at is not None:
        raise UnauthorizedError("the account or the recovery code is wrong")
    try:
        HASHER.verify(account.recovery_hash, code.strip().upper())
    except VerificationError:
        raise UnauthorizedError("the account or the recovery code is wrong") from None
    return account


# The live session's account with its roles: one query, run by every request that signs in.
PRINCIPAL = Compiled(
    select(
        Account.id,
        Account.kind,
        Account.email,
        AuthSession.csrf_token,
        AccountRole.role,
        Municipality.code,
        AccountRole.facility_id,
    )
    .join(Account, Account.id == AuthSession.account_id)
    .outerjoin(AccountRole, AccountRole.account_id == Account.id)
    .outerjoin(Municipality, Municipality.id == AccountRole.municipality_id)
    .where(
        AuthSession.token_hash == bindparam("token"),
        AuthSession.expires_at > func.now(),
        Account.disabled_at.is_(None),
    )
    .order_by(AccountRole.role)
)


async def principal(pool: asyncpg.Pool, token: str) -> Principal | None:
    rows = await fetch(pool, PRINCIPAL, token=token_hash(token))
    if not rows:
        return None
    account_id, kind, email, csrf, *_ = rows[0]
    scopes = tuple(Scope(role, code, str(facility) if facility else None) for *_, role, code, facility in rows if role)
    return Principal(account_id, kind, email, scopes, csrf)


async def end_session(session: AsyncSession, token: str) -> None:
    await session.execute(delete(AuthSession).where(AuthSession.token_hash == token_hash(token)))


def audit(session: AsyncSession, actor: uuid.UUID | None, action: str, subject: str, **details: object) -> None:
    session.add(AuditEvent(actor_id=actor, action=action, subject=subject, details=details))
