"""Crash safety of an import: `kill -9` the command at many moments; the database opens cleanly with all rows of the file or none."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

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


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 20,000-row file and a database holding only its campaign, copied fresh for every kill."""
    folder = tmp_path_factory.mktemp("atomic")
    rows = [make_files.good_rows()[i % 10] for i in range(ROWS)]
    big = folder / "big.csv"
    big.write_bytes(make_files._csv(rows).encode("utf-8"))
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
    """Opens the database as the app would (migrations, write-ahead log replay) and counts what the import left."""
    db = Database(db_path, linger_s=0, wait_s=5)
    try:
        with db.cursor() as con:
            out = {
                table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("responses", "response_attributes", "answers", "value_choices", "imports")
            }
            out["orphans"] = con.execute(
                "SELECT count(*) FROM answers a WHERE NOT EXISTS (SELECT 1 FROM responses r WHERE r.response_id = a.response_id)"
            ).fetchone()[0]
            out["imported_rows"] = con.execute("SELECT coalesce(sum(rows), 0) FROM imports").fetchone()[0]
    finally:
        db.close()
    return out


def _assert_all_or_nothing(state: dict[str, int]) -> bool:
    """True when the whole file is there, False when none of it is; anything else fails the test."""
    assert state["orphans"] == 0, state
    if state["responses"] == 0:
        assert state == {"responses": 0, "response_attributes": 0, "answers": 0, "value_choices": 0, "imports": 0, "orphans": 0,
                         "imported_rows": 0}, state  # fmt: skip
        return False
    assert state["responses"] == ROWS and state["answers"] == ROWS * ITEMS, state
    assert state["response_attributes"] == ROWS * 3 and state["imports"] == 1 and state["imported_rows"] == ROWS, state
    return True


def test_import_killed_at_any_moment_leaves_all_or_nothing(setup: tuple[Path, Path], tmp_path: Path) -> None:
    big, base = setup
    reference = tmp_path / "reference.duckdb"
    shutil.copy(base, reference)
    started = time.monotonic()
    done = subprocess.run(_command(big, reference), capture_output=True, text=True, cwd=ROOT, timeout=300)
    duration = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"imported {ROWS} responses from big.csv into campaign 'atomic'")
    assert _assert_all_or_nothing(_state(reference))

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
