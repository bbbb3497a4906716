"""Coherence index C = B × W and split opinions (van der Eijk's A), against independent numpy computations on stored answers."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from analysis import engine
from analysis.insights.agreement import agreement_a
from analysis.scope import Scope
from survey.campaigns import campaign_instrument
from tests.conftest import MakeDemo, open_cursor


def reference_a(frequencies: list[float]) -> float:
    """van der Eijk's A written another way: layers from the distinct frequency levels, U from every triple spelled out."""
    f = np.asarray(frequencies, dtype=float)
    k, total = len(f), f.sum()
    levels = np.unique(f[f > 0])
    result, floor = 0.0, 0.0
    for level in levels:
        layer = "".join("1" if x >= level else "0" for x in f)
        cases = (level - floor) * layer.count("1")
        floor = level
        triples = ["".join(t) for t in itertools.combinations(layer, 3)]
        tu = sum(t in ("110", "011") for t in triples)
        tdu = sum(t == "101" for t in triples)
        u = 1.0 if tu + tdu == 0 else ((k - 2) * tu - (k - 1) * tdu) / ((k - 2) * (tu + tdu))
        result += cases / total * u * (1 - (layer.count("1") - 1) / (k - 1))
    return result


@pytest.mark.parametrize(
    ("frequencies", "expected"),
    [
        ([50, 0, 0, 0, 50], -1.0),  # half at the minimum, half at the maximum
        ([20, 20, 20, 20, 20], 0.0),  # an equal share on every point
        ([0, 0, 100, 0, 0], 1.0),  # one answer for everyone
        ([7, 0, 0, 0, 0], 1.0),
        ([0, 0, 0, 0, 0, 0, 9], 1.0),  # another scale length
        ([3, 0, 0, 0, 0, 0, 3], -1.0),
        ([1] * 11, 0.0),  # 0–10
        ([10, 10, 0, 0, 0], 0.75),  # two neighbouring points of five: 1 − (2 − 1)/(5 − 1)
    ],
)
def test_known_values(frequencies, expected):
    assert agreement_a(frequencies) == pytest.approx(expected, abs=1e-12)
    assert reference_a(frequencies) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", range(12))
def test_a_equals_an_independent_implementation(seed):
    rng = np.random.default_rng(seed)
    points = int(rng.integers(3, 11))
    frequencies = rng.integers(0, 30, size=points) * (rng.random(points) < 0.7)
    frequencies[rng.integers(points)] += 1
    assert agreement_a(list(frequencies)) == pytest.approx(reference_a(list(frequencies)), abs=1e-12)
    assert -1.0 - 1e-12 <= agreement_a(list(frequencies)) <= 1.0 + 1e-12


def long_answers(con, wave: int) -> pd.DataFrame:
    return con.execute(
        """
        SELECT a.response_id, a.item_id, a.value, l.value AS level
        FROM answers a JOIN responses r USING (response_id)
        LEFT JOIN response_attributes l ON l.response_id = a.response_id AND l.attribute = 'level'
        WHERE r.campaign_id = 'demo' AND r.wave = ?
        """,
        [wave],
    ).df()


def independent_coherence(
    answers: pd.DataFrame, instrument, shown_levels: dict[str, list[str]], shown_items: set[tuple[str, str]]
) -> dict[str, tuple[float, float, float, int]]:
    """(C, B, W, n) per dimension from the raw answers: scores, level means, item r_wg (items the group shows), all computed here."""
    lo, hi = instrument.scale.min, instrument.scale.max
    null_var = ((hi - lo + 1) ** 2 - 1) / 12
    out = {}
    for dim in instrument.dimensions:
        items = {i.id: i.reverse for i in dim.items}
        part = answers[answers["item_id"].isin(items)].copy()
        part["score"] = np.where(part["item_id"].map(items), lo + hi - part["value"], part["value"]).astype(float)
        wide = part.pivot_table(index=["response_id", "level"], columns="item_id", values="score", dropna=False).reindex(
            columns=list(items)
        )
        answered = wide.notna().sum(axis=1)
        score = wide.mean(axis=1).where(answered >= len(items) / 2)
        means, ns, rwgs = [], [], []
        for level in shown_levels[dim.id]:
            rows = wide.xs(level, level="level")
            s = score.xs(level, level="level").dropna()
            means.append(s.mean())
            ns.append(len(s))
            item_rwg = [np.clip(1 - rows[i].dropna().var(ddof=1) / null_var, 0, 1) for i in items if (i, level) in shown_items]
            rwgs.append(np.mean(item_rwg))
        b = 1 - (max(means) - min(means)) / (hi - lo)
        w = np.average(rwgs, weights=ns)
        out[dim.id] = (b * w, b, w, sum(ns))
    return out


@pytest.mark.parametrize(("respondents", "seed"), [(400, 11), (70, 3)])
def test_coherence_equals_an_independent_computation(make_demo: MakeDemo, respondents, seed):
    with open_cursor(make_demo(respondents, seed=seed, waves=1)) as con:
        doc = engine.summary(con, Scope("demo"))
        instrument = campaign_instrument(con, "demo", 1)
        answers = long_answers(con, 1)
    shown = {d: [o for o, c in entry["by"]["level"].items() if "suppressed" not in c] for d, entry in doc["dimensions"].items()}
    if respondents == 70:
        assert any(len(v) < len(instrument.attributes["level"].options) for v in shown.values()), "the small demo hides a level"
    shown_items = {(i, o) for i, entry in doc["items"].items() for o, c in entry["by"]["level"].items() if "suppressed" not in c}
    expected = independent_coherence(answers, instrument, shown, shown_items)
    weights, indices = [], []
    for dim, (c, b, w, n) in expected.items():
        got = doc["coherence"]["dimensions"][dim]
        assert got["index"] == pytest.approx(c, abs=1e-9)
        assert got["between"] == pytest.approx(b, abs=1e-9)
        assert got["within"] == pytest.approx(w, abs=1e-9)
        weights.append(n)
        indices.append(c)
    assert doc["coherence"]["overall"] == pytest.approx(np.average(indices, weights=weights), abs=1e-9)


def test_coherence_is_undefined_when_the_filter_fixes_the_level(demo):
    doc = engine.summary(demo, Scope("demo", filters=(("level", "board"),)))
    assert doc["coherence"]["overall"] is None
    assert all(v == {"index": None, "between": None, "within": None} for v in doc["coherence"]["dimensions"].values())


def test_coherence_trend_is_the_difference_of_the_waves(demo):
    trend = engine.coherence_trend(demo, Scope("demo", wave=2), earlier_wave=1).data.set_index("dimension")
    before = engine.summary(demo, Scope("demo", wave=1))["coherence"]
    after = engine.summary(demo, Scope("demo", wave=2))["coherence"]
    assert trend.loc["all", "change"] == pytest.approx(after["overall"] - before["overall"])
    for dim in after["dimensions"]:
        assert trend.loc[dim, "change"] == pytest.approx(after["dimensions"][dim]["index"] - before["dimensions"][dim]["index"])
    # the demo's gaps close from wave 1 to wave 2, so the levels see it more alike
    assert trend.loc["all", "change"] > 0


def test_splits_flag_the_built_in_split_and_match_the_raw_distribution(demo):
    doc = engine.summary(demo, Scope("demo"))
    answers = long_answers(demo, 2)
    assert doc["splits"], "the demo builds in a split shop floor"
    top = doc["splits"][0]
    assert (top["group"], top["item"]) == ("level=shop_floor", "OPS4")
    for split in doc["splits"]:
        attribute, _, option = split["group"].partition("=")
        assert attribute == "level" or split["group"] != "all"
        if attribute != "level":
            continue
        values = answers[(answers["item_id"] == split["item"]) & (answers["level"] == option)]["value"].dropna().astype(int)
        counts = np.bincount(values, minlength=6)[1:]
        assert split["n"] == counts.sum()
        assert split["agreement_a"] == pytest.approx(reference_a(list(counts)), abs=1e-12) and split["agreement_a"] < 0
    assert [s["agreement_a"] for s in doc["splits"]] == sorted(s["agreement_a"] for s in doc["splits"])


def test_a_is_given_only_where_the_item_page_shows_the_distribution(make_demo: MakeDemo):
    with open_cursor(make_demo(70, seed=3, waves=1)) as con:
        scope = Scope("demo")
        agreement = engine.item_agreement(con, scope, by="level").data
        for item in ("STR1", "OPS4"):
            dist = engine.item_distribution(con, scope, item, by="level").data
            shown = set(dist.loc[~dist["suppressed"], "group"])
            rows = agreement[agreement["item"] == item]
            assert set(rows.loc[~rows["suppressed"], "group"]) == shown
            assert rows.loc[rows["suppressed"], ["n", "agreement_a"]].isna().all().all()
            assert rows["suppressed"].any(), "the small demo hides a group"
            for r in rows[~rows["suppressed"]].itertuples():
                part = dist[(dist["group"] == r.group)].sort_values("value")
                counts = (part["pct"].astype(float) * float(part["n"].iloc[0]) / 100).round().to_numpy()
                assert r.agreement_a == pytest.approx(reference_a(list(counts)), abs=1e-9)
        doc = engine.summary(con, scope)
    hidden = {(s["unit"], s["group"]) for s in doc["suppressed"]}
    assert not any((s["item"], s["group"]) in hidden for s in doc["splits"])
