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
    shown_gaps = {u: float(d) for u, d, hidden in zip(gaps["unit"], gaps["diff"], gaps["suppressed"], strict=True) if not hidden}
    overall = {
        d: float(g)
        for d, group, g, hidden in zip(ambition["dimension"], ambition["group"], ambition["gap"], ambition["suppressed"], strict=True)
        if group == "all" and not hidden
    }
    dims = [d for d in shown_gaps if d in overall]
    m = np.abs(np.array([shown_gaps[d] for d in dims], dtype=float))
    a = np.maximum(np.array([overall[d] for d in dims], dtype=float), 0.0)
    return pd.DataFrame(
        {
            "dimension": dims,
            "misalignment": [shown_gaps[d] for d in dims],
            "ambition": [overall[d] for d in dims],
            "dimension_priority": (_scaled(m) + _scaled(a)) / 2,
        }
    )


def priority_table(gaps: pd.DataFrame, ambition: pd.DataFrame, ranking: pd.DataFrame | None, top: int = TOP) -> pd.DataFrame:
    """The value hypotheses to start with: (dimension, loss) pairs ranked by dimension priority × loss priority.

    Without a value-at-stake block (or its ranking) a hypothesis is a dimension alone, ranked by its priority.
    """
    dims = dimension_priorities(gaps, ambition)
    if dims.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PRIORITY_COLUMNS})
    if ranking is None or ranking.empty:
        losses = [(None, np.nan, 1.0, 0)]
    else:
        losses = list(zip(ranking["loss"], ranking["eur_per_year"], ranking["priority"], ranking["rank"], strict=True))
    pairs = [
        (order, loss_rank, d, loss, m, a, eur, dp, lp, dp * lp)
        for order, (d, m, a, dp) in enumerate(
            zip(dims["dimension"], dims["misalignment"], dims["ambition"], dims["dimension_priority"], strict=True)
        )
        for loss, eur, lp, loss_rank in losses
    ]
    pairs.sort(key=lambda x: (-x[9], x[0], x[1]))
    chosen = pairs[:top]
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(chosen) + 1),
            "dimension": [x[2] for x in chosen],
            "loss": [x[3] for x in chosen],
            "misalignment": [x[4] for x in chosen],
            "ambition": [x[5] for x in chosen],
            "eur_per_year": np.array([x[6] for x in chosen], dtype=float),
            "dimension_priority": [x[7] for x in chosen],
            "loss_priority": [float(x[8]) for x in chosen],
            "score": [float(x[9]) for x in chosen],
        }
    )[PRIORITY_COLUMNS]


def matrix_points(gaps: pd.DataFrame, ambition: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """One point per dimension for the chart: misalignment, ambition, priority and the € of its ranked hypotheses."""
    dims = dimension_priorities(gaps, ambition)
    eur = table.groupby("dimension")["eur_per_year"].sum(min_count=1) if not table.empty else pd.Series(dtype=float)
    dims["eur_at_stake"] = dims["dimension"].map(eur).astype(float)
    return dims
