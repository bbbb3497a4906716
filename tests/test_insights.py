"""Blind spots, ambition gap and priority matrix: each checked against numpy/scipy on data whose truth the test built."""

from __future__ import annotations

import itertools
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.insights.priorities import priority_table
from analysis.scope import Scope
from analysis.summary import build_summary
from survey.campaigns import create_campaign
from survey.instrument import load_instrument
from survey.responses import Submission, SubmissionError, submit
from tests.conftest import MakeDemo, open_cursor

VALID = Path(__file__).resolve().parent / "data" / "instruments" / "valid_ratings.yaml"
DIMS = ("strategy", "operations", "it_ot")
ITEMS = {"strategy": ("S1", "S2"), "operations": ("O1", "O2"), "it_ot": ("I1", "I2", "I3", "I4", "I5")}
REVERSE = {"O2"}  # scored 1 + 5 - value


def _people(seed: int, sizes: dict[tuple[str, str], int]) -> list[dict]:
    """Respondents with random answers, targets and predictions; every number is kept to recompute the truth with numpy."""
    rng = np.random.default_rng(seed)
    people = []
    for (level, site), count in sizes.items():
        for _ in range(count):
            answers = {}
            for d in DIMS:
                for item in ITEMS[d]:
                    answers[item] = None if rng.random() < 0.1 else int(rng.integers(1, 6))
            other = "shop_floor" if level == "board" else "board"
            predictions = {(other, d): int(rng.integers(1, 6)) for d in DIMS if rng.random() > 0.1}
            targets = {d: int(rng.integers(2, 6)) for d in DIMS if rng.random() > 0.1}
            people.append({"level": level, "site": site, "answers": answers, "targets": targets, "predictions": predictions})
    return people


def _store(con: duckdb.DuckDBPyConnection, people: list[dict], k: int = 5) -> None:
    instrument = load_instrument(VALID)
    create_campaign(con, "Ratings", instrument, campaign_id="r", threshold=k)
    for i, p in enumerate(people):
        attributes = {"level": p["level"], "site": p["site"]}
        sub = Submission("r", 1, "en", attributes, p["answers"], submission_key=f"k{i}", targets=p["targets"], predictions=p["predictions"])
        submit(con, instrument, sub)


def _score(p: dict, d: str) -> float:
    """The respondent's dimension score: mean of answered items (reverse-keyed ones reversed) when at least half were answered."""
    values = [6 - p["answers"][i] if i in REVERSE else p["answers"][i] for i in ITEMS[d] if p["answers"][i] is not None]
    return float(np.mean(values)) if 2 * len(values) >= len(ITEMS[d]) else np.nan


SIZES = {("board", "north"): 14, ("board", "south"): 12, ("shop_floor", "north"): 30, ("shop_floor", "south"): 25}


@pytest.fixture
def rated(con: duckdb.DuckDBPyConnection) -> tuple[duckdb.DuckDBPyConnection, list[dict]]:
    people = _people(3, SIZES)
    _store(con, people)
    return con, people


def test_blind_spots_match_welch_and_bh_computed_with_scipy(rated: tuple[duckdb.DuckDBPyConnection, list[dict]]) -> None:
    con, people = rated
    doc = build_summary(con, Scope("r"))
    expected = []
    for by, about in (("board", "shop_floor"), ("shop_floor", "board")):
        for d in DIMS:
            predicted = np.array(
                [p["predictions"][(about, d)] for p in people if p["level"] == by and (about, d) in p["predictions"]], float
            )
            actual = np.array([_score(p, d) for p in people if p["level"] == about])
            actual = actual[~np.isnan(actual)]
            test = stats.ttest_ind(predicted, actual, equal_var=False)
            ci = test.confidence_interval(0.95)
            expected.append(
                (f"level={by}", f"level={about}", d, predicted.mean(), actual.mean(), ci.low, ci.high, test.pvalue, len(predicted))
            )
    p_adj = stats.false_discovery_control([e[7] for e in expected], method="bh")
    got = {(b["by"], b["about"], b["dimension"]): b for b in doc["blind_spots"]}
    assert len(got) == len(expected)
    for e, adjusted in zip(expected, p_adj, strict=True):
        b = got[e[:3]]
        assert b["predicted"] == pytest.approx(e[3]) and b["actual"] == pytest.approx(e[4])
        assert b["diff"] == pytest.approx(e[3] - e[4])
        assert b["ci"] == pytest.approx([e[5], e[6]])
        assert b["p_adj"] == pytest.approx(adjusted)
        assert b["n_by"] == e[8]
    # "actual" is the heatmap's number: the dimension cell of the predicted level
    for b in doc["blind_spots"]:
        option = b["about"].split("=")[1]
        assert b["actual"] == pytest.approx(doc["dimensions"][b["dimension"]]["by"]["level"][option]["mean"])


def test_ambition_cells_are_mean_target_minus_the_heatmap_score_with_welch(rated: tuple[duckdb.DuckDBPyConnection, list[dict]]) -> None:
    con, people = rated
    doc = build_summary(con, Scope("r"))
    groups = {"overall": people, **{f"level={o}": [p for p in people if p["level"] == o] for o in ("board", "shop_floor")}}
    groups.update({f"site={o}": [p for p in people if p["site"] == o] for o in ("north", "south")})
    for d in DIMS:
        entry = doc["ambition"][d]
        for name, members in groups.items():
            targets = np.array([p["targets"][d] for p in members if d in p["targets"]], float)
            scores = np.array([_score(p, d) for p in members])
            scores = scores[~np.isnan(scores)]
            ci = stats.ttest_ind(targets, scores, equal_var=False).confidence_interval(0.95)
            cell = entry["overall"] if name == "overall" else entry["by"][name.split("=")[0]][name.split("=")[1]]
            assert (cell["n"], cell["n_current"]) == (len(targets), len(scores))
            assert cell["target"] == pytest.approx(targets.mean()) and cell["current"] == pytest.approx(scores.mean())
            assert cell["gap"] == pytest.approx(targets.mean() - scores.mean())
            assert cell["ci"] == pytest.approx([ci.low, ci.high])
            heat = (
                doc["dimensions"][d]["overall"] if name == "overall" else doc["dimensions"][d]["by"][name.split("=")[0]][name.split("=")[1]]
            )
            assert cell["current"] == pytest.approx(heat["mean"])  # the score the heatmap shows


def test_a_level_below_the_threshold_gives_no_blind_spot_and_no_ambition_cell(con: duckdb.DuckDBPyConnection) -> None:
    """Four board members: no blind spot by or about the board, no board ambition cell, and no total that gives it away."""
    sizes = {("board", "north"): 4, ("shop_floor", "north"): 30, ("shop_floor", "south"): 25}
    _store(con, _people(5, sizes))
    doc = build_summary(con, Scope("r"))
    assert doc["blind_spots"] == []
    for d in DIMS:
        assert doc["ambition"][d]["by"]["level"]["board"] == {"suppressed": True}
        # overall minus shop floor would be the board's four: one of them must be hidden (differencing / complement)
        shown = [doc["ambition"][d]["overall"], doc["ambition"][d]["by"]["level"]["shop_floor"]]
        assert any(c.get("suppressed") for c in shown)
    assert any(s["unit"] == "blind_spot:strategy" and "level=board" in s["group"] for s in doc["suppressed"])


def test_no_differencing_between_a_filter_and_the_whole(con: duckdb.DuckDBPyConnection) -> None:
    """North has 3 shop-floor people more than the shop floor filtered to north... any pair of views differing by < k is hidden."""
    sizes = {("board", "north"): 10, ("board", "south"): 3, ("shop_floor", "north"): 20, ("shop_floor", "south"): 20}
    _store(con, _people(9, sizes))
    whole = build_summary(con, Scope("r"))
    north = build_summary(con, Scope("r", filters=(("site", "north"),)))
    # board overall (13) and board in north (10) differ by the 3 board members in the south: never both shown
    for d in DIMS:
        board_all = whole["ambition"][d]["by"]["level"]["board"]
        board_north = north["ambition"][d]["by"]["level"]["board"]
        assert board_all.get("suppressed") or board_north.get("suppressed")
    shown_whole = {(b["by"], b["dimension"]) for b in whole["blind_spots"] if b["by"] == "level=board"}
    shown_north = {(b["by"], b["dimension"]) for b in north["blind_spots"] if b["by"] == "level=board"}
    assert not shown_whole & shown_north


def test_nobody_predicts_their_own_level(con: duckdb.DuckDBPyConnection) -> None:
    instrument = load_instrument(VALID)
    create_campaign(con, "Ratings", instrument, campaign_id="r")
    answers = dict.fromkeys(instrument.item_ids, 3)
    own = Submission("r", 1, "en", {"level": "board", "site": "north"}, answers, predictions={("board", "strategy"): 4})
    with pytest.raises(SubmissionError, match="nobody predicts their own level"):
        submit(con, instrument, own)
    off_scale = Submission("r", 1, "en", {"level": "board", "site": "north"}, answers, targets={"strategy": 9})
    with pytest.raises(SubmissionError, match="target_strategy: 9 is outside the scale"):
        submit(con, instrument, off_scale)


def test_the_demo_of_400_shows_its_built_in_blind_spots(make_demo: MakeDemo) -> None:
    """The board over-estimates the shop floor's strategy and governance by at least 0.8, significantly; the shop floor is within 0.2."""
    with open_cursor(make_demo(400, waves=1)) as con:
        doc = build_summary(con, Scope("demo"))
    spots = {(b["by"], b["about"], b["dimension"]): b for b in doc["blind_spots"]}
    for d in ("strategy", "governance"):
        b = spots[("level=board", "level=shop_floor", d)]
        assert b["diff"] >= 0.8 and b["ci"][0] > 0 and b["p_adj"] < 0.05
    for d in ("strategy", "operations", "governance", "leadership", "it_ot"):
        assert abs(spots[("level=shop_floor", "level=board", d)]["diff"]) <= 0.2
    for d, entry in doc["ambition"].items():
        assert 0.3 <= entry["overall"]["gap"] <= 2.0, d  # a plausible two-year ambition, in scale points


@pytest.mark.parametrize(
    ("gaps", "ambition", "losses", "first"),
    [
        ({"a": 1.0, "b": 0.5}, {"a": 0.2, "b": 1.0}, {"x": 1.0, "y": 0.5}, ("b", "x")),  # (0.5+1.0)/2 beats (1.0+0.2)/2
        ({"a": -1.5, "b": 0.5}, {"a": 0.5, "b": 0.5}, {"x": 0.4, "y": 0.9}, ("a", "y")),  # |misalignment| counts
    ],
)
def test_priority_ranking_is_dimension_priority_times_loss_priority(gaps: dict, ambition: dict, losses: dict, first: tuple) -> None:
    gap_frame = pd.DataFrame({"unit": list(gaps), "diff": list(gaps.values()), "suppressed": False})
    amb = pd.DataFrame({"dimension": list(ambition), "group": "all", "gap": list(ambition.values()), "suppressed": False})
    ranking = pd.DataFrame({"loss": list(losses), "eur_per_year": [1e6] * len(losses), "priority": list(losses.values())})
    ranking["rank"] = ranking["priority"].rank(ascending=False).astype(int)
    table = priority_table(gap_frame, amb, ranking)
    m = np.abs(np.array(list(gaps.values())))
    a = np.maximum(np.array(list(ambition.values())), 0)
    dim_priority = dict(zip(gaps, (m / m.max() + a / a.max()) / 2, strict=True))
    scores = sorted(((dim_priority[d] * p, d, x) for d, (x, p) in itertools.product(gaps, losses.items())), key=lambda s: -s[0])
    assert (table.loc[0, "dimension"], table.loc[0, "loss"]) == first == scores[0][1:]
    assert list(table["score"]) == pytest.approx([s[0] for s in scores[: len(table)]])
    assert list(table["rank"]) == list(range(1, len(table) + 1))


def test_priorities_leave_out_a_dimension_whose_gap_is_hidden() -> None:
    gap_frame = pd.DataFrame({"unit": ["a", "b"], "diff": [np.nan, 0.5], "suppressed": [True, False]})
    amb = pd.DataFrame({"dimension": ["a", "b"], "group": "all", "gap": [1.0, 1.0], "suppressed": False})
    table = priority_table(gap_frame, amb, None)
    assert list(table["dimension"]) == ["b"]


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_pages_show_blind_spots_ambition_and_the_priority_matrix_with_labels(
    make_demo: MakeDemo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    from tests.app_pages import open_page

    db = make_demo(400, waves=1, into=tmp_path / "demo.duckdb")
    at = open_page("pages/3_perception.py", db, monkeypatch, role="leader", state={"dash_lang": lang})
    heads = [s.value for s in at.subheader]
    assert (
        "Blind spots: how well each level knows another" if lang == "en" else "Blinde vlekken: hoe goed kent elk niveau een ander"
    ) in heads
    tables = [d.value for d in at.dataframe]
    blind = tables[0]
    who, about = ("Who predicts", "About") if lang == "en" else ("Wie schat", "Over")
    board = "Board / executive team" if lang == "en" else "Bestuur / directieteam"
    assert set(blind[about]) == {board} and not any("level=" in str(v) for v in [*blind[who], *blind[about]])  # labels, not ids
    at.segmented_control(key="blind_about").set_value("level=shop_floor").run()
    assert board in set(at.dataframe[0].value[who])  # the board's prediction of the shop floor
    at.switch_page("pages/5_value.py")
    at.run()
    assert not at.exception
    assert ("Priority matrix" if lang == "en" else "Prioriteitenmatrix") in [s.value for s in at.subheader]
    ranked = at.dataframe[-1].value
    assert list(ranked[("Rank" if lang == "en" else "Rang")]) == list(range(1, len(ranked) + 1))


GOOD_CSV = Path(__file__).resolve().parent / "data" / "imports" / "good.csv"


def _with_ratings(prediction_about_board: str) -> bytes:
    """good.csv with a target and a prediction column: row 1 is a board member, the others are not."""
    lines = GOOD_CSV.read_text(encoding="utf-8").splitlines()
    out = [lines[0] + ",target_strategy,predict_board_strategy,predict_shop_floor_strategy"]
    for i, line in enumerate(lines[1:]):
        about_board = prediction_about_board if i == 0 else "3"
        about_floor = "" if line.startswith("shop_floor") else "2"
        out.append(line + f",{4 if i % 2 else ''},{about_board},{about_floor}")
    return ("\n".join(out) + "\n").encode("utf-8")


def test_import_reads_targets_and_predictions_and_refuses_ones_own_level(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    from survey.backup import backup, restore
    from survey.importer import preview_import, run_import
    from survey.store import Database

    create_campaign(con, "Imported", campaign_id="imp")
    refused = preview_import(con, "imp", _with_ratings("4"), "ratings.csv")
    assert [str(p) for p in refused.problems] == ["row 2, column predict_board_strategy: nobody predicts their own level (level=board)"]
    result = run_import(con, "imp", _with_ratings(""), "ratings.csv")
    rows = con.execute("SELECT kind, coalesce(about, '-'), dimension, count(*) FROM dimension_ratings GROUP BY ALL ORDER BY ALL").fetchall()
    assert result.rows == 10
    floor = sum(1 for line in GOOD_CSV.read_text(encoding="utf-8").splitlines()[1:] if not line.startswith("shop_floor"))
    assert rows == [("prediction", "board", "strategy", 9), ("prediction", "shop_floor", "strategy", floor), ("target", "-", "strategy", 5)]
    backup(con, tmp_path / "bk")
    restored = Database(tmp_path / "restored.duckdb", linger_s=0)
    with restored.cursor() as new:
        restore(new, tmp_path / "bk")
        assert (
            new.execute("SELECT * FROM dimension_ratings ORDER BY ALL").fetchall()
            == con.execute("SELECT * FROM dimension_ratings ORDER BY ALL").fetchall()
        )
    restored.close()
