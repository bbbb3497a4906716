"""Written findings: at most seven, English and Dutch, each citing the summary's numbers, never about a hidden group."""

from __future__ import annotations

import copy

import pytest

from analysis import engine
from analysis.insights.findings import KINDS, MAX_FINDINGS, PAGES, findings
from analysis.labels import Labels
from analysis.scope import Scope
from survey.campaigns import campaign_instrument
from tests.conftest import MakeDemo, open_cursor


def nl(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def hand_built() -> dict:
    """A summary document as `summary --json` prints it, written by hand, with the other branch's `blind_spots` contract."""
    cell = {"n": 40, "mean": 3.0, "sd": 0.8, "ci": [2.7, 3.3], "rwg": 0.7}
    dims = ["strategy", "operations", "governance", "leadership", "it_ot"]
    alphas = {"strategy": 0.85, "operations": 0.64, "governance": 0.81, "leadership": 0.79, "it_ot": 0.58}
    by_level = {"board": cell, "senior_management": cell, "middle_management": cell, "supervisor": {"suppressed": True}}
    return {
        "threshold": 5,
        "dimensions": {d: {"alpha": alphas[d], "alpha_low": alphas[d] < 0.7, "overall": cell, "by": {"level": by_level}} for d in dims},
        "gaps": [
            {
                "a": "level=board",
                "b": "level=shop_floor",
                "dimension": "strategy",
                "diff": 1.2345,
                "ci": [0.9012, 1.5678],
                "effect_size": 1.87,
                "p": 0.0001,
                "p_adj": 0.0004,
                "n_a": 12,
                "mean_a": 4.1,
                "n_b": 150,
                "mean_b": 2.87,
            },
            {
                "a": "level=board",
                "b": "level=shop_floor",
                "dimension": "governance",
                "diff": -0.6543,
                "ci": [-0.98, -0.33],
                "effect_size": -0.61,
                "p": 0.002,
                "p_adj": 0.004,
                "n_a": 12,
                "mean_a": 2.9,
                "n_b": 150,
                "mean_b": 3.55,
            },
            {
                "a": "level=board",
                "b": "level=shop_floor",
                "dimension": "it_ot",
                "diff": 2.5,
                "ci": [-0.1, 5.1],
                "effect_size": 0.3,
                "p": 0.2,
                "p_adj": 0.3,
                "n_a": 12,
                "mean_a": 3.0,
                "n_b": 150,
                "mean_b": 0.5,
            },
            {"a": "level=board", "b": "level=shop_floor", "item": "STR1", "diff": 3.9, "ci": [3.0, 4.0], "effect_size": 3, "p_adj": 0.0},
            {"a": "level=board", "b": "level=shop_floor", "dimension": "leadership", "suppressed": True, "reason": "below_threshold"},
        ],
        "blind_spots": [
            {
                "by": "level=board",
                "about": "level=shop_floor",
                "dimension": "governance",
                "predicted": 3.71,
                "actual": 2.62,
                "diff": 1.09,
                "ci": [0.81, 1.37],
                "p_adj": 0.0001,
                "n_by": 12,
                "n_about": 150,
            },
            {
                "by": "level=shop_floor",
                "about": "level=board",
                "dimension": "strategy",
                "predicted": 3.9,
                "actual": 3.95,
                "diff": -0.05,
                "ci": [-0.2, 0.1],
                "p_adj": 0.6,
                "n_by": 150,
                "n_about": 12,
            },
            {"by": "level=supervisor", "about": "level=board", "dimension": "strategy", "suppressed": True},
        ],
        "coherence": {
            "overall": 0.5321,
            "dimensions": {d: {"index": 0.6, "between": 0.8, "within": 0.75} for d in dims}
            | {"governance": {"index": 0.3456, "between": 0.4321, "within": 0.8}},
        },
        "splits": [
            {"group": "function=production", "item": "OPS2", "agreement_a": -0.12, "n": 60},
            {"group": "level=shop_floor", "item": "OPS4", "agreement_a": -0.4567, "n": 150},
        ],
        "value_at_stake": [
            {
                "loss": "unplanned_downtime",
                "rank": 1,
                "share_all": 0.3,
                "a": "level=board",
                "b": "level=shop_floor",
                "share_a": 0.52,
                "share_b": 0.11,
                "diff": 0.41,
                "ci": [0.2, 0.6],
                "eur_per_year": 1_400_000.0,
                "priority": 1.0,
            },
            {
                "loss": "quality_scrap_rework",
                "rank": 2,
                "share_all": 0.3,
                "a": "level=board",
                "b": "level=shop_floor",
                "share_a": 0.1,
                "share_b": 0.6,
                "diff": -0.5,
                "ci": [-0.9, 0.05],
                "eur_per_year": None,
                "priority": 0.5,
            },
        ],
        "trend": {
            "earlier_wave": 1,
            "dimensions": [
                {
                    "dimension": "strategy",
                    "group": "level=shop_floor",
                    "change": 0.3123,
                    "ci": [0.11, 0.51],
                    "p_adj": 0.01,
                    "effect_size": 0.4,
                    "n_before": 140,
                    "n_after": 150,
                    "mean_before": 2.56,
                    "mean_after": 2.87,
                },
                {"dimension": "strategy", "group": "level=supervisor", "suppressed": True},
            ],
        },
    }


def test_hand_built_document(instrument):
    found = findings(hand_built(), instrument)
    assert 1 <= len(found) <= MAX_FINDINGS
    assert [f["kind"] for f in found] == list(KINDS)
    for f in found:
        assert f["kind"] in KINDS and set(f["text"]) == {"en", "nl"} and all(f["text"].values())
        assert f["refs"]["page"] == PAGES[f["kind"]]
    gap, spot, split, coherence, value, trend, reliability = found
    # the largest significant gap (it_ot is larger but not significant; the item gap is not a dimension)
    assert gap["refs"]["dimension"] == "strategy"
    assert "1.23 points higher" in gap["text"]["en"] and "+0.90 to +1.57" in gap["text"]["en"] and "g = 1.87" in gap["text"]["en"]
    assert "1,23 punten hoger" in gap["text"]["nl"] and "+0,90 tot +1,57" in gap["text"]["nl"] and "g = 1,87" in gap["text"]["nl"]
    assert spot["refs"]["dimension"] == "governance" and spot["refs"]["diff"] == 1.09
    assert "3.71" in spot["text"]["en"] and "2.62" in spot["text"]["en"] and "1.09 points too high" in spot["text"]["en"]
    assert "3,71" in spot["text"]["nl"] and "2,62" in spot["text"]["nl"]
    assert split["refs"]["group"] == "level=shop_floor" and "−0.46" in split["text"]["en"] and "n = 150" in split["text"]["en"]
    assert "1 more split group" in split["text"]["en"]
    assert coherence["refs"]["dimension"] == "governance" and "0.35" in coherence["text"]["en"] and "0.53" in coherence["text"]["en"]
    assert "0,35" in coherence["text"]["nl"]
    # the quality loss has the larger difference, but its CI crosses zero
    assert value["refs"]["loss"] == "unplanned_downtime" and "52%" in value["text"]["en"] and "11%" in value["text"]["en"]
    assert "1,400,000" in value["text"]["en"] and "1.400.000" in value["text"]["nl"]
    assert "0.31 points" in trend["text"]["en"] and "2.56 → 2.87" in trend["text"]["en"] and "2,56 → 2,87" in trend["text"]["nl"]

    assert "(α = 0.64)" in reliability["text"]["en"] and "(α = 0,58)" in reliability["text"]["nl"]
    assert reliability["refs"]["alpha"] == {"operations": 0.64, "it_ot": 0.58}


def test_the_second_gap_fills_a_free_place_and_seven_at_most(instrument):
    doc = hand_built()
    del doc["blind_spots"]  # a summary without the blind-spot block
    found = findings(doc, instrument)
    assert [f["kind"] for f in found] == ["gap", "gap", "split", "coherence", "value", "trend", "reliability"]
    assert found[1]["refs"]["dimension"] == "governance"
    assert "0.65 points lower" in found[1]["text"]["en"] and "medium" in found[1]["text"]["en"]
    doc["blind_spots"] = hand_built()["blind_spots"]
    assert len(findings(doc, instrument)) == MAX_FINDINGS


def test_nothing_is_said_about_a_hidden_group(instrument):
    doc = hand_built()
    # the supervisor level is hidden everywhere; the other branch's contract never lists it, but a stray entry must not be read
    hidden = [Labels(instrument, lang).group("level=supervisor") for lang in ("en", "nl")]
    found = findings(doc, instrument)
    for f in found:
        for text in f["text"].values():
            assert not any(label in text for label in hidden)
        assert "level=supervisor" not in str(f["refs"])


def test_empty_document_says_nothing(instrument):
    assert findings({"dimensions": {}, "gaps": []}, instrument) == []


def test_a_finding_is_only_as_good_as_its_numbers(instrument):
    doc = copy.deepcopy(hand_built())
    for g in doc["gaps"]:
        if "p_adj" in g:
            g["p_adj"] = 0.2
    for s in doc["blind_spots"]:
        s["p_adj"] = 0.2
    assert [f["kind"] for f in findings(doc, instrument)][:2] == ["split", "coherence"]


@pytest.mark.parametrize("respondents", [400, 45])
def test_demo_findings_never_mention_a_hidden_group(make_demo: MakeDemo, respondents):
    with open_cursor(make_demo(respondents, seed=5, waves=2)) as con:
        doc = engine.summary(con, Scope("demo"))
        instrument = campaign_instrument(con, "demo", 2)
    found = doc["findings"]
    assert found and len(found) <= MAX_FINDINGS
    hidden_groups = {s["group"] for s in doc["suppressed"] if s["group"] != "all" and s["unit"] in doc["dimensions"]}
    shown_somewhere = {f"{a}={o}" for e in doc["dimensions"].values() for a, opts in e["by"].items() for o, c in opts.items() if "n" in c}
    never_shown = hidden_groups - shown_somewhere
    if respondents == 45:
        assert never_shown, "the small demo hides a group on every dimension"
    for f in found:
        refs = str(f["refs"])
        for group in never_shown:
            assert group not in refs
            attribute, _, option = group.partition("=")
            for lang in ("en", "nl"):
                label = Labels(instrument, lang).option(attribute, option)
                assert label not in f["text"][lang], (label, f["text"][lang])
    if respondents == 400:
        assert found[0]["kind"] == "gap" and found[0]["refs"]["a"] == "level=board"
        split = next(f for f in found if f["kind"] == "split")
        assert split["refs"]["group"] == "level=shop_floor" and split["refs"]["item"] == "OPS4"
