"""Value at stake: which losses each level names, where board and shop floor disagree, ranked with € estimates."""

import altair as alt
import streamlit as st

from analysis.charts import MIN_MEAN_CELL_PX, NARROW_LABEL_ANGLE, NARROW_LABEL_LIMIT
from analysis.export.report import euros, number, percent
from analysis.export.texts import tr
from pages.ui import dashboard as ui
from pages.ui.insights import priority_section
from survey.user_text import plain


def dash(text: str, prefix: str = "") -> str:
    """A missing number reads as a dash, not as None."""
    return f"{prefix}{text}" if text else "—"


def points(share: object, lang: str) -> str:
    """A difference of shares in whole percentage points, signed."""
    return number(None if share is None or share != share else float(share) * 100, 0, lang, sign=True)


view = ui.page("value", ":material/euro:")
if view is None or ui.no_data(view):
    st.stop()
vas = view.instrument.value_at_stake
if vas is None:
    st.info(view.say("no_vas"))
    st.stop()

result = view.get("value_at_stake", by="level")
losses = {loss: plain(text[view.lang]) for loss, text in vas.losses.items()}
ranking = result.ranking.assign(loss_label=result.ranking["loss"].map(losses))
st.header(view.say("priorities"))
st.caption(view.say("priorities_how"))
lang = view.words_lang
pair = (ranking["a"].iloc[0], ranking["b"].iloc[0]) if len(ranking) else ("level=board", "level=shop_floor")
name_a, name_b = (view.group_labels().get(g, g) for g in pair)
headers = {
    "rank": tr("col_rank", lang),
    "loss_label": tr("col_loss", lang),
    "eur_per_year": tr("col_eur", lang),
    "share_all": tr("col_share", lang, group=view.labels.everyone.lower()),
    "share_a": tr("col_share", lang, group=name_a),
    "share_b": tr("col_share", lang, group=name_b),
    "diff": tr("col_diff_of", lang, a=name_a, b=name_b),
    "ci": tr("col_ci", lang),
    "priority": tr("col_priority", lang),
}
table = ranking.assign(
    eur_per_year=ranking["eur_per_year"].map(lambda v: dash(euros(v, lang), "€ ")),
    share_all=ranking["share_all"].map(lambda v: dash(percent(v, lang))),
    share_a=ranking["share_a"].map(lambda v: dash(percent(v, lang))),
    share_b=ranking["share_b"].map(lambda v: dash(percent(v, lang))),
    diff=ranking["diff"].map(lambda v: dash(points(v, lang))),
    ci=[
        dash(f"{points(lo, lang)} … {points(hi, lang)}" if points(lo, lang) else "")
        for lo, hi in zip(ranking["ci_low"], ranking["ci_high"], strict=True)
    ],
)
ui.table(
    table[list(headers)].rename(columns=headers),
    column_config={
        headers["rank"]: st.column_config.NumberColumn(width="small"),
        headers["loss_label"]: st.column_config.TextColumn(width="large"),
        **{headers[c]: st.column_config.TextColumn(width="small") for c in ("share_all", "share_a", "share_b", "diff")},
        headers["priority"]: st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="%.2f", width="small"),
    },
)

st.header(view.say("shares_title"))
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
            axis=alt.Axis(orient="top", labelAngle=NARROW_LABEL_ANGLE, labelLimit=180),
        ),
        y=alt.Y("loss_label:N", title=None, sort=list(losses.values()), axis=alt.Axis(labelLimit=NARROW_LABEL_LIMIT)),
        color=alt.Color(
            "share:Q",
            scale=alt.Scale(scheme="blues", domain=[0, 1]),
            legend=alt.Legend(title=view.say("share"), format="%", orient="bottom"),
        ),
        tooltip=[
            alt.Tooltip("loss_label:N", title=tr("col_loss", lang)),
            alt.Tooltip("group_label:N", title=view.say("col_group")),
            alt.Tooltip("share:Q", title=view.say("share"), format=".0%"),
            alt.Tooltip("n:Q", title="n"),
        ],
    )
)
text = heat.mark_text(fontSize=10).encode(
    text=alt.Text("share:Q", format=".0%"),
    color=alt.value("black"),
    opacity=alt.condition(f"width / {max(shares['group'].nunique(), 1)} >= {MIN_MEAN_CELL_PX}", alt.value(1), alt.value(0)),
)
ui.chart(alt.layer(heat, text).properties(width="container", height=alt.Step(34)))
ui.anonymity_note(result.anonymity, view.lang)

st.divider()
priority_section(view)
