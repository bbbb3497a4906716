"""Respondent scores on any scale: reverse keys (min + max − value), don't know excluded, the at-least-half rule."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis import engine
from analysis.engine import Scope
from analysis.matrix_sql import matrix_units, tallies, value_unit
from analysis.scoring import respondent_matrix, respondent_scores
from survey.campaigns import create_campaign
from survey.instrument import parse_instrument
from survey.responses import Submission, submit


def instrument_text(lo: int, hi: int) -> str:
    return f"""
id: scale{lo + 100}to{hi + 100}
version: 1
languages: [en]
title: {{en: Scale}}
scale: {{min: {lo}, max: {hi}, dont_know: true}}
attributes: {{team: {{label: {{en: Team}}, options: {{a: {{en: A}}, b: {{en: B}}}}}}}}
dimensions:
  - id: three
    label: {{en: Three}}
    items: [{{id: T1, text: {{en: one}}}}, {{id: T2, text: {{en: two}}, reverse: true}}, {{id: T3, text: {{en: three}}}}]
  - id: four
    label: {{en: Four}}
    items:
      [{{id: F1, text: {{en: one}}}}, {{id: F2, text: {{en: two}}, reverse: true}}, {{id: F3, text: {{en: three}}}}, {{id: F4, text: {{en: four}}}}]
"""


ITEMS = {"three": ["T1", "T2", "T3"], "four": ["F1", "F2", "F3", "F4"]}
REVERSED = {"T2", "F2"}


@pytest.mark.parametrize(("lo", "hi"), [(1, 5), (0, 10), (-3, 3), (1, 6)])
def test_scores_follow_the_definitions_on_any_scale(con, lo, hi):
    instrument = parse_instrument(instrument_text(lo, hi))
    create_campaign(con, "Scale", instrument, campaign_id="scale", threshold=3)
    rng = np.random.default_rng(lo + 17 * hi)
    rows = []
    for i in range(30):
        answers = {item: (None if rng.random() < 0.4 else int(rng.integers(lo, hi + 1))) for item in instrument.item_ids}
        team = "a" if i % 2 else "b"
        submit(con, instrument, Submission("scale", 1, "en", {"team": team}, answers))
        rows.append({"team": team, **answers})
    raw = pd.DataFrame(rows)
    scored = raw.copy()
    for item in REVERSED:
        scored[item] = lo + hi - scored[item]
    for dimension, items in ITEMS.items():
        values = scored[items].astype(float)
        answered = values.notna().sum(axis=1)
        scored[dimension] = values.mean(axis=1).where(answered * 2 >= len(items))

    stored = respondent_scores(con, "scale", 1)
    for item in instrument.item_ids:
        assert sorted(stored[f"i:{item}"].dropna().astype(int)) == sorted(scored[item].dropna().astype(int))

    frame = engine.heatmap(con, Scope("scale"), unit="dimension", by="team").data.set_index(["unit", "group"])
    items = engine.heatmap(con, Scope("scale"), unit="item", by=None).data.set_index("unit")
    for dimension in ITEMS:
        for group, part in (("all", scored), ("team=a", scored[scored["team"] == "a"]), ("team=b", scored[scored["team"] == "b"])):
            values = part[dimension].dropna()
            row = frame.loc[(dimension, group)]
            assert row["n"] == len(values)
            assert row["mean"] == pytest.approx(values.mean(), rel=1e-12)
            assert row["sd"] == pytest.approx(values.std(ddof=1), rel=1e-9)
    for item in instrument.item_ids:
        assert items.loc[item, "n"] == scored[item].count()
        assert items.loc[item, "mean"] == pytest.approx(scored[item].mean(), rel=1e-12)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"T1": 5, "T2": 1, "T3": None}, 5.0),  # two of three answered; T2 reversed: 1 -> 5
        ({"T1": 4, "T2": None, "T3": None}, None),  # one of three: less than half
        ({"T1": None, "T2": 5, "T3": 4}, 2.5),  # (1 + 4) / 2
        ({"T1": None, "T2": None, "T3": None}, None),
    ],
)
def test_the_half_rule_and_reverse_key_per_respondent(con, answers, expected):
    instrument = parse_instrument(instrument_text(1, 5))
    create_campaign(con, "Half", instrument, campaign_id="half", threshold=3)
    submit(con, instrument, Submission("half", 1, "en", {"team": "a"}, answers))
    score = respondent_scores(con, "half", 1)["d:three"].iloc[0]
    assert (None if pd.isna(score) else score) == expected


def test_item_distribution_shows_answers_as_asked(con):
    instrument = parse_instrument(instrument_text(0, 10))
    create_campaign(con, "Asked", instrument, campaign_id="asked", threshold=3)
    for value in (0, 0, 10, 10, 10, None):
        submit(con, instrument, Submission("asked", 1, "en", {"team": "a"}, {"T2": value}))
    dist = engine.item_distribution(con, Scope("asked"), "T2", by=None).data.set_index("value")
    assert dist.loc[0, "pct"] == pytest.approx(40.0) and dist.loc[10, "pct"] == pytest.approx(60.0)
    assert dist["n"].iloc[0] == 5
    heat = engine.heatmap(con, Scope("asked"), unit="item", by=None).data.set_index("unit")
    assert heat.loc["T2", "mean"] == pytest.approx((10 + 10 + 0 + 0 + 0) / 5), "the score reverses what the distribution shows"


@pytest.mark.parametrize(("lo", "hi"), [(1, 5), (0, 100)])
def test_answer_value_counts_of_every_cell_match_a_count_of_the_answers(con, lo, hi):
    """Each item's answer-value counts travel packed (several per sum, `tallies`); taken apart they are the counts, per cell."""
    instrument = parse_instrument(instrument_text(lo, hi))
    create_campaign(con, "Counts", instrument, campaign_id="counts", threshold=3)
    rng = np.random.default_rng(hi)
    rows = []
    for i in range(120):
        answers = {item: (None if rng.random() < 0.2 else int(rng.integers(lo, hi + 1))) for item in instrument.item_ids}
        team = ("a", "b")[i % 2]
        submit(con, instrument, Submission("counts", 1, "en", {"team": team}, answers))
        rows.append({"team": team, **answers})
    scored = pd.DataFrame(rows)
    for item in REVERSED:
        scored[item] = lo + hi - scored[item]
    matrix = respondent_matrix(con, "counts", 1)
    packed = tallies(matrix_units(matrix), matrix.respondents)
    per_item = math.ceil((hi - lo + 1) / (126 // 7))  # 120 respondents: 7-bit slots, 18 to a sum
    assert len(packed) == len(instrument.item_ids) * per_item + len(ITEMS), "one sum per item's values, one per dimension's answered counts"
    teams = np.asarray(matrix.cells["team"], dtype=object)
    for item in instrument.item_ids:
        for team in ("a", "b"):
            expected = scored.loc[scored["team"] == team, item].dropna().astype(int).value_counts()
            counts = {v: matrix.cells[f"n|{value_unit(item, v)}"][teams == team].sum() for v in range(lo, hi + 1)}
            assert counts == {v: int(expected.get(v, 0)) for v in range(lo, hi + 1)}, (item, team)
            assert all((matrix.cells[f"s|{value_unit(item, v)}"] == matrix.cells[f"n|{value_unit(item, v)}"]).all() for v in (lo, hi))
