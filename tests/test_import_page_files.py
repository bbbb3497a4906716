"""The Import page with the files of issue 17: an offline site's export (behind its code) and a Forms export (mapping confirmed first)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from survey.campaigns import create_campaign
from survey.instrument import default_instrument
from survey.store import Database
from tests.app_pages import open_page
from tests.conftest import open_cursor
from tests.test_import_forms import EMAILS, NAMES, as_xlsx, every_text_stored, forms_rows
from tests.test_offline import CODE, export_file, record


@pytest.fixture
def plant_db(tmp_path: Path) -> Path:
    path = tmp_path / "plant.duckdb"
    database = Database(path, linger_s=0)
    with database.cursor() as con:
        create_campaign(con, "Plant", default_instrument(), campaign_id="plant")
    database.close()
    return path


def _count(path: Path) -> int:
    with open_cursor(path) as con:
        return con.execute("SELECT count(*) FROM responses WHERE source = 'offline'").fetchone()[0]


def _texts(at: object, kind: str) -> str:
    return "\n".join(str(e.value) for e in getattr(at, kind))


def test_the_import_page_takes_an_offline_export_once_and_refuses_a_tampered_one(plant_db, monkeypatch):
    instrument = default_instrument()
    records = [record(instrument), record(instrument)]
    data = export_file(records)
    at = open_page("pages/10_import.py", plant_db, monkeypatch)
    at.get("file_uploader")[0].upload("offline-plant-w1.json", data, "application/json")
    at.run()
    at.text_input(key="offline_code").input(CODE).run()
    at.button(key="offline_import").click().run()
    assert "Imported 2 new response(s) into wave 1; 0 were already imported" in _texts(at, "success")
    assert _count(plant_db) == 2
    at.button(key="offline_import").click().run()
    assert "Imported 0 new response(s) into wave 1; 2 were already imported" in _texts(at, "success")
    assert _count(plant_db) == 2

    doc = json.loads(export_file([record(instrument)]))
    doc["records"][0]["record"] = doc["records"][0]["record"].replace('"venlo"', '"gent"')
    at = open_page("pages/10_import.py", plant_db, monkeypatch)
    at.get("file_uploader")[0].upload("edited.json", json.dumps(doc).encode(), "application/json")
    at.run()
    at.text_input(key="offline_code").input(CODE).run()
    at.button(key="offline_import").click().run()
    assert "Nothing was imported" in _texts(at, "error")
    assert f"record 1 ({doc['records'][0]['uuid']}): checksum does not match" in _texts(at, "code")
    assert _count(plant_db) == 2


def test_the_import_page_shows_a_forms_mapping_and_imports_only_once_it_is_confirmed(plant_db, monkeypatch):
    instrument = default_instrument()
    header, rows = forms_rows(instrument, "nl", google=False)
    at = open_page("pages/10_import.py", plant_db, monkeypatch)
    at.get("file_uploader")[0].upload("Antwoorden.xlsx", as_xlsx(header, rows))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    mapping = at.dataframe[-1].value
    assert list(mapping.columns) == ["Column", "Header in the file", "Read as", "How"]
    assert mapping.iloc[0].tolist() == ["A", "ID", "— not stored —", "metadata, dropped"]
    assert at.button(key="do_import").disabled
    at.checkbox(key="mapping_ok").check().run()
    assert not at.button(key="do_import").disabled
    at.button(key="do_import").click().run()
    assert "Imported 3 response(s)" in _texts(at, "success")
    with open_cursor(plant_db) as con:
        assert con.execute("SELECT DISTINCT language FROM responses").fetchall() == [("nl",)]
        stored = every_text_stored(con)
    assert not [secret for secret in (*EMAILS, *NAMES) if secret in stored]
