"""Actions storage: every row checked before any is written, audited, in backups exactly, deleted with the campaign."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from survey.actions import COLUMNS, ActionsRefused, action_from, add_action, delete_action, list_actions, save_actions, set_published
from survey.backup import backup, restore
from survey.campaigns import create_campaign, start_wave
from survey.instrument import Instrument
from survey.retention import delete_campaign, delete_wave
from survey.store import Database, recent_audit

GAP = {"kind": "dimension", "id": "strategy", "a": "level=board", "b": "level=shop_floor"}


@pytest.fixture
def camp(con: duckdb.DuckDBPyConnection, instrument: Instrument) -> duckdb.DuckDBPyConnection:
    create_campaign(con, "Plant A", instrument, campaign_id="plant-a")
    return con


def _one(con: duckdb.DuckDBPyConnection, **overrides: object) -> str:
    return add_action(con, "plant-a", {**action_from(GAP, owner="COO office"), **overrides}, actor="tester")


def test_add_list_publish_delete_are_audited(camp: duckdb.DuckDBPyConnection) -> None:
    first = _one(camp, due_on=dt.date(2027, 3, 1), eur_per_year=120000.0, loss="unplanned_downtime", kpi="OEE", kpi_baseline="61%")
    second = _one(camp, title="Shop-floor data board")
    frame = list_actions(camp, "plant-a")
    assert list(frame.columns) == list(COLUMNS)
    assert list(frame["action_id"]) == [first, second] == ["A1", "A2"]
    row = frame.iloc[0]
    assert (row["due_on"], row["eur_per_year"], row["status"], row["published"], row["answers_wave"]) == (
        dt.date(2027, 3, 1),
        120000.0,
        "planned",
        False,
        1,
    )
    assert list_actions(camp, "plant-a", published_only=True).empty
    set_published(camp, "plant-a", first, True, actor="tester")
    assert list(list_actions(camp, "plant-a", published_only=True)["action_id"]) == [first]
    delete_action(camp, "plant-a", second, actor="tester")
    assert list(list_actions(camp, "plant-a")["action_id"]) == [first]
    actions = [e.action for e in recent_audit(camp)]
    assert actions[:4] == ["action delete", "action publish", "action add", "action add"]


def _edited(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    _one(con)
    _one(con, title="Second")
    return list_actions(con, "plant-a")


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("due_on", "2027-02-30", "row 2, column due_on, value '2027-02-30': must be a date (YYYY-MM-DD)"),
        ("status", "finished", "row 2, column status, value 'finished': must be one of planned, in_progress, done, dropped"),
        ("owner", "", "row 2, column owner: must not be empty"),
        ("target_id", "STRX", "row 2, column target_id, value 'STRX': not a dimension, item or loss"),
        ("group_b", "level=king", "row 2, column group_b, value 'level=king': must be attribute=option"),
        ("eur_per_year", "-5", "row 2, column eur_per_year, value '-5': must be an amount"),
        ("answers_wave", 9, "row 2, column answers_wave, value '9': must be a wave of the campaign (1)"),
        ("title", '=HYPERLINK("x")', "row 2, column title"),
    ],
)
def test_a_bad_row_refuses_the_whole_list(camp: duckdb.DuckDBPyConnection, column: str, value: object, expected: str) -> None:
    frame = _edited(camp)
    before = list_actions(camp, "plant-a")
    audit_before = len(recent_audit(camp, 1000))
    frame.loc[0, "title"] = "Changed in the same save"
    frame[column] = frame[column].astype(object)
    frame.loc[1, column] = value
    with pytest.raises(ActionsRefused) as refused:
        save_actions(camp, "plant-a", frame, actor="tester")
    assert any(str(p).startswith(expected) for p in refused.value.problems), refused.value.problems
    pd.testing.assert_frame_equal(list_actions(camp, "plant-a"), before)
    assert len(recent_audit(camp, 1000)) == audit_before


def test_save_adds_updates_deletes_in_one_audited_step(camp: duckdb.DuckDBPyConnection) -> None:
    frame = _edited(camp)
    frame.loc[0, "status"] = "in_progress"
    frame = frame[frame["action_id"] != "A2"]
    new = pd.DataFrame([{**action_from({"kind": "item", "id": "OPS2"}, owner="Maintenance lead"), "due_on": "2027-05-01"}])
    result = save_actions(camp, "plant-a", pd.concat([frame, new], ignore_index=True), actor="tester")
    assert (result.added, result.updated, result.deleted) == (("A3",), ("A1",), ("A2",))
    stored = list_actions(camp, "plant-a")
    assert list(stored["status"]) == ["in_progress", "planned"]
    assert stored.iloc[1]["due_on"] == dt.date(2027, 5, 1)
    entry = recent_audit(camp, 1)[0]
    assert (entry.action, entry.detail) == ("actions save", "campaign plant-a (actions): added A3; updated A1; deleted A2")
    assert not save_actions(camp, "plant-a", list_actions(camp, "plant-a"), actor="tester").changed


def test_an_id_of_another_campaign_is_refused(camp: duckdb.DuckDBPyConnection, instrument: Instrument) -> None:
    _one(camp)
    create_campaign(camp, "Plant B", instrument, campaign_id="plant-b")
    theirs = pd.DataFrame([{**action_from(GAP, owner="Plant manager"), "action_id": "A1"}])
    with pytest.raises(ActionsRefused, match="row 1, column action_id, value 'A1': already used by an action of another campaign"):
        save_actions(camp, "plant-b", theirs, actor="tester")
    assert list_actions(camp, "plant-b").empty


def test_actions_survive_backup_and_restore_exactly(camp: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    _one(camp, due_on=dt.date(2027, 1, 31), eur_per_year=2.5e5, loss="quality_scrap_rework", kpi="scrap %", notes="ünïcode — ok")
    _one(camp, group_a=None, group_b=None, target_kind="item", target_id="STR1")
    set_published(camp, "plant-a", "A2", True, actor="tester")
    original = list_actions(camp, "plant-a")
    raw = camp.execute("SELECT * FROM actions ORDER BY action_id").fetchall()
    backup(camp, tmp_path / "bk")
    target = Database(tmp_path / "restored.duckdb", linger_s=0, wait_s=5)
    with target.cursor() as other:
        restore(other, tmp_path / "bk")
        assert other.execute("SELECT * FROM actions ORDER BY action_id").fetchall() == raw
        pd.testing.assert_frame_equal(list_actions(other, "plant-a"), original)
    target.close()


def test_actions_go_with_their_campaign_but_not_with_a_wave(camp: duckdb.DuckDBPyConnection, instrument: Instrument) -> None:
    _one(camp)
    start_wave(camp, "plant-a", "Follow-up")
    _one(camp, answers_wave=2)
    delete_wave(camp, "plant-a", 2, actor="tester")
    assert len(list_actions(camp, "plant-a")) == 2
    deletion = delete_campaign(camp, "plant-a", actor="tester")
    assert deletion.rows["actions"] == 2
    assert camp.execute("SELECT count(*) FROM actions").fetchone()[0] == 0
