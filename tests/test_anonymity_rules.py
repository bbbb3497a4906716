"""The suppression rules on cubes of counts: worked examples, and hypothesis-generated adversarial populations checked cell by cell."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.anonymity import REASONS, visibility
from analysis.cube import cube_from_rows

ANY = "*"


def cube_of(counts: dict[tuple, int], options: tuple[tuple[str, ...], ...]):
    """A one-unit cube from counts per combination of attribute values (None = not stated)."""
    attributes = tuple(f"a{i}" for i in range(len(options)))
    keys = list(counts)
    rows = {a: np.array([k[i] for k in keys], dtype=object) for i, a in enumerate(attributes)}
    rows["n|u"] = np.array([counts[k] for k in keys], dtype=float)
    rows["s|u"] = np.zeros(len(keys))
    rows["q|u"] = np.zeros(len(keys))
    return cube_from_rows(rows, attributes, options, ("u",))


def verdict(cube, visible, reason, cell: tuple) -> tuple[bool, str]:
    index = tuple(len(opts) + 1 if v == ANY else opts.index(v) for v, opts in zip(cell, cube.options, strict=True))
    return bool(visible[index + (0,)]), REASONS[int(reason[index + (0,)])]


@pytest.mark.parametrize(
    ("counts", "k", "cell", "expected"),
    [
        # one attribute: a=10, b=20, c=3. c is below k; the hidden total 3 would be recoverable, so a (smallest visible) goes too.
        ({("a",): 10, ("b",): 20, ("c",): 3}, 5, ("c",), (False, "below_threshold")),
        ({("a",): 10, ("b",): 20, ("c",): 3}, 5, ("a",), (False, "complementary")),
        ({("a",): 10, ("b",): 20, ("c",): 3}, 5, ("b",), (True, "shown")),
        ({("a",): 10, ("b",): 20, ("c",): 3}, 5, (ANY,), (True, "shown")),
        # two hidden groups that together reach k need no complementary suppression
        ({("a",): 10, ("b",): 3, ("c",): 2}, 5, ("a",), (True, "shown")),
        # respondents who left the attribute empty count as hidden: 2 not stated would be recoverable
        ({("a",): 10, ("b",): 20, (None,): 2}, 5, ("a",), (False, "complementary")),
        ({("a",): 10, ("b",): 20, (None,): 5}, 5, ("a",), (True, "shown")),
        # nothing visible left to hide: the parent is below k, all children are too
        ({("a",): 2, ("b",): 2}, 5, (ANY,), (False, "below_threshold")),
        # differencing: a∩x = 7 differs from a = 10 by 3 < k
        ({("a", "x"): 7, ("a", "y"): 3, ("b", "x"): 10, ("b", "y"): 10}, 5, ("a", "x"), (False, "differencing")),
        # the same cell seen as "x filtered, broken down by a0" or "a filtered, broken down by a1": one verdict
        ({("a", "x"): 6, ("a", "y"): 6, ("b", "x"): 10, ("b", "y"): 10}, 5, ("a", "x"), (True, "shown")),
        # a cell inside a hidden (complementary) group is hidden, so the group cannot be rebuilt from its parts
        ({("a", "x"): 6, ("a", "y"): 6, ("b", "x"): 30, ("b", "y"): 30, ("c", "x"): 2}, 5, ("a", "x"), (False, "within_hidden")),
        # threshold 3: exactly k is shown
        ({("a",): 3, ("b",): 3}, 3, ("a",), (True, "shown")),
    ],
)
def test_worked_examples(counts, k, cell, expected):
    width = len(next(iter(counts)))
    options = tuple(tuple(sorted({key[i] for key in counts if key[i] is not None} | {"a", "b", "c", "x", "y"})) for i in range(width))
    cube = cube_of(counts, options)
    visible, reason = visibility(cube.n, k)
    assert verdict(cube, visible, reason, cell) == expected


@st.composite
def populations(draw):
    """Counts per combination of 1–3 attributes with 2–4 options each, including not stated; many small cells on purpose."""
    width = draw(st.integers(1, 3))
    options = tuple(tuple(f"o{j}" for j in range(draw(st.integers(2, 4)))) for _ in range(width))
    combos = list(itertools.product(*[list(o) + [None] for o in options]))
    small = st.one_of(st.integers(0, 7), st.integers(0, 25))
    counts = {combo: draw(small) for combo in combos}
    k = draw(st.integers(3, 6))
    return options, counts, k


def true_count(counts: dict[tuple, int], cell: tuple) -> int:
    return sum(n for key, n in counts.items() if all(c in (ANY, v) for c, v in zip(cell, key, strict=True)))


def all_cells(options):
    return itertools.product(*[list(o) + [ANY] for o in options])


def ok_difference(d: int, k: int) -> bool:
    return d == 0 or d >= k


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(populations())
def test_no_shown_cell_below_k_and_no_hidden_cell_recoverable(population):
    options, counts, k = population
    cube = cube_of(counts, options)
    visible, reason = visibility(cube.n, k)
    shown = {cell: verdict(cube, visible, reason, cell)[0] for cell in all_cells(options)}
    for cell, is_shown in shown.items():
        n = true_count(counts, cell)
        assert cube.n[tuple(len(o) + 1 if v == ANY else o.index(v) for v, o in zip(cell, options, strict=True)) + (0,)] == n
        if not is_shown:
            continue
        assert n >= k, cell
        fixed = [i for i, v in enumerate(cell) if v != ANY]
        for drop in range(1, len(fixed) + 1):
            for dropped in itertools.combinations(fixed, drop):
                larger = tuple(ANY if i in dropped else v for i, v in enumerate(cell))
                assert shown[larger], ("a shown cell inside a hidden one", cell, larger)
                assert ok_difference(true_count(counts, larger) - n, k), ("differencing", cell, larger)
    for parent, is_shown in shown.items():
        if not is_shown:
            continue
        for axis, value in enumerate(parent):
            if value != ANY:
                continue
            children = [parent[:axis] + (o,) + parent[axis + 1 :] for o in options[axis]]
            visible_total = sum(true_count(counts, c) for c in children if shown[c])
            assert ok_difference(true_count(counts, parent) - visible_total, k), ("complementary", parent, axis)


@settings(max_examples=200, deadline=None)
@given(populations())
def test_verdicts_do_not_depend_on_which_other_attributes_the_cube_holds(population):
    options, counts, k = population
    if len(options) < 2:
        return
    full = cube_of(counts, options)
    visible_full, _ = visibility(full.n, k)
    reduced_counts: dict[tuple, int] = {}
    for key, n in counts.items():
        reduced_counts[key[:-1]] = reduced_counts.get(key[:-1], 0) + n
    reduced = cube_of(reduced_counts, options[:-1])
    visible_reduced, _ = visibility(reduced.n, k)
    assert np.array_equal(visible_full[(..., -1, 0)], visible_reduced[..., 0])


def test_rows_outside_the_options_count_as_not_stated():
    rows = pd.DataFrame({"a0": ["a", "b", "retired-option"], "n|u": [10.0, 10.0, 2.0], "s|u": [0.0] * 3, "q|u": [0.0] * 3})
    cube = cube_from_rows({c: rows[c].to_numpy() for c in rows}, ("a0",), (("a", "b"),), ("u",))
    assert cube.n[2, 0] == 2 and cube.n[3, 0] == 22
    visible, reason = visibility(cube.n, 5)
    assert visible[3, 0]
    assert [bool(visible[0, 0]), bool(visible[1, 0])] == [False, True]
    assert REASONS[int(reason[0, 0])] == "complementary"
