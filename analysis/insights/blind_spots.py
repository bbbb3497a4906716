"""Blind spots: how far one level's prediction of another level's dimension score lies from that level's actual score.

Definition (PRODUCT.md, "From gaps to decisions"): the blind spot of level L about level M on dimension d
is the mean of L's predictions of M on d minus M's actual mean score on d (the score the heatmap shows:
the main cube's dimension cell of M). 95% CI and p by Welch (L's predictions vs M's respondent scores);
p adjusted by Benjamini–Hochberg within the family of blind spots shown. Shown only where L's prediction
cell is shown by the rating cube, and L's respondents and M's dimension score are shown by the main cube.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from analysis.anonymity import REASONS
from analysis.cube import RESPONDENTS, Cube
from analysis.gaps import bh_adjust, welch
from analysis.groups import GroupCell, describe, group_label, shown_cells
from analysis.insights.ratings import RatingCube, predictions_asked
from analysis.scoring import RespondentMatrix

BLIND_SPOT_COLUMNS = [
    "by",
    "about",
    "dimension",
    "predicted",
    "actual",
    "diff",
    "ci_low",
    "ci_high",
    "p",
    "p_adj",
    "n_by",
    "n_about",
    "suppressed",
    "reason",
]


def _cell(cube: Cube, filters: Mapping[str, str], attribute: str, option: str) -> GroupCell:
    return GroupCell(group_label(attribute, option), attribute, option, cube.index({**filters, attribute: option}))


def blind_spot_table(
    matrix: RespondentMatrix, cube: Cube, visible: np.ndarray, reason: np.ndarray, ratings: RatingCube | None, filters: Mapping[str, str]
) -> pd.DataFrame:
    """One row per (predicting level, predicted level, dimension); hidden rows keep only their reason.

    Every level of the block's attribute but M predicts M (nobody predicts their own level). With a filter on
    that attribute there is no pair of levels in view, so the table is empty.
    """
    meta = matrix.instrument.meta_perception
    asked = predictions_asked(matrix)
    if meta is None or ratings is None or meta.attribute in filters or not asked:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in BLIND_SPOT_COLUMNS})
    options = list(matrix.instrument.attributes[meta.attribute].options)
    rows = []
    for about, dimension in asked:
        for by in options:
            if by != about:
                rows.append((by, about, dimension))
    rc = ratings.cube
    by_cells = [_cell(rc, filters, meta.attribute, by) for by, _, _ in rows]
    about_cells = [_cell(cube, filters, meta.attribute, about) for _, about, _ in rows]
    pred_units = [rc.unit(f"x:{about}:{d}") for _, about, d in rows]
    score_units = [cube.unit(f"d:{d}") for _, _, d in rows]
    r_vis, r_why = shown_cells(rc, ratings.visible, ratings.reason, by_cells)
    m_vis_by, m_why_by = shown_cells(cube, visible, reason, [_cell(cube, filters, meta.attribute, by) for by, _, _ in rows])
    m_vis, m_why = shown_cells(cube, visible, reason, about_cells)
    idx = np.arange(len(rows))
    people = cube.unit(RESPONDENTS)
    n1 = np.array([rc.n[c.index + (u,)] for c, u in zip(by_cells, pred_units, strict=True)])
    s1 = np.array([rc.s[c.index + (u,)] for c, u in zip(by_cells, pred_units, strict=True)])
    q1 = np.array([rc.q[c.index + (u,)] for c, u in zip(by_cells, pred_units, strict=True)])
    n2 = np.array([cube.n[c.index + (u,)] for c, u in zip(about_cells, score_units, strict=True)])
    s2 = np.array([cube.s[c.index + (u,)] for c, u in zip(about_cells, score_units, strict=True)])
    q2 = np.array([cube.q[c.index + (u,)] for c, u in zip(about_cells, score_units, strict=True)])
    shown = r_vis[idx, pred_units] & m_vis_by[idx, people] & m_vis[idx, score_units] & (n1 > 1) & (n2 > 1)
    why = np.where(
        ~r_vis[idx, pred_units], r_why[idx, pred_units], np.where(~m_vis_by[idx, people], m_why_by[idx, people], m_why[idx, score_units])
    )
    a, b = describe(n1, s1, q1), describe(n2, s2, q2)
    test = welch(n1, a["mean"], a["var"], n2, b["mean"], b["var"])
    p = np.where(shown, test["p"], np.nan)
    frame = pd.DataFrame(
        {
            "by": [group_label(meta.attribute, by) for by, _, _ in rows],
            "about": [group_label(meta.attribute, about) for _, about, _ in rows],
            "dimension": [d for _, _, d in rows],
            "predicted": a["mean"],
            "actual": b["mean"],
            "diff": test["diff"],
            "ci_low": test["ci_low"],
            "ci_high": test["ci_high"],
            "p": p,
            "p_adj": bh_adjust(p),
            "n_by": n1,
            "n_about": n2,
            "suppressed": ~shown,
            "reason": [
                "shown" if ok else (REASONS[int(w)] if int(w) else "fewer than two ratings") for ok, w in zip(shown, why, strict=True)
            ],
        }
    )
    numbers = ["predicted", "actual", "diff", "ci_low", "ci_high", "p", "p_adj", "n_by", "n_about"]
    frame[numbers] = frame[numbers].astype(float).where(~frame["suppressed"])
    return frame[BLIND_SPOT_COLUMNS]
