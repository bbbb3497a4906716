"""The check as a database opens: a never-committed write's leftovers are removed and audited, anything else refuses to open."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from survey import integrity, store
from survey.campaigns import create_campaign
from survey.demo import load_demo
from survey.importer import run_import
from survey.instrument import Instrument, parse_instrument
from survey.integrity import DatabaseInconsistent
from survey.responses import Submission, submit
from survey.store import Database, recent_audit
from tests.conftest import MakeDemo, open_cursor

ROOT = Path(__file__).resolve().parent.parent
GOOD_CSV = ROOT / "tests" / "data" / "imports" / "good.csv"
IMPORTED = 10  # rows in good.csv
TABLES = ("responses", "response_attributes", "answers", "comments", "value_choices", "imports")


@pytest.fixture
def filled(db_path: Path, make_demo: MakeDemo) -> Path:
    """A file as the app leaves it: 40 demo respondents and one import of ten rows, closed."""
    with open_cursor(make_demo(40, seed=5, waves=1, into=db_path)) as con:
        run_import(con, "demo", GOOD_CSV.read_bytes(), "good.csv")
    return db_path


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}


def _raw(path: Path, *statements: str) -> None:
    """Change the file behind the store's back, as a crash recovery or a stray tool would."""
    con = duckdb.connect(str(path))
    for sql in statements:
        con.execute(sql)
    con.close()


_IMPORTED = "SELECT response_id FROM responses WHERE import_id IS NOT NULL"
_CHILDREN = ("response_attributes", "comments", "value_choices")


# What DuckDB 1.5 could bring back after a kill -9 during an import's commit (measured: 600,000 answers, no responses, no
# import record), and the other shapes a partly recovered import can take.
LEFTOVERS: dict[str, tuple[str, ...]] = {
    "answers only": (
        *(f"DELETE FROM {t} WHERE response_id IN ({_IMPORTED})" for t in _CHILDREN),
        "DELETE FROM responses WHERE import_id IS NOT NULL",
        "DELETE FROM imports",
    ),
    "everything but the import record": ("DELETE FROM imports",),
    "half the responses, no import record": (
        "DELETE FROM imports",
        "DELETE FROM responses WHERE response_id IN (SELECT response_id FROM responses WHERE import_id IS NOT NULL ORDER BY 1 LIMIT 5)",
    ),
}


@pytest.mark.parametrize("leftover", list(LEFTOVERS))
def test_a_killed_imports_leftovers_are_removed_and_audited(filled: Path, leftover: str) -> None:
    with Database(filled, linger_s=0).cursor() as con:
        before = _counts(con)
    _raw(filled, *LEFTOVERS[leftover])
    database = Database(filled, linger_s=0)
    with database.cursor() as con:
        after = _counts(con)
        orphans = sum(
            con.execute(f"SELECT count(*) FROM {t} WHERE response_id NOT IN (SELECT response_id FROM responses)").fetchone()[0]
            for t in ("answers", *_CHILDREN)
        )
        entry = recent_audit(con, 1)[0]
        # Nothing of the import is left, so running it again imports it once, whole (not refused as already imported).
        result = run_import(con, "demo", GOOD_CSV.read_bytes(), "good.csv")
        again = _counts(con)
    assert orphans == 0 and after["imports"] == 0
    assert after["responses"] == before["responses"] - IMPORTED and after["answers"] == before["answers"] - IMPORTED * 30
    assert database.findings and all(f.repairable for f in database.findings)
    assert (entry.actor, entry.action) == ("consistency check", "repair") and "never committed" in entry.detail
    assert not result.forced and again == before


REFUSED: dict[str, tuple[tuple[str, ...], str]] = {
    "an answer lost": (
        ("DELETE FROM answers WHERE response_id = (SELECT min(response_id) FROM responses WHERE import_id IS NULL) AND item_id = 'GOV2'",),
        "do not have exactly one answer per item",
    ),
    "an answer twice": (
        (
            "INSERT INTO answers SELECT * FROM answers "
            "WHERE response_id = (SELECT min(response_id) FROM responses WHERE import_id IS NULL) AND item_id = 'STR1'",
        ),
        "do not have exactly one answer per item",
    ),
    # an imported response: repairing it must leave its import's record counting what is left (it used to refuse again)
    "an imported answer twice": (
        (
            "INSERT INTO answers SELECT * FROM answers "
            "WHERE response_id = (SELECT min(response_id) FROM responses WHERE import_id IS NOT NULL) AND item_id = 'STR1'",
        ),
        "do not have exactly one answer per item",
    ),
    "a required attribute lost": (
        (
            "DELETE FROM response_attributes WHERE attribute = 'level' "
            "AND response_id = (SELECT min(response_id) FROM responses WHERE import_id IS NULL)",
        ),
        "lack a required attribute",
    ),
    "a wave that does not exist": (
        ("UPDATE responses SET wave = 9 WHERE response_id = (SELECT min(response_id) FROM responses WHERE import_id IS NULL)",),
        "belong to a wave that does not exist",
    ),
    "an import one response short": (
        (
            "CREATE TEMP TABLE gone AS SELECT min(response_id) AS response_id FROM responses WHERE import_id IS NOT NULL",
            *(f"DELETE FROM {t} WHERE response_id IN (SELECT response_id FROM gone)" for t in ("answers", *_CHILDREN, "responses")),
        ),
        f"records {IMPORTED} response(s) but {IMPORTED - 1} are stored",
    ),
}


@pytest.mark.parametrize("fault", list(REFUSED))
def test_a_response_that_may_have_been_acknowledged_refuses_to_open_until_a_person_repairs_it(filled: Path, fault: str) -> None:
    statements, named = REFUSED[fault]
    with Database(filled, linger_s=0).cursor() as con:
        before = _counts(con)
    _raw(filled, *statements)
    damaged = filled.read_bytes()
    with pytest.raises(DatabaseInconsistent) as err, Database(filled, linger_s=0).cursor():
        pass
    message = str(err.value)
    assert named in message and f"python -m survey repair --db {filled}" in message and "Recovery" in message
    assert "was not opened" in message and "nothing was removed" in message
    assert filled.read_bytes() == damaged, "a refused file is left exactly as found, for a person to copy aside"
    # A second open (the next page view) refuses again: the refusal does not wear off.
    with pytest.raises(DatabaseInconsistent), Database(filled, linger_s=0).cursor():
        pass

    done = subprocess.run(
        [sys.executable, "-m", "survey", "repair", "--db", str(filled)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "repaired" in done.stdout and named in done.stdout
    database = Database(filled, linger_s=0)
    with database.cursor() as con:
        after = _counts(con)
        entry = recent_audit(con, 1)[0]
    assert database.findings == ()  # opens, and agrees
    assert (entry.action, entry.actor) == ("repair", "consistency check") and "on request" in entry.detail and named in entry.detail
    if fault == "an import one response short":
        assert after["imports"] == 0 and after["responses"] == before["responses"] - IMPORTED  # the whole import, as if never run
    else:
        assert after["responses"] == before["responses"] - 1 and after["imports"] == 1  # only the faulty response


def test_the_app_shows_what_disagrees_and_the_way_out_instead_of_a_traceback(filled: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _raw(filled, "DELETE FROM answers WHERE response_id = (SELECT min(response_id) FROM responses) AND item_id = 'STR1'")
    monkeypatch.setenv("COHERENCE_DB", str(filled))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(e.value for e in at.error)
    assert "do not have exactly one answer per item" in shown and "python -m survey repair" in shown


def test_a_leftover_only_in_the_write_ahead_log_is_found_though_the_file_itself_is_unchanged(filled: Path) -> None:
    """The check is skipped for a file this process left unchanged, so a log to replay must bring it back."""
    with Database(filled, linger_s=0).cursor():
        pass
    seen = store._CHECKED[str(filled.resolve())]
    con = duckdb.connect(str(filled))
    con.execute("SET checkpoint_threshold = '1GB'")
    con.execute("DELETE FROM imports")  # what a crash could leave: the import's rows without their record, in the log
    con.execute("PRAGMA disable_checkpoint_on_shutdown")
    con.close()
    assert Path(f"{filled}.wal").stat().st_size > 0 and store._file_state(filled) == seen
    with Database(filled, linger_s=0).cursor() as con:
        assert con.execute("SELECT count(*) FROM responses WHERE import_id IS NOT NULL").fetchone() == (0,)
        assert recent_audit(con, 1)[0].action == "repair"


def _optional_site(instrument: Instrument) -> Instrument:
    """The default questionnaire with `site` optional, under its own id: a questionnaire whose needs differ."""
    text = instrument.source_text.replace("id: industry40-alignment", "id: optional-site", 1)
    head, _, tail = text.partition("  site:")
    return parse_instrument(head + "  site:" + tail.replace("required: true", "required: false", 1), "optional site")


def test_what_a_questionnaire_leaves_optional_is_not_a_fault(db_path: Path, instrument: Instrument, make_demo: MakeDemo) -> None:
    """Two questionnaires that need different attributes: the totals can differ without a fault, the diagnosis finds none."""
    optional = _optional_site(instrument)
    assert not optional.attributes["site"].required
    with open_cursor(make_demo(20, seed=3, waves=1, into=db_path)) as con:
        create_campaign(con, "Optional", optional, campaign_id="opt")
        answers = {item: 3 for item in optional.item_ids}
        for i, site in enumerate(["", "", "gent"]):
            attrs = {"level": "board", "function": "it"} | ({"site": site} if site else {})
            submit(con, optional, Submission("opt", 1, "en", attrs, answers, submission_key=f"s{i}"))
        assert not integrity.agrees(con)  # one site row counted against a questionnaire that does not require it
        assert integrity.inspect(con) == ()


@pytest.mark.parametrize("make", [lambda con: None, lambda con: load_demo(con, 30, seed=2, waves=2)])
def test_a_database_whose_rows_agree_opens_with_nothing_found_and_nothing_written(db_path: Path, make: Callable) -> None:
    with Database(db_path, linger_s=0).cursor() as con:
        make(con)
    copy = db_path.with_name("copy.duckdb")  # a file this process has never seen: checked as it opens
    shutil.copy(db_path, copy)
    database = Database(copy, linger_s=0)
    with database.cursor() as con:
        assert integrity.agrees(con)
        assert not [e for e in recent_audit(con) if e.action == "repair"]
    assert database.findings == () and copy.read_bytes() == db_path.read_bytes()
