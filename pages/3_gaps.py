"""Gaps: where two groups (by default the boardroom and the shop floor) see the organisation differently."""

import streamlit as st

from analysis.charts import gap_chart
from pages.ui import dashboard as ui
from pages.ui.actions import plan_from_gaps
from survey.user_text import as_markdown

view = ui.page("Gaps", ":material/compare_arrows:")
if view is None or ui.no_data(view):
    st.stop()

pairs = ui.group_options(view, "gap_a", "gap_b")
if len(pairs) < 2:
    st.info("Every attribute is filtered in the sidebar, so there are no two groups to compare. Clear a filter.")
    st.stop()
label = lambda pair: f"{view.attribute_label(pair[0])}: {view.option_label(*pair)}"  # noqa: E731
default_a = pairs.index(("level", "board")) if ("level", "board") in pairs else 0
default_b = pairs.index(("level", "shop_floor")) if ("level", "shop_floor") in pairs else min(1, len(pairs) - 1)
left, right, unit_col = st.columns([2, 2, 1])
a = left.selectbox("Group A", pairs, index=default_a, format_func=label, key="gap_a")
b = right.selectbox("Group B", pairs, index=default_b, format_func=label, key="gap_b")
unit = ui.unit_picker(key="gap_unit", where=unit_col)
if a == b:
    st.warning("Choose two different groups.")
    st.stop()

result = view.get("gaps", a=a, b=b, unit=unit)
data = result.data
labels = view.dimension_labels() if unit == "dimension" else view.item_labels()
st.caption(
    f"Score of **{as_markdown(label(a))}** minus score of **{as_markdown(label(b))}**: to the right, A sees it more positively. "
    "Bars show the 95% confidence interval (Welch); p-values are corrected for the number of comparisons "
    "(Benjamini–Hochberg); effect size is Hedges' g (0.2 small, 0.5 medium, 0.8 large)."
)
ui.chart(gap_chart(data, threshold=view.threshold, unit_labels=labels))
ui.anonymity_note(result.anonymity)

shown = data.assign(unit=data["unit"].map(labels if unit == "dimension" else view.item_labels(short=False)))
ui.table(
    shown[["unit", "n_a", "mean_a", "n_b", "mean_b", "diff", "ci_low", "ci_high", "effect_size", "p_adj", "suppressed"]],
    column_config={
        "unit": st.column_config.TextColumn(unit, width="large"),
        **{c: st.column_config.NumberColumn(c, format="%.2f") for c in ("mean_a", "mean_b", "diff", "ci_low", "ci_high", "effect_size")},
        "p_adj": st.column_config.NumberColumn("p (BH)", format="%.4f"),
        "suppressed": st.column_config.CheckboxColumn("hidden"),
    },
)
plan_from_gaps(view.campaign, result.wave, data, a, b, labels, (view.option_label(*a), view.option_label(*b)))
