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
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import combinations
from typing import cast

import duckdb
import numpy as np
import pandas as pd

from analysis.cells import fetch_columns
from analysis.cube import Cube, cube_from_rows, option_lists
from analysis.groups import REASON_NAMES, GroupCell, gather, shown_cells
from analysis.matrix_sql import PICKED, Columns, RespondentMatrix, attr_col, literal, quote

SPLIT_BELOW = 0.0  # A below this: the group is split on the item
NOT_STATED = "\x00not stated"  # no option id holds a NUL: the cube counts it as *not stated*

# Every item's answers as given (not reverse-scored), counted per combination of attributes, item and value: one pass.
VALUE_COUNTS_SQL = """
    WITH picked AS (
        SELECT response_id FROM responses WHERE campaign_id = $campaign AND wave = $wave
    ), attrs AS (
        SELECT response_id, {attribute_pivot} FROM response_attributes {picked} GROUP BY response_id
    )
    SELECT {attribute_columns}item_id, value, count(*) AS n
    FROM picked JOIN answers USING (response_id) LEFT JOIN attrs USING (response_id)
    WHERE value IS NOT NULL
    GROUP BY ALL
"""


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
    rest = np.asarray(frequencies, dtype=float).copy()
    total = rest.sum()
    if total <= 0:
        return float("nan")
    a = 0.0
    while rest.sum() > 1e-9:
        present = rest > 1e-9
        m = rest[present].min()
        a += m * present.sum() / total * pattern_agreement(tuple(bool(x) for x in present))
        rest = np.where(present, rest - m, 0.0)
    return a


def value_counts(con: duckdb.DuckDBPyConnection, matrix: RespondentMatrix) -> Columns:
    """Answers per finest cell, item and value as cube columns `n|<item>:<value>` (also as s and q); read once per wave."""

    def read() -> Columns:
        attributes = matrix.attributes
        sql = VALUE_COUNTS_SQL.format(
            attribute_pivot=", ".join(f"max(CASE WHEN attribute = {literal(a)} THEN value END) AS {attr_col(a)}" for a in attributes)
            or "NULL AS none",
            picked="" if matrix.whole_table else PICKED,
            attribute_columns="".join(f"{attr_col(a)} AS {quote(a)}, " for a in attributes),
        )
        rows = fetch_columns(con, sql, {"campaign": matrix.campaign_id, "wave": matrix.wave})
        frame = pd.DataFrame({key: np.asarray(values) for key, values in rows.items()})
        keys = [f"{c.item_id}:{v}" for c in matrix.catalogue for v in range(c.scale_min, c.scale_max + 1)]
        frame["key"] = frame["item_id"].astype(str) + ":" + frame["value"].astype(int).astype(str)
        if attributes:
            # A respondent who did not state an attribute keeps a row of its own (NULL), read as *not stated* by the cube.
            index = frame[list(attributes)].astype(object).fillna(NOT_STATED)
            wide = frame.assign(**{a: index[a] for a in attributes}).pivot_table(
                index=list(attributes), columns="key", values="n", aggfunc="sum", fill_value=0
            )
            wide = wide.reindex(columns=keys, fill_value=0).reset_index()
        else:
            wide = pd.DataFrame({key: [int(frame.loc[frame["key"] == key, "n"].sum())] for key in keys})
        out: dict[str, np.ndarray] = {a: wide[a].to_numpy(dtype=object) for a in attributes}
        for key in keys:
            column = wide[key].to_numpy(dtype=float)
            out[f"n|{key}"] = out[f"s|{key}"] = out[f"q|{key}"] = column
        return cast(Columns, out)

    return cast(Columns, matrix.memo("values:all", read))


AGREEMENT_COLUMNS = ["item", "dimension", "group", "attribute", "option", "n", "agreement_a", "split", "suppressed", "reason"]


def agreement_cells(
    con: duckdb.DuckDBPyConnection,
    matrix: RespondentMatrix,
    cube: Cube,
    visible: np.ndarray,
    reason: np.ndarray,
    cells: Sequence[GroupCell],
) -> pd.DataFrame:
    """A per item and cell (AGREEMENT_COLUMNS); a cell the heatmap hides for the item keeps its row with no numbers."""
    catalogue = list(matrix.catalogue)
    keys = tuple(f"{c.item_id}:{v}" for c in catalogue for v in range(c.scale_min, c.scale_max + 1))
    counts = cube_from_rows(value_counts(con, matrix), cube.attributes, option_lists(matrix, cube.attributes), keys)
    freq = gather(counts, counts.n, cells)
    vis, why = shown_cells(cube, visible, reason, cells)
    rows = []
    start = 0
    for c in catalogue:
        width = c.scale_max - c.scale_min + 1
        unit = cube.unit(f"i:{c.item_id}")
        for row, cell in enumerate(cells):
            shown = bool(vis[row, unit])
            vector = freq[row, start : start + width]
            a = agreement_a(vector) if shown else float("nan")
            rows.append(
                {
                    "item": c.item_id,
                    "dimension": c.dimension,
                    "group": cell.group,
                    "attribute": cell.attribute,
                    "option": cell.option,
                    "n": int(vector.sum()) if shown else None,
                    "agreement_a": a,
                    "split": shown and bool(a < SPLIT_BELOW),
                    "suppressed": not shown,
                    "reason": REASON_NAMES[int(why[row, unit])],
                }
            )
        start += width
    frame = pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)
    frame["n"] = pd.array(frame["n"], dtype="Int64")
    return frame
