"""Gaps: where two groups (by default the boardroom and the shop floor) see the organisation differently."""

import streamlit as st

from analysis.charts import gap_chart
from analysis.export.report import number
from analysis.export.texts import tr
from pages.ui import dashboard as ui
from pages.ui.actions import plan_from_gaps
from survey.user_text import as_markdown

view = ui.page("gaps", ":material/compare_arrows:")
if view is None or ui.no_data(view):
    st.stop()

pairs = ui.group_options(view, "gap_a", "gap_b")
if len(pairs) < 2:
    st.info(view.say("no_two_groups"))
    st.stop()
label = lambda pair: f"{view.attribute_label(pair[0])}: {view.option_label(*pair)}"  # noqa: E731
default_a = pairs.index(("level", "board")) if ("level", "board") in pairs else 0
default_b = pairs.index(("level", "shop_floor")) if ("level", "shop_floor") in pairs else min(1, len(pairs) - 1)
left, right, unit_col = st.columns([2, 2, 1])
a = left.selectbox(view.say("group_a"), pairs, index=default_a, format_func=label, key="gap_a")
b = right.selectbox(view.say("group_b"), pairs, index=default_b, format_func=label, key="gap_b")
unit = ui.unit_picker(key="gap_unit", lang=view.lang, where=unit_col)
if a == b:
    st.warning(view.say("choose_two"))
    st.stop()

lang = view.words_lang
result = view.get("gaps", a=a, b=b, unit=unit)
data = result.data
labels = view.dimension_labels() if unit == "dimension" else view.item_labels()
st.caption(view.say("gaps_how", a=as_markdown(label(a)), b=as_markdown(label(b))))
name_a, name_b = view.option_label(*a), view.option_label(*b)
ui.chart(
    gap_chart(data, threshold=view.threshold, unit_labels=labels, axis_title=[name_a, tr("gap_axis_minus", lang, b=name_b)], lang=lang)
)
ui.anonymity_note(result.anonymity, view.lang)

interval = [
    "" if lo != lo else f"{number(lo, 2, lang, sign=True)} … {number(hi, 2, lang, sign=True)}"
    for lo, hi in zip(data["ci_low"], data["ci_high"], strict=True)
]
shown = data.assign(unit=data["unit"].map(labels if unit == "dimension" else view.item_labels(short=False)), ci=interval)
headers = {
    "unit": view.say(unit),
    "n_a": tr("col_n_of", lang, group=name_a),
    "mean_a": tr("col_mean_of", lang, group=name_a),
    "n_b": tr("col_n_of", lang, group=name_b),
    "mean_b": tr("col_mean_of", lang, group=name_b),
    "diff": tr("col_gap", lang),
    "ci": tr("col_ci", lang),
    "effect_size": tr("col_effect", lang),
    "p_adj": tr("col_p_adj", lang),
    "suppressed": tr("hidden_short", lang),
}
ui.table(
    shown[list(headers)].rename(columns=headers),
    column_config={
        headers["unit"]: st.column_config.TextColumn(width="large" if unit == "item" else "medium"),
        **{headers[c]: st.column_config.NumberColumn(format="%d", width="small") for c in ("n_a", "n_b")},
        **{headers[c]: st.column_config.NumberColumn(format="%.2f") for c in ("mean_a", "mean_b", "diff", "effect_size")},
        headers["p_adj"]: st.column_config.NumberColumn(format="%.3f"),
        headers["suppressed"]: st.column_config.CheckboxColumn(),
    },
)
plan_from_gaps(view.campaign, result.wave, data, a, b, labels, (view.option_label(*a), view.option_label(*b)), lang)
