"""Item detail: the answer distribution per group (diverging stacked bars) and agreement within each group."""

import streamlit as st

from analysis.charts import agreement_chart, distribution_chart
from pages.ui import dashboard as ui
from pages.ui import findings
from survey.user_text import as_markdown

view = ui.page("Item detail", ":material/bar_chart:")
if view is None or ui.no_data(view):
    st.stop()

scale = view.instrument.scale
by = ui.compare_by(view, key="items_by")
dims = view.dimension_labels()
dimension = st.selectbox("Dimension", list(dims), format_func=dims.get, key="items_dim")
items = view.instrument.dimension(dimension).items
item_id = st.selectbox("Statement", [i.id for i in items], format_func=view.item_labels(short=False).get, key="items_item")
item = view.instrument.item(item_id)
if item.reverse:
    st.caption("Reverse-keyed statement: agreeing is the less favourable answer, so scores use the reversed value.")

result = view.get("item_distribution", item_id=item_id, by=by, lang=view.lang)
st.header("How each group answered")
ui.chart(
    distribution_chart(result.data, scale_min=scale.min, scale_max=scale.max, threshold=view.threshold, group_labels=view.group_labels())
)
ui.anonymity_note(result.anonymity)
st.caption(
    "Share of each group's answers per scale point; disagreement to the left of the centre line, agreement to "
    "the right, the middle category split across it. Don't know is left out."
)
findings.splits(view, item_id=item_id, by=by)

st.header(f"Agreement within groups · {as_markdown(dims[dimension])}")
agreement = view.get("agreement", unit="dimension", by=by)
ui.chart(
    agreement_chart(
        agreement.data, dimension, scale_min=scale.min, scale_max=scale.max, threshold=view.threshold, group_labels=view.group_labels()
    )
)
st.caption(
    "Dot: the group's mean; bar: ±1 standard deviation; r_wg: within-group agreement from 0 (as spread as random "
    "answers) to 1 (everyone answers the same). Alignment is about spread as much as level."
)
