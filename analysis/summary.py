"""The machine-readable results document behind `python -m analysis summary --json`, built from the same views as the pages.

Shape (every number comes from the engine's suppressed frames, so it equals what the pages show):
    {
      "campaign": str, "wave": int, "filters": {attribute: option},
      "respondents": int | null,          # the scope's population; null when it is itself hidden
      "threshold": int, "comment_threshold": int,
      "dimensions": {dim: {"alpha": float | null, "alpha_low": bool, "overall": CELL, "by": {attribute: {option: CELL}}}},
      "items": {item: {"dimension": dim, "reverse": bool, "overall": CELL, "by": {attribute: {option: CELL}}}},
      "gaps": [{"a": "level=board", "b": "level=shop_floor", "dimension" | "item": id,
                "diff", "ci": [lo, hi], "effect_size", "p", "p_adj", "n_a", "mean_a", "n_b", "mean_b"}
               | {"a", "b", "dimension" | "item": id, "suppressed": true, "reason": str}],
      "agreement": {"method": str, "null_variance": float,
                    "dimensions": {dim: {"overall": rwg | null, "by": {attribute: {option: rwg | null}}}}},
      "representation": {...},            # shop-floor response rate ÷ the other levels' (analysis.representation)
      "suppressed": [{"unit": id, "group": "attribute=option" | "all", "reason": str}],
      "notes": [str]                      # e.g. why there are no gaps
    }
CELL is {"n", "mean", "sd", "ci": [lo, hi], "rwg"} or {"suppressed": true}: a hidden cell has no numbers.
Gaps: A − B; effect_size is Hedges' g; p_adj is Benjamini–Hochberg within the dimension gaps and
within the item gaps. The default pair is level=board vs level=shop_floor, or, for an instrument
without them, the first two options of its first attribute.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import duckdb
import pandas as pd

from analysis.gaps import DEFAULT_A, DEFAULT_B, Group, check_pair, gap_table
from analysis.groups import group_tables, shown_cells, view_cells
from analysis.participation import headcounts, participation_table
from analysis.reliability import reliability_table
from analysis.representation import ATTRIBUTE, representation
from analysis.scope import MAX_ATTRIBUTES, Scope, View, open_view, view_of
from analysis.scoring import RespondentMatrix

AGREEMENT_METHOD = (
    "r_wg = 1 - S^2 / sigma_EU^2 with sigma_EU^2 = (A^2 - 1) / 12 (A scale points), truncated to [0, 1]; "
    "for a dimension the mean of its items' r_wg in the group (items shown in that group only)"
)


def _number(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def cell(row: Mapping[str, Any]) -> dict[str, Any]:
    """A CELL of the document: the numbers of a shown row, or only `suppressed: true`."""
    if bool(row["suppressed"]):
        return {"suppressed": True}
    return {
        "n": int(row["n"]),
        "mean": _number(row["mean"]),
        "sd": _number(row["sd"]),
        "ci": [_number(row["ci_low"]), _number(row["ci_high"])],
        "rwg": _number(row["rwg"]),
    }


def default_pair(matrix: RespondentMatrix) -> tuple[Group, Group]:
    level = matrix.instrument.attributes.get(DEFAULT_A[0])
    if level is not None and DEFAULT_A[1] in level.options and DEFAULT_B[1] in level.options:
        return DEFAULT_A, DEFAULT_B
    first = next(iter(matrix.instrument.attributes.values()))
    options = list(first.options)
    return (first.id, options[0]), (first.id, options[1])


def _gap_rows(frame: pd.DataFrame, key: str) -> list[dict[str, Any]]:
    rows = []
    for r in frame.itertuples(index=False):
        if r.suppressed:
            rows.append({"a": r.a, "b": r.b, key: r.unit, "suppressed": True, "reason": r.reason})
            continue
        rows.append(
            {
                "a": r.a,
                "b": r.b,
                key: r.unit,
                "diff": _number(r.diff),
                "ci": [_number(r.ci_low), _number(r.ci_high)],
                "effect_size": _number(r.effect_size),
                "p": _number(r.p),
                "p_adj": _number(r.p_adj),
                "n_a": int(r.n_a),
                "mean_a": _number(r.mean_a),
                "n_b": int(r.n_b),
                "mean_b": _number(r.mean_b),
            }
        )
    return rows


def _views(con: duckdb.DuckDBPyConnection, scope: Scope) -> tuple[View, list[tuple[str, View]]]:
    """The scope's population, and one view per attribute that can be a breakdown (not filtered)."""
    base = open_view(con, scope)
    filtered = dict(scope.filters)
    views = [
        (a, view_of(base.matrix, base.limits, scope.filters, by=a))
        for a in base.matrix.attributes
        if a not in filtered and len(filtered) < MAX_ATTRIBUTES
    ]
    return base, views


def _entries(rows: list[dict[str, Any]], matrix: RespondentMatrix, unit: str, alpha: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Per unit: overall CELL and CELLs by attribute and option (items also name their dimension and key)."""
    reverse = {c.item_id: c.reverse for c in matrix.catalogue}
    out: dict[str, Any] = {}
    for row in rows:
        entry = out.get(row["unit"])
        if entry is None:
            entry = (
                {"alpha": _number(alpha[row["unit"]]["alpha"]), "alpha_low": bool(alpha[row["unit"]]["low"])} if unit == "dimension" else {}
            )
            if unit == "item":
                entry.update({"dimension": row["dimension"], "reverse": reverse[row["unit"]]})
            entry.update({"overall": None, "by": {}})
            out[row["unit"]] = entry
        if row["group"] == "all":
            entry["overall"] = cell(row)
        else:
            entry["by"].setdefault(row["attribute"], {})[row["option"]] = cell(row)
    return out


def build_summary(con: duckdb.DuckDBPyConnection, scope: Scope, a: Group | None = None, b: Group | None = None) -> dict[str, Any]:
    """Every dimension and item, overall and per option of every attribute; gaps; agreement; alpha; what was hidden."""
    base, views = _views(con, scope)
    matrix, k = base.matrix, base.limits.k
    notes: list[str] = []
    if a is None or b is None:
        a, b = default_pair(matrix)
        if a[0] in base.filters or b[0] in base.filters:
            notes.append(f"no gaps: the default pair {a[0]}={a[1]} vs {b[0]}={b[1]} is fixed by the filter")
            a = b = None
        elif len({*base.filters, a[0], b[0]}) > MAX_ATTRIBUTES:
            notes.append(f"no gaps: a view combines at most {MAX_ATTRIBUTES} attributes, and the filters already name them")
            a = b = None
    gaps: list[dict[str, Any]] = []
    if a is not None and b is not None:
        check_pair(matrix, base.filters, a, b)
        pair = view_of(matrix, base.limits, scope.filters, extra=(a[0], b[0]))
        for unit in ("dimension", "item"):
            frame, _ = gap_table(matrix, pair.cube, pair.visible, pair.reason, pair.filters, a, b, unit, k)
            gaps.extend(_gap_rows(frame, unit))
    population = view_cells(base.cube, base.filters, None)
    alpha = reliability_table(matrix, base.cube, base.visible, base.reason, base.filters).set_index("dimension").to_dict("index")
    sections: dict[str, dict[str, Any]] = {}
    suppressed: list[dict[str, str]] = []
    parts = [(base.cube, base.visible, base.reason, population)]
    for attribute, v in views:
        parts.append((v.cube, v.visible, v.reason, view_cells(v.cube, v.filters, attribute)[1:]))
    for unit in ("dimension", "item"):
        rows = group_tables(matrix, parts, unit, k)[0].to_dict("records")
        suppressed.extend({"unit": r["unit"], "group": r["group"], "reason": r["reason"]} for r in rows if r["suppressed"])
        sections[unit] = _entries(rows, matrix, unit, alpha)
    agreement = {
        dim: {
            "overall": entry["overall"].get("rwg"),
            "by": {attr: {opt: c.get("rwg") for opt, c in options.items()} for attr, options in entry["by"].items()},
        }
        for dim, entry in sections["dimension"].items()
    }
    return {
        "campaign": matrix.campaign_id,
        "wave": matrix.wave,
        "filters": dict(base.filters),
        "respondents": _respondents(base),
        "threshold": k,
        "comment_threshold": base.limits.comment_k,
        "dimensions": sections["dimension"],
        "items": sections["item"],
        "gaps": gaps,
        "agreement": {"method": AGREEMENT_METHOD, "null_variance": (matrix.scale_points**2 - 1) / 12, "dimensions": agreement},
        "representation": _representation(con, scope, views),
        "suppressed": suppressed,
        "notes": notes,
    }


def _representation(con: duckdb.DuckDBPyConnection, scope: Scope, views: list[tuple[str, View]]) -> dict[str, Any]:
    """The representation ratio from the level breakdown's participation (none when level is filtered or absent)."""
    found = dict(views).get(ATTRIBUTE)
    if found is None:
        return representation(None)
    frame, _ = participation_table(
        found.matrix, found.cube, found.visible, found.reason, found.filters, ATTRIBUTE, headcounts(con, scope.campaign_id), found.limits.k
    )
    return representation(frame)


def _respondents(view: View) -> int | None:
    cells = view_cells(view.cube, view.filters, None)
    shown, _ = shown_cells(view.cube, view.visible, view.reason, cells)
    unit = view.cube.unit("respondents")
    if not shown[0, unit]:
        return None
    return int(view.cube.n[cells[0].index + (unit,)])
