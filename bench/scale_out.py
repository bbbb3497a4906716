"""Load through nginx in front of 1, 2, 3 app replicas on PostgreSQL, with a kill -9 of one replica mid-run.

    COHERENCE_DB=postgresql://… python bench/scale_out.py --replicas 1,2,3 --sessions 150,300 --kill 2,3

Each level starts a cluster (`deploy.cluster`: replicas on loopback, nginx with cookie stickiness) against a new
campaign in the PostgreSQL database named by COHERENCE_DB, lets simulated respondents (`bench.load.respondent`,
Streamlit's websocket protocol) walk through the survey at a human pace through nginx, and counts what the database
holds afterwards: every acknowledged submission exactly once. A kill level sends SIGKILL to one replica half-way;
its respondents reconnect through nginx to another replica with their URL's resume token and carry on. Also
measured: PostgreSQL transactions per second used by the level and available (4 processes submitting flat out),
and how far behind the dashboards' local copy was (a replica's sync, run in this process). The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import signal
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load import P99_LIMIT_S, Recorder, ms, percentile, respondent  # noqa: E402
from bench.protocol import Tab  # noqa: E402
from deploy import cluster as deploy  # noqa: E402
from harness.server import free_port  # noqa: E402


def make_campaign(url: str, campaign_id: str) -> None:
    from survey.campaigns import create_campaign
    from survey.instrument import default_instrument
    from survey.store import Database

    database = Database(url)
    try:
        with database.cursor() as con:
            create_campaign(con, f"Load {campaign_id}", default_instrument(), campaign_id=campaign_id)
    finally:
        database.close()


def count(url: str, campaign_id: str) -> tuple[int, int, int]:
    """(responses, answer rows, distinct submission keys) of the campaign, read from PostgreSQL itself."""
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT r.submission_key), (SELECT count(*) FROM answers a JOIN responses r2 "
            "ON r2.response_id = a.response_id WHERE r2.campaign_id = %s) FROM responses r WHERE r.campaign_id = %s",
            [campaign_id, campaign_id],
        ).fetchone()
    return int(row[0]), int(row[2]), int(row[1])


def commits(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        return int(conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").fetchone()[0])


class StalenessProbe:
    """A replica's local copy in this process, synced as each app replica syncs its own: how old is what dashboards read?"""

    def __init__(self, url: str) -> None:
        from survey.store import Database

        self.database = Database(url)
        self.ages: list[float] = []
        self.behind: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psycopg

        replica = self.database.replica
        with psycopg.connect(self.database.url, autocommit=True) as conn:
            while not self._stop.wait(1.0):
                age = replica.mirror.staleness_s()
                live = conn.execute("SELECT count(*) FROM responses").fetchone()[0]
                copy = replica.local.cursor().execute("SELECT count(*) FROM responses").fetchone()[0]
                if age is not None:
                    self.ages.append(age)
                self.behind.append(int(live) - int(copy))

    def __enter__(self) -> StalenessProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.database.close()


async def warm_up(urls: list[str]) -> None:
    """Each replica loads the survey once, so the level measures running servers rather than first imports."""
    for url in urls:
        tab = Tab(url, "survey", timeout=120)
        await tab.open()
        try:
            await tab.rerun([])
        finally:
            await tab.close()


async def drive(cluster: deploy.Cluster, n: int, think: float, seed: int, campaign_id: str, kill_at: float | None) -> tuple[Recorder, dict]:
    rec = Recorder()
    rng = random.Random(seed)
    killed: dict = {}
    await warm_up([r.url for r in cluster.replicas])

    async def one() -> None:
        person = random.Random(rng.random())
        await asyncio.sleep(person.uniform(0, think))
        await respondent(cluster.url, person, think, rec, 30.0, query=f"c={campaign_id}", reconnects=3)

    async def kill() -> None:
        await asyncio.sleep(kill_at or 0)
        victim = cluster.replicas[-1]
        os.kill(victim.pid, signal.SIGKILL)
        killed.update({"replica_port": victim.port, "at_s": round(kill_at or 0, 1), "open_tabs": rec.open_tabs})

    tasks = [one() for _ in range(n)] + ([kill()] if kill_at is not None else [])
    started = time.perf_counter()
    await asyncio.gather(*tasks)
    killed["wall_s"] = round(time.perf_counter() - started, 1)
    return rec, killed


def run_level(url: str, replicas: int, sessions: int, think: float, seed: int, workdir: Path, kill: bool, log: object = print) -> dict:
    campaign_id = f"load_{replicas}r_{sessions}s_{'kill' if kill else 'run'}_{seed}_{int(time.time())}"  # a new campaign per run
    make_campaign(url, campaign_id)
    run_dir = workdir / campaign_id
    port, first = free_port(), free_port()
    before = commits(url)
    with deploy.running(replicas, port, first, run_dir, access_log=False) as cluster, StalenessProbe(url) as probe:
        kill_at = think * 6 if kill else None  # half-way through a respondent's dozen moves
        t0 = time.perf_counter()
        rec, killed = asyncio.run(drive(cluster, sessions, think, seed, campaign_id, kill_at))
        wall = time.perf_counter() - t0
    used_tx = (commits(url) - before) / wall
    stored, answer_rows, keys = count(url, campaign_id)
    db_ok = rec.submitted <= stored <= rec.submitted + rec.submit_unknown and keys == stored and answer_rows == 30 * stored
    moving = rec.times["section"] + rec.times["submit"]
    result = {
        "replicas": replicas,
        "sessions": sessions,
        "think_s": think,
        "killed": killed if kill else None,
        "errors": len(rec.errors) + (0 if db_ok else 1),
        "error_samples": rec.errors[:3],
        "submitted": rec.submitted,
        "submit_unknown": rec.submit_unknown,
        "resumed_sessions": rec.resumed,
        "resume_p99_ms": ms(percentile(rec.times["resume"], 99)),
        "stored": stored,
        "db_check": db_ok,
        "section_p50_ms": ms(percentile(rec.times["section"], 50)),
        "section_p99_ms": ms(percentile(rec.times["section"], 99)),
        "submit_rt_p99_ms": ms(percentile(rec.times["submit"], 99)),
        "moves_per_s": round(len(moving) / wall, 1),
        "pg_tx_per_s_used": round(used_tx, 1),
        "staleness_max_s": round(max(probe.ages, default=0), 1),
        "staleness_p99_s": round(percentile(probe.ages, 99) or 0, 1),
        "copy_behind_max_responses": max(probe.behind, default=0),
    }
    p99 = max(v for v in (result["section_p99_ms"], result["submit_rt_p99_ms"], 0) if v is not None)
    # A kill level passes on its count: the moves caught by the kill wait for a reconnect by design.
    result["passed"] = result["errors"] == 0 and (kill or p99 < P99_LIMIT_S * 1000)
    log(
        f"  {replicas} replica(s), {sessions} sessions{' + kill -9' if kill else ''}: section p50/p99 "
        f"{result['section_p50_ms']}/{result['section_p99_ms']} ms, submit p99 {result['submit_rt_p99_ms']} ms, "
        f"errors {result['errors']}, stored {stored} (acknowledged {rec.submitted}, unknown {rec.submit_unknown}), "
        f"resumed {rec.resumed}, pg {result['pg_tx_per_s_used']} tx/s, staleness max {result['staleness_max_s']} s "
        f"-> {'ok' if result['passed'] else 'FAIL'}"
    )
    return result


def _submit_flat_out(url: str, campaign_id: str, count_: int, seed: int, out: multiprocessing.Queue) -> None:
    from survey.instrument import default_instrument
    from survey.responses import Submission, submit
    from survey.store import Database

    instrument = default_instrument()
    rng = random.Random(seed)
    database = Database(url)
    done = 0
    with database.cursor() as con:
        started = time.perf_counter()
        for _ in range(count_):
            sub = Submission(
                campaign_id,
                1,
                "en",
                {a: rng.choice(list(attr.options)) for a, attr in instrument.attributes.items()},
                {item: rng.randint(1, 5) for item in instrument.item_ids},
                submission_key=uuid.uuid4().hex,  # new every run: a key stored before would be answered with its old response
            )
            submit(con, instrument, sub, database.writer)
            done += 1
        out.put((done, time.perf_counter() - started))
    database.close()


def _insert_flat_out(url: str, campaign_id: str, count_: int, seed: int, out: multiprocessing.Queue) -> None:
    """One process writing one response (1 row + 30 answer rows) a transaction with psycopg, no app code: PostgreSQL's own rate."""
    import datetime as dt

    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        for _ in range(count_):
            rid = uuid.uuid4().hex
            with conn.transaction():
                conn.execute(
                    "INSERT INTO responses (response_id, campaign_id, wave, submitted_on, language, source, submission_key) "
                    "VALUES (%s, %s, 1, %s, 'en', 'web', %s)",
                    [rid, campaign_id, dt.date.today(), rid],
                )
                with conn.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO answers (response_id, item_id, value) VALUES (%s, %s, %s)", [(rid, f"I{i}", 3) for i in range(30)]
                    )
        out.put((count_, time.perf_counter() - started))


def write_headroom(url: str, processes: int = 4, each: int = 200, raw_each: int = 500) -> dict:
    """Submissions per second: through the app's submit path from `processes` processes, and PostgreSQL's own rate
    for the same rows written directly (what the server could take; the difference is the app's per-commit work)."""
    result = _flat_out(url, _submit_flat_out, processes, each)
    raw = _flat_out(url, _insert_flat_out, processes, raw_each)
    return {"processes": processes, "app_submit_tx_per_s": result, "postgresql_tx_per_s": raw}


def _flat_out(url: str, target: object, processes: int, each: int) -> float:
    campaign_id = f"headroom_{target.__name__.strip('_')}_{int(time.time())}"
    make_campaign(url, campaign_id)
    queue: multiprocessing.Queue = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=target, args=(url, campaign_id, each, i, queue)) for i in range(processes)]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=900) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    stored = count(url, campaign_id)[0]
    return round(stored / max(seconds for _, seconds in results), 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", default="1,2,3", help="replica counts, comma-separated")
    parser.add_argument("--sessions", default="150,300", help="concurrent respondents per level, comma-separated")
    parser.add_argument("--kill", default="2,3", help="replica counts that also run a kill -9 level (at the first session count)")
    parser.add_argument("--think", type=float, default=5.0, help="mean think time a section, seconds (default 5)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--headroom", type=int, default=4, help="processes of the write headroom test (0 = skip)")
    parser.add_argument("--headroom-each", type=int, default=200, help="submissions per process through the app's submit path")
    args = parser.parse_args(argv)
    url = os.environ.get("COHERENCE_DB", "")
    if not url.startswith(("postgresql://", "postgres://")):
        print("scale_out: set COHERENCE_DB=postgresql://… (in the environment) to the database to load", file=sys.stderr)
        return 2
    counts = [int(x) for x in args.replicas.split(",") if x]
    sessions = [int(x) for x in args.sessions.split(",") if x]
    kills = {int(x) for x in args.kill.split(",") if x}
    levels = []
    with tempfile.TemporaryDirectory(prefix="coherence-scale-") as tmp:
        for replicas in counts:
            for n in sessions:
                levels.append(run_level(url, replicas, n, args.think, args.seed, Path(tmp), kill=False))
            if replicas in kills:
                levels.append(run_level(url, replicas, sessions[0], args.think, args.seed, Path(tmp), kill=True))
    headroom = write_headroom(url, args.headroom, args.headroom_each) if args.headroom else None
    if headroom:
        print(
            f"  write headroom, {headroom['processes']} processes flat out: {headroom['app_submit_tx_per_s']} submissions/s through the app's "
            f"submit, {headroom['postgresql_tx_per_s']} tx/s written directly"
        )
    print(json.dumps({"levels": levels, "write_headroom": headroom}))
    return 0 if all(level["errors"] == 0 for level in levels) else 1


if __name__ == "__main__":
    sys.exit(main())
