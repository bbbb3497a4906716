"""The exports page: leaders get aggregate formats only, facilitators also answer rows; every file downloads."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from survey.demo import load_demo
from survey.store import Database
from tests.app_pages import open_page


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("exports") / "demo.duckdb"
    with Database(path, linger_s=0).cursor() as con:
        load_demo(con, 120, seed=9)
    return path


def _exports_page(role: str, db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return open_page("pages/11_exports.py", db, monkeypatch, role=role, timeout=120)


def test_leader_cannot_choose_answer_rows(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _exports_page("leader", demo_db, monkeypatch)
    assert set(at.radio(key="export_fmt").options) == {
        "Excel workbook",
        "HTML report (opens offline)",
        "Workshop deck (PowerPoint)",
        "Chart images (PNG, zip)",
        "Chart images (SVG, zip)",
    }


@pytest.mark.parametrize("fmt", ["csv", "html"])
def test_facilitator_export_downloads_and_is_audited(fmt: str, demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _exports_page("facilitator", demo_db, monkeypatch)
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
