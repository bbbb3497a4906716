"""Dashboard blocks for the insights layer: written findings with links to their pages, the coherence index beside its definition."""

from __future__ import annotations

import contextlib

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from analysis.export.report import number
from analysis.export.texts import tr
from analysis.insights.coherence import DEFINITION
from analysis.insights.findings import PAGES
from pages.ui import dashboard as ui
from pages.ui.actions import plan_action, target_title
from survey.actions import finding_target
from survey.user_text import as_markdown

KIND_ICONS = {
    "gap": ":material/compare_arrows:",
    "blind_spot": ":material/visibility_off:",
    "split": ":material/call_split:",
    "coherence": ":material/hub:",
    "value": ":material/euro:",
    "trend": ":material/trending_up:",
    "reliability": ":material/warning:",
}
PAGE_NAMES = {
    "pages/2_overview.py": {"en": "Overview", "nl": "Overzicht"},
    "pages/3_gaps.py": {"en": "Gaps", "nl": "Verschillen"},
    "pages/3_perception.py": {"en": "Blind spots", "nl": "Blinde vlekken"},
    "pages/4_items.py": {"en": "Item detail", "nl": "Stellingen"},
    "pages/5_value.py": {"en": "Value at stake", "nl": "Waarde op het spel"},
    "pages/7_trends.py": {"en": "Trends", "nl": "Trends"},
}


def findings(view: ui.View) -> None:
    """The summary's findings in the label language, most important first, each with a link to the page that shows its numbers."""
    doc = view.get("summary")
    lang = view.words_lang
    st.subheader(tr("findings", lang))
    if not doc["findings"]:
        st.caption(tr("no_findings", lang))
        return
    for position, finding in enumerate(doc["findings"], start=1):
        with st.container(border=True):
            # The link and the button get room for their Dutch words ("Waarde op het spel", "Actie plannen").
            text, link, plan = st.columns([5, 1.7, 1.7], vertical_alignment="center")
            text.markdown(f"{KIND_ICONS.get(finding['kind'], '')} **{position}.** {as_markdown(finding['text'][lang])}")
            page = finding["refs"].get("page", PAGES.get(finding["kind"]))
            if page in PAGE_NAMES and page != "pages/2_overview.py":
                with contextlib.suppress(StreamlitAPIException):  # a page run on its own (not through app.py) has no pages to link to
                    link.page_link(page, label=PAGE_NAMES[page][lang], icon=":material/arrow_forward:")
            target = finding_target(finding)
            if target is not None:
                with plan:
                    plan_action(
                        view.campaign,
                        view.wave,
                        target,
                        key=f"finding_{position}",
                        lang=lang,
                        title=target_title(view.labels, target),
                        loss=target["id"] if target["kind"] == "loss" else None,
                        eur_per_year=finding["refs"].get("eur_per_year") if target["kind"] == "loss" else None,
                    )
    st.caption(tr("findings_how", lang))


def coherence(view: ui.View) -> None:
    """Overall coherence and C, B and W per dimension, with the definition beside it."""
    lang = view.words_lang
    data = view.get("coherence").data
    doc = view.get("summary")["coherence"]
    st.subheader(tr("coherence", lang))
    numbers, words = st.columns([3, 2])
    with numbers:
        overall = doc["overall"]
        st.metric(tr("coherence_overall", lang), "—" if overall is None else number(overall, 2, lang))
        table = pd.DataFrame(
            {
                tr("col_dimension", lang): data["dimension"].map(view.dimension_labels()),
                tr("col_coherence", lang): data["index"],
                tr("col_between", lang): data["between"],
                tr("col_within", lang): data["within"],
            }
        )
        ui.table(
            table,
            column_config={
                tr("col_coherence", lang): st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="%.2f"),
                tr("col_between", lang): st.column_config.NumberColumn(format="%.2f"),
                tr("col_within", lang): st.column_config.NumberColumn(format="%.2f"),
            },
        )
    words.caption(DEFINITION[lang])


def heatmap_options(view: ui.View, *, unit: str, by: str) -> tuple[bool, dict[tuple[str, str], float] | None, int | None]:
    """The heatmap's colour (score, or difference from everyone) and, from the second wave on, the change marks since the wave before."""
    lang = view.words_lang
    left, right = st.columns(2)
    names = {"score": tr("heatmap_score", lang), "relative": tr("heatmap_relative", lang, everyone=view.labels.everyone)}
    colour = left.segmented_control(
        tr("heatmap_colour", lang), list(names), format_func=names.get, default="score", required=True, key="overview_colour"
    )
    earlier = [w for w in ui.full_waves(view) if w < view.wave]
    if not earlier:
        return colour == "relative", None, None
    if not right.toggle(tr("heatmap_change", lang, wave=earlier[-1]), key="overview_change"):
        return colour == "relative", None, None
    trend = view.get("trend", earlier_wave=earlier[-1], unit=unit, by=by).data
    shown = trend[~trend["suppressed"]]
    changes = {(u, g): float(c) for u, g, c in zip(shown["unit"], shown["group"], shown["change"], strict=True)}
    return colour == "relative", changes, earlier[-1]


def legend_title(view: ui.View, relative: bool) -> str:
    lang = view.words_lang
    return tr("heatmap_relative", lang, everyone=view.labels.everyone) if relative else tr("col_mean", lang)


def splits(view: ui.View, *, item_id: str, by: str) -> None:
    """van der Eijk's agreement A of each shown group on one statement; a split group (A < 0) is called out above the table."""
    lang = view.words_lang
    data = view.get("item_agreement", by=by).data
    rows = data[(data["item"] == item_id) & ~data["suppressed"]]
    labels = view.group_labels()
    split = [labels.get(g, g) for g in rows.loc[rows["split"], "group"]]
    if split:
        st.warning(tr("split_note", lang, groups=", ".join(split)), icon=":material/call_split:")
    table = pd.DataFrame(
        {
            tr("col_group", lang): rows["group"].map(labels),
            tr("col_n", lang): rows["n"],
            tr("col_agreement_a", lang): rows["agreement_a"],
            tr("col_split", lang): rows["split"],
        }
    )
    ui.table(table, column_config={tr("col_agreement_a", lang): st.column_config.NumberColumn(format="%.2f")})
    st.caption(tr("agreement_a_how", lang))


def coherence_trend(view: ui.View, *, earlier_wave: int) -> None:
    """Coherence per dimension in the earlier wave and now, and its change (each wave over its own shown levels)."""
    lang = view.words_lang
    data = view.get("coherence_trend", earlier_wave=earlier_wave).data
    st.subheader(tr("coherence_trend", lang, wave=earlier_wave))
    labels = {"all": tr("coherence_overall", lang), **view.dimension_labels()}
    table = pd.DataFrame(
        {
            tr("col_dimension", lang): data["dimension"].map(labels),
            tr("col_wave", lang, wave=earlier_wave): data["index_before"],
            tr("col_wave", lang, wave=view.wave): data["index_after"],
            tr("col_change", lang): data["change"],
        }
    )
    ui.table(table, column_config={c: st.column_config.NumberColumn(format="%.2f") for c in table.columns[1:]})
    st.caption(DEFINITION[lang])
