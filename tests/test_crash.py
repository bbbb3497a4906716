"""Crash safety: kill -9 at many moments, a full disk, and a damaged write-ahead log lose nothing acknowledged."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from survey.campaigns import create_campaign
from survey.instrument import Instrument
from survey.responses import Submission, submit
from survey.store import Database, DatabaseDamaged

ROOT = Path(__file__).resolve().parent.parent
KILLS = 15

# The child: submits random responses (and now and then imports a file) as fast as it can, printing every
# id only after submit/run_import returned, i.e. what a respondent would have seen as "thank you".
_CHILD = r"""
import random, resource, signal, string, sys
from survey.campaigns import campaign_instrument
from survey.importer import run_import
from survey.responses import Submission, submit
from survey.store import Database

path, seed, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(seed)
# Holding the file (as the app does) or letting go after every use (as the CLI does): both get killed.
db = Database(path, linger_s=3600 if mode == "full" else rng.choice([0, 3600]), wait_s=30)
with db.cursor() as con:
    instrument = campaign_instrument(con, "crash")
items, attrs = instrument.item_ids, instrument.attributes
losses = list(instrument.value_at_stake.losses)


def comment():
    # Random letters do not compress, so a full disk is reached after a few dozen submissions.
    return "".join(rng.choices(string.ascii_letters + " ", k=rng.randint(1000, 1990)))


def submission(i):
    return Submission(
        "crash", 1, rng.choice(instrument.languages),
        {a: rng.choice(list(spec.options)) for a, spec in attrs.items()},
        {item: rng.choice([None, *instrument.scale.values]) for item in items},
        {d: comment() for d in instrument.dimension_ids if mode == "full" or rng.random() < 0.3},
        rng.sample(losses, rng.randint(0, 3)),
        submission_key=f"{seed}-{i}",
    )


def csv_file():
    header = [*attrs, "language", *items]
    lines = [",".join(header)]
    for _ in range(rng.randint(5, 40)):
        row = [rng.choice(list(spec.options)) for spec in attrs.values()] + ["en"]
        row += [rng.choice(["", *map(str, instrument.scale.values)]) for _ in items]
        lines.append(",".join(row))
    return ("\n".join(lines) + "\n").encode()


if mode == "full":
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limit = int(sys.argv[4])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
print("ready", flush=True)
failures = 0
for i in range(100000):
    try:
        if mode == "kill" and i % 4 == 1:
            with db.cursor() as con:
                result = run_import(con, "crash", csv_file(), f"paper-{seed}-{i}.csv", actor="crash test")
            print(f"import {result.import_id} {result.rows}", flush=True)
            continue
        with db.cursor() as con:
            rid = submit(con, instrument, submission(i))
            if mode == "kill" and i % 5 == 3:
                con.execute("CHECKPOINT")
        print(f"ack {rid}", flush=True)
    except Exception as exc:
        failures += 1
        print(f"fail {type(exc).__name__}: {str(exc)[:200]}", flush=True)
        if mode != "full" or failures >= 5:
            break
if mode == "full":
    resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    with db.cursor() as con:
        print(f"ack {submit(con, instrument, submission(10**6))}", flush=True)
    print("done", flush=True)
"""


@contextmanager
def _child(db_path: Path, seed: int, mode: str, *extra: str) -> Iterator[tuple[subprocess.Popen[str], list[str], threading.Event]]:
    """Start the child; yields it, the lines it printed so far (filled by a reader thread) and a 'ready' event."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(db_path), str(seed), mode, *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            lines.append(line.strip())
            if line.startswith("ready"):
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield proc, lines, ready
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=60)
        reader.join(timeout=30)
        proc.stderr.close()


def _acknowledged(lines: list[str]) -> tuple[set[str], dict[str, int]]:
    responses = {line.split()[1] for line in lines if line.startswith("ack ")}
    imports = {line.split()[1]: int(line.split()[2]) for line in lines if line.startswith("import ")}
    return responses, imports


def _assert_consistent(db_path: Path, instrument: Instrument, acked: set[str], acked_imports: dict[str, int]) -> int:
    """The database opens cleanly; every acknowledged response and import is there; nothing is partial."""
    database = Database(db_path, linger_s=0, wait_s=10)
    with database.cursor() as con:
        # The open's consistency check found nothing to remove: what follows sees what DuckDB recovered, not a repair of it.
        assert database.findings == (), [str(f) for f in database.findings]
        stored = {r[0] for r in con.execute("SELECT response_id FROM responses").fetchall()}
        assert acked <= stored, f"lost {len(acked - stored)} acknowledged responses"
        n_items, n_attrs = len(instrument.items), sum(a.required for a in instrument.attributes.values())
        partial = con.execute(
            """
            SELECT count(*) FROM responses r
            LEFT JOIN (SELECT response_id, count(*) AS n FROM answers GROUP BY 1) a USING (response_id)
            LEFT JOIN (SELECT response_id, count(*) AS n FROM response_attributes GROUP BY 1) t USING (response_id)
            WHERE coalesce(a.n, 0) != ? OR coalesce(t.n, 0) != ?
            """,
            [n_items, n_attrs],
        ).fetchone()[0]
        assert partial == 0, f"{partial} partial responses"
        for table in ("answers", "response_attributes", "comments", "value_choices"):
            orphans = con.execute(f"SELECT count(*) FROM {table} WHERE response_id NOT IN (SELECT response_id FROM responses)").fetchone()[
                0
            ]
            assert orphans == 0, f"{orphans} orphan rows in {table}"
        imports = dict(con.execute("SELECT import_id, rows FROM imports").fetchall())
        for import_id, rows in acked_imports.items():
            assert imports.get(import_id) == rows, f"acknowledged import {import_id} lost"
        mismatched = con.execute(
            """
            SELECT count(*) FROM imports i
            FULL JOIN (SELECT import_id, count(*) AS n FROM responses WHERE import_id IS NOT NULL GROUP BY 1) r USING (import_id)
            WHERE i.rows IS DISTINCT FROM r.n
            """
        ).fetchone()[0]
        assert mismatched == 0, "an import is not all-or-nothing"
        total = len(stored)
    database.close()
    return total


@pytest.fixture
def crash_db(db_path: Path, instrument: Instrument) -> Path:
    database = Database(db_path, linger_s=0)
    with database.cursor() as con:
        create_campaign(con, "Crash", instrument, campaign_id="crash")
    database.close()
    return db_path


@pytest.mark.slow
def test_kill_9_at_many_moments_loses_nothing_and_leaves_nothing_partial(crash_db: Path, instrument: Instrument) -> None:
    rng = random.Random(20261126)
    acked: set[str] = set()
    acked_imports: dict[str, int] = {}
    per_kill = []
    for kill in range(KILLS):
        with _child(crash_db, seed=kill, mode="kill") as (proc, lines, ready):
            if kill % 5 == 0:
                time.sleep(rng.uniform(0.3, 2.5))  # sometimes while it starts up and opens the file
            else:
                # Let it store a random number of things first (the machine's speed must not decide where kills land).
                assert ready.wait(60), "child never became ready"
                wanted, deadline = rng.randint(0, 4), time.monotonic() + 120
                while sum(line.startswith(("ack", "import")) for line in lines) < wanted and time.monotonic() < deadline:
                    time.sleep(0.02)
                time.sleep(rng.uniform(0.0, 0.8))
            assert proc.poll() is None, f"child ended early: {lines[-3:]} {proc.stderr.read()[-2000:]}"
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        assert not any(line.startswith("fail") for line in lines), lines
        responses, imports = _acknowledged(lines)
        acked |= responses
        acked_imports |= imports
        total = _assert_consistent(crash_db, instrument, acked, acked_imports)
        per_kill.append(len(responses))
    assert sum(1 for n in per_kill if n > 0) >= KILLS // 2, f"most kills should land mid-stream: {per_kill}"
    assert acked_imports, "no import was acknowledged before a kill; the test would not cover imports"
    print(f"\n{KILLS} kills, acknowledged per kill {per_kill}, {len(acked)} responses + {len(acked_imports)} imports, 0 lost, 0 partial")
    assert total >= len(acked)


def test_full_disk_fails_visibly_and_keeps_what_was_acknowledged(crash_db: Path, instrument: Instrument) -> None:
    # The child holds the file open, so only the write-ahead log grows: let it reach 300 kB.
    limit = 300_000
    with _child(crash_db, 1, "full", str(limit)) as (proc, lines, _):
        assert proc.wait(timeout=300) == 0, f"{lines[-5:]} {proc.stderr.read()[-2000:]}"
    before_full = []
    for line in lines:
        if line.startswith("fail"):
            break
        before_full.append(line)
    failures = [line for line in lines if line.startswith("fail")]
    assert failures, "the disk never filled up"
    assert all("File too large" in f or "Could not write" in f for f in failures), failures
    assert lines[-1] == "done"  # and after space came back, the same process stored again
    acked, _ = _acknowledged(lines)
    assert len(_acknowledged(before_full)[0]) > 10
    _assert_consistent(crash_db, instrument, acked, {})
    print(f"\nfull disk: {len(before_full) - 1} acknowledged before, {len(failures)} refused with an exception, all kept: {failures[0]}")


# --------------------------------------------------------------------------- damaged write-ahead log


def _submit_many(db: Database, instrument: Instrument, n: int, prefix: str) -> None:
    with db.cursor() as con:
        for i in range(n):
            sub = Submission(
                "crash", 1, "en", {"level": "board", "function": "it", "site": "gent"}, {"STR1": 1 + i % 5}, submission_key=f"{prefix}{i}"
            )
            submit(con, instrument, sub)


@pytest.fixture
def crashed_with_wal(crash_db: Path, instrument: Instrument, tmp_path: Path) -> Path:
    """A crash image: 20 checkpointed responses in the file, 5 more only in the write-ahead log.

    Copying the files while the connection is still open is what a kill -9 would leave behind.
    """
    db = Database(crash_db, linger_s=3600)
    _submit_many(db, instrument, 20, "a")
    with db.cursor() as con:
        con.execute("CHECKPOINT")
        con.execute("SET checkpoint_threshold = '1GB'")
    _submit_many(db, instrument, 5, "b")
    image = tmp_path / "image.duckdb"
    image.write_bytes(crash_db.read_bytes())
    Path(f"{image}.wal").write_bytes(Path(f"{crash_db}.wal").read_bytes())
    db.close()
    return image


def _count(path: Path) -> int:
    with Database(path, linger_s=0, wait_s=5).cursor() as con:
        return con.execute("SELECT count(*) FROM responses").fetchone()[0]


def test_intact_crash_image_replays_everything(crashed_with_wal: Path) -> None:
    assert Path(f"{crashed_with_wal}.wal").stat().st_size > 0
    assert _count(crashed_with_wal) == 25


def test_torn_tail_of_the_log_is_a_normal_crash(crashed_with_wal: Path) -> None:
    wal = Path(f"{crashed_with_wal}.wal")
    wal.write_bytes(wal.read_bytes()[:-37])
    assert 20 <= _count(crashed_with_wal) < 25  # the last, unfinished write is dropped; nothing checkpointed is


def _garbage(wal: Path) -> None:
    wal.write_bytes(os.urandom(4096))


def _zeroes(wal: Path) -> None:
    wal.write_bytes(b"\0" * wal.stat().st_size)


def _flipped(wal: Path) -> None:
    data = bytearray(wal.read_bytes())
    data[len(data) // 2] ^= 0xFF
    wal.write_bytes(bytes(data))


def _text(wal: Path) -> None:
    wal.write_text("this is not a write-ahead log\n" * 50)


@pytest.mark.parametrize("damage", [_garbage, _zeroes, _flipped, _text])
def test_damaged_log_stops_with_recovery_steps_and_keeps_checkpointed_data(crashed_with_wal: Path, damage) -> None:
    wal = Path(f"{crashed_with_wal}.wal")
    damage(wal)
    damaged_bytes = wal.read_bytes()
    with pytest.raises(DatabaseDamaged) as err, Database(crashed_with_wal, linger_s=0, wait_s=2).cursor():
        pass
    message = str(err.value)
    assert "Recovery" in message and f"{crashed_with_wal}.wal" in message and "python -m survey restore" in message
    assert wal.read_bytes() == damaged_bytes, "the damaged log must be left for the person to copy aside"
    # Following the recovery steps: move the log aside and open again. The checkpointed 20 are all there.
    wal.rename(wal.with_name(wal.name + ".damaged"))
    assert _count(crashed_with_wal) == 20


@pytest.mark.parametrize("page", ["app.py", "pages/1_survey.py"])
def test_app_shows_the_recovery_steps_instead_of_a_traceback(crashed_with_wal: Path, page: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _garbage(Path(f"{crashed_with_wal}.wal"))
    monkeypatch.setenv("COHERENCE_DB", str(crashed_with_wal))
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    errors = " ".join(e.value for e in at.error)
    assert "could not be opened" in errors and "Recovery" in errors and ".wal" in errors


def test_duckdb_still_discards_a_foreign_log_silently() -> None:
    """Why the store checks the log itself: DuckDB treats an unreadable first entry as a torn write.

    If a DuckDB upgrade starts refusing such a log on its own, this test fails and the check may go.
    """
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "raw.duckdb"
        con = duckdb.connect(str(path))
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
        con.close()
        Path(f"{path}.wal").write_bytes(b"garbage" * 100)
        con = duckdb.connect(str(path))
        assert con.execute("SELECT count(*) FROM t").fetchone() == (1,)  # opened as if nothing were wrong
        con.close()
