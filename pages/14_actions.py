"""Actions: what leadership decided to do about the gaps, edited as one table that is saved whole or not at all."""

import streamlit as st

from analysis.labels import Labels
from pages.ui import actions as ui
from pages.ui.campaign_picker import pick_campaign
from pages.ui.common import dashboard_language, db, menu, require
from pages.ui.dashboard import language_switch
from pages.ui.dashboard_words import say
from survey.actions import campaign_catalogue
from survey.campaigns import full_instrument_key, instrument_by_key

st.set_page_config(
    page_title=f"{say('title_actions', dashboard_language())} · Coherence Scan", page_icon=":material/task_alt:", layout="wide"
)
menu()
require("leader")
with st.sidebar:
    st.divider()
    campaign = pick_campaign(st.sidebar, label=say("campaign", dashboard_language()))
if campaign is None:
    st.stop()
with db().cursor() as con:
    instrument = instrument_by_key(con, full_instrument_key(con, campaign.campaign_id))
    catalogue = campaign_catalogue(con, campaign.campaign_id)
with st.sidebar:
    lang = language_switch(instrument.languages)  # the dashboard's label language, kept across pages
st.title(say("title_actions", lang))
st.caption(ui.text(lang, "intro"))
ui.editor(campaign, catalogue, Labels(instrument, lang), lang)
st.divider()
ui.pulse_panel(campaign, lang)
