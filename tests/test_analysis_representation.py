"""Representation: shop-floor response rate ÷ the other shown levels' combined rate, checked against the raw tables."""

from __future__ import annotations

import pytest

from analysis import engine
from analysis.engine import Scope
from analysis.representation import FLAG_BELOW
from tests.conftest import MakeDemo, open_cursor

COUNTS_SQL = """
    SELECT a.value, count(*) FROM responses r JOIN response_attributes a ON a.response_id = r.response_id AND a.attribute = 'level'
    WHERE r.campaign_id = 'demo' AND r.wave = (SELECT max(wave) FROM responses WHERE campaign_id = 'demo') GROUP BY a.value
"""
HEADS_SQL = "SELECT option, headcount FROM headcounts WHERE campaign_id = 'demo' AND attribute = 'level'"


def _independent(con: object, shown: set[str]) -> tuple[float, float, float]:
    """The ratio by hand: raw counts and headcounts, the other levels summed over the shown ones only."""
    counts = dict(con.execute(COUNTS_SQL).fetchall())
    heads = dict(con.execute(HEADS_SQL).fetchall())
    focus = counts["shop_floor"] / heads["shop_floor"]
    others = [o for o in shown if o != "shop_floor" and heads.get(o)]
    rest = sum(counts[o] for o in others) / sum(heads[o] for o in others)
    return focus, rest, focus / rest


def _shown(con: object) -> set[str]:
    frame = engine.participation(con, Scope("demo"), by="level").data
    return {r.option for r in frame.itertuples() if r.attribute == "level" and not r.suppressed}


@pytest.mark.parametrize(
    ("shop_floor_headcount", "flagged"),
    [(None, True), (250, False), (160, False), (1000, True)],  # None: the demo's own headcounts (shop floor 0.79)
)
def test_ratio_matches_an_independent_computation(demo_con, shop_floor_headcount: int | None, flagged: bool) -> None:
    if shop_floor_headcount is not None:
        demo_con.execute("UPDATE headcounts SET headcount = ? WHERE option = 'shop_floor'", [shop_floor_headcount])
    found = engine.representation(demo_con, Scope("demo"))
    focus, rest, ratio = _independent(demo_con, _shown(demo_con))
    assert found["focus_rate"] == pytest.approx(focus)
    assert found["others_rate"] == pytest.approx(rest)
    assert found["ratio"] == pytest.approx(ratio)
    assert found["flagged"] is flagged is (ratio < FLAG_BELOW)
    assert bool(found["advice"]) is flagged
    if flagged:
        assert any("kiosk" in a for a in found["advice"]) and any("offline" in a for a in found["advice"])
        assert any("Import" in a for a in found["advice"])


def test_hidden_levels_are_left_out_and_named(make_demo: MakeDemo, tmp_path) -> None:
    """With 30 respondents most levels fall below k: their counts never enter the other levels' rate."""
    with open_cursor(make_demo(30, seed=3, waves=1, into=tmp_path / "small.duckdb")) as con:
        shown = _shown(con)
        found = engine.representation(con, Scope("demo"))
        assert {"shop_floor"} < shown and len(shown) < 6, "the fixture needs both shown and hidden levels"
        focus, rest, ratio = _independent(con, shown)
        assert found["ratio"] == pytest.approx(ratio)
        hidden = {lv["option"] for lv in found["levels"] if lv["suppressed"]}
        assert hidden and set(found["excluded"]) == hidden
        assert all(lv["n"] is None and lv["response_rate"] is None for lv in found["levels"] if lv["suppressed"])
        assert "left out" in found["note"]


def test_no_ratio_when_the_shop_floor_is_hidden_or_unknown(demo_con) -> None:
    demo_con.execute("DELETE FROM headcounts WHERE option = 'shop_floor'")
    found = engine.representation(demo_con, Scope("demo"))
    assert found["ratio"] is None and found["flagged"] is False and "shop_floor" in found["note"]


def test_no_ratio_under_a_filter(demo) -> None:
    """Headcounts are per single option: a level within one site has no known headcount."""
    found = engine.representation(demo, Scope("demo", filters=(("site", next(iter(_sites(demo)))),)))
    assert found["ratio"] is None and found["focus_rate"] is None


def _sites(con: object) -> list[str]:
    return [r[0] for r in con.execute("SELECT DISTINCT value FROM response_attributes WHERE attribute = 'site'").fetchall()]


def test_summary_carries_the_representation(demo) -> None:
    summary = engine.summary(demo, Scope("demo"))
    assert summary["representation"] == engine.representation(demo, Scope("demo"))
    assert summary["representation"]["ratio"] is not None


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_exports_carry_the_ratio_and_the_advice(demo, tmp_path, lang: str) -> None:
    """Workbook, HTML report and deck say the ratio (the demo's shop floor is under-represented) and what to do."""
    from openpyxl import load_workbook
    from pptx import Presentation

    from analysis.export import export
    from analysis.export.report import number

    ratio = number(engine.representation(demo, Scope("demo"))["ratio"], 2, lang)
    word = {"en": "kiosk tablet", "nl": "kiosktablet"}[lang]
    html = tmp_path / "r.html"
    export(demo, "html", html, Scope("demo"), lang=lang)
    assert ratio in html.read_text() and word in html.read_text()
    book = tmp_path / "r.xlsx"
    export(demo, "xlsx", book, Scope("demo"), lang=lang)
    cells = " ".join(str(c.value) for ws in load_workbook(book).worksheets for row in ws.iter_rows() for c in row if c.value)
    assert ratio in cells and word in cells
    deck = tmp_path / "r.pptx"
    export(demo, "pptx", deck, Scope("demo"), lang=lang)
    text = " ".join(s.text_frame.text for slide in Presentation(deck).slides for s in slide.shapes if s.has_text_frame)
    assert ratio in text and word in text
