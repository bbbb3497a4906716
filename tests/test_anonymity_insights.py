"""Targeted attacks on the numbers the adversary's linear algebra does not reach: chart marks, colours and the public board.

A change mark (▲/▼) and the colour "difference from everyone" are numbers too: a mark on a cell hidden in
one of two waves gives the hidden wave's mean (the shown mean minus the change), and a colour computed
from a hidden mean paints it. The chart data Vega-Lite receives is what the browser holds, so it is
read here, not only the text drawn.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis import engine
from analysis.charts import heatmap_chart
from analysis.closure import closure
from analysis.engine import Scope
from analysis.export.poster import poster_html
from analysis.labels import Labels
from analysis.public import public_board
from survey.actions import action_from, add_action
from survey.campaigns import campaign_instrument
from survey.publication import publish
from tests.conftest import MakeDemo, open_cursor
from tests.test_anonymity_adversary import INSTRUMENT, population, store

MARKS = ("▲", "▼", "=")


def _chart_rows(chart) -> pd.DataFrame:
    spec = chart.to_dict()
    datasets = spec["datasets"]
    return pd.DataFrame(next(iter(datasets.values())))


def _two_waves(con, k: int = 5):
    """Two waves where a level's cells are shown in one wave and hidden in the other (the board is two people in wave 2)."""
    rng = np.random.default_rng(21)
    first, second = population(rng, 60, 1), population(rng, 40, 2)
    for p in second:
        if p.attrs["level"] == "board":
            p.attrs["level"] = "shop"
    for p in second[:2]:
        p.attrs["level"] = "board"
    store(con, {1: first, 2: second}, k, k + 3)


def test_a_cell_hidden_in_one_wave_has_no_change_mark_and_no_number_in_the_chart(con):
    _two_waves(con)
    for scope in (Scope("adv", wave=2), Scope("adv", wave=2, filters=(("site", "north"),))):
        now = engine.heatmap(con, scope, unit="dimension", by="level").data
        before = engine.heatmap(con, Scope("adv", wave=1, filters=scope.filters), unit="dimension", by="level").data
        trend = engine.trend(con, scope, earlier_wave=1, unit="dimension", by="level").data
        shown = trend[~trend["suppressed"]]
        changes = {(u, g): float(c) for u, g, c in zip(shown["unit"], shown["group"], shown["change"], strict=True)}
        hidden_once = {
            (r.unit, r.group)
            for r, b in zip(now.itertuples(), before.itertuples(), strict=True)
            if bool(r.suppressed) != bool(b.suppressed)
        }
        assert hidden_once or scope.filters, "the fixture must hide a level in one wave only"
        assert not hidden_once & set(changes), "a change is given for a cell hidden in one wave"
        rows = _chart_rows(heatmap_chart(now, scale_min=1, scale_max=5, threshold=5, relative=True, changes=changes, group_labels=None))
        rows["key"] = list(zip(now["unit"], now["group"], strict=True))
        for row in rows.itertuples():
            if row.key in hidden_once or row.hidden:
                assert not any(mark in row.label for mark in MARKS), row.label
            if row.hidden:
                for column in ("mean", "diff", "n"):
                    value = getattr(row, column)
                    assert value is None or (isinstance(value, float) and math.isnan(value)), (column, row)


def test_closure_gives_nothing_of_a_group_hidden_in_the_after_wave(con):
    """The board is shown in wave 1 and two people in wave 2: no gap after, no change (it would be the hidden gap minus the shown one), no closure."""
    _two_waves(con)
    board_shop = (("level", "board"), ("level", "shop"))
    for dim in ("work", "lead"):
        add_action(
            con, "adv", action_from({"kind": "dimension", "id": dim, "a": "level=board", "b": "level=shop"}, wave=1, owner="Ops"), actor="t"
        )
    before = engine.gaps(con, Scope("adv", wave=1), *board_shop).data.set_index("unit")
    after = engine.gaps(con, Scope("adv", wave=2), *board_shop).data.set_index("unit")
    assert not before.loc[["work", "lead"], "suppressed"].any() and after.loc[["work", "lead"], "suppressed"].all(), "the fixture"
    found = closure(con, "adv", *board_shop)
    for row in found.actions.to_dict("records"):
        assert row["gap_before"] == pytest.approx(before.loc[row["target_id"], "diff"])
        for column in ("gap_after", "gap_after_low", "gap_after_high", "change", "ci_low", "ci_high"):
            assert row[column] is None or pd.isna(row[column]), (column, row)
    assert found.did is None and found.ci is None and found.n_targeted == 0
    doc = engine.summary(con, Scope("adv", wave=2), *board_shop)
    assert all(a["change"] is None and a.get("gap_after") is None for a in doc["actions"]), doc["actions"]
    assert doc["closure"]["did"] is None and doc["closure"]["targeted"] is None


@pytest.mark.parametrize("breakdown", ["level", "site", "function"])
def test_the_public_board_alone_gives_no_small_group_by_subtraction(con, breakdown):
    """Without sign-in the board is all one sees: everyone's n·mean minus the shown groups' must not be a group of 1..k-1.

    Two people stated no site and three no function, and one level is small; the board and the poster
    show only cells the heatmap shows, and what is left over after the shown groups is nobody or at least k.
    """
    k = 5
    people = population(np.random.default_rng(31), 50, 1)
    for p in people:
        p.attrs["site"] = p.attrs["site"] or "north"
        p.attrs["function"] = p.attrs["function"] or "ops"
    for p in people[:2]:
        p.attrs["site"] = None
    for p in people[2:5]:
        p.attrs["function"] = None
    for p in people:
        p.attrs["level"] = "shop" if p.attrs["level"] == "board" else p.attrs["level"]
    for p in people[5:8]:
        p.attrs["level"] = "board"
    store(con, {1: people}, k, k + 3)
    publish(con, "adv", 1, ["work", "lead"], breakdown, actor="leader")
    board = public_board(con, "adv", "en")
    html = poster_html(board, "https://example.org/p/adv")
    frame = engine.heatmap(con, Scope("adv", 1), unit="dimension", by=breakdown).data
    assert frame["suppressed"].any(), "the fixture must hide a group"
    for dim in board.dimensions:
        assert dim.overall is not None and dim.overall.n >= k
        left = dim.overall.n - sum(g.n for g in dim.groups)
        assert left == 0 or left >= k, (breakdown, dim.dimension, left)
        hidden = frame[(frame["unit"] == dim.dimension) & frame["suppressed"]]
        assert dim.hidden == len(hidden)
        assert all(g.n >= k for g in dim.groups)
        for option in hidden["option"].dropna():
            label = INSTRUMENT.attributes[breakdown].options[option]["en"]
            assert all(g.group != label for g in dim.groups) and f">{label}<" not in html, label


def test_findings_under_a_filter_never_name_a_group_that_filter_hides(make_demo: MakeDemo):
    """Differencing by wording: read under one site, the findings (EN and NL) name no level the filtered view hides."""
    with open_cursor(make_demo(90, seed=5, waves=2)) as con:
        instrument = campaign_instrument(con, "demo", 2)
        sites = list(instrument.attributes["site"].options)
        checked = 0
        for site in sites:
            doc = engine.summary(con, Scope("demo", filters=(("site", site),)))
            shown = {f"{a}={o}" for e in doc["dimensions"].values() for a, opts in e["by"].items() for o, c in opts.items() if "n" in c}
            hidden = {s["group"] for s in doc["suppressed"] if s["group"] != "all"} - shown
            for f in doc["findings"]:
                for group in hidden:
                    attribute, _, option = group.partition("=")
                    assert group not in str(f["refs"])
                    for lang in ("en", "nl"):
                        label = Labels(instrument, lang).option(attribute, option)
                        assert label not in f["text"][lang], (site, label, f["text"][lang])
                        checked += 1
    assert checked, "some filtered view must both hide a level and say something"
