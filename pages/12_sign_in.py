"""Sign-in for leaders and facilitators; respondents never need it."""

import streamlit as st

from pages.ui.common import hashes, menu, password_needed, role, sign_in_client, sso_available, throttle
from survey.user_text import as_markdown

st.set_page_config(page_title="Sign in · Coherence Scan", page_icon=":material/login:")
menu()
st.title("Sign in")

if role():
    st.success(f"You are signed in as **{role()}**.")
    if st.button("Sign out", key="sign_out"):
        st.session_state.pop("role", None)
        if sso_available() and st.user.get("is_logged_in", False):
            st.logout()
        st.rerun()
    st.stop()

if sso_available():
    if st.user.get("is_logged_in", False):
        st.warning(f"The account {as_markdown(st.user.get('email', ''))} has no access to results. Ask a facilitator to add it.")
    st.button("Sign in with single sign-on", on_click=st.login, type="primary", key="sso")
    st.divider()

configured = hashes()
if not configured and sso_available():
    st.stop()
if not configured:
    password_needed()
    st.page_link("app.py", label="Set the passwords on the home page", icon=":material/key:")
    st.stop()

with st.form("sign_in"):
    password = st.text_input("Password", type="password", key="password")
    submitted = st.form_submit_button("Sign in", type="primary")
if submitted:
    verdict = throttle().check(password, configured, sign_in_client())
    if verdict.role:
        st.session_state.role = verdict.role
        st.rerun()
    elif verdict.busy:
        st.warning("Many sign-ins are being checked right now. Please try again in a few seconds.")
    elif verdict.wait_s > 0:
        st.error(f"Too many failed attempts. Try again in {max(1, round(verdict.wait_s))} seconds.")
    else:
        st.error("Wrong password.")
