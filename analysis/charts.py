"""Altair chart builders over the engine's suppressed frames: heatmap, gaps, Likert distribution, agreement, trend.

Every builder takes a frame returned by `analysis.engine` (aggregated, already suppressed) and
embeds only the columns it draws, so a chart stays a few kilobytes whatever the number of
respondents. Hidden cells are drawn and labelled "hidden (n<k)", never left blank, so a reader can
tell "no data shown" from "no difference". Widths are `"container"`, so the same spec fits a
390 px phone and a desktop; heights grow with the number of rows.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

from analysis.labels import number
from survey.texts import wording

HIDDEN_FILL = "#d9d9d9"
ROW_PX = 26
LABEL_LIMIT = 140
TITLE_WRAP = 44  # characters per line of a long axis title
MIN_TEXT_CELL_PX = 44  # narrower heatmap cells show no text (it would run into the next cell)
MIN_MEAN_CELL_PX = 26  # a cell this wide, but narrower than MIN_TEXT_CELL_PX, shows its mean alone (a phone's heatmap)
# On a narrow screen (a phone) the row names take at most this many pixels, so the cells keep room for their numbers.
NARROW_LABEL_LIMIT = alt.ExprRef(expr=f"containerSize()[0] < 560 ? 92 : {LABEL_LIMIT}")
# Column names on top stand upright on a phone: slanted, the last one reaches past the chart's right edge and the
# cells shrink to leave it room.
NARROW_LABEL_ANGLE = alt.ExprRef(expr="containerSize()[0] < 560 ? -90 : -40")
# Differences in points: about six round ticks (never closer than a quarter point), signed.
READABLE_AXIS = alt.Axis(tickCount=6, tickMinStep=0.25, format="+.2~f", labelFlush=False)


# What the charts themselves say (tooltip names, hidden cells); the titles come from the caller, in its language.
# English keeps the names its tooltips always showed.
WORDS: dict[str, dict[str, str]] = {
    "hidden": {"en": "hidden", "nl": "verborgen"},
    "unit": {"en": "unit", "nl": "rij"},
    "group": {"en": "group", "nl": "groep"},
    "mean": {"en": "mean", "nl": "gemiddelde"},
    "n": {"en": "n", "nl": "n"},
    "diff_everyone": {"en": "difference from everyone", "nl": "verschil met iedereen"},
    "cell": {"en": "cell", "nl": "cel"},
    "gap": {"en": "diff", "nl": "verschil"},
    "ci_low": {"en": "ci_low", "nl": "95%-BI onder"},
    "ci_high": {"en": "ci_high", "nl": "95%-BI boven"},
    "p_adj": {"en": "p_adj", "nl": "p (gecorrigeerd)"},
    "answer": {"en": "label", "nl": "antwoord"},
    "pct": {"en": "pct", "nl": "% van de antwoorden"},
    "rwg": {"en": "rwg", "nl": "overeenstemming r_wg"},
    "before": {"en": "before", "nl": "voor"},
    "after": {"en": "after", "nl": "na"},
    "change": {"en": "change", "nl": "verandering"},
    "heatmap_description": {
        "en": "Heatmap of mean scores on the {low} to {high} scale: {rows} rows by {groups} groups; "
        "each cell gives its mean and number of respondents, groups smaller than {k} are hidden.",
        "nl": "Heatmap van gemiddelde scores op de schaal {low} tot {high}: {rows} rijen bij {groups} groepen; "
        "elke cel geeft haar gemiddelde en aantal respondenten, groepen kleiner dan {k} zijn verborgen.",
    },
}


def word(key: str, lang: str = "en") -> str:
    """A chart's own word in `lang` (English for a language without its own words)."""
    return wording(WORDS, key, lang)


# Vega's number format locale (d3-format) per language: Dutch writes 3,45 and 1.250; English keeps Vega's default.
NUMBER_LOCALES: dict[str, dict[str, object]] = {
    "nl": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["€ ", ""], "minus": "−"},
}


def localised(chart: alt.TopLevelMixin, lang: str = "en") -> alt.TopLevelMixin:
    """The chart with `config.locale` set for `lang`, so the numbers Vega formats (axes, tooltips) read as the language writes them."""
    number = NUMBER_LOCALES.get(lang)
    return chart.configure(locale=alt.Locale(number=number)) if number else chart


def hidden_label(threshold: int, multiline: bool = False, lang: str = "en") -> str:
    return f"{word('hidden', lang)}{chr(10) if multiline else ' '}(n<{threshold})"


def _group_names(frame: pd.DataFrame, labels: Mapping[str, str] | None) -> pd.Series:
    """Group captions: the given labels by group key, else the option id ("all" for the population)."""
    if labels:
        return _labels(frame["group"], labels)
    return frame["option"].where(frame["option"].notna(), frame["group"]).astype(str)


def _labels(values: pd.Series, labels: Mapping[str, str] | None) -> pd.Series:
    return values.map(lambda v: labels.get(v, v) if labels else v).astype(str)


def heatmap_chart(
    frame: pd.DataFrame,
    *,
    scale_min: int,
    scale_max: int,
    threshold: int,
    unit_labels: Mapping[str, str] | None = None,
    group_labels: Mapping[str, str] | None = None,
    title: str | None = None,
    relative: bool = False,
    changes: Mapping[tuple[str, str], float] | None = None,
    legend_title: str | None = None,
    lang: str = "en",
) -> alt.LayerChart:
    """Units × groups, mean and n in each cell, hidden cells grey and labelled.

    Colour diverges around the scale midpoint, or with `relative` around the group of everyone (each
    cell's mean minus the population's mean of the same unit, both shown). `changes` maps (unit, group)
    to the change since an earlier wave, written as ▲/▼ in the cell: pass only changes shown in both
    waves (analysis.trend hides the others).
    """
    data = pd.DataFrame(
        {
            "unit": _labels(frame["unit"], unit_labels),
            "group": _group_names(frame, group_labels),
            "mean": frame["mean"].astype(float),
            "n": frame["n"].astype("Float64").astype(float),
            "hidden": frame["suppressed"].astype(bool),
        }
    )
    if relative:
        everyone = frame[frame["group"] == "all"].set_index("unit")["mean"].astype(float)
        data["diff"] = data["mean"].to_numpy() - frame["unit"].map(everyone).astype(float).to_numpy()
    data["label"] = np.where(
        data["hidden"],
        hidden_label(threshold, multiline=True, lang=lang),
        data["mean"].map(lambda m: number(m, 2, lang)) + "\nn=" + data["n"].fillna(0).astype(int).astype(str),
    )
    if changes:
        marks = [
            _change_mark(changes.get((u, g)), lang) if not hidden else ""
            for u, g, hidden in zip(frame["unit"], frame["group"], data["hidden"], strict=True)
        ]
        data["label"] = data["label"] + pd.Series(marks, index=data.index).map(lambda m: f"\n{m}" if m else "")
    span = scale_max - scale_min
    # Each cell's text is black or white against its real fill (both colour scales use DIVERGING, see diverging_fill).
    value, low, high = ("diff", -span / 2, span / 2) if relative else ("mean", scale_min, scale_max)
    data["ink"] = [
        "#000000" if hidden or pd.isna(v) else readable_ink(diverging_fill(v, low, high))
        for hidden, v in zip(data["hidden"], data[value], strict=True)
    ]
    units = list(dict.fromkeys(data["unit"]))
    groups = list(dict.fromkeys(data["group"]))
    base = (
        alt.Chart(data)
        .encode(
            x=alt.X("group:N", sort=groups, title=None, axis=alt.Axis(labelAngle=NARROW_LABEL_ANGLE, labelLimit=LABEL_LIMIT, orient="top")),
            y=alt.Y("unit:N", sort=units, title=None, axis=alt.Axis(labelLimit=NARROW_LABEL_LIMIT)),
        )
        .transform_calculate(  # what a screen reader says for a cell, computed in the browser (the data stays small)
            description=f"datum.unit + ', ' + datum.group + ': ' + (datum.hidden ? {json.dumps(hidden_label(threshold, lang=lang))} "
            f": {json.dumps(word('mean', lang) + ' ')} + format(datum.mean, '.2f') + ', n ' + datum.n)"
        )
    )
    shown = (
        base.transform_filter("!datum.hidden")
        .mark_rect()
        .encode(
            color=alt.Color(
                f"{value}:Q",
                scale=alt.Scale(domain=list(np.linspace(low, high, len(DIVERGING))), range=list(DIVERGING), interpolate="rgb"),
                legend=alt.Legend(title=legend_title or word("mean", lang), orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("unit:N", title=word("unit", lang)),
                alt.Tooltip("group:N", title=word("group", lang)),
                alt.Tooltip("mean:Q", format=".2f", title=word("mean", lang)),
                *([alt.Tooltip("diff:Q", format="+.2f", title=word("diff_everyone", lang))] if relative else []),
                alt.Tooltip("n:Q", title=word("n", lang)),
            ],
            description="description:N",
        )
    )
    hidden = (
        base.transform_filter("datum.hidden")
        # An empty mark group is drawn as an unnamed graphic (axe: svg-img-alt): say nothing when nothing is hidden.
        .mark_rect(color=HIDDEN_FILL, aria=bool(data["hidden"].any()))
        .encode(tooltip=[alt.Tooltip("label:N", title=word("cell", lang))], description="description:N")
    )
    # The numbers in the cells repeat what each cell's description says: hidden from screen readers, read once.
    text = base.mark_text(fontSize=10, lineBreak="\n", aria=False).encode(
        text="label:N",
        color=alt.condition("datum.ink == '#ffffff'", alt.value("#ffffff"), alt.value("#000000")),
        # On a phone seven groups leave cells too narrow to write in: the colour and the tooltip carry the number there.
        opacity=alt.condition(f"width / {max(len(groups), 1)} >= {MIN_TEXT_CELL_PX}", alt.value(1), alt.value(0)),
    )
    # A phone's cells are too narrow for "mean, n, change": they show the mean alone (n and change are in the tooltip).
    cell = f"width / {max(len(groups), 1)}"
    mean_only = (
        base.transform_filter("!datum.hidden")
        .mark_text(fontSize=9, aria=False)
        .encode(
            text=alt.Text("mean:Q", format=".2f"),
            color=alt.condition("datum.ink == '#ffffff'", alt.value("#ffffff"), alt.value("#000000")),
            opacity=alt.condition(f"{cell} >= {MIN_MEAN_CELL_PX} && {cell} < {MIN_TEXT_CELL_PX}", alt.value(1), alt.value(0)),
        )
    )
    rows = 2.2 if changes else 1.6
    chart = alt.layer(shown, hidden, text, mean_only).properties(
        width="container",
        height=max(ROW_PX * rows * len(units), 60),
        description=wording(
            WORDS, "heatmap_description", lang, low=scale_min, high=scale_max, rows=len(units), groups=len(groups), k=threshold
        ),
    )
    return chart.properties(title=title) if title else chart


def _change_mark(change: float | None, lang: str = "en") -> str:
    """▲ +0.21 / ▼ −0.10 / = 0.00 for a change since the earlier wave (comma decimals in Dutch); nothing when it is not shown."""
    if change is None or change != change:
        return ""
    if abs(change) < 0.005:
        return f"= {number(0, 2, lang)}"
    return f"{'▲' if change > 0 else '▼'} {number(change, 2, lang, sign=True)}".replace("-", "−")


# d3's RdBu diverging scheme (Vega's "redblue"), low (red) to high (blue); interpolated linearly in RGB between the
# stops by Vega and by `diverging_fill` alike, so the text colour in each cell is chosen against its real fill.
DIVERGING = ("#67001f", "#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#f7f7f7", "#d1e5f0", "#92c5de", "#4393c3", "#2166ac", "#053061")


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def diverging_fill(value: float, low: float, high: float) -> str:
    """The heatmap's fill for `value` on the scale low…high, as Vega computes it from DIVERGING."""
    position = 0.0 if high == low else min(max((float(value) - low) / (high - low), 0.0), 1.0) * (len(DIVERGING) - 1)
    i = min(int(position), len(DIVERGING) - 2)
    frac = position - i
    a, b = _rgb(DIVERGING[i]), _rgb(DIVERGING[i + 1])
    return "#" + "".join(f"{round(x + (y - x) * frac):02x}" for x, y in zip(a, b, strict=True))


def contrast_ratio(one: str, other: str) -> float:
    """WCAG 2.1 contrast ratio of two colours (1 to 21; text needs 4.5 for AA)."""

    def luminance(colour: str) -> float:
        channels = [c / 255 for c in _rgb(colour)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable_ink(fill: str) -> str:
    """Black or white, whichever contrasts more with `fill`: one of them always reaches 4.5:1."""
    return "#000000" if contrast_ratio("#000000", fill) >= contrast_ratio("#ffffff", fill) else "#ffffff"


def gap_chart(
    frame: pd.DataFrame,
    *,
    threshold: int,
    unit_labels: Mapping[str, str] | None = None,
    title: str | None = None,
    axis_title: str | Sequence[str] | None = None,
    lang: str = "en",
) -> alt.LayerChart:
    """Gap A − B per unit as bars with 95% CI error bars, in the frame's order (largest |gap| first); hidden gaps labelled.

    `axis_title` names the two groups in words (default: their keys), as one text or as the parts of a title that may
    go on lines of their own; ticks fall on round numbers, at most about six.
    """
    data = pd.DataFrame(
        {
            "unit": _labels(frame["unit"], unit_labels),
            "diff": frame["diff"].astype(float),
            "ci_low": frame["ci_low"].astype(float),
            "ci_high": frame["ci_high"].astype(float),
            "p_adj": frame["p_adj"].astype(float),
            "hidden": frame["suppressed"].astype(bool),
        }
    )
    data["label"] = np.where(data["hidden"], hidden_label(threshold, lang=lang), "")
    data["x0"] = 0.0
    order = list(dict.fromkeys(data["unit"]))
    a, b = (str(frame["a"].iloc[0]), str(frame["b"].iloc[0])) if len(frame) else ("A", "B")
    x_title = _title_lines(axis_title) if axis_title else f"{a} − {b}"
    x_axis = READABLE_AXIS
    y = alt.Y("unit:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT))
    base = alt.Chart(data).encode(y=y)
    bars = (
        base.transform_filter("!datum.hidden")
        .mark_bar()
        .encode(
            x=alt.X("diff:Q", title=x_title, axis=x_axis),
            color=alt.condition("datum.diff >= 0", alt.value("#2166ac"), alt.value("#b2182b")),
            tooltip=[
                alt.Tooltip("unit:N", title=word("unit", lang)),
                alt.Tooltip("diff:Q", format="+.2f", title=word("gap", lang)),
                alt.Tooltip("ci_low:Q", format="+.2f", title=word("ci_low", lang)),
                alt.Tooltip("ci_high:Q", format="+.2f", title=word("ci_high", lang)),
                alt.Tooltip("p_adj:Q", format=".3g", title=word("p_adj", lang)),
            ],
        )
    )
    errors = (
        base.transform_filter("!datum.hidden")
        .mark_errorbar(ticks=True)
        .encode(x=alt.X("ci_low:Q", title=x_title, axis=x_axis), x2="ci_high:Q")
    )
    hidden = base.transform_filter("datum.hidden").mark_text(align="left", dx=4, color="#555").encode(x="x0:Q", text="label:N")
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#333").encode(x="x:Q")
    chart = alt.layer(bars, errors, hidden, zero).properties(width="container", height=max(ROW_PX * len(order), 60))
    return chart.properties(title=title) if title else chart


def _title_lines(title: str | Sequence[str]) -> str | list[str]:
    """One line when it is short; a long title on several lines (at its parts' breaks, else wrapped), so it fits a phone."""
    parts = [title] if isinstance(title, str) else list(title)
    joined = " ".join(parts)
    if len(joined) <= TITLE_WRAP:
        return joined
    return [line for part in parts for line in textwrap.wrap(part, TITLE_WRAP)]


def diverging_positions(frame: pd.DataFrame, scale_min: int, scale_max: int) -> pd.DataFrame:
    """Start and end of each answer value's bar segment, disagreement left of 0, agreement right, the neutral value split across 0."""
    mid = (scale_min + scale_max) / 2
    shown = frame[~frame["suppressed"]].sort_values("value", kind="stable").copy()
    shown["pct"] = shown["pct"].astype(float)
    below = shown["value"] < mid
    neutral = shown["value"] == mid
    left_total = shown["pct"].where(below, 0.0) + shown["pct"].where(neutral, 0.0) / 2
    offset = left_total.groupby(shown["group"]).transform("sum")
    shown["x_end"] = shown.groupby("group")["pct"].cumsum() - offset
    shown["x_start"] = shown["x_end"] - shown["pct"]
    return shown


def distribution_chart(
    frame: pd.DataFrame,
    *,
    scale_min: int,
    scale_max: int,
    threshold: int,
    group_labels: Mapping[str, str] | None = None,
    title: str | None = None,
    axis_title: str = "% of answers (disagree ← → agree)",
    lang: str = "en",
) -> alt.LayerChart:
    """Diverging stacked bars of one item's answer distribution per group (% of answers), hidden groups labelled."""
    groups = list(dict.fromkeys(_group_names(frame, group_labels)))
    shown = diverging_positions(frame, scale_min, scale_max)
    data = pd.DataFrame(
        {
            "group": _group_names(shown, group_labels),
            "label": shown["label"].astype(str),
            "value": shown["value"].astype(int),
            "pct": shown["pct"],
            "x_start": shown["x_start"],
            "x_end": shown["x_end"],
            "n": shown["n"].astype("Float64").astype(float),
        }
    )
    hidden_groups = frame[frame["suppressed"]].drop_duplicates("group")
    hidden = pd.DataFrame({"group": _group_names(hidden_groups, group_labels), "text": hidden_label(threshold, lang=lang), "x": 0.0})
    labels = [str(x) for x in dict.fromkeys(frame.sort_values("value")["label"])]
    y = alt.Y("group:N", sort=groups, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT))
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=y,
            x=alt.X("x_start:Q", title=axis_title, scale=alt.Scale(domain=[-100, 100])),
            x2="x_end:Q",
            color=alt.Color(
                "label:N",
                sort=labels,
                scale=alt.Scale(scheme="redblue", domain=labels),
                legend=alt.Legend(title=None, orient="bottom", columns=2),
            ),
            order=alt.Order("value:Q"),
            tooltip=[
                alt.Tooltip("group:N", title=word("group", lang)),
                alt.Tooltip("label:N", title=word("answer", lang)),
                alt.Tooltip("pct:Q", format=".0f", title=word("pct", lang)),
                alt.Tooltip("n:Q", title=word("n", lang)),
            ],
        )
    )
    hidden_text = alt.Chart(hidden).mark_text(color="#555").encode(y=y, x="x:Q", text="text:N")
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#333").encode(x="x:Q")
    chart = alt.layer(bars, hidden_text, zero).properties(width="container", height=max(ROW_PX * len(groups), 60))
    return chart.properties(title=title) if title else chart


def agreement_chart(
    frame: pd.DataFrame,
    dimension: str,
    *,
    scale_min: int,
    scale_max: int,
    threshold: int,
    group_labels: Mapping[str, str] | None = None,
    title: str | None = None,
    axis_title: str = "mean ± SD",
    lang: str = "en",
) -> alt.LayerChart:
    """One unit's mean per group with a ±1 SD bar and r_wg written beside it: level and spread side by side."""
    part = frame[frame["unit"] == dimension]
    data = pd.DataFrame(
        {
            "group": _group_names(part, group_labels),
            "mean": part["mean"].astype(float),
            "low": (part["mean"] - part["sd"]).astype(float),
            "high": (part["mean"] + part["sd"]).astype(float),
            "rwg": part["rwg"].astype(float),
            "hidden": part["suppressed"].astype(bool),
        }
    )
    data["label"] = np.where(data["hidden"], hidden_label(threshold, lang=lang), "r_wg " + data["rwg"].map(lambda r: number(r, 2, lang)))
    data["x_text"] = np.where(data["hidden"], (scale_min + scale_max) / 2, scale_max)
    groups = list(dict.fromkeys(data["group"]))
    scale = alt.Scale(domain=[scale_min, scale_max])
    base = alt.Chart(data).encode(y=alt.Y("group:N", sort=groups, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT)))
    spread = (
        base.transform_filter("!datum.hidden")
        .mark_rule(strokeWidth=3, color="#5b8db8")
        .encode(x=alt.X("low:Q", scale=scale, title=axis_title), x2="high:Q")
    )
    dots = (
        base.transform_filter("!datum.hidden")
        .mark_point(filled=True, size=70, color="#08519c")
        .encode(
            x=alt.X("mean:Q", scale=scale),
            tooltip=[
                alt.Tooltip("group:N", title=word("group", lang)),
                alt.Tooltip("mean:Q", format=".2f", title=word("mean", lang)),
                alt.Tooltip("rwg:Q", format=".2f", title=word("rwg", lang)),
            ],
        )
    )
    rwg_text = base.transform_filter("!datum.hidden").mark_text(align="right", dy=-9, fontSize=10, color="#333")
    rwg_text = rwg_text.encode(x=alt.X("x_text:Q", scale=scale), text="label:N")
    hidden_text = base.transform_filter("datum.hidden").mark_text(align="center", fontSize=10, color="#555")
    hidden_text = hidden_text.encode(x=alt.X("x_text:Q", scale=scale), text="label:N")
    chart = alt.layer(spread, dots, rwg_text, hidden_text).properties(width="container", height=max(ROW_PX * 1.4 * len(groups), 60))
    return chart.properties(title=title) if title else chart


def trend_chart(
    frame: pd.DataFrame,
    *,
    threshold: int,
    group: str = "all",
    unit_labels: Mapping[str, str] | None = None,
    title: str | None = None,
    axis_title: str = "change since the earlier wave",
    lang: str = "en",
) -> alt.LayerChart:
    """Change per unit between two waves for one group, with 95% CI error bars; hidden rows labelled."""
    part = frame[frame["group"] == group]
    data = pd.DataFrame(
        {
            "unit": _labels(part["unit"], unit_labels),
            "change": part["change"].astype(float),
            "ci_low": part["ci_low"].astype(float),
            "ci_high": part["ci_high"].astype(float),
            "before": part["mean_before"].astype(float),
            "after": part["mean_after"].astype(float),
            "hidden": part["suppressed"].astype(bool),
        }
    )
    data["label"] = np.where(data["hidden"], hidden_label(threshold, lang=lang), "")
    data["x0"] = 0.0
    order = list(dict.fromkeys(data["unit"]))
    base = alt.Chart(data).encode(y=alt.Y("unit:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT)))
    points = (
        base.transform_filter("!datum.hidden")
        .mark_point(filled=True, size=60)
        .encode(
            x=alt.X("change:Q", title=axis_title, axis=READABLE_AXIS),
            color=alt.condition("datum.change >= 0", alt.value("#2166ac"), alt.value("#b2182b")),
            tooltip=[
                alt.Tooltip("unit:N", title=word("unit", lang)),
                alt.Tooltip("before:Q", format=".2f", title=word("before", lang)),
                alt.Tooltip("after:Q", format=".2f", title=word("after", lang)),
                alt.Tooltip("change:Q", format="+.2f", title=word("change", lang)),
            ],
        )
    )
    errors = (
        base.transform_filter("!datum.hidden")
        .mark_errorbar(ticks=True)
        .encode(x=alt.X("ci_low:Q", title=axis_title, axis=READABLE_AXIS), x2="ci_high:Q")
    )
    hidden = base.transform_filter("datum.hidden").mark_text(align="left", dx=4, color="#555").encode(x="x0:Q", text="label:N")
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#333").encode(x="x:Q")
    chart = alt.layer(errors, points, hidden, zero).properties(width="container", height=max(ROW_PX * len(order), 60))
    return chart.properties(title=title) if title else chart
