"""``bosai alerts worker``: takes jobs of push deliveries from the queue and delivers them. A job's
deliveries are read in one short transaction, sent concurrently outside any transaction (a push
service may take seconds), and their outcomes written in another, each row guarded by its state: a
job run twice sends again only to those whose result the first run never recorded."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

import asyncpg
from pgqueuer import Job, QueueManager
from pgqueuer.core.executors import DatabaseRetryEntrypointExecutor, EntrypointExecutorParameters
from pgqueuer.domain.types import QueueExecutionMode
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from server.alerts import family
from server.alerts.models import Alert
from server.alerts.push import Outcome, Sender, topic
from server.alerts.queue import ENTRYPOINT, SETTINGS, enqueue, queries, unpack
from server.db.engine import create_engine, database_url, session_factory
from server.lib.errors import ServiceUnavailableError
from server.lib.keys import b64, load_vapid
from server.settings import Settings

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
VERY_HIGH_TSUNAMI = {"大津波警報", "津波警報"}
#: Pushes in flight at once per worker process: the push services answer in tens of milliseconds
#: to seconds, and a worker waiting on one at a time spent its time idle.
IN_FLIGHT: Final = 64
#: Jobs a worker process holds at once (PgQueuer wants at least twice the dequeue batch).
JOBS_AT_ONCE: Final = 4
IDS = ARRAY(UUID(as_uuid=True))

#: The job's rows, made if new and taken (``claimed_by``) at once. Rows already there are taken
#: unless another job holds them: a job run again after a crash takes up its own, and a retried row
#: is let go when it is queued again.
MAKE = text(
    """
    INSERT INTO delivery (id, alert_id, subscription_id, claimed_by)
    SELECT gen_random_uuid(), :alert, s, :job FROM unnest(:subscriptions) s
    ON CONFLICT (alert_id, subscription_id) DO NOTHING
    RETURNING id, attempts, subscription_id
    """
).bindparams(bindparam("subscriptions", type_=IDS))
TAKE = text(
    """
    UPDATE delivery SET claimed_by = :job, updated_at = now()
    WHERE alert_id = :alert AND subscription_id = ANY(:subscriptions) AND state = 'queued'
        AND (claimed_by IS NULL OR claimed_by = :job)
    RETURNING id, attempts, subscription_id
    """
).bindparams(bindparam("subscriptions", type_=IDS))
#: Where each subscription is to be sent, and whether it still lies in the alert's area (a lifting
#: may have taken its place off the alert since it was queued).
READ = text(
    """
    SELECT s.id, s.endpoint, s.p256dh, s.auth, s.languages,
        s.municipalities && a.municipalities
            OR (a.area IS NOT NULL AND s.circles IS NOT NULL AND ST_Intersects(s.circles, a.area)) AS inside
    FROM push_subscription s JOIN alert a ON a.id = :alert
    WHERE s.id = ANY(:subscriptions)
    """
).bindparams(bindparam("subscriptions", type_=IDS))
SETTLE = text(
    """
    UPDATE delivery
    SET state = :state, attempts = attempts + :tried, last_status = :status, claimed_by = NULL, updated_at = now()
    WHERE id = ANY(:ids) AND state = 'queued'
    """
).bindparams(bindparam("ids", type_=IDS))
GONE = text("DELETE FROM push_subscription WHERE id = ANY(:ids)").bindparams(bindparam("ids", type_=IDS))


def urgency(alert: Alert) -> str:
    """RFC 8030 Urgency: very-high wakes a sleeping phone at once."""
    if alert.action == "cancel":
        return "normal"
    if alert.level == 5 or (alert.kind == "tsunami" and alert.name in VERY_HIGH_TSUNAMI):
        return "very-high"
    if alert.level == 4 or alert.kind == "tsunami" or (alert.intensity or 0) >= 5:
        return "high"
    return "normal"


def payload(alert: Alert, languages: list[str], base_url: str) -> bytes:
    language = next((lang for lang in languages if lang in alert.headline), "ja")
    document = {
        "alertId": str(alert.id),
        "kind": alert.kind,
        "level": alert.level,
        "headline": alert.headline.get(language) or alert.headline["ja"],
        "url": f"{base_url}/alerts/{alert.id}",
        "action": alert.action,
        "status": alert.status,
        "lang": language,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Push:
    """One delivery as taken for sending."""

    delivery_id: uuid.UUID
    attempts: int
    subscription_id: uuid.UUID
    endpoint: str
    p256dh: str
    auth: str
    languages: tuple[str, ...]


@dataclass
class Settled:
    """Outcomes of a job's deliveries, gathered to be written with one statement per kind."""

    rows: dict[tuple[str, int, int | None], list[uuid.UUID]] = field(default_factory=lambda: defaultdict(list))
    gone: list[uuid.UUID] = field(default_factory=list)
    retry: dict[float, list[uuid.UUID]] = field(default_factory=lambda: defaultdict(list))

    def add(self, delivery_id: uuid.UUID, state: str, status: int | None, *, tried: bool = True) -> None:
        self.rows[(state, int(tried), status)].append(delivery_id)

    def counts(self) -> Counter[str]:
        return Counter({state: len(ids) for (state, _, _), ids in self.rows.items()})


@dataclass
class Deliverer:
    """What a worker needs to deliver jobs."""

    settings: Settings
    sender: Sender
    backoff_s: float = 30.0

    def __post_init__(self) -> None:
        self.engine = create_engine(self.settings.database)
        self.sessions = session_factory(self.engine)
        self.in_flight = asyncio.Semaphore(IN_FLIGHT)

    async def deliver(self, job: int, alert_id: uuid.UUID, subscriptions: Sequence[uuid.UUID]) -> Counter[str]:
        """Deliver an alert to a job's subscriptions; how many ended in each state."""
        now = datetime.now(UTC)
        settled = Settled()
        async with self.sessions() as session, session.begin():
            alert = await session.get(Alert, alert_id)
            if alert is None:
                return Counter()  # deleted with its deliveries
            which = {"alert": alert_id, "subscriptions": list(subscriptions)}
            taken = list((await session.execute(MAKE, {**which, "job": job})).all())
            if len(taken) < len(subscriptions):
                made = {row.subscription_id for row in taken}
                rest = [s for s in subscriptions if s not in made]
                taken += (await session.execute(TAKE, {**which, "subscriptions": rest, "job": job})).all()
            if not taken:
                return Counter()
            found = {row.id: row for row in await session.execute(READ, which)}
            sending: list[Push] = []
            for delivery_id, attempts, subscription_id in taken:
                to = found.get(subscription_id)
                if to is None:
                    settled.add(delivery_id, "removed", None, tried=False)
                elif now >= alert.expires_at or alert.cancelled_at is not None or not to.inside:
                    # Nothing after its time, nor once withdrawn or lifted where the subscriber is.
                    settled.add(delivery_id, "expired", None, tried=False)
                else:
                    sending.append(
                        Push(delivery_id, attempts, to.id, to.endpoint, to.p256dh, to.auth, tuple(to.languages))
                    )
            await self._write(session, alert_id, settled)
        bodies: dict[tuple[str, ...], bytes] = {}
        for push in sending:
            if push.languages not in bodies:
                bodies[push.languages] = payload(alert, list(push.languages), self.settings.server.base_url)
        outcomes = await asyncio.gather(*(self._send(p, alert, bodies[p.languages], now) for p in sending))
        done = Settled()
        for push, outcome in zip(sending, outcomes, strict=True):
            self._settle(done, push, outcome, alert.expires_at)
        async with self.sessions() as session, session.begin():
            await self._write(session, alert_id, done)
        return settled.counts() + done.counts()

    async def _send(self, push: Push, alert: Alert, body: bytes, now: datetime) -> Outcome:
        async with self.in_flight:
            try:
                return await self.sender.send(
                    push.endpoint,
                    push.p256dh,
                    push.auth,
                    body,
                    ttl_s=int((alert.expires_at - now).total_seconds()),
                    urgency=urgency(alert),
                    topic=topic(alert.kind, alert.hazard, *sorted(alert.municipalities)),
                )
            except Exception:
                # One subscription's fault (a key that does not decode) must not fail its job's
                # other deliveries, which would then be sent again.
                log.exception("delivery %s could not be sent", push.delivery_id)
                return Outcome("failed", None)

    def _settle(self, settled: Settled, push: Push, outcome: Outcome, expires_at: datetime) -> None:
        attempts = push.attempts + 1
        if outcome.result == "sent":
            settled.add(push.delivery_id, "sent", outcome.status)
        elif outcome.result == "gone":
            # The browser unsubscribed or the subscription expired: forget it (RFC 8030 §6.2).
            settled.add(push.delivery_id, "removed", outcome.status)
            settled.gone.append(push.subscription_id)
        elif outcome.result == "retry" and attempts < MAX_ATTEMPTS:
            delay = outcome.retry_after_s if outcome.retry_after_s is not None else self.backoff_s * 2 ** (attempts - 1)
            if datetime.now(UTC) + timedelta(seconds=delay) < expires_at:
                settled.add(push.delivery_id, "queued", outcome.status)
                settled.retry[delay].append(push.subscription_id)
            else:
                settled.add(push.delivery_id, "expired", outcome.status)
        else:
            settled.add(push.delivery_id, "failed", outcome.status)

    async def _write(self, session: AsyncSession, alert_id: uuid.UUID, settled: Settled) -> None:
        for (state, tried, status), ids in settled.rows.items():
            await session.execute(SETTLE, {"state": state, "tried": tried, "status": status, "ids": ids})
        if settled.gone:
            await session.execute(GONE, {"ids": settled.gone})
        for delay, subscriptions in settled.retry.items():
            await enqueue(session, alert_id, subscriptions, delay=timedelta(seconds=delay))

    async def close(self) -> None:
        await self.sender.close()
        await self.engine.dispose()


def subject(settings: Settings) -> str:
    """The VAPID ``sub``: the setting, else the public URL when it is https (push services take
    only mailto: or https:), else a local mailto: (development)."""
    if settings.push.subject:
        return settings.push.subject
    base = settings.server.base_url
    return base if base.startswith("https://") else "mailto:bosai@localhost"


async def work(settings: Settings, *, once: bool, backoff_s: float = 30.0, sender: Sender | None = None) -> int:
    """Deliver queued pushes until stopped (``once``: until the queue is empty, deferred retries
    included). The number of deliveries run."""
    vapid = load_vapid(settings)
    if vapid is None:
        raise ServiceUnavailableError("BOSAI_VAPID_KEY is not set (`bosai keys generate` makes it)")
    deliverer = Deliverer(settings, sender or Sender(vapid, subject(settings)), backoff_s)
    dsn = database_url(settings.database).replace("postgresql+asyncpg://", "postgresql://", 1)
    connection = await asyncpg.connect(dsn, timeout=settings.database.connect_timeout)
    manager = QueueManager(queries(connection), channel=SETTINGS.channel)
    done = 0

    def retried(parameters: EntrypointExecutorParameters) -> DatabaseRetryEntrypointExecutor:
        # A job that fails (the database away, a bug) is queued again with back-off, and after the
        # last attempt kept as failed rather than deleted: its deliveries must not stay queued
        # unnoticed.
        return DatabaseRetryEntrypointExecutor(parameters=parameters, max_attempts=MAX_ATTEMPTS)

    @manager.entrypoint(family.ENTRYPOINT, on_failure="hold", executor_factory=retried)
    async def tell_family(job: Job) -> None:
        nonlocal done
        states = await family.deliver(deliverer.sessions, deliverer.sender, job.payload or b"", job.attempts)
        done += states.total()
        log.info("family job %s: %s", job.id, dict(states))

    @manager.entrypoint(ENTRYPOINT, on_failure="hold", executor_factory=retried)
    async def push(job: Job) -> None:
        nonlocal done
        states = await deliverer.deliver(job.id, *unpack(job.payload))
        done += states.total()
        log.info("job %s: %s", job.id, dict(states))

    try:
        await manager.run(
            mode=QueueExecutionMode.drain if once else QueueExecutionMode.continuous,
            batch_size=JOBS_AT_ONCE // 2,
            max_concurrent_tasks=JOBS_AT_ONCE,
            dequeue_timeout=timedelta(seconds=1 if once else 10),
            log_aggregation_interval=timedelta(0),
        )
    finally:
        await deliverer.close()
        await connection.close()
    return done


def public_key(settings: Settings) -> str | None:
    vapid = load_vapid(settings)
    return b64(vapid.public) if vapid else None
