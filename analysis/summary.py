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
      "blind_spots": [...], "ambition": {...}, "priorities": [...],   # see analysis.insights.document
      "coherence": {"overall": C | null, "dimensions": {dim: {"index": C | null, "between": B | null, "within": W | null}}},
      "splits": [{"group": "level=shop_floor", "item": id, "agreement_a": A, "n": n}],   # shown groups with A < 0, most split first
      "value_at_stake": [{"loss", "rank", "share_all", "a", "b", "share_a", "share_b", "diff", "ci": [lo, hi], "eur_per_year", "priority"}],
      "trend": {"earlier_wave": int, "dimensions": [{"dimension", "group", "change", "ci", "p_adj", "effect_size", "n_before",
                "n_after", "mean_before", "mean_after"} | {"dimension", "group", "suppressed": true}]} | null,
      "findings": [{"kind": str, "text": {"en": str, "nl": str}, "refs": {...}}],   # analysis.insights.findings
      "representation": {...},            # shop-floor response rate ÷ the other levels' (analysis.representation)
      "suppressed": [{"unit": id, "group": "attribute=option" | "all", "reason": str}],
      "notes": [str],                     # e.g. why there are no gaps
      "actions": [{"id", "title", "status", "target": {"kind", "id", "a", "b"}, "wave_before", "wave_after",
                   "gap_before", "gap_after", "change", "ci": [lo, hi] | null, "reason"}],
      "closure": {"a", "b", "wave_before", "wave_after", "targeted", "untargeted", "did", "ci": [lo, hi] | null,
                  "n_targeted", "n_untargeted", "method", "limits", "note"}
    }
CELL is {"n", "mean", "sd", "ci": [lo, hi], "rwg"} or {"suppressed": true}: a hidden cell has no numbers.
`actions` and `closure` span the campaign's waves (analysis.closure), with the scope's filters and pair;
a gap whose group is hidden gives null there. Gaps: A − B; effect_size is Hedges' g; p_adj is Benjamini–Hochberg within the dimension gaps and
within the item gaps. The default pair is level=board vs level=shop_floor, or, for an instrument
without them, the first two options of its first attribute. Coherence (analysis.insights.coherence)
is taken over the shown levels (`level`, else the first attribute), null when the filter fixes the
level; splits (analysis.insights.agreement) over every shown group of the document. value_at_stake is the
ranking of analysis.value for the gap pair (a hidden share or difference is null); trend compares the
wave with the wave before it, overall and per level, a row shown only where both waves show its group.
findings are written from this document's numbers alone (analysis.insights.findings).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import duckdb
import pandas as pd

from analysis.closure import closure, summary_sections
from analysis.gaps import DEFAULT_A, DEFAULT_B, Group, check_pair, gap_table
from analysis.groups import group_tables, shown_cells, view_cells
from analysis.insights.agreement import agreement_cells
from analysis.insights.coherence import coherence_document, coherence_table, level_attribute
from analysis.insights.document import insight_sections
from analysis.insights.findings import findings
from analysis.participation import headcounts, participation_table
from analysis.reliability import reliability_table
from analysis.representation import ATTRIBUTE, representation
from analysis.scope import MAX_ATTRIBUTES, Scope, ScopeError, View, open_view, view_of
from analysis.scoring import RespondentMatrix
from analysis.trend import trend_table
from analysis.value import estimates, ranking_table
from survey.campaigns import CampaignError, full_waves

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
    dimension_gaps = None
    value: list[dict[str, Any]] = []
    if a is not None and b is not None:
        check_pair(matrix, base.filters, a, b)
        pair = view_of(matrix, base.limits, scope.filters, extra=(a[0], b[0]))
        for unit in ("dimension", "item"):
            frame, _ = gap_table(matrix, pair.cube, pair.visible, pair.reason, pair.filters, a, b, unit, k)
            gaps.extend(_gap_rows(frame, unit))
            dimension_gaps = frame if unit == "dimension" else dimension_gaps
        if matrix.losses:
            value = _value_rows(
                ranking_table(matrix, pair.cube, pair.visible, pair.reason, pair.filters, a, b, estimates(con, scope.campaign_id))
            )
    insights, insights_hidden = insight_sections(con, base, (a, b) if a is not None and b is not None else None, dimension_gaps)
    population = view_cells(base.cube, base.filters, None)
    alpha = reliability_table(matrix, base.cube, base.visible, base.reason, base.filters).set_index("dimension").to_dict("index")
    sections: dict[str, dict[str, Any]] = {}
    suppressed: list[dict[str, str]] = []
    parts = [(base.cube, base.visible, base.reason, population)]
    for attribute, v in views:
        parts.append((v.cube, v.visible, v.reason, view_cells(v.cube, v.filters, attribute)[1:]))
    frames = {}
    for unit in ("dimension", "item"):
        frames[unit] = group_tables(matrix, parts, unit, k)[0]
        rows = frames[unit].to_dict("records")
        suppressed.extend({"unit": r["unit"], "group": r["group"], "reason": r["reason"]} for r in rows if r["suppressed"])
        sections[unit] = _entries(rows, matrix, unit, alpha)
    agreement = {
        dim: {
            "overall": entry["overall"].get("rwg"),
            "by": {attr: {opt: c.get("rwg") for opt, c in options.items()} for attr, options in entry["by"].items()},
        }
        for dim, entry in sections["dimension"].items()
    }
    scale = matrix.instrument.scale
    levels = level_attribute(matrix.instrument)
    coherence = coherence_document(coherence_table(frames["dimension"], levels, scale.min, scale.max))
    doc = {
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
        **insights,
        "coherence": coherence,
        "splits": _splits(base, views),
        "value_at_stake": value,
        "trend": _trend(con, scope, base, levels),
        "representation": _representation(con, scope, views),
        "suppressed": suppressed + insights_hidden,
        "notes": notes,
        **_loop(con, scope, a, b),
    }
    doc["findings"] = findings(doc, matrix.instrument)
    return doc


def _value_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The value-at-stake ranking: shares and difference as shown (null where hidden), € estimate null where not entered."""
    return [
        {
            "loss": r.loss,
            "rank": int(r.rank),
            "share_all": _number(r.share_all),
            "a": r.a,
            "b": r.b,
            "share_a": _number(r.share_a),
            "share_b": _number(r.share_b),
            "diff": _number(r.diff),
            "ci": [_number(r.ci_low), _number(r.ci_high)],
            "eur_per_year": _number(r.eur_per_year),
            "priority": _number(r.priority),
        }
        for r in frame.itertuples()
    ]


def _trend(con: duckdb.DuckDBPyConnection, scope: Scope, base: View, levels: str) -> dict[str, Any] | None:
    """Change per dimension since the full wave before, overall and per level; null when there is none."""
    # A pulse asks a few statements only: its dimension scores are not comparable with a full wave's, so the trend
    # reaches back to the last full wave.
    earlier = [w.wave for w in full_waves(con, scope.campaign_id) if w.wave < base.matrix.wave]
    if not earlier:
        return None
    by = None if levels in base.filters else levels
    now = Scope(scope.campaign_id, base.matrix.wave, scope.filters)
    try:
        after, before = open_view(con, now, by), open_view(con, now, by, wave=earlier[-1])
    except (ScopeError, CampaignError):
        return None  # the earlier wave cannot be read as this scope (e.g. its questionnaire lacks the filtered attribute)
    frame, _ = trend_table(
        (before.matrix, before.cube, before.visible, before.reason),
        (after.matrix, after.cube, after.visible, after.reason),
        after.filters,
        by,
        "dimension",
        after.limits.k,
    )
    rows: list[dict[str, Any]] = []
    for r in frame.itertuples():
        if r.suppressed:
            rows.append({"dimension": r.unit, "group": r.group, "suppressed": True})
            continue
        rows.append(
            {
                "dimension": r.unit,
                "group": r.group,
                "change": _number(r.change),
                "ci": [_number(r.ci_low), _number(r.ci_high)],
                "p_adj": _number(r.p_adj),
                "effect_size": _number(r.effect_size),
                "n_before": int(r.n_before),
                "n_after": int(r.n_after),
                "mean_before": _number(r.mean_before),
                "mean_after": _number(r.mean_after),
            }
        )
    return {"earlier_wave": earlier[-1], "dimensions": rows}


def _splits(base: View, views: list[tuple[str, View]]) -> list[dict[str, Any]]:
    """Shown groups whose answers to an item are split (van der Eijk's A < 0), most split first."""
    frames = [agreement_cells(base.matrix, base.cube, base.visible, base.reason, view_cells(base.cube, base.filters, None))]
    for attribute, v in views:
        frames.append(agreement_cells(v.matrix, v.cube, v.visible, v.reason, view_cells(v.cube, v.filters, attribute)[1:]))
    table = pd.concat(frames, ignore_index=True)
    split = table[table["split"]].sort_values(["agreement_a", "item", "group"], kind="stable")
    return [{"group": r.group, "item": r.item, "agreement_a": float(r.agreement_a), "n": int(r.n)} for r in split.itertuples()]


def _loop(con: duckdb.DuckDBPyConnection, scope: Scope, a: Group | None, b: Group | None) -> dict[str, Any]:
    """The campaign's actions and gap closure, for the same pair and filters as `gaps` (none without a pair)."""
    if a is None or b is None:
        return {"actions": [], "closure": None}
    return summary_sections(closure(con, scope.campaign_id, a, b, scope.filters))


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
