"""Resume tokens: an open-link or kiosk respondent continues in a new session from the last saved section, submits once."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from survey import resume
from survey.backup import backup
from survey.campaigns import create_campaign
from survey.instrument import default_instrument
from survey.journey import steps
from survey.responses import sample_submission, submit
from survey.store import Database

SURVEY = str(Path(__file__).resolve().parent.parent / "pages" / "1_survey.py")
NOW = dt.datetime(2026, 3, 2, 9, 0)


@pytest.fixture
def app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "app.duckdb"
    monkeypatch.setenv("COHERENCE_DB", str(path))
    database = Database(path, linger_s=0)
    with database.cursor() as con:
        create_campaign(con, "Spring scan", default_instrument(), campaign_id="spring")
    database.close()
    return path


def _rows(path: Path, sql: str) -> list[tuple]:
    database = Database(path, linger_s=0)
    with database.cursor() as con:
        rows = con.execute(sql).fetchall()
    database.close()
    return rows


def _stored(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    """Rows as the store of record holds them (on PostgreSQL drafts never reach a replica's local copy)."""
    return (getattr(con, "pg_rows", None) or con.execute)(sql).fetchall()


# --- the store ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["duckdb", "postgresql"], indirect=True)
def test_a_saved_draft_resumes_under_its_token_only(con: duckdb.DuckDBPyConnection) -> None:
    token = resume.new_token()
    resume.save(con, token, "spring", 1, {"answers": {"STR1": 4}, "step": 3}, kiosk=False, now=NOW)
    assert resume.lookup(con, token, "spring", 1, kiosk=False, now=NOW) == (resume.VALID, {"answers": {"STR1": 4}, "step": 3})
    assert resume.lookup(con, resume.new_token(), "spring", 1, kiosk=False, now=NOW) == (resume.UNKNOWN, None)
    assert resume.lookup(con, token, "autumn", 1, kiosk=False, now=NOW)[0] == resume.UNKNOWN  # another campaign's link
    assert resume.lookup(con, token, "spring", 2, kiosk=False, now=NOW)[0] == resume.UNKNOWN  # a new wave starts afresh
    assert resume.lookup(con, token, "spring", 1, kiosk=True, now=NOW)[0] == resume.UNKNOWN  # a kiosk never takes an open-link draft
    stored = _stored(con, "SELECT token_hash, draft FROM resume_drafts")
    assert stored == [(resume.hash_token(token), json.dumps({"answers": {"STR1": 4}, "step": 3}, separators=(",", ":")))]
    assert token not in stored[0][0]


@pytest.mark.parametrize("backend", ["duckdb", "postgresql"], indirect=True)
@pytest.mark.parametrize("kiosk, ttl", [(False, resume.WEB_TTL), (True, resume.KIOSK_TTL)])
def test_drafts_expire_after_their_last_save_and_are_purged(con: duckdb.DuckDBPyConnection, kiosk: bool, ttl: dt.timedelta) -> None:
    token = resume.new_token()
    resume.save(con, token, "spring", 1, {"step": 2}, kiosk=kiosk, now=NOW)
    resume.save(con, token, "spring", 1, {"step": 3}, kiosk=kiosk, now=NOW + ttl / 2)  # a save pushes the expiry on
    assert resume.lookup(con, token, "spring", 1, kiosk=kiosk, now=NOW + ttl)[0] == resume.VALID
    assert resume.lookup(con, token, "spring", 1, kiosk=kiosk, now=NOW + ttl * 1.5) == (resume.UNKNOWN, None)
    resume.purge(con, NOW + ttl)
    assert _stored(con, "SELECT count(*) FROM resume_drafts") == [(1,)]
    resume.purge(con, NOW + ttl * 1.5)
    assert _stored(con, "SELECT count(*) FROM resume_drafts") == [(0,)]


@pytest.mark.parametrize("backend", ["duckdb", "postgresql"], indirect=True)
def test_submitting_erases_the_draft_and_one_token_stores_one_response(con: duckdb.DuckDBPyConnection, instrument) -> None:
    create_campaign(con, "Spring scan", instrument, campaign_id="spring")
    token = resume.new_token()
    resume.save(con, token, "spring", 1, {"answers": {"STR1": 4}, "step": 3}, kiosk=False)
    sub = sample_submission(instrument, "spring")
    keyed = type(sub)(**{**sub.__dict__, "submission_key": resume.submission_key(token)})
    first = submit(con, instrument, keyed, claim=resume.claim(token))
    again = submit(con, instrument, keyed, claim=resume.claim(token))  # a second session on the same URL submits too
    assert first == again
    assert con.execute("SELECT count(*) FROM responses").fetchone()[0] == 1
    assert _stored(con, "SELECT used, draft FROM resume_drafts") == [(True, None)]
    assert resume.lookup(con, token, "spring", 1, kiosk=False) == (resume.USED, None)
    resume.save(con, token, "spring", 1, {"step": 4}, kiosk=False)  # a late save from an old tab brings nothing back
    assert _stored(con, "SELECT used, draft FROM resume_drafts") == [(True, None)]
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + resume.USED_TTL + dt.timedelta(minutes=1)
    assert resume.lookup(con, token, "spring", 1, kiosk=False, now=later) == (resume.UNKNOWN, None)  # the used mark goes too


@pytest.mark.parametrize("backend", ["duckdb", "postgresql"], indirect=True)
def test_backups_leave_resume_drafts_out(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    resume.save(con, resume.new_token(), "spring", 1, {"step": 3}, kiosk=False)
    manifest = backup(con, tmp_path / "backup")
    assert {t.table: t.rows for t in manifest.tables}["resume_drafts"] == 0
    assert con.execute(f"SELECT count(*) FROM read_parquet('{tmp_path / 'backup' / 'resume_drafts.parquet'}')").fetchone()[0] == 0
    assert "resume_drafts" in json.loads((tmp_path / "backup" / "manifest.json").read_text())["emptied"]


# --- the app -----------------------------------------------------------------------------------------------------


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _open(params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(SURVEY, default_timeout=30)
    for key, value in params.items():
        at.query_params[key] = value
    return _run(at)


def _next(at: AppTest) -> AppTest:
    [b for b in at.button if b.label in ("Next", "Volgende")][-1].click()
    return _run(at)


def _two_sections(at: AppTest, lang: str = "nl") -> AppTest:
    """Dutch, start, profile, the first dimension: the draft is saved after each."""
    at.segmented_control(key="sv_lang").set_value(lang)
    _run(at)
    at.button(key="sv_start").click()
    _run(at)
    at.selectbox(key="attr_level").set_value("supervisor")
    at.selectbox(key="attr_function").set_value("maintenance")
    at.selectbox(key="attr_site").set_value("venlo")
    _next(at)
    for item in default_instrument().dimensions[0].items:
        at.radio(key=f"q_{item.id}").set_value(2)
    return _next(at)


def _finish(at: AppTest) -> AppTest:
    """Answer whatever sections are left, then submit."""
    instrument = default_instrument()
    order = steps(instrument)
    while not [b for b in at.button if b.key == "sv_submit"]:
        current = order[at.session_state.sv_step]
        if current in instrument.dimension_ids:
            for item in instrument.dimension(current).items:
                at.radio(key=f"q_{item.id}").set_value(4)
        _next(at)
    at.button(key="sv_submit").click()
    return _run(at)


def test_a_new_session_on_the_saved_url_continues_and_submits_once(app_db: Path) -> None:
    first = _two_sections(_open({"c": "spring"}))
    token = first.query_params["resume"]
    assert token and first.session_state.sv_step == 3
    # The server died: a fresh session opens the same URL and finds the answers, the language and the section.
    second = _open({"c": "spring", "resume": token})
    assert second.session_state.sv_step == 3
    assert second.session_state.sv_lang == "nl"
    assert second.session_state.sv_draft.attributes == {"level": "supervisor", "function": "maintenance", "site": "venlo"}
    assert set(second.session_state.sv_draft.answers.values()) == {2}
    _finish(second)
    assert any("Bedankt" in s.value for s in second.success)
    assert "resume" not in second.query_params
    assert _rows(app_db, "SELECT count(*), any_value(source), any_value(language) FROM responses") == [(1, "web", "nl")]
    assert _rows(app_db, "SELECT count(*) FROM answers WHERE item_id = 'STR1' AND value = 2") == [(1,)]
    assert _rows(app_db, "SELECT used, draft FROM resume_drafts") == [(True, None)]
    # The URL opened again says it was submitted; the first session, still open on the old server, submits nothing new.
    third = _open({"c": "spring", "resume": token})
    assert any("Bedankt" in s.value or "Thank you" in s.value for s in third.success)
    _finish(first)
    assert _rows(app_db, "SELECT count(*) FROM responses") == [(1,)]


def test_an_unknown_or_expired_token_starts_afresh_without_it(app_db: Path) -> None:
    at = _open({"c": "spring", "resume": resume.new_token()})
    assert at.session_state.sv_step == 0
    assert "resume" not in at.query_params
    assert [b for b in at.button if b.key == "sv_start"]


def test_a_kiosk_resumes_its_own_respondent_but_never_the_previous_one(app_db: Path) -> None:
    at = _two_sections(_open({"c": "spring", "kiosk": "1"}), lang="en")
    token = at.query_params["resume"]
    assert _open({"c": "spring", "kiosk": "1", "resume": token}).session_state.sv_step == 3  # the tablet's page reloaded
    assert _open({"c": "spring", "resume": token}).session_state.sv_step == 0  # an open link cannot take a kiosk draft
    # The respondent walks away: the idle reset deletes the draft and takes the token out of the URL.
    at.session_state["sv_last"] = time.time() - resume.KIOSK_TTL.total_seconds() - 1
    _run(at)
    assert "resume" not in at.query_params and at.session_state.sv_step == 0
    assert _rows(app_db, "SELECT count(*) FROM resume_drafts") == [(0,)]
    assert _open({"c": "spring", "kiosk": "1", "resume": token}).session_state.sv_step == 0


def test_a_kiosk_token_used_to_submit_starts_the_next_respondent_afresh(app_db: Path) -> None:
    at = _two_sections(_open({"c": "spring", "kiosk": "1"}), lang="en")
    token = at.query_params["resume"]
    _finish(at)
    assert _rows(app_db, "SELECT count(*), any_value(source) FROM responses") == [(1, "kiosk")]
    again = _open({"c": "spring", "kiosk": "1", "resume": token})
    assert again.session_state.sv_step == 0 and not again.session_state.get("sv_done")
    assert not again.success
