"""Web Push as RFC 8030/8291/8292 say: the payload encrypted for the subscription (aes128gcm,
a fresh sender key per message), signed with our VAPID key, and sent with TTL, Urgency and Topic.
The answer is classified for the worker: sent, gone (404/410), retry (timeouts, 5xx, 429 with
its Retry-After) or failed."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal
from urllib.parse import urlsplit

import aiohttp
import http_ece
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from server.lib.keys import VapidKey, unb64

# A VAPID token may live 24 h; one is made per push service origin and kept for an hour.
TOKEN_LIFETIME_S = 12 * 3600
TOKEN_REUSE_S = 3600
MAX_PAYLOAD = 3072


@dataclass(frozen=True)
class Outcome:
    result: Literal["sent", "gone", "retry", "failed"]
    status: int | None
    retry_after_s: float | None = None


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def encrypt(payload: bytes, p256dh: str, auth: str) -> bytes:
    """RFC 8291 aes128gcm: the sender key, salt and record size travel in the body's header."""
    sender = ec.generate_private_key(ec.SECP256R1())
    encrypted: bytes = http_ece.encrypt(
        payload,
        salt=os.urandom(16),
        private_key=sender,
        dh=unb64(p256dh),
        auth_secret=unb64(auth),
        version="aes128gcm",
    )
    return encrypted


def topic(*parts: str) -> str:
    """A Topic (at most 32 base64url characters): a newer message with the same one replaces an
    older one still waiting at the push service."""
    return b64url(hashlib.sha256("|".join(parts).encode()).digest())[:32]


class Sender:
    """Sends pushes over one HTTP client, with VAPID headers signed once per origin and reused."""

    def __init__(self, vapid: VapidKey, subject: str, *, timeout_s: float = 10) -> None:
        self._vapid = Vapid02(private_key=vapid.key)
        self._subject = subject
        self._tokens: dict[str, tuple[float, str]] = {}
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._client: aiohttp.ClientSession | None = None

    def _authorization(self, endpoint: str) -> str:
        parts = urlsplit(endpoint)
        origin = f"{parts.scheme}://{parts.netloc}"
        now = time.time()
        cached = self._tokens.get(origin)
        if cached is None or now - cached[0] > TOKEN_REUSE_S:
            # A fresh claims dict per signing: the library writes into the one it is given.
            claims = {"aud": origin, "exp": int(now) + TOKEN_LIFETIME_S, "sub": self._subject}
            cached = (now, self._vapid.sign(claims)["Authorization"])
            self._tokens[origin] = cached
        return cached[1]

    async def send(
        self, endpoint: str, p256dh: str, auth: str, payload: bytes, *, ttl_s: int, urgency: str, topic: str
    ) -> Outcome:
        if len(payload) > MAX_PAYLOAD:
            raise ValueError(f"payload of {len(payload)} bytes is over {MAX_PAYLOAD}")
        body = encrypt(payload, p256dh, auth)
        headers = {
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(max(0, ttl_s)),
            "Urgency": urgency,
            "Topic": topic,
            "Authorization": self._authorization(endpoint),
        }
        if self._client is None:
            self._client = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._client.post(endpoint, data=body, headers=headers) as response:
                await response.read()
                return classify(response.status, response.headers.get("Retry-After"))
        except (TimeoutError, aiohttp.ClientError):
            return Outcome("retry", None)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            # aiohttp's connector closes its transports on the next loop turn.
            await asyncio.sleep(0)


def classify(status: int, retry_after: str | None) -> Outcome:
    if 200 <= status < 300:
        return Outcome("sent", status)
    if status in (404, 410):
        return Outcome("gone", status)
    if status == 429 or status >= 500:
        return Outcome("retry", status, _seconds(retry_after))
    return Outcome("failed", status)


def _seconds(retry_after: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not retry_after:
        return None
    text = retry_after.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
