"""Value at stake: per loss category the share of each group naming it, the A-vs-B difference, € estimates, a priority ranking.

Definitions (PRODUCT.md):
- share = respondents of the group naming the loss / respondents of the group who answered the
  block (named at least one loss). Groups are hidden by the anonymity rules on that denominator.
- difference = share(A) − share(B) (default level=board vs level=shop_floor) with a 95% Newcombe
  hybrid-score interval (method 10 of Newcombe 1998: Wilson intervals of each share combined),
  which stays inside [−1, 1] and behaves for small groups and shares near 0 or 1.
- eur_per_year: the facilitator's annual estimate from `value_estimates`, empty where not entered.
- priority = (value weight + misalignment weight) / 2, each in [0, 1]:
  value weight = eur_per_year / the largest estimate (0 for a loss without an estimate); when no
  loss has an estimate, the share of everyone naming it / the largest such share stands in for value;
  misalignment weight = |difference| / the largest |difference| (0 when the difference is hidden).
  So a loss that is both expensive and disputed between the levels comes first; `rank` 1 is the top.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import numpy as np
import pandas as pd
from scipy import stats

from analysis.anonymity import REASONS, AnonymityReport
from analysis.cube import Cube
from analysis.groups import ALL, GroupCell, blank_hidden, gather, group_label, report_of, shown_cells, view_cells
from analysis.scoring import RespondentMatrix

SHARE_COLUMNS = ["loss", "group", "attribute", "option", "n", "share", "suppressed", "reason"]
RANKING_COLUMNS = [
    "loss",
    "share_all",
    "a",
    "b",
    "share_a",
    "share_b",
    "diff",
    "ci_low",
    "ci_high",
    "eur_per_year",
    "value_weight",
    "misalignment_weight",
    "priority",
    "rank",
    "diff_suppressed",
    "diff_reason",
]
ESTIMATES_SQL = "SELECT loss, eur_per_year FROM value_estimates WHERE campaign_id = ?"


def wilson(count: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion, element-wise."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = count / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half


def newcombe_diff(count_a: np.ndarray, n_a: np.ndarray, count_b: np.ndarray, n_b: np.ndarray, level: float = 0.95) -> dict[str, np.ndarray]:
    """p_a − p_b with Newcombe's hybrid score interval (method 10)."""
    z = float(stats.norm.ppf(0.5 + level / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        p_a, p_b = count_a / n_a, count_b / n_b
    lo_a, hi_a = wilson(count_a, n_a, z)
    lo_b, hi_b = wilson(count_b, n_b, z)
    diff = p_a - p_b
    return {
        "diff": diff,
        "ci_low": diff - np.sqrt((p_a - lo_a) ** 2 + (hi_b - p_b) ** 2),
        "ci_high": diff + np.sqrt((hi_a - p_a) ** 2 + (p_b - lo_b) ** 2),
    }


def estimates(con: duckdb.DuckDBPyConnection, campaign_id: str) -> dict[str, float]:
    return {loss: float(eur) for loss, eur in con.execute(ESTIMATES_SQL, [campaign_id]).fetchall()}


def share_table(
    matrix: RespondentMatrix, cube: Cube, visible: np.ndarray, reason: np.ndarray, filters: Mapping[str, str], by: str | None, k: int
) -> tuple[pd.DataFrame, AnonymityReport]:
    """Share of each group naming each loss, hidden where the group's block answerers are hidden."""
    cells = view_cells(cube, filters, by)
    vis, why = shown_cells(cube, visible, reason, cells)
    keys = [f"l:{x}" for x in matrix.losses]
    pos = [cube.unit(key) for key in keys]
    n, s = gather(cube, cube.n, cells)[:, pos], gather(cube, cube.s, cells)[:, pos]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(n > 0, s / n, np.nan)
    frame = pd.DataFrame(
        {
            "loss": np.repeat(np.array(matrix.losses, dtype=object)[None, :], len(cells), axis=0).ravel(),
            "group": np.repeat([c.group for c in cells], len(keys)),
            "attribute": np.repeat(np.array([c.attribute for c in cells], dtype=object), len(keys)),
            "option": np.repeat(np.array([c.option for c in cells], dtype=object), len(keys)),
            "n": n.ravel(),
            "share": share.ravel(),
            "suppressed": ~vis[:, pos].ravel(),
            "reason": [REASONS[int(r)] for r in why[:, pos].ravel()],
        }
    )
    frame = blank_hidden(frame, ["n", "share"])[SHARE_COLUMNS]
    return frame, report_of(frame, k, unit_column="loss")


def ranking_table(
    matrix: RespondentMatrix,
    cube: Cube,
    visible: np.ndarray,
    reason: np.ndarray,
    filters: Mapping[str, str],
    a: tuple[str, str],
    b: tuple[str, str],
    eur: Mapping[str, float],
) -> pd.DataFrame:
    """One row per loss: overall share, A and B shares, their difference with CI, € estimate and priority."""
    cells = [
        GroupCell(ALL, None, None, cube.index(filters)),
        GroupCell(group_label(*a), a[0], a[1], cube.index({**filters, a[0]: a[1]})),
        GroupCell(group_label(*b), b[0], b[1], cube.index({**filters, b[0]: b[1]})),
    ]
    vis, why = shown_cells(cube, visible, reason, cells)
    pos = [cube.unit(f"l:{x}") for x in matrix.losses]
    n, s = gather(cube, cube.n, cells)[:, pos], gather(cube, cube.s, cells)[:, pos]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(n > 0, s / n, np.nan)
    share = np.where(vis[:, pos], share, np.nan)
    pair_shown = vis[1, pos] & vis[2, pos]
    gap = newcombe_diff(s[1], n[1], s[2], n[2])
    diff = np.where(pair_shown, gap["diff"], np.nan)
    eur_values = np.array([eur.get(x, np.nan) for x in matrix.losses], dtype=float)
    if np.isfinite(eur_values).any() and np.nanmax(eur_values) > 0:
        value_weight = np.nan_to_num(eur_values / np.nanmax(eur_values), nan=0.0)
    elif np.isfinite(share[0]).any() and np.nanmax(share[0]) > 0:
        value_weight = np.nan_to_num(share[0] / np.nanmax(share[0]), nan=0.0)
    else:
        value_weight = np.zeros(len(pos))
    spread = np.abs(diff)
    misalignment = (
        np.nan_to_num(spread / np.nanmax(spread), nan=0.0) if np.isfinite(spread).any() and np.nanmax(spread) > 0 else np.zeros(len(pos))
    )
    priority = (value_weight + misalignment) / 2
    diff_reason = [
        "shown" if ok else (f"a: {REASONS[int(ra)]}" if ra else f"b: {REASONS[int(rb)]}")
        for ok, ra, rb in zip(pair_shown, why[1, pos], why[2, pos], strict=True)
    ]
    frame = pd.DataFrame(
        {
            "loss": list(matrix.losses),
            "share_all": share[0],
            "a": cells[1].group,
            "b": cells[2].group,
            "share_a": share[1],
            "share_b": share[2],
            "diff": diff,
            "ci_low": np.where(pair_shown, gap["ci_low"], np.nan),
            "ci_high": np.where(pair_shown, gap["ci_high"], np.nan),
            "eur_per_year": eur_values,
            "value_weight": value_weight,
            "misalignment_weight": misalignment,
            "priority": priority,
            "diff_suppressed": ~pair_shown,
            "diff_reason": diff_reason,
        }
    )
    frame = frame.sort_values(["priority", "loss"], ascending=[False, True], kind="stable").reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1)
    return frame[RANKING_COLUMNS]
