"""The insights in the app: findings and coherence on the Overview, splits on Item detail, coherence on Trends, readable Gaps and Value pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis import engine
from analysis.scope import Scope
from tests.app_pages import open_page
from tests.conftest import MakeDemo, open_cursor


@pytest.fixture(scope="module")
def demo_db(make_demo: MakeDemo) -> Path:
    return make_demo(400, seed=11, waves=2)


@pytest.fixture(scope="module")
def doc(demo_db: Path) -> dict:
    with open_cursor(demo_db) as con:
        return json.loads(json.dumps(engine.summary(con, Scope("demo"))))


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def charts(at) -> list:
    """The Vega-Lite charts the run sent: (spec as text, every dataset's bytes)."""
    found = []

    def walk(node) -> None:
        if getattr(node, "type", None) in ("vega_lite_chart", "arrow_vega_lite_chart"):
            proto = node.proto
            data = b"".join(d.data.data for d in proto.datasets) + proto.data.data
            found.append((proto.spec, data))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_overview_leads_with_the_findings_and_shows_coherence(demo_db, doc, monkeypatch, lang):
    at = open_page("pages/2_overview.py", demo_db, monkeypatch, role="leader")
    if lang == "nl":
        at.segmented_control(key="dash_lang").set_value("nl").run()
        assert not at.exception
    text = markdown(at)
    assert at.subheader[0].value == ("Findings" if lang == "en" else "Bevindingen")
    for finding in doc["findings"]:
        assert finding["text"][lang].split(" (")[0] in text
    assert len(doc["findings"]) <= 7
    metrics = {m.label: m.value for m in at.metric}
    overall = "Coherence (all dimensions)" if lang == "en" else "Coherentie (alle onderdelen)"
    expected = f"{doc['coherence']['overall']:.2f}"
    assert metrics[overall] == (expected if lang == "en" else expected.replace(".", ","))
    assert any("B × W" in c.value for c in at.caption), "the definition is beside the index"


def test_overview_heatmap_options(demo_db, monkeypatch):
    at = open_page("pages/2_overview.py", demo_db, monkeypatch, role="leader")
    at.segmented_control(key="overview_colour").set_value("relative").run()
    assert not at.exception
    at.toggle(key="overview_change").set_value(True).run()
    assert not at.exception
    (spec, data), *_ = [c for c in charts(at) if "rect" in c[0]]
    assert '"field": "diff"' in spec and "Difference from Everyone" in spec
    assert "▲".encode() in data or "▼".encode() in data
    assert any("change since wave 1" in c.value for c in at.caption)


def test_item_page_flags_the_split_group(demo_db, monkeypatch):
    at = open_page("pages/4_items.py", demo_db, monkeypatch, role="leader")
    at.selectbox(key="items_dim").set_value("operations").run()
    at.selectbox(key="items_item").set_value("OPS4").run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any("Split" in w and "Operator / shop floor" in w for w in warnings), warnings
    at.selectbox(key="items_item").set_value("OPS1").run()
    assert not any("Split" in w.value for w in at.warning)


def test_trends_page_shows_coherence_change(demo_db, doc, monkeypatch):
    at = open_page("pages/7_trends.py", demo_db, monkeypatch, role="leader")
    assert any(s.value == "Coherence since wave 1" for s in at.subheader)
    table = at.dataframe[-1].value
    assert list(table.columns) == ["Dimension", "Wave 1", "Wave 2", "Change"]
    assert table.iloc[0]["Wave 2"] == pytest.approx(doc["coherence"]["overall"])


def test_gaps_page_speaks_in_labels(demo_db, monkeypatch):
    at = open_page("pages/3_gaps.py", demo_db, monkeypatch, role="leader")
    table = at.dataframe[0].value
    columns = [str(c) for c in table.columns]
    for raw in ("n_a", "mean_a", "ci_low", "effect_size", "p_adj"):
        assert raw not in columns
    for header in ("n Board / executive team", "mean Operator / shop floor", "95% CI", "effect size g", "p adjusted"):
        assert header in columns
    (spec, _), *_ = charts(at)
    titles = [layer["encoding"]["x"].get("title") for layer in json.loads(spec)["layer"] if "x" in layer.get("encoding", {})]
    assert ["Board / executive team", "minus Operator / shop floor (points)"] in titles
    assert "level=board − level=shop_floor" not in spec
    assert any(
        layer["encoding"]["x"].get("axis", {}).get("tickMinStep") == 0.25
        for layer in json.loads(spec)["layer"]
        if "x" in layer.get("encoding", {})
    )


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_value_page_shows_dashes_and_whole_percentages(demo_db, monkeypatch, lang):
    at = open_page("pages/5_value.py", demo_db, monkeypatch, role="leader")
    if lang == "nl":
        at.segmented_control(key="dash_lang").set_value("nl").run()
    table = at.dataframe[0].value
    cells = table.astype(str).to_numpy().ravel().tolist()
    assert "None" not in cells and "nan" not in cells
    eur = table[("€ per year (estimate)" if lang == "en" else "€ per jaar (schatting)")].tolist()
    assert "—" in eur and any(v.startswith("€ ") for v in eur)
    share = [c for c in table.columns if c.startswith("named by" if lang == "en" else "genoemd door")][0]
    assert all(v == "—" or (v.endswith("%") and v[:-1].lstrip("-").isdigit()) for v in table[share])


def test_gap_closure_on_trends_speaks_in_labels(make_demo: MakeDemo, monkeypatch):
    """The closure table names the action, its area and the two groups; no raw ids ("level=board") or engine columns."""
    at = open_page("pages/7_trends.py", make_demo(400, seed=11, waves=3), monkeypatch, role="leader")
    assert not at.exception
    table = at.dataframe[-1].value
    assert list(table.columns) == ["Action", "Area", "Gap between", "Gap before", "Gap after", "Change", "95% CI", "Note"]
    assert not table["Gap between"].str.contains("=").any() and table["Gap between"].str.contains("Board / executive team").any()
    assert table["Action"].str.startswith("A1 · ").any()


def test_value_hypotheses_show_whole_euros(demo_db, monkeypatch):
    """The hypotheses' € reads like the ranking above it ("€ 1,400,000"), not "€1,400,000.00"."""
    at = open_page("pages/5_value.py", demo_db, monkeypatch, role="leader")
    assert not at.exception
    table = next(f.value for f in at.dataframe if "€ per year" in f.value.columns)
    assert table["€ per year"].tolist()[0] == "€ 1,400,000"
