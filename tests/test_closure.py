"""Gap closure: the demo's built-in truth comes back from the summary, and every number equals an independent computation."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.closure import closure
from analysis.engine import summary
from analysis.scope import Scope
from survey.actions import action_from, add_action, list_actions
from survey.demo import TARGETED_SHRINK
from tests.conftest import MakeDemo, open_cursor

RAW_SCORES = """
    WITH asked AS (SELECT instrument_key, dimension, count(*) AS n_items FROM instrument_items GROUP BY ALL)
    SELECT r.wave, lv.value AS level, ii.dimension,
           avg(CASE WHEN ii.reverse THEN ii.scale_min + ii.scale_max - a.value ELSE a.value END) AS score,
           count(a.value) AS answered, any_value(asked.n_items) AS n_items
    FROM responses r
    JOIN response_attributes lv ON lv.response_id = r.response_id AND lv.attribute = 'level'
    JOIN waves w ON w.campaign_id = r.campaign_id AND w.wave = r.wave
    JOIN answers a ON a.response_id = r.response_id
    JOIN instrument_items ii ON ii.instrument_key = w.instrument_key AND ii.item_id = a.item_id
    JOIN asked ON asked.instrument_key = w.instrument_key AND asked.dimension = ii.dimension
    WHERE r.campaign_id = 'demo' AND lv.value IN ('board', 'shop_floor')
    GROUP BY r.response_id, r.wave, lv.value, ii.dimension
"""


@pytest.fixture(scope="module")
def loop(make_demo: MakeDemo) -> Iterator[duckdb.DuckDBPyConnection]:
    """`demo --waves 3`: baseline, two actions, a pulse, a full follow-up."""
    with open_cursor(make_demo(400, seed=7, waves=3)) as cur:
        yield cur


def _independent_gap(scores: pd.DataFrame, wave: int, dim: str) -> tuple[float, float]:
    """Board − shop floor with Welch's CI by scipy, from respondent scores computed here from the raw rows; (diff, se)."""
    cut = scores[(scores["wave"] == wave) & (scores["dimension"] == dim)]
    board, floor = (cut.loc[cut["level"] == lv, "score"].to_numpy(float) for lv in ("board", "shop_floor"))
    test = stats.ttest_ind(board, floor, equal_var=False)
    diff = board.mean() - floor.mean()
    return diff, (test.confidence_interval(0.95).high - diff) / stats.t.ppf(0.975, test.df)


def test_closure_equals_an_independent_computation(loop: duckdb.DuckDBPyConnection) -> None:
    raw = loop.execute(RAW_SCORES).df()
    scores = raw[raw["answered"] * 2 >= raw["n_items"]]
    doc = summary(loop, Scope("demo"))
    found = doc["closure"]
    assert (found["wave_before"], found["wave_after"]) == (1, 3)
    dims = ["strategy", "operations", "governance", "leadership", "it_ot"]
    changes = {}
    for dim in dims:
        (d1, s1), (d3, s3) = _independent_gap(scores, 1, dim), _independent_gap(scores, 3, dim)
        changes[dim] = (d3 - d1, s1**2 + s3**2)
    targeted = [d for d in dims if d in ("strategy", "governance")]
    untargeted = [d for d in dims if d not in targeted]
    t = np.mean([changes[d][0] for d in targeted])
    u = np.mean([changes[d][0] for d in untargeted])
    var = sum(changes[d][1] for d in targeted) / len(targeted) ** 2 + sum(changes[d][1] for d in untargeted) / len(untargeted) ** 2
    z = stats.norm.ppf(0.975)
    assert found["targeted"] == pytest.approx(t, abs=1e-9)
    assert found["untargeted"] == pytest.approx(u, abs=1e-9)
    assert found["did"] == pytest.approx(t - u, abs=1e-9)
    assert found["ci"] == pytest.approx([t - u - z * math.sqrt(var), t - u + z * math.sqrt(var)], abs=1e-9)
    assert (found["n_targeted"], found["n_untargeted"]) == (2, 3)
    by_id = {a["target"]["id"]: a for a in doc["actions"]}
    for dim in targeted:
        d1, s1 = _independent_gap(scores, 1, dim)
        d3, s3 = _independent_gap(scores, 3, dim)
        entry = by_id[dim]
        assert (entry["gap_before"], entry["gap_after"]) == (pytest.approx(d1, abs=1e-9), pytest.approx(d3, abs=1e-9))
        half = z * math.hypot(s1, s3)
        assert entry["ci"] == pytest.approx([d3 - d1 - half, d3 - d1 + half], abs=1e-9)


def test_the_demo_truth_comes_back_from_the_summary(loop: duckdb.DuckDBPyConnection) -> None:
    """Targeted board − shop-floor gaps shrink by about 0.5 points from wave 1 to 3; untargeted ones move less than 0.1."""
    found = summary(loop, Scope("demo"))["closure"]
    assert found["targeted"] == pytest.approx(-TARGETED_SHRINK, abs=0.1)
    assert abs(found["untargeted"]) < 0.1
    assert found["ci"][0] < found["did"] < found["ci"][1] < 0
    assert [a["id"] for a in summary(loop, Scope("demo"))["actions"]] == ["A1", "A2"]


def test_a_hidden_group_gives_no_number(loop: duckdb.DuckDBPyConnection) -> None:
    """In one small site the board is below the threshold: no gap, no change, no closure, but the actions are still listed."""
    doc = summary(loop, Scope("demo", filters=(("site", "gent"),)))
    assert doc["actions"] and all(a["gap_before"] is None and a["change"] is None and a["ci"] is None for a in doc["actions"])
    assert doc["closure"]["did"] is None and doc["closure"]["ci"] is None and doc["closure"]["n_targeted"] == 0


def test_an_action_on_an_item_and_on_a_loss(make_demo: MakeDemo) -> None:
    """An item action is measured by the pulse too (its item is asked); a loss action is listed without a gap."""
    with open_cursor(make_demo(400, seed=7, waves=3)) as con:
        add_action(con, "demo", action_from({"kind": "item", "id": "OPS1"}, wave=1, owner="Ops"), actor="t")
        add_action(con, "demo", action_from({"kind": "loss", "id": "service_level"}, wave=1, owner="Sales"), actor="t")
        rows = closure(con, "demo").actions.set_index("action_id")
        assert list_actions(con, "demo")["action_id"].tolist() == ["A1", "A2", "A3", "A4"]
    assert rows.loc["A3", "wave_after"] == 3 and rows.loc["A3", "reason"] == "shown"
    assert rows.loc["A4", "reason"] == "a loss is not a gap between two groups" and pd.isna(rows.loc["A4", "change"])


def test_the_workbook_and_the_report_show_the_summary_closure(loop: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    import openpyxl

    from analysis.export.html import write_html
    from analysis.export.report import WorkshopReport
    from analysis.export.xlsx import write_xlsx

    found = summary(loop, Scope("demo"))["closure"]
    report = WorkshopReport(loop, Scope("demo"), lang="en")
    write_xlsx(loop, report, tmp_path / "r.xlsx", role="leader")
    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx")["Gap closure"]
    cells = {row[0]: row for row in sheet.iter_rows(values_only=True) if row[0]}
    did = cells["Difference (targeted − other)"]
    assert did[7:10] == (pytest.approx(found["did"]), pytest.approx(found["ci"][0]), pytest.approx(found["ci"][1]))
    assert cells["Targeted gaps (2): mean change"][7] == pytest.approx(found["targeted"])
    write_html(report, tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert 'id="closure"' in html and f"{found['did']:+.2f}" in html and f"{found['ci'][0]:+.2f} … {found['ci'][1]:+.2f}" in html


def test_demo_waves_3_then_summary_json_on_the_command_line(tmp_path: Path) -> None:
    import json

    from analysis.__main__ import main as analysis_main
    from survey.__main__ import main as survey_main
    from tests.conftest import run_main

    db = tmp_path / "loop.duckdb"
    assert run_main(survey_main, "demo", "--respondents", "300", "--waves", "3", "--db", db).returncode == 0
    done = run_main(analysis_main, "summary", "--json", "--db", db)
    doc = json.loads(done.stdout)
    assert [(a["id"], a["target"]["id"], a["wave_before"], a["wave_after"]) for a in doc["actions"]] == [
        ("A1", "strategy", 1, 3),
        ("A2", "governance", 1, 3),
    ]
    closure_doc = doc["closure"]
    assert (closure_doc["wave_before"], closure_doc["wave_after"], closure_doc["n_targeted"], closure_doc["n_untargeted"]) == (1, 3, 2, 3)
    assert closure_doc["targeted"] == pytest.approx(-TARGETED_SHRINK, abs=0.1) and abs(closure_doc["untargeted"]) < 0.1
    assert closure_doc["did"] == pytest.approx(closure_doc["targeted"] - closure_doc["untargeted"])
