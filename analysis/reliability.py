"""Reliability: Cronbach's alpha per dimension over respondents who answered all its items (reverse-scored), flagged when low.

alpha = m/(m−1) · (1 − Σ S²_item / S²_total), m items, S² sample variances over the complete
cases, S²_total the variance of their sum. The variances come from the cube's complete-case units
("c:<dimension>" and "c:<dimension>:<item>", see analysis.cube), so alpha of any filtered population
needs no extra pass over respondents and follows the same anonymity verdicts as every other number.
Alpha needs at least two items (else reason "single_item") and a shown cell of complete respondents.
Below LOW_ALPHA the dimension is flagged `low`: its items may not measure one thing, so read its
score with care.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from analysis.anonymity import REASONS
from analysis.cube import Cube
from analysis.groups import ALL, GroupCell, describe, gather, shown_cells
from analysis.scoring import RespondentMatrix

LOW_ALPHA = 0.7
RELIABILITY_COLUMNS = ["dimension", "items", "n", "alpha", "low", "suppressed", "reason"]


def cronbach_alpha(item_variances: np.ndarray, total_variance: float) -> float:
    """alpha from the item variances and the variance of the sum score."""
    m = len(item_variances)
    if m < 2 or not np.isfinite(total_variance) or total_variance <= 0:
        return float("nan")
    return float(m / (m - 1) * (1 - np.sum(item_variances) / total_variance))


def reliability_table(
    matrix: RespondentMatrix, cube: Cube, visible: np.ndarray, reason: np.ndarray, filters: Mapping[str, str]
) -> pd.DataFrame:
    """Alpha per dimension in the (filtered) population, hidden where its complete respondents are hidden."""
    cells = [GroupCell(ALL, None, None, cube.index(filters))]
    vis, why = shown_cells(cube, visible, reason, cells)
    n, s, q = (gather(cube, array, cells)[0] for array in (cube.n, cube.s, cube.q))
    variance = describe(n, s, q)["var"]
    records = []
    for dimension in matrix.dimension_ids:
        items = matrix.items_of(dimension)
        total = cube.unit(f"c:{dimension}")
        alpha = cronbach_alpha(np.array([variance[cube.unit(f"c:{dimension}:{i}")] for i in items]), float(variance[total]))
        shown = bool(vis[0, total]) and len(items) >= 2
        records.append(
            {
                "dimension": dimension,
                "items": len(items),
                "n": int(n[total]) if shown else None,
                "alpha": alpha if shown else np.nan,
                "low": bool(shown and alpha < LOW_ALPHA),
                "suppressed": not shown,
                "reason": REASONS[int(why[0, total])] if not vis[0, total] else ("shown" if shown else "single_item"),
            }
        )
    frame = pd.DataFrame.from_records(records, columns=RELIABILITY_COLUMNS)
    frame["n"] = frame["n"].astype("Int64")
    frame["alpha"] = frame["alpha"].astype(float)
    return frame
