"""Cells kept in the database let the next process start from them, and are never trusted beyond what they prove."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from analysis import engine
from analysis.scope import Scope
from analysis.scoring import clear_matrices, data_version, respondent_matrix
from analysis.stored_cells import decode, encode
from survey.importer import delete_import, run_import
from survey.organisation import set_headcounts, set_value_estimates
from survey.retention import delete_campaign
from survey.store import forget_wave_cells
from tests.test_analysis_appended import _respond

SCOPE = Scope("demo", wave=2)


def _document(con: duckdb.DuckDBPyConnection) -> str:
    return json.dumps(engine.summary(con, SCOPE), sort_keys=True, default=str)


def _new_process(con: duckdb.DuckDBPyConnection) -> str:
    """What a freshly started server computes: nothing in memory, the database as it is."""
    clear_matrices()
    return _document(con)


def _from_scratch(con: duckdb.DuckDBPyConnection) -> str:
    clear_matrices()
    forget_wave_cells(con)
    return _document(con)


def _stored_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT campaign_id, wave FROM wave_cells ORDER BY ALL").fetchall()


def test_a_new_process_starts_from_the_stored_cells_and_gets_the_same_numbers(demo_con):
    truth = _from_scratch(demo_con)
    assert ("demo", 2) in _stored_rows(demo_con)
    assert _new_process(demo_con) == truth
    assert respondent_matrix(demo_con, "demo", 2).read == "stored"


def test_responses_added_by_another_process_are_added_to_the_stored_cells(demo_con, instrument):
    _from_scratch(demo_con)
    clear_matrices()  # the server stops; another process collects answers meanwhile
    _respond(demo_con, instrument, wave=2, seed=21, count=9)
    _respond(demo_con, instrument, wave=1, seed=22, count=3)
    grown = respondent_matrix(demo_con, "demo", 2)
    assert grown.read == "appended"
    assert grown.respondents == 409
    through_store = _document(demo_con)
    assert through_store == _from_scratch(demo_con)
    clear_matrices()  # what the appended read stored is current too
    assert respondent_matrix(demo_con, "demo", 2).read == "stored"
    assert _document(demo_con) == through_store


@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE wave_cells SET cells = 'not arrow'::BLOB",
        "UPDATE wave_cells SET layout = 'another questionnaire'",
        "UPDATE wave_cells SET fingerprint = '[1, 2'",
        "UPDATE wave_cells SET fingerprint = '[1, 2]'",  # readable, but not a fingerprint
    ],
)
def test_damaged_or_foreign_stored_cells_are_ignored_and_replaced(demo_con, damage):
    truth = _from_scratch(demo_con)
    demo_con.execute(damage)
    assert _new_process(demo_con) == truth
    assert respondent_matrix(demo_con, "demo", 2).read == "full"
    clear_matrices()
    assert respondent_matrix(demo_con, "demo", 2).read == "stored"  # written again by the full read


def test_cells_that_break_the_checks_are_refused():
    cells = {"level": np.array(["board", None], dtype=object), "n|i:A": np.array([3.0, 5.0]), "s|i:A": np.array([9.0, 15.0])}
    cells["q|i:A"] = np.array([27.0, 45.0])
    back = decode(encode(cells, ("level",)), ("level",))
    assert list(back["level"]) == ["board", None]
    assert all(np.array_equal(back[k], cells[k]) for k in ("n|i:A", "s|i:A", "q|i:A"))
    for name, bad in (("n|i:A", [2.5, 5.0]), ("n|i:A", [-1.0, 5.0]), ("q|i:A", [np.inf, 1.0]), ("x|i:A", [1.0, 1.0])):
        with pytest.raises(Exception, match="wave_cells|count|finite|neither"):
            encode({**cells, name: np.array(bad)}, ("level",))


def test_stored_cells_of_a_wave_with_deleted_responses_are_not_used(demo_con, instrument):
    truth_before = _from_scratch(demo_con)
    items = list(instrument.item_ids)
    rows = [",".join(["level", "function", "site", *items])]
    rows += [",".join(["board", "production", "venlo", *[str(v)] * len(items)]) for v in (4, 5, 3)]
    result = run_import(demo_con, "demo", ("\n".join(rows) + "\n").encode("utf-8"), "late.csv")
    assert result.wave == 2
    _document(demo_con)  # the import's answers are now in the stored cells
    delete_import(demo_con, result.import_id)
    assert ("demo", 2) not in _stored_rows(demo_con)  # aggregates that count removed answers do not outlive them
    assert _new_process(demo_con) == truth_before


def test_deleting_a_campaign_deletes_its_stored_cells(demo_con):
    _from_scratch(demo_con)
    assert _stored_rows(demo_con)
    delete_campaign(demo_con, "demo", actor="test")
    assert _stored_rows(demo_con) == []


def test_a_read_only_file_is_read_from_its_stored_cells_without_writing(demo_con, tmp_path):
    truth = _from_scratch(demo_con)
    path = demo_con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    demo_con.execute("CHECKPOINT")
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(Path(path).read_bytes())
    reader = duckdb.connect(str(copy), read_only=True)
    try:
        clear_matrices()
        assert json.dumps(engine.summary(reader, SCOPE), sort_keys=True, default=str) == truth
        assert respondent_matrix(reader, "demo", 2).read == "stored"
    finally:
        reader.close()


def test_inside_a_callers_transaction_nothing_is_written(demo_con):
    clear_matrices()
    forget_wave_cells(demo_con)
    demo_con.execute("BEGIN TRANSACTION")
    try:
        _document(demo_con)
        assert _stored_rows(demo_con) == []
    finally:
        demo_con.execute("ROLLBACK")


def test_cells_grown_by_new_responses_are_stored_at_most_every_so_often(demo_con, instrument, monkeypatch):
    import analysis.scoring as scoring

    _from_scratch(demo_con)
    stored = demo_con.execute("SELECT fingerprint FROM wave_cells WHERE wave = 2").fetchone()
    _respond(demo_con, instrument, wave=2, seed=31, count=2)
    assert respondent_matrix(demo_con, "demo", 2).read == "appended"
    assert demo_con.execute("SELECT fingerprint FROM wave_cells WHERE wave = 2").fetchone() == stored  # stored a moment ago
    monkeypatch.setattr(scoring, "STORE_EVERY_S", 0.0)
    _respond(demo_con, instrument, wave=2, seed=32, count=1)
    assert respondent_matrix(demo_con, "demo", 2).read == "appended"
    assert demo_con.execute("SELECT fingerprint FROM wave_cells WHERE wave = 2").fetchone() != stored
    through_store = _new_process(demo_con)
    assert respondent_matrix(demo_con, "demo", 2).read == "stored"
    assert through_store == _from_scratch(demo_con)


def test_the_data_version_changes_with_everything_a_dashboard_number_depends_on(demo_con, instrument):
    """One notion of "the stored responses changed": the pages' data version hashes response ids as the waves' fingerprints do."""
    waves = [respondent_matrix(demo_con, "demo", wave).fingerprint for wave in (1, 2)]
    version = data_version(demo_con, "demo")
    count, ids = version.split("|")[:2]
    assert int(count) == sum(f.respondents for f in waves)
    assert int(ids) == waves[0].response_ids ^ waves[1].response_ids
    assert data_version(demo_con, "demo") == version
    seen = {version}
    changes = [
        lambda: _respond(demo_con, instrument, wave=2, seed=31, count=1),
        lambda: set_value_estimates(demo_con, "demo", {"unplanned_downtime": 125_000}),
        lambda: set_headcounts(demo_con, "demo", pd.DataFrame({"attribute": ["level"], "option": ["board"], "headcount": [7]})),
        lambda: demo_con.execute("UPDATE campaigns SET comment_threshold = comment_threshold + 1 WHERE campaign_id = 'demo'"),
    ]
    for change in changes:
        change()
        seen.add(data_version(demo_con, "demo"))
    assert len(seen) == 1 + len(changes)
