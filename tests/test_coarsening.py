"""Coarsening of row-level files: on random respondents every combination of the coarsened columns holds at least k, checked independently.

The check groups the coarsened rows by wave and every coarsened column with pandas (missing values
as a group of their own) and counts; it shares no code with the coarsening itself.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.coarsening import NOT_GIVEN, SEPARATOR, coarsen
from tests.test_export_data import build_small_group_campaign

COLUMNS = ["language", "site", "function", "level"]


def _respondents(seed: int, n: int, waves: int, optional_share: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    site = rng.choice(["eindhoven", "venlo", "gent"], n, p=[0.6, 0.3, 0.1]).astype(object)
    site[rng.random(n) < optional_share] = None
    return pd.DataFrame(
        {
            "rid": [f"r{i}" for i in range(n)],
            "wave": rng.integers(1, waves + 1, n),
            "language": rng.choice(["en", "nl"], n, p=[0.85, 0.15]),
            "site": site,
            "function": rng.choice(["production", "maintenance", "quality", "it", "support"], n),
            "level": rng.choice(["board", "senior_management", "supervisor", "shop_floor", "specialist"], n, p=[0.05, 0.1, 0.15, 0.5, 0.2]),
        }
    )


def _smallest_combination(frame: pd.DataFrame) -> int:
    """The independent check: rows per combination of wave and every coarsened column."""
    return int(frame.groupby(["wave", *COLUMNS], dropna=False).size().min())


def _covers(original: object, shown: object) -> bool:
    """A coarsened cell shows the original value, or a merged value that has it among its members."""
    if shown is None or (isinstance(shown, float) and np.isnan(shown)):
        return original is None
    member = NOT_GIVEN if original is None else original
    return shown == original or member in str(shown).split(SEPARATOR)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(0, 400),
    waves=st.integers(1, 3),
    k=st.integers(3, 12),
    optional_share=st.sampled_from([0.0, 0.05, 0.3]),
)
def test_every_combination_in_a_coarsened_file_describes_at_least_k(seed: int, n: int, waves: int, k: int, optional_share: float) -> None:
    frame = _respondents(seed, n, waves, optional_share)
    done = coarsen(frame, COLUMNS, k)
    kept = done.frame
    if not kept.empty:
        assert _smallest_combination(kept) >= k
    sizes = frame.groupby("wave").size()
    assert done.dropped == int(sizes[sizes < k].sum())  # only whole waves below k are left out
    assert set(kept["rid"]) == set(frame[frame["wave"].map(sizes) >= k]["rid"])
    original = frame.set_index("rid").loc[kept["rid"]]
    for column in COLUMNS:
        assert all(_covers(o, s) for o, s in zip(original[column], kept[column], strict=True)), column


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_same_respondents_in_any_order_are_coarsened_the_same(seed: int) -> None:
    frame = _respondents(seed, 300, 2, 0.05)
    first = coarsen(frame, COLUMNS, 5).frame.set_index("rid").sort_index()
    shuffled = frame.sample(frac=1.0, random_state=seed)
    second = coarsen(shuffled, COLUMNS, 5).frame.set_index("rid").sort_index()
    pd.testing.assert_frame_equal(first, second)


def test_the_last_column_keeps_the_most_detail() -> None:
    """Columns come in the order they may lose detail: with 600 respondents, level (last) keeps every option."""
    frame = _respondents(7, 600, 1, 0.0)
    kept = coarsen(frame, COLUMNS, 5).frame
    assert kept["level"].nunique() == 5
    assert kept["language"].nunique() == 1  # merged first: "en|nl"


def test_three_supervisors_are_merged_with_the_specialists_and_nothing_more(con: duckdb.DuckDBPyConnection) -> None:
    """The small-group campaign: 3 supervisors in Venlo maintenance; everything else is a group of 12 or more."""
    from analysis.export.long import respondents_sql
    from survey.campaigns import campaign_instrument

    build_small_group_campaign(con)
    frame = con.execute(respondents_sql(campaign_instrument(con, "hostile")), {"campaign": "hostile", "wave": None}).df()
    done = coarsen(frame, COLUMNS, 5)
    assert {(m.column, m.label) for m in done.merges} == {("function", "maintenance|production"), ("level", "specialist|supervisor")}
    assert sorted(done.frame.groupby(COLUMNS).size()) == [14, 15, 15]
