"""Coherence Scan home: what the tool is, first-run setup (passwords with the printed setup code, then demo or first campaign), and the way into each part.

`streamlit run app.py` first imports this file to find the server to start: the `st.App` below, Streamlit's own
server with our security headers (`pages.ui.web`). Every session then runs the file as the home page, where
`__name__` is "__main__".
"""

import streamlit as st

from pages.ui import first_run, web
from pages.ui.common import db, hashes, menu, password_needed, role, show_failure
from survey.access import allows
from survey.campaigns import create_campaign, list_campaigns
from survey.demo import load_demo
from survey.instrument import InstrumentError, default_instrument
from survey.store import DatabaseBusy, DatabaseDamaged

if __name__ != "__main__":
    app = st.App(__file__, middleware=web.MIDDLEWARE)
    first_run.announce()
else:
    st.set_page_config(page_title="Coherence Scan", page_icon=":material/hub:", layout="wide")
    menu()

    st.title("Coherence Scan")
    st.markdown(
        "An Industry 4.0 **maturity and alignment** survey. Everyone from the boardroom to the shop floor answers one "
        "questionnaire on **strategy, operations, governance, leadership and IT/OT**; leadership sees where the levels of "
        "the company see things differently; facilitators take the results into workshops. Results are only ever shown "
        "for groups large enough to keep every respondent anonymous."
    )

    try:
        with db().cursor() as con:
            campaigns = list_campaigns(con)
    except (DatabaseBusy, DatabaseDamaged) as exc:
        show_failure(exc)
        st.stop()

    who = role()
    first_run.setup_done_note()
    left, right = st.columns(2)
    with left.container(border=True):
        st.header(":material/edit_note: Answer the survey")
        st.write("No account needed. About ten minutes, in English or Dutch, on a phone or a desktop.")
        st.page_link("pages/1_survey.py", label="Open the survey", icon=":material/arrow_forward:")
    with right.container(border=True):
        st.header(":material/insights: See the results")
        st.write("Heatmaps, boardroom-vs-shop-floor gaps, value at stake and comments, for leaders and facilitators.")
        st.page_link(
            "pages/12_sign_in.py" if not who else "pages/2_overview.py",
            label="Sign in" if not who else "Open the overview",
            icon=":material/arrow_forward:",
        )

    if not who and first_run.setup_offered():
        st.divider()
        first_run.setup_form(bool(campaigns))
    elif not campaigns:
        st.divider()
        st.header("First run: nothing here yet")
        if allows(who, "facilitator"):
            st.write(
                "This database holds no campaign. Load a realistic **demo** (two waves of 400 synthetic respondents with "
                "built-in gaps between the levels) to explore the dashboards, or open an empty campaign with the default "
                "questionnaire and start collecting real answers."
            )
            demo_col, empty_col = st.columns(2)
            if demo_col.button("Load demo data", type="primary", width="stretch", key="load_demo"):
                with st.spinner("Creating demo campaign…"), db().cursor() as con:
                    load_demo(con, 400, seed=7, waves=2)
                st.rerun()
            if empty_col.button("Start an empty campaign", width="stretch", key="start_empty"):
                try:
                    with db().cursor() as con:
                        create_campaign(con, "Coherence Scan", default_instrument(), campaign_id="coherence-scan")
                except InstrumentError as exc:
                    show_failure(exc)
                    st.stop()
                st.rerun()
        else:
            st.write(
                "This database holds no campaign yet. A **facilitator** signs in to load a realistic demo (two waves of "
                "synthetic respondents with built-in gaps) or to start the first campaign. On the server, "
                "`python -m survey demo --respondents 400` loads the demo too."
            )
            if who:
                st.info("You are signed in as leader: a facilitator sets up the first campaign.")
            elif hashes():
                st.page_link("pages/12_sign_in.py", label="Sign in as facilitator", icon=":material/login:")
            else:
                password_needed()
    elif who:
        st.caption(f"{len(campaigns)} campaign(s) in this database: " + ", ".join(f"`{c.campaign_id}` ({c.status})" for c in campaigns))
