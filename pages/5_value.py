"""Value at stake: which losses each level names, where board and shop floor disagree, ranked with € estimates."""

import altair as alt
import streamlit as st

from pages.ui import dashboard as ui
from survey.user_text import plain

view = ui.page("Value at stake", ":material/euro:")
if view is None or ui.no_data(view):
    st.stop()
vas = view.instrument.value_at_stake
if vas is None:
    st.info("This questionnaire has no value-at-stake block.")
    st.stop()

result = view.get("value_at_stake", by="level")
losses = {loss: plain(text[view.lang]) for loss, text in vas.losses.items()}
ranking = result.ranking.assign(loss_label=result.ranking["loss"].map(losses))
st.header("Priorities")
st.caption(
    "Ranked by a priority score: half the € at stake (relative to the largest), half how far board and shop "
    "floor disagree about the loss (relative to the largest disagreement). Enter € estimates on the Campaigns page."
)
ui.table(
    ranking[["rank", "loss_label", "eur_per_year", "share_all", "share_a", "share_b", "diff", "ci_low", "ci_high", "priority"]],
    column_config={
        "loss_label": st.column_config.TextColumn("loss", width="medium"),
        "eur_per_year": st.column_config.NumberColumn("€ per year", format="euro"),
        **{
            c: st.column_config.NumberColumn(t, format="percent")
            for c, t in (
                ("share_all", "named by all"),
                ("share_a", "by board"),
                ("share_b", "by shop floor"),
                ("diff", "board − shop floor"),
                ("ci_low", "95% CI low"),
                ("ci_high", "95% CI high"),
            )
        },
        "priority": st.column_config.ProgressColumn("priority", min_value=0.0, max_value=1.0, format="%.2f"),
    },
)

st.header("Share of each level naming the loss")
shares = result.shares.assign(loss_label=result.shares["loss"].map(losses), group_label=result.shares["group"].map(view.group_labels()))
shown = shares[~shares["suppressed"]]
heat = (
    alt.Chart(shown)
    .mark_rect()
    .encode(
        x=alt.X(
            "group_label:N",
            title=None,
            sort=list(dict.fromkeys(shares["group_label"])),
            axis=alt.Axis(orient="top", labelAngle=-35, labelLimit=180),
        ),
        y=alt.Y("loss_label:N", title=None, sort=list(losses.values()), axis=alt.Axis(labelLimit=260)),
        color=alt.Color("share:Q", scale=alt.Scale(scheme="blues", domain=[0, 1]), legend=alt.Legend(format="%", orient="bottom")),
        tooltip=["loss_label", "group_label", alt.Tooltip("share:Q", format=".0%"), "n"],
    )
)
text = heat.mark_text(fontSize=11).encode(text=alt.Text("share:Q", format=".0%"), color=alt.value("black"))
ui.chart(alt.layer(heat, text).properties(width="container", height=alt.Step(34)))
ui.anonymity_note(result.anonymity)
