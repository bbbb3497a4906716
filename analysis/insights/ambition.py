"""The ambition gap: where a group wants to be in two years (target) minus where it sees itself now, per dimension.

Definition: gap = the group's mean target minus the group's current score on the dimension (the score the
heatmap shows), with a Welch 95% CI (targets vs respondents' scores). Not paired per respondent, on purpose:
a paired mean of (target − own score) over those who set a target, shown beside the score over everyone,
lets the scores of those who set no target be worked out by difference (the anonymity adversary found
exactly that); targets and scores are shown as two separately audited units instead. `n` counts targets,
`n_current` the respondents with a score. A cell is shown only where both the group's target cell and its
score cell are shown by the protected cube (analysis.scope: rules, disclosure audit, target anchored to the score).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.anonymity import REASONS
from analysis.gaps import welch
from analysis.groups import GroupCell, describe, gather, shown_cells, view_cells
from analysis.insights.ratings import RatingCube, target_dimensions
from analysis.scope import MAX_ATTRIBUTES
from analysis.scoring import RespondentMatrix

AMBITION_COLUMNS = [
    "dimension",
    "group",
    "attribute",
    "option",
    "n",
    "n_current",
    "target",
    "current",
    "gap",
    "ci_low",
    "ci_high",
    "p",
    "suppressed",
    "reason",
]


def ambition_cells(ratings: RatingCube, filters: Mapping[str, str], attributes: Sequence[str]) -> list[GroupCell]:
    """The filtered population, then every option of each attribute a view may still break down by."""
    cube = ratings.cube
    cells = view_cells(cube, filters, None)
    if len(filters) < MAX_ATTRIBUTES:
        for attribute in attributes:
            if attribute not in filters:
                cells += view_cells(cube, filters, attribute)[1:]
    return cells


def ambition_table(
    matrix: RespondentMatrix, ratings: RatingCube | None, filters: Mapping[str, str], by: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per dimension and group: targets, current score, gap with its Welch CI; hidden rows keep only their reason."""
    dims = target_dimensions(matrix)
    if ratings is None or not dims:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in AMBITION_COLUMNS})
    cube = ratings.cube
    cells = ambition_cells(ratings, filters, matrix.attributes if by is None else by)
    vis, why = shown_cells(cube, ratings.visible, ratings.reason, cells)
    targets = [cube.unit(f"t:{d}") for d in dims]
    scores = [cube.unit(f"d:{d}") for d in dims]
    n_t, s_t, q_t = (gather(cube, a, cells)[:, targets] for a in (cube.n, cube.s, cube.q))
    n_d, s_d, q_d = (gather(cube, a, cells)[:, scores] for a in (cube.n, cube.s, cube.q))
    t, d = describe(n_t, s_t, q_t), describe(n_d, s_d, q_d)
    test = welch(n_t, t["mean"], t["var"], n_d, d["mean"], d["var"])
    shown = vis[:, targets] & vis[:, scores] & (n_t > 1) & (n_d > 1)
    code = np.where(~vis[:, targets], why[:, targets], why[:, scores])
    frame = pd.DataFrame(
        {
            "dimension": np.tile(np.array(dims, dtype=object), len(cells)),
            "group": np.repeat([c.group for c in cells], len(dims)),
            "attribute": np.repeat(np.array([c.attribute for c in cells], dtype=object), len(dims)),
            "option": np.repeat(np.array([c.option for c in cells], dtype=object), len(dims)),
            "n": n_t.ravel(),
            "n_current": n_d.ravel(),
            "target": t["mean"].ravel(),
            "current": d["mean"].ravel(),
            "gap": test["diff"].ravel(),
            "ci_low": test["ci_low"].ravel(),
            "ci_high": test["ci_high"].ravel(),
            "p": test["p"].ravel(),
            "suppressed": ~shown.ravel(),
            "reason": [
                "shown" if ok else (REASONS[int(c)] if int(c) else "fewer than two ratings")
                for ok, c in zip(shown.ravel(), code.ravel(), strict=True)
            ],
        }
    )
    numbers = ["n", "n_current", "target", "current", "gap", "ci_low", "ci_high", "p"]
    frame[numbers] = frame[numbers].astype(float).where(~frame["suppressed"])
    order = {d: i for i, d in enumerate(dims)}
    return frame.sort_values("dimension", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)[AMBITION_COLUMNS]
