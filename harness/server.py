"""The real app for tests and measurements: `streamlit run app.py` on a free loopback port, stopped when the block ends."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Server:
    """A running app: its base URL, the process (for its memory) and its log file."""

    url: str
    pid: int
    log: Path


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(
    db_path: Path, extra: tuple[str, ...] = (), env: dict[str, str] | None = None, start_timeout_s: float = 90
) -> Iterator[Server]:
    """`streamlit run app.py` on a free loopback port against `db_path`; stopped (and the file let go) when the block ends.

    The browser tests and the load test both start the app through this, so there is one way to run it for measuring and testing.
    """
    port = free_port()
    log_path = db_path.parent / f"streamlit-{port}.log"
    env = {**os.environ, "COHERENCE_DB": str(db_path), **(env or {})}
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
                *extra,
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + start_timeout_s
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not start: {log_path.read_text()[-2000:]}")
                time.sleep(0.3)
            yield Server(url=url, pid=proc.pid, log=log_path)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
