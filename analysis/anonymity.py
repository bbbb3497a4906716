"""Anonymity: the threshold k of a campaign and which group cells may be shown (primary and secondary suppression).

The rules, applied to every cell of a cube (a conjunction of `attribute = option` conditions, see
`analysis.cube`) and every unit separately, because each item has its own answer count:

1. below_threshold: a cell describing fewer than k respondents is hidden.
2. differencing: a cell is hidden when a larger cell it lies in (the same conditions with any of
   them dropped, e.g. the group without the site filter) differs from it by 1..k-1 respondents,
   because subtracting the two would describe those few people.
3. within_hidden: a cell is hidden when any larger cell it lies in is hidden, so a hidden cell can
   never be rebuilt by adding up its visible parts.
4. complementary (secondary suppression): within one breakdown (the cells that differ only in one
   attribute, under the same other conditions) the hidden siblings plus the respondents who did not
   state the attribute must total 0 or at least k; otherwise the smallest visible sibling is hidden
   too. One more is always enough, since every visible sibling holds at least k.

Every rule depends only on the counts of the cell and of larger cells over the same attributes, so
a cell gets the same verdict in every view that shows it (a site filter with a level breakdown,
or a level filter with a site breakdown). Hiding more never breaks rule 4 (each extra hidden cell
adds at least k), so the verdicts are computed level by level, coarse to fine, in one pass.

Two more rules apply when a view is read (analysis.groups.shown_cells):
5. a cell is shown for a unit (an item, a dimension...) only when its respondent count passes the
   rules too, so a group looks the same in every view and every unit;
6. a view whose own population (the filtered total) is hidden shows nothing (reason filter_hidden).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import duckdb
import numpy as np

MIN_THRESHOLD = 3
DEFAULT_THRESHOLD = 5
DEFAULT_COMMENT_THRESHOLD = 10

SHOWN = 0
BELOW_THRESHOLD = 1
COMPLEMENTARY = 2
DIFFERENCING = 3
WITHIN_HIDDEN = 4
NOT_STATED = 5
FILTER_HIDDEN = 6
COMBINATION = 7

REASONS = {
    SHOWN: "shown",
    BELOW_THRESHOLD: "below_threshold",
    COMPLEMENTARY: "complementary",
    DIFFERENCING: "differencing",
    WITHIN_HIDDEN: "within_hidden",
    NOT_STATED: "not_stated",
    FILTER_HIDDEN: "filter_hidden",
    COMBINATION: "combination",
}
EXPLANATIONS = {
    "below_threshold": "fewer than k respondents",
    "complementary": "hidden too, so a smaller hidden group cannot be worked out from the total and the groups shown",
    "differencing": "differs from a larger group shown elsewhere by fewer than k respondents",
    "within_hidden": "part of a larger group that is hidden",
    "not_stated": "respondents who did not state this attribute are never shown as a group",
    "filter_hidden": "the filtered population itself cannot be shown",
    "combination": "hidden too, so that no combination of the numbers shown anywhere works out a smaller group",
}

THRESHOLDS_SQL = "SELECT threshold, comment_threshold FROM campaigns WHERE campaign_id = ?"


@dataclass(frozen=True)
class Thresholds:
    """k for scores and counts; a larger one for comments, which are identifying on their own."""

    k: int
    comment_k: int


def clamp_thresholds(threshold: int | None, comment_threshold: int | None) -> Thresholds:
    """Thresholds as stored, raised to the minimum (k >= 3, comments >= k) whatever the table holds."""
    k = max(MIN_THRESHOLD, int(threshold)) if threshold is not None else DEFAULT_THRESHOLD
    comment_k = max(k, int(comment_threshold)) if comment_threshold is not None else max(k, DEFAULT_COMMENT_THRESHOLD)
    return Thresholds(k, comment_k)


def thresholds(con: duckdb.DuckDBPyConnection, campaign_id: str) -> Thresholds:
    """The campaign's thresholds (defaults when the campaign is unknown)."""
    row = con.execute(THRESHOLDS_SQL, [campaign_id]).fetchone()
    return clamp_thresholds(row[0], row[1]) if row else clamp_thresholds(None, None)


@dataclass(frozen=True)
class HiddenCell:
    """One hidden cell: which unit (dimension, item, loss...), which group, and why."""

    unit: str
    group: str
    reason: str


@dataclass(frozen=True)
class AnonymityReport:
    """What a result left out and why; shown beside charts and written into exports."""

    threshold: int
    hidden: tuple[HiddenCell, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def hidden_groups(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(h.group for h in self.hidden))

    def merge(self, other: AnonymityReport) -> AnonymityReport:
        return AnonymityReport(
            max(self.threshold, other.threshold), self.hidden + other.hidden, tuple(dict.fromkeys(self.notes + other.notes))
        )


def _slot_slices(shape: tuple[int, ...], keep: tuple[int, ...]) -> tuple[slice, ...]:
    """Options and not-stated along `keep` axes, the any slot (kept as a length-1 axis) along the others."""
    out = []
    for i in range(len(shape) - 1):
        if i in keep:
            out.append(slice(0, shape[i] - 1))
        else:
            out.append(slice(shape[i] - 1, shape[i]))
    return tuple(out) + (slice(None),)


def visibility(n: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Shown flag and reason code for every cell of a cube of counts shaped (*axes, units); see the module rules."""
    shape = n.shape
    m = len(shape) - 1
    visible = np.zeros(shape, dtype=bool)
    reason = np.full(shape, SHOWN, dtype=np.int8)
    for size in range(m + 1):
        for axes in itertools.combinations(range(m), size):
            here = _slot_slices(shape, axes)
            counts = n[here]
            primary = counts >= k
            why = np.where(primary, SHOWN, BELOW_THRESHOLD).astype(np.int8)
            not_stated = np.zeros(counts.shape, dtype=bool)
            for ax in axes:
                pos = [slice(None)] * len(shape)
                pos[ax] = slice(counts.shape[ax] - 1, counts.shape[ax])
                not_stated[tuple(pos)] = True
            why = np.where(not_stated, NOT_STATED, why)
            ok = primary & ~not_stated
            for sub_size in range(size):
                for sub in itertools.combinations(axes, sub_size):
                    larger = _slot_slices(shape, sub)
                    diff = n[larger] - counts
                    differs = (diff > 0) & (diff < k)
                    why = np.where(ok & differs, DIFFERENCING, why)
                    ok &= ~differs
                    why = np.where(ok & ~visible[larger], WITHIN_HIDDEN, why)
                    ok &= visible[larger]
            hide = np.zeros(counts.shape, dtype=bool)
            for ax in axes:
                parent = _slot_slices(shape, tuple(a for a in axes if a != ax))
                hidden_total = n[parent] - np.where(ok, counts, 0).sum(axis=ax, keepdims=True)
                needs_more = (hidden_total > 0) & (hidden_total < k)
                candidates = np.where(ok, counts, np.inf)
                smallest = np.argmin(candidates, axis=ax)
                chosen = np.zeros(counts.shape, dtype=bool)
                np.put_along_axis(chosen, np.expand_dims(smallest, ax), True, axis=ax)
                hide |= chosen & ok & needs_more
            why = np.where(hide, COMPLEMENTARY, why)
            visible[here] = ok & ~hide
            reason[here] = why
    return visible, reason
