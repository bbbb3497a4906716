"""The summary document's insight sections: `blind_spots`, `ambition` and `priorities`, from one view's cubes.

Shapes (analysis.summary documents the whole document):
    "blind_spots": [{"by": "level=board", "about": "level=shop_floor", "dimension", "predicted", "actual", "diff",
                     "ci": [lo, hi], "p", "p_adj", "n_by", "n_about"}]         # shown ones only, largest |diff| first
    "ambition": {dim: {"overall": CELL, "by": {attribute: {option: CELL}}}}
                CELL = {"n" (targets), "n_current" (scores), "target", "current", "gap", "ci": [lo, hi]} or {"suppressed": true}
    "priorities": [{"rank", "dimension", "loss", "misalignment", "ambition", "eur_per_year",
                    "dimension_priority", "loss_priority", "score"}]          # the value hypotheses to start with
Hidden blind spots and ambition cells are listed in the document's `suppressed` with their reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from analysis.gaps import Group, gap_table
from analysis.insights.ambition import ambition_table
from analysis.insights.blind_spots import blind_spot_table
from analysis.insights.priorities import matrix_points, priority_table
from analysis.insights.ratings import rating_cube
from analysis.scope import MAX_ATTRIBUTES, Scope, View, open_view, view_of
from analysis.value import estimates, ranking_table


def _number(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _ambition_cell(row: dict[str, Any]) -> dict[str, Any]:
    if row["suppressed"]:
        return {"suppressed": True}
    return {
        "n": int(row["n"]),
        "n_current": int(row["n_current"]),
        "target": _number(row["target"]),
        "current": _number(row["current"]),
        "gap": _number(row["gap"]),
        "ci": [_number(row["ci_low"]), _number(row["ci_high"])],
    }


def insight_frames(
    con: duckdb.DuckDBPyConnection, base: View, pair: tuple[Group, Group] | None, dimension_gaps: pd.DataFrame | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Blind spots, ambition cells and the priority table of a view (the same frames the pages and exports show)."""
    matrix, k = base.matrix, base.limits.k
    ratings = rating_cube(con, matrix, k)
    blind = blind_spot_table(matrix, base.cube, base.visible, base.reason, ratings, base.filters)
    ambition = ambition_table(matrix, ratings, base.filters)
    ranking = None
    if pair is not None and matrix.losses:
        ranking = ranking_table(matrix, base.cube, base.visible, base.reason, base.filters, *pair, estimates(con, matrix.campaign_id))
    gaps = dimension_gaps if dimension_gaps is not None else pd.DataFrame(columns=["unit", "diff", "suppressed"])
    return blind, ambition, priority_table(gaps, ambition, ranking)


@dataclass(frozen=True)
class Insights:
    """What the pages and exports show of a scope: blind spots, ambition cells, the value hypotheses and the matrix points."""

    blind_spots: pd.DataFrame
    ambition: pd.DataFrame
    priorities: pd.DataFrame
    points: pd.DataFrame
    wave: int
    threshold: int


def insights(con: duckdb.DuckDBPyConnection, scope: Scope) -> Insights:
    """Every insight of the scope from the same views as the summary document (default pair: board vs shop floor)."""
    from analysis.summary import default_pair  # imported here: the summary document builds on this module

    base = open_view(con, scope)
    a, b = default_pair(base.matrix)
    pair, gaps = None, None
    if a[0] not in base.filters and b[0] not in base.filters and len({*base.filters, a[0], b[0]}) <= MAX_ATTRIBUTES:
        pair = (a, b)
        v = view_of(base.matrix, base.limits, scope.filters, extra=(a[0], b[0]))
        gaps, _ = gap_table(base.matrix, v.cube, v.visible, v.reason, v.filters, a, b, "dimension", base.limits.k)
    blind, ambition, priorities = insight_frames(con, base, pair, gaps)
    points = matrix_points(gaps if gaps is not None else pd.DataFrame(columns=["unit", "diff", "suppressed"]), ambition, priorities)
    return Insights(blind, ambition, priorities, points, base.matrix.wave, base.limits.k)


def insight_sections(
    con: duckdb.DuckDBPyConnection, base: View, pair: tuple[Group, Group] | None, dimension_gaps: pd.DataFrame | None
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The three sections, and the hidden cells to add to the document's `suppressed` list."""
    blind, ambition, priorities = insight_frames(con, base, pair, dimension_gaps)
    shown = blind[~blind["suppressed"].astype(bool)]
    shown = shown.assign(_size=shown["diff"].abs()).sort_values("_size", ascending=False, kind="stable")
    blind_spots = [
        {
            "by": r["by"],
            "about": r["about"],
            "dimension": r["dimension"],
            "predicted": _number(r["predicted"]),
            "actual": _number(r["actual"]),
            "diff": _number(r["diff"]),
            "ci": [_number(r["ci_low"]), _number(r["ci_high"])],
            "p": _number(r["p"]),
            "p_adj": _number(r["p_adj"]),
            "n_by": int(r["n_by"]),
            "n_about": int(r["n_about"]),
        }
        for r in shown.to_dict("records")
    ]
    sections: dict[str, Any] = {}
    for r in ambition.to_dict("records"):
        entry = sections.setdefault(r["dimension"], {"overall": None, "by": {}})
        if r["group"] == "all":
            entry["overall"] = _ambition_cell(r)
        else:
            entry["by"].setdefault(r["attribute"], {})[r["option"]] = _ambition_cell(r)
    hidden = [
        {"unit": f"blind_spot:{r['dimension']}", "group": f"{r['by']} about {r['about']}", "reason": r["reason"]}
        for r in blind[blind["suppressed"].astype(bool)].to_dict("records")
    ]
    hidden += [
        {"unit": f"ambition:{r['dimension']}", "group": r["group"], "reason": r["reason"]}
        for r in ambition[ambition["suppressed"].astype(bool)].to_dict("records")
    ]
    table = [
        {
            "rank": int(r["rank"]),
            "dimension": r["dimension"],
            "loss": r["loss"],
            "misalignment": _number(r["misalignment"]),
            "ambition": _number(r["ambition"]),
            "eur_per_year": _number(r["eur_per_year"]),
            "dimension_priority": _number(r["dimension_priority"]),
            "loss_priority": _number(r["loss_priority"]),
            "score": _number(r["score"]),
        }
        for r in priorities.to_dict("records")
    ]
    return {"blind_spots": blind_spots, "ambition": sections, "priorities": table}, hidden
