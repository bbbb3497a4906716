"""Reliability: Cronbach's alpha per dimension over respondents who answered all its items (reverse-scored), flagged when low.

alpha = m/(m−1) · (1 − Σ S²_item / S²_total), m items, S² sample variances over the complete
cases, S²_total the variance of their sum. One DuckDB pass computes every dimension (each with its
own complete-case FILTER). Alpha needs at least two items and k complete respondents; otherwise the
row is hidden (one item: reason "single_item"). Below LOW_ALPHA the dimension is flagged `low`:
its items may not measure one thing, so read its score with care.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from analysis.scoring import RespondentMatrix, attr_col, item_col, literal

LOW_ALPHA = 0.7
RELIABILITY_COLUMNS = ["dimension", "items", "n", "alpha", "low", "suppressed", "reason"]

ALPHA_SQL = "SELECT {aggregates} FROM {table}{where}"


def filter_sql(filters: Mapping[str, str]) -> str:
    """A WHERE condition on matrix columns for attribute = option filters (empty when there are none)."""
    return " AND ".join(f"{attr_col(a)} = {literal(o)}" for a, o in filters.items())


def alpha_sql(matrix: RespondentMatrix, filters: Mapping[str, str]) -> str:
    parts = []
    for d_index, dimension in enumerate(matrix.dimension_ids):
        items = matrix.items_of(dimension)
        complete = " AND ".join(f"{item_col(i)} IS NOT NULL" for i in items)
        total = " + ".join(f"CAST({item_col(i)} AS DOUBLE)" for i in items)
        parts.append(f"count(*) FILTER (WHERE {complete}) AS n{d_index}")
        parts.append(f"var_samp({total}) FILTER (WHERE {complete}) AS t{d_index}")
        for i_index, item in enumerate(items):
            parts.append(f"var_samp(CAST({item_col(item)} AS DOUBLE)) FILTER (WHERE {complete}) AS v{d_index}_{i_index}")
    where = filter_sql(filters)
    return ALPHA_SQL.format(aggregates=", ".join(parts), table=matrix.table, where=f" WHERE {where}" if where else "")


def cronbach_alpha(item_variances: np.ndarray, total_variance: float) -> float:
    """alpha from the item variances and the variance of the sum score."""
    m = len(item_variances)
    if m < 2 or not np.isfinite(total_variance) or total_variance <= 0:
        return float("nan")
    return float(m / (m - 1) * (1 - np.sum(item_variances) / total_variance))


def reliability_table(matrix: RespondentMatrix, filters: Mapping[str, str], k: int, population_shown: bool) -> pd.DataFrame:
    """Alpha per dimension in the (filtered) population; hidden when fewer than k complete respondents."""
    cur = matrix.cursor()
    try:
        row = cur.execute(alpha_sql(matrix, filters)).fetchone()
        names = [d[0] for d in cur.description]
    finally:
        cur.close()
    values = dict(zip(names, row, strict=True))
    records = []
    for d_index, dimension in enumerate(matrix.dimension_ids):
        items = matrix.items_of(dimension)
        n = int(values[f"n{d_index}"] or 0)
        variances = np.array([values[f"v{d_index}_{i}"] for i in range(len(items))], dtype=float)
        alpha = cronbach_alpha(variances, float(values[f"t{d_index}"]) if values[f"t{d_index}"] is not None else float("nan"))
        if not population_shown:
            reason = "filter_hidden"
        elif n < k:
            reason = "below_threshold"
        elif len(items) < 2:
            reason = "single_item"
        else:
            reason = "shown"
        shown = reason == "shown"
        records.append(
            {
                "dimension": dimension,
                "items": len(items),
                "n": n if shown else None,
                "alpha": alpha if shown else np.nan,
                "low": bool(shown and alpha < LOW_ALPHA),
                "suppressed": not shown,
                "reason": reason,
            }
        )
    frame = pd.DataFrame.from_records(records, columns=RELIABILITY_COLUMNS)
    frame["n"] = frame["n"].astype("Int64")
    frame["alpha"] = frame["alpha"].astype(float)
    return frame
