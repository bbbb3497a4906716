"""The ambition gap: where a group wants to be in two years (target) minus where it sees itself now, per dimension.

Paired per respondent: the gap of a group is the mean over its respondents who gave both a target and
a current score on the dimension of (target − own current score), with the 95% t-interval of that
mean. `target` and `current` are the means over those same respondents, so gap = target − current
exactly. (The heatmap's current score counts everyone with a score; here only those who also set a
target, which is what makes the difference a within-person change.) Cells are hidden by the rating
cube's verdicts (analysis.insights.ratings): the rules, the main cube's verdict of the dimension cell,
and the disclosure audit over every target and gap cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.anonymity import REASONS
from analysis.groups import GroupCell, describe, shown_cells, view_cells
from analysis.insights.ratings import RatingCube, target_dimensions
from analysis.scope import MAX_ATTRIBUTES
from analysis.scoring import RespondentMatrix

AMBITION_COLUMNS = [
    "dimension",
    "group",
    "attribute",
    "option",
    "n",
    "target",
    "current",
    "gap",
    "ci_low",
    "ci_high",
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
    """One row per dimension and group: n, target, current, gap with its CI; hidden rows keep only their reason."""
    dims = target_dimensions(matrix)
    if ratings is None or not dims:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in AMBITION_COLUMNS})
    cube = ratings.cube
    cells = ambition_cells(ratings, filters, matrix.attributes if by is None else by)
    vis, why = shown_cells(cube, ratings.visible, ratings.reason, cells)
    rows = []
    for d in dims:
        t_unit, g_unit = cube.unit(f"t:{d}"), cube.unit(f"g:{d}")
        for position, c in enumerate(cells):
            n = cube.n[c.index + (g_unit,)]
            gap = describe(np.array([n]), np.array([cube.s[c.index + (g_unit,)]]), np.array([cube.q[c.index + (g_unit,)]]))
            target = cube.s[c.index + (t_unit,)] / n if n > 0 else np.nan
            shown = bool(vis[position, g_unit] and vis[position, t_unit]) and n > 1
            reason_code = int(why[position, g_unit] or why[position, t_unit])
            rows.append(
                {
                    "dimension": d,
                    "group": c.group,
                    "attribute": c.attribute,
                    "option": c.option,
                    "n": float(n),
                    "target": float(target),
                    "current": float(target - gap["mean"][0]),
                    "gap": float(gap["mean"][0]),
                    "ci_low": float(gap["ci_low"][0]),
                    "ci_high": float(gap["ci_high"][0]),
                    "suppressed": not shown,
                    "reason": "shown" if shown else (REASONS[reason_code] if reason_code else "fewer than two ratings"),
                }
            )
    frame = pd.DataFrame(rows, columns=AMBITION_COLUMNS)
    numbers = ["n", "target", "current", "gap", "ci_low", "ci_high"]
    frame[numbers] = frame[numbers].astype(float).where(~frame["suppressed"])
    return frame
