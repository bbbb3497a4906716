"""Coarsening of row-level files: attribute values merged until every combination in a file describes at least k respondents.

What is coarsened: what colleagues know about each other and could look a person up by, the
attributes (level, function, site, ...) and the language the survey was answered in. The wave stays;
the day of submission does not reach a file at all (it says the wave's opening date). Answers and
don't-know patterns are not coarsened: nobody knows another person's answers beforehand, so they
cannot pick that person out; what they can do is recognise one respondent's rows in two files. That
is why each wave is coarsened on its own, as a whole and before any filter, by a deterministic
rule: every file made from the same responses of a wave holds the same coarsened rows (for a wave
that is no longer collecting: every file ever), and a filtered file holds whole combinations of the
unfiltered one, so such files never refine each other.

The rule (greedy global recoding, one merged value per column and wave). The columns come in the
order they may lose detail: the export gives the language first, then the attributes from the last
the instrument declares to the first, so `level`, which the gap analysis is built on, is kept finest.

    while some combination of the columns describes fewer than k respondents:
        of the values seen in such small combinations, merge into its column's merged value one of
        the earliest column that has any, the one whose respondents are most often in a small
        combination (then: touching more of them, the rarer one, the name first in order); a
        column's first merge takes its next-rarest value along, since one value alone is no coarser;
        when every small combination shows merged values only, widen the merged value that brings
        most respondents into them;
    then, one pass from the last column back to the first, largest values first: give a merged
    value back wherever every combination still describes at least k respondents.

A merged value reads as its members joined by "|" (`specialist|supervisor`; `(not given)` for an
optional attribute left empty). A wave of fewer than k respondents cannot reach k however coarse:
its rows are left out, and the caller says so.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

NOT_GIVEN = "(not given)"
SEPARATOR = "|"
_MERGED = "\x00merged"  # how a merged value is shown while the rule runs; no option id can be this


@dataclass(frozen=True)
class Merge:
    """In `group` (a wave), these values of `column` are one value in the file, written as `label`."""

    group: Hashable
    column: str
    values: tuple[str, ...]

    @property
    def label(self) -> str:
        return SEPARATOR.join(self.values)


@dataclass(frozen=True)
class Coarsened:
    """The rows kept, with the coarsened columns; every merge made; respondents left out (their wave has fewer than k)."""

    frame: pd.DataFrame
    merges: tuple[Merge, ...]
    dropped: int


def coarsen(frame: pd.DataFrame, columns: Sequence[str], k: int, by: str = "wave") -> Coarsened:
    """Coarsen `columns` of `frame` (one row per respondent) so that within each `by` group every combination has >= k rows.

    `columns` come in the order they may lose detail: the first is merged first, the last kept finest.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    parts: list[pd.DataFrame] = []
    merges: list[Merge] = []
    dropped = 0
    for group, part in frame.groupby(by, sort=True):
        if len(part) < k:
            dropped += len(part)
            continue
        tokens = part[list(columns)].astype(object).where(part[list(columns)].notna(), NOT_GIVEN).astype(str)
        buckets = merged_values(tokens, k)
        out = part.copy()
        for column, values in buckets.items():
            if values:
                merge = Merge(group, column, tuple(sorted(values)))
                merges.append(merge)
                out[column] = out[column].astype(object).where(~tokens[column].isin(values), merge.label)
        parts.append(out)
    kept = pd.concat(parts) if parts else frame.iloc[0:0].copy()
    return Coarsened(kept, tuple(merges), dropped)


def class_sizes(shown: pd.DataFrame) -> np.ndarray:
    """For every row, how many rows share its combination of every column."""
    codes = shown.groupby(list(shown.columns), sort=False, dropna=False).ngroup().to_numpy()
    return np.bincount(codes)[codes]


def merged_values(tokens: pd.DataFrame, k: int) -> dict[str, set[str]]:
    """Column → the values merged into one, for one group of at least k rows of text `tokens` (no missing values)."""
    columns = list(tokens.columns)
    buckets: dict[str, set[str]] = {c: set() for c in columns}
    totals = {c: tokens[c].value_counts() for c in columns}
    while True:
        shown = _shown(tokens, buckets)
        small = class_sizes(shown) < k
        if not small.any():
            return _restore(tokens, buckets, totals, k)
        choice = _worst_value(tokens, small, buckets, totals) or _widest_merge(tokens, shown, small, buckets, totals)
        if choice is None:  # cannot happen with >= k rows: all merged is one combination of every row
            raise RuntimeError("coarsening found nothing left to merge")
        column, value = choice
        buckets[column].add(value)
        if len(buckets[column]) == 1:
            rest = totals[column].drop(list(buckets[column]))
            buckets[column].add(min(rest.items(), key=lambda item: (item[1], item[0]))[0])


def _mergeable(column: str, value: str, buckets: dict[str, set[str]], totals: dict[str, pd.Series]) -> bool:
    """A value can join its column's merged value if that exists, or if another value is left to merge it with."""
    return value not in buckets[column] and (bool(buckets[column]) or len(totals[column]) - len(buckets[column]) >= 2)


def _worst_value(
    tokens: pd.DataFrame, small: np.ndarray, buckets: dict[str, set[str]], totals: dict[str, pd.Series]
) -> tuple[str, str] | None:
    """The (column, value) to merge next: the earliest column with a value in a small combination, then the value most to blame."""
    ranked = []
    for i, column in enumerate(tokens.columns):
        for value, touched in tokens[column][small].value_counts().items():
            if _mergeable(column, value, buckets, totals):
                total = int(totals[column][value])
                ranked.append((i, -touched / total, -int(touched), total, value, column))
    return (min(ranked)[5], min(ranked)[4]) if ranked else None


def _widest_merge(
    tokens: pd.DataFrame, shown: pd.DataFrame, small: np.ndarray, buckets: dict[str, set[str]], totals: dict[str, pd.Series]
) -> tuple[str, str] | None:
    """Every small combination shows merged values only: the (column, value) whose merging brings most rows into one of them."""
    small_keys = set(shown[small].itertuples(index=False, name=None))
    ranked = []
    for i, column in enumerate(tokens.columns):
        for value, total in totals[column].items():
            if not _mergeable(column, value, buckets, totals):
                continue
            moved = shown[tokens[column] == value].copy()
            moved[column] = _MERGED
            joining = sum(1 for key in moved.itertuples(index=False, name=None) if key in small_keys)
            ranked.append((-joining, int(total), i, value, column))
    return (min(ranked)[4], min(ranked)[3]) if ranked else None


def _shown(tokens: pd.DataFrame, buckets: dict[str, set[str]]) -> pd.DataFrame:
    return pd.DataFrame({c: tokens[c].where(~tokens[c].isin(buckets[c]), _MERGED) for c in tokens.columns})


def _restore(tokens: pd.DataFrame, buckets: dict[str, set[str]], totals: dict[str, pd.Series], k: int) -> dict[str, set[str]]:
    """One pass taking values back out of the merged ones, largest first, wherever every combination still keeps k.

    The greedy rule merges what small combinations needed at the time; a later merge can make an
    earlier one unnecessary, and a value given back is information the file keeps.
    """
    order = sorted((-i, -int(totals[c][v]), v, c) for i, c in enumerate(tokens.columns) for v in buckets[c])
    for _, _, value, column in order:
        if value not in buckets[column]:
            continue
        trial = {**buckets, column: buckets[column] - {value}}
        if len(trial[column]) == 1:
            trial[column] = set()
        if (class_sizes(_shown(tokens, trial)) >= k).all():
            buckets = trial
    return buckets
