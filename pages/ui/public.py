"""The "you said, we did" panels: the public board on a page anyone may open, and the short list on the kiosk."""

from __future__ import annotations

import re

import streamlit as st

from analysis.action_list import ActionLine, action_lines
from analysis.export.report import number
from analysis.public import LANGUAGES, PublicBoard, public_board, tr
from pages.ui.common import db
from survey.campaigns import Campaign, CampaignError, active_campaign, get_campaign
from survey.user_text import as_markdown

_LINK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
BOARD_TTL_S = 30
KIOSK_ACTIONS = 4
STATUS_COLOUR = {"planned": "gray", "in_progress": "blue", "done": "green", "dropped": "gray"}
STATUS_ICON = {"planned": ":material/schedule:", "in_progress": ":material/autorenew:", "done": ":material/check_circle:"}


def campaign_from(raw: object) -> Campaign | None:
    """The campaign a public address names (`?c=`), else the campaign open for answers; a mangled id is never queried."""
    with db().cursor() as con:
        if isinstance(raw, str) and _LINK_ID.match(raw):
            try:
                return get_campaign(con, raw)
            except CampaignError:
                return None
        return active_campaign(con)


@st.cache_data(ttl=BOARD_TTL_S, show_spinner=False)
def board(db_path: str, campaign_id: str, lang: str) -> PublicBoard:
    """The public board, read at most every few seconds per campaign and language: anyone can open the page."""
    with db().cursor() as con:
        return public_board(con, campaign_id, lang)


@st.cache_data(ttl=BOARD_TTL_S, show_spinner=False)
def published_actions(db_path: str, campaign_id: str) -> list[ActionLine]:
    with db().cursor() as con:
        return action_lines(con, campaign_id, published_only=True)


def language(default: str = "en") -> str:
    """EN or NL, from `?lang=` first, then the visitor's choice on the page."""
    asked = st.query_params.get("lang")
    if "public_lang" not in st.session_state:
        st.session_state.public_lang = asked if asked in LANGUAGES else default
    st.segmented_control(
        "Language / Taal", list(LANGUAGES), format_func={"en": "English", "nl": "Nederlands"}.get, key="public_lang", required=True
    )
    return st.session_state.public_lang or default


def _action(action: ActionLine, lang: str) -> None:
    with st.container(border=True):
        st.badge(action.status_word(lang), icon=STATUS_ICON.get(action.status), color=STATUS_COLOUR.get(action.status, "gray"))
        st.markdown(f"**{as_markdown(action.title)}**")
        due = f" · {tr('due', lang)}: {action.due.isoformat()}" if action.due else ""
        st.caption(f"{tr('owner', lang)}: {as_markdown(action.owner)}{due}")


def show_board(found: PublicBoard) -> None:
    """The public board: actions first (what people came to see), then the published results; one column, phone first."""
    lang = found.lang
    st.title(tr("title", lang))
    st.write(as_markdown(tr("lead", lang, campaign=found.campaign_name)))
    if found.empty:
        st.info(tr("nothing", lang))
        return
    st.header(tr("actions", lang))
    if not found.actions:
        st.caption(tr("no_actions", lang))
    for action in found.actions:
        _action(action, lang)
    st.header(tr("results", lang))
    if not found.dimensions:
        st.caption(tr("no_results", lang))
        return
    st.caption(tr("results_wave", lang, wave=found.wave_text, lo=found.scale[0], hi=found.scale[1]))
    for dim in found.dimensions:
        with st.container(border=True):
            st.subheader(as_markdown(dim.label))
            if dim.overall is not None:
                st.metric(tr("everyone", lang), number(dim.overall.mean, 1, lang))
                st.caption(tr("people", lang, n=dim.overall.n))
            if dim.groups:  # a Markdown table: it narrows to a phone's width, where a data grid would scroll sideways
                head = f"| {as_markdown(found.breakdown or '')} | {tr('score', lang)} | n |\n|:--|--:|--:|\n"
                rows = "\n".join(f"| {as_markdown(g.group)} | **{number(g.mean, 1, lang)}** | {g.n} |" for g in dim.groups)
                st.markdown(head + rows)
            if dim.hidden:
                st.caption(tr("hidden", lang, count=dim.hidden, k=found.threshold))
    st.caption(tr("anonymity", lang, k=found.threshold))


def kiosk_panel(campaign_id: str, lang: str) -> None:
    """Between respondents on a shared tablet: what was done with earlier answers (published actions only)."""
    actions = published_actions(str(db().path), campaign_id)
    if not actions:
        return
    lang = lang if lang in LANGUAGES else "en"
    st.subheader(tr("kiosk_heading", lang))
    for action in actions[:KIOSK_ACTIONS]:
        _action(action, lang)
