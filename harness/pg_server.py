"""A throwaway PostgreSQL 15 server for tests and benchmarks: initdb into a temp folder, listen on 127.0.0.1, stop at the end."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ENV_TEST_PG = "COHERENCE_TEST_PG"  # a server URL given from outside (.ci/run); a new database is made on it per use
BIN_DIRS = (Path("/usr/lib/postgresql/15/bin"), Path("/usr/lib/postgresql/16/bin"), Path("/usr/lib/postgresql/17/bin"))
PORTS = range(55000, 56000)


class ServerUnavailable(RuntimeError):
    """No PostgreSQL binaries, or the server did not start; the message says which."""


def _bin_dir() -> Path:
    for folder in BIN_DIRS:
        if (folder / "pg_ctl").exists():
            return folder
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    raise ServerUnavailable("PostgreSQL is not installed (no pg_ctl); on Debian: apt-get install postgresql")


def _free_port() -> int:
    start = 55000 + os.getpid() % 1000
    for offset in range(len(PORTS)):
        port = PORTS.start + (start - PORTS.start + offset) % len(PORTS)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise ServerUnavailable("no free port in 55000-55999")


def _as_owner(args: list[str]) -> list[str]:
    """initdb and pg_ctl refuse to run as root: as root they run as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@dataclass
class Server:
    """A running server; `url(db)` names one of its databases, `create()` makes a new empty one."""

    host: str
    port: int
    user: str
    folder: Path | None  # the data folder when this process started the server
    bin_dir: Path | None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    def create(self, prefix: str = "t") -> str:
        """A new empty database on the server; returns its URL."""
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.folder is None or self.bin_dir is None:
            return
        subprocess.run(
            _as_owner([str(self.bin_dir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop"]), capture_output=True
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def start() -> Server:
    """The server named by COHERENCE_TEST_PG, else a new one on a free port in 55000-55999 with its socket under /tmp."""
    given = os.environ.get(ENV_TEST_PG)
    if given:
        from urllib.parse import urlparse

        parts = urlparse(given)
        return Server(parts.hostname or "127.0.0.1", parts.port or 5432, parts.username or "postgres", None, None)
    bin_dir = _bin_dir()
    folder = Path(tempfile.mkdtemp(prefix="coherence-pg-", dir="/tmp"))
    folder.chmod(0o755)
    data, sockets = folder / "data", folder / "sock"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(sockets, "postgres")
    init = subprocess.run(
        _as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]),
        capture_output=True,
        text=True,
    )
    if init.returncode:
        shutil.rmtree(folder, ignore_errors=True)
        raise ServerUnavailable(f"initdb failed: {init.stderr.strip()[-400:]}")
    for _ in range(5):
        port = _free_port()
        options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sockets} -c max_connections=200 -c fsync=on"
        run = subprocess.run(
            _as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "-t", "60", "start"]),
            capture_output=True,
            text=True,
        )
        if run.returncode == 0:
            server = Server("127.0.0.1", port, "postgres", folder, bin_dir)
            _wait(server)
            return server
    log = (folder / "log").read_text(errors="replace")[-400:] if (folder / "log").exists() else ""
    shutil.rmtree(folder, ignore_errors=True)
    raise ServerUnavailable(f"pg_ctl start failed: {run.stderr.strip()[-300:]} {log}")


def _wait(server: Server) -> None:
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        try:
            psycopg.connect(server.url(), connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
