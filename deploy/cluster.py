"""Start, watch and stop a cluster on this machine: N Streamlit replicas of the app on loopback behind one nginx.

    COHERENCE_DB=postgresql://… python -m deploy.cluster start --replicas 3 --port 8080
    python -m deploy.cluster status
    python -m deploy.cluster stop

The replicas share the store of record named by COHERENCE_DB (a PostgreSQL URL; a DuckDB file allows one process, so
one replica) and a cookie secret (STREAMLIT_SERVER_COOKIE_SECRET, else one generated into the run folder), both
passed through the environment, never on a command line. Each replica is added to nginx only once its
`/_stcore/health` answers: open-source nginx checks replicas only passively (a failed connection takes one out for a
while), so `--watch` keeps this script in the foreground as the active check: it polls every replica, restarts one
whose process died, keeps it marked `down` in nginx until it answers again, then takes it back. Everything the
cluster writes (generated configuration, logs, pid files) stays in the run folder.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
DEFAULT_RUN_DIR = ROOT / "data" / "cluster"
STATE = "cluster.json"
NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")
FAIL_TIMEOUT_S = 10
WATCH_EVERY_S = 5.0


class ClusterError(RuntimeError):
    """The cluster cannot start or be reached; the message says what to do."""


@dataclass
class Replica:
    port: int
    pid: int = 0
    down: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    """A running cluster: nginx's address, its replicas and its run folder (state is kept in run_dir/cluster.json)."""

    port: int
    run_dir: Path
    replicas: list[Replica] = field(default_factory=list)
    access_log: bool = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def save(self) -> None:
        state = {"port": self.port, "access_log": self.access_log, "replicas": [asdict(r) for r in self.replicas]}
        (self.run_dir / STATE).write_text(json.dumps(state, indent=2) + "\n")

    @classmethod
    def load(cls, run_dir: Path) -> Cluster:
        try:
            state = json.loads((run_dir / STATE).read_text())
        except (OSError, ValueError) as exc:
            raise ClusterError(f"no cluster recorded in {run_dir} ({exc}); start one first") from exc
        return cls(state["port"], run_dir, [Replica(**r) for r in state["replicas"]], state.get("access_log", True))


def render(cluster: Cluster) -> tuple[str, str]:
    """(coherence.conf, nginx.conf) for the cluster: the site from its template with the replicas' ports, and the main file around it."""
    servers = "\n".join(
        f"    server 127.0.0.1:{r.port} max_fails=1 fail_timeout={FAIL_TIMEOUT_S}s{' down' if r.down else ''};" for r in cluster.replicas
    )
    access = f"{cluster.run_dir}/nginx-access.log" if cluster.access_log else "off"
    values = {"servers": servers, "listen": f"127.0.0.1:{cluster.port}", "fail_timeout": f"{FAIL_TIMEOUT_S} s"}
    values |= {"run_dir": str(cluster.run_dir), "access_log": access}
    # safe_substitute: nginx's own $variables stay as they are; a placeholder of ours left over is a mistake.
    texts = tuple(
        Template((HERE / name).read_text()).safe_substitute(values) for name in ("coherence.conf.template", "nginx.conf.template")
    )
    left = [name for name in values if any(f"${{{name}}}" in text for text in texts)]
    if left or any("${" in text for text in texts):
        raise ClusterError(f"placeholders left in the nginx templates: {left}")
    return texts


def healthy(url: str, timeout: float = 2.0) -> bool:
    """Whether a replica (or nginx in front of them) answers GET /_stcore/health with "ok"."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=timeout) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except OSError:
        return False


def wait_healthy(url: str, timeout_s: float, proc: subprocess.Popen | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while not healthy(url):
        if (proc is not None and proc.poll() is not None) or time.monotonic() > deadline:
            tail = log.read_text()[-2000:] if log and log.exists() else ""
            raise ClusterError(f"{url} did not answer /_stcore/health within {timeout_s:.0f} s\n{tail}")
        time.sleep(0.3)


def _environment(run_dir: Path) -> dict[str, str]:
    """The replicas' environment: COHERENCE_DB as given, and one cookie secret for all (signed sign-in cookies must
    verify on whichever replica a browser reaches after another died)."""
    env = dict(os.environ)
    if not env.get("STREAMLIT_SERVER_COOKIE_SECRET"):
        secret_file = run_dir / "cookie-secret"
        if not secret_file.exists():
            secret_file.write_text(secrets.token_urlsafe(32))
            secret_file.chmod(0o600)
        env["STREAMLIT_SERVER_COOKIE_SECRET"] = secret_file.read_text().strip()
    return env


def _check_store(replicas: int) -> None:
    store = os.environ.get("COHERENCE_DB", "")
    if replicas > 1 and not store.startswith(("postgresql://", "postgres://")):
        raise ClusterError(
            "more than one replica needs PostgreSQL as the store of record: set COHERENCE_DB=postgresql://… in the environment "
            "(a DuckDB file can be opened by one process only; with one, start a single replica)"
        )


def start_replica(replica: Replica, run_dir: Path, extra: tuple[str, ...] = ()) -> subprocess.Popen:
    """`streamlit run app.py` on the replica's loopback port, in a session of its own (it outlives this script)."""
    log = run_dir / f"replica-{replica.port}.log"
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(replica.port), "--server.address", "127.0.0.1"]
    command += ["--server.headless", "true", "--browser.gatherUsageStats", "false", *extra]
    with open(log, "a") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=_environment(run_dir), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    replica.pid = proc.pid
    return proc


def write_config(cluster: Cluster) -> Path:
    site, main = render(cluster)
    (cluster.run_dir / "coherence.conf").write_text(site)
    (cluster.run_dir / "nginx-tmp").mkdir(exist_ok=True)
    conf = cluster.run_dir / "nginx.conf"
    conf.write_text(main)
    return conf


def _nginx(cluster: Cluster, *args: str) -> None:
    conf = cluster.run_dir / "nginx.conf"
    command = [NGINX, "-p", str(cluster.run_dir), "-c", str(conf), "-e", str(cluster.run_dir / "nginx-error.log"), *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ClusterError(f"nginx {' '.join(args) or 'start'} failed: {done.stderr.strip()}")


def reload_nginx(cluster: Cluster) -> None:
    """Write the configuration for the replicas' current state and let nginx pick it up without dropping connections."""
    write_config(cluster)
    _nginx(cluster, "-t", "-q")
    _nginx(cluster, "-s", "reload")
    cluster.save()


def start(
    replicas: int,
    port: int,
    first_port: int,
    run_dir: Path,
    *,
    access_log: bool = True,
    extra: tuple[str, ...] = (),
    timeout_s: float = 120,
) -> Cluster:
    """Start the replicas, wait until each answers its health check, then start nginx in front of them."""
    _check_store(replicas)
    run_dir = run_dir.resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    if (run_dir / STATE).exists():
        raise ClusterError(f"a cluster is already recorded in {run_dir}: stop it first (python -m deploy.cluster stop)")
    cluster = Cluster(port, run_dir, [Replica(first_port + i) for i in range(replicas)], access_log)
    procs = [start_replica(r, run_dir, extra) for r in cluster.replicas]
    cluster.save()
    try:
        for replica, proc in zip(cluster.replicas, procs, strict=True):
            wait_healthy(replica.url, timeout_s, proc, run_dir / f"replica-{replica.port}.log")
        write_config(cluster)
        _nginx(cluster, "-t", "-q")
        _nginx(cluster)
        wait_healthy(cluster.url, 30)
    except BaseException:
        stop(run_dir)
        raise
    return cluster


def _is_replica(pid: int, port: int) -> bool:
    """Whether `pid` is still our replica on `port` (a pid file can outlive its process, and the pid be reused)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"streamlit" in b" ".join(cmdline) and str(port).encode() in cmdline


def stop(run_dir: Path, timeout_s: float = 20) -> None:
    """Stop nginx, then every replica (SIGTERM, SIGKILL after `timeout_s`), and forget the cluster."""
    run_dir = run_dir.resolve()
    cluster = Cluster.load(run_dir)
    if (run_dir / "nginx.pid").exists():
        with suppress(ClusterError):
            _nginx(cluster, "-s", "quit")
    for replica in cluster.replicas:
        if _is_replica(replica.pid, replica.port):
            os.kill(replica.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    for replica in cluster.replicas:
        while _is_replica(replica.pid, replica.port) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _is_replica(replica.pid, replica.port):
            os.kill(replica.pid, signal.SIGKILL)
    while (run_dir / "nginx.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    (run_dir / STATE).unlink(missing_ok=True)


def watch_once(cluster: Cluster, extra: tuple[str, ...] = ()) -> list[str]:
    """One round of the active health check; returns what it did. A dead replica is restarted and marked down,
    a replica marked down that answers again is taken back; nginx is reloaded when anything changed."""
    done = []
    for replica in cluster.replicas:
        ok = healthy(replica.url)
        if not ok and not _is_replica(replica.pid, replica.port):
            start_replica(replica, cluster.run_dir, extra)
            done.append(f"replica {replica.port} had stopped: restarted")
        if ok == replica.down:
            replica.down = not ok
            done.append(f"replica {replica.port} {'back in' if ok else 'marked down'}")
    if done:
        reload_nginx(cluster)
    return done


@contextmanager
def running(replicas: int, port: int, first_port: int, run_dir: Path, **options: object) -> Iterator[Cluster]:
    """A cluster for the length of a block (tests, the load benchmark)."""
    cluster = start(replicas, port, first_port, run_dir, **options)
    try:
        yield cluster
    finally:
        stop(run_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.cluster", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("start", "status", "stop"))
    parser.add_argument("--replicas", type=int, default=2, help="Streamlit replicas (default 2)")
    parser.add_argument("--port", type=int, default=8080, help="nginx listens on 127.0.0.1:PORT (default 8080)")
    parser.add_argument("--first-port", type=int, default=8501, help="replicas on 127.0.0.1:FIRST_PORT and up (default 8501)")
    parser.add_argument("--run-dir", type=Path, default=DEFAULT_RUN_DIR, help="generated configuration, logs and pids")
    parser.add_argument("--watch", action="store_true", help="stay in the foreground as the active health check; Ctrl+C stops all")
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            cluster = start(args.replicas, args.port, args.first_port, args.run_dir)
            print(f"cluster: {len(cluster.replicas)} replica(s) behind {cluster.url} (configuration in {cluster.run_dir})")
            if args.watch:
                try:
                    while True:
                        time.sleep(WATCH_EVERY_S)
                        for line in watch_once(cluster):
                            print(f"cluster: {line}", flush=True)
                except KeyboardInterrupt:
                    stop(args.run_dir)
        elif args.command == "status":
            cluster = Cluster.load(args.run_dir.resolve())
            print(f"nginx {cluster.url}: {'ok' if healthy(cluster.url) else 'NOT ANSWERING'}")
            for replica in cluster.replicas:
                print(f"replica {replica.url} (pid {replica.pid}): {'ok' if healthy(replica.url) else 'NOT ANSWERING'}")
        else:
            stop(args.run_dir)
            print("cluster: stopped")
    except ClusterError as exc:
        print(f"cluster: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
