"""Choosing the campaign and wave a page looks at, shared by the dashboard and facilitator pages."""

from __future__ import annotations

import streamlit as st

from pages.ui.common import db
from survey.campaigns import Campaign, Wave, list_campaigns, list_waves
from survey.user_text import plain


@st.cache_data(ttl=10, show_spinner=False)
def _campaigns(db_path: str) -> list[Campaign]:
    with db().cursor() as con:
        return list_campaigns(con)


@st.cache_data(ttl=10, show_spinner=False)
def _waves(db_path: str, campaign_id: str) -> list[Wave]:
    with db().cursor() as con:
        return list_waves(con, campaign_id)


def pick_campaign(where: object = st.sidebar, label: str = "Campaign") -> Campaign | None:
    """A campaign selector (remembered across pages); None, with a hint, when there is none yet."""
    campaigns = _campaigns(str(db().path))
    if not campaigns:
        st.info("No campaign yet. Load the demo on the home page, or create one on the Campaigns page.")
        return None
    ids = [c.campaign_id for c in campaigns]
    if st.session_state.get("campaign") not in ids:
        st.session_state.campaign = ids[0]
    names = {c.campaign_id: plain(c.name) for c in campaigns}
    chosen = where.selectbox(label, ids, key="campaign", format_func=names.get)
    return next(c for c in campaigns if c.campaign_id == chosen)


def pick_wave(campaign: Campaign, where: object = st.sidebar, label: str = "Wave") -> int:
    """The wave to show: the newest by default."""
    waves = _waves(str(db().path), campaign.campaign_id)
    numbers = [w.wave for w in waves]
    names = {w.wave: f"{w.wave} · {plain(w.label)}" for w in waves}
    return where.selectbox(label, numbers, index=len(numbers) - 1, format_func=names.get, key=f"wave_{campaign.campaign_id}")


def clear_caches() -> None:
    """After a write, the next read must see it."""
    st.cache_data.clear()
