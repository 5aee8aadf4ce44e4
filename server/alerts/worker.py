"""``bosai alerts worker``: takes push jobs from the queue and delivers each one. A delivery is
read in one short transaction, sent outside any transaction (a push service may take seconds),
and its outcome written in another, guarded by its state: a job run twice sends at most once more
only if the first run never recorded its result."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
from pgqueuer import Job, QueueManager
from pgqueuer.domain.types import QueueExecutionMode
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.alerts.models import Alert, Delivery, PushSubscription
from server.alerts.push import Outcome, Sender, topic
from server.alerts.queue import ENTRYPOINT, SETTINGS, enqueue, queries
from server.db.engine import create_engine, database_url, session_factory
from server.lib.errors import ServiceUnavailableError
from server.lib.keys import b64, load_vapid
from server.settings import Settings

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
VERY_HIGH_TSUNAMI = {"大津波警報", "津波警報"}


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


@dataclass
class Deliverer:
    """What a worker needs to deliver one job."""

    settings: Settings
    sender: Sender
    backoff_s: float = 30.0

    def __post_init__(self) -> None:
        self.engine = create_engine(self.settings.database)
        self.sessions = session_factory(self.engine)

    async def deliver(self, delivery_id: uuid.UUID) -> str:
        """Deliver one; the delivery's state afterwards."""
        async with self.sessions() as session, session.begin():
            row = (
                await session.execute(
                    select(Delivery, Alert, PushSubscription)
                    .join(Alert, Alert.id == Delivery.alert_id)
                    .outerjoin(PushSubscription, PushSubscription.id == Delivery.subscription_id)
                    .where(Delivery.id == delivery_id)
                )
            ).first()
            if row is None:
                return "missing"
            delivery, alert, subscription = row
            if delivery.state != "queued":
                return delivery.state
            now = datetime.now(UTC)
            final: str | None = None
            if subscription is None:
                final = "removed"
            elif now >= alert.expires_at or alert.cancelled_at is not None:
                final = "expired"  # nothing is sent after its time, nor once withdrawn
            if final is not None or subscription is None:
                final = final or "removed"
                await self._finish(session, delivery_id, final, None)
                return final
            endpoint, p256dh, auth = subscription.endpoint, subscription.p256dh, subscription.auth
            body = payload(alert, subscription.languages, self.settings.server.base_url)
            ttl = int((alert.expires_at - now).total_seconds())
            headers = {
                "urgency": urgency(alert),
                "topic": topic(alert.kind, alert.hazard, *sorted(alert.municipalities)),
            }
            expires_at, subscription_id, attempts = alert.expires_at, subscription.id, delivery.attempts
        outcome = await self.sender.send(endpoint, p256dh, auth, body, ttl_s=ttl, **headers)
        async with self.sessions() as session, session.begin():
            return await self._record(session, delivery_id, subscription_id, attempts + 1, outcome, expires_at)

    async def _finish(self, session: AsyncSession, delivery_id: uuid.UUID, state: str, status: int | None) -> None:
        await session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.state == "queued")
            .values(state=state, last_status=status)
        )

    async def _record(
        self,
        session: AsyncSession,
        delivery_id: uuid.UUID,
        subscription_id: uuid.UUID,
        attempts: int,
        outcome: Outcome,
        expires_at: datetime,
    ) -> str:
        queued = (Delivery.id == delivery_id, Delivery.state == "queued")
        if outcome.result == "sent":
            await session.execute(
                update(Delivery).where(*queued).values(state="sent", attempts=attempts, last_status=outcome.status)
            )
            await session.execute(
                update(PushSubscription)
                .where(PushSubscription.id == subscription_id)
                .values(last_success_at=datetime.now(UTC))
            )
            return "sent"
        if outcome.result == "gone":
            # The browser unsubscribed or the subscription expired: forget it (RFC 8030 §6.2).
            await session.execute(
                update(Delivery).where(*queued).values(state="removed", attempts=attempts, last_status=outcome.status)
            )
            await session.execute(delete(PushSubscription).where(PushSubscription.id == subscription_id))
            return "removed"
        if outcome.result == "retry" and attempts < MAX_ATTEMPTS:
            delay = outcome.retry_after_s if outcome.retry_after_s is not None else self.backoff_s * 2 ** (attempts - 1)
            if datetime.now(UTC) + timedelta(seconds=delay) < expires_at:
                await session.execute(
                    update(Delivery).where(*queued).values(attempts=attempts, last_status=outcome.status)
                )
                await enqueue(session, [delivery_id], delay=timedelta(seconds=delay))
                return "queued"
            state = "expired"
        else:
            state = "failed"
        await session.execute(
            update(Delivery).where(*queued).values(state=state, attempts=attempts, last_status=outcome.status)
        )
        return state

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
    included). The number of jobs run."""
    vapid = load_vapid(settings)
    if vapid is None:
        raise ServiceUnavailableError("BOSAI_VAPID_KEY is not set (`bosai keys generate` makes it)")
    deliverer = Deliverer(settings, sender or Sender(vapid, subject(settings)), backoff_s)
    dsn = database_url(settings.database).replace("postgresql+asyncpg://", "postgresql://", 1)
    connection = await asyncpg.connect(dsn, timeout=settings.database.connect_timeout)
    manager = QueueManager(queries(connection), channel=SETTINGS.channel)
    done = 0

    # At most as many deliveries at once as the pool has connections: unbounded, a burst of
    # 100,000 jobs waited 30 s for a connection and failed (the bench's first run), and PgQueuer
    # deletes a failed job, leaving its delivery queued for ever.
    @manager.entrypoint(ENTRYPOINT, concurrency_limit=settings.database.pool_size)
    async def push(job: Job) -> None:
        nonlocal done
        state = await deliverer.deliver(uuid.UUID(bytes=job.payload or b""))
        done += 1
        log.info("delivery %s: %s", uuid.UUID(bytes=job.payload), state)

    try:
        await manager.run(
            mode=QueueExecutionMode.drain if once else QueueExecutionMode.continuous,
            batch_size=20,
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
