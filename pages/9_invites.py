"""Facilitator: personal one-time links with QR codes, an open link with a poster, and the kiosk link."""

import tempfile
from pathlib import Path

import streamlit as st

from pages.ui import facilitator, web
from pages.ui.common import db, zip_bytes
from survey.campaigns import CampaignError
from survey.invites import DEFAULT_BASE_URL, InviteError, invite_counts, open_link_poster, survey_link, write_invites
from survey.user_text import as_markdown, plain

campaign = facilitator.page("Invites", ":material/qr_code_2:")

base_url = st.text_input(
    "Address respondents use to reach this app",
    value=DEFAULT_BASE_URL,
    help="The links and QR codes point here, e.g. https://survey.plant.example",
)
with db().cursor() as con:
    issued, used = invite_counts(con, campaign.campaign_id)
st.caption(f"{issued} personal link(s) issued for this wave, {used} used.")

personal, open_link, kiosk = st.tabs(["Personal links", "Open link & poster", "Kiosk tablet"])
with personal:
    st.write(
        "One-time links: each can submit once, and can save and resume. Only a hash of each link is stored, "
        "never next to the answers, so hand the files out and then delete them."
    )
    count = st.number_input("How many links", min_value=1, max_value=10_000, value=25, step=5)
    if st.button("Create links", type="primary", key="make_invites"):
        with st.spinner("Creating links and QR codes…"), tempfile.TemporaryDirectory() as tmp:
            try:
                with db().cursor() as con:
                    batch = write_invites(con, campaign.campaign_id, int(count), Path(tmp), base_url=base_url)
            except (InviteError, CampaignError, ValueError) as exc:
                st.error(as_markdown(str(exc)))
                st.stop()
            st.session_state.invite_zip = zip_bytes((path for path in Path(tmp).rglob("*") if path.is_file()), Path(tmp))
        st.success(f"{len(batch.links)} links created. Download them now: they cannot be shown again.")
    if invite_zip := st.session_state.get("invite_zip"):
        web.download_button(
            "Download links, QR codes and print sheet (.zip)",
            invite_zip,
            file_name=f"invites-{campaign.campaign_id}.zip",
            mime="application/zip",
            key="dl_invites",
        )
with open_link:
    link = survey_link(base_url, campaign_id=campaign.campaign_id)
    st.write("Anyone with this link can answer (once per visit). Put the poster up in the canteen or on a notice board.")
    st.code(plain(link), language=None)
    lang = st.segmented_control("Poster language", ["en", "nl"], default="en", required=True, key="poster_lang")
    with tempfile.TemporaryDirectory() as tmp:
        poster = open_link_poster(campaign.campaign_id, base_url, Path(tmp) / "poster.png", lang=lang)
        data = poster.read_bytes()
    st.image(data, width=260)
    web.download_button(
        "Download poster (PNG, A4)", data, file_name=f"poster-{campaign.campaign_id}-{lang}.png", mime="image/png", key="dl_poster"
    )
with kiosk:
    st.write(
        "Open this link on a shared tablet. After each submission, and after five minutes without activity, "
        "the survey clears itself and starts fresh for the next person."
    )
    st.code(plain(survey_link(base_url, campaign_id=campaign.campaign_id, kiosk=True)), language=None)
