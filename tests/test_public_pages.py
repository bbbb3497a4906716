"""The public surfaces in the real app (AppTest): "you said, we did" signed out, the kiosk screen, Publish and Workshop mode."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from survey.actions import list_actions
from survey.publication import publish, published
from survey.store import recent_audit
from tests.app_pages import open_page
from tests.conftest import MakeDemo, open_cursor
from tests.test_publication import PUBLIC_TITLE, SECRET_TITLE, add_actions

PUBLIC = "pages/17_you_said_we_did.py"
WORKSHOP = "pages/16_workshop.py"


@pytest.fixture
def small_db(make_demo: MakeDemo, tmp_path: Path) -> Path:
    """60 respondents (board and senior management below k = 5), a published and an unpublished action, strategy published."""
    path = make_demo(60, seed=7, waves=1, into=tmp_path / "small.duckdb")
    with open_cursor(path) as con:
        add_actions(con)
        publish(con, "demo", 1, ["strategy"], "level", actor="leader")
    return path


def _texts(at: AppTest) -> str:
    """Every text the page sent, tables included: what a signed-out visitor's browser receives."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "metric"):
        for element in getattr(at, kind):
            parts.append(str(getattr(element, "value", "")) + " " + str(getattr(element, "label", "")))
    for frame in [*at.dataframe, *at.table]:
        parts.append(frame.value.to_csv())
    return "\n".join(parts)


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_signed_out_sees_only_what_was_published(small_db: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    at = open_page(PUBLIC, small_db, monkeypatch, role=None, params={"c": "demo", "lang": lang})
    text = _texts(at)
    assert at.title[0].value == {"en": "You said, we did", "nl": "Jullie zeiden, wij deden"}[lang]
    assert PUBLIC_TITLE in text and "Plant management" in text and "2027-03-31" in text
    assert SECRET_TITLE not in text
    assert not re.search(r"250[.,]?000|1[.,]?234[.,]?567|OEE|€", text), "value hypotheses stay behind sign-in"
    with open_cursor(small_db) as con:
        comments = [t for (t,) in con.execute("SELECT text FROM comments").fetchall()]
    assert comments and all(c not in text for c in comments)
    unpublished = {"en": ("Operations", "Governance", "Leadership", "IT/OT"), "nl": ("Operatie", "Leiderschap", "IT/OT")}[lang]
    assert all(label not in text for label in unpublished)
    hidden = {"en": ("Board / executive team", "Senior management"), "nl": ("Bestuur / directieteam", "Hoger management")}[lang]
    assert all(label not in text for label in hidden), "a group below the threshold never appears"
    rows = [line for m in at.markdown for line in str(m.value).splitlines() if line.startswith("| ") and "**" in line]
    assert len(rows) == 4 and all(int(row.rsplit("|", 2)[1]) >= 5 for row in rows), rows  # the four groups of at least k
    assert not re.search(r"\b[A-Z]{3}\d\b", text), "no statement (STR1...) is public"


def test_signed_out_cannot_open_publish_or_workshop(small_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for page in ("pages/15_publish.py", WORKSHOP):
        at = open_page(page, small_db, monkeypatch, role=None)
        assert at.title[0].value == "Sign-in needed"
        assert PUBLIC_TITLE not in _texts(at)


def test_nothing_published_says_so(make_demo: MakeDemo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = make_demo(60, seed=7, waves=1, into=tmp_path / "bare.duckdb")
    at = open_page(PUBLIC, path, monkeypatch, role=None, params={"c": "demo"})
    assert [i.value for i in at.info] == ["Nothing has been published for this survey yet."]
    assert not at.header and "|" not in _texts(at)


def test_the_kiosk_shows_published_actions_between_respondents(small_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page("pages/1_survey.py", small_db, monkeypatch, role=None, params={"c": "demo", "kiosk": "1"})
    text = _texts(at)
    assert "What we did with your answers" in text and PUBLIC_TITLE in text and SECRET_TITLE not in text
    plain = open_page("pages/1_survey.py", small_db, monkeypatch, role=None, params={"c": "demo"})
    assert PUBLIC_TITLE not in _texts(plain), "an ordinary start screen stays short; the kiosk waits between people"


def test_a_leader_publishes_from_the_publish_page(small_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page("pages/15_publish.py", small_db, monkeypatch, role="leader")
    assert at.multiselect(key="publish_dims").value == ["strategy"]
    at.multiselect(key="publish_dims").set_value(["strategy", "it_ot"])
    at.selectbox(key="publish_breakdown").set_value("")
    at.button[0].click().run()  # the form's submit button
    assert not at.exception and "Published for wave 1" in at.success[0].value
    with open_cursor(small_db) as con:
        chosen = published(con, "demo", 1)
        entry = recent_audit(con, 1)[0]
    assert chosen.dimensions == ("strategy", "it_ot") and chosen.breakdown is None
    assert (entry.actor, entry.action) == ("leader", "publish results")


def test_workshop_walks_every_screen_forward_and_back(small_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Arrow keys are the buttons' shortcuts; with the board below k there is no gap to discuss, and the screen says so."""
    at = open_page(WORKSHOP, small_db, monkeypatch, role="leader")
    assert at.button(key="ws_prev").disabled
    assert (at.button(key="ws_prev").proto.shortcut, at.button(key="ws_next").proto.shortcut) == ("left", "right")
    seen = [(at.header[0].value, [i.value for i in at.info])]
    while not at.button(key="ws_next").disabled:
        at.button(key="ws_next").click().run()
        assert not at.exception
        seen.append((at.header[0].value, [i.value for i in at.info]))
    assert seen == [
        ("Demo: Industry 4.0 coherence scan", []),
        ("What the numbers say", []),  # the summary's findings (about groups of at least k), since issue 14
        (
            "Largest gaps: Board / executive team minus Operator / shop floor",
            ["No gap between Board / executive team and Operator / shop floor can be shown without describing fewer than 5 people."],
        ),
        ("Blind spots", []),  # predictions by and about the levels of at least k people
        ("Value at stake", []),
        ("Actions", []),
    ]
    assert at.progress[0].proto.text == "6 of 6"
    for _ in range(len(seen) - 1):
        at.button(key="ws_prev").click().run()
    assert at.header[0].value == seen[0][0] and at.button(key="ws_prev").disabled


def test_workshop_discusses_the_largest_gaps_with_the_decks_prompts(
    make_demo: MakeDemo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_demo(200, seed=7, waves=1, into=tmp_path / "demo.duckdb")
    at = open_page(WORKSHOP, path, monkeypatch, role="leader", state={"ws_step": 3})
    assert at.header[0].value.startswith("Discussion: ") and at.progress[0].proto.text == "4 of 9"
    text = _texts(at)
    assert "For the room" in text and "Who owns closing this gap, and what is the first step?" in text
    at.button(key="ws_next").click().run()
    assert at.header[0].value.startswith("Discussion: ")


def test_workshop_captures_an_action_and_refuses_one_without_owner(small_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(WORKSHOP, small_db, monkeypatch, role="facilitator", state={"ws_step": 99})
    assert at.header[0].value == "Actions"
    at.text_input(key="ws_f_title_0").set_value("Weekly gemba walk with the IT lead")
    at.button[-1].click().run()  # no owner
    assert at.error and "owner" in at.error[0].value.lower()
    with open_cursor(small_db) as con:
        assert len(list_actions(con, "demo")) == 2
    at.text_input(key="ws_f_owner_0").set_value("IT/OT team")
    at.number_input(key="ws_f_eur_0").set_value(120_000.0)
    at.button[-1].click().run()
    assert not at.exception and not at.error
    with open_cursor(small_db) as con:
        frame = list_actions(con, "demo")
    added = frame.iloc[-1]
    assert (added["title"], added["owner"], added["status"], bool(added["published"])) == (
        "Weekly gemba walk with the IT lead",
        "IT/OT team",
        "planned",
        False,
    )
    assert added["eur_per_year"] == 120_000.0 and (added["target_kind"], added["group_a"]) == ("dimension", "level=board")
    assert "Weekly gemba walk with the IT lead" in _texts(at) and at.text_input(key="ws_f_title_1").value == ""


def test_workshop_blind_spots_and_value_speak_in_labels(make_demo: MakeDemo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The room sees group, area and loss names with two decimals, never the summary's raw records ("level=board", 0.29863)."""
    at = open_page(WORKSHOP, make_demo(300, seed=9, waves=1, into=tmp_path / "w.duckdb"), monkeypatch, role="leader")
    texts = {}
    while not at.button(key="ws_next").disabled:
        at.button(key="ws_next").click().run()
        assert not at.exception
        texts[at.header[0].value] = _texts(at)
    for screen in ("Blind spots", "Value at stake"):
        shown = texts[screen]
        assert "level=" not in shown and "unplanned_downtime" not in shown and "n_by" not in shown, shown[:800]
    assert "Operator / shop floor" in texts["Blind spots"] and "Unplanned downtime" in texts["Value at stake"]
