"""First run without the command line: the setup code printed at server start, and the home page's form to set the passwords."""

from __future__ import annotations

import sys

import streamlit as st

from pages.ui.common import db, hashes, row_hash, secrets_auth, show_failure, sign_in_client, sso_available, throttle
from survey.access import configured_hashes, weak_hashes
from survey.demo import load_demo
from survey.setup import SetupError, code_matches, current_code, set_passwords, stored_hashes
from survey.store import Database, DatabaseBusy, DatabaseDamaged


def announce() -> None:
    """At server start: warn about weak hashes, and print the setup code (with a link) when no password is configured.

    Runs once, when `streamlit run` imports app.py to find the server; the console is where only whoever
    started the server can read it.
    """
    try:
        database = Database(linger_s=0)
        try:
            with database.cursor() as con:
                stored = stored_hashes(con)
        finally:
            database.close()
    except (DatabaseBusy, DatabaseDamaged) as exc:
        print(f"Coherence Scan: cannot read the database at start: {exc}", file=sys.stderr, flush=True)
        return
    auth = secrets_auth()
    configured = configured_hashes(auth, stored=stored)
    extra = {"row_level": row_hash()} if row_hash() else {}
    for warning in weak_hashes({**configured, **extra}):
        print(f"Coherence Scan WARNING: {warning}", file=sys.stderr, flush=True)
    if configured or sso_available():
        return
    port = st.get_option("server.port")
    address = st.get_option("server.address") or "localhost"
    code = current_code()
    print(
        "\n  Coherence Scan: no leader or facilitator password is configured yet.\n"
        f"  Setup code (works once): {code}\n"
        f"  Open http://{address}:{port}/?setup={code} to set the passwords.\n",
        file=sys.stderr,
        flush=True,
    )


def setup_offered() -> bool:
    """The home page offers setup while nothing configures a password (no hash in secrets, environment or database, no SSO)."""
    return not hashes() and not sso_available()


def setup_form(has_campaigns: bool) -> None:
    """Set the first leader and facilitator passwords with the printed setup code (and load the demo on an empty database)."""
    st.header(":material/key: First run: set the passwords")
    st.write(
        "No leader or facilitator password is configured yet. Enter the **setup code** the server printed in its console "
        "when it started (it works once), and choose the passwords: leaders see the dashboards, facilitators also run "
        "campaigns, invites, imports and exports. At least 10 characters each."
    )
    with st.form("first_run", border=True):
        code = st.text_input("Setup code", value=str(st.query_params.get("setup", "")), key="setup_code")
        leader = st.text_input("Leader password", type="password", key="setup_leader")
        facilitator = st.text_input("Facilitator password", type="password", key="setup_facilitator")
        demo = (
            st.checkbox("Load the demo data (two waves of 400 synthetic respondents)", value=True, key="setup_demo")
            if not has_campaigns
            else False
        )
        submitted = st.form_submit_button("Set passwords", type="primary")
    if not submitted:
        return
    verdict = throttle().attempt(sign_in_client(), lambda: "setup" if code_matches(code, current_code()) else None)
    if verdict.wait_s > 0:
        st.error(f"Too many wrong codes. Try again in {max(1, round(verdict.wait_s))} seconds.")
        return
    if verdict.busy:
        st.warning("The server is busy checking passwords. Please try again in a few seconds.")
        return
    if verdict.role is None:
        st.error("Wrong setup code: use the one the server printed in its console when it started.")
        return
    try:
        with db().cursor() as con:
            roles = set_passwords(con, code, {"leader": leader, "facilitator": facilitator})
            if demo:
                with st.spinner("Creating demo campaign…"):
                    load_demo(con, 400, seed=7, waves=2)
    except SetupError as exc:
        st.error(str(exc).capitalize() + ".")
        return
    except (DatabaseBusy, DatabaseDamaged) as exc:
        show_failure(exc)
        return
    st.session_state.setup_done = roles
    st.query_params.pop("setup", None)
    st.rerun()


def setup_done_note() -> None:
    """Once, after setup: what was set and where to sign in."""
    roles = st.session_state.pop("setup_done", None)
    if roles:
        st.success(f"Password set for: {', '.join(roles)}. The setup code is used up. Sign in to see the results.")
        st.page_link("pages/12_sign_in.py", label="Sign in", icon=":material/login:")
