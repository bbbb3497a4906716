"""New responses are added to the cells already read instead of reading the wave again, to the last digit."""

from __future__ import annotations

import json

import duckdb
import numpy as np

from analysis import engine
from analysis.scope import Scope
from analysis.scoring import clear_matrices, respondent_matrix
from survey.instrument import Instrument
from survey.responses import Submission, submit
from survey.retention import delete_wave
from survey.store import forget_wave_cells


def _document(con: duckdb.DuckDBPyConnection, scope: Scope) -> str:
    return json.dumps(engine.summary(con, scope), sort_keys=True, default=str)


def _from_scratch(con: duckdb.DuckDBPyConnection, scope: Scope) -> str:
    """A read of every response: nothing in this process, nothing stored in the database."""
    clear_matrices()
    forget_wave_cells(con)
    return _document(con, scope)


def _respond(con: duckdb.DuckDBPyConnection, instrument: Instrument, wave: int, seed: int, count: int) -> None:
    rng = np.random.default_rng(seed)
    losses = list(instrument.value_at_stake.losses)
    for _ in range(count):
        attributes = {a: str(rng.choice(list(attr.options))) for a, attr in instrument.attributes.items()}
        answers = {i: None if rng.random() < 0.1 else int(rng.integers(1, 6)) for i in instrument.item_ids}
        picked = [str(x) for x in rng.choice(losses, size=int(rng.integers(0, 3)), replace=False)]
        submit(con, instrument, Submission("demo", wave, "en", attributes, answers, losses=picked))


def test_responses_appended_to_the_wave_are_added_and_match_a_full_read(demo_con, instrument):
    clear_matrices()
    scope = Scope("demo", wave=2)
    first = respondent_matrix(demo_con, "demo", 2)
    assert first.read == "full"
    _document(demo_con, scope)

    _respond(demo_con, instrument, wave=2, seed=3, count=7)
    _respond(demo_con, instrument, wave=1, seed=4, count=2)  # another wave grows too: not this wave's rows
    grown = respondent_matrix(demo_con, "demo", 2)
    assert grown.read == "appended"
    assert grown.respondents == first.respondents + 7
    appended = _document(demo_con, scope)
    assert appended == _from_scratch(demo_con, scope)
    assert respondent_matrix(demo_con, "demo", 2).read == "full"


def test_a_new_small_group_appears_with_its_cells_exact(demo_con, instrument):
    """A group that did not exist before the new responses gets its own cells (new rows in the merge)."""
    clear_matrices()
    respondent_matrix(demo_con, "demo", 2)
    before = {tuple(row) for row in zip(*(respondent_matrix(demo_con, "demo", 2).cells[a] for a in instrument.attributes), strict=True)}
    _respond(demo_con, instrument, wave=2, seed=99, count=40)
    after = respondent_matrix(demo_con, "demo", 2)
    assert after.read == "appended"
    cells = {tuple(row) for row in zip(*(after.cells[a] for a in instrument.attributes), strict=True)}
    assert len(cells) == len(after.cells["n|respondents"])  # one row per cell after the merge
    assert cells >= before
    assert _document(demo_con, Scope("demo", wave=2)) == _from_scratch(demo_con, Scope("demo", wave=2))


def test_a_deletion_makes_the_next_view_read_the_wave_again(demo_con, instrument):
    clear_matrices()
    respondent_matrix(demo_con, "demo", 2)
    delete_wave(demo_con, "demo", 1, actor="test")
    _respond(demo_con, instrument, wave=2, seed=5, count=3)
    again = respondent_matrix(demo_con, "demo", 2)
    assert again.read == "full"
    assert _document(demo_con, Scope("demo", wave=2)) == _from_scratch(demo_con, Scope("demo", wave=2))
    _respond(demo_con, instrument, wave=2, seed=6, count=2)  # and appending works again from the new marks
    assert respondent_matrix(demo_con, "demo", 2).read == "appended"
    assert _document(demo_con, Scope("demo", wave=2)) == _from_scratch(demo_con, Scope("demo", wave=2))


def test_nothing_new_for_this_wave_keeps_its_cells(demo_con, instrument):
    clear_matrices()
    first = respondent_matrix(demo_con, "demo", 2)
    _respond(demo_con, instrument, wave=1, seed=8, count=2)
    same = respondent_matrix(demo_con, "demo", 2)
    assert same.read == "appended" and same.respondents == first.respondents
    for name, column in first.cells.items():
        assert list(column) == list(same.cells[name])
