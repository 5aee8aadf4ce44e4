"""A local PostgreSQL + PostGIS cluster under ``.bosai/``, for when no DATABASE_URL is given.

PostgreSQL refuses to run as root, so as root every server command goes through
``runuser -u postgres`` and the cluster's folders belong to ``postgres``; as any other user the
commands run directly. Starting is idempotent, a stale ``postmaster.pid`` is cleared, and a port
taken by another program moves the cluster to a free one (recorded in ``cluster.json``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pwd
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import asyncpg

log = logging.getLogger(__name__)

SUPERUSER: Final = "postgres"
EXTENSIONS: Final = ("postgis", "pgrouting")
_EXTENSION_PACKAGES: Final = {"postgis": "postgresql-{v}-postgis-3", "pgrouting": "postgresql-{v}-pgrouting"}
_SEARCH_VERSIONS: Final = ("17", "16", "15")


class ClusterError(RuntimeError):
    """The local cluster cannot do what was asked; the message says why and what to do."""


class MissingSoftwareError(ClusterError):
    """PostgreSQL or one of its extensions is not installed."""


@dataclass(frozen=True, slots=True)
class ClusterStatus:
    """What ``bosai db status`` reports."""

    initialized: bool
    running: bool
    pid: int | None
    port: int
    data_dir: Path

    def describe(self) -> str:
        if not self.initialized:
            return f"no cluster yet in {self.data_dir} (bosai db start creates one)"
        if self.running:
            return f"running (pid {self.pid}) on 127.0.0.1:{self.port}, data in {self.data_dir}"
        return f"stopped, data in {self.data_dir}"


def _find_bin_dir(explicit: Path | None) -> Path:
    candidates = [explicit] if explicit else [Path(f"/usr/lib/postgresql/{v}/bin") for v in _SEARCH_VERSIONS]
    for candidate in candidates:
        if candidate is not None and (candidate / "pg_ctl").is_file() and (candidate / "initdb").is_file():
            return candidate
    on_path = shutil.which("pg_ctl")
    if explicit is None and on_path:
        return Path(on_path).resolve().parent
    where = f"in {explicit}" if explicit else "under /usr/lib/postgresql/*/bin or on PATH"
    raise MissingSoftwareError(
        f"PostgreSQL server programs (initdb, pg_ctl) were not found {where}. Install them with:\n"
        "  apt-get install -y postgresql-15 postgresql-15-postgis-3 postgresql-15-pgrouting\n"
        "or set DATABASE_URL to an existing PostGIS database."
    )


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _pid_is_postgres(pid: int, data_dir: Path) -> bool:
    """True when ``pid`` is alive and is a postmaster for ``data_dir`` (not a reused pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    exe = Path(cmdline[0].decode(errors="replace")).name if cmdline and cmdline[0] else ""
    return exe in {"postgres", "postmaster"} and str(data_dir).encode() in cmdline


class LocalCluster:
    """A PostgreSQL cluster owned by this project, under ``home``.

    Args:
        home: the folder holding ``pgdata/``, ``run/`` (socket, log) and ``cluster.json``.
        port: the preferred port; used unless another program holds it.
        bin_dir: PostgreSQL's bin folder; found under /usr/lib/postgresql when None.
        server_options: extra ``-c name=value`` settings (tests turn fsync off).
    """

    def __init__(
        self,
        home: Path,
        port: int,
        bin_dir: Path | None = None,
        server_options: tuple[str, ...] = (),
    ) -> None:
        self.home = home.absolute()
        self.data_dir = self.home / "pgdata"
        self.run_dir = self.home / "run"
        self.log_file = self.run_dir / "postgres.log"
        self.state_file = self.home / "cluster.json"
        self.preferred_port = port
        self._bin_dir = bin_dir
        self._server_options = server_options
        self._as_root = os.geteuid() == 0

    # -- programs -------------------------------------------------------------------------

    @property
    def bin_dir(self) -> Path:
        return _find_bin_dir(self._bin_dir)

    def _command(self, program: str, *args: str) -> list[str]:
        cmd = [str(self.bin_dir / program), *args]
        return ["runuser", "-u", SUPERUSER, "--", *cmd] if self._as_root else cmd

    def _run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = self._command(program, *args)
        log.debug("running %s", cmd)
        result = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=self.home)  # noqa: S603
        if check and result.returncode != 0:
            raise ClusterError(f"{program} failed ({result.returncode}): {(result.stderr or result.stdout).strip()}")
        return result

    def check_extensions(self) -> None:
        """Raise MissingSoftwareError naming the package of any extension that is not installed."""
        share = subprocess.run(  # noqa: S603
            [str(self.bin_dir / "pg_config"), "--sharedir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        version = self.bin_dir.parent.name
        missing = [e for e in EXTENSIONS if not (Path(share) / "extension" / f"{e}.control").is_file()]
        if missing:
            packages = " ".join(_EXTENSION_PACKAGES[e].format(v=version) for e in missing)
            raise MissingSoftwareError(
                f"PostgreSQL {version} lacks the extension(s) {', '.join(missing)}. Install with:\n"
                f"  apt-get install -y {packages}"
            )

    # -- state ----------------------------------------------------------------------------

    @property
    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").is_file()

    @property
    def port(self) -> int:
        """The port the cluster listens on (or will, when stopped)."""
        try:
            return int(json.loads(self.state_file.read_text())["port"])
        except (FileNotFoundError, KeyError, ValueError):
            return self.preferred_port

    def _running_pid(self) -> int | None:
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split("\n", 1)[0])
        except (FileNotFoundError, ValueError, PermissionError):
            return None
        return pid if _pid_is_postgres(pid, self.data_dir) else None

    def status(self) -> ClusterStatus:
        pid = self._running_pid() if self.initialized else None
        return ClusterStatus(self.initialized, pid is not None, pid, self.port, self.data_dir)

    def url(self, database: str) -> str:
        """SQLAlchemy URL of ``database`` in this cluster."""
        return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    # -- life cycle -----------------------------------------------------------------------

    def _own_by_postgres(self, *paths: Path) -> None:
        if not self._as_root:
            return
        try:
            user = pwd.getpwnam(SUPERUSER)
        except KeyError:
            raise MissingSoftwareError(
                "There is no 'postgres' user to run PostgreSQL as (running as root). Installing "
                "PostgreSQL creates it: apt-get install -y postgresql-15"
            ) from None
        for path in paths:
            os.chown(path, user.pw_uid, user.pw_gid)
        probe = subprocess.run(  # noqa: S603
            ["runuser", "-u", SUPERUSER, "--", "test", "-w", str(paths[0])],  # noqa: S607
            check=False,
        )
        if probe.returncode != 0:
            raise ClusterError(
                f"The postgres user cannot reach {paths[0]}: a parent folder is closed to other users. "
                "Set BOSAI_HOME to a folder it can reach, or open the parents (chmod o+x)."
            )

    def init(self) -> bool:
        """Create the cluster if there is none. Returns True when it was created now."""
        if self.initialized:
            return False
        self.check_extensions()
        self.home.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(mode=0o700, exist_ok=True)
        self.run_dir.mkdir(exist_ok=True)
        self._own_by_postgres(self.data_dir, self.run_dir)
        self._run(
            "initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
            "--locale=C.UTF-8",
        )  # fmt: skip
        log.info("created a PostgreSQL cluster in %s", self.data_dir)
        return True

    def _choose_port(self) -> int:
        candidates: list[int] = [self.preferred_port, *range(self.preferred_port + 1, self.preferred_port + 50)]
        for port in candidates:
            if _port_is_free(port):
                if port != self.preferred_port:
                    log.warning("port %d is taken by another program; using %d", self.preferred_port, port)
                return port
        raise ClusterError(
            f"ports {self.preferred_port}–{self.preferred_port + 49} are all taken; set BOSAI_PG_PORT to a free port"
        )

    def start(self) -> ClusterStatus:
        """Start the cluster (creating it first if needed); a running cluster is left as it is."""
        self.init()
        current = self.status()
        if current.running:
            return current
        stale = self.data_dir / "postmaster.pid"
        if stale.exists():
            log.warning("removing a stale %s (its process is gone)", stale)
            stale.unlink()
        port = self._choose_port()
        options = [f"-p {port}", f"-k {self.run_dir}", "-c listen_addresses=127.0.0.1"]
        options += [f"-c {o}" for o in self._server_options]
        result = self._run(
            "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-o", " ".join(options),
            "-w", "-t", "60", "start", check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise ClusterError(f"PostgreSQL did not start: {result.stderr.strip()}\n{self._log_tail()}")
        self.state_file.write_text(json.dumps({"port": port}))
        return self.status()

    def stop(self) -> bool:
        """Stop the cluster. Returns False when it was not running."""
        if not self.status().running:
            return False
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60", "stop")
        return True

    def _log_tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        return ""

    async def create_database(self, name: str) -> bool:
        """Create ``name`` with the PostGIS and pgRouting extensions. Returns True if it was new."""
        admin = await asyncpg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, database="postgres")
        try:
            exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                await admin.execute(f'CREATE DATABASE "{_identifier(name)}"')
        finally:
            await admin.close()
        conn = await asyncpg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, database=name)
        try:
            for extension in EXTENSIONS:
                await conn.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
        finally:
            await conn.close()
        return not exists


def _identifier(name: str) -> str:
    if not name.replace("_", "").isalnum() or not name.isascii():
        raise ClusterError(f"database name {name!r}: use ASCII letters, digits and underscores")
    return name
