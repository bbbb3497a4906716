"""Publish: leadership chooses which dimension results of a wave "you said, we did" shows, and prints its poster."""

import streamlit as st

from analysis.export.poster import poster_html
from analysis.labels import Labels
from analysis.public import public_board, public_link
from pages.ui import web
from pages.ui.campaign_picker import clear_caches, pick_campaign, pick_wave
from pages.ui.common import db, menu, require
from survey.campaigns import campaign_instrument
from survey.invites import DEFAULT_BASE_URL
from survey.publication import PublicationError, publish, published
from survey.user_text import as_markdown, plain

st.set_page_config(page_title="Publish · Coherence Scan", page_icon=":material/campaign:", layout="wide")
menu()
who = require("leader")
st.title("Publish: you said, we did")
campaign = pick_campaign(st)
if campaign is None:
    st.stop()
wave = pick_wave(campaign, st)
with db().cursor() as con:
    instrument = campaign_instrument(con, campaign.campaign_id, wave)
    current = published(con, campaign.campaign_id, wave)
st.write(
    "Choose the dimension results that anyone may see without signing in, on the public page, the poster and the kiosk. "
    f"Only scores of groups of at least **{campaign.threshold}** people are ever shown there, exactly as on the dashboard; "
    "statements, gaps, comments and filters never are. Which actions are public is set per action on the Actions page "
    "(their € hypotheses stay behind sign-in)."
)
labels = Labels(instrument, "en").dimensions()
breakdowns = ["", *instrument.attributes]  # "": the overall score only
with st.form("publish_form", border=True):
    dims = st.multiselect(
        "Dimensions to publish", list(labels), default=list(current.dimensions), format_func=labels.get, key="publish_dims"
    )
    breakdown = st.selectbox(
        "Show beside the overall score",
        breakdowns,
        index=breakdowns.index(current.breakdown or ""),
        format_func=lambda a: f"each {a.replace('_', ' ')}" if a else "nothing (overall score only)",
        key="publish_breakdown",
    )
    if st.form_submit_button("Save what is published", type="primary"):
        try:
            with db().cursor() as con:
                current = publish(con, campaign.campaign_id, wave, dims, breakdown or None, actor=who)
        except PublicationError as exc:
            st.error(as_markdown(str(exc)))
            st.stop()
        clear_caches()
        st.success(f"Published for wave {wave}: {', '.join(labels[d] for d in current.dimensions) or 'nothing'}.")

base_url = st.text_input("Address people use to reach this app", value=DEFAULT_BASE_URL, help="The poster's QR code points here.")
link = public_link(base_url, campaign.campaign_id)
st.code(plain(link), language=None)
st.page_link(
    "pages/17_you_said_we_did.py", label="Open the public page", icon=":material/open_in_new:", query_params={"c": campaign.campaign_id}
)
lang = st.segmented_control("Poster language", ["en", "nl"], default="en", required=True, key="publish_poster_lang")
database = db()


def poster() -> bytes:
    """Made at the click, on the download's worker thread (no Streamlit call in here)."""
    with database.cursor() as con:
        return poster_html(public_board(con, campaign.campaign_id, lang), link).encode("utf-8")


web.download_button(
    "Download the A4 poster (HTML: open it and print, or save as PDF)",
    poster,
    file_name=f"you-said-we-did-{campaign.campaign_id}-{lang}.html",
    mime="text/html",
    key="publish_poster",
)
