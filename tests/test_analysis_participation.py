"""Participation: respondents per group from the raw tables, response rate against headcounts where known, hidden below k."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import engine
from analysis.engine import Scope
from survey.demo import demo_headcounts

DEMO_HEADCOUNT = demo_headcounts(400)

COUNTS_SQL = """
    SELECT a.value, count(*) FROM responses r JOIN response_attributes a ON a.response_id = r.response_id AND a.attribute = ?
    WHERE r.campaign_id = 'demo' AND r.wave = 2 GROUP BY a.value
"""


@pytest.mark.parametrize("by", ["level", "function", "site"])
def test_counts_per_group_match_the_raw_tables(demo, by):
    frame = engine.participation(demo, Scope("demo"), by=by).data.set_index("group")
    raw = dict(demo.execute(COUNTS_SQL, [by]).fetchall())
    assert frame.loc["all", "n"] == 400
    for option, count in raw.items():
        row = frame.loc[f"{by}={option}"]
        if row["suppressed"]:
            assert pd.isna(row["n"])
        else:
            assert row["n"] == count >= 5
        if count < 5:
            assert row["suppressed"]


def test_response_rate_against_level_headcounts(demo):
    frame = engine.participation(demo, Scope("demo"), by="level").data.set_index("group")
    for option, headcount in DEMO_HEADCOUNT.items():
        row = frame.loc[f"level={option}"]
        assert row["headcount"] == headcount
        assert row["response_rate"] == pytest.approx(row["n"] / headcount)
    assert frame.loc["all", "headcount"] == sum(DEMO_HEADCOUNT.values())
    assert frame.loc["all", "response_rate"] == pytest.approx(400 / sum(DEMO_HEADCOUNT.values()))


def test_headcounts_are_known_for_one_condition_only(demo):
    by_site = engine.participation(demo, Scope("demo"), by="site").data.set_index("group")
    assert by_site.loc["all", "headcount"] == sum(DEMO_HEADCOUNT.values()), "the total comes from the complete level headcounts"
    assert by_site.drop(index="all")["headcount"].isna().all() and by_site.drop(index="all")["response_rate"].isna().all()
    board_by_site = engine.participation(demo, Scope("demo", filters=(("level", "shop_floor"),)), by="site").data.set_index("group")
    assert board_by_site.loc["all", "headcount"] == DEMO_HEADCOUNT["shop_floor"]
    assert board_by_site.drop(index="all")["headcount"].isna().all()


def test_hidden_groups_keep_their_headcount_but_no_count_or_rate(demo):
    frame = engine.participation(demo, Scope("demo", filters=(("site", "gent"),)), by="level").data.set_index("group")
    hidden = frame[frame["suppressed"]]
    assert len(hidden) > 0
    assert hidden["n"].isna().all() and hidden["response_rate"].isna().all()
    shown = frame[~frame["suppressed"]]
    assert (shown["n"] >= 5).all()
