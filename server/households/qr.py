"""Signed QR codes: ``B1.<h|m>.<opaque id>.<key id>.<issue counter>.<Ed25519 signature>`` — no
personal data; a staff device verifies the signature offline with the keys of GET /api/qr/keys,
the server also checks that the code is the current issue (reissuing revokes the previous one)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from server.lib.keys import Keys, b64, unb64, verify
from server.lib.qrimage import png, svg

__all__ = ["QrCode", "QrError", "check_signature", "issue", "png", "svg"]

PREFIX = "B1"
KINDS = {"h": "household", "m": "member"}


class QrError(ValueError):
    """A code that is not ours, or not intact: says why, never what it carried."""


@dataclass(frozen=True)
class QrCode:
    kind: str  # "household" or "member"
    opaque_id: str
    key_id: str
    counter: int


def issue(keys: Keys, kind: str, opaque_id: str, counter: int) -> str:
    message = f"{PREFIX}.{kind[0]}.{opaque_id}.{keys.qr_key_id}.{counter}"
    return f"{message}.{b64(keys.sign(message.encode()))}"


def check_signature(text: str, public_keys: Mapping[str, bytes]) -> QrCode:
    parts = text.strip().split(".")
    if len(parts) != 6 or parts[0] != PREFIX or parts[1] not in KINDS or not parts[4].isdigit():
        raise QrError("not a Bosai QR code")
    kid = parts[3]
    if kid not in public_keys:
        raise QrError("signed with an unknown key")
    try:
        signature = unb64(parts[5])
    except ValueError:
        raise QrError("the signature is unreadable") from None
    if not verify(public_keys[kid], signature, ".".join(parts[:5]).encode()):
        raise QrError("the signature does not match: forged or altered")
    return QrCode(KINDS[parts[1]], parts[2], kid, int(parts[4]))
