"""Value at stake: shares per level from the raw tables, Newcombe interval (statsmodels), € estimates and the priority formula."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

from analysis import engine
from analysis.engine import Scope
from analysis.value import newcombe_diff
from survey.campaigns import create_campaign
from survey.demo import DEMO_ESTIMATES
from survey.instrument import parse_instrument
from tests.conftest import open_cursor

RAW_SHARES_SQL = """
    WITH picked AS (
        SELECT r.response_id, a.value AS level
        FROM responses r JOIN response_attributes a ON a.response_id = r.response_id AND a.attribute = 'level'
        WHERE r.campaign_id = 'demo' AND r.wave = 2
    ), answered AS (
        SELECT * FROM picked WHERE response_id IN (SELECT response_id FROM value_choices)
    )
    SELECT answered.level, l.loss, count(*) AS n,
           count(*) FILTER (WHERE answered.response_id IN (SELECT response_id FROM value_choices v WHERE v.loss = l.loss)) AS named
    FROM answered CROSS JOIN (SELECT DISTINCT loss FROM value_choices) l
    GROUP BY ALL
"""


@pytest.fixture(scope="module")
def raw_shares(demo) -> pd.DataFrame:
    return demo.execute(RAW_SHARES_SQL).df().set_index(["level", "loss"])


@pytest.mark.parametrize("level", ["board", "senior_management", "middle_management", "supervisor", "shop_floor", "specialist"])
def test_share_of_each_level_naming_each_loss(demo, raw_shares, level):
    shares = engine.value_at_stake(demo, Scope("demo")).shares
    rows = shares[shares["group"] == f"level={level}"].set_index("loss")
    for loss, row in rows.iterrows():
        expected = raw_shares.loc[(level, loss)]
        assert row["n"] == expected["n"]
        assert row["share"] == pytest.approx(expected["named"] / expected["n"], rel=1e-12)


def test_overall_share_and_denominator_is_who_answered_the_block(demo):
    shares = engine.value_at_stake(demo, Scope("demo")).shares
    answered = demo.execute(
        "SELECT count(DISTINCT v.response_id) FROM value_choices v JOIN responses r USING (response_id) WHERE r.campaign_id = 'demo' AND r.wave = 2"
    ).fetchone()[0]
    overall = shares[shares["group"] == "all"]
    assert set(overall["n"]) == {answered}


@pytest.mark.parametrize(
    ("count_a", "n_a", "count_b", "n_b"),
    [(4, 10, 21, 227), (0, 12, 5, 40), (12, 12, 30, 31), (7, 25, 7, 25), (1, 5, 150, 200)],
)
def test_newcombe_interval_matches_statsmodels(count_a, n_a, count_b, n_b):
    ours = newcombe_diff(np.array([count_a]), np.array([n_a]), np.array([count_b]), np.array([n_b]))
    low, high = confint_proportions_2indep(count_a, n_a, count_b, n_b, method="newcomb", compare="diff")
    assert ours["diff"][0] == pytest.approx(count_a / n_a - count_b / n_b)
    assert ours["ci_low"][0] == pytest.approx(low, abs=1e-12)
    assert ours["ci_high"][0] == pytest.approx(high, abs=1e-12)


def test_ranking_board_vs_shop_floor_with_estimates(demo, raw_shares):
    ranking = engine.value_at_stake(demo, Scope("demo")).ranking.set_index("loss")
    for loss, row in ranking.iterrows():
        board, floor = raw_shares.loc[("board", loss)], raw_shares.loc[("shop_floor", loss)]
        low, high = confint_proportions_2indep(board["named"], board["n"], floor["named"], floor["n"], method="newcomb", compare="diff")
        assert row["diff"] == pytest.approx(board["named"] / board["n"] - floor["named"] / floor["n"], rel=1e-12)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), abs=1e-12)
        assert row["eur_per_year"] == pytest.approx(DEMO_ESTIMATES[loss]) if loss in DEMO_ESTIMATES else np.isnan(row["eur_per_year"])
    top_eur = max(DEMO_ESTIMATES.values())
    value_weight = ranking["eur_per_year"].fillna(0) / top_eur
    misalignment = ranking["diff"].abs() / ranking["diff"].abs().max()
    np.testing.assert_allclose(ranking["priority"], (value_weight + misalignment) / 2)
    assert list(ranking["rank"]) == list(range(1, len(ranking) + 1))
    assert list(ranking["priority"]) == sorted(ranking["priority"], reverse=True)


def test_without_estimates_the_overall_share_stands_in_for_value(tmp_path, make_demo):
    with open_cursor(make_demo(300, seed=3, waves=1, into=tmp_path / "plain.duckdb")) as con:
        con.execute("DELETE FROM value_estimates")
        ranking = engine.value_at_stake(con, Scope("demo")).ranking
    assert ranking["eur_per_year"].isna().all()
    np.testing.assert_allclose(ranking["value_weight"], ranking["share_all"] / ranking["share_all"].max())


def test_small_groups_are_hidden_in_shares_and_in_the_difference(demo):
    result = engine.value_at_stake(demo, Scope("demo", filters=(("site", "gent"),)))
    board = result.shares[result.shares["group"] == "level=board"]
    assert board["suppressed"].all() and board["share"].isna().all() and board["n"].isna().all()
    assert result.ranking["diff_suppressed"].all() and result.ranking["diff"].isna().all()
    assert (result.ranking["misalignment_weight"] == 0).all()
    assert {h.group for h in result.anonymity.hidden} >= {"level=board"}


def test_an_instrument_without_the_block_is_refused(con):
    plain = parse_instrument(
        "id: plain\nversion: 1\nlanguages: [en]\ntitle: {en: Plain}\nscale: {min: 1, max: 5}\n"
        "attributes: {team: {label: {en: Team}, options: {a: {en: A}, b: {en: B}}}}\n"
        "dimensions: [{id: d, label: {en: D}, items: [{id: X1, text: {en: X}}]}]\n"
    )
    create_campaign(con, "Plain", plain, campaign_id="plain")
    with pytest.raises(ValueError, match="no value-at-stake block"):
        engine.value_at_stake(con, Scope("plain"), by="team", a=("team", "a"), b=("team", "b"))
