"""Respondent survey: no account; language, profile, one section per dimension, value at stake, outlook, review, submit."""

import streamlit as st

from pages.ui import public
from pages.ui import survey_steps as ui
from pages.ui.common import accessible_style, settle_memory
from survey.campaigns import CampaignError
from survey.instrument import InstrumentError
from survey.journey import INTRO, OUTLOOK, PROFILE, REVIEW, VALUE, steps
from survey.store import DatabaseBusy, DatabaseDamaged
from survey.texts import t

st.set_page_config(page_title="Coherence Scan survey", page_icon=":material/edit_note:", initial_sidebar_state="collapsed")
settle_memory()
accessible_style()

params = st.query_params
try:
    campaign_id = ui.open_invite(params.get("invite")) if "invite" in params else params.get("c")
    loaded = ui.load_campaign(campaign_id)
except (CampaignError, InstrumentError, DatabaseBusy, DatabaseDamaged) as exc:
    ui.show_failure(exc)
    st.stop()

if loaded is None:
    st.info(f"{t('no_campaign', 'en')}\n\n{t('no_campaign', 'nl')}")
    st.stop()

campaign, wave, instrument = loaded
kiosk = params.get("kiosk") == "1"
source = "kiosk" if kiosk else "web"
ui.resume(params.get("resume"), campaign, wave, instrument, kiosk)  # a new session on a saved URL continues its draft
lang = ui.language_picker(instrument)
if campaign.status != "open":
    st.info(t("closed", lang))
    st.stop()

draft, step = ui.state()
if kiosk:
    ui.kiosk_watch(lang)
order = steps(instrument)
current = order[min(step, len(order) - 1)]

if st.session_state.get("sv_done"):
    ui.thanks(campaign, lang, kiosk=kiosk)
    public.kiosk_panel(campaign.campaign_id, lang)  # what was done with earlier answers, if leadership published it
    st.stop()

if current != INTRO:
    ui.progress(instrument, step, lang)

if current == INTRO:
    ui.intro(instrument, campaign, lang)
    if kiosk:  # the screen a shared tablet shows between respondents
        public.kiosk_panel(campaign.campaign_id, lang)
elif current == PROFILE:
    ui.profile(instrument, campaign, draft, lang)
elif current == VALUE:
    ui.value_at_stake(instrument, draft, step, lang)
elif current == OUTLOOK:
    ui.outlook(instrument, draft, step, lang)
elif current == REVIEW:
    ui.review(instrument, campaign, wave, draft, lang, source=source)
else:
    ui.dimension(instrument, campaign, draft, step, current, lang)
