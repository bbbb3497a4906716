"""Item detail: the answer distribution per group (diverging stacked bars) and agreement within each group."""

import streamlit as st

from analysis.charts import agreement_chart, distribution_chart
from pages.ui import dashboard as ui
from pages.ui import findings
from survey.user_text import as_markdown

view = ui.page("items", ":material/bar_chart:")
if view is None or ui.no_data(view):
    st.stop()

scale = view.instrument.scale
by = ui.compare_by(view, key="items_by")
dims = view.dimension_labels()
dimension = st.selectbox(view.say("dimension"), list(dims), format_func=dims.get, key="items_dim")
items = view.instrument.dimension(dimension).items
item_id = st.selectbox(view.say("statement"), [i.id for i in items], format_func=view.item_labels(short=False).get, key="items_item")
item = view.instrument.item(item_id)
if item.reverse:
    st.caption(view.say("reverse_note"))

result = view.get("item_distribution", item_id=item_id, by=by, lang=view.lang)
st.header(view.say("how_answered"))
ui.chart(
    distribution_chart(
        result.data,
        scale_min=scale.min,
        scale_max=scale.max,
        threshold=view.threshold,
        group_labels=view.group_labels(),
        axis_title=view.say("axis_distribution"),
        lang=view.lang,
    )
)
ui.anonymity_note(result.anonymity, view.lang)
st.caption(view.say("distribution_how"))
findings.splits(view, item_id=item_id, by=by)

st.header(view.say("agreement_title", dimension=as_markdown(dims[dimension])))
agreement = view.get("agreement", unit="dimension", by=by)
ui.chart(
    agreement_chart(
        agreement.data,
        dimension,
        scale_min=scale.min,
        scale_max=scale.max,
        threshold=view.threshold,
        group_labels=view.group_labels(),
        axis_title=view.say("axis_agreement"),
        lang=view.lang,
    )
)
st.caption(view.say("agreement_how"))
