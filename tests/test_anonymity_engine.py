"""Anonymity end to end: adversarial small populations stored in a real DuckDB file, every view and filter combination checked against true counts."""

from __future__ import annotations

import datetime as dt
import itertools
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import engine
from analysis.engine import Scope
from analysis.summary import build_summary
from survey.campaigns import create_campaign
from survey.instrument import parse_instrument
from survey.responses import insert_frames
from survey.schemas import ResponseFrames
from survey.store import Database, transaction

TINY = """
id: tiny
version: 1
languages: [en]
title: {en: Tiny}
scale: {min: 1, max: 5, dont_know: true, labels: {en: [Disagree, Agree]}}
attributes:
  team: {label: {en: Team}, options: {red: {en: Red}, green: {en: Green}, blue: {en: Blue}}}
  site: {label: {en: Site}, required: false, options: {north: {en: North}, south: {en: South}}}
dimensions:
  - id: work
    label: {en: Work}
    items:
      - {id: W1, text: {en: One}}
      - {id: W2, text: {en: Two}, reverse: true}
value_at_stake:
  prompt: {en: "Which losses?"}
  losses: {downtime: {en: Downtime}, scrap: {en: Scrap}}
  max_choices: 2
"""
INSTRUMENT = parse_instrument(TINY)
TEAMS = ["red", "green", "blue"]
SITES = ["north", "south"]
ATTRIBUTES = {"team": TEAMS, "site": SITES}
FILTERS = [(), (("site", "north"),), (("team", "red"),), (("team", "green"), ("site", "south")), (("site", "south"),)]


@st.composite
def populations(draw):
    """Respondents by (team, site) with many cells just below and at k; answers with don't know; some comments and losses."""
    k = draw(st.integers(3, 5))
    comment_k = draw(st.integers(k, k + 4))
    people = []
    for team, site in itertools.product(TEAMS, SITES + [None]):
        for _ in range(draw(st.one_of(st.integers(0, 6), st.integers(0, 14)))):
            people.append(
                {
                    "team": team,
                    "site": site,
                    "W1": draw(st.one_of(st.none(), st.integers(1, 5))),
                    "W2": draw(st.one_of(st.none(), st.integers(1, 5))),
                    "losses": draw(st.sets(st.sampled_from(["downtime", "scrap"]))),
                    "comment": draw(st.booleans()),
                }
            )
    return k, comment_k, people


def store(con, k: int, comment_k: int, people: list[dict]) -> None:
    create_campaign(con, "Tiny", INSTRUMENT, campaign_id="tiny", threshold=k, comment_threshold=comment_k)
    ids = [f"r{i:04d}" for i in range(len(people))]
    responses = pd.DataFrame(
        {
            "response_id": ids,
            "campaign_id": "tiny",
            "wave": np.ones(len(ids), dtype="int64"),
            "submitted_on": pd.Series([pd.Timestamp(dt.date(2024, 5, 1))] * len(ids), dtype="datetime64[ns]"),
            "language": "en",
            "source": "web",
            "submission_key": pd.Series([None] * len(ids), dtype=object),
            "import_id": pd.Series([None] * len(ids), dtype=object),
        }
    )
    attrs = [(rid, a, p[a]) for rid, p in zip(ids, people, strict=True) for a in ("team", "site") if p[a] is not None]
    answers = [(rid, item, p[item]) for rid, p in zip(ids, people, strict=True) for item in ("W1", "W2")]
    comments = [(rid, "work", "en", f"comment from {rid}") for rid, p in zip(ids, people, strict=True) if p["comment"]]
    losses = [(rid, loss) for rid, p in zip(ids, people, strict=True) for loss in sorted(p["losses"])]
    frames = ResponseFrames(
        responses=responses,
        attributes=pd.DataFrame(attrs, columns=["response_id", "attribute", "value"]),
        answers=pd.DataFrame(answers, columns=["response_id", "item_id", "value"]).astype({"value": "Int16"}),
        comments=pd.DataFrame(comments, columns=["response_id", "dimension", "language", "text"]),
        value_choices=pd.DataFrame(losses, columns=["response_id", "loss"]),
    )
    with transaction(con):
        insert_frames(con, frames, INSTRUMENT)


def contributes(person: dict, unit: str) -> bool:
    if unit == "respondents":
        return True
    if unit in ("W1", "W2"):
        return person[unit] is not None
    if unit == "work":
        return sum(person[i] is not None for i in ("W1", "W2")) * 2 >= 2
    if unit.startswith("loss:"):
        return bool(person["losses"])
    raise ValueError(unit)


def true_n(people: list[dict], conditions: dict[str, str], unit: str) -> int:
    return sum(1 for p in people if all(p[a] == o for a, o in conditions.items()) and contributes(p, unit))


def ok_difference(d: int, k: int) -> bool:
    return d == 0 or d >= k


def check_view(frame: pd.DataFrame, people: list[dict], filters: tuple, by: str | None, unit_of, k: int, numbers: list[str]) -> dict:
    """Every rule on one suppressed frame; returns {(unit, conditions): shown} for cross-view checks."""
    verdicts = {}
    fixed = dict(filters)
    for row in frame.to_dict("records"):
        unit = unit_of(row)
        conditions = dict(fixed)
        if row["attribute"] is not None and not pd.isna(row["attribute"]):
            conditions[row["attribute"]] = row["option"]
        shown = not row["suppressed"]
        verdicts[(unit, tuple(sorted(conditions.items())))] = shown
        if not shown:
            assert all(pd.isna(row[c]) for c in numbers), ("hidden row carries numbers", row)
            continue
        n = true_n(people, conditions, unit)
        assert row["n"] == n, (row, n)
        assert n >= k, ("shown below k", row)
        assert true_n(people, fixed, "respondents") >= k, ("filtered population below k", filters)
        for drop in range(1, len(filters) + 1):
            for dropped in itertools.combinations([a for a, _ in filters], drop):
                larger = {a: o for a, o in conditions.items() if a not in dropped}
                assert ok_difference(true_n(people, larger, unit) - n, k), ("differencing", row, larger)
    if by is not None:
        for unit in {unit_of(r) for r in frame.to_dict("records")}:
            rows = [r for r in frame.to_dict("records") if unit_of(r) == unit]
            total = next(r for r in rows if r["group"] == "all")
            if total["suppressed"]:
                continue
            shown_sum = sum(int(r["n"]) for r in rows if r["group"] != "all" and not r["suppressed"])
            assert ok_difference(true_n(people, fixed, unit) - shown_sum, k), ("complementary", unit, filters, by)
    return verdicts


def views():
    for filters in FILTERS:
        filtered = {a for a, _ in filters}
        for by in [None] + [a for a in ATTRIBUTES if a not in filtered]:
            yield filters, by


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(populations())
def test_every_view_obeys_the_rules_against_true_counts(population):
    k, comment_k, people = population
    with tempfile.TemporaryDirectory() as folder:
        db = Database(Path(folder) / "tiny.duckdb", linger_s=0, wait_s=5)
        with db.cursor() as con:
            store(con, k, comment_k, people)
            verdicts: dict = {}
            for filters, by in views():
                scope = Scope("tiny", filters=filters)
                for unit_type in ("item", "dimension"):
                    frame = engine.heatmap(con, scope, unit=unit_type, by=by).data
                    found = check_view(frame, people, filters, by, lambda r: r["unit"], k, ["n", "mean", "sd", "ci_low", "ci_high", "rwg"])
                    for key, shown in found.items():
                        assert verdicts.setdefault(key, shown) == shown, ("a cell's verdict depends on the view", key)
                part = engine.participation(con, scope, by=by).data
                check_view(part, people, filters, by, lambda r: "respondents", k, ["n", "response_rate"])
                shares = (
                    engine.value_at_stake(con, scope, by=by, a=("team", "red"), b=("team", "blue")).shares
                    if "team" not in dict(filters)
                    else None
                )
                if shares is not None:
                    check_view(shares, people, filters, by, lambda r: "loss:" + r["loss"], k, ["n", "share"])
                dist = engine.item_distribution(con, scope, "W2", by=by).data
                check_view(dist[dist["value"] == 1], people, filters, by, lambda r: "W2", k, ["n", "pct"])
                notes = engine.comments(con, scope, by=by).data
                for group in notes["group"].unique():
                    conditions = dict(filters)
                    if group != "all":
                        attribute, option = group.split("=")
                        conditions[attribute] = option
                    n = true_n(people, conditions, "respondents")
                    assert n >= comment_k, ("comments of a small group", group, n)
                    for drop in range(1, len(filters) + 1):
                        for dropped in itertools.combinations([a for a, _ in filters], drop):
                            larger = {a: o for a, o in conditions.items() if a not in dropped}
                            assert ok_difference(true_n(people, larger, "respondents") - n, comment_k), ("comment differencing", group)
                assert "submitted_on" not in notes.columns
        db.close()


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(populations())
def test_summary_document_never_shows_a_small_or_recoverable_group(population):
    k, comment_k, people = population
    with tempfile.TemporaryDirectory() as folder:
        db = Database(Path(folder) / "tiny.duckdb", linger_s=0, wait_s=5)
        with db.cursor() as con:
            store(con, k, comment_k, people)
            for filters in FILTERS:
                fixed = dict(filters)
                pair = (("team", "red"), ("team", "green")) if "team" not in fixed else (None, None)
                doc = build_summary(con, Scope("tiny", filters=filters), *pair)
                assert bool(doc["gaps"]) == ("team" not in fixed)
                if doc["respondents"] is not None:
                    assert doc["respondents"] == true_n(people, fixed, "respondents") >= k
                for section, units in (("dimensions", {"work": "work"}), ("items", {"W1": "W1", "W2": "W2"})):
                    for unit_id, unit in units.items():
                        entry = doc[section][unit_id]
                        cells = [(fixed, entry["overall"])] + [
                            ({**fixed, attribute: option}, c) for attribute, options in entry["by"].items() for option, c in options.items()
                        ]
                        for conditions, c in cells:
                            if c.get("suppressed"):
                                assert set(c) == {"suppressed"}
                            else:
                                assert c["n"] == true_n(people, conditions, unit) >= k
                        if not entry["overall"].get("suppressed"):
                            for options in entry["by"].values():
                                visible = sum(c["n"] for c in options.values() if not c.get("suppressed"))
                                assert ok_difference(true_n(people, fixed, unit) - visible, k)
                for gap in doc["gaps"]:
                    if not gap.get("suppressed"):
                        assert gap["n_a"] >= k and gap["n_b"] >= k
                    else:
                        assert set(gap) <= {"a", "b", "dimension", "item", "suppressed", "reason"}
        db.close()


@pytest.mark.parametrize(
    ("counts", "filters", "by", "hidden_groups"),
    [
        # 12 red, 12 green, 2 blue: blue is below k, and red (the smallest visible one, ties broken by option order) is hidden with it.
        ({("red", "north"): 12, ("green", "north"): 12, ("blue", "north"): 2}, (), "team", {"team=blue", "team=red"}),
        # site=north holds everyone but 3 respondents: showing it would let those 3 be worked out from the unfiltered total.
        ({("red", "north"): 20, ("red", "south"): 3}, (("site", "north"),), "team", {"all", "team=red", "team=green", "team=blue"}),
        # the filtered population is below k: the whole view is hidden.
        ({("red", "north"): 20, ("red", "south"): 4}, (("site", "south"),), "team", {"all", "team=red", "team=green", "team=blue"}),
    ],
)
def test_worked_examples_through_the_engine(con, counts, filters, by, hidden_groups):
    people = [
        {"team": team, "site": site, "W1": 3, "W2": 4, "losses": {"scrap"}, "comment": False}
        for (team, site), n in counts.items()
        for _ in range(n)
    ]
    store(con, 5, 10, people)
    frame = engine.heatmap(con, Scope("tiny", filters=filters), unit="dimension", by=by).data
    assert set(frame.loc[frame["suppressed"], "group"]) == hidden_groups
