"""Blind spots and ambition: how well each level knows how another sees the organisation, and where each group wants to be."""

import streamlit as st

from pages.ui import dashboard as ui
from pages.ui.insights import ambition_section, blind_spot_section

view = ui.page("perception", ":material/visibility:")
if view is None or ui.no_data(view):
    st.stop()

blind_spot_section(view)
st.divider()
ambition_section(view)
