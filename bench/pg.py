"""PostgreSQL figures: write transactions per second from 4 processes, the local copy's full and incremental pulls, aggregate_ms on the copy.

    python -m bench.pg [--respondents 100000] [--processes 4] [--per-process 500] [--url postgresql://…]

Without --url a throwaway PostgreSQL server is started (harness.pg_server) and stopped at the end.
Prints one JSON document; a benchmark, not a test: nothing here passes or fails on time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGN = "bench"

_WRITER = textwrap.dedent(
    """
    import json, sys, time
    from dataclasses import replace
    from survey.instrument import default_instrument
    from survey.responses import sample_submission, submit
    from survey.store import Database
    url, name, count, start_at = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    instrument = default_instrument()
    db = Database(url, linger_s=0)
    base = sample_submission(instrument, "bench")
    latencies = []
    with db.cursor() as con:
        submit(con, instrument, replace(base, submission_key=f"{name}-warm"), writer=db.writer)
        while time.time() < start_at:
            time.sleep(0.005)
        began = time.perf_counter()
        for n in range(count):
            t = time.perf_counter()
            submit(con, instrument, replace(base, submission_key=f"{name}-{n}"), writer=db.writer)
            latencies.append(time.perf_counter() - t)
        took = time.perf_counter() - began
    db.close()
    print(json.dumps({"seconds": took, "latencies": latencies}))
    """
)


def _ms(fn: Any, reps: int, before: Any = None) -> float:
    times = []
    for _ in range(reps):
        if before is not None:
            before()
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def writes(url: str, processes: int, per_process: int) -> dict[str, Any]:
    """`processes` processes, each `per_process` one-response transactions in a row (group commit has nothing to gather)."""
    from survey.campaigns import create_campaign
    from survey.instrument import default_instrument
    from survey.store import Database

    setup = Database(url, linger_s=0)
    with setup.cursor() as con:
        create_campaign(con, "Benchmark campaign", default_instrument(), campaign_id=CAMPAIGN)
    setup.close()
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "writer.py"
        script.write_text(_WRITER)
        start_at = time.time() + 8  # every process connected and warm before the clock starts
        workers = [
            subprocess.Popen(
                [sys.executable, str(script), url, f"w{n}", str(per_process), str(start_at)],
                cwd=ROOT,
                env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(processes)
        ]
        outs = [w.communicate(timeout=900) for w in workers]
    errors = [err[-500:] for w, (_, err) in zip(workers, outs, strict=True) if w.returncode]
    results = [json.loads(out.strip().splitlines()[-1]) for w, (out, _) in zip(workers, outs, strict=True) if not w.returncode]
    latencies = sorted(x for r in results for x in r["latencies"])
    wall = max(r["seconds"] for r in results) if results else 0.0
    return {
        "processes": processes,
        "transactions": len(latencies),
        "errors": len(errors),
        "tx_per_s": round(len(latencies) / wall, 1) if wall else None,
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1) if latencies else None,
        "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 1) if latencies else None,
        "first_error": errors[0] if errors else None,
    }


def copy_figures(url: str, respondents: int, reps: int) -> dict[str, Any]:
    """A campaign of `respondents` moved from a DuckDB file into PostgreSQL; a new replica's full pull, an incremental pull, aggregate_ms on both."""
    from analysis import engine
    from analysis.scope import Scope
    from analysis.scoring import clear_matrices
    from bench.data import generate
    from survey.instrument import default_instrument
    from survey.postgres import push_database
    from survey.responses import sample_submission, submit
    from survey.store import Database, forget_wave_cells

    instrument = default_instrument()
    out: dict[str, Any] = {"respondents": respondents, "items": len(instrument.item_ids)}
    scope = Scope(CAMPAIGN)
    with tempfile.TemporaryDirectory() as folder:
        file_db = Database(Path(folder) / "bench.duckdb", linger_s=0)
        with file_db.cursor() as con:
            generate(con, respondents, instrument, campaign_id=CAMPAIGN)
            out["aggregate_ms_file"] = _ms(
                lambda: engine.summary(con, scope), reps, before=lambda: (clear_matrices(), forget_wave_cells(con))
            )
            server = Database(url, linger_s=0)
            started = time.perf_counter()
            push_database(server.replica.pool, con)
            out["move_file_to_server_s"] = round(time.perf_counter() - started, 2)
            server.close()
        file_db.close()
    replica = Database(url, linger_s=0)  # opening is a full pull
    started = time.perf_counter()
    mirror = replica.replica.mirror
    out["open_with_full_pull_s"] = round(time.perf_counter() - started, 2)
    out["full_pull_s"] = round(_ms(lambda: mirror.sync(full=True), 3) / 1000, 2)
    out["full_pull_rows"] = mirror.last_pull[2]
    replica.replica.close_follower()  # the explicit sync below is then the one that pulls the new rows
    writer = Database(url, linger_s=0)
    with writer.cursor() as con:
        for _ in range(100):
            submit(con, instrument, sample_submission(instrument, CAMPAIGN), writer=writer.writer)
    started = time.perf_counter()
    kind, rows = mirror.sync()
    out["incremental_pull_ms"] = round((time.perf_counter() - started) * 1000, 1)
    out["incremental_pull_rows"] = rows
    out["idle_sync_ms"] = _ms(mirror.sync, 5)
    writer.close()
    with replica.cursor() as con:
        out["aggregate_ms_copy"] = _ms(lambda: engine.summary(con, scope), reps, before=lambda: (clear_matrices(), forget_wave_cells(con)))
        out["aggregate_warm_ms_copy"] = _ms(lambda: engine.summary(con, scope), reps)
    out["staleness_s_after"] = round(replica.staleness_s() or 0.0, 2)
    replica.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--per-process", type=int, default=500)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--url", default=None, help="an empty database on a running server (default: start a throwaway one)")
    args = parser.parse_args(argv)
    from harness import pg_server

    server = None
    try:
        if args.url:
            write_url = copy_url = args.url
        else:
            server = pg_server.start()
            write_url, copy_url = server.create("writes"), server.create("copy")
        result = {
            "writes": writes(write_url, args.processes, args.per_process),
            "copy": copy_figures(copy_url, args.respondents, args.reps),
        }
    finally:
        if server is not None:
            server.stop()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
