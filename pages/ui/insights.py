"""The insight sections of the dashboard (blind spots, ambition gap, priority matrix), in English and Dutch, with group labels."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from analysis.export.report import euros, number
from pages.ui import dashboard as ui
from pages.ui.actions import may_plan, plan_action, plan_text, target_title
from survey.texts import wording
from survey.user_text import as_markdown

WORDS: dict[str, dict[str, str]] = {
    "blind_title": {"en": "Blind spots: how well each level knows another", "nl": "Blinde vlekken: hoe goed kent elk niveau een ander"},
    "blind_help": {
        "en": "Each level predicted how another level would rate each area. A blind spot is the mean prediction minus "
        "that level's actual score (the heatmap's number): to the right, the predicting level over-estimates. "
        "Bars show the 95% confidence interval (Welch); p-values are corrected for the number of blind spots (Benjamini–Hochberg).",
        "nl": "Elk niveau schatte hoe een ander niveau elk onderdeel zou beoordelen. Een blinde vlek is de gemiddelde schatting "
        "min de werkelijke score van dat niveau (het getal in de heatmap): naar rechts overschat het schattende niveau. "
        "Balken tonen het 95%-betrouwbaarheidsinterval (Welch); p-waarden zijn gecorrigeerd voor het aantal blinde vlekken (Benjamini–Hochberg).",
    },
    "none": {
        "en": "No blind spot can be shown for this choice: this questionnaire asks no predictions, the groups are below the "
        "anonymity threshold, or the filter fixes the level.",
        "nl": "Voor deze keuze is geen blinde vlek te tonen: de vragenlijst vraagt geen schattingen, de groepen zijn kleiner "
        "dan de anonimiteitsdrempel, of het filter legt het niveau vast.",
    },
    "more": {"en": "{n} more blind spots", "nl": "Nog {n} blinde vlekken"},
    "by": {"en": "Who predicts", "nl": "Wie schat"},
    "about": {"en": "About", "nl": "Over"},
    "dimension": {"en": "Area", "nl": "Onderdeel"},
    "predicted": {"en": "Predicted", "nl": "Geschat"},
    "actual": {"en": "Actual", "nl": "Werkelijk"},
    "diff": {"en": "Blind spot", "nl": "Blinde vlek"},
    "ci": {"en": "95% CI", "nl": "95%-BI"},
    "p_adj": {"en": "p (corrected)", "nl": "p (gecorrigeerd)"},
    "n_by": {"en": "n predicting", "nl": "n schattend"},
    "n_about": {"en": "n rated", "nl": "n beoordeeld"},
    "ambition_title": {
        "en": "Ambition: where each group wants to be in two years",
        "nl": "Ambitie: waar elke groep over twee jaar wil staan",
    },
    "ambition_help": {
        "en": "The group's mean target for two years from now minus its current score (the heatmap's number), with a 95% "
        "confidence interval (Welch). A large gap is a group that wants to move; compare it with how far the levels are apart.",
        "nl": "Het gemiddelde doel van de groep over twee jaar min haar huidige score (het getal in de heatmap), met een "
        "95%-betrouwbaarheidsinterval (Welch). Een grote kloof is een groep die wil bewegen; vergelijk die met hoe ver de niveaus uit elkaar liggen.",
    },
    "group": {"en": "Group", "nl": "Groep"},
    "current": {"en": "Now", "nl": "Nu"},
    "target": {"en": "In two years", "nl": "Over twee jaar"},
    "gap": {"en": "Ambition gap", "nl": "Ambitiekloof"},
    "n": {"en": "n", "nl": "n"},
    "no_ambition": {"en": "This questionnaire asks no targets.", "nl": "Deze vragenlijst vraagt geen doelen."},
    "matrix_title": {"en": "Priority matrix", "nl": "Prioriteitenmatrix"},
    "matrix_help": {
        "en": "Each area placed by how far board and shop floor are apart (board − shop floor) against how far people want "
        "to move (ambition gap), sized by the € of the losses in its value hypotheses. Top right: disputed and wanted.",
        "nl": "Elk onderdeel geplaatst naar hoe ver bestuur en werkvloer uit elkaar liggen (bestuur − werkvloer) tegen hoe ver "
        "men wil bewegen (ambitiekloof), met als grootte de € van de verliezen in zijn waardehypotheses. Rechtsboven: omstreden en gewild.",
    },
    "misalignment": {"en": "Board − shop floor (points)", "nl": "Bestuur − werkvloer (punten)"},
    "ambition": {"en": "Ambition gap (points)", "nl": "Ambitiekloof (punten)"},
    "eur": {"en": "€ per year", "nl": "€ per jaar"},
    "hyp_title": {"en": "Value hypotheses to start with", "nl": "Waardehypotheses om mee te beginnen"},
    "hyp_help": {
        "en": "Each pairs an area with a loss. Ranked by area priority (half misalignment, half ambition, each relative to "
        "the largest) times loss priority (half €, half board-vs-shop-floor disagreement).",
        "nl": "Elk koppelt een onderdeel aan een verlies. Gerangschikt op prioriteit van het onderdeel (half verschil tussen "
        "niveaus, half ambitie, elk ten opzichte van het grootste) maal prioriteit van het verlies (half €, half onenigheid).",
    },
    "rank": {"en": "Rank", "nl": "Rang"},
    "loss": {"en": "Loss", "nl": "Verlies"},
    "score": {"en": "Score", "nl": "Score"},
    "no_matrix": {
        "en": "The priority matrix needs the board-vs-shop-floor gap and the ambition gap, shown (not hidden) for at least one area.",
        "nl": "De prioriteitenmatrix heeft het verschil bestuur–werkvloer en de ambitiekloof nodig, zichtbaar voor minstens één onderdeel.",
    },
}
ONE_COLUMN_ON_A_PHONE = alt.ExprRef(expr="containerSize()[0] < 560 ? 1 : 3")  # legend entries that fit a phone's width
NAMED_FROM_PX = 420  # a matrix narrower than this (a phone) numbers its points instead of naming them beside the point
PLAN_FIRST = 5  # blind spots with a "Plan action" in view; the rest behind one expander, so the page stays short


def w(key: str, lang: str) -> str:
    return wording(WORDS, key, lang)


def blind_spot_section(view: ui.View) -> None:
    lang = view.lang
    st.subheader(w("blind_title", lang))
    st.caption(w("blind_help", lang))
    found = view.get("insights")
    shown = found.blind_spots[~found.blind_spots["suppressed"].astype(bool)]
    if shown.empty:
        st.info(w("none", lang))
        return
    groups, dims = view.group_labels(), view.dimension_labels()
    rated = list(dict.fromkeys(shown["about"]))
    about = st.segmented_control(
        w("about", lang), rated, default=rated[0], required=True, format_func=lambda g: groups.get(g, g), key="blind_about"
    )
    shown = shown[shown["about"] == about]
    frame = shown.assign(
        by_label=shown["by"].map(groups),
        about_label=shown["about"].map(groups),
        dim_label=shown["dimension"].map(dims),
    )
    frame["pair"] = frame["by_label"]
    bars = alt.Chart(frame).encode(
        y=alt.Y("dim_label:N", title=None, sort=list(dims.values()), axis=alt.Axis(labelLimit=220)),
        yOffset=alt.YOffset("pair:N"),
        color=alt.Color("pair:N", title=w("by", lang), legend=alt.Legend(orient="bottom", columns=ONE_COLUMN_ON_A_PHONE, labelLimit=260)),
    )
    rule = bars.mark_rule(strokeWidth=2).encode(x=alt.X("ci_low:Q", title=w("diff", lang), axis=alt.Axis(tickMinStep=0.5)), x2="ci_high:Q")
    dot = bars.mark_point(filled=True, size=60).encode(
        x="diff:Q",
        tooltip=[
            alt.Tooltip("pair:N", title=w("by", lang)),
            alt.Tooltip("dim_label:N", title=w("dimension", lang)),
            alt.Tooltip("predicted:Q", title=w("predicted", lang), format=".2f"),
            alt.Tooltip("actual:Q", title=w("actual", lang), format=".2f"),
            alt.Tooltip("diff:Q", title=w("diff", lang), format="+.2f"),
            alt.Tooltip("p_adj:Q", title=w("p_adj", lang), format=".3f"),
        ],
    )
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#888").encode(x="x:Q")
    ui.chart(alt.layer(zero, rule, dot).properties(width="container", height=alt.Step(12)))
    table = pd.DataFrame(
        {
            w("by", lang): frame["by_label"],
            w("about", lang): frame["about_label"],
            w("dimension", lang): frame["dim_label"],
            w("predicted", lang): frame["predicted"],
            w("actual", lang): frame["actual"],
            w("diff", lang): frame["diff"],
            w("ci", lang): [f"{lo:+.2f} … {hi:+.2f}" for lo, hi in zip(frame["ci_low"], frame["ci_high"], strict=True)],
            w("p_adj", lang): frame["p_adj"],
            w("n_by", lang): frame["n_by"].astype(int),
            w("n_about", lang): frame["n_about"].astype(int),
        }
    )
    table = table.reindex(table[w("diff", lang)].abs().sort_values(ascending=False).index)
    ui.table(
        table,
        column_config={
            **{w(c, lang): st.column_config.NumberColumn(format="%.2f") for c in ("predicted", "actual")},
            w("diff", lang): st.column_config.NumberColumn(format="%+.2f"),
            w("p_adj", lang): st.column_config.NumberColumn(format="%.3f"),
        },
    )
    plan_blind_spots(view, frame)


def plan_blind_spots(view: ui.View, frame: pd.DataFrame) -> None:
    """One "Plan action" per shown blind spot, largest first: the dimension, who predicts (A) and the level predicted (B)."""
    if not may_plan():
        return
    lang = view.lang
    st.markdown(f"**{plan_text(lang, 'blind_spots')}**")
    rows = frame.assign(_size=frame["diff"].abs()).sort_values("_size", ascending=False, kind="stable").to_dict("records")
    for row in rows[:PLAN_FIRST]:
        _plan_blind_spot(view, row)
    if len(rows) > PLAN_FIRST:
        with st.expander(w("more", lang).format(n=len(rows) - PLAN_FIRST)):
            for row in rows[PLAN_FIRST:]:
                _plan_blind_spot(view, row)


def _plan_blind_spot(view: ui.View, row: dict) -> None:
    target = {"kind": "blind_spot", "id": row["dimension"], "a": row["by"], "b": row["about"]}
    left, right = st.columns([4, 1], vertical_alignment="center")
    left.markdown(
        f"**{as_markdown(row['dim_label'])}** · {as_markdown(row['by_label'])}: {w('diff', view.lang).lower()} {number(row['diff'], 2, view.lang, sign=True)}"
    )
    with right:
        plan_action(
            view.campaign,
            view.wave,
            target,
            key=f"blind_{row['by']}_{row['about']}_{row['dimension']}",
            lang=view.lang,
            title=target_title(view.labels, target),
        )


def ambition_section(view: ui.View) -> None:
    lang = view.lang
    st.subheader(w("ambition_title", lang))
    st.caption(w("ambition_help", lang))
    found = view.get("insights")
    ambition = found.ambition
    if ambition.empty:
        st.info(w("no_ambition", lang))
        return
    by = ui.compare_by(view, key="ambition_by")
    rows = ambition[(ambition["group"] == "all") | (ambition["attribute"] == by)]
    rows = rows[~rows["suppressed"].astype(bool)]
    groups, dims = view.group_labels(), view.dimension_labels()
    frame = rows.assign(group_label=rows["group"].map(groups).fillna(rows["group"]), dim_label=rows["dimension"].map(dims))
    if frame.empty:
        st.info(w("none", lang))
        return
    asked = list(dict.fromkeys(frame["dimension"]))
    dimension = st.segmented_control(
        w("dimension", lang), asked, default=asked[0], required=True, format_func=lambda d: dims.get(d, d), key="ambition_dim"
    )
    part = frame[frame["dimension"] == dimension]
    scale = view.instrument.scale
    base = alt.Chart(part).encode(
        y=alt.Y("group_label:N", title=None, sort=list(dict.fromkeys(part["group_label"])), axis=alt.Axis(labelLimit=200)),
        tooltip=[
            alt.Tooltip("group_label:N", title=w("group", lang)),
            alt.Tooltip("current:Q", title=w("current", lang), format=".2f"),
            alt.Tooltip("target:Q", title=w("target", lang), format=".2f"),
            alt.Tooltip("gap:Q", title=w("gap", lang), format="+.2f"),
            alt.Tooltip("n:Q", title="n"),
        ],
    )
    x = alt.X("current:Q", title=f"{scale.min}–{scale.max}", scale=alt.Scale(domain=[scale.min, scale.max]))
    arrow = base.mark_rule(strokeWidth=3, color="#9ab").encode(x=x, x2="target:Q")
    now = base.mark_point(filled=True, size=60, color="#555").encode(x="current:Q")
    goal = base.mark_point(filled=True, size=90, shape="triangle-right", color="#1f5fa8").encode(x="target:Q")
    ui.chart(alt.layer(arrow, now, goal).properties(width="container", height=alt.Step(26)))
    st.caption(f"● {w('current', lang)}   ▶ {w('target', lang)}")
    table = pd.DataFrame(
        {
            w("dimension", lang): frame["dim_label"],
            w("group", lang): frame["group_label"],
            w("current", lang): frame["current"],
            w("target", lang): frame["target"],
            w("gap", lang): frame["gap"],
            w("ci", lang): [f"{lo:+.2f} … {hi:+.2f}" for lo, hi in zip(frame["ci_low"], frame["ci_high"], strict=True)],
            w("n", lang): frame["n"].astype(int),
        }
    )
    ui.table(table, column_config={w(c, lang): st.column_config.NumberColumn(format="%.2f") for c in ("current", "target", "gap")})


def priority_section(view: ui.View) -> None:
    lang = view.lang
    st.subheader(w("matrix_title", lang))
    st.caption(w("matrix_help", lang))
    found = view.get("insights")
    points = found.points
    if points.empty:
        st.info(w("no_matrix", lang))
        return
    dims = view.dimension_labels()
    frame = points.assign(dim_label=points["dimension"].map(dims), eur=points["eur_at_stake"].fillna(0.0))
    # Each point carries a number (in the order of the ranked table below, then by €), its key under the chart; on a wide chart its name is written beside it
    # too, alternately above and below (left to right) so that two neighbours' names do not print over each other.
    order = frame["misalignment"].rank(method="first").astype(int)
    first = {d: i for i, d in enumerate(dict.fromkeys(found.priorities["dimension"]))}  # the ranked table's order
    place = frame["dimension"].map(first).fillna(len(first)) - frame["eur"] / (frame["eur"].max() or 1.0) / 2
    frame = frame.assign(below=(order % 2 == 0), key=place.rank(method="first").astype(int).astype(str))
    base = alt.Chart(frame).encode(
        x=alt.X("misalignment:Q", title=w("misalignment", lang), axis=alt.Axis(tickMinStep=0.5), scale=alt.Scale(padding=60)),
        y=alt.Y("ambition:Q", title=w("ambition", lang), axis=alt.Axis(tickMinStep=0.5), scale=alt.Scale(padding=30)),
    )
    dots = base.mark_circle(opacity=0.75, color="#1f5fa8").encode(
        size=alt.Size(
            "eur:Q", title=w("eur", lang), scale=alt.Scale(range=[80, 1600]), legend=alt.Legend(format="~s", orient="bottom", tickCount=3)
        ),
        tooltip=[
            alt.Tooltip("dim_label:N", title=w("dimension", lang)),
            alt.Tooltip("misalignment:Q", title=w("misalignment", lang), format="+.2f"),
            alt.Tooltip("ambition:Q", title=w("ambition", lang), format="+.2f"),
            alt.Tooltip("eur:Q", title=w("eur", lang), format=",.0f"),
        ],
    )
    wide = alt.condition(f"width >= {NAMED_FROM_PX}", alt.value(1), alt.value(0))
    above = base.transform_filter("!datum.below").mark_text(dy=-28, fontSize=12, limit=150).encode(text="dim_label:N", opacity=wide)
    below = base.transform_filter("datum.below").mark_text(dy=30, fontSize=12, limit=150).encode(text="dim_label:N", opacity=wide)
    numbers = base.mark_text(fontSize=12, fontWeight="bold", aria=False).encode(
        text="key:N", color=alt.condition("datum.eur > 0", alt.value("#ffffff"), alt.value("#000000"))
    )
    ui.chart(alt.layer(dots, numbers, above, below).properties(width="container", height=320))
    st.caption(" · ".join(f"**{k}** {as_markdown(n)}" for k, n in sorted(zip(frame["key"].astype(int), frame["dim_label"], strict=True))))
    st.markdown(f"**{w('hyp_title', lang)}**")
    st.caption(w("hyp_help", lang))
    table = found.priorities
    losses = view.instrument.value_at_stake.losses if view.instrument.value_at_stake else {}
    ui.table(
        pd.DataFrame(
            {
                w("rank", lang): table["rank"].astype(int),
                w("dimension", lang): table["dimension"].map(dims),
                w("loss", lang): [losses[x][lang] if x in losses else "—" for x in table["loss"]],
                w("misalignment", lang): table["misalignment"],
                w("ambition", lang): table["ambition"],
                w("eur", lang): [f"€ {euros(v, lang)}" if euros(v, lang) else "—" for v in table["eur_per_year"]],
                w("score", lang): table["score"],
            }
        ),
        column_config={
            w("misalignment", lang): st.column_config.NumberColumn(format="%+.2f"),
            w("ambition", lang): st.column_config.NumberColumn(format="%+.2f"),
            w("score", lang): st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="%.2f"),
        },
    )
    plan_priorities(view, table, losses)


def plan_priorities(view: ui.View, table: pd.DataFrame, losses: dict) -> None:
    """One "Plan action" per value hypothesis: its dimension, with the loss and its € per year prefilled."""
    if table.empty or not may_plan():
        return
    lang, dims = view.lang, view.dimension_labels()
    for row in table.to_dict("records"):
        loss = row["loss"] if isinstance(row["loss"], str) else None
        eur = None if pd.isna(row["eur_per_year"]) else float(row["eur_per_year"])
        target = {"kind": "dimension", "id": row["dimension"]}
        name = dims.get(row["dimension"], row["dimension"])
        loss_name = losses[loss][lang] if loss in losses else None
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.markdown(f"{int(row['rank'])}. **{as_markdown(name)}**" + (f" · {as_markdown(loss_name)}" if loss_name else ""))
        with right:
            plan_action(
                view.campaign,
                view.wave,
                target,
                key=f"prio_{int(row['rank'])}",
                lang=lang,
                title=f"{name}: {loss_name}" if loss_name else name,
                loss=loss,
                eur_per_year=eur,
            )
