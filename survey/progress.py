"""Live response progress per group against headcount, never showing how many answered in a group smaller than the threshold."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from survey.campaigns import campaign_instrument, current_wave, get_campaign

MIN_THRESHOLD = 3

COUNT_TOTAL = "SELECT count(*) FROM responses WHERE campaign_id = ? AND wave = ?"
COUNT_BY_GROUP = """
    SELECT a.attribute, a.value, count(*) AS n
    FROM responses r JOIN response_attributes a ON a.response_id = r.response_id
    WHERE r.campaign_id = ? AND r.wave = ?
    GROUP BY a.attribute, a.value
"""
COUNT_BY_DAY = "SELECT submitted_on, count(*) FROM responses WHERE campaign_id = ? AND wave = ? GROUP BY submitted_on ORDER BY submitted_on"
COUNT_INVITES = "SELECT count(*), count(*) FILTER (WHERE used) FROM invites WHERE campaign_id = ? AND wave = ?"
SELECT_HEADCOUNTS = "SELECT attribute, option, headcount FROM headcounts WHERE campaign_id = ?"


@dataclass(frozen=True)
class GroupProgress:
    """One group's progress; `responses` and `rate` are None when the group is hidden (`shown` then says 'fewer than k')."""

    attribute: str
    option: str | None  # None: respondents who left an optional attribute empty
    label: str
    headcount: int | None
    responses: int | None
    rate: float | None
    suppressed: bool
    shown: str


@dataclass(frozen=True)
class Progress:
    """Where a wave stands: the total (always safe to show), each group within the threshold rule, invites and days."""

    campaign_id: str
    wave: int
    threshold: int
    total: int
    headcount_total: int | None
    rate: float | None
    invites_issued: int
    invites_used: int
    groups: tuple[GroupProgress, ...]
    by_day: tuple[tuple[dt.date, int], ...]

    def frame(self) -> pd.DataFrame:
        """One row per group for a table: attribute, option, label, headcount, responses (shown text), rate."""
        return pd.DataFrame(
            {
                "attribute": [g.attribute for g in self.groups],
                "option": [g.option for g in self.groups],
                "label": [g.label for g in self.groups],
                "headcount": pd.array([g.headcount for g in self.groups], dtype="Int64"),
                "responses": [g.shown for g in self.groups],
                "rate": pd.array([g.rate for g in self.groups], dtype="Float64"),
            }
        )


def _hide(counts: dict[str | None, int], k: int) -> set[str | None]:
    """Groups to hide: every one below k, plus the smallest other one when a single hidden group could be
    recomputed from the total and its visible siblings (secondary suppression)."""
    hidden = {option for option, n in counts.items() if n < k}
    if len(hidden) == 1 and len(counts) > 1:
        visible = sorted((n, str(option)) for option, n in counts.items() if option not in hidden)
        smallest = visible[0][1]
        hidden.add(next(option for option in counts if str(option) == smallest))
    return hidden


def progress(
    con: duckdb.DuckDBPyConnection, campaign_id: str, wave: int | None = None, threshold: int | None = None, lang: str = "en"
) -> Progress:
    """Responses per group of every attribute against headcount, for the facilitator's live view.

    A group below the threshold k (the campaign's, unless given; never below 3) shows 'fewer than k',
    and when that alone would let its count be worked out from the total, a second group is hidden too.
    Zero counts are hidden like any small count, so an empty group and a group of one look alike.
    """
    campaign = get_campaign(con, campaign_id)
    k = campaign.threshold if threshold is None else threshold
    if k < MIN_THRESHOLD:
        raise ValueError(f"the anonymity threshold is at least {MIN_THRESHOLD}, got {k}")
    wave_no = current_wave(con, campaign_id).wave if wave is None else wave
    instrument = campaign_instrument(con, campaign_id, wave_no)
    total = int(con.execute(COUNT_TOTAL, [campaign_id, wave_no]).fetchone()[0])
    counted: dict[tuple[str, str], int] = {(a, v): int(n) for a, v, n in con.execute(COUNT_BY_GROUP, [campaign_id, wave_no]).fetchall()}
    headcounts = {(a, o): int(n) for a, o, n in con.execute(SELECT_HEADCOUNTS, [campaign_id]).fetchall()}
    issued, used = con.execute(COUNT_INVITES, [campaign_id, wave_no]).fetchone()
    groups: list[GroupProgress] = []
    headcount_total = None
    for attr_id, attr in instrument.attributes.items():
        counts: dict[str | None, int] = {option: counted.get((attr_id, option), 0) for option in attr.options}
        not_given = total - sum(counts.values())
        if not_given > 0:
            counts[None] = not_given
        hidden = _hide(counts, k)
        if headcount_total is None and all((attr_id, o) in headcounts for o in attr.options):
            headcount_total = sum(headcounts[(attr_id, o)] for o in attr.options)
        for option, n in counts.items():
            head = headcounts.get((attr_id, option)) if option is not None else None
            label = (attr.options[option].get(lang) or option) if option is not None else "(not given)"
            if option in hidden:
                groups.append(GroupProgress(attr_id, option, label, head, None, None, True, f"fewer than {k}" if n < k else "hidden"))
            else:
                rate = n / head if head else None
                groups.append(GroupProgress(attr_id, option, label, head, n, rate, False, str(n)))
    by_day = tuple((day, int(n)) for day, n in con.execute(COUNT_BY_DAY, [campaign_id, wave_no]).fetchall())
    rate = total / headcount_total if headcount_total else None
    return Progress(campaign_id, wave_no, k, total, headcount_total, rate, int(issued), int(used), tuple(groups), by_day)
