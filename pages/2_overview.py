"""Leadership overview: what stands out, participation, coherence and the heatmap of how each group sees it."""

import streamlit as st

from analysis.charts import heatmap_chart
from pages.ui import dashboard as ui
from pages.ui import findings

view = ui.page("Overview", ":material/grid_view:")
if view is None or ui.no_data(view):
    st.stop()

findings.findings(view)

scale = view.instrument.scale
part = view.get("participation", by="level").data
everyone = part[part["group"] == "all"].iloc[0]
reliability = view.get("reliability").data
cols = st.columns(4)
cols[0].metric("Respondents", "hidden" if everyone["suppressed"] else int(everyone["n"]))
rate = everyone.get("response_rate")
cols[1].metric("Response rate", "—" if everyone["suppressed"] or rate != rate or rate is None else f"{rate:.0%}")
cols[2].metric("Anonymity threshold", f"k = {view.threshold}")
cols[3].metric("Scale", f"{scale.min}–{scale.max}")

findings.coherence(view)

by = ui.compare_by(view, key="overview_by")
unit = ui.unit_picker(key="overview_unit", label="Rows", plural=True)
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
    )
)
ui.anonymity_note(result.anonymity)
st.caption(
    f"Mean score per cell on the {scale.min}–{scale.max} scale (reverse-keyed items reversed), n below it. "
    + ("Blue is above the score of everyone, red below. " if relative else "Blue is above the scale's midpoint, red below. ")
    + (f"▲/▼: change since wave {earlier}, shown only where the group is shown in both waves. " if changes else "")
    + "Grey cells are hidden groups."
)

left, right = st.columns(2)
with left:
    st.header("Participation")
    shown = part.assign(group=part["group"].map(view.group_labels()), response_rate=part["response_rate"] * 100)
    ui.table(
        shown[["group", "n", "headcount", "response_rate"]],
        column_config={"response_rate": st.column_config.ProgressColumn("response rate", format="%.0f%%", min_value=0.0, max_value=100.0)},
    )
    ui.representation_note(view.get("representation"), view)
with right:
    st.header("Reliability")
    rel = reliability.assign(dimension=reliability["dimension"].map(view.dimension_labels()))
    ui.table(
        rel[["dimension", "items", "n", "alpha", "low"]],
        column_config={
            "alpha": st.column_config.NumberColumn("Cronbach's α", format="%.2f"),
            "low": st.column_config.CheckboxColumn("below 0.7"),
        },
    )
    st.caption(
        "Cronbach's alpha over respondents who answered every item of a dimension; below 0.7 the items "
        "do not measure one thing well enough to average them without care."
    )
