"""The facade: scopes and their refusals, waves, freshness after new answers, coverage of the instrument, the last-guard schemas."""

from __future__ import annotations

import pandas as pd
import pandera.errors
import pytest

from analysis import engine, schemas
from analysis.engine import Scope
from survey.campaigns import CampaignError, campaign_instrument, start_wave
from survey.responses import Submission, submit
from tests.conftest import open_cursor


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda con: engine.heatmap(con, Scope("demo", filters=(("shoe_size", "42"),))), ValueError, "unknown attribute 'shoe_size'"),
        (lambda con: engine.heatmap(con, Scope("demo", filters=(("site", "paris"),))), ValueError, "'paris' is not an option of site"),
        (lambda con: engine.heatmap(con, Scope("demo", filters=(("site", "gent"), ("site", "venlo")))), ValueError, "given twice"),
        (lambda con: engine.heatmap(con, Scope("demo", filters=(("site", "gent"),)), by="site"), ValueError, "cannot break down by site"),
        (lambda con: engine.heatmap(con, Scope("demo"), by="colour"), ValueError, "unknown attribute 'colour'"),
        (lambda con: engine.heatmap(con, Scope("demo"), unit="answer"), ValueError, "unit must be"),
        (lambda con: engine.heatmap(con, Scope("nope")), CampaignError, "unknown campaign 'nope'"),
        (lambda con: engine.heatmap(con, Scope("demo", wave=9)), CampaignError, "has no wave 9"),
        (lambda con: engine.gaps(con, Scope("demo"), a=("level", "board"), b=("level", "board")), ValueError, "the same"),
        (lambda con: engine.gaps(con, Scope("demo", filters=(("level", "board"),))), ValueError, "while filtering on level"),
        (lambda con: engine.gaps(con, Scope("demo"), a=("level", "ceo")), ValueError, "'ceo' is not an option of level"),
        (lambda con: engine.trend(con, Scope("demo", wave=1), earlier_wave=2), ValueError, "must come before"),
        (lambda con: engine.item_distribution(con, Scope("demo"), "NOPE1"), ValueError, "unknown item"),
    ],
)
def test_refusals_name_the_problem(demo, call, error, message):
    with pytest.raises(error, match=message):
        call(demo)


@pytest.mark.parametrize(
    ("unit", "by"), [("dimension", "level"), ("item", "level"), ("dimension", "function"), ("item", "site"), ("dimension", None)]
)
def test_heatmap_covers_every_unit_and_option_in_instrument_order(demo, unit, by):
    instrument = campaign_instrument(demo, "demo", 2)
    frame = engine.heatmap(demo, Scope("demo"), unit=unit, by=by).data
    units = list(instrument.dimension_ids if unit == "dimension" else instrument.item_ids)
    groups = ["all"] + ([f"{by}={o}" for o in instrument.attributes[by].options] if by else [])
    assert list(frame["unit"]) == [u for u in units for _ in groups]
    assert list(frame["group"]) == groups * len(units)
    assert list(frame.columns) == schemas.FRAMES["groups"][0]


def test_default_wave_is_the_newest_holding_responses(tmp_path, make_demo):
    with open_cursor(make_demo(60, seed=2, waves=2, into=tmp_path / "waves.duckdb")) as con:
        assert engine.heatmap(con, Scope("demo")).wave == 2
        start_wave(con, "demo", "Third, still empty")
        assert engine.heatmap(con, Scope("demo")).wave == 2
        assert engine.heatmap(con, Scope("demo", wave=1)).wave == 1


def test_new_answers_are_seen_at_once(tmp_path, instrument, make_demo):
    with open_cursor(make_demo(40, seed=5, waves=1, into=tmp_path / "fresh.duckdb")) as con:
        before = engine.heatmap(con, Scope("demo"), by=None).data.set_index("unit")
        submit(
            con,
            instrument,
            Submission("demo", 1, "en", {"level": "board", "function": "it", "site": "gent"}, {i: 5 for i in instrument.item_ids}),
        )
        after = engine.heatmap(con, Scope("demo"), by=None).data.set_index("unit")
    assert (after["n"] == before["n"] + 1).all()
    assert (after["mean"] > before["mean"]).all()


def test_gap_rows_are_the_heatmap_cells(demo):
    gaps = engine.gaps(demo, Scope("demo"), a=("function", "it"), b=("site", "venlo")).data.set_index("unit")
    by_function = engine.heatmap(demo, Scope("demo"), by="function").data.set_index(["unit", "group"])
    by_site = engine.heatmap(demo, Scope("demo"), by="site").data.set_index(["unit", "group"])
    for unit, row in gaps.iterrows():
        a, b = by_function.loc[(unit, "function=it")], by_site.loc[(unit, "site=venlo")]
        assert row["suppressed"] == (a["suppressed"] or b["suppressed"])
        if not row["suppressed"]:
            assert (row["n_a"], row["n_b"]) == (a["n"], b["n"])
            assert row["diff"] == pytest.approx(a["mean"] - b["mean"])


def test_distribution_sums_to_100_and_hides_like_the_heatmap(demo):
    scope = Scope("demo", filters=(("site", "gent"),))
    dist = engine.item_distribution(demo, scope, "GOV2").data
    heat = engine.heatmap(demo, scope, unit="item", by="level").data
    heat = heat[heat["unit"] == "GOV2"].set_index("group")
    for group, part in dist.groupby("group"):
        assert part["suppressed"].all() == heat.loc[group, "suppressed"]
        if not heat.loc[group, "suppressed"]:
            assert part["pct"].sum() == pytest.approx(100.0)
            assert part["n"].iloc[0] == heat.loc[group, "n"]
        else:
            assert part["pct"].isna().all() and part["n"].isna().all()


def test_agreement_is_the_heatmap_spread(demo):
    agreement = engine.agreement(demo, Scope("demo")).data
    heat = engine.heatmap(demo, Scope("demo")).data
    pd.testing.assert_frame_equal(agreement, heat[agreement.columns])


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda f: f.assign(mean=f["mean"].where(~f["suppressed"], 3.0)), "carries a number"),
        (lambda f: f.assign(n=f["n"].where(f["suppressed"], 2)), "fewer than k"),
        (lambda f: f.drop(columns="rwg"), "rwg"),
    ],
)
def test_the_last_guard_refuses_a_leaking_frame(demo, tamper, message):
    frame = engine.heatmap(demo, Scope("demo", filters=(("site", "gent"),)), unit="item").data
    assert frame["suppressed"].any() and (~frame["suppressed"]).any()
    with pytest.raises(pandera.errors.SchemaError, match=message):
        schemas.check(tamper(frame), "groups", 5)


def test_threshold_comes_from_the_campaign(tmp_path, make_demo):
    with open_cursor(make_demo(200, seed=4, waves=1, into=tmp_path / "k.duckdb")) as con:
        con.execute("UPDATE campaigns SET threshold = 12, comment_threshold = 20 WHERE campaign_id = 'demo'")
        result = engine.heatmap(con, Scope("demo"), unit="item", by="level")
        notes = engine.comments(con, Scope("demo"))
    assert result.threshold == 12 and notes.threshold == 20
    shown = result.data[~result.data["suppressed"]]
    assert (shown["n"] >= 12).all()
    assert result.data["suppressed"].any()
