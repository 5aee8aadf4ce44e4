"""The keys behind personal data at rest (AES-256-GCM) and QR signatures (Ed25519).

Personal fields are one encrypted JSON document per household: the database (and its backups)
hold only ciphertext bound to the row's id; reading needs the key from the settings, which never
enters the database."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from types import MappingProxyType

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from server.lib.errors import ServiceUnavailableError
from server.settings import Settings


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_id(public: bytes) -> str:
    return hashlib.sha256(public).hexdigest()[:8]


def vapid_private_value() -> bytes:
    """A new P-256 private value (32 bytes): not any 32 random bytes, it must lie below the order."""
    return ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value.to_bytes(32, "big")


def generate() -> dict[str, str]:
    """Fresh keys, as the environment takes them."""
    keys = {name: base64.b64encode(os.urandom(32)).decode() for name in ("BOSAI_DATA_KEY", "BOSAI_QR_KEY")}
    keys["BOSAI_VAPID_KEY"] = base64.b64encode(vapid_private_value()).decode()
    return keys


@dataclass(frozen=True)
class VapidKey:
    """The application server's key for Web Push (RFC 8292): push services check that pushes to a
    subscription are signed by the key the browser subscribed with."""

    private: bytes

    @cached_property
    def key(self) -> ec.EllipticCurvePrivateKey:
        return ec.derive_private_key(int.from_bytes(self.private, "big"), ec.SECP256R1())

    @cached_property
    def public(self) -> bytes:
        """The uncompressed point (65 bytes), as the browser's applicationServerKey takes it."""
        return self.key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


@dataclass(frozen=True)
class Keys:
    data: bytes
    qr_seed: bytes
    qr_old_public: tuple[bytes, ...] = ()

    def encrypt(self, plaintext: bytes, bound_to: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + AESGCM(self.data).encrypt(nonce, plaintext, bound_to.encode())

    def decrypt(self, blob: bytes, bound_to: str) -> bytes:
        return AESGCM(self.data).decrypt(blob[:12], blob[12:], bound_to.encode())

    def seal(self, document: object, bound_to: str) -> bytes:
        return self.encrypt(json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode(), bound_to)

    def open(self, blob: bytes, bound_to: str) -> object:
        return json.loads(self.decrypt(blob, bound_to))

    # Derived once: every scan at a shelter's door verifies with them.
    @cached_property
    def _signer(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.qr_seed)

    @cached_property
    def qr_public(self) -> bytes:
        return self._signer.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @cached_property
    def qr_key_id(self) -> str:
        return key_id(self.qr_public)

    def sign(self, message: bytes) -> bytes:
        return self._signer.sign(message)

    @cached_property
    def public_keys(self) -> Mapping[str, bytes]:
        """Every key a QR may be signed with: the current one, then retired ones."""
        keys = {self.qr_key_id: self.qr_public}
        keys.update({key_id(k): k for k in self.qr_old_public})
        return MappingProxyType(keys)


@lru_cache(maxsize=16)
def _public_key(public: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(public)


def verify(public: bytes, signature: bytes, message: bytes) -> bool:
    try:
        _public_key(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def load_keys(settings: Settings) -> Keys | None:
    """The configured keys; with a local cluster and none configured, those kept (and created
    once) in BOSAI_HOME/keys.json; else None (what needs them answers 503)."""
    security = settings.security
    if security.data_key and security.qr_key:
        return Keys(security.data_key, security.qr_key, security.qr_old_public_keys)
    if not settings.database.managed:
        return None
    path: Path = settings.database.home / "keys.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(generate()))
        path.chmod(0o600)
    stored = json.loads(path.read_text())
    return Keys(base64.b64decode(stored["BOSAI_DATA_KEY"]), base64.b64decode(stored["BOSAI_QR_KEY"]))


def require(keys: Keys | None) -> Keys:
    if keys is None:
        raise ServiceUnavailableError("BOSAI_DATA_KEY and BOSAI_QR_KEY are not set (`bosai keys generate` makes them)")
    return keys


def load_vapid(settings: Settings) -> VapidKey | None:
    """The configured VAPID key; with a local cluster and none configured, the one kept in
    BOSAI_HOME/keys.json (added to a keys.json made before push existed); else None."""
    if settings.security.vapid_key:
        return VapidKey(settings.security.vapid_key)
    if not settings.database.managed:
        return None
    load_keys(settings)  # makes keys.json when there is none
    path: Path = settings.database.home / "keys.json"
    stored = json.loads(path.read_text())
    if "BOSAI_VAPID_KEY" not in stored:
        stored["BOSAI_VAPID_KEY"] = base64.b64encode(vapid_private_value()).decode()
        path.write_text(json.dumps(stored))
    return VapidKey(base64.b64decode(stored["BOSAI_VAPID_KEY"]))
