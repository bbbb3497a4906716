"""Trends: this wave against an earlier one, per dimension and item and per group, so leaders see gaps closing."""

import streamlit as st

from analysis.charts import trend_chart
from pages.ui import dashboard as ui
from pages.ui import findings
from pages.ui.actions import closure_panel
from pages.ui.common import db
from survey.campaigns import list_waves
from survey.user_text import as_markdown, plain

view = ui.page("trends", ":material/trending_up:")
if view is None or ui.no_data(view):
    st.stop()
with db().cursor() as con:
    earlier = [w for w in list_waves(con, view.campaign.campaign_id) if w.wave < view.wave]
if not earlier:
    st.info(view.say("first_wave"))
    st.stop()

names = {w.wave: f"{w.wave} · {plain(w.label)}" for w in earlier}
left, mid, right = st.columns(3)
before = left.selectbox(view.say("compare_with"), list(names), index=len(names) - 1, format_func=names.get, key="trend_before")
unit = ui.unit_picker(key="trend_unit", lang=view.lang, where=mid)
by = right.selectbox(view.say("groups_of"), view.groupable("trend_by"), format_func=view.attribute_label, key="trend_by")
result = view.get("trend", earlier_wave=before, unit=unit, by=by)
data = result.data
labels = view.dimension_labels() if unit == "dimension" else view.item_labels()
groups = list(dict.fromkeys(data["group"]))
group_labels = view.group_labels()
group = st.pills(view.say("group"), groups, default="all", format_func=lambda g: as_markdown(group_labels[g]), key="trend_group") or "all"
ui.chart(trend_chart(data, threshold=view.threshold, group=group, unit_labels=labels, axis_title=view.say("axis_trend"), lang=view.lang))
ui.anonymity_note(result.anonymity, view.lang)
st.caption(view.say("trend_how", before=before, after=view.wave))
table = data.assign(unit=data["unit"].map(labels), group=data["group"].map(view.group_labels()))
ui.table(
    table[["unit", "group", "n_before", "mean_before", "n_after", "mean_after", "change", "ci_low", "ci_high", "p_adj", "suppressed"]],
    column_config={
        "unit": st.column_config.TextColumn(view.say(unit)),
        "group": st.column_config.TextColumn(view.say("group")),
        "n_before": st.column_config.NumberColumn(view.say("col_n_wave", wave=before)),
        "mean_before": st.column_config.NumberColumn(view.say("col_mean_wave", wave=before), format="%.2f"),
        "n_after": st.column_config.NumberColumn(view.say("col_n_wave", wave=view.wave)),
        "mean_after": st.column_config.NumberColumn(view.say("col_mean_wave", wave=view.wave), format="%.2f"),
        "change": st.column_config.NumberColumn(view.say("col_change"), format="%+.2f"),
        "ci_low": st.column_config.NumberColumn(view.say("col_ci") + " −", format="%.2f"),
        "ci_high": st.column_config.NumberColumn(view.say("col_ci") + " +", format="%.2f"),
        "p_adj": st.column_config.NumberColumn(view.say("col_p_adj"), format="%.3f"),
        "suppressed": st.column_config.CheckboxColumn(view.say("col_hidden")),
    },
)
findings.coherence_trend(view, earlier_wave=before)

st.divider()
closure_panel(view.get("closure"), view.labels)
