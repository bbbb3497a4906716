"""The Data and audit page: backup download, confirmed deletion of a wave, and the audit log listing both."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from survey.demo import load_demo
from survey.store import Database
from tests.app_pages import open_page


def test_backup_then_delete_a_wave_is_audited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "data.duckdb"
    with Database(path, linger_s=0).cursor() as con:
        load_demo(con, 60, seed=4, waves=2)
    at = open_page("pages/13_data.py", path, monkeypatch)
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
    assert "backup" in " ".join(actions) and any("delete" in a for a in actions)


def test_invite_links_come_as_one_zip_of_the_csv_codes_and_sheet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "invites.duckdb"
    with Database(path, linger_s=0).cursor() as con:
        load_demo(con, 20, seed=5)
    at = open_page("pages/9_invites.py", path, monkeypatch)
    at.number_input[0].set_value(3)
    at.button(key="make_invites").click().run()
    assert not at.exception
    names = sorted(zipfile.ZipFile(io.BytesIO(at.session_state["invite_zip"])).namelist())
    assert names == ["invites-sheet.pdf", "invites.csv", "qr/invite-0001.png", "qr/invite-0002.png", "qr/invite-0003.png"]
