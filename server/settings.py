"""Settings per concern, read from the environment once and passed in; nothing is read at import.

Every variable the application understands is listed in :data:`ENVIRONMENT`, which the README,
``compose.yaml`` and the tests are checked against.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

#: Each environment variable the application reads, with what it means.
ENVIRONMENT: Final[dict[str, str]] = {
    "DATABASE_URL": "PostgreSQL/PostGIS URL (postgresql://…). Unset: a local cluster under BOSAI_HOME.",
    "BOSAI_HOME": "Folder of the local cluster and state (default ./.bosai).",
    "BOSAI_PG_PORT": "Port of the local cluster (default 54320; a taken port moves to a free one).",
    "BOSAI_PG_BIN": "Folder with PostgreSQL's initdb/pg_ctl (default: found under /usr/lib/postgresql).",
    "BOSAI_DB_POOL_SIZE": "Connections per worker process (default 10).",
    "BOSAI_DB_CONNECT_TIMEOUT": "Seconds to wait for a database connection (default 5).",
    "BOSAI_HOST": "Address to listen on (default 127.0.0.1).",
    "BOSAI_PORT": "Port to listen on (default 8000).",
    "BOSAI_PUBLIC_URL": "Public base URL of the app, e.g. https://bosai.example.jp (default http://BOSAI_HOST:BOSAI_PORT).",
    "BOSAI_WORKERS": "Worker processes for `bosai serve` (default 1).",
    "BOSAI_RESIDENTS_PER_MINUTE": "Resident accounts one client may make a minute (default 5).",
    "BOSAI_TRUSTED_PROXIES": "Comma-separated IPs/CIDRs of proxies whose X-Forwarded-For is believed (default none).",
    "BOSAI_DEMO": "1 to run in demo mode (set by `bosai demo`).",
    "BOSAI_STATIC_DIR": "Folder of the built PWA served at / (default pwa/dist, else pwa/placeholder).",
    "BOSAI_LOG_LEVEL": "Logging level (default info).",
    "BOSAI_TILE_CACHE_MB": "Memory per worker for rendered vector tiles (default 64; 0 turns the cache off).",
    "BOSAI_PACKS_DIR": "Folder of the offline map packs (default ./var/packs; shared by the app and the worker).",
    "BOSAI_PACK_KEEP": "Versions of each municipality's pack kept downloadable (default 3).",
    "BOSAI_PACK_INTERVAL": "Seconds between the worker's checks for changed data (default 15).",
    "BOSAI_BASEMAP": "A basemap PMTiles file whose tiles are clipped into each pack as layer basemap (optional).",
    "BOSAI_DATA_KEY": "Key encrypting personal data at rest: 32 bytes, base64 (`bosai keys generate`).",
    "BOSAI_QR_KEY": "Ed25519 private key (32-byte seed, base64) signing QR codes (`bosai keys generate`).",
    "BOSAI_QR_OLD_KEYS": "Comma-separated base64 public keys of retired QR keys, still accepted when verifying.",
    "BOSAI_VAPID_KEY": "Web Push (VAPID) private key: P-256 private value, 32 bytes, base64 (`bosai keys generate`).",
    "BOSAI_VAPID_SUBJECT": "Whom push services may contact about us: mailto: or https: URL (default BOSAI_PUBLIC_URL).",
    "BOSAI_PUSH_ALLOW_HTTP": "1 to accept http:// push endpoints on localhost (a test receiver; never in production).",
    "BOSAI_JMA_FEEDS": "Comma-separated JMA PULL Atom feeds polled by `bosai alerts watch` (default JMA's).",
    "BOSAI_JMA_LONG_FEEDS": "Comma-separated long JMA feeds read to catch up after an outage (default the _l feeds).",
    "BOSAI_JMA_POLL_SECONDS": "Seconds between two polls of the JMA feeds (default 60).",
    "BOSAI_IMPORT_MAX_UPLOAD_MB": "Largest request body `POST /api/imports` accepts, in MiB (default 256).",
    "BOSAI_IMPORT_MAX_FILES": "Most files and folders one zip archive may hold (default 2000).",
    "BOSAI_IMPORT_MAX_FILE_MB": "Most MiB one file of a zip archive may unpack to (default 256).",
    "BOSAI_IMPORT_MAX_UNPACKED_MB": "Most MiB the zip archives of one import may unpack to together (default 1024).",
    "BOSAI_IMPORT_MAX_ROWS": "Most rows (CSV) or features (GeoJSON, Shapefile) one file may have (default 1000000).",
    "BOSAI_SAFETY_EXPIRY_DAYS": "Days after an event closes until its safety records are cleared (default 40, 30-360).",
}

DEFAULT_PG_PORT: Final = 54320
_PROJECT_ROOT: Final = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """An environment variable holds a value the application cannot use."""


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: expected a whole number") from None
    if value < minimum:
        raise SettingsError(f"{name}={raw!r}: must be at least {minimum}")
    return value


def _bool(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    """Where the database is, or where the local cluster lives when there is none."""

    url: str | None
    home: Path
    pg_port: int = DEFAULT_PG_PORT
    pg_bin: Path | None = None
    pool_size: int = 10
    connect_timeout: int = 5

    @property
    def managed(self) -> bool:
        """True when no DATABASE_URL is given and ``bosai`` runs its own cluster."""
        return self.url is None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DatabaseSettings:
        url = env.get("DATABASE_URL") or None
        if url is not None and not url.startswith(("postgresql://", "postgresql+asyncpg://", "postgres://")):
            raise SettingsError(f"DATABASE_URL must start with postgresql://, got {url.split(':', 1)[0]}://")
        pg_bin = env.get("BOSAI_PG_BIN")
        return cls(
            url=url,
            home=Path(env.get("BOSAI_HOME") or ".bosai").absolute(),
            pg_port=_int(env, "BOSAI_PG_PORT", DEFAULT_PG_PORT),
            pg_bin=Path(pg_bin) if pg_bin else None,
            pool_size=_int(env, "BOSAI_DB_POOL_SIZE", 10),
            connect_timeout=_int(env, "BOSAI_DB_CONNECT_TIMEOUT", 5),
        )


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """How the HTTP server listens and what it serves."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    demo: bool = False
    static_dir: Path = field(default_factory=lambda: _default_static_dir())
    log_level: str = "info"
    tile_cache_mb: int = 64
    # Reverse proxies whose X-Forwarded-For names the client; from anyone else the header is ignored.
    trusted_proxies: tuple[str, ...] = ()
    # Each resident account costs an argon2 hash: a few a minute per client (a shelter's shared
    # Wi-Fi may need more).
    residents_per_minute: int = 5
    public_url: str | None = None

    @property
    def base_url(self) -> str:
        """The public base URL, without a trailing slash: absolute links (TileJSON) are built from
        it, never from the request's Host header, which any client chooses."""
        if self.public_url is not None:
            return self.public_url
        host = "localhost" if self.host in {"0.0.0.0", "::", ""} else self.host  # noqa: S104 - a wildcard to replace
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ServerSettings:
        static = env.get("BOSAI_STATIC_DIR")
        level = env.get("BOSAI_LOG_LEVEL", "info").lower()
        if level not in {"critical", "error", "warning", "info", "debug"}:
            raise SettingsError(f"BOSAI_LOG_LEVEL={level!r}: use critical, error, warning, info or debug")
        return cls(
            host=env.get("BOSAI_HOST") or "127.0.0.1",
            port=_int(env, "BOSAI_PORT", 8000),
            workers=_int(env, "BOSAI_WORKERS", 1),
            demo=_bool(env, "BOSAI_DEMO"),
            static_dir=Path(static) if static else _default_static_dir(),
            log_level=level,
            tile_cache_mb=_int(env, "BOSAI_TILE_CACHE_MB", 64, minimum=0),
            trusted_proxies=_networks(env, "BOSAI_TRUSTED_PROXIES"),
            residents_per_minute=_int(env, "BOSAI_RESIDENTS_PER_MINUTE", 5),
            public_url=_public_url(env.get("BOSAI_PUBLIC_URL") or None),
        )


def _networks(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    networks = []
    for item in env.get(name, "").split(","):
        if not item.strip():
            continue
        try:
            networks.append(str(ipaddress.ip_network(item.strip(), strict=False)))
        except ValueError:
            raise SettingsError(f"{name}: {item.strip()!r} is not an IP address or network (CIDR)") from None
    return tuple(networks)


def _public_url(raw: str | None) -> str | None:
    if raw is None:
        return None
    try:
        parts = urlsplit(raw.strip())
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise SettingsError(f"BOSAI_PUBLIC_URL={raw!r}: not a URL") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query or parts.fragment:
        raise SettingsError(
            f"BOSAI_PUBLIC_URL={raw!r}: expected http(s)://host[:port][/path], e.g. https://bosai.example.jp"
        )
    return raw.strip().rstrip("/")


def _default_static_dir() -> Path:
    built = _PROJECT_ROOT / "pwa" / "dist"
    return built if (built / "index.html").is_file() else _PROJECT_ROOT / "pwa" / "placeholder"


@dataclass(frozen=True, slots=True)
class PackSettings:
    """Where offline map packs are written and served from, and how many versions stay."""

    folder: Path = field(default_factory=lambda: Path("var/packs").absolute())
    keep: int = 3
    interval_s: int = 15
    basemap: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PackSettings:
        basemap = env.get("BOSAI_BASEMAP") or None
        if basemap is not None and not Path(basemap).is_file():
            raise SettingsError(f"BOSAI_BASEMAP={basemap!r}: no such file")
        return cls(
            folder=Path(env.get("BOSAI_PACKS_DIR") or "var/packs").absolute(),
            keep=_int(env, "BOSAI_PACK_KEEP", 3),
            interval_s=_int(env, "BOSAI_PACK_INTERVAL", 15),
            basemap=Path(basemap).absolute() if basemap else None,
        )


@dataclass(frozen=True, slots=True)
class SecuritySettings:
    """Keys for personal data at rest and for QR signatures. Unset with a local cluster, they are
    kept in BOSAI_HOME/keys.json (created once); unset with DATABASE_URL, what needs them answers 503."""

    data_key: bytes | None = None
    qr_key: bytes | None = None
    qr_old_public_keys: tuple[bytes, ...] = ()
    vapid_key: bytes | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SecuritySettings:
        def key(name: str) -> bytes | None:
            raw = env.get(name)
            if not raw:
                return None
            try:
                value = base64.b64decode(raw, validate=True)
            except binascii.Error:
                raise SettingsError(f"{name}: not base64") from None
            if len(value) != 32:
                raise SettingsError(f"{name}: expected 32 bytes, got {len(value)} (`bosai keys generate` makes them)")
            return value

        old = tuple(base64.b64decode(k) for k in env.get("BOSAI_QR_OLD_KEYS", "").split(",") if k.strip())
        return cls(
            data_key=key("BOSAI_DATA_KEY"),
            qr_key=key("BOSAI_QR_KEY"),
            qr_old_public_keys=old,
            vapid_key=key("BOSAI_VAPID_KEY"),
        )


MIB: Final = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ImportSettings:
    """Bounds on what one import may bring, so that a hostile or mistaken file (a zip bomb, a
    table of millions of rows) is refused before it exhausts memory or disk. A prefecture's N03
    or hazard Shapefile is tens of MiB zipped and a few hundred unpacked, in several files; a file
    is parsed in memory, so one file is bounded tighter than the whole."""

    max_upload_bytes: int = 256 * MIB
    max_files: int = 2000
    max_file_bytes: int = 256 * MIB
    max_unpacked_bytes: int = 1024 * MIB
    max_rows: int = 1_000_000

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ImportSettings:
        return cls(
            max_upload_bytes=_int(env, "BOSAI_IMPORT_MAX_UPLOAD_MB", 256) * MIB,
            max_files=_int(env, "BOSAI_IMPORT_MAX_FILES", 2000),
            max_file_bytes=_int(env, "BOSAI_IMPORT_MAX_FILE_MB", 256) * MIB,
            max_unpacked_bytes=_int(env, "BOSAI_IMPORT_MAX_UNPACKED_MB", 1024) * MIB,
            max_rows=_int(env, "BOSAI_IMPORT_MAX_ROWS", 1_000_000),
        )


@dataclass(frozen=True, slots=True)
class PushSettings:
    """Web Push: who we say we are to push services, and which endpoints subscriptions may name."""

    subject: str | None = None
    # A push endpoint is the browser vendor's https URL; a local http one only for a test receiver.
    allow_http_localhost: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PushSettings:
        subject = env.get("BOSAI_VAPID_SUBJECT") or None
        if subject is not None and not subject.startswith(("mailto:", "https://")):
            raise SettingsError(f"BOSAI_VAPID_SUBJECT={subject!r}: expected mailto:… or https://…")
        return cls(subject=subject, allow_http_localhost=_bool(env, "BOSAI_PUSH_ALLOW_HTTP"))


JMA_FEED_BASE: Final = "https://www.data.jma.go.jp/developer/xml/feed/"


def _urls(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    urls = tuple(u.strip() for u in raw.split(",") if u.strip())
    for url in urls:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise SettingsError(f"{name}: {url!r} is not an http(s) URL")
    return urls


@dataclass(frozen=True, slots=True)
class JmaSettings:
    """The JMA PULL feeds (Atom) `bosai alerts watch` polls: the frequent ones every poll, the long
    ones (days of entries) after an outage."""

    feeds: tuple[str, ...] = tuple(f"{JMA_FEED_BASE}{name}.xml" for name in ("regular", "extra", "eqvol"))
    long_feeds: tuple[str, ...] = tuple(f"{JMA_FEED_BASE}{name}_l.xml" for name in ("regular", "extra", "eqvol"))
    poll_s: int = 60

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> JmaSettings:
        default = cls()
        return cls(
            feeds=_urls(env, "BOSAI_JMA_FEEDS", default.feeds),
            long_feeds=_urls(env, "BOSAI_JMA_LONG_FEEDS", default.long_feeds),
            poll_s=_int(env, "BOSAI_JMA_POLL_SECONDS", 60),
        )


@dataclass(frozen=True, slots=True)
class SafetySettings:
    """How long safety records outlive their event (Person Finder's choice: 40 days by default,
    30 to 360 allowed), then cleared to placeholders."""

    expiry_days: int = 40

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SafetySettings:
        days = _int(env, "BOSAI_SAFETY_EXPIRY_DAYS", 40, minimum=30)
        if days > 360:
            raise SettingsError(f"BOSAI_SAFETY_EXPIRY_DAYS={days}: at most 360")
        return cls(expiry_days=days)


@dataclass(frozen=True, slots=True)
class Settings:
    """All settings, one object per concern."""

    database: DatabaseSettings
    server: ServerSettings
    packs: PackSettings = field(default_factory=PackSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    imports: ImportSettings = field(default_factory=ImportSettings)
    push: PushSettings = field(default_factory=PushSettings)
    jma: JmaSettings = field(default_factory=JmaSettings)
    safety: SafetySettings = field(default_factory=SafetySettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``env`` (the process environment by default).

        Raises:
            SettingsError: naming the variable whose value is unusable.
        """
        source = os.environ if env is None else env
        return cls(
            database=DatabaseSettings.from_env(source),
            server=ServerSettings.from_env(source),
            packs=PackSettings.from_env(source),
            security=SecuritySettings.from_env(source),
            imports=ImportSettings.from_env(source),
            push=PushSettings.from_env(source),
            jma=JmaSettings.from_env(source),
            safety=SafetySettings.from_env(source),
        )
