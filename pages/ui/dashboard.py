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
from analysis.labels import Labels
from analysis.scope import Scope, ScopeError
from pages.ui.campaign_picker import pick_campaign
from pages.ui.common import db, menu, require
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
            st.warning(f"This view cannot be shown for this choice: {exc}. Change the filters in the sidebar or the grouping.")
            st.stop()

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


def page(title: str, icon: str) -> View | None:
    """Shared top of every dashboard page: config, menu, role check, scope controls in the sidebar."""
    st.set_page_config(page_title=f"{title} · Coherence Scan", page_icon=icon, layout="wide")
    menu()
    require("leader")
    st.title(title)
    with st.sidebar:
        st.divider()
        campaign = pick_campaign(st.sidebar)
        if campaign is None:
            return None
        with db().cursor() as con:
            waves = list_waves(con, campaign.campaign_id)
        names = {w.wave: f"{w.wave} · {plain(w.label)}" for w in waves}
        wave = st.selectbox("Wave", list(names), index=len(names) - 1, format_func=names.get, key=f"dash_wave_{campaign.campaign_id}")
        instrument = instrument_of(campaign.campaign_id, wave)
        lang = st.segmented_control("Labels", list(instrument.languages), default=instrument.languages[0], required=True, key="dash_lang")
        filters: list[tuple[str, str]] = []
        for attr_id, attr in instrument.attributes.items():
            if attr_id == "level":
                continue
            choice = st.selectbox(
                f"Filter: {as_markdown(attr.label[lang])}",
                [None, *attr.options],
                format_func=lambda o, a=attr: "All" if o is None else plain(a.options[o][lang]),
                key=f"filter_{campaign.campaign_id}_{attr_id}",
                disabled=bool(filters),  # one filter at a time: a view combines at most two attributes
            )
            if choice and not filters:
                filters.append((attr_id, choice))
        st.caption(f"Groups smaller than **{campaign.threshold}** are hidden everywhere, also when filters combine.")
        data_age()
        if filters:
            st.caption(
                "One filter at a time, and the filtered attribute is not offered for grouping: a view combines at most "
                "two attributes, so that no small cross-section can be singled out."
            )
    return View(campaign, wave, tuple(filters), lang)


def data_age() -> None:
    """On PostgreSQL, how old the local copy the numbers come from is: other replicas' answers arrive within seconds, not at once."""
    database = db()
    if database.url is None:
        return
    age = database.staleness_s()
    if age is None or age > STALE_AFTER_S:
        st.warning(f"Data as of {'unknown' if age is None else f'{age:.0f} s'} ago: the copy could not reach the database server lately.")
    else:
        st.caption(f"Data as of {age:.0f} s ago (copy of the database server, kept at most {STALE_AFTER_S:.0f} s behind).")


def anonymity_note(report: Any) -> None:
    """Say what was hidden and why, without numbers for hidden groups."""
    hidden = getattr(report, "hidden_groups", ())
    notes = list(getattr(report, "notes", ()))
    if not hidden and not notes:
        return
    with st.expander(f":material/visibility_off: {len(hidden)} group(s) hidden to protect anonymity", expanded=False):
        st.write(
            f"A group is shown only when it has at least {report.threshold} respondents, and a second group is hidden "
            "when the first could otherwise be worked out from a total and the other groups."
        )
        for note in notes:
            st.caption(as_markdown(note))


def chart(spec: alt.TopLevelMixin) -> None:
    """Fit the width only: Streamlit's default fits the height too, squashing a heatmap's rows into a line."""
    fitted = spec.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding")).configure_axisX(labelOverlap=False)
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
        st.info("Every attribute is filtered in the sidebar, so there are no groups to compare. Clear a filter.")
        st.stop()
    return where.segmented_control(
        "Compare by", attributes, default=attributes[0], format_func=lambda a: as_markdown(view.attribute_label(a)), required=True, key=key
    )


def unit_picker(key: str, where: Any = st, label: str = "Per", plural: bool = False) -> str:
    """Whether a page shows dimensions or single items."""
    names = {"dimension": "Dimensions" if plural else "Dimension", "item": "Items" if plural else "Item"}
    return where.segmented_control(label, list(names), default="dimension", required=True, key=key, format_func=names.get)


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
        st.info("No responses in this campaign yet. Share the survey link (Invites page) or load the demo on the home page.")
        return True
    return False


def representation_note(rep: dict[str, Any], view: View) -> None:
    """The representation ratio under the participation table, with what to do when the shop floor is under-represented."""
    if rep["ratio"] is None:
        st.caption(f"Representation ratio: not available ({plain(rep['note'] or '')}).")
        return
    focus = as_markdown(view.option_label(rep["attribute"], rep["focus"]))
    st.metric(
        "Representation ratio",
        f"{rep['ratio']:.2f}",
        help=f"{focus} response rate ÷ the other levels' combined rate. {focus}: {rep['focus_rate']:.0%} responded; "
        f"the other shown levels together: {rep['others_rate']:.0%}. "
        f"Below {rep['flag_below']} the {focus} is under-represented. Hidden levels (fewer than k) and levels without "
        "a headcount are left out of the other levels' rate.",
    )
    if rep["flagged"]:
        st.warning(
            f"**{focus} under-represented** (ratio {rep['ratio']:.2f}, below {rep['flag_below']}): its voice weighs less "
            "in every chart than its headcount. To reach it: " + "; ".join(rep["advice"]) + ".",
            icon=":material/campaign:",
        )
    if rep["excluded"]:
        st.caption(
            "Left out of the other levels' rate (hidden or no headcount): "
            + ", ".join(as_markdown(view.option_label(rep["attribute"], o)) for o in rep["excluded"])
        )
