"""The Actions page and "plan an action" on the Gaps page, through the real app (AppTest) on a real demo file."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey.actions import list_actions
from survey.campaigns import campaign_instrument, list_waves
from tests.app_pages import open_page
from tests.conftest import MakeDemo, open_cursor


@pytest.fixture
def loop_db(make_demo: MakeDemo, tmp_path: Path) -> Path:
    return make_demo(400, seed=7, waves=3, into=tmp_path / "loop.duckdb")


def _actions(path: Path):
    with open_cursor(path) as con:
        return list_actions(con, "demo")


def test_a_bad_cell_keeps_the_whole_table_unsaved_and_names_row_and_field(loop_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page("pages/14_actions.py", loop_db, monkeypatch, role="leader")
    assert at.data_editor[0].value["action_id"].tolist() == ["A1", "A2"]
    before = _actions(loop_db)
    at.session_state["actions_editor"] = {
        "edited_rows": {0: {"title": "A good edit that must not be kept"}, 1: {"status": "finished", "owner": "ceo@example.com"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="actions_save").click().run()
    assert [e.value for e in at.error] == ["Nothing was saved: 2 problem(s). Fix these cells and save again."]
    report = at.code[0].value
    assert "row 2, column owner, value 'ceo@example.com': a role or team name" in report
    assert "row 2, column status, value 'finished': must be one of planned, in_progress, done, dropped" in report
    assert _actions(loop_db).equals(before)


def test_edits_publish_and_a_new_row_are_saved_together(loop_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page("pages/14_actions.py", loop_db, monkeypatch, role="leader")
    at.session_state["actions_editor"] = {
        "edited_rows": {1: {"status": "done", "published": True}},
        "added_rows": [
            {"target_kind": "item", "target_id": "OPS1", "title": "Daily data huddle", "owner": "Shift leads", "status": "planned"}
        ],
        "deleted_rows": [0],
    }
    at.run()
    at.button(key="actions_save").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Saved: added A3; updated A2; deleted A1; published A2."]
    stored = _actions(loop_db).set_index("action_id")
    assert stored.index.tolist() == ["A2", "A3"]
    assert (stored.loc["A2", "status"], bool(stored.loc["A2", "published"])) == ("done", True)
    assert stored.loc["A3", "answers_wave"] == 3  # a new row answers the current wave


def test_a_gap_becomes_a_planned_action_in_one_step(loop_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page("pages/3_gaps.py", loop_db, monkeypatch, role="leader")
    at.text_input(key="plan_owner_leadership").input("HR director")
    at.button(key="plan_add_leadership").click().run()
    assert not at.exception and [s.value for s in at.success] == ["Action A3 planned. See it on the Actions page."]
    new = _actions(loop_db).set_index("action_id").loc["A3"]
    assert (new["target_kind"], new["target_id"], new["group_a"], new["group_b"], new["status"], new["answers_wave"]) == (
        "dimension",
        "leadership",
        "level=board",
        "level=shop_floor",
        "planned",
        3,
    )
    at.button(key="plan_add_it_ot").click().run()
    assert "row 1, column owner: must not be empty" in at.error[0].value
    assert len(_actions(loop_db)) == 3


def test_a_facilitator_opens_a_pulse_and_a_leader_cannot(loop_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    leader = open_page("pages/14_actions.py", loop_db, monkeypatch, role="leader")
    assert "pulse_start" not in [b.key for b in leader.button]
    at = open_page("pages/14_actions.py", loop_db, monkeypatch, role="facilitator")
    assert at.selectbox(key="pulse_from").value == 1
    at.multiselect(key="pulse_actions").set_value(["A2"]).run()
    at.button(key="pulse_start").click().run()
    assert [s.value for s in at.success] == ["Wave 4 is open as a pulse: 7 statements. Share it from the Invites page."]
    with open_cursor(loop_db) as con:
        assert len(list_waves(con, "demo")) == 4
        assert campaign_instrument(con, "demo", 4).item_ids[-1] == "SEEN_A2"


def test_the_page_is_signed_in_only_and_speaks_dutch(loop_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = open_page("pages/14_actions.py", loop_db, monkeypatch, role=None)
    assert not out.data_editor and out.title[0].value == "Sign-in needed"
    at = open_page("pages/14_actions.py", loop_db, monkeypatch, role="leader", state={"dash_lang_kept": "nl"})
    assert at.title[0].value == "Acties" and at.button(key="actions_save").label == "Wijzigingen opslaan"


def test_the_page_follows_the_dashboard_language_chosen_elsewhere(loop_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Dutch chosen on a dashboard page (kept in `dash_lang_kept`) holds here: headings, column labels, help, statuses, kinds, save notice."""
    en = open_page("pages/14_actions.py", loop_db, monkeypatch, role="facilitator")
    assert en.title[0].value == "Actions" and en.subheader[0].value == "Re-pulse: a two-minute follow-up wave"
    assert en.sidebar.segmented_control[0].label == "Language" and en.sidebar.segmented_control[0].value == "en"
    nl = open_page("pages/14_actions.py", loop_db, monkeypatch, role="facilitator", state={"dash_lang_kept": "nl"})
    assert nl.sidebar.segmented_control[0].value == "nl" and nl.sidebar.selectbox[0].label == "Campagne"
    assert nl.subheader[0].value == "Korte peiling: een vervolg van twee minuten"
    assert nl.selectbox(key="pulse_from").label == "Acties op peiling" and nl.button(key="pulse_start").label == "Open de korte peiling"
    config = nl.data_editor[0].proto.columns
    assert '"label": "eigenaar"' in config and '"help": "Een rol- of teamnaam, nooit een persoon"' in config
    assert "never a person" not in config and "you said, we did" not in config
    nl.session_state["actions_editor"] = {"edited_rows": {1: {"status": "done"}}, "added_rows": [], "deleted_rows": []}
    nl.run()
    nl.button(key="actions_save").click().run()
    assert [s.value for s in nl.success] == ["Opgeslagen: bijgewerkt A2."]
