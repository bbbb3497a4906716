"""Leadership overview: what stands out, participation, coherence and the heatmap of how each group sees it."""

import streamlit as st

from analysis.charts import heatmap_chart
from pages.ui import dashboard as ui
from pages.ui import findings

view = ui.page("overview", ":material/grid_view:")
if view is None or ui.no_data(view):
    st.stop()

findings.findings(view)

scale = view.instrument.scale
part = view.get("participation", by="level").data
everyone = part[part["group"] == "all"].iloc[0]
reliability = view.get("reliability").data
cols = st.columns(4)
cols[0].metric(view.say("respondents"), view.say("hidden") if everyone["suppressed"] else int(everyone["n"]))
rate = everyone.get("response_rate")
cols[1].metric(view.say("response_rate"), "—" if everyone["suppressed"] or rate != rate or rate is None else f"{rate:.0%}")
cols[2].metric(view.say("threshold"), f"k = {view.threshold}")
cols[3].metric(view.say("scale"), f"{scale.min}–{scale.max}")

findings.coherence(view)

by = ui.compare_by(view, key="overview_by")
unit = ui.unit_picker(key="overview_unit", lang=view.lang, label="rows", plural=True)
relative, changes, earlier = findings.heatmap_options(view, unit=unit, by=by)
result = view.get("heatmap", unit=unit, by=by)
labels = view.dimension_labels() if unit == "dimension" else view.item_labels()
ui.chart(
    heatmap_chart(
        result.data,
        scale_min=scale.min,
        scale_max=scale.max,
        threshold=view.threshold,
        unit_labels=labels,
        group_labels=view.group_labels(),
        relative=relative,
        changes=changes,
        legend_title=findings.legend_title(view, relative),
        lang=view.lang,
    )
)
ui.anonymity_note(result.anonymity, view.lang)
st.caption(
    view.say("heat_mean", lo=scale.min, hi=scale.max)
    + view.say("heat_relative" if relative else "heat_absolute")
    + (view.say("heat_changes", wave=earlier) if changes else "")
    + view.say("heat_grey")
)

left, right = st.columns(2)
with left:
    st.header(view.say("participation"))
    shown = part.assign(group=part["group"].map(view.group_labels()), response_rate=part["response_rate"] * 100)
    ui.table(
        shown[["group", "n", "headcount", "response_rate"]],
        column_config={
            "group": st.column_config.TextColumn(view.say("col_group")),
            "n": st.column_config.NumberColumn(view.say("col_n")),
            "headcount": st.column_config.NumberColumn(view.say("col_headcount")),
            "response_rate": st.column_config.ProgressColumn(
                view.say("col_response_rate"), format="%.0f%%", min_value=0.0, max_value=100.0
            ),
        },
    )
    ui.representation_note(view.get("representation"), view)
with right:
    st.header(view.say("reliability"))
    rel = reliability.assign(dimension=reliability["dimension"].map(view.dimension_labels()))
    ui.table(
        rel[["dimension", "items", "n", "alpha", "low"]],
        column_config={
            "dimension": st.column_config.TextColumn(view.say("dimension")),
            "items": st.column_config.NumberColumn(view.say("col_items")),
            "n": st.column_config.NumberColumn(view.say("col_n")),
            "alpha": st.column_config.NumberColumn(view.say("col_alpha"), format="%.2f"),
            "low": st.column_config.CheckboxColumn(view.say("col_low")),
        },
    )
    st.caption(view.say("reliability_how"))
