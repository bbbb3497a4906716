"""The priority matrix: dimensions placed by misalignment (board − shop floor) against ambition gap, and the value hypotheses to start with.

Definitions:
- misalignment of a dimension = the board − shop floor gap of its score (analysis.gaps, the default pair), in scale points;
- ambition of a dimension = its overall ambition gap (analysis.insights.ambition), in scale points;
- dimension priority = (|misalignment| / largest |misalignment| + max(ambition, 0) / largest ambition) / 2, in [0, 1]:
  a dimension the levels see differently *and* want to move on comes first;
- loss priority = the value-at-stake priority (analysis.value: € weight and board-vs-shop-floor misalignment, in [0, 1]);
- a value hypothesis pairs a dimension with a loss ("work on governance to cut unplanned downtime"); its score is
  dimension priority × loss priority, and the table ranks them by score (ties: dimension order, then loss rank).
  A dimension's € at stake in the chart is the € of the losses in its ranked hypotheses.
Hidden numbers stay hidden: a dimension whose gap or overall ambition is hidden has no priority and no hypotheses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PRIORITY_COLUMNS = [
    "rank",
    "dimension",
    "loss",
    "misalignment",
    "ambition",
    "eur_per_year",
    "dimension_priority",
    "loss_priority",
    "score",
]
TOP = 5


def _scaled(values: np.ndarray) -> np.ndarray:
    top = np.nanmax(values) if np.isfinite(values).any() else np.nan
    return np.nan_to_num(values / top, nan=0.0) if np.isfinite(top) and top > 0 else np.zeros(len(values))


def dimension_priorities(gaps: pd.DataFrame, ambition: pd.DataFrame) -> pd.DataFrame:
    """Per dimension: misalignment, ambition and their combined priority; only where both numbers are shown."""
    misalignment = gaps.loc[~gaps["suppressed"].astype(bool), ["unit", "diff"]].rename(
        columns={"unit": "dimension", "diff": "misalignment"}
    )
    overall = ambition[(ambition["group"] == "all") & ~ambition["suppressed"].astype(bool)][["dimension", "gap"]]
    frame = misalignment.merge(overall.rename(columns={"gap": "ambition"}), on="dimension", how="inner")
    m = frame["misalignment"].abs().to_numpy(dtype=float)
    a = np.maximum(frame["ambition"].to_numpy(dtype=float), 0.0)
    frame["dimension_priority"] = (_scaled(m) + _scaled(a)) / 2
    return frame.reset_index(drop=True)


def priority_table(gaps: pd.DataFrame, ambition: pd.DataFrame, ranking: pd.DataFrame | None, top: int = TOP) -> pd.DataFrame:
    """The value hypotheses to start with: (dimension, loss) pairs ranked by dimension priority × loss priority.

    Without a value-at-stake block (or its ranking) a hypothesis is a dimension alone, ranked by its priority.
    """
    dims = dimension_priorities(gaps, ambition)
    if dims.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PRIORITY_COLUMNS})
    dims["order"] = np.arange(len(dims))
    if ranking is None or ranking.empty:
        pairs = dims.assign(loss=None, eur_per_year=np.nan, loss_priority=1.0, loss_rank=0)
    else:
        losses = ranking[["loss", "eur_per_year", "priority", "rank"]].rename(columns={"priority": "loss_priority", "rank": "loss_rank"})
        pairs = dims.merge(losses, how="cross")
    pairs["score"] = pairs["dimension_priority"] * pairs["loss_priority"]
    pairs = pairs.sort_values(["score", "order", "loss_rank"], ascending=[False, True, True], kind="stable").head(top)
    pairs["rank"] = np.arange(1, len(pairs) + 1)
    return pairs.reset_index(drop=True)[PRIORITY_COLUMNS]


def matrix_points(gaps: pd.DataFrame, ambition: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """One point per dimension for the chart: misalignment, ambition, priority and the € of its ranked hypotheses."""
    dims = dimension_priorities(gaps, ambition)
    eur = table.groupby("dimension")["eur_per_year"].sum(min_count=1) if not table.empty else pd.Series(dtype=float)
    dims["eur_at_stake"] = dims["dimension"].map(eur).astype(float)
    return dims
