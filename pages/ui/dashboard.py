"""Leadership views: the scope controls every dashboard page shares and cached calls into the analysis engine.

Results are cached by the data's version and the scope only: they never depend on who is signed
in, because leaders and facilitators see the same (already suppressed) aggregates.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from analysis import engine, scoring
from analysis.charts import localised
from analysis.export.report import number, percent
from analysis.export.texts import LANGUAGES
from analysis.labels import Labels
from analysis.scope import Scope, ScopeError
from pages.ui.campaign_picker import pick_campaign
from pages.ui.common import dashboard_language, db, menu, require
from pages.ui.dashboard_words import language_name, say
from survey import campaigns
from survey.campaigns import Campaign, CampaignError, campaign_instrument, list_waves
from survey.instrument import Instrument
from survey.user_text import as_markdown, plain

STALE_AFTER_S = 15.0


def data_version(campaign_id: str) -> str:
    """Cheap fingerprint of everything a dashboard number depends on; a new response changes it."""
    with db().cursor() as con:
        return scoring.data_version(con, campaign_id)


@st.cache_data(ttl=600, show_spinner="Computing…", max_entries=256)
def run(view: str, version: str, campaign_id: str, wave: int | None, filters: tuple[tuple[str, str], ...], **kwargs: Any) -> Any:
    """One engine call, cached by data version and scope (never by user)."""
    scope = Scope(campaign_id, wave=wave, filters=filters)
    with db().cursor() as con:
        return getattr(engine, view)(con, scope, **kwargs)


@st.cache_resource(max_entries=32)
def instrument_of(campaign_id: str, wave: int) -> Instrument:
    with db().cursor() as con:
        return campaign_instrument(con, campaign_id, wave)


class View:
    """What a dashboard page is looking at: campaign, wave, filters, label language; `get` calls the engine.

    Its labels are the questionnaire's texts as plain text (`analysis.labels`, the words the exports use too), ready
    for tables, charts and drop-downs; where Markdown reads them (captions, headings, button groups) pass them through
    `as_markdown`.
    """

    def __init__(self, campaign: Campaign, wave: int, filters: tuple[tuple[str, str], ...], lang: str) -> None:
        self.campaign = campaign
        self.wave = wave
        self.filters = filters
        self.lang = lang
        self.instrument = instrument_of(campaign.campaign_id, wave)
        self.labels = Labels(self.instrument, lang)
        self.version = data_version(campaign.campaign_id)

    def get(self, view: str, **kwargs: Any) -> Any:
        """The engine's answer; a combination it refuses (see ScopeError) ends the page with the reason, not a traceback."""
        try:
            return run(view, self.version, self.campaign.campaign_id, self.wave, self.filters, **kwargs)
        except (ScopeError, CampaignError) as exc:
            st.warning(say("refused", self.lang, why=exc))
            st.stop()

    @property
    def words_lang(self) -> str:
        """The language the product's own words are shown in: the label language where they exist in it, else English."""
        return self.lang if self.lang in LANGUAGES else "en"

    def say(self, key: str, **values: object) -> str:
        """The dashboard's wording for `key` in the label language chosen in the sidebar."""
        return say(key, self.lang, **values)

    @property
    def filtered(self) -> set[str]:
        return {attribute for attribute, _ in self.filters}

    def groupable(self, *keys: str) -> list[str]:
        """Attributes whose groups a page may set side by side: every one the sidebar does not fix to one option.

        Grouping by a filtered attribute would show one group at best, and the engine refuses it. A
        choice remembered in `keys` (widget keys) that is no longer offered is forgotten before the
        widget is drawn, so it falls back to its default instead of failing.
        """
        offered = [a for a in self.instrument.attributes if a not in self.filtered]
        for key in keys:
            chosen = st.session_state.get(key)
            if chosen is not None and not _offered(chosen, offered):
                del st.session_state[key]
        return offered

    @property
    def threshold(self) -> int:
        return self.campaign.threshold

    def dimension_labels(self) -> dict[str, str]:
        return self.labels.dimensions()

    def item_labels(self, short: bool = True) -> dict[str, str]:
        return {i.id: (i.id if short else f"{i.id} · {self.labels.item(i.id)}") for i in self.instrument.items}

    def group_labels(self) -> dict[str, str]:
        return self.labels.groups()

    def attribute_label(self, attr_id: str) -> str:
        return self.labels.attribute(attr_id)

    def option_label(self, attr_id: str, option: str) -> str:
        return self.labels.option(attr_id, option)


def page(name: str, icon: str) -> View | None:
    """Shared top of every dashboard page: config, menu, role check, scope controls in the sidebar.

    `name` picks the title in the chosen language ("overview" reads "Overview" or "Overzicht"). The title is drawn
    into a slot at the top and filled once the sidebar's language switch has its value, so the heading and the
    controls below it never disagree about the language.
    """
    st.set_page_config(page_title=f"{say(f'title_{name}', dashboard_language())} · Coherence Scan", page_icon=icon, layout="wide")
    menu()
    require("leader")
    heading = st.empty()
    with st.sidebar:
        st.divider()
        campaign = pick_campaign(st.sidebar, label=say("campaign", dashboard_language()))
        if campaign is None:
            heading.title(say(f"title_{name}", dashboard_language()))
            return None
        with db().cursor() as con:
            waves = list_waves(con, campaign.campaign_id)
        names = {w.wave: f"{w.wave} · {plain(w.label)}" for w in waves}
        wave_key = f"dash_wave_{campaign.campaign_id}"
        wave = st.selectbox(say("wave", dashboard_language()), list(names), index=len(names) - 1, format_func=names.get, key=wave_key)
        instrument = instrument_of(campaign.campaign_id, wave)
        lang = language_switch(instrument.languages)
        heading.title(say(f"title_{name}", lang))
        filters: list[tuple[str, str]] = []
        for attr_id, attr in instrument.attributes.items():
            if attr_id == "level":
                continue
            choice = st.selectbox(
                say("filter", lang, attribute=as_markdown(attr.label[lang])),
                [None, *attr.options],
                format_func=lambda o, a=attr: say("all", lang) if o is None else plain(a.options[o][lang]),
                key=f"filter_{campaign.campaign_id}_{attr_id}",
                disabled=bool(filters),  # one filter at a time: a view combines at most two attributes
            )
            if choice and not filters:
                filters.append((attr_id, choice))
        st.caption(say("threshold_note", lang, k=campaign.threshold))
        data_age(lang)
        if filters:
            st.caption(say("one_filter", lang))
    return View(campaign, wave, tuple(filters), lang)


def language_switch(languages: tuple[str, ...] | list[str]) -> str:
    """The sidebar's label-language switch, starting from the choice kept across pages (`dash_lang_kept`) and keeping the new one.

    Shared by the dashboard pages and the pages beside them (Actions), so one choice of language holds on all of them.
    """
    if st.session_state.get("dash_lang") not in (None, *languages):
        del st.session_state["dash_lang"]  # a language this wave's questionnaire lacks falls back to its first
    kept = st.session_state.get("dash_lang_kept")  # the choice made on another page
    default = kept if kept in languages else languages[0]
    lang = (
        st.segmented_control(
            say("language", dashboard_language()),
            list(languages),
            default=default,
            format_func=language_name,
            required=True,
            key="dash_lang",
        )
        or default
    )
    st.session_state["dash_lang_kept"] = lang
    return lang


def data_age(lang: str = "en") -> None:
    """On PostgreSQL, how old the local copy the numbers come from is: other replicas' answers arrive within seconds, not at once."""
    database = db()
    if database.url is None:
        return
    age = database.staleness_s()
    if age is None or age > STALE_AFTER_S:
        st.warning(say("age_stale", lang, age=say("age_unknown", lang) if age is None else f"{age:.0f} s"))
    else:
        st.caption(say("age_ok", lang, age=f"{age:.0f}", most=f"{STALE_AFTER_S:.0f}"))


def anonymity_note(report: Any, lang: str = "en") -> None:
    """Say what was hidden and why, without numbers for hidden groups."""
    hidden = getattr(report, "hidden_groups", ())
    notes = list(getattr(report, "notes", ()))
    if not hidden and not notes:
        return
    with st.expander(f":material/visibility_off: {say('hidden_groups', lang, n=len(hidden))}", expanded=False):
        st.write(say("hidden_why", lang, k=report.threshold))
        for note in notes:
            st.caption(as_markdown(note))


def chart(spec: alt.TopLevelMixin, lang: str | None = None) -> None:
    """Fit the width only: Streamlit's default fits the height too, squashing a heatmap's rows into a line.

    Numbers that Vega formats (axes, tooltips) follow the label language (default: the dashboard's chosen one).
    """
    fitted = localised(
        spec.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding")), lang or dashboard_language()
    ).configure_axisX(labelOverlap=False)
    st.altair_chart(fitted, width="stretch")


def table(frame: pd.DataFrame, **kwargs: Any) -> None:
    st.dataframe(frame, hide_index=True, width="stretch", **kwargs)


def _offered(chosen: Any, offered: list[str]) -> bool:
    """A widget's remembered value is still valid: an attribute, or an (attribute, option) pair, that is offered."""
    return (chosen[0] if isinstance(chosen, tuple) else chosen) in offered


def compare_by(view: View, key: str, where: Any = st) -> str:
    """The attribute whose groups a page sets side by side (the first one not filtered, by default)."""
    attributes = view.groupable(key)
    if not attributes:
        st.info(view.say("all_filtered"))
        st.stop()
    return where.segmented_control(
        view.say("compare_by"),
        attributes,
        default=attributes[0],
        format_func=lambda a: as_markdown(view.attribute_label(a)),
        required=True,
        key=key,
    )


def unit_picker(key: str, lang: str, where: Any = st, label: str = "per", plural: bool = False) -> str:
    """Whether a page shows dimensions or single items; `label` is a key of the dashboard's wording ("per", "rows")."""
    names = {"dimension": say("dimensions" if plural else "dimension", lang), "item": say("items" if plural else "item", lang)}
    return where.segmented_control(say(label, lang), list(names), default="dimension", required=True, key=key, format_func=names.get)


def group_options(view: View, *keys: str) -> list[tuple[str, str]]:
    """Every (attribute, option) pair of an attribute not filtered, for choosing the two sides of a gap."""
    return [(a, o) for a in view.groupable(*keys) for o in view.instrument.attributes[a].options]


def waves(view: View) -> list[int]:
    """The campaign's waves, oldest first."""
    with db().cursor() as con:
        return [w.wave for w in list_waves(con, view.campaign.campaign_id)]


def full_waves(view: View) -> list[int]:
    """The campaign's waves that asked the whole questionnaire (not a pulse of a few statements), oldest first:
    the ones whose dimension scores compare with a full wave's."""
    with db().cursor() as con:
        return [w.wave for w in campaigns.full_waves(con, view.campaign.campaign_id)]


def no_data(view: View) -> bool:
    if view.version.startswith("0|"):
        st.info(view.say("no_data"))
        return True
    return False


def representation_note(rep: dict[str, Any], view: View) -> None:
    """The representation ratio under the participation table, with what to do when the shop floor is under-represented."""
    if rep["ratio"] is None:
        st.caption(view.say("rep_none", why=plain(rep["note"] or "")))
        return
    focus = as_markdown(view.option_label(rep["attribute"], rep["focus"]))
    lang = view.words_lang
    ratio = number(rep["ratio"], 2, lang)
    st.metric(
        view.say("rep_label"),
        ratio,
        help=view.say(
            "rep_help",
            focus=focus,
            focus_rate=percent(rep["focus_rate"], lang),
            others_rate=percent(rep["others_rate"], lang),
            below=number(rep["flag_below"], 2, lang),
        ),
    )
    if rep["flagged"]:
        st.warning(
            view.say("rep_flag", focus=focus, ratio=ratio, below=number(rep["flag_below"], 2, lang), advice="; ".join(rep["advice"])),
            icon=":material/campaign:",
        )
    if rep["excluded"]:
        st.caption(view.say("rep_excluded", groups=", ".join(as_markdown(view.option_label(rep["attribute"], o)) for o in rep["excluded"])))
