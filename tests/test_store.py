"""Storage: migrations, refusing bad answers, one response per submission key, sharing the file between processes."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from survey.campaigns import create_campaign
from survey.instrument import Instrument
from survey.responses import Submission, SubmissionError, submit
from survey.store import MIGRATIONS, Database, DatabaseBusy, DatabaseDamaged, migrate
from tests.browser import streamlit_server

ROOT = Path(__file__).resolve().parent.parent


def _sub(**overrides: object) -> Submission:
    base = dict(
        campaign_id="c1",
        wave=1,
        language="en",
        attributes={"level": "board", "function": "it", "site": "gent"},
        answers={"STR1": 4, "STR2": None},
        comments={"strategy": "ok"},
        losses=["unplanned_downtime"],
        submission_key="k1",
    )
    base.update(overrides)
    return Submission(**base)


@pytest.fixture
def campaign_con(con: duckdb.DuckDBPyConnection, instrument: Instrument) -> duckdb.DuckDBPyConnection:
    create_campaign(con, "C1", instrument, campaign_id="c1")
    return con


def test_migrations_are_recorded_and_idempotent(con: duckdb.DuckDBPyConnection) -> None:
    assert migrate(con) == []
    recorded = con.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    assert [r[0] for r in recorded] == [m[0] for m in MIGRATIONS]


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"answers": {"STR1": 6}}, "STR1: 6 is outside the scale 1–5"),
        ({"answers": {"STR1": 0}}, "STR1: 0 is outside the scale 1–5"),
        ({"answers": {"NOPE": 3}}, "NOPE: unknown item"),
        ({"attributes": {"level": "intern", "function": "it", "site": "gent"}}, "level: 'intern' is not one of"),
        ({"attributes": {"function": "it", "site": "gent"}}, "level: required, missing"),
        ({"attributes": {"level": "board", "function": "it", "site": "gent", "age": "40"}}, "age: unknown attribute"),
        ({"losses": ["x", "y"]}, "losses: unknown loss category 'x'"),
        ({"losses": ["unplanned_downtime", "speed_throughput", "service_level", "labour_productivity"]}, "at most 3 choices"),
        ({"comments": {"nowhere": "hi"}}, "comment_nowhere: unknown dimension"),
        ({"language": "de"}, "language: 'de' is not one of"),
    ],
)
def test_bad_answers_are_refused_with_a_named_reason_and_nothing_is_stored(
    campaign_con: duckdb.DuckDBPyConnection, instrument: Instrument, overrides: dict, expected: str
) -> None:
    with pytest.raises(SubmissionError) as err:
        submit(campaign_con, instrument, _sub(**overrides))
    assert any(expected in p for p in err.value.problems), err.value.problems
    for table in ("responses", "answers", "response_attributes", "comments", "value_choices"):
        assert campaign_con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


def test_same_submission_key_stores_once_even_when_racing(db: Database, instrument: Instrument) -> None:
    with db.cursor() as con:
        create_campaign(con, "C1", instrument, campaign_id="c1")
    ids: list[str] = []
    errors: list[Exception] = []

    def worker() -> None:
        try:
            with db.cursor() as cur:
                ids.append(submit(cur, instrument, _sub(submission_key="same")))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(ids)) == 1
    with db.cursor() as con:
        assert con.execute("SELECT count(*) FROM responses").fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM answers").fetchone()[0] == len(instrument.items)


def test_concurrent_distinct_submissions_all_land(db: Database, instrument: Instrument) -> None:
    with db.cursor() as con:
        create_campaign(con, "C1", instrument, campaign_id="c1")

    def worker(i: int) -> None:
        with db.cursor() as cur:
            submit(cur, instrument, _sub(submission_key=f"k{i}"))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.cursor() as con:
        assert con.execute("SELECT count(*), count(DISTINCT submission_key) FROM responses").fetchone() == (40, 40)


_HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_busy_file_gives_a_message_saying_what_to_do(db_path: Path) -> None:
    Database(db_path, linger_s=0).close()
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(db_path), "30"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        result = subprocess.run(
            [sys.executable, "-m", "survey", "demo", "--respondents", "10", "--db", str(db_path), "--wait", "1"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        assert f"process {holder.pid}" in result.stderr and "What to do" in result.stderr
        with pytest.raises(DatabaseBusy), Database(db_path, wait_s=0.5).cursor():
            pass
    finally:
        holder.kill()
        holder.wait()


def test_writer_waits_for_the_other_process_and_loses_nothing(db_path: Path, instrument: Instrument) -> None:
    db = Database(db_path, linger_s=0, wait_s=30)
    with db.cursor() as con:
        create_campaign(con, "C1", instrument, campaign_id="c1")
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(db_path), "2"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    started = time.monotonic()
    with db.cursor() as con:
        submit(con, instrument, _sub())
        assert con.execute("SELECT count(*) FROM responses").fetchone()[0] == 1
    assert time.monotonic() - started >= 1.0  # it really waited for the other process
    holder.wait()


def test_damaged_file_gives_recovery_steps(tmp_path: Path) -> None:
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"this is not a duckdb file" * 500)
    with pytest.raises(DatabaseDamaged) as err, Database(bad, wait_s=1).cursor():
        pass
    assert "Recovery" in str(err.value)


@pytest.mark.browser
def test_cli_works_while_the_app_serves_the_same_file(db_path: Path, instrument: Instrument) -> None:
    """Two doors, one file: the running app lets go when idle, so `python -m survey demo` gets its turn."""
    from harness.browser import chromium
    from tests.browser import wait_idle

    db = Database(db_path, linger_s=0)
    with db.cursor() as con:
        create_campaign(con, "C1", instrument, campaign_id="c1")
    db.close()
    with streamlit_server(db_path) as url, chromium() as page:
        page.goto(f"{url}/survey")
        page.get_by_text(instrument.title["en"]).wait_for(timeout=30_000)
        wait_idle(page)
        for _ in range(2):
            result = subprocess.run(
                [sys.executable, "-m", "survey", "demo", "--respondents", "25", "--campaign", "c1", "--db", str(db_path)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert result.returncode == 0, result.stderr
            exported = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "analysis",
                    "export",
                    "--format",
                    "csv",
                    "--out",
                    str(db_path.parent / "x.csv"),
                    "--db",
                    str(db_path),
                    "--reason",
                    "checking that the file is shared",
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert exported.returncode == 0, exported.stderr
            page.reload()
            page.get_by_text(instrument.title["en"]).wait_for(timeout=30_000)
    with Database(db_path, linger_s=0).cursor() as con:
        assert con.execute("SELECT count(*) FROM responses").fetchone()[0] == 50


def test_reading_commands_refuse_a_missing_database_without_creating_it(tmp_path: Path) -> None:
    missing = tmp_path / "typo.duckdb"
    for args in (["summary", "--json"], ["export", "--format", "csv", "--out", str(tmp_path / "x.csv")]):
        result = subprocess.run(
            [sys.executable, "-m", "analysis", *args, "--db", str(missing)], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 1 and "no database at" in result.stderr and "Traceback" not in result.stderr
    assert not missing.exists()


def test_a_rehearsed_submission_goes_through_every_check_and_leaves_no_trace(tmp_path: Path) -> None:
    """The server rehearses one submission at start (first-time costs paid once, not by the first respondents together)."""
    from harness.instruments import sized_instrument
    from survey.instrument import default_instrument
    from survey.responses import rehearse_submit, sample_submission

    instrument = default_instrument()
    # response, attributes, answers, comment, loss, 5 targets, 5 predictions (a board member predicts the shop floor only)
    assert rehearse_submit(instrument) == 1 + 3 + 30 + 1 + 1 + 5 + 5
    sample = sample_submission(instrument)
    assert set(sample.answers.values()) == {1, 2, 3, 4, 5}
    assert rehearse_submit(sized_instrument(12)) == 1 + 3 + 12 + 1 + 1 + 5 + 5  # the sized questionnaire keeps the outlook
    assert not list(tmp_path.iterdir())


def test_at_exit_idle_files_are_closed_and_files_in_use_are_left_alone(tmp_path: Path) -> None:
    """The exit handler closes what lingers, so no timer thread runs DuckDB's close while Python shuts down."""
    from survey import store

    idle, busy = Database(tmp_path / "idle.duckdb", linger_s=60), Database(tmp_path / "busy.duckdb", linger_s=60)
    with idle.cursor() as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    assert idle._con is not None and idle._timer is not None
    with busy.cursor() as con:
        store._let_go_at_exit()
        assert con.execute("SELECT 42").fetchone() == (42,)
        assert busy._con is not None
    assert idle._con is None and idle._timer is None
    assert duckdb.connect(str(tmp_path / "idle.duckdb")).execute("SELECT x FROM t").fetchone() == (1,)
    busy.close()
