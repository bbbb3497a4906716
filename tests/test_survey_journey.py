"""The respondent journey through the real app, in English and in Dutch, ending in a stored response."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from survey.campaigns import create_campaign
from survey.instrument import default_instrument
from survey.store import Database

SURVEY = str(Path(__file__).resolve().parent.parent / "pages" / "1_survey.py")


@pytest.fixture
def app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "app.duckdb"
    monkeypatch.setenv("COHERENCE_DB", str(path))
    database = Database(path, linger_s=0)
    with database.cursor() as con:
        create_campaign(con, "Spring scan", default_instrument(), campaign_id="spring")
    database.close()
    return path


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _next(at: AppTest) -> AppTest:
    primary = [b for b in at.button if b.label in ("Next", "Volgende")]
    primary[-1].click()
    return _run(at)


def _answer_everything(at: AppTest, lang: str) -> AppTest:
    instrument = default_instrument()
    _run(at)
    if lang != "en":
        at.segmented_control(key="sv_lang").set_value(lang)
        _run(at)
    at.button(key="sv_start").click()
    _run(at)
    at.selectbox(key="attr_level").set_value("shop_floor")
    at.selectbox(key="attr_function").set_value("production")
    at.selectbox(key="attr_site").set_value("venlo")
    _next(at)
    for d, dim in enumerate(instrument.dimensions):
        assert dim.label[lang] in [s.value for s in at.header]
        for i, item in enumerate(dim.items):
            at.radio(key=f"q_{item.id}").set_value("dk" if (d, i) == (0, 0) else 1 + (i + d) % 5)
        if dim.id == "operations":
            at.text_area(key=f"comment_{dim.id}").input("De planning verandert <b>te vaak</b>.")
        _next(at)
    at.pills(key="losses_pick").set_value(["unplanned_downtime", "planning_instability"])
    _next(at)
    # The outlook, asked once at the end: a target per dimension, then how the board (not the respondent's own level) sees us.
    assert instrument.targets is not None and instrument.meta_perception is not None
    texts = [r.label for r in at.radio]
    for d in instrument.dimension_ids:
        assert instrument.targets.questions[d][lang] in texts and instrument.meta_perception.questions["board"][d][lang] in texts
        assert instrument.meta_perception.questions["shop_floor"][d][lang] not in texts  # nobody predicts their own level
        at.radio(key=f"q_target:{d}").set_value(4)
        at.radio(key=f"q_predict:board:{d}").set_value("dk" if d == "it_ot" else 3)
    _next(at)
    return at


@pytest.mark.parametrize("lang, thanks", [("en", "Thank you!"), ("nl", "Bedankt!")])
def test_full_journey_stores_exactly_one_response(app_db: Path, lang: str, thanks: str) -> None:
    at = _answer_everything(AppTest.from_file(SURVEY, default_timeout=30), lang)
    at.button(key="sv_submit").click()
    _run(at)
    assert any(thanks in s.value for s in at.success)
    database = Database(app_db, linger_s=0)
    with database.cursor() as con:
        assert con.execute("SELECT count(*), any_value(language) FROM responses").fetchone() == (1, lang)
        attrs = dict(con.execute("SELECT attribute, value FROM response_attributes").fetchall())
        assert attrs == {"level": "shop_floor", "function": "production", "site": "venlo"}
        assert con.execute("SELECT count(*), count(value) FROM answers").fetchone() == (30, 29)
        assert con.execute("SELECT value FROM answers WHERE item_id = 'STR1'").fetchone() == (None,)
        assert con.execute("SELECT dimension, text FROM comments").fetchall() == [("operations", "De planning verandert <b>te vaak</b>.")]
        assert sorted(r[0] for r in con.execute("SELECT loss FROM value_choices").fetchall()) == [
            "planning_instability",
            "unplanned_downtime",
        ]
        ratings = con.execute("SELECT kind, about, count(*), min(value), max(value) FROM dimension_ratings GROUP BY ALL ORDER BY ALL")
        assert ratings.fetchall() == [("prediction", "board", 4, 3, 3), ("target", None, 5, 4, 4)]  # IT/OT: don't know, no row


def test_language_switch_keeps_answers_and_back_navigation(app_db: Path) -> None:
    at = AppTest.from_file(SURVEY, default_timeout=30)
    _run(at)
    at.button(key="sv_start").click()
    _run(at)
    at.selectbox(key="attr_level").set_value("board")
    at.selectbox(key="attr_function").set_value("it")
    at.selectbox(key="attr_site").set_value("gent")
    _next(at)
    at.radio(key="q_STR2").set_value(4)
    _next(at)
    at.segmented_control(key="sv_lang").set_value("nl")
    _run(at)
    [b for b in at.button if b.label == "Terug"][0].click()
    _run(at)
    assert "Strategie" in [s.value for s in at.header]
    assert at.radio(key="q_STR2").value == 4


def test_profile_requires_every_attribute(app_db: Path) -> None:
    at = AppTest.from_file(SURVEY, default_timeout=30)
    _run(at)
    at.button(key="sv_start").click()
    _run(at)
    at.selectbox(key="attr_level").set_value("board")
    _next(at)
    assert any("Your function" in e.value and "Your site" in e.value for e in at.error)
    assert at.selectbox(key="attr_site")  # still on the profile step


def test_double_submit_stores_one_response(app_db: Path) -> None:
    at = _answer_everything(AppTest.from_file(SURVEY, default_timeout=30), "en")
    key = at.session_state["sv_key"]
    at.button(key="sv_submit").click()
    _run(at)
    # The browser re-sends the click (double click): the same submission key must not store twice.
    from survey.journey import Draft, build_submission
    from survey.responses import submit

    database = Database(app_db, linger_s=0)
    with database.cursor() as con:
        sub = build_submission(
            default_instrument(),
            Draft(attributes={"level": "board", "function": "it", "site": "gent"}),
            campaign_id="spring",
            wave=1,
            language="en",
            source="web",
            submission_key=key,
        )
        submit(con, default_instrument(), sub)
        assert con.execute("SELECT count(*) FROM responses").fetchone()[0] == 1
    database.close()


def test_no_open_campaign_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COHERENCE_DB", str(tmp_path / "empty.duckdb"))
    at = _run(AppTest.from_file(SURVEY, default_timeout=30))
    assert any("No survey is open" in i.value for i in at.info)


def test_kiosk_clears_everything_after_thank_you(app_db: Path) -> None:
    at = AppTest.from_file(SURVEY, default_timeout=30)
    at.query_params["kiosk"] = "1"
    at = _answer_everything(at, "en")
    at.button(key="sv_submit").click()
    _run(at)
    assert any("Thank you!" in s.value for s in at.success)
    at.session_state["sv_last"] = at.session_state["sv_last"] - 60  # the thank-you has been on screen long enough
    _run(at)
    _run(at)
    assert at.button(key="sv_start")  # back at the start, for the next person
    assert "attr_level" not in at.session_state and "q_STR1" not in at.session_state
    assert at.session_state["sv_draft"].attributes == {}
    database = Database(app_db, linger_s=0)
    with database.cursor() as con:
        assert con.execute("SELECT source FROM responses").fetchall() == [("kiosk",)]
    database.close()


def test_personal_link_resumes_a_draft_and_works_once(app_db: Path) -> None:
    from survey.invites import create_invites, invite_status

    database = Database(app_db, linger_s=0)
    with database.cursor() as con:
        token = create_invites(con, "spring", 1)[0]
    database.close()
    at = AppTest.from_file(SURVEY, default_timeout=30)
    at.query_params["invite"] = token
    _run(at)
    at.button(key="sv_start").click()
    _run(at)
    at.selectbox(key="attr_level").set_value("supervisor")
    at.selectbox(key="attr_function").set_value("quality")
    at.selectbox(key="attr_site").set_value("eindhoven")
    _next(at)
    # The respondent closes the page; later the same link opens in a new session with the answers kept.
    again = AppTest.from_file(SURVEY, default_timeout=30)
    again.query_params["invite"] = token
    _run(again)
    assert again.session_state["sv_draft"].attributes == {"level": "supervisor", "function": "quality", "site": "eindhoven"}
    assert "Strategy" in [s.value for s in again.header]
    for _ in range(len(default_instrument().dimensions) + 2):  # dimensions, value at stake, outlook (all optional)
        _next(again)
    again.button(key="sv_submit").click()
    _run(again)
    assert any("Thank you!" in s.value for s in again.success)
    third = _run_with_invite(token)
    assert any("already been used" in w.value for w in third.warning)
    with Database(app_db, linger_s=0).cursor() as con:
        assert invite_status(con, token) == "used"
        assert con.execute("SELECT count(*), any_value(source) FROM responses").fetchone() == (1, "invite")


def _run_with_invite(token: str) -> AppTest:
    at = AppTest.from_file(SURVEY, default_timeout=30)
    at.query_params["invite"] = token
    return _run(at)


@pytest.mark.parametrize("raw", ["garbage", "<script>alert(1)</script>", "A" * 5000, ""])
def test_malformed_invite_gets_a_friendly_page(app_db: Path, raw: str) -> None:
    at = _run_with_invite(raw)
    assert any("not valid" in w.value for w in at.warning)


@pytest.mark.parametrize(
    ("locale", "accept", "expected"),
    [
        ("nl-NL", None, "nl"),
        ("nl", None, "nl"),
        ("nl-BE", "nl-BE,nl;q=0.9", "nl"),
        ("en-US", None, "en"),
        ("de-DE", "de-DE,de;q=0.9,nl;q=0.8,en;q=0.5", "nl"),
        ("fr-FR", "fr-FR", None),
        (None, None, None),
        (None, "nl_NL", "nl"),
    ],
)
def test_the_survey_opens_in_the_browsers_language_when_the_instrument_has_it(locale, accept, expected) -> None:
    from survey.journey import browser_language

    assert browser_language(("en", "nl"), locale, accept) == expected
