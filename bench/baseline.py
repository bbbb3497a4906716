"""The pandas baseline: the numbers of `analysis.engine.summary`, computed the vectorised pandas way from a long DataFrame.

The input is the contract's long format (one row per answer: response id, attributes, dimension,
item, value) as a DataFrame with categorical columns, the way a pandas user would hold 30 million
rows. Everything after that is timed: pivot to one row per respondent (scatter by category codes),
reverse keys, dimension scores (half-answered rule), `groupby(...).agg` per attribute for n, mean and
SD, t-intervals, r_wg, the anonymity rules of a one-attribute breakdown as array maths, Welch gaps
with Hedges' g and Benjamini–Hochberg, and Cronbach's alpha over complete cases. No Python loop runs
over respondents or answers; loops run over the handful of attributes and dimensions only, and over
the few hundred finished cells to write the same document the engine writes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from scipy import stats

from analysis.insights.agreement import agreement_rows
from analysis.insights.coherence import coherence_document, coherence_table
from survey.instrument import Instrument

LONG_SQL = """
    WITH picked AS (
        SELECT response_id, CAST(row_number() OVER (ORDER BY response_id) - 1 AS INTEGER) AS r
        FROM responses WHERE campaign_id = $campaign AND wave = $wave
    ), attrs AS (
        SELECT response_id, {pivot} FROM response_attributes
        WHERE response_id IN (SELECT response_id FROM picked) GROUP BY response_id
    ), catalogue(item_id, i) AS (VALUES {catalogue})
    SELECT p.r, CAST(c.i AS SMALLINT) AS i, CAST(a.value AS DOUBLE) AS value, {codes}
    FROM picked p JOIN answers a USING (response_id) JOIN catalogue c USING (item_id) LEFT JOIN attrs USING (response_id)
"""
IDS_SQL = "SELECT response_id FROM responses WHERE campaign_id = $campaign AND wave = $wave ORDER BY response_id"


@dataclass(frozen=True)
class Meta:
    """What the computation needs to know about the questionnaire and the campaign (not data)."""

    item_ids: tuple[str, ...]
    item_dims: tuple[str, ...]
    reverse: tuple[bool, ...]
    dimension_ids: tuple[str, ...]
    attributes: dict[str, tuple[str, ...]]
    scale_min: int
    scale_max: int
    k: int
    comment_k: int
    campaign_id: str
    wave: int
    pair: tuple[tuple[str, str], tuple[str, str]]


def load_long(con: duckdb.DuckDBPyConnection, instrument: Instrument, campaign_id: str, wave: int = 1) -> tuple[pd.DataFrame, Meta]:
    """The wave's answers as a long categorical DataFrame (not timed: this is the data the baseline starts from)."""
    attrs = list(instrument.attributes)
    items = [(item.id, dim.id, item.reverse) for dim in instrument.dimensions for item in dim.items]
    pivot = ", ".join(f"max(CASE WHEN attribute = '{a}' THEN value END) AS \"a_{a}\"" for a in attrs)
    codes = ", ".join(
        'CAST(CASE "a_{a}" {whens} ELSE -1 END AS TINYINT) AS "{a}"'.format(
            a=a, whens=" ".join(f"WHEN '{o}' THEN {j}" for j, o in enumerate(instrument.attributes[a].options))
        )
        for a in attrs
    )
    catalogue = ", ".join(f"('{item_id}', {i})" for i, (item_id, _, _) in enumerate(items))
    params = {"campaign": campaign_id, "wave": wave}
    raw = con.execute(LONG_SQL.format(pivot=pivot, codes=codes, catalogue=catalogue), params).fetchnumpy()
    ids = con.execute(IDS_SQL, params).fetchnumpy()["response_id"]
    item_ids = [i for i, _, _ in items]
    dims_of_item = np.array([instrument.dimension_ids.index(d) for _, d, _ in items])
    item_codes = np.asarray(raw["i"], dtype=np.int16)
    value = raw["value"]
    value = value.filled(np.nan) if np.ma.isMaskedArray(value) else np.asarray(value, dtype=float)
    frame = pd.DataFrame(
        {
            "response_id": pd.Categorical.from_codes(np.asarray(raw["r"]), categories=pd.Index(np.asarray(ids, dtype=object))),
            **{a: pd.Categorical.from_codes(np.asarray(raw[a]), categories=list(instrument.attributes[a].options)) for a in attrs},
            "dimension": pd.Categorical.from_codes(dims_of_item[item_codes], categories=list(instrument.dimension_ids)),
            "item_id": pd.Categorical.from_codes(item_codes, categories=item_ids),
            "value": value,
        }
    )
    row = con.execute("SELECT threshold, comment_threshold FROM campaigns WHERE campaign_id = ?", [campaign_id]).fetchone()
    k = max(3, int(row[0]))
    level = instrument.attributes.get("level")
    if level is not None and "board" in level.options and "shop_floor" in level.options:
        pair = (("level", "board"), ("level", "shop_floor"))
    else:
        first = next(iter(instrument.attributes.values()))
        pair = ((first.id, list(first.options)[0]), (first.id, list(first.options)[1]))
    meta = Meta(
        item_ids=tuple(item_ids),
        item_dims=tuple(d for _, d, _ in items),
        reverse=tuple(r for _, _, r in items),
        dimension_ids=tuple(instrument.dimension_ids),
        attributes={a: tuple(instrument.attributes[a].options) for a in attrs},
        scale_min=instrument.scale.min,
        scale_max=instrument.scale.max,
        k=k,
        comment_k=max(k, int(row[1])),
        campaign_id=campaign_id,
        wave=wave,
        pair=pair,
    )
    return frame, meta


# --- the timed part -------------------------------------------------------------------------------------------


def _respondents(long: pd.DataFrame, meta: Meta) -> pd.DataFrame:
    """One row per respondent: attributes, reverse-scored items, dimension scores (at least half the items answered)."""
    r = long["response_id"].cat.codes.to_numpy()
    i = long["item_id"].cat.codes.to_numpy()
    n_resp = len(long["response_id"].cat.categories)
    wide = np.full((n_resp, len(meta.item_ids)), np.nan)
    wide[r, i] = long["value"].to_numpy()
    reverse = np.array(meta.reverse)
    wide[:, reverse] = (meta.scale_min + meta.scale_max) - wide[:, reverse]
    people = pd.DataFrame(wide, columns=list(meta.item_ids))
    for attribute, options in meta.attributes.items():
        codes = np.full(n_resp, -1, dtype=np.int8)
        codes[r] = long[attribute].cat.codes.to_numpy()
        people[attribute] = pd.Categorical.from_codes(codes, categories=list(options))
    for dimension in meta.dimension_ids:
        items = people[[it for it, d in zip(meta.item_ids, meta.item_dims, strict=True) if d == dimension]]
        answered = items.notna().sum(axis=1)
        people[dimension] = (items.sum(axis=1) / answered).where(2 * answered >= items.shape[1])
    return people


def _describe(n: pd.DataFrame, mean: pd.DataFrame, sd: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """95% t-interval around the mean."""
    df = (n - 1).where(n > 1)
    half = pd.DataFrame(stats.t.ppf(0.975, df.to_numpy(dtype=float)), index=n.index, columns=n.columns) * sd / np.sqrt(n)
    return mean - half, mean + half


SHOWN, BELOW, COMPLEMENTARY, DIFFERENCING, WITHIN_HIDDEN, NOT_STATED, FILTER_HIDDEN, COMBINATION = range(8)
REASONS = ["shown", "below_threshold", "complementary", "differencing", "within_hidden", "not_stated", "filter_hidden", "combination"]


def _visibility(n_opts: np.ndarray, n_any: np.ndarray, any_shown: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Shown flag and reason per (option, unit) of a one-attribute breakdown: threshold, differencing, within hidden, complementary."""
    reason = np.where(n_opts >= k, SHOWN, BELOW)
    ok = n_opts >= k
    differs = (n_any - n_opts > 0) & (n_any - n_opts < k)
    reason = np.where(ok & differs, DIFFERENCING, reason)
    ok &= ~differs
    reason = np.where(ok & ~any_shown, WITHIN_HIDDEN, reason)
    ok &= any_shown
    hidden_total = n_any - np.where(ok, n_opts, 0).sum(axis=0)
    needs_more = (hidden_total > 0) & (hidden_total < k)
    smallest = np.argmin(np.where(ok, n_opts, np.inf), axis=0)
    chosen = np.zeros_like(ok)
    chosen[smallest, np.arange(ok.shape[1])] = True
    hide = chosen & ok & needs_more
    return ok & ~hide, np.where(hide, COMPLEMENTARY, reason)


def _rwg(var: pd.DataFrame, points: int) -> pd.DataFrame:
    return (1 - var / ((points * points - 1) / 12.0)).clip(0.0, 1.0)


def _cells(n: pd.DataFrame, mean: pd.DataFrame, sd: pd.DataFrame, shown: pd.DataFrame, meta: Meta) -> dict[str, pd.DataFrame]:
    """Rows = groups, columns = units (dimensions then items): every number of a cell, NaN where hidden."""
    low, high = _describe(n, mean, sd)
    points = meta.scale_max - meta.scale_min + 1
    item_rwg = _rwg(sd[list(meta.item_ids)] ** 2, points).where(shown[list(meta.item_ids)])
    dim_of = pd.Series(meta.item_dims, index=list(meta.item_ids))
    dim_rwg = item_rwg.T.groupby(dim_of, sort=False).mean().T[list(meta.dimension_ids)]
    rwg = pd.concat([dim_rwg, item_rwg], axis=1)
    out = {"n": n, "mean": mean, "sd": sd, "ci_low": low, "ci_high": high, "rwg": rwg}
    return {key: frame.where(shown) for key, frame in out.items()}


def _cell_lists(values: dict[str, pd.DataFrame], shown: pd.DataFrame) -> list[list[dict[str, Any]]]:
    """Rows = groups, columns = units, each a CELL of the document (plain lists first: element access on frames is slow)."""
    n, mean, sd, low, high, rwg = (values[key].to_numpy(dtype=float).tolist() for key in ("n", "mean", "sd", "ci_low", "ci_high", "rwg"))
    visible = shown.to_numpy(dtype=bool).tolist()
    return [
        [
            {
                "n": int(n[g][u]),
                "mean": _num(mean[g][u]),
                "sd": _num(sd[g][u]),
                "ci": [_num(low[g][u]), _num(high[g][u])],
                "rwg": _num(rwg[g][u]),
            }
            if visible[g][u]
            else {"suppressed": True}
            for u in range(len(visible[g]))
        ]
        for g in range(len(visible))
    ]


def _num(value: Any) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


def _gaps(
    people: pd.DataFrame, units: list[str], meta: Meta, shown_by: dict[str, tuple[pd.DataFrame, pd.DataFrame]], key: str
) -> list[dict]:
    (attr_a, opt_a), (attr_b, opt_b) = meta.pair
    group_a = people.loc[people[attr_a] == opt_a, units]
    group_b = people.loc[people[attr_b] == opt_b, units]
    n_a, m_a, v_a = group_a.count(), group_a.mean(), group_a.var()
    n_b, m_b, v_b = group_b.count(), group_b.mean(), group_b.var()
    shown_a, why_a = (f.loc[opt_a, units] for f in shown_by[attr_a])
    shown_b, why_b = (f.loc[opt_b, units] for f in shown_by[attr_b])
    shown = shown_a & shown_b
    with np.errstate(divide="ignore", invalid="ignore"):
        sa, sb = v_a / n_a, v_b / n_b
        se = np.sqrt(sa + sb)
        df = (sa + sb) ** 2 / (sa**2 / (n_a - 1) + sb**2 / (n_b - 1))
        diff = m_a - m_b
        t = (diff / se).where(se > 0)
        p = pd.Series(2 * stats.t.sf(np.abs(t), df), index=units).where(shown)
        half = stats.t.ppf(0.975, df) * se
        pooled = np.sqrt(((n_a - 1) * v_a + (n_b - 1) * v_b) / (n_a + n_b - 2))
        g = diff / pooled * (1 - 3 / (4 * (n_a + n_b) - 9))
    p_adj = pd.Series(np.nan, index=units)
    finite = np.isfinite(p)
    if finite.any():
        p_adj[finite] = stats.false_discovery_control(p[finite], method="bh")
    a, b = f"{attr_a}={opt_a}", f"{attr_b}={opt_b}"
    rows = []
    for unit in units:
        if not shown[unit]:
            why = f"a: {REASONS[int(why_a[unit])]}" if why_a[unit] else f"b: {REASONS[int(why_b[unit])]}"
            rows.append({"a": a, "b": b, key: unit, "suppressed": True, "reason": why})
            continue
        rows.append(
            {
                "a": a,
                "b": b,
                key: unit,
                "diff": _num(diff[unit]),
                "ci": [_num(diff[unit] - half[unit]), _num(diff[unit] + half[unit])],
                "effect_size": _num(g[unit]),
                "p": _num(p[unit]),
                "p_adj": _num(p_adj[unit]),
                "n_a": int(n_a[unit]),
                "mean_a": _num(m_a[unit]),
                "n_b": int(n_b[unit]),
                "mean_b": _num(m_b[unit]),
            }
        )
    return rows


def _alpha(people: pd.DataFrame, meta: Meta, population_shown: bool) -> dict[str, tuple[float | None, bool]]:
    out = {}
    for dimension in meta.dimension_ids:
        items = [it for it, d in zip(meta.item_ids, meta.item_dims, strict=True) if d == dimension]
        complete = people[items].dropna()
        n, m = len(complete), len(items)
        total_var = complete.sum(axis=1).var()
        alpha = m / (m - 1) * (1 - complete.var().sum() / total_var) if m >= 2 and np.isfinite(total_var) and total_var > 0 else math.nan
        shown = population_shown and n >= meta.k and m >= 2
        out[dimension] = (_num(alpha) if shown else None, bool(shown and alpha < 0.7))
    return out


def pandas_summary(long: pd.DataFrame, meta: Meta, audited: frozenset[tuple[str, str]] = frozenset()) -> dict[str, Any]:
    """The engine's summary document (numbers, suppression, gaps, agreement, alpha) from the long frame.

    The rules are computed here again, in pandas; what the engine's disclosure audit hid on top of
    them (its exact search over every combination of views, `audited` as (unit, group) pairs) is
    taken as given, since it decides nothing about the numbers themselves.
    """
    people = _respondents(long, meta)
    units = list(meta.dimension_ids) + list(meta.item_ids)
    values = people[units]
    k = meta.k
    n_all = values.count().to_frame("all").T
    n_people = len(people)
    population_shown = n_people >= k
    # A cell shows a unit only when both its count for the unit and its count of respondents pass the rules.
    shown_all = (n_all >= k) & population_shown
    audited_all = pd.DataFrame([[(u, "all") in audited for u in units]], index=["all"], columns=units)
    shown_all &= ~audited_all
    overall = _cells(n_all, values.mean().to_frame("all").T, values.std().to_frame("all").T, shown_all, meta)
    why_all = pd.DataFrame(np.where(shown_all, SHOWN, np.where(audited_all, COMBINATION, BELOW)), index=["all"], columns=units)
    by: dict[str, dict[str, pd.DataFrame]] = {}
    shown_by: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    for attribute, options in meta.attributes.items():
        grouped = people.groupby(attribute, observed=False)[units]
        n = grouped.count().reindex(list(options))
        visible, reason = _visibility(n.to_numpy(), n_all.to_numpy()[0], n_all.to_numpy()[0] >= k, k)
        heads = people[attribute].value_counts(sort=False).reindex(list(options)).to_numpy()[:, None]
        heads_visible, heads_reason = _visibility(heads, np.array([n_people]), np.array([population_shown]), k)
        reason = np.where(visible & ~heads_visible, heads_reason, reason)
        visible = visible & heads_visible
        by_audit = np.array([[(u, f"{attribute}={o}") in audited for u in units] for o in options], dtype=bool).reshape(visible.shape)
        reason = np.where(visible & by_audit, COMBINATION, reason)
        visible = visible & ~by_audit
        if not population_shown:
            reason, visible = np.full_like(reason, FILTER_HIDDEN), np.zeros_like(visible)
        shown = pd.DataFrame(visible, index=n.index, columns=units)
        shown_by[attribute] = (shown, pd.DataFrame(reason, index=n.index, columns=units))
        by[attribute] = _cells(n, grouped.mean().reindex(list(options)), grouped.std().reindex(list(options)), shown, meta)
    alpha = _alpha(people, meta, population_shown)

    document: dict[str, Any] = {"respondents": len(people) if population_shown else None, "dimensions": {}, "items": {}}
    overall_cells = _cell_lists(overall, shown_all)[0]
    by_cells = {attribute: _cell_lists(by[attribute], shown_by[attribute][0]) for attribute in meta.attributes}
    reasons = {attribute: shown_by[attribute][1].to_numpy().tolist() for attribute in meta.attributes}
    suppressed = []
    for u, unit in enumerate(units):
        entry: dict[str, Any] = {"overall": overall_cells[u], "by": {}}
        if "suppressed" in overall_cells[u]:
            suppressed.append({"unit": unit, "group": "all", "reason": REASONS[int(why_all.iat[0, u])]})
        for attribute, options in meta.attributes.items():
            entry["by"][attribute] = {o: by_cells[attribute][g][u] for g, o in enumerate(options)}
            suppressed.extend(
                {"unit": unit, "group": f"{attribute}={o}", "reason": REASONS[int(reasons[attribute][g][u])]}
                for g, o in enumerate(options)
                if "suppressed" in by_cells[attribute][g][u]
            )
        if unit in meta.dimension_ids:
            a, low = alpha[unit]
            document["dimensions"][unit] = {"alpha": a, "alpha_low": low, **entry}
        else:
            position = meta.item_ids.index(unit)
            document["items"][unit] = {"dimension": meta.item_dims[position], "reverse": meta.reverse[position], **entry}
    document["gaps"] = _gaps(people, list(meta.dimension_ids), meta, shown_by, "dimension") + _gaps(
        people, list(meta.item_ids), meta, shown_by, "item"
    )
    document["agreement"] = {
        "dimensions": {
            d: {
                "overall": document["dimensions"][d]["overall"].get("rwg"),
                "by": {a: {o: c.get("rwg") for o, c in opts.items()} for a, opts in document["dimensions"][d]["by"].items()},
            }
            for d in meta.dimension_ids
        }
    }
    document["suppressed"] = suppressed
    document["coherence"] = _coherence(document, meta)
    document["splits"] = _splits(people, meta, shown_all, shown_by)
    return document


def _coherence(document: dict[str, Any], meta: Meta) -> dict[str, Any]:
    """C = B × W per dimension from this baseline's own level cells (the arithmetic of analysis.insights.coherence)."""
    levels = "level" if "level" in meta.attributes else next(iter(meta.attributes))
    rows = [
        {
            "unit_type": "dimension",
            "unit": d,
            "attribute": levels,
            "n": c.get("n"),
            "mean": c.get("mean"),
            "rwg": c.get("rwg"),
            "suppressed": "suppressed" in c,
        }
        for d in meta.dimension_ids
        for c in document["dimensions"][d]["by"][levels].values()
    ]
    return coherence_document(coherence_table(pd.DataFrame(rows), levels, meta.scale_min, meta.scale_max))


def _splits(
    people: pd.DataFrame, meta: Meta, shown_all: pd.DataFrame, shown_by: dict[str, tuple[pd.DataFrame, pd.DataFrame]]
) -> list[dict[str, Any]]:
    """van der Eijk's A < 0 per item and shown group, from answer counts by group (one bincount per item and attribute)."""
    points = meta.scale_max - meta.scale_min + 1
    out = []
    for item in meta.item_ids:
        answered = people[item].notna().to_numpy()
        value = (people[item].to_numpy()[answered] - meta.scale_min).astype(np.int64)
        groups = [("all", np.zeros(int(answered.sum()), dtype=np.int64), 1, shown_all[item].to_numpy())]
        for attribute, options in meta.attributes.items():
            codes = people[attribute].cat.codes.to_numpy()[answered].astype(np.int64)
            codes = np.where(codes < 0, len(options), codes)
            groups.append((attribute, codes, len(options) + 1, shown_by[attribute][0][item].to_numpy()))
        for attribute, codes, size, shown in groups:
            counts = np.bincount(codes * points + value, minlength=size * points).reshape(size, points)[: len(shown)]
            a = agreement_rows(counts.astype(float))
            for g in np.flatnonzero(shown & (a < 0)):
                group = "all" if attribute == "all" else f"{attribute}={meta.attributes[attribute][g]}"
                out.append({"group": group, "item": item, "agreement_a": float(a[g]), "n": int(counts[g].sum())})
    return sorted(out, key=lambda s: (s["agreement_a"], s["item"], s["group"]))


# --- checking the two agree ---------------------------------------------------------------------------------------


def _flatten_insights(document: dict[str, Any]) -> dict[tuple, Any]:
    """Coherence by dimension and splits by item and group."""
    out: dict[tuple, Any] = {}
    coherence = document.get("coherence") or {}
    out[("coherence", "overall")] = coherence.get("overall")
    for dim, entry in (coherence.get("dimensions") or {}).items():
        for stat, value in entry.items():
            out[("coherence", dim, stat)] = value
    for split in document.get("splits") or []:
        out[("split", split["item"], split["group"], "agreement_a")] = split["agreement_a"]
        out[("split", split["item"], split["group"], "n")] = split["n"]
    return out


def flatten(document: dict[str, Any]) -> dict[tuple, Any]:
    """Every number and flag of a summary document keyed by its path; gaps and suppressed cells keyed by unit, not order."""
    out: dict[tuple, Any] = {("respondents",): document.get("respondents")}
    for kind in ("dimensions", "items"):
        for unit, entry in document[kind].items():
            for key in ("alpha", "alpha_low", "dimension", "reverse"):
                if key in entry:
                    out[(kind, unit, key)] = entry[key]
            cells = [("all", entry["overall"])] + [(f"{a}={o}", c) for a, opts in entry["by"].items() for o, c in opts.items()]
            for group, cell in cells:
                for stat, value in cell.items():
                    if stat == "ci":
                        out[(kind, unit, group, "ci_low")], out[(kind, unit, group, "ci_high")] = value
                    else:
                        out[(kind, unit, group, stat)] = value
    out.update(_flatten_insights(document))
    for gap in document["gaps"]:
        unit = gap.get("dimension") or gap.get("item")
        for stat, value in gap.items():
            if stat == "ci":
                out[("gap", gap["a"], gap["b"], unit, "ci_low")], out[("gap", gap["a"], gap["b"], unit, "ci_high")] = value
            else:
                out[("gap", gap["a"], gap["b"], unit, stat)] = value
    for dim, agreement in document["agreement"]["dimensions"].items():
        out[("agreement", dim, "all")] = agreement["overall"]
        for a, opts in agreement["by"].items():
            for o, value in opts.items():
                out[("agreement", dim, f"{a}={o}")] = value
    for cell in document["suppressed"]:
        out[("suppressed", cell["unit"], cell["group"])] = cell["reason"]
    return out


def differences(engine_doc: dict[str, Any], pandas_doc: dict[str, Any], tolerance: float = 1e-9) -> list[str]:
    """Where the two documents disagree: a missing key, a different flag or text, or numbers further apart than `tolerance`.

    The tolerance is relative for large numbers and absolute near zero (math.isclose with both set).
    """
    a, b = flatten(engine_doc), flatten(pandas_doc)
    problems = [f"only in engine: {key}" for key in a.keys() - b.keys()] + [f"only in pandas: {key}" for key in b.keys() - a.keys()]
    for key in a.keys() & b.keys():
        x, y = a[key], b[key]
        if isinstance(x, bool) or isinstance(y, bool) or isinstance(x, str) or isinstance(y, str) or x is None or y is None:
            if x != y:
                problems.append(f"{key}: engine {x!r}, pandas {y!r}")
        elif not math.isclose(float(x), float(y), rel_tol=tolerance, abs_tol=tolerance):
            problems.append(f"{key}: engine {x!r}, pandas {y!r}")
    return sorted(problems)
