"""The analysis facade the pages and exports call: every function returns frames that are already suppressed.

Usage:
    scope = Scope("demo", wave=None, filters=(("site", "venlo"),))
    result = heatmap(con, scope, unit="dimension", by="level")
    result.data        # one row per (unit, group); hidden cells have suppressed=True and no numbers
    result.anonymity   # AnonymityReport: threshold, hidden cells with reasons, notes

A `Scope` is a campaign, a wave (None = the newest wave holding responses) and filters: pairs of
(attribute, option), at most one per attribute, combined with AND. Every view applies the anonymity
rules of `analysis.anonymity` (threshold k from the campaign, never below 3; comments use the
larger comment threshold), including a hidden filtered population, secondary suppression and
differencing against the unfiltered groups, so no caller can show a number the rules forbid.

Functions and the columns of `result.data`:
- heatmap(con, scope, unit="dimension"|"item", by="level"|None) -> Result
    unit_type, unit, dimension, group, attribute, option, n, mean, sd, ci_low, ci_high, rwg, suppressed, reason
    (first the filtered population, group "all", then one row per option of `by`, for every unit)
- agreement(con, scope, unit="dimension", by="level") -> Result
    unit_type, unit, dimension, group, attribute, option, n, mean, sd, rwg, suppressed, reason
- gaps(con, scope, a=("level", "board"), b=("level", "shop_floor"), unit="dimension"|"item") -> Result
    unit_type, unit, dimension, a, b, n_a, mean_a, n_b, mean_b, diff, ci_low, ci_high, t, df, p, p_adj,
    effect_size (Hedges' g), suppressed, reason — sorted by |diff|, largest first
- item_distribution(con, scope, item_id, by="level", lang="en") -> Result
    item, dimension, reverse, group, attribute, option, value, label, n, pct, suppressed, reason
- value_at_stake(con, scope, by="level", a=..., b=...) -> ValueAtStake with
    shares: loss, group, attribute, option, n, share, suppressed, reason
    ranking: loss, share_all, a, b, share_a, share_b, diff, ci_low, ci_high, eur_per_year,
             value_weight, misalignment_weight, priority, rank, diff_suppressed, diff_reason
- comments(con, scope, dimension=None, by=None, search=None, seed=None) -> Result
    dimension, group, attribute, option, text, wave — shuffled
- trend(con, scope, earlier_wave, unit="dimension", by=None) -> Result
    unit_type, unit, dimension, group, attribute, option, n_before, mean_before, n_after, mean_after,
    change, ci_low, ci_high, p, p_adj, effect_size, suppressed, reason
- closure(con, scope, a=..., b=...) -> analysis.closure.Closure (actions: action_id, title, status, target_kind,
    target_id, a, b, wave_before, wave_after, gap_before(_low/_high), gap_after(_low/_high), change, ci_low, ci_high,
    reason; targeted, untargeted, did, ci, n_targeted, n_untargeted) over the campaign's waves, with the scope's filters
- participation(con, scope, by="level") -> Result
    group, attribute, option, n, headcount, response_rate, suppressed, reason
- representation(con, scope) -> dict: shop-floor response rate ÷ the other levels' (analysis.representation)
- reliability(con, scope) -> Result
    dimension, items, n, alpha, low, suppressed, reason
- coherence(con, scope) -> Result
    dimension, index, between, within, n, levels (analysis.insights.coherence; over the shown levels)
- coherence_trend(con, scope, earlier_wave) -> Result
    dimension ("all" first), index_before, index_after, change
- item_agreement(con, scope, by="level") -> Result
    item, dimension, group, attribute, option, n, agreement_a, split, suppressed, reason (van der Eijk's A)
- summary(con, scope, a=..., b=...) -> dict, the document of `python -m analysis summary --json`.

Every frame passes `analysis.schemas` on the way out: a hidden row carrying a number, or a shown row
counting fewer than k, raises instead of reaching a page or an export.

Cost: the first view of a wave reads storage in one DuckDB pass and keeps only the finest cells (a
few hundred rows of n, sum, sum of squares), in memory and in the database (`analysis.stored_cells`,
so a restarted server starts from them); every later view of that wave is added up from them
without touching respondents. A new or deleted response is noticed on the next call (see
`analysis.scoring`); `clear_matrices()` forgets what this process holds, `survey.store.forget_wave_cells`
what the database keeps, e.g. to time a read from scratch.
"""

from __future__ import annotations

from typing import Any

import duckdb

from analysis import schemas
from analysis.anonymity import AnonymityReport, HiddenCell
from analysis.closure import Closure
from analysis.closure import closure as closure_of
from analysis.comments import COMMENTS_BY_ONE_ATTRIBUTE, comment_attribute, comment_table, reveals_one_attribute
from analysis.distribution import distribution_table
from analysis.gaps import DEFAULT_A, DEFAULT_B, Group, check_pair, gap_table
from analysis.groups import group_table, report_of, view_cells
from analysis.insights.agreement import agreement_cells
from analysis.insights.coherence import coherence_change, coherence_table, level_attribute
from analysis.insights.document import Insights
from analysis.insights.document import insights as insight_frames_of
from analysis.participation import headcounts, participation_table
from analysis.reliability import reliability_table
from analysis.representation import ATTRIBUTE
from analysis.representation import representation as representation_of
from analysis.scope import Result, Scope, ScopeError, ValueAtStake, open_view, resolve_wave
from analysis.summary import build_summary
from analysis.trend import trend_table
from analysis.value import estimates, ranking_table, share_table


def heatmap(con: duckdb.DuckDBPyConnection, scope: Scope, unit: str = "dimension", by: str | None = "level") -> Result:
    """Score of every dimension (or item) for the filtered population and each option of `by`."""
    v = open_view(con, scope, by)
    frame, report = group_table(v.matrix, v.cube, v.visible, v.reason, view_cells(v.cube, v.filters, by), unit, v.limits.k)
    return Result(schemas.check(frame, "groups", v.limits.k), report, v.matrix.wave, v.limits.k)


def agreement(con: duckdb.DuckDBPyConnection, scope: Scope, unit: str = "dimension", by: str | None = "level") -> Result:
    """Spread within each group beside its mean: SD and r_wg (see analysis.groups for the definition)."""
    result = heatmap(con, scope, unit, by)
    columns = ["unit_type", "unit", "dimension", "group", "attribute", "option", "n", "mean", "sd", "rwg", "suppressed", "reason"]
    return Result(result.data[columns], result.anonymity, result.wave, result.threshold)


def gaps(con: duckdb.DuckDBPyConnection, scope: Scope, a: Group = DEFAULT_A, b: Group = DEFAULT_B, unit: str = "dimension") -> Result:
    """Gap A − B per dimension or item with Welch CI, Hedges' g and BH-adjusted p, sorted by size."""
    v = open_view(con, scope, extra=(a[0], b[0]))
    check_pair(v.matrix, v.filters, a, b)
    frame, report = gap_table(v.matrix, v.cube, v.visible, v.reason, v.filters, a, b, unit, v.limits.k)
    return Result(schemas.check(frame, "gaps", v.limits.k), report, v.matrix.wave, v.limits.k)


def item_distribution(con: duckdb.DuckDBPyConnection, scope: Scope, item_id: str, by: str | None = "level", lang: str = "en") -> Result:
    """Percentage of answers at each scale value of one item, per group, for diverging stacked bars."""
    v = open_view(con, scope, by)
    frame, report = distribution_table(con, v.matrix, v.cube, v.visible, v.reason, v.filters, by, item_id, v.limits.k, lang)
    return Result(schemas.check(frame, "distribution", v.limits.k), report, v.matrix.wave, v.limits.k)


def value_at_stake(
    con: duckdb.DuckDBPyConnection, scope: Scope, by: str | None = "level", a: Group = DEFAULT_A, b: Group = DEFAULT_B
) -> ValueAtStake:
    """Share of each group naming each loss, and the losses ranked by € value and A-vs-B misalignment."""
    v = open_view(con, scope, by, extra=(a[0], b[0]))
    if not v.matrix.losses:
        raise ValueError(f"instrument {v.matrix.instrument.key} has no value-at-stake block")
    check_pair(v.matrix, v.filters, a, b)
    wave = v.matrix.wave
    shares, report = share_table(v.matrix, v.cube, v.visible, v.reason, v.filters, by, v.limits.k)
    ranking = ranking_table(v.matrix, v.cube, v.visible, v.reason, v.filters, a, b, estimates(con, scope.campaign_id))
    return ValueAtStake(schemas.check(shares, "shares", v.limits.k), schemas.check_ranking(ranking), report, wave, v.limits.k)


def comments(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    dimension: str | None = None,
    by: str | None = None,
    search: str | None = None,
    seed: int | None = None,
) -> Result:
    """Comments of groups at or above the comment threshold, optionally of one dimension and matching `search`.

    Comments are shown for the whole population or by one attribute only (the instrument's first,
    `level` in the default): a comment seen under `site=gent` in one view and under
    `level=specialist` in another would say that a Gent specialist wrote it, a group the threshold
    never allowed. A view that filters or groups by any other attribute shows no comments, and says why.
    """
    v = open_view(con, scope, by, comments=True)
    frame, report = comment_table(
        con, v.matrix, v.cube, v.visible, v.reason, v.filters, by, v.limits.comment_k, dimension=dimension, search=search, seed=seed
    )
    if not reveals_one_attribute(v.matrix, v.filters, by):
        frame = frame.iloc[0:0]
        note = COMMENTS_BY_ONE_ATTRIBUTE.format(attribute=comment_attribute(v.matrix))
        report = AnonymityReport(v.limits.comment_k, report.hidden, (note,))
    return Result(schemas.check_comments(frame), report, v.matrix.wave, v.limits.comment_k)


def trend(con: duckdb.DuckDBPyConnection, scope: Scope, earlier_wave: int, unit: str = "dimension", by: str | None = None) -> Result:
    """Change from `earlier_wave` to the scope's wave per dimension or item and group, shown where both waves show it."""
    later = resolve_wave(con, scope)
    resolve_wave(con, Scope(scope.campaign_id, earlier_wave))
    if earlier_wave >= later:
        raise ScopeError(f"the earlier wave ({earlier_wave}) must come before wave {later}")
    after = open_view(con, scope, by, wave=later)
    before = open_view(con, scope, by, wave=earlier_wave)
    frame, report = trend_table(
        (before.matrix, before.cube, before.visible, before.reason),
        (after.matrix, after.cube, after.visible, after.reason),
        after.filters,
        by,
        unit,
        after.limits.k,
    )
    return Result(schemas.check(frame, "trend", after.limits.k), report, later, after.limits.k)


def closure(con: duckdb.DuckDBPyConnection, scope: Scope, a: Group = DEFAULT_A, b: Group = DEFAULT_B) -> Closure:
    """Each action's gap before and after, and targeted minus untargeted change of the dimension gaps (analysis.closure)."""
    return closure_of(con, scope.campaign_id, a, b, scope.filters)


def participation(con: duckdb.DuckDBPyConnection, scope: Scope, by: str | None = "level") -> Result:
    """Respondents per group and response rate against headcounts where known."""
    v = open_view(con, scope, by)
    frame, report = participation_table(
        v.matrix, v.cube, v.visible, v.reason, v.filters, by, headcounts(con, scope.campaign_id), v.limits.k
    )
    return Result(schemas.check(frame, "participation", v.limits.k), report, v.matrix.wave, v.limits.k)


def representation(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, Any]:
    """How well the shop floor is heard: its response rate against the other levels' combined, from the shown participation."""
    if ATTRIBUTE in dict(scope.filters):
        return representation_of(None)
    try:
        return representation_of(participation(con, scope, by=ATTRIBUTE).data)
    except ScopeError:  # an instrument without the level attribute
        return representation_of(None)


def reliability(con: duckdb.DuckDBPyConnection, scope: Scope) -> Result:
    """Cronbach's alpha per dimension in the scope's population, flagged when below 0.7."""
    v = open_view(con, scope)
    frame = reliability_table(v.matrix, v.cube, v.visible, v.reason, v.filters)
    hidden = tuple(HiddenCell(f"alpha:{r.dimension}", "all", r.reason) for r in frame.itertuples() if r.suppressed)
    return Result(schemas.check(frame, "reliability", v.limits.k), AnonymityReport(v.limits.k, hidden), v.matrix.wave, v.limits.k)


def insights(con: duckdb.DuckDBPyConnection, scope: Scope) -> Insights:
    """Blind spots, ambition gap and the priority matrix of the scope (analysis.insights), suppressed like every view."""
    return insight_frames_of(con, scope)


def summary(con: duckdb.DuckDBPyConnection, scope: Scope, a: Group | None = None, b: Group | None = None) -> dict[str, Any]:
    """The machine-readable results document of `python -m analysis summary --json` (see analysis.summary)."""
    return build_summary(con, scope, a, b)


def coherence(con: duckdb.DuckDBPyConnection, scope: Scope) -> Result:
    """Coherence C = B × W per dimension over the levels the heatmap shows (no C when the filter fixes the level)."""
    v = open_view(con, scope)
    levels = level_attribute(v.matrix.instrument)
    scale = v.matrix.instrument.scale
    if levels in v.filters:
        frame = coherence_table(heatmap(con, scope, "dimension", None).data, levels, scale.min, scale.max)
    else:
        frame = coherence_table(heatmap(con, scope, "dimension", levels).data, levels, scale.min, scale.max)
    return Result(frame, AnonymityReport(v.limits.k, ()), v.matrix.wave, v.limits.k)


def coherence_trend(con: duckdb.DuckDBPyConnection, scope: Scope, earlier_wave: int) -> Result:
    """C per dimension (and overall) in an earlier wave and in the scope's wave, and the change where both have one."""
    later = resolve_wave(con, scope)
    if earlier_wave >= later:
        raise ScopeError(f"the earlier wave ({earlier_wave}) must come before wave {later}")
    after = coherence(con, Scope(scope.campaign_id, later, scope.filters))
    before = coherence(con, Scope(scope.campaign_id, earlier_wave, scope.filters))
    return Result(coherence_change(before.data, after.data), after.anonymity, later, after.threshold)


def item_agreement(con: duckdb.DuckDBPyConnection, scope: Scope, by: str | None = "level") -> Result:
    """van der Eijk's A per item for the filtered population and each option of `by`; a shown group with A < 0 is split."""
    v = open_view(con, scope, by)
    frame = agreement_cells(v.matrix, v.cube, v.visible, v.reason, view_cells(v.cube, v.filters, by))
    report = report_of(frame, v.limits.k, unit_column="item")
    return Result(schemas.check(frame, "agreement_a", v.limits.k), report, v.matrix.wave, v.limits.k)
