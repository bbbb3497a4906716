"""Facilitator: create campaigns from an instrument, open and close them, start a new wave."""

import pandas as pd
import streamlit as st

from pages.ui import facilitator
from pages.ui.campaign_picker import clear_caches, pick_campaign, pick_wave
from pages.ui.common import db, menu, require, show_failure
from survey.campaigns import CampaignError, create_campaign, list_waves, set_status, start_wave
from survey.instrument import MAX_INSTRUMENT_BYTES, InstrumentError, default_instrument, parse_instrument
from survey.responses import response_count
from survey.uploads import UploadRefused, check_upload
from survey.user_text import plain

st.set_page_config(page_title="Campaigns · Coherence Scan", page_icon=":material/campaign:", layout="wide")
menu()
require("facilitator")
st.title("Campaigns")


def uploaded_instrument(upload: object | None):
    """The default questionnaire, or an uploaded YAML checked on the server for type and size first."""
    if upload is None:
        return default_instrument()
    checked = check_upload(upload.name, upload.getvalue(), ("yaml", "yml"), MAX_INSTRUMENT_BYTES)
    return parse_instrument(upload.getvalue().decode("utf-8"), checked.name)


notice = st.container()  # outcome of the form, shown above it so a collapsed expander cannot hide it
with st.expander("New campaign", expanded=False, icon=":material/add:"), st.form("new_campaign"):
    name = st.text_input("Name", placeholder="Plant survey spring 2027")
    threshold = st.number_input("Anonymity threshold k (minimum 3)", min_value=3, max_value=50, value=5)
    comment_threshold = st.number_input("Comments need a group of at least", min_value=3, max_value=100, value=10)
    upload = st.file_uploader("Questionnaire YAML (empty: the default Industry 4.0 instrument)", type=["yaml", "yml"])
    if st.form_submit_button("Create campaign", type="primary"):
        try:
            instrument = uploaded_instrument(upload)
            with db().cursor() as con:
                created = create_campaign(
                    con, name.strip() or "Coherence Scan", instrument, threshold=int(threshold), comment_threshold=int(comment_threshold)
                )
            clear_caches()
            st.session_state.campaign = created.campaign_id  # the picker below shows the new campaign
            notice.success(f"Campaign `{created.campaign_id}` is open with wave 1.")
        except (InstrumentError, CampaignError, UploadRefused) as exc:
            with notice:
                show_failure(exc)

campaign = pick_campaign(st)
if campaign is None:
    st.stop()

waves_tab, progress_tab, org_tab, value_tab = st.tabs(["Waves", "Live progress", "Headcounts", "Value estimates"])
with waves_tab:
    with db().cursor() as con:
        waves = list_waves(con, campaign.campaign_id)
        counts = {w.wave: response_count(con, campaign.campaign_id, w.wave) for w in waves}
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "wave": w.wave,
                    "label": plain(w.label),
                    "status": w.status,
                    "opened": w.opened_on,
                    "instrument": w.instrument_key,
                    "responses": counts[w.wave],
                }
                for w in waves
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    st.caption(f"Status: **{campaign.status}** · anonymity threshold k = {campaign.threshold} · comments from {campaign.comment_threshold}")
    left, right = st.columns(2)
    target = "closed" if campaign.status == "open" else "open"
    if left.button(f"{'Close' if target == 'closed' else 'Reopen'} this campaign", key="toggle_status"):
        with db().cursor() as con:
            set_status(con, campaign.campaign_id, target)
        clear_caches()
        st.rerun()
    with right.form("new_wave"):
        label = st.text_input("New wave label", value=f"Wave {len(waves) + 1}")
        new_version = st.file_uploader("New instrument version (optional)", type=["yaml", "yml"], key="wave_yaml")
        if st.form_submit_button("Start new wave"):
            try:
                instrument = uploaded_instrument(new_version) if new_version else None
                with db().cursor() as con:
                    wave = start_wave(con, campaign.campaign_id, label, instrument)
                clear_caches()
                st.success(f"Wave {wave.wave} is open; earlier waves are closed and kept for comparison.")
            except (InstrumentError, CampaignError, UploadRefused) as exc:
                show_failure(exc)
with progress_tab:
    facilitator.progress_panel(campaign, pick_wave(campaign, st, "Progress of wave"))
with org_tab:
    facilitator.headcount_panel(campaign)
with value_tab:
    facilitator.estimates_panel(campaign)
