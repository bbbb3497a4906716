"""Chart builders: light specs of aggregated rows, hidden cells drawn and labelled, diverging scales, order, phone width."""

from __future__ import annotations

import json

import altair as alt
import pytest

from analysis import charts, engine
from analysis.engine import Scope

GENT = Scope("demo", filters=(("site", "gent"),))


def spec(chart: alt.TopLevelMixin) -> dict:
    return chart.to_dict()


def layer_data(chart: alt.LayerChart) -> list[dict]:
    return spec(chart)["datasets"][next(iter(spec(chart)["datasets"]))]


def all_rows(chart: alt.LayerChart) -> list[dict]:
    return [row for rows in spec(chart)["datasets"].values() for row in rows]


def test_heatmap_marks_hidden_cells_and_centres_the_colours(demo):
    result = engine.heatmap(demo, GENT, unit="dimension", by="level")
    chart = charts.heatmap_chart(result.data, scale_min=1, scale_max=5, threshold=result.threshold)
    content = spec(chart)
    assert content["width"] == "container"
    rows = layer_data(chart)
    assert len(rows) == len(result.data), "one row per cell: aggregated data only"
    hidden = [r for r in rows if r["hidden"]]
    assert hidden and all(r["label"] == "hidden\n(n<5)" for r in hidden)
    assert all(r["mean"] is None and r["n"] is None for r in hidden)
    shown = [r for r in rows if not r["hidden"]]
    assert all(r["label"].endswith(f"n={int(r['n'])}") for r in shown)
    scales = [layer["encoding"]["color"]["scale"] for layer in content["layer"] if layer.get("encoding", {}).get("color", {}).get("scale")]
    assert len(scales) == 1 and scales[0]["range"] == list(charts.DIVERGING) and scales[0]["interpolate"] == "rgb"
    domain = scales[0]["domain"]
    assert domain[0] == 1 and domain[-1] == 5 and domain[len(domain) // 2] == 3.0, "white sits at the scale's midpoint"
    assert set(rows[0]) == {"unit", "group", "mean", "n", "hidden", "label", "ink"}


def test_heatmap_cell_text_meets_aa_contrast_and_every_cell_is_described(demo):
    """Each cell's number is black or white, whichever reaches 4.5:1 on that cell's own fill (a fixed rule did not)."""
    result = engine.heatmap(demo, GENT, unit="item", by="level")
    chart = charts.heatmap_chart(result.data, scale_min=1, scale_max=5, threshold=result.threshold)
    for row in layer_data(chart):
        fill = charts.HIDDEN_FILL if row["hidden"] else charts.diverging_fill(row["mean"], 1, 5)
        assert charts.contrast_ratio(row["ink"], fill) >= 4.5, row
    content = spec(chart)
    assert content["description"].startswith("Heatmap of mean scores")
    described = [layer for layer in content["layer"] if "description" in layer.get("encoding", {})]
    assert len(described) == 2, "shown and hidden cells each say what they are"
    for layer in described:
        assert any(t.get("calculate", "").startswith("datum.unit + ', ' + datum.group") for t in layer["transform"])
    every_value = [charts.diverging_fill(1 + 4 * i / 400, 1, 5) for i in range(401)]
    assert min(charts.contrast_ratio(charts.readable_ink(f), f) for f in every_value) >= 4.5


def test_heatmap_of_items_stays_light(demo):
    result = engine.heatmap(demo, Scope("demo"), unit="item", by="level")
    chart = charts.heatmap_chart(result.data, scale_min=1, scale_max=5, threshold=5)
    assert len(json.dumps(spec(chart))) < 40_000


def test_gap_chart_keeps_the_size_order_and_labels_hidden_gaps(demo):
    result = engine.gaps(demo, GENT, unit="item")
    chart = charts.gap_chart(result.data, threshold=5)
    content = spec(chart)
    order = content["layer"][0]["encoding"]["y"]["sort"]
    assert order == list(result.data["unit"])
    rows = layer_data(chart)
    assert {r["label"] for r in rows if r["hidden"]} <= {"hidden (n<5)"}
    assert content["width"] == "container"


def test_diverging_positions_put_disagreement_left_and_split_the_neutral(demo):
    frame = engine.item_distribution(demo, Scope("demo"), "STR1", by="level").data
    placed = charts.diverging_positions(frame, 1, 5)
    for _group, part in placed.groupby("group"):
        part = part.sort_values("value")
        below = part.loc[part["value"] < 3, "pct"].sum() + part.loc[part["value"] == 3, "pct"].sum() / 2
        assert part["x_start"].iloc[0] == pytest.approx(-below)
        assert part["x_end"].iloc[-1] == pytest.approx(100 - below)
        assert part["x_start"].iloc[1:].to_numpy() == pytest.approx(part["x_end"].iloc[:-1].to_numpy())


def test_distribution_chart_draws_only_shown_groups_and_labels_the_rest(demo):
    result = engine.item_distribution(demo, GENT, "STR1", by="level")
    chart = charts.distribution_chart(result.data, scale_min=1, scale_max=5, threshold=5)
    rows = all_rows(chart)
    hidden_groups = set(result.data.loc[result.data["suppressed"], "option"])
    assert hidden_groups
    labels = {r["group"] for r in rows if r.get("text") == "hidden (n<5)"}
    assert labels == hidden_groups
    assert not any(r.get("group") in hidden_groups and "pct" in r for r in rows)


def test_agreement_and_trend_charts_build(demo):
    agreement = engine.agreement(demo, GENT)
    chart = charts.agreement_chart(agreement.data, "strategy", scale_min=1, scale_max=5, threshold=5)
    assert any(r.get("label") == "hidden (n<5)" for r in all_rows(chart))
    trend = engine.trend(demo, Scope("demo"), earlier_wave=1, by="level")
    chart = charts.trend_chart(trend.data, threshold=5, group="level=shop_floor")
    rows = layer_data(chart)
    assert [r["unit"] for r in rows] == list(trend.data.loc[trend.data["group"] == "level=shop_floor", "unit"])
    assert spec(chart)["width"] == "container"


def _tooltip_titles(content: dict) -> set[str]:
    return {t.get("title", t["field"]) for layer in content["layer"] for t in layer.get("encoding", {}).get("tooltip", [])}


def test_dutch_charts_name_their_tooltips_legend_and_hidden_cells_in_dutch(demo):
    """With lang="nl" a chart's own words (tooltips, legend, hidden label, cell description) are Dutch; English stays as it was."""
    heat = engine.heatmap(demo, GENT, unit="dimension", by="level")
    nl = spec(charts.heatmap_chart(heat.data, scale_min=1, scale_max=5, threshold=heat.threshold, relative=True, lang="nl"))
    assert {"groep", "gemiddelde", "verschil met iedereen", "cel"} <= _tooltip_titles(nl)
    assert any(layer["encoding"].get("color", {}).get("legend", {}).get("title") == "gemiddelde" for layer in nl["layer"])
    assert "verborgen\n(n<5)" in {
        r["label"] for r in all_rows(charts.heatmap_chart(heat.data, scale_min=1, scale_max=5, threshold=5, lang="nl"))
    }
    said = json.dumps(nl)
    assert "gemiddelde " in said and "'mean '" not in said and "Heatmap van gemiddelde scores" in said and "are hidden" not in said
    en = spec(charts.heatmap_chart(heat.data, scale_min=1, scale_max=5, threshold=heat.threshold, relative=True))
    assert {"unit", "group", "mean", "difference from everyone", "cell"} <= _tooltip_titles(en)
    gaps = engine.gaps(demo, GENT, unit="item")
    assert {"verschil", "95%-BI onder", "95%-BI boven", "p (gecorrigeerd)"} <= _tooltip_titles(
        spec(charts.gap_chart(gaps.data, threshold=5, lang="nl"))
    )
    dist = engine.item_distribution(demo, GENT, "STR1", by="level")
    chart = charts.distribution_chart(dist.data, scale_min=1, scale_max=5, threshold=5, lang="nl")
    assert {"antwoord", "% van de antwoorden"} <= _tooltip_titles(spec(chart))
    assert any(r.get("text") == "verborgen (n<5)" for r in all_rows(chart))
    trend = engine.trend(demo, Scope("demo"), earlier_wave=1, by="level")
    assert {"voor", "na", "verandering"} <= _tooltip_titles(spec(charts.trend_chart(trend.data, threshold=5, group="all", lang="nl")))


def test_dutch_charts_write_numbers_with_a_decimal_comma(demo):
    """Vega formats axes and tooltips through `config.locale`; the labels written in Python take the comma themselves."""
    heat = engine.heatmap(demo, GENT, unit="dimension", by="level")
    nl = charts.heatmap_chart(heat.data, scale_min=1, scale_max=5, threshold=heat.threshold, lang="nl")
    assert spec(charts.localised(nl, "nl"))["config"]["locale"]["number"]["decimal"] == ","
    assert "locale" not in spec(charts.localised(nl, "en"))["config"]
    shown = [r["label"] for r in layer_data(nl) if not r["hidden"]]
    assert shown and all(label.split("\n")[0].count(",") == 1 and "." not in label for label in shown)
