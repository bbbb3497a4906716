"""The Data and audit page: row-level data switched on with a reason, backup download, confirmed deletion of a wave, the audit log of all."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from survey.access import hash_password
from survey.store import Database
from tests.app_pages import open_page, switch_on_row_level
from tests.conftest import MakeDemo

ROW_PASSWORD = "only the data officer knows"


def test_backup_then_delete_a_wave_is_audited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_demo: MakeDemo) -> None:
    path = tmp_path / "data.duckdb"
    make_demo(60, seed=4, waves=2, into=path)
    monkeypatch.setenv("COHERENCE_ROW_LEVEL_HASH", hash_password(ROW_PASSWORD))
    at = open_page("pages/13_data.py", path, monkeypatch)
    assert at.button(key="make_backup").disabled  # a backup holds every answer: row-level data first
    at.text_input(key="rows_reason").input("yearly archive copy")
    at.text_input(key="rows_password").input("the facilitator password")
    at.button(key="rows_grant").click().run()
    assert any("wrong row-level password" in e.value for e in at.error) and at.button(key="make_backup").disabled
    switch_on_row_level(at, ROW_PASSWORD, "yearly archive copy")
    assert any("is on until" in s.value for s in at.success)
    at.button(key="make_backup").click().run()
    assert any("Backup of" in s.value for s in at.success)
    names = zipfile.ZipFile(io.BytesIO(at.session_state["backup_zip"])).namelist()
    assert "backup/manifest.json" in names and any(n.endswith(".parquet") for n in names)
    at.selectbox(key="delete_target").set_value(2)
    at.run()
    assert at.button(key="delete_go").disabled  # not confirmed yet
    at.text_input(key="delete_confirm").input("demo").run()
    at.button(key="delete_go").click().run()
    assert not at.exception
    assert any("Deleted 60 response(s)" in s.value for s in at.success)
    with Database(path, linger_s=0).cursor() as con:
        assert con.execute("SELECT count(*) FROM responses").fetchone()[0] == 60
        actions = [r[0] for r in con.execute("SELECT action FROM audit_log").fetchall()]
        (backup_detail,) = con.execute("SELECT detail FROM audit_log WHERE action = 'backup'").fetchone()
    assert "backup" in " ".join(actions) and any("delete" in a for a in actions)
    assert {"row-level refused", "row-level grant"} <= set(actions) and "reason=yearly archive copy" in backup_detail


def test_without_a_row_level_password_row_level_data_stays_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_demo: MakeDemo
) -> None:
    path = tmp_path / "off.duckdb"
    make_demo(20, seed=4, waves=1, into=path)
    monkeypatch.delenv("COHERENCE_ROW_LEVEL_HASH", raising=False)
    at = open_page("pages/13_data.py", path, monkeypatch)
    assert any("hash-password --role row_level" in i.value for i in at.info)
    assert not [t for t in at.text_input if t.key == "rows_password"] and at.button(key="make_backup").disabled


def test_invite_links_come_as_one_zip_of_the_csv_codes_and_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_demo: MakeDemo
) -> None:
    path = tmp_path / "invites.duckdb"
    make_demo(20, seed=5, waves=1, into=path)
    at = open_page("pages/9_invites.py", path, monkeypatch)
    at.number_input[0].set_value(3)
    at.button(key="make_invites").click().run()
    assert not at.exception
    names = sorted(zipfile.ZipFile(io.BytesIO(at.session_state["invite_zip"])).namelist())
    assert names == ["invites-sheet.pdf", "invites.csv", "qr/invite-0001.png", "qr/invite-0002.png", "qr/invite-0003.png"]
