"""The charts of a workshop report as Vega-Lite specs: the app's builders, labelled in the report's language, sized for a page or a slide.

A spec is a plain dict, ready for vega-embed in the HTML report (width "container") or for
vl-convert in the deck and the image files (a fixed width). Only the engine's suppressed frames go
in, so a chart carries no more than the tables beside it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd

from analysis import charts
from analysis.export.report import WorkshopReport
from analysis.export.texts import CHART_TITLES

FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
INK = "#1f2933"
MUTED = "#52606d"
GROUP_COLOURS = {"all": "#9aa5b1", "a": "#1f3a5f", "b": "#e07b24"}
ITEM_LABEL_CHARS = 60
ITEM_GAP_ROWS = 12


@dataclass(frozen=True)
class ChartSpec:
    """One chart: a file-safe name, its title, and the Vega-Lite spec."""

    name: str
    title: str
    spec: dict[str, Any]


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _finish(
    chart: alt.TopLevelMixin, report: WorkshopReport, width: int | str, label_limit: int, title: str | None, text_scale: float = 1.0
) -> dict[str, Any]:
    """The spec with the page or slide width, longer axis labels, translated hidden labels and the house style.

    `text_scale` enlarges every text for slides, where a chart is seen from across a room.
    """
    spec = chart.to_dict(validate=False)
    spec["width"] = width
    if width != "container":
        spec["autosize"] = {"type": "fit-x", "contains": "padding"}
        # Labels are shortened before they get here; measuring them again for truncation is slow in vl-convert.
        label_limit = 0
    titles = CHART_TITLES.get(report.lang, {})
    for node in _walk(spec):
        if "labelLimit" in node:
            node["labelLimit"] = label_limit
        if isinstance(node.get("title"), str) and node["title"] in titles:
            node["title"] = titles[node["title"]]
        if node.get("type") == "text" and "fontSize" in node:
            node["fontSize"] = round(node["fontSize"] * text_scale, 1)
    size = round(12 * text_scale)
    hidden_word = report.t("hidden_short")
    if hidden_word != "hidden":
        for rows in spec.get("datasets", {}).values():
            for row in rows:
                for key, value in row.items():
                    if isinstance(value, str) and value.startswith("hidden") and "(n<" in value:
                        row[key] = hidden_word + value[len("hidden") :]
    if title:
        spec["title"] = {
            "text": title,
            "subtitle": report.scope_text(),
            "anchor": "start",
            "fontSize": 16,
            "subtitleFontSize": 11,
            "subtitleColor": MUTED,
            "color": INK,
            "offset": 12,
        }
    else:
        spec.pop("title", None)
    spec["background"] = "white"
    # Room on the right for the last of the heatmap's slanted group labels, which autosize does not count.
    spec["padding"] = {"left": 5, "top": 5, "right": 48, "bottom": 5}
    spec["config"] = {
        "font": FONT,
        "view": {"stroke": None},
        "axis": {"labelFontSize": size, "titleFontSize": size, "labelColor": INK, "titleColor": MUTED, "gridColor": "#e4e7eb"},
        "legend": {"labelFontSize": size, "titleFontSize": size, "labelColor": INK, "titleColor": MUTED, "labelLimit": 0},
        "text": {"fontSize": round(11 * text_scale)},
    }
    return spec


def _item_label(report: WorkshopReport, item_id: str) -> str:
    text = report.item_text(item_id)
    short = text if len(text) <= ITEM_LABEL_CHARS else text[: ITEM_LABEL_CHARS - 1].rstrip() + "…"
    return f"{item_id} · {short}"


def _unit_labels(report: WorkshopReport, frame: pd.DataFrame) -> dict[str, str]:
    if frame.empty:
        return {}
    if str(frame["unit_type"].iloc[0]) == "dimension":
        return {str(u): report.dimension_label(str(u)) for u in frame["unit"].unique()}
    return {str(u): _item_label(report, str(u)) for u in frame["unit"].unique()}


def _group_labels(report: WorkshopReport, frame: pd.DataFrame) -> dict[str, str]:
    return {str(g): report.group_label(str(g)) for g in frame["group"].unique()}


def heatmap_spec(
    report: WorkshopReport, unit: str, width: int | str, titled: bool, text_scale: float = 1.0, row_px: float | None = None
) -> ChartSpec:
    result = report.heatmap_dimensions if unit == "dimension" else report.heatmap_items
    scale = report.instrument.scale
    key = "heatmap_dimensions" if unit == "dimension" else "heatmap_items"
    title = report.t(key)
    chart = charts.heatmap_chart(
        result.data,
        scale_min=scale.min,
        scale_max=scale.max,
        threshold=result.threshold,
        unit_labels=_unit_labels(report, result.data),
        group_labels=_group_labels(report, result.data),
    )
    limit = 200 if unit == "dimension" else 420
    spec = _finish(chart, report, width, limit, title if titled else None, text_scale)
    if row_px is not None:
        spec["height"] = row_px * max(1, result.data["unit"].nunique())
    return ChartSpec(key, title, spec)


def gap_spec(
    report: WorkshopReport, unit: str, width: int | str, titled: bool, text_scale: float = 1.0, row_px: float | None = None
) -> ChartSpec | None:
    result = report.gaps_dimensions if unit == "dimension" else report.gaps_items
    if result is None:
        return None
    a, b = report.pair_labels
    key = "gaps_dimensions" if unit == "dimension" else "gaps_items"
    title = report.t("gaps_title" if unit == "dimension" else "gaps_items_title", a=a, b=b)
    frame = result.data.copy() if unit == "dimension" else result.data.head(ITEM_GAP_ROWS).copy()
    frame["a"], frame["b"] = a, b
    chart = charts.gap_chart(frame, threshold=result.threshold, unit_labels=_unit_labels(report, frame))
    limit = 200 if unit == "dimension" else 420
    spec = _finish(chart, report, width, limit, title if titled else None, text_scale)
    if row_px is not None:
        spec["height"] = row_px * max(1, len(frame))
    return ChartSpec(key, title, spec)


def distribution_spec(report: WorkshopReport, item_id: str, width: int | str, titled: bool, text_scale: float = 1.0) -> ChartSpec:
    result = report.distribution(item_id)
    scale = report.instrument.scale
    title = report.t("distribution_title", item=_item_label(report, item_id))
    chart = charts.distribution_chart(
        result.data,
        scale_min=scale.min,
        scale_max=scale.max,
        threshold=result.threshold,
        group_labels=_group_labels(report, result.data),
    )
    return ChartSpec(f"distribution_{item_id}", title, _finish(chart, report, width, 220, title if titled else None, text_scale))


def _eur_short(value: float) -> str:
    if value >= 1_000_000:
        return f"€{value / 1_000_000:.1f}M"
    if value >= 1_000:
        return f"€{value / 1_000:.0f}k"
    return f"€{value:.0f}"


def value_spec(report: WorkshopReport, width: int | str, titled: bool, text_scale: float = 1.0) -> ChartSpec | None:
    """Share of everyone, group A and group B naming each loss, losses in priority order, € estimate beside the name."""
    vas = report.value
    if vas is None:
        return None
    a, b = report.pair_labels
    names = {"all": report.t("all"), "a": a, "b": b}
    rows = []
    for r in vas.ranking.itertuples(index=False):
        eur = float(r.eur_per_year)
        loss = report.loss_label(str(r.loss)) + (f"  ({_eur_short(eur)})" if not math.isnan(eur) else "")
        for key, share in (("all", r.share_all), ("a", r.share_a), ("b", r.share_b)):
            shown = share is not None and not math.isnan(float(share))
            rows.append(
                {
                    "loss": loss,
                    "rank": int(r.rank),
                    "group": names[key],
                    "share": round(float(share) * 100, 1) if shown else None,
                    "hidden": not shown,
                    "label": "" if shown else report.hidden_text,
                    "x0": 0.0,
                }
            )
    data = pd.DataFrame(rows)
    order = list(dict.fromkeys(data["loss"])) if len(data) else []
    top = float(data["share"].max()) if len(data) and data["share"].notna().any() else 0.0
    domain = [0, max(50, min(100, math.ceil(top * 1.15 / 10) * 10))]
    groups = [names["all"], names["a"], names["b"]]
    y = alt.Y("loss:N", sort=order, title=None, axis=alt.Axis(labelLimit=260))
    offset = alt.YOffset("group:N", sort=groups)
    base = alt.Chart(data).encode(y=y, yOffset=offset)
    bars = (
        base.transform_filter("!datum.hidden")
        .mark_bar(height={"band": 0.9})
        .encode(
            x=alt.X("share:Q", title=report.t("value_axis"), scale=alt.Scale(domain=domain)),
            color=alt.Color(
                "group:N",
                sort=groups,
                scale=alt.Scale(domain=groups, range=[GROUP_COLOURS["all"], GROUP_COLOURS["a"], GROUP_COLOURS["b"]]),
                legend=alt.Legend(title=None, orient="bottom", direction="vertical"),
            ),
            tooltip=[alt.Tooltip("loss:N"), alt.Tooltip("group:N"), alt.Tooltip("share:Q", format=".0f", title="%")],
        )
    )
    values = (
        base.transform_filter("!datum.hidden")
        .mark_text(align="left", dx=3, fontSize=10, color=MUTED)
        .encode(x="share:Q", text=alt.Text("share:Q", format=".0f"))
    )
    hidden = base.transform_filter("datum.hidden").mark_text(align="left", dx=3, fontSize=10, color=MUTED).encode(x="x0:Q", text="label:N")
    chart = alt.layer(bars, values, hidden).properties(height=max(54 * len(order), 60))
    title = report.t("value_title")
    return ChartSpec("value_at_stake", title, _finish(chart, report, width, 260, title if titled else None, text_scale))


def trend_spec(report: WorkshopReport, width: int | str, titled: bool, text_scale: float = 1.0) -> ChartSpec | None:
    result = report.trend
    if result is None:
        return None
    frame = result.data[result.data["group"] == "all"]
    if frame.empty or bool(frame["suppressed"].all()):
        return None
    title = report.t("trend_title", earlier=f"{report.t('wave').lower()} {report.earlier_wave} ({report.earlier_label})")
    chart = charts.trend_chart(result.data, threshold=result.threshold, group="all", unit_labels=_unit_labels(report, frame))
    return ChartSpec("trend", title, _finish(chart, report, width, 200, title if titled else None, text_scale))


def iter_specs(report: WorkshopReport, width: int | str, titled: bool) -> Iterator[ChartSpec]:
    """Every chart of the report in reading order, each built only when asked for; charts that cannot exist for this scope are left out.

    Lazily, so a caller can draw one chart while the next one's results are fetched.
    """
    builders: list[Callable[[], ChartSpec | None]] = [
        lambda: heatmap_spec(report, "dimension", width, titled),
        lambda: heatmap_spec(report, "item", width, titled),
        lambda: gap_spec(report, "dimension", width, titled),
        lambda: gap_spec(report, "item", width, titled),
    ]
    builders += [lambda item=item: distribution_spec(report, item, width, titled) for item in report.distribution_items]
    builders += [lambda: value_spec(report, width, titled), lambda: trend_spec(report, width, titled)]
    for build in builders:
        spec = build()
        if spec is not None:
            yield spec


def report_specs(report: WorkshopReport, width: int | str, titled: bool) -> list[ChartSpec]:
    """Every chart of the report, in reading order; charts that cannot exist for this scope are left out."""
    return list(iter_specs(report, width, titled))
