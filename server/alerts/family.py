"""Family safety news by push: a member's new status, and "please tell us you are safe", sent to
the subscriptions their group's members linked to their accounts. Queued in the transaction that
made the news (``notify``, given to the safety routes and the check-in in create_app), delivered by
the alerts worker (``deliver``): a row per piece of news and subscription makes it go out at most
once. The push says who and how in a few words, never the message or the place."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from datetime import timedelta
from typing import Final

import asyncpg
from pgqueuer.domain.errors import RetryRequested
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.alerts.push import Outcome, Sender, topic
from server.alerts.queue import queries

ENTRYPOINT: Final = "family"
KINDS: Final = {"status": b"s", "ask": b"a"}
TTL_S: Final = 24 * 3600
MAX_ATTEMPTS: Final = 6
URL: Final = "/#/resident/family"
IDS = ARRAY(UUID(as_uuid=True))

#: Who hears of a new status: the other members of every group the person shares with (their
#: consent), through the subscriptions their accounts linked.
STATUS_TO = text(
    """
    SELECT DISTINCT ON (ps.id) ps.id, ps.endpoint, ps.p256dh, ps.auth, ps.languages, me.name, st.status,
        st.person_id
    FROM safety_status st
    JOIN safety_person p ON p.id = st.person_id AND p.share_groups
    JOIN safety_member me ON me.person_id = p.id
    JOIN safety_member other ON other.group_id = me.group_id AND other.person_id <> p.id
    JOIN safety_person them ON them.id = other.person_id AND them.account_id IS NOT NULL
    JOIN push_subscription ps ON ps.account_id = them.account_id
    WHERE st.id = :notice
    ORDER BY ps.id, me.joined_at
    """
)
#: Who hears of a request: the person asked, from the member who asked.
ASK_TO = text(
    """
    SELECT ps.id, ps.endpoint, ps.p256dh, ps.auth, ps.languages, asker.name, NULL AS status, r.person_id
    FROM safety_request r
    JOIN safety_person asked ON asked.id = r.person_id AND asked.account_id IS NOT NULL
    JOIN push_subscription ps ON ps.account_id = asked.account_id
    LEFT JOIN safety_member asker ON asker.group_id = r.group_id AND asker.person_id = r.asker_id
    WHERE r.id = :notice
    """
)
MAKE = text(
    """
    INSERT INTO family_push (notice_id, subscription_id)
    SELECT :notice, s FROM unnest(:subscriptions) s
    ON CONFLICT DO NOTHING
    RETURNING subscription_id
    """
).bindparams(bindparam("subscriptions", type_=IDS))
SETTLE = text(
    "UPDATE family_push SET state = :state WHERE notice_id = :notice AND subscription_id = ANY(:subscriptions)"
).bindparams(bindparam("subscriptions", type_=IDS))
#: A retried one is made again when the job runs again.
AGAIN = text("DELETE FROM family_push WHERE notice_id = :notice AND subscription_id = ANY(:subscriptions)").bindparams(
    bindparam("subscriptions", type_=IDS)
)
GONE = text("DELETE FROM push_subscription WHERE id = ANY(:subscriptions)").bindparams(
    bindparam("subscriptions", type_=IDS)
)

SOMEONE: Final = {"ja": "家族", "en": "A member of your group", "ja-easy": "かぞく"}
STATUS_WORDS: Final = {
    "ja": {
        "safe": "無事です",
        "needs_help": "助けが必要です",
        "injured": "けがをしています",
        "unknown": "状況がわかりません",
        "at_shelter": "避難所に着きました",
        "left_shelter": "避難所を出ました",
    },
    "en": {
        "safe": "is safe",
        "needs_help": "needs help",
        "injured": "is injured",
        "unknown": "status unknown",
        "at_shelter": "arrived at a shelter",
        "left_shelter": "left the shelter",
    },
    "ja-easy": {
        "safe": "ぶじ です",
        "needs_help": "たすけ が ひつよう です",
        "injured": "けが を して います",
        "unknown": "ようす が わかりません",
        "at_shelter": "ひなんじょ に つきました",
        "left_shelter": "ひなんじょ を でました",
    },
}


def headline(language: str, name: str | None, status: str | None) -> str:
    """The push's one line, in the subscriber's language (the name as the member chose it)."""
    lang = language if language in STATUS_WORDS else "ja"
    who = name or SOMEONE[lang]
    if status is None:
        return {
            "ja": f"{who}さんが、無事かどうか知らせてほしいと言っています",
            "en": f"{who} asks you to say whether you are safe",
            "ja-easy": f"{who} さん が「ぶじ か おしえて」と いって います",
        }[lang]
    word = STATUS_WORDS[lang][status]
    return f"{who} {word}" if lang == "en" else f"{who}{' ' if lang == 'ja-easy' else ''}さん: {word}"


async def notify(connection: asyncpg.Connection, kind: str, notices: list[uuid.UUID]) -> None:
    """Queue the news in the caller's transaction (on its connection): a job each, one write."""
    n = len(notices)
    payloads: list[bytes | None] = [KINDS[kind] + notice.bytes for notice in notices]
    await queries(connection).enqueue([ENTRYPOINT] * n, payloads, [0] * n)


def _language(languages: list[str]) -> str:
    return next((lang for lang in languages if lang in STATUS_WORDS), "ja")


def body(language: str, name: str | None, status: str | None) -> bytes:
    document = {"kind": "family", "headline": headline(language, name, status), "url": URL, "lang": language}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


async def deliver(
    sessions: async_sessionmaker[AsyncSession], sender: Sender, payload: bytes, attempts: int
) -> Counter[str]:
    """Send one piece of news to those who have not had it; how many ended in each state. Pushes
    refused for now (timeouts, 5xx, 429) are tried again by running the job again, later."""
    kind, notice = payload[:1], uuid.UUID(bytes=payload[1:17])
    async with sessions() as session, session.begin():
        found = (await session.execute(STATUS_TO if kind == KINDS["status"] else ASK_TO, {"notice": notice})).all()
        made = (
            set((await session.scalars(MAKE, {"notice": notice, "subscriptions": [r.id for r in found]})).all())
            if found
            else set()
        )
    sending = [r for r in found if r.id in made]
    # A newer status of the same person replaces an unread older one on the phone.
    about = topic("family", str(sending[0].person_id)) if sending else ""
    urgent = (
        "high" if kind == KINDS["ask"] or (sending and sending[0].status in ("needs_help", "injured")) else "normal"
    )

    async def send(r: asyncpg.Record) -> Outcome:
        language = _language(list(r.languages))
        try:
            return await sender.send(
                r.endpoint, r.p256dh, r.auth, body(language, r.name, r.status), ttl_s=TTL_S, urgency=urgent, topic=about
            )
        except Exception:  # keys that do not decode: this one fails, not the others
            return Outcome("failed", None)

    outcomes = await asyncio.gather(*(send(r) for r in sending))
    states: dict[str, list[uuid.UUID]] = {}
    retry_after: list[float] = []
    for r, outcome in zip(sending, outcomes, strict=True):
        state = {"sent": "sent", "gone": "removed", "failed": "failed"}.get(outcome.result)
        if state is None:
            if attempts + 1 < MAX_ATTEMPTS:
                state = "retry"
                retry_after.append(outcome.retry_after_s or 30.0 * 2**attempts)
            else:
                state = "failed"
        states.setdefault(state, []).append(r.id)
    async with sessions() as session, session.begin():
        for state, subscriptions in states.items():
            where = {"notice": notice, "subscriptions": subscriptions}
            if state == "retry":
                await session.execute(AGAIN, where)
            else:
                await session.execute(SETTLE, {**where, "state": state})
        if "removed" in states:
            await session.execute(GONE, {"subscriptions": states["removed"]})
    if retry_after:
        raise RetryRequested(delay=timedelta(seconds=max(retry_after)), reason="push service busy")
    return Counter({state: len(ids) for state, ids in states.items()})
