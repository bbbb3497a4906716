"""Gap closure: each action's gap before and after, and whether targeted gaps closed more than the rest (difference-in-differences).

Method, plainly:
- A gap is score(A) − score(B) of one wave with its Welch 95% CI, exactly as the Gaps page shows it
  (`analysis.gaps.gap_table`, hidden where either group is below the threshold). Its standard error
  is read back from that CI: se = (ci_high − diff) / t(0.975, Welch df).
- An action's *change* = gap after − gap before: before is the wave the action answers, after the
  newest later wave that measures the same unit (a pulse counts when it asks all the items the
  dimension had). Its 95% CI is change ± 1.96·√(se_before² + se_after²): the two waves are taken as
  independent samples.
- *Closure* compares the wave before the actions (the earliest wave the counted actions answer) with
  the newest later full wave (not a pulse), over the dimension gaps of one pair (default board vs shop
  floor). Targeted = dimensions a dimension or item action that is not dropped points at; untargeted =
  every other dimension. targeted = mean change of targeted gaps, untargeted = the same for the rest,
  did = targeted − untargeted, 95% CI did ± 1.96·√(Σ var targeted / n_t² + Σ var untargeted / n_u²).
- Limits: different people may answer each wave, so a change mixes real movement with who answered;
  gaps of different dimensions share respondents, so treating them as independent understates the
  CI; the actions were aimed at the gaps that looked widest, which tend to narrow anyway (regression
  to the mean); and nothing here shows the actions caused the change, only whether targeted gaps
  moved differently from the others in this design.
- Anonymity: only gaps shown on their own pages enter; a hidden gap gives no number and is left out
  of the means (n_targeted/n_untargeted count what entered).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from scipy import special

from analysis.gaps import DEFAULT_A, DEFAULT_B, Group, check_pair, gap_table, parse_group
from analysis.scope import Scope, ScopeError, open_view
from survey.actions import list_actions
from survey.campaigns import is_pulse_key, list_waves

Z = 1.959963984540054  # two-sided 95% normal quantile, scipy.stats.norm.ppf(0.975)
METHOD = (
    "change = gap after − gap before, 95% CI change ± 1.96·√(se_before² + se_after²) with each se from the gap's Welch CI; "
    "did = mean change of targeted − mean change of untargeted dimension gaps, wave before the actions vs newest full wave, "
    "95% CI ± 1.96·√(Σvar_t/n_t² + Σvar_u/n_u²)"
)
LIMITS = (
    "Different people may answer each wave; gaps of different dimensions share respondents (the CI treats them as "
    "independent); the widest gaps were chosen, and wide gaps tend to narrow anyway; no causal claim beyond this design."
)
ACTION_COLUMNS = [
    "action_id",
    "title",
    "status",
    "target_kind",
    "target_id",
    "a",
    "b",
    "wave_before",
    "wave_after",
    "gap_before",
    "gap_before_low",
    "gap_before_high",
    "gap_after",
    "gap_after_low",
    "gap_after_high",
    "change",
    "ci_low",
    "ci_high",
    "reason",
]


@dataclass(frozen=True)
class Closure:
    """Per action its gap before and after; the targeted-vs-untargeted comparison; the dimension rows it rests on."""

    actions: pd.DataFrame  # ACTION_COLUMNS
    gaps: pd.DataFrame  # dimension, targeted, before, after, change, se (the closure's rows)
    targeted: float | None
    untargeted: float | None
    did: float | None
    ci: tuple[float, float] | None
    n_targeted: int
    n_untargeted: int
    wave_before: int | None
    wave_after: int | None
    a: str
    b: str
    note: str


class _Gaps:
    """Gap tables of the campaign's waves, each computed once per (wave, unit) for one pair and filter."""

    def __init__(self, con: duckdb.DuckDBPyConnection, campaign_id: str, filters: tuple[tuple[str, str], ...]) -> None:
        self.con, self.campaign_id, self.filters = con, campaign_id, filters
        self._cache: dict[tuple[int, Group, Group, str], pd.DataFrame] = {}
        self._units: dict[tuple[int, str], dict[str, frozenset[str]]] = {}

    # Read when first asked: a campaign without actions asks nothing, and its summary reads no wave list.
    @cached_property
    def answered(self) -> list[int]:
        rows = self.con.execute("SELECT DISTINCT wave FROM responses WHERE campaign_id = ? ORDER BY wave", [self.campaign_id]).fetchall()
        return [int(r[0]) for r in rows]

    @cached_property
    def pulse(self) -> dict[int, bool]:
        return {w.wave: is_pulse_key(w.instrument_key) for w in list_waves(self.con, self.campaign_id)}

    def table(self, wave: int, a: Group, b: Group, unit: str) -> pd.DataFrame:
        key = (wave, a, b, unit)
        if key not in self._cache:
            view = open_view(self.con, Scope(self.campaign_id, wave, self.filters), extra=(a[0], b[0]), wave=wave)
            check_pair(view.matrix, view.filters, a, b)
            frame, _ = gap_table(view.matrix, view.cube, view.visible, view.reason, view.filters, a, b, unit, view.limits.k)
            self._cache[key] = frame.set_index("unit")
            self._units[(wave, unit)] = _units(view.matrix, unit)
        return self._cache[key]

    def units(self, wave: int, unit: str, a: Group, b: Group) -> dict[str, frozenset[str]]:
        """Each dimension (or item) the wave asked, with the items it was measured by."""
        self.table(wave, a, b, unit)
        return self._units[(wave, unit)]

    def measures(self, wave: int, unit: str, unit_id: str, like: int, a: Group, b: Group) -> bool:
        """Whether `wave` measures `unit_id` as wave `like` did (a dimension: the same items)."""
        mine, theirs = self.units(wave, unit, a, b).get(unit_id), self.units(like, unit, a, b).get(unit_id)
        return mine is not None and mine == theirs


def _units(matrix: Any, unit: str) -> dict[str, frozenset[str]]:
    if unit == "item":
        return {c.item_id: frozenset({c.item_id}) for c in matrix.catalogue}
    out: dict[str, set[str]] = {}
    for c in matrix.catalogue:
        out.setdefault(c.dimension, set()).add(c.item_id)
    return {d: frozenset(items) for d, items in out.items()}


def _se(row: pd.Series) -> float:
    """The standard error behind a shown gap's Welch CI; NaN for a hidden gap."""
    if bool(row["suppressed"]) or pd.isna(row["diff"]):
        return math.nan
    return float((row["ci_high"] - row["diff"]) / special.stdtrit(float(row["df"]), 0.975))


def _gap(gaps: _Gaps, wave: int, a: Group, b: Group, unit: str, unit_id: str) -> tuple[float, float, float, float] | None:
    """(diff, ci_low, ci_high, se) of one shown gap, or None when hidden or not measured."""
    table = gaps.table(wave, a, b, unit)
    if unit_id not in table.index:
        return None
    row = table.loc[unit_id]
    if bool(row["suppressed"]):
        return None
    return float(row["diff"]), float(row["ci_low"]), float(row["ci_high"]), _se(row)


def _pair(action: dict[str, Any], a: Group, b: Group) -> tuple[Group, Group]:
    if action["group_a"] and action["group_b"]:
        return parse_group(action["group_a"]), parse_group(action["group_b"])
    return a, b


def _action_row(gaps: _Gaps, action: dict[str, Any], a: Group, b: Group) -> dict[str, Any]:
    pa, pb = _pair(action, a, b)
    row: dict[str, Any] = {c: None for c in ACTION_COLUMNS}
    row.update(
        action_id=action["action_id"],
        title=action["title"],
        status=action["status"],
        target_kind=action["target_kind"],
        target_id=action["target_id"],
        a=f"{pa[0]}={pa[1]}",
        b=f"{pb[0]}={pb[1]}",
        wave_before=int(action["answers_wave"]),
    )
    kind, unit_id, before = action["target_kind"], action["target_id"], int(action["answers_wave"])
    if kind not in ("dimension", "item"):
        return {**row, "reason": f"a {kind.replace('_', ' ')} is not a gap between two groups"}
    if before not in gaps.answered:
        return {**row, "reason": f"wave {before} holds no answers"}
    try:
        first = _gap(gaps, before, pa, pb, kind, unit_id)
        later = [w for w in gaps.answered if w > before and gaps.measures(w, kind, unit_id, before, pa, pb)]
    except ScopeError as exc:
        return {**row, "reason": str(exc)}
    if first is not None:
        row.update(gap_before=first[0], gap_before_low=first[1], gap_before_high=first[2])
    if not later:
        return {**row, "reason": "no later wave measures it yet" if first else "hidden: a group is below the threshold"}
    row["wave_after"] = later[-1]
    second = _gap(gaps, later[-1], pa, pb, kind, unit_id)
    if second is not None:
        row.update(gap_after=second[0], gap_after_low=second[1], gap_after_high=second[2])
    if first is None or second is None:
        return {**row, "reason": "hidden: a group is below the threshold"}
    change, half = second[0] - first[0], Z * math.hypot(first[3], second[3])
    return {**row, "change": change, "ci_low": change - half, "ci_high": change + half, "reason": "shown"}


def _targeted_dimensions(actions: pd.DataFrame, gaps: _Gaps, a: Group, b: Group) -> tuple[set[str], int | None]:
    """The dimensions the counted actions point at, and the wave they answer (the earliest, if several)."""
    dims: set[str] = set()
    waves: list[int] = []
    for action in actions.to_dict("records"):
        if action["status"] == "dropped" or action["target_kind"] not in ("dimension", "item") or _pair(action, a, b) != (a, b):
            continue
        wave = int(action["answers_wave"])
        if action["target_kind"] == "dimension":
            dims.add(action["target_id"])
        elif wave in gaps.answered:
            dims.update(d for d, items in gaps.units(wave, "dimension", a, b).items() if action["target_id"] in items)
        waves.append(wave)
    return dims, (min(waves) if waves else None)


def _mean(changes: list[tuple[float, float]]) -> tuple[float | None, float]:
    if not changes:
        return None, math.nan
    values = np.array(changes)
    return float(values[:, 0].mean()), float((values[:, 1] ** 2).sum() / len(values) ** 2)


def _dimension_changes(
    gaps: _Gaps, before: int, after: int, targeted: set[str], a: Group, b: Group
) -> list[tuple[str, bool, float, float, float, float]]:
    """(dimension, targeted, gap before, gap after, change, se of the change) for every dimension both waves show alike."""
    dims_before, dims_after = gaps.units(before, "dimension", a, b), gaps.units(after, "dimension", a, b)
    records = []
    for dim, items in dims_before.items():
        if dims_after.get(dim) != items:
            continue
        first, second = _gap(gaps, before, a, b, "dimension", dim), _gap(gaps, after, a, b, "dimension", dim)
        if first is None or second is None:
            continue
        records.append((dim, dim in targeted, first[0], second[0], second[0] - first[0], math.hypot(first[3], second[3])))
    return records


def closure(
    con: duckdb.DuckDBPyConnection, campaign_id: str, a: Group = DEFAULT_A, b: Group = DEFAULT_B, filters: tuple[tuple[str, str], ...] = ()
) -> Closure:
    """Every action's gap before and after, and targeted minus untargeted change of the dimension gaps (see the module docstring)."""
    actions = list_actions(con, campaign_id)
    gaps = _Gaps(con, campaign_id, filters)
    rows = [_action_row(gaps, action, a, b) for action in actions.to_dict("records")]
    per_action = pd.DataFrame(rows, columns=ACTION_COLUMNS)
    label_a, label_b = f"{a[0]}={a[1]}", f"{b[0]}={b[1]}"
    empty = pd.DataFrame(columns=["dimension", "targeted", "before", "after", "change", "se"])

    def nothing(note: str, before: int | None = None, after: int | None = None) -> Closure:
        return Closure(per_action, empty, None, None, None, None, 0, 0, before, after, label_a, label_b, note)

    try:
        targeted, before = _targeted_dimensions(actions, gaps, a, b)
    except ScopeError as exc:
        return nothing(str(exc))
    if before is None:
        return nothing("no action points at a dimension or item gap of this pair yet")
    full_after = [w for w in gaps.answered if w > before and not gaps.pulse.get(w, False)]
    if before not in gaps.answered or not full_after:
        return nothing(f"no full wave after wave {before} yet: closure needs one to compare with", before)
    after = full_after[-1]
    try:
        records = _dimension_changes(gaps, before, after, targeted, a, b)
    except ScopeError as exc:  # e.g. the filters fix the pair's attribute: no gap to close
        return nothing(str(exc), before, after)
    table = pd.DataFrame(records, columns=["dimension", "targeted", "before", "after", "change", "se"])
    t_mean, t_var = _mean([(c, s) for _, hit, _, _, c, s in records if hit])
    u_mean, u_var = _mean([(c, s) for _, hit, _, _, c, s in records if not hit])
    n_t, n_u = int(table["targeted"].sum()) if len(table) else 0, int((~table["targeted"]).sum()) if len(table) else 0
    if t_mean is None or u_mean is None:
        note = "no shown targeted gap" if t_mean is None else "no shown untargeted gap to compare with"
        return Closure(per_action, table, t_mean, u_mean, None, None, n_t, n_u, before, after, label_a, label_b, note)
    did = t_mean - u_mean
    half = Z * math.sqrt(t_var + u_var)
    return Closure(per_action, table, t_mean, u_mean, did, (did - half, did + half), n_t, n_u, before, after, label_a, label_b, "")


def _num(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def summary_sections(result: Closure) -> dict[str, Any]:
    """`actions` and `closure` of `summary --json`: numbers only where their gaps are shown."""
    actions = []
    for row in result.actions.to_dict("records"):
        target = {"kind": row["target_kind"], "id": row["target_id"], "a": row["a"], "b": row["b"]}
        actions.append(
            {
                "id": row["action_id"],
                "title": row["title"],
                "status": row["status"],
                "target": target,
                "wave_before": row["wave_before"],
                "wave_after": None if row["wave_after"] is None or pd.isna(row["wave_after"]) else int(row["wave_after"]),
                "gap_before": _num(row["gap_before"]),
                "gap_after": _num(row["gap_after"]),
                "change": _num(row["change"]),
                "ci": [_num(row["ci_low"]), _num(row["ci_high"])] if row["change"] is not None and not pd.isna(row["change"]) else None,
                "reason": row["reason"],
            }
        )
    closure_doc = {
        "a": result.a,
        "b": result.b,
        "wave_before": result.wave_before,
        "wave_after": result.wave_after,
        "targeted": _num(result.targeted),
        "untargeted": _num(result.untargeted),
        "did": _num(result.did),
        "ci": list(result.ci) if result.ci else None,
        "n_targeted": result.n_targeted,
        "n_untargeted": result.n_untargeted,
        "method": METHOD,
        "limits": LIMITS,
        "note": result.note,
    }
    return {"actions": actions, "closure": closure_doc}
