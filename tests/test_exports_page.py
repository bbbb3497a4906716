"""The exports page: leaders get aggregate formats only, facilitators also answer rows once row-level data is switched on; every file downloads."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from survey.access import hash_password
from survey.store import Database
from tests.app_pages import open_page, switch_on_row_level
from tests.conftest import MakeDemo

ROW_PASSWORD = "only the data officer knows"


@pytest.fixture(scope="module")
def row_hash() -> str:
    return hash_password(ROW_PASSWORD)


@pytest.fixture(scope="module")
def demo_db(make_demo: MakeDemo) -> Path:
    return make_demo(120, seed=9, waves=1)


def _exports_page(role: str, db: Path, monkeypatch: pytest.MonkeyPatch, row_hash: str | None = None) -> AppTest:
    if row_hash:
        monkeypatch.setenv("COHERENCE_ROW_LEVEL_HASH", row_hash)
    at = open_page("pages/11_exports.py", db, monkeypatch, role=role, timeout=120)
    if row_hash:
        switch_on_row_level(at, ROW_PASSWORD)
        at.switch_page("pages/11_exports.py")
        at.run()
    return at


def test_leader_cannot_choose_answer_rows(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _exports_page("leader", demo_db, monkeypatch)
    assert set(at.radio(key="export_fmt").options) == {
        "Excel workbook",
        "HTML report (opens offline)",
        "Workshop deck (PowerPoint)",
        "Chart images (PNG, zip)",
        "Chart images (SVG, zip)",
    }


def test_answer_rows_wait_for_row_level_data_to_be_switched_on(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _exports_page("facilitator", demo_db, monkeypatch)
    at.radio(key="export_fmt").set_value("csv")
    at.run()
    assert at.button(key="export_go").disabled
    assert any("permission of their own" in i.value for i in at.info)
    at.radio(key="export_fmt").set_value("xlsx")
    at.run()
    assert not at.button(key="export_go").disabled and not [c for c in at.checkbox if c.key == "export_raw"]


@pytest.mark.parametrize("fmt", ["csv", "html"])
def test_facilitator_export_downloads_and_is_audited(fmt: str, demo_db: Path, monkeypatch: pytest.MonkeyPatch, row_hash: str) -> None:
    at = _exports_page("facilitator", demo_db, monkeypatch, row_hash if fmt == "csv" else None)
    at.radio(key="export_fmt").set_value(fmt)
    at.button(key="export_go").click()
    at.run()
    assert not at.exception
    assert at.get("download_button")
    with Database(demo_db, linger_s=0).cursor() as con:
        assert con.execute("SELECT count(*) FROM audit_log WHERE action = 'export' AND detail LIKE ?", [f"{fmt}%"]).fetchone()[0] >= 1


def test_chart_images_come_as_one_zip(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _exports_page("facilitator", demo_db, monkeypatch)
    at.radio(key="export_fmt").set_value("svg")
    at.button(key="export_go").click()
    at.run()
    assert not at.exception
    fmt, data, _ = at.session_state["export_file"]
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert fmt == "svg" and any(n.endswith(".svg") for n in names) and "/" not in "".join(names)


def test_a_workbook_gets_the_raw_sheet_only_when_asked_under_a_grant(demo_db: Path, monkeypatch: pytest.MonkeyPatch, row_hash: str) -> None:
    at = _exports_page("facilitator", demo_db, monkeypatch, row_hash)
    at.radio(key="export_fmt").set_value("xlsx")
    at.run()
    at.checkbox(key="export_raw").check()
    at.button(key="export_go").click()
    at.run()
    assert not at.exception
    assert any("merged" in i.value for i in at.info)  # the coarsening is told, as a note
    with Database(demo_db, linger_s=0).cursor() as con:
        (detail,) = con.execute("SELECT detail FROM audit_log WHERE action = 'export' ORDER BY logged_at DESC LIMIT 1").fetchone()
    assert detail.startswith("xlsx ") and " rows=" in detail and "reason=statistics for the works council" in detail
