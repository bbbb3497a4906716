"""Trend: a wave against an earlier wave of the same campaign, per dimension and item, overall and per group.

change = mean(later wave) − mean(earlier wave), with Welch's 95% CI and test (the waves are separate
samples), Hedges' g and Benjamini–Hochberg adjusted p over the family of one call. A row is shown only
when its group is shown in both waves, each wave judged by the anonymity rules on its own data.
Units are compared when both waves' instruments hold them on the same scale; the others are listed
in the report's notes.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from analysis.anonymity import REASONS, AnonymityReport
from analysis.cube import Cube
from analysis.gaps import bh_adjust, hedges_g, welch
from analysis.groups import blank_hidden, describe, gather, report_of, shown_cells, view_cells
from analysis.scoring import RespondentMatrix

TREND_COLUMNS = [
    "unit_type",
    "unit",
    "dimension",
    "group",
    "attribute",
    "option",
    "n_before",
    "mean_before",
    "n_after",
    "mean_after",
    "change",
    "ci_low",
    "ci_high",
    "p",
    "p_adj",
    "effect_size",
    "suppressed",
    "reason",
]
TREND_NUMBERS = ["n_before", "mean_before", "n_after", "mean_after", "change", "ci_low", "ci_high", "p", "p_adj", "effect_size"]


def comparable_units(before: RespondentMatrix, after: RespondentMatrix, unit_type: str) -> tuple[list[str], list[str], list[str]]:
    """Units present in both waves on the same scale (ids, their dimensions) and the ones left out."""
    if unit_type == "dimension":
        same_scale = before.instrument.scale.min == after.instrument.scale.min and before.instrument.scale.max == after.instrument.scale.max
        units = [d for d in after.dimension_ids if d in before.dimension_ids and same_scale]
        left = [d for d in after.dimension_ids if d not in units]
        return units, units, left
    scales = {c.item_id: (c.scale_min, c.scale_max) for c in before.catalogue}
    units, dims, left = [], [], []
    for c in after.catalogue:
        if scales.get(c.item_id) == (c.scale_min, c.scale_max):
            units.append(c.item_id)
            dims.append(c.dimension)
        else:
            left.append(c.item_id)
    return units, dims, left


def trend_table(
    before: tuple[RespondentMatrix, Cube, np.ndarray, np.ndarray],
    after: tuple[RespondentMatrix, Cube, np.ndarray, np.ndarray],
    filters: Mapping[str, str],
    by: str | None,
    unit_type: str,
    k: int,
) -> tuple[pd.DataFrame, AnonymityReport]:
    """Change per unit and group between two waves, suppressed unless shown in both."""
    if unit_type not in ("dimension", "item"):
        raise ValueError(f"unit must be 'dimension' or 'item', got {unit_type!r}")
    m_before, c_before, v_before, r_before = before
    m_after, c_after, v_after, r_after = after
    units, dims, left_out = comparable_units(m_before, m_after, unit_type)
    prefix = "d:" if unit_type == "dimension" else "i:"
    cells_before, cells_after = view_cells(c_before, filters, by), view_cells(c_after, filters, by)
    vb, wb = shown_cells(c_before, v_before, r_before, cells_before)
    va, wa = shown_cells(c_after, v_after, r_after, cells_after)
    pos_b = [c_before.unit(prefix + u) for u in units]
    pos_a = [c_after.unit(prefix + u) for u in units]
    stats_b = [gather(c_before, arr, cells_before)[:, pos_b] for arr in (c_before.n, c_before.s, c_before.q)]
    stats_a = [gather(c_after, arr, cells_after)[:, pos_a] for arr in (c_after.n, c_after.s, c_after.q)]
    d_b, d_a = describe(*stats_b), describe(*stats_a)
    n_b, n_a = stats_b[0], stats_a[0]
    shown = vb[:, pos_b] & va[:, pos_a]
    result = welch(n_a, d_a["mean"], d_a["var"], n_b, d_b["mean"], d_b["var"])
    p = np.where(shown, result["p"], np.nan)
    reasons = [
        "shown" if ok else (f"before: {REASONS[int(rb)]}" if rb else f"after: {REASONS[int(ra)]}")
        for ok, rb, ra in zip(shown.ravel(), wb[:, pos_b].ravel(), wa[:, pos_a].ravel(), strict=True)
    ]
    frame = pd.DataFrame(
        {
            "unit_type": unit_type,
            "unit": np.tile(units, len(cells_after)),
            "dimension": np.tile(dims, len(cells_after)),
            "group": np.repeat([c.group for c in cells_after], len(units)),
            "attribute": np.repeat(np.array([c.attribute for c in cells_after], dtype=object), len(units)),
            "option": np.repeat(np.array([c.option for c in cells_after], dtype=object), len(units)),
            "n_before": n_b.ravel(),
            "mean_before": d_b["mean"].ravel(),
            "n_after": n_a.ravel(),
            "mean_after": d_a["mean"].ravel(),
            "change": result["diff"].ravel(),
            "ci_low": result["ci_low"].ravel(),
            "ci_high": result["ci_high"].ravel(),
            "p": p.ravel(),
            "p_adj": bh_adjust(p.ravel()),
            "effect_size": hedges_g(n_a, d_a["mean"], d_a["var"], n_b, d_b["mean"], d_b["var"]).ravel(),
            "suppressed": ~shown.ravel(),
            "reason": reasons,
        }
    )
    frame = blank_hidden(frame, TREND_NUMBERS)
    order = {u: i for i, u in enumerate(units)}
    frame = frame.sort_values("unit", key=lambda col: col.map(order), kind="stable").reset_index(drop=True)[TREND_COLUMNS]
    notes = tuple(f"{u}: not in both waves on the same scale" for u in left_out)
    report = report_of(frame, k)
    return frame, AnonymityReport(k, report.hidden, notes)
