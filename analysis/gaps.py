"""Gaps between two groups (default boardroom vs shop floor): difference, Welch 95% CI and test, Hedges' g, BH-adjusted p.

Definitions (PRODUCT.md): gap = score(A) − score(B) per dimension or item.
- 95% CI and p-value from Welch's t-test (unequal variances, Welch–Satterthwaite df), because group
  sizes and spreads differ a lot between a board of eight and a shop floor of hundreds.
- effect size: Hedges' g = Cohen's d (difference over the pooled SD) × (1 − 3 / (4(nA + nB) − 9)),
  the small-sample correction pingouin also applies.
- p_adj: Benjamini–Hochberg over the family of tests one call makes (every shown dimension, or
  every shown item, of the pair), via scipy.stats.false_discovery_control.
Groups may come from different attributes (e.g. function=it vs level=board); Welch then treats
them as independent although they can share respondents, so read such p-values as approximate.
A gap is shown only when both of its cells are shown in their own breakdowns; otherwise the row keeps
`suppressed` true, a reason, and no numbers. Rows are sorted by |diff|, largest first, hidden last.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import special, stats

from analysis.anonymity import REASONS, AnonymityReport
from analysis.cube import Cube
from analysis.groups import GroupCell, blank_hidden, describe, gather, group_label, report_of, shown_cells
from analysis.scope import ScopeError
from analysis.scoring import RespondentMatrix

Group = tuple[str, str]
DEFAULT_A: Group = ("level", "board")
DEFAULT_B: Group = ("level", "shop_floor")

GAP_COLUMNS = [
    "unit_type",
    "unit",
    "dimension",
    "a",
    "b",
    "n_a",
    "mean_a",
    "n_b",
    "mean_b",
    "diff",
    "ci_low",
    "ci_high",
    "t",
    "df",
    "p",
    "p_adj",
    "effect_size",
    "suppressed",
    "reason",
]
GAP_NUMBERS = ["n_a", "mean_a", "n_b", "mean_b", "diff", "ci_low", "ci_high", "t", "df", "p", "p_adj", "effect_size"]


def welch(
    n_a: np.ndarray, mean_a: np.ndarray, var_a: np.ndarray, n_b: np.ndarray, mean_b: np.ndarray, var_b: np.ndarray
) -> dict[str, np.ndarray]:
    """Welch's two-sample t-test and 95% CI of mean_a − mean_b, element-wise from summary statistics."""
    with np.errstate(divide="ignore", invalid="ignore"):
        va, vb = var_a / n_a, var_b / n_b
        se = np.sqrt(va + vb)
        df = (va + vb) ** 2 / (va**2 / (n_a - 1) + vb**2 / (n_b - 1))
        diff = mean_a - mean_b
        t = np.where(se > 0, diff / se, np.nan)
        p = 2 * special.stdtr(df, -np.abs(t))  # two-sided, as 2 * scipy.stats.t.sf(|t|, df)
        half = special.stdtrit(df, 0.975) * se
    return {"diff": diff, "ci_low": diff - half, "ci_high": diff + half, "t": t, "df": df, "p": p}


def hedges_g(n_a: np.ndarray, mean_a: np.ndarray, var_a: np.ndarray, n_b: np.ndarray, mean_b: np.ndarray, var_b: np.ndarray) -> np.ndarray:
    """Cohen's d over the pooled SD with Hedges' small-sample correction."""
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = np.sqrt(((n_a - 1) * var_a + (n_b - 1) * var_b) / (n_a + n_b - 2))
        d = (mean_a - mean_b) / pooled
        return d * (1 - 3 / (4 * (n_a + n_b) - 9))


def bh_adjust(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values over the finite entries; NaN stays NaN and is not counted."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    finite = np.isfinite(p)
    if finite.any():
        out[finite] = stats.false_discovery_control(p[finite], method="bh")
    return out


def parse_group(text: str) -> Group:
    """'level=board' -> ('level', 'board')."""
    attribute, sep, option = text.partition("=")
    if not sep or not attribute or not option:
        raise ValueError(f"a group is written attribute=option (e.g. level=board), got {text!r}")
    return attribute.strip(), option.strip()


def check_pair(matrix: RespondentMatrix, filters: Mapping[str, str], a: Group, b: Group) -> None:
    """Refuse a pair that names unknown groups, the same group twice, or an attribute the filter already fixes."""
    attributes = matrix.instrument.attributes
    for attribute, option in (a, b):
        if attribute not in attributes:
            raise ScopeError(f"unknown attribute '{attribute}' (known: {', '.join(attributes)})")
        if option not in attributes[attribute].options:
            raise ScopeError(f"'{option}' is not an option of {attribute} ({', '.join(attributes[attribute].options)})")
        if attribute in filters:
            raise ScopeError(f"cannot compare groups of {attribute} while filtering on {attribute}={filters[attribute]}")
    if a == b:
        raise ScopeError(f"the two groups are the same ({a[0]}={a[1]})")


def gap_table(
    matrix: RespondentMatrix,
    cube: Cube,
    visible: np.ndarray,
    reason: np.ndarray,
    filters: Mapping[str, str],
    a: Group,
    b: Group,
    unit_type: str,
    k: int,
) -> tuple[pd.DataFrame, AnonymityReport]:
    """The gap A − B for every dimension or item, suppressed where either group is hidden."""
    population = GroupCell("all", None, None, cube.index(filters))
    cell_a = GroupCell(group_label(*a), a[0], a[1], cube.index({**filters, a[0]: a[1]}))
    cell_b = GroupCell(group_label(*b), b[0], b[1], cube.index({**filters, b[0]: b[1]}))
    vis, why = shown_cells(cube, visible, reason, [population, cell_a, cell_b])
    if unit_type == "dimension":
        units, dims = list(matrix.dimension_ids), list(matrix.dimension_ids)
        keys = [f"d:{d}" for d in units]
    elif unit_type == "item":
        units, dims = list(matrix.item_ids), [c.dimension for c in matrix.catalogue]
        keys = [f"i:{i}" for i in units]
    else:
        raise ValueError(f"unit must be 'dimension' or 'item', got {unit_type!r}")
    pos = [cube.unit(key) for key in keys]
    n, s, q = (gather(cube, arr, [cell_a, cell_b])[:, pos] for arr in (cube.n, cube.s, cube.q))
    d = describe(n, s, q)
    shown = vis[1, pos] & vis[2, pos]
    result = welch(n[0], d["mean"][0], d["var"][0], n[1], d["mean"][1], d["var"][1])
    p = np.where(shown, result["p"], np.nan)
    why_a, why_b = why[1, pos], why[2, pos]
    reasons = [
        "shown" if ok else (f"a: {REASONS[int(ra)]}" if ra else f"b: {REASONS[int(rb)]}")
        for ok, ra, rb in zip(shown, why_a, why_b, strict=True)
    ]
    frame = pd.DataFrame(
        {
            "unit_type": unit_type,
            "unit": units,
            "dimension": dims,
            "a": cell_a.group,
            "b": cell_b.group,
            "n_a": n[0],
            "mean_a": d["mean"][0],
            "n_b": n[1],
            "mean_b": d["mean"][1],
            **{key: result[key] for key in ("diff", "ci_low", "ci_high", "t", "df")},
            "p": p,
            "p_adj": bh_adjust(p),
            "effect_size": hedges_g(n[0], d["mean"][0], d["var"][0], n[1], d["mean"][1], d["var"][1]),
            "suppressed": ~shown,
            "reason": reasons,
        }
    )
    frame = blank_hidden(frame, GAP_NUMBERS)
    frame = frame.assign(_size=frame["diff"].abs().fillna(-1.0)).sort_values(["_size"], ascending=False, kind="stable")
    frame = frame.drop(columns="_size").reset_index(drop=True)[GAP_COLUMNS]
    return frame, report_of(frame.assign(group=frame["a"] + " vs " + frame["b"]), k)
