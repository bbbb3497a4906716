"""Split opinions: van der Eijk's agreement A per item and shown group, from the group's answer distribution.

A ("Measuring agreement in ordered rating scales", Quality & Quantity 35, 2001) runs from −1 (half
the group at each end of the scale) through 0 (an equal share on every point) to 1 (everyone gives
the same answer). Unlike a standard deviation it tells a split group (two camps) from a lukewarm one
(everyone in the middle), which needs a different conversation. The algorithm:
- the frequency vector is cut into layers: take the smallest non-zero frequency m; the layer is the
  pattern of the non-empty categories, holding m cases in each; subtract, repeat until nothing is left;
- each layer's pattern (K categories, S of them non-empty) gets A = U · (1 − (S − 1)/(K − 1)), with
  unimodality U = ((K − 2)·TU − (K − 1)·TDU) / ((K − 2)·(TU + TDU)) over all triples of categories
  i < j < k, TU counting the triples 1-1-0 and 0-1-1 and TDU the triples 1-0-1 (U = 1 when none count);
- A is the mean of the layers' A weighted by the share of the cases each layer holds.

A group's A is computed only for a cell the heatmap shows (the item's count and the group's
respondents pass the anonymity rules), from the same answer distribution the item page shows as
percentages with its n: A is a function of numbers already shown, so it cannot expose a hidden group.
The distribution comes from the wave's stored cells (the `v:<item>:<value>` units of
analysis.matrix_sql, by reverse-scored value; A is the same read in either direction), so no extra pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import combinations
from typing import cast

import numpy as np
import pandas as pd

from analysis.cube import Cube, cube_from_rows, option_lists
from analysis.groups import REASON_NAMES, GroupCell, gather, shown_cells
from analysis.matrix_sql import RespondentMatrix, item_values, value_unit

SPLIT_BELOW = 0.0  # A below this: the group is split on the item


@lru_cache(maxsize=4096)
def pattern_agreement(pattern: tuple[bool, ...]) -> float:
    """A of one layer: a 0/1 pattern over the K categories (van der Eijk 2001, eq. 3 and 4)."""
    k = len(pattern)
    s = sum(pattern)
    if k < 3:
        # Two categories: no triples; U = 1, and A falls from 1 (one category used) to 0 (both used).
        return 1.0 - (s - 1) / (k - 1) if k > 1 and s else 1.0
    tu = tdu = 0
    for i, j, m in combinations(range(k), 3):
        triple = (pattern[i], pattern[j], pattern[m])
        if triple in ((True, True, False), (False, True, True)):
            tu += 1
        elif triple == (True, False, True):
            tdu += 1
    u = 1.0 if tu + tdu == 0 else ((k - 2) * tu - (k - 1) * tdu) / ((k - 2) * (tu + tdu))
    return u * (1.0 - (s - 1) / (k - 1))


def agreement_a(frequencies: Sequence[float]) -> float:
    """van der Eijk's A of a frequency vector over the scale's points in order; NaN when nobody answered."""
    return float(agreement_rows(np.asarray(frequencies, dtype=float)[None, :])[0])


def agreement_rows(frequencies: np.ndarray) -> np.ndarray:
    """A of every row of a (rows, K) frequency array at once.

    The layers of a row are cut at its distinct frequencies: with the row sorted ascending (t1 ≤ t2 ≤ …),
    the layer at t_j is the pattern of categories holding at least t_j and carries (t_j − t_(j−1)) cases in
    each of them (ties give a layer of no weight). Patterns are looked up by their bits.
    """
    f = np.asarray(frequencies, dtype=float)
    rows, k = f.shape
    total = f.sum(axis=1)
    levels = np.sort(f, axis=1)
    steps = np.diff(np.concatenate([np.zeros((rows, 1)), levels], axis=1), axis=1)  # (rows, K): t_j − t_(j−1)
    patterns = f[:, None, :] >= levels[:, :, None]  # (rows, layer, category)
    sizes = patterns.sum(axis=2)
    codes = (patterns * (1 << np.arange(k))).sum(axis=2)
    values = _pattern_values(k, codes)
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = np.where(steps > 0, steps * sizes, 0.0) / total[:, None]
        return np.where(total > 0, (weights * values).sum(axis=1), np.nan)


def _pattern_values(k: int, codes: np.ndarray) -> np.ndarray:
    """pattern_agreement of each coded pattern (bit i = category i non-empty); a table of all patterns for short scales."""
    if k <= 12:
        table = _pattern_table(k)
        return table[codes]
    flat = [pattern_agreement(tuple(bool(code >> i & 1) for i in range(k))) if code else 0.0 for code in codes.ravel()]
    return np.asarray(flat, dtype=float).reshape(codes.shape)


@lru_cache(maxsize=16)
def _pattern_table(k: int) -> np.ndarray:
    table = np.zeros(1 << k)
    for code in range(1, 1 << k):
        table[code] = pattern_agreement(tuple(bool(code >> i & 1) for i in range(k)))
    return table


AGREEMENT_COLUMNS = ["item", "dimension", "group", "attribute", "option", "n", "agreement_a", "split", "suppressed", "reason"]


def agreement_cells(
    matrix: RespondentMatrix,
    cube: Cube,
    visible: np.ndarray,
    reason: np.ndarray,
    cells: Sequence[GroupCell],
) -> pd.DataFrame:
    """A per item and cell (AGREEMENT_COLUMNS); a cell the heatmap hides for the item keeps its row with no numbers."""
    catalogue = list(matrix.catalogue)
    keys = tuple(value_unit(c.item_id, v) for c in catalogue for v in item_values(c))
    counts = cast(
        Cube,
        matrix.memo(
            f"values:{','.join(cube.attributes)}",
            lambda: cube_from_rows(matrix.cells, cube.attributes, option_lists(matrix, cube.attributes), keys),
        ),
    )
    freq = gather(counts, counts.n, cells)
    vis, why = shown_cells(cube, visible, reason, cells)
    units = [cube.unit(f"i:{c.item_id}") for c in catalogue]
    shown = vis[:, units].T  # (items, cells)
    a_values, n_values = np.full(shown.shape, np.nan), np.full(shown.shape, np.nan)
    start = 0
    for row, c in enumerate(catalogue):
        width = len(item_values(c))
        vector = freq[:, start : start + width]
        a_values[row] = np.where(shown[row], agreement_rows(vector), np.nan)
        n_values[row] = np.where(shown[row], vector.sum(axis=1), np.nan)
        start += width
    count = len(cells)
    frame = pd.DataFrame(
        {
            "item": np.repeat([c.item_id for c in catalogue], count),
            "dimension": np.repeat([c.dimension for c in catalogue], count),
            "group": np.tile([cell.group for cell in cells], len(catalogue)),
            "attribute": np.tile(np.array([cell.attribute for cell in cells], dtype=object), len(catalogue)),
            "option": np.tile(np.array([cell.option for cell in cells], dtype=object), len(catalogue)),
            "n": n_values.ravel(),
            "agreement_a": a_values.ravel(),
            "split": (shown & (a_values < SPLIT_BELOW)).ravel(),
            "suppressed": ~shown.ravel(),
            "reason": REASON_NAMES[why[:, units].T.ravel()],
        },
        columns=AGREEMENT_COLUMNS,
    )
    frame["n"] = pd.array(frame["n"], dtype="Float64").astype("Int64")
    return frame
