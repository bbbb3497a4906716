"""Crash safety of an import: `kill -9` the command at many moments, and many times during its commit; the database opens with all rows of the file or none."""

from __future__ import annotations

import importlib.util
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from survey.campaigns import create_campaign
from survey.store import Database

ROOT = Path(__file__).resolve().parent.parent
IMPORTS = Path(__file__).resolve().parent / "data" / "imports"
ROWS = 20_000
ITEMS = 30
_spec = importlib.util.spec_from_file_location("make_files", IMPORTS / "make_files.py")
assert _spec and _spec.loader
make_files = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_files)
# Kill moments as fractions of one uninterrupted run (start-up, reading, validating, writing), and delays
# after the database file starts to grow (the insert under way, then the commit).
FRACTIONS = (0.2, 0.5, 0.75, 0.9)
AFTER_WRITE_STARTS = (0.0, 0.1, 0.25, 0.5)
# Kills during the commit itself: an import big enough that its answers are written as row groups before the commit
# (DuckDB writes 122,880 rows at a time ahead of it: the rows 1.5 could half bring back), killed at a random moment of
# its COMMIT this many times. With DuckDB 1.5.5 in place of 2.0.1, 20 of these 50 kills left the import's 240,000
# answers without responses or import record.
COMMIT_ROWS = 8_000
COMMIT_KILLS = 50


def _file(folder: Path, rows: int) -> Path:
    path = folder / "big.csv"
    path.write_bytes(make_files._csv([make_files.good_rows()[i % 10] for i in range(rows)]).encode("utf-8"))
    return path


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 20,000-row file and a database holding only its campaign, copied fresh for every kill."""
    folder = tmp_path_factory.mktemp("atomic")
    big = _file(folder, ROWS)
    base = folder / "base.duckdb"
    db = Database(base, linger_s=0)
    with db.cursor() as con:
        create_campaign(con, "Atomic", campaign_id="atomic")
        con.execute("CHECKPOINT")
    db.close()
    return big, base


def _command(big: Path, db: Path) -> list[str]:
    return [sys.executable, "-m", "survey", "import", str(big), "--campaign", "atomic", "--db", str(db)]


def _state(db_path: Path) -> dict[str, int]:
    """Counts what the import left as DuckDB itself recovers it (read-only: the log is replayed in memory, before the
    store's consistency check could repair anything), then opens the file as the app would and finds nothing to repair."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        out = {
            table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("responses", "response_attributes", "answers", "value_choices", "imports")
        }
        out["orphans"] = con.execute(
            "SELECT count(*) FROM answers a WHERE NOT EXISTS (SELECT 1 FROM responses r WHERE r.response_id = a.response_id)"
        ).fetchone()[0]
        out["imported_rows"] = con.execute("SELECT coalesce(sum(rows), 0) FROM imports").fetchone()[0]
    finally:
        con.close()
    db = Database(db_path, linger_s=0, wait_s=5)
    try:
        with db.cursor():
            pass
    finally:
        db.close()
    assert db.findings == (), [str(f) for f in db.findings]
    return out


def _assert_all_or_nothing(state: dict[str, int], rows: int = ROWS) -> bool:
    """True when the whole file is there, False when none of it is; anything else fails the test."""
    assert state["orphans"] == 0, state
    if state["responses"] == 0:
        assert state == {"responses": 0, "response_attributes": 0, "answers": 0, "value_choices": 0, "imports": 0, "orphans": 0,
                         "imported_rows": 0}, state  # fmt: skip
        return False
    assert state["responses"] == rows and state["answers"] == rows * ITEMS, state
    assert state["response_attributes"] == rows * 3 and state["imports"] == 1 and state["imported_rows"] == rows, state
    return True


@pytest.mark.slow
def test_import_killed_at_any_moment_leaves_all_or_nothing(setup: tuple[Path, Path], tmp_path: Path) -> None:
    big, base = setup
    durations = []
    for name in ("reference", "reference-again"):  # the first run pays for cold caches: kills are timed on the faster
        reference = tmp_path / f"{name}.duckdb"
        shutil.copy(base, reference)
        started = time.monotonic()
        done = subprocess.run(_command(big, reference), capture_output=True, text=True, cwd=ROOT, timeout=300)
        durations.append(time.monotonic() - started)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"imported {ROWS} responses from big.csv into campaign 'atomic'")
        assert _assert_all_or_nothing(_state(reference))
    duration = min(durations)

    outcomes = []
    for fraction in FRACTIONS:
        target = tmp_path / f"kill-at-{fraction}.duckdb"
        shutil.copy(base, target)
        process = subprocess.Popen(_command(big, target), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(duration * fraction)
        outcomes.append(("time", fraction, _kill(process), _assert_all_or_nothing(_state(target))))
    for delay in AFTER_WRITE_STARTS:
        target = tmp_path / f"kill-after-write-{delay}.duckdb"
        shutil.copy(base, target)
        size = target.stat().st_size
        process = subprocess.Popen(_command(big, target), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while process.poll() is None and target.stat().st_size == size and not Path(f"{target}.wal").exists():
            time.sleep(0.01)
        time.sleep(delay)
        outcomes.append(("write", delay, _kill(process), _assert_all_or_nothing(_state(target))))
    print(f"uninterrupted import of {ROWS} rows: {duration:.1f} s; outcomes (moment, at, killed, complete): {outcomes}")
    assert sum(1 for o in outcomes if o[0] == "time" and o[2]) >= 3, outcomes
    assert any(o[0] == "write" and o[2] for o in outcomes), f"no kill landed while the import was writing: {outcomes}"
    assert any(o[2] and not o[3] for o in outcomes), outcomes


def _kill(process: subprocess.Popen) -> bool:
    """kill -9 if still running; True when it was."""
    running = process.poll() is None
    if running:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    return running


@pytest.mark.slow
def test_killed_import_can_simply_be_run_again(setup: tuple[Path, Path], tmp_path: Path) -> None:
    big, base = setup
    target = tmp_path / "again.duckdb"
    shutil.copy(base, target)
    process = subprocess.Popen(_command(big, target), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2.5)
    _kill(process)
    first = _assert_all_or_nothing(_state(target))
    done = subprocess.run(_command(big, target), capture_output=True, text=True, cwd=ROOT, timeout=300)
    if first:  # the killed run had committed: the same file is recognised and refused
        assert done.returncode == 1 and "already imported" in done.stderr
    else:
        assert done.returncode == 0, done.stderr
    assert _assert_all_or_nothing(_state(target))


# The zygote: imports everything and parses the file once, then per line `TARGET DELAY` on stdin forks a child that runs
# the real import (survey.importer.run_import) into TARGET, and kills it with SIGKILL DELAY seconds after its COMMIT
# began (a negative DELAY: no kill). Forking skips the seconds of start-up and parsing per kill. The child reports the
# moments through the store's own transaction, wrapped: b"c" as COMMIT starts, b"C" once it returned. The zygote
# answers one line per run: `<status> <committed: C or -> <ms from COMMIT start to the end or the kill>`.
_ZYGOTE = r"""
import os, signal, sys, time, traceback
from contextlib import contextmanager

import survey.importer as importer
from survey import store
from survey.instrument import default_instrument

data = open(sys.argv[1], "rb").read()
preview = importer.validate_file(default_instrument(), data, "big.csv")
assert preview.ok, preview.report()[:5]


def observed(pipe):
    @contextmanager
    def transaction(con):
        with store.transaction(con) as inner:
            yield inner
            os.write(pipe, b"c")
        os.write(pipe, b"C")

    return transaction


print("ready", flush=True)
for line in sys.stdin:
    target, delay = line.split()
    delay = float(delay)
    read, write = os.pipe()
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        code = 1
        try:
            importer.transaction = observed(write)
            with store.Database(target, linger_s=0).cursor() as con:
                importer.run_import(con, "atomic", data, "big.csv", preview=preview, actor="kill test")
            code = 0
        except BaseException:
            traceback.print_exc()
        os._exit(code)
    os.close(write)
    first = os.read(read, 1)
    started = time.perf_counter()
    if first == b"c" and delay >= 0:
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
    elif first == b"c":
        os.read(read, 1)
    ended = time.perf_counter()
    status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    rest = b""
    while chunk := os.read(read, 16):
        rest += chunk
    os.close(read)
    committed = "never" if first != b"c" else "C" if delay < 0 or b"C" in rest else "-"
    print(f"{status} {committed} {(ended - started) * 1000:.2f}", flush=True)
"""


@pytest.mark.slow
def test_kill_9_during_the_commit_of_a_large_import_leaves_all_or_nothing(tmp_path: Path) -> None:
    """At least 50 kills, each at a random moment of the import's COMMIT (and a few just after it returned, while the file
    is closed and checkpointed): every time the database holds the whole import with its record, or nothing of it."""
    big = _file(tmp_path, COMMIT_ROWS)
    base = tmp_path / "base.duckdb"
    db = Database(base, linger_s=0)
    with db.cursor() as con:
        create_campaign(con, "Atomic", campaign_id="atomic")
    db.close()
    zygote = subprocess.Popen(
        [sys.executable, "-c", _ZYGOTE, str(big)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
    )
    try:
        assert zygote.stdout.readline().strip() == "ready"

        def run(name: str, delay: float) -> tuple[int, str, float, bool]:
            target = tmp_path / f"{name}.duckdb"
            shutil.copy(base, target)
            zygote.stdin.write(f"{target} {delay}\n")
            zygote.stdin.flush()
            status, committed, ms = zygote.stdout.readline().split()
            complete = _assert_all_or_nothing(_state(target), COMMIT_ROWS)
            assert committed != "never", "the import ended before its commit"
            if committed == "C" or status == "0":
                assert complete, "an import whose COMMIT had returned was lost"
            target.unlink()
            Path(f"{target}.wal").unlink(missing_ok=True)
            return int(status), committed, float(ms), complete

        status, _, commit_ms, _ = run("reference", -1)
        assert status == 0
        rng = random.Random(20261201)
        outcomes = [run(f"kill-{kill}", rng.uniform(0, 1.2 * commit_ms) / 1000) for kill in range(COMMIT_KILLS)]
    finally:
        zygote.stdin.close()
        zygote.wait(timeout=60)
    killed = [o for o in outcomes if o[0] == -signal.SIGKILL]
    during = [o for o in killed if o[1] == "-"]
    print(
        f"\n{len(killed)} kill -9 of a {COMMIT_ROWS}-row import ({COMMIT_ROWS * ITEMS} answers) aimed at its COMMIT "
        f"({commit_ms:.0f} ms uninterrupted): {len(during)} landed during the commit ({sum(o[3] for o in during)} left the "
        f"whole import, {sum(not o[3] for o in during)} nothing), {len(killed) - len(during)} after it returned (closing the "
        f"file), {len(outcomes) - len(killed)} too late; nothing partial"
    )
    assert len(killed) >= COMMIT_KILLS // 2, outcomes
    assert during, f"no kill landed during the commit: {outcomes}"
