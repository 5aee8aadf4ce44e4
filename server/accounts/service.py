"""Accounts and sign-in: argon2id passwords, e-mail addresses compared exactly once normalised,
failed sign-ins throttled per (identity, client), a per-client rate limit, random session tokens
stored hashed, and a CSRF token per session.

Throttling, and why it says nothing about accounts: every sign-in attempt first counts against the
pair (identity typed, client address) in ``sign_in_throttle`` (:func:`take_attempt`), before the
account is even looked up; the identity is the normalised address (or the resident account id)
as typed, whether or not an account has it. After :data:`FREE_FAILURES` failures in a row, the
pair waits 1 s before its next try, then 2, 4, … up to :data:`MAX_WAIT_S`; a try made while waiting
gets 429 with ``Retry-After`` and is not checked at all. An unknown address, a wrong password and a
throttled pair therefore answer alike: unknown and wrong both run one argon2 verification (against
a dummy hash when there is no account) and give the same 401 body; the 429 depends only on what
this client itself sent. Nothing is kept per account, so a stranger cannot lock the owner out: the
owner's own client (another address) has its own, clean pair. A success clears its pair.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import secrets
import time
import unicodedata
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.accounts.models import ROLES, Account, AccountRole, AuditEvent, AuthSession, SignInThrottle
from server.db.engine import session_factory
from server.db.fast import Compiled, fetch
from server.lib.errors import InvalidParameterError, TooManyRequestsError, UnauthorizedError
from server.lib.ids import uuid7
from server.municipalities.models import Municipality

HASHER = PasswordHasher()  # argon2id, the library's current parameters
FREE_FAILURES = 5  # failures in a row (per identity and client) before the first wait
MAX_WAIT_S = 900
FORGET_AFTER = timedelta(days=1)  # a pair quiet this long starts again from zero
WRONG_PASSWORD = "the e-mail address or the password is wrong"  # noqa: S105 - a message, not a password
WRONG_RECOVERY = "the account or the recovery code is wrong"
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


def normal_email(raw: str) -> str:
    """The one form an address is stored and looked up in: NFKC (full-width letters become ASCII),
    trimmed, lower case."""
    return unicodedata.normalize("NFKC", raw).strip().lower()


def _plausible(address: str) -> bool:
    # PostgreSQL refuses NUL in text: such an address is no account's, and must not reach the database.
    return "@" in address and len(address) <= 254 and "\x00" not in address


class ThrottledError(TooManyRequestsError):
    """429 with ``Retry-After`` (whole seconds)."""

    def __init__(self, detail: str, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f"{detail}; try again in {self.retry_after} s", retryAfter=self.retry_after)


class RateLimit:
    """At most ``limit`` attempts per key (a client) in a sliding window (per server process)."""

    def __init__(self, limit: int = 10, window_s: float = 60.0, what: str = "sign-in attempts") -> None:
        self.limit, self.window_s, self.what = limit, window_s, what
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def check(self, key: str) -> None:
        now = time.monotonic()
        if len(self._seen) > 50_000:  # many clients: forget those whose window has passed
            for stale in [k for k, v in self._seen.items() if not v or now - v[-1] > self.window_s]:
                del self._seen[stale]
        seen = self._seen[key]
        while seen and now - seen[0] > self.window_s:
            seen.popleft()
        if len(seen) >= self.limit:
            raise ThrottledError(
                f"too many {self.what} from this address (at most {self.limit} in {self.window_s:g} s)",
                self.window_s - (now - seen[0]),
            )
        seen.append(now)


def now() -> datetime:
    """The throttle's clock (tests move it instead of sleeping)."""
    return datetime.now(UTC)


def wait_after(failures: int) -> float:
    """Seconds a pair waits after ``failures`` failed tries in a row."""
    return 0.0 if failures < FREE_FAILURES else float(min(2 ** (failures - FREE_FAILURES), MAX_WAIT_S))


def throttle_key(kind: str, identity: str, client: str) -> str:
    return hashlib.sha256("\x00".join((kind, identity, client)).encode("utf-8", "surrogatepass")).hexdigest()


async def take_attempt(engine: AsyncEngine, key: str, what: str = "this e-mail address") -> None:
    """Count one sign-in try of a pair (see the module's docstring), committed before the password
    is checked so that concurrent tries queue on the row; a success clears it (:func:`clear_attempts`).

    Raises:
        ThrottledError: this pair must still wait; nothing else is checked.
    """
    at = now()
    async with session_factory(engine)() as session, session.begin():
        await session.execute(
            insert(SignInThrottle)
            .values(key=key, failures=0, retry_at=at, updated_at=at)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        row = await session.get(SignInThrottle, key, with_for_update=True, populate_existing=True)
        assert row is not None  # noqa: S101 - inserted above or already there
        if row.retry_at > at:
            raise ThrottledError(
                f"too many failed sign-ins with {what} from this network address", (row.retry_at - at).total_seconds()
            )
        failures = (0 if row.updated_at < at - FORGET_AFTER else row.failures) + 1
        row.failures, row.retry_at, row.updated_at = failures, at + timedelta(seconds=wait_after(failures)), at
        await session.execute(
            delete(SignInThrottle).where(SignInThrottle.updated_at < at - FORGET_AFTER, SignInThrottle.retry_at < at)
        )


async def clear_attempts(session: AsyncSession, key: str) -> None:
    await session.execute(delete(SignInThrottle).where(SignInThrottle.key == key))


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
            row = AccountRole(account_id=account_id, role="staff", facility_id=facility_id)
            try:  # the foreign key says whether the facility exists (accounts sits below facilities)
                async with session.begin_nested():
                    session.add(row)
                    await session.flush()
            except IntegrityError:
                raise InvalidParameterError("shelter", f"no facility with id {shelter}") from None
            rows.append(row)
        return rows
    return [AccountRole(account_id=account_id, role=request.role, municipality_id=municipality_id)]


async def add_operator(session: AsyncSession, email: str, password: str, roles: list[RoleRequest]) -> Account:
    """An e-mail account with roles; an existing one gains the roles and the new password."""
    email = normal_email(email)
    if not _plausible(email):
        raise InvalidParameterError("email", f"{email!r} is not an e-mail address")
    if len(password) < 12:
        raise InvalidParameterError("password", "at least 12 characters")
    account = await session.scalar(select(Account).where(Account.email == email))
    if account is None:
        account = Account(id=uuid7(), kind="operator", email=email)
        session.add(account)
    account.password_hash = HASHER.hash(password)
    account.disabled_at = None
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


@dataclass(frozen=True)
class OperatorRole:
    """One role of an operator account, as ``bosai users list`` shows it."""

    email: str
    disabled: bool
    role: str
    municipality: str | None  # the code, for municipal headquarters
    shelter: uuid.UUID | None  # the facility, for staff


async def list_operators(session: AsyncSession) -> list[OperatorRole]:
    """Every role of every operator account, by address then role."""
    result = await session.execute(
        select(Account.email, Account.disabled_at, AccountRole.role, Municipality.code, AccountRole.facility_id)
        .join(AccountRole, AccountRole.account_id == Account.id)
        .outerjoin(Municipality, Municipality.id == AccountRole.municipality_id)
        .where(Account.kind == "operator")
        .order_by(Account.email, AccountRole.role)
    )
    # The check constraint operator_has_email: an operator's address is never NULL.
    return [
        OperatorRole(email or "", disabled is not None, role, code, shelter)
        for email, disabled, role, code, shelter in result.all()
    ]


async def disable_operator(session: AsyncSession, email: str) -> bool:
    """Disable the account of exactly this address (once normalised) and end its sessions; False
    when there is none. Compared with ``=``, never a pattern: ``%`` is no one's address."""
    account = await session.scalar(select(Account).where(Account.email == normal_email(email)))
    if account is None:
        return False
    account.disabled_at = datetime.now(UTC)
    await session.execute(delete(AuthSession).where(AuthSession.account_id == account.id))
    return True


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
    """The account, if the address (compared exactly, once normalised) and the password are right
    and it is not disabled. An unknown address costs one argon2 verification like a wrong password
    and gets the same answer; throttling is the caller's (:func:`take_attempt`)."""
    address = normal_email(email)
    account = await session.scalar(select(Account).where(Account.email == address)) if _plausible(address) else None
    if account is None or account.password_hash is None:
        _spend_time(password)
        raise UnauthorizedError(WRONG_PASSWORD)
    try:
        HASHER.verify(account.password_hash, password)
    except VerificationError:
        raise UnauthorizedError(WRONG_PASSWORD) from None
    if account.disabled_at is not None:
        raise UnauthorizedError("this account is disabled")
    if HASHER.check_needs_rehash(account.password_hash):
        account.password_hash = HASHER.hash(password)
    return account


def _spend_time(secret: str) -> None:
    with contextlib.suppress(VerificationError):
        HASHER.verify(_DUMMY, secret)


async def check_recovery(session: AsyncSession, account_id: str, code: str) -> Account:
    """The resident account, if the recovery code is right; unknown accounts cost the same."""
    try:
        key = uuid.UUID(account_id)
    except ValueError:
        key = None
    account = await session.get(Account, key) if key else None
    if account is None or account.recovery_hash is None or account.disabled_at is not None:
        _spend_time(code)
        raise UnauthorizedError(WRONG_RECOVERY)
    try:
        HASHER.verify(account.recovery_hash, code.strip().upper())
    except VerificationError:
        raise UnauthorizedError(WRONG_RECOVERY) from None
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
