"""Workshop mode: walk a room through the findings, gaps, blind spots and value at stake, then capture actions live."""

import streamlit as st

from pages.ui import dashboard
from pages.ui import workshop as ui
from pages.ui.common import role

view = dashboard.page("workshop", ":material/co_present:")
if view is None or dashboard.no_data(view):
    st.stop()
if view.filters:
    st.info(view.say("workshop_whole_wave"))
    st.stop()
lang = view.words_lang
ui.style()
workshop = ui.Workshop(view, lang, actor=role() or "leader")
screens = workshop.screens()
step = ui.navigation(len(screens), lang)
st.divider()
screens[step][1]()
