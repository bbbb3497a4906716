"""You said, we did: the actions and results leadership chose to publish, for anyone, without signing in."""

import streamlit as st

from pages.ui import public
from pages.ui.common import db, menu, show_failure
from survey.store import DatabaseBusy, DatabaseDamaged
from survey.texts import t

st.set_page_config(page_title="You said, we did · Coherence Scan", page_icon=":material/campaign:")
menu()

lang = public.language()
try:
    campaign = public.campaign_from(st.query_params.get("c"))
    if campaign is None:
        st.info(f"{t('no_campaign', 'en')}\n\n{t('no_campaign', 'nl')}")
        st.stop()
    board = public.board(str(db().path), campaign.campaign_id, lang)
except (DatabaseBusy, DatabaseDamaged) as exc:
    show_failure(exc)
    st.stop()
public.show_board(board)
