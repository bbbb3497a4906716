"""The audit remembered across new responses (analysis.disclosure.remembered_protect) gives exactly the audit of the new counts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import disclosure
from analysis.anonymity import COMBINATION, visibility
from analysis.cube import cube_from_rows
from analysis.disclosure import linked_audit, protect, remembered_protect
from analysis.scope import protected_cube
from analysis.scoring import clear_matrices, respondent_matrix
from tests.test_anonymity_adversary import insert_people, population, store

UNITS = ("respondents", "l:x")


def cube_n(respondents: dict[tuple, int], named: dict[tuple, int], options: tuple[tuple[str, ...], ...]) -> np.ndarray:
    """Counts of a cube with two units: every respondent, and those of them who named a loss."""
    attributes = tuple(f"a{i}" for i in range(len(options)))
    keys = list(respondents)
    rows = {a: np.array([key[i] for key in keys], dtype=object) for i, a in enumerate(attributes)}
    for unit, counts in zip(UNITS, (respondents, named), strict=True):
        rows[f"n|{unit}"] = np.array([counts[key] for key in keys], dtype=float)
        rows[f"s|{unit}"] = rows[f"q|{unit}"] = np.zeros(len(keys))
    return cube_from_rows(rows, attributes, options, UNITS).n


def audited(n: np.ndarray, k: int, audit=protect) -> tuple[np.ndarray, np.ndarray]:
    visible, reason = visibility(n, k)
    return audit(n, UNITS, visible, reason, k, [], COMBINATION, 2)


@st.composite
def changed(draw):
    """Counts per combination of 2–3 attributes (not stated included), then the same after a few responses came in,
    or with the small groups holding other small numbers (what a cap at k would wrongly treat as the same)."""
    k = draw(st.integers(3, 5))
    options = tuple(tuple(f"o{j}" for j in range(draw(st.integers(2, 3)))) for _ in range(draw(st.integers(2, 3))))
    combos = list(itertools.product(*[list(o) + [None] for o in options]))
    before = {combo: draw(st.one_of(st.integers(0, 6), st.integers(0, 30))) for combo in combos}
    named = {combo: draw(st.integers(0, count)) for combo, count in before.items()}
    after, named_after = dict(before), dict(named)
    if draw(st.booleans()):
        for combo in draw(st.lists(st.sampled_from(combos), min_size=1, max_size=3)):
            after[combo] += 1
            named_after[combo] += draw(st.integers(0, 1))
    else:
        for combo, count in before.items():
            after[combo] = draw(st.integers(1, k - 1)) if 0 < count < k else count
            named_after[combo] = min(named[combo], after[combo])
    return options, (before, named), (after, named_after), k


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(changed())
def test_a_remembered_audit_equals_the_audit_of_the_new_counts(case):
    options, (before, named), (after, named_after), k = case
    disclosure._REMEMBERED.clear()
    disclosure._LINKED.clear()
    disclosure._UNITS.clear()
    audited(cube_n(before, named, options), k, remembered_protect)
    n = cube_n(after, named_after, options)
    remembered, fresh = audited(n, k, remembered_protect), audited(n, k)
    assert np.array_equal(remembered[0], fresh[0]) and np.array_equal(remembered[1], fresh[1])


def test_a_response_in_a_large_cell_is_not_audited_again(monkeypatch):
    options = (("a", "b", "c"), ("x", "y"))
    before = {combo: 40 + 7 * i for i, combo in enumerate(itertools.product(["a", "b", "c", None], ["x", "y", None]))}
    before[("c", "y")], before[(None, None)] = 2, 1  # small cells: the audit has something to weigh
    named = {combo: count // 2 for combo, count in before.items()}
    calls = []
    monkeypatch.setattr(disclosure, "protect", lambda *args: calls.append(1) or protect(*args))
    disclosure._REMEMBERED.clear()
    first = audited(cube_n(before, named, options), 5, remembered_protect)
    grown = {**before, ("a", "x"): before[("a", "x")] + 1}
    second = audited(cube_n(grown, named, options), 5, remembered_protect)
    assert len(calls) == 1, "the capped counts and the order of the sizes did not change: the audit is reused"
    assert np.array_equal(first[0], second[0]) and np.array_equal(second[0], audited(cube_n(grown, named, options), 5)[0])
    small = {**grown, ("c", "y"): 3}
    audited(cube_n(small, named, options), 5, remembered_protect)
    assert len(calls) == 2, "a small cell changed: audited again"


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_remembered_audits_of_a_growing_wave_equal_fresh_ones(con, seed, monkeypatch):
    """Real cubes with don't-knows, optional attributes and small groups, one response at a time: the remembered audits
    (whole and per dimension) give the verdicts a fresh audit gives, and some of the work is not done again."""
    people = population(np.random.default_rng(seed), 70, 1)
    store(con, {1: people[:50]}, 5, 8)
    calls = {"remembered": 0, "fresh": 0}
    counting = {"mode": "remembered"}

    def counted(*args):
        calls[counting["mode"]] += 1
        return linked_audit(*args)

    monkeypatch.setattr(disclosure, "linked_audit", counted)
    for person in people[50:]:
        insert_people(con, 1, [person])
        clear_matrices()
        matrix = respondent_matrix(con, "adv", 1)
        counting["mode"] = "remembered"
        _, remembered_visible, remembered_reason = protected_cube(matrix, 5)
        disclosure._REMEMBERED.clear()
        disclosure._LINKED.clear()
        disclosure._UNITS.clear()
        matrix._memo.clear()
        counting["mode"] = "fresh"
        _, visible, reason = protected_cube(matrix, 5)
        assert np.array_equal(remembered_visible, visible) and np.array_equal(remembered_reason, reason), person.rid
    assert calls["remembered"] < calls["fresh"], calls
