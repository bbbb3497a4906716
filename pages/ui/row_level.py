"""Row-level data in a session: switched on per campaign with a reason and the row-level password, shown while it lasts."""

from __future__ import annotations

import streamlit as st

from pages.ui.common import db, role, row_hash, sign_in_client
from survey.access import Throttle
from survey.campaigns import Campaign
from survey.grants import GRANT_MINUTES, GrantRefused, RowGrant, grant_rows


@st.cache_resource
def _throttle() -> Throttle:
    """One per server, shared by every session like the sign-in's: a guesser cannot escape the back-off with a new tab."""
    return Throttle()


def active_grant(campaign_id: str) -> RowGrant | None:
    """This session's row-level grant, if it is for `campaign_id` and has not run out."""
    grant = st.session_state.get("row_grant")
    return grant if isinstance(grant, RowGrant) and grant.covers(campaign_id) else None


def grant_panel(campaign: Campaign) -> RowGrant | None:
    """The facilitator's switch for row-level data of one campaign; returns the grant while it is on."""
    st.header("Row-level data")
    grant = active_grant(campaign.campaign_id)
    if grant is not None:
        st.success(f"Row-level data of '{campaign.campaign_id}' is on until {grant.expires_at:%H:%M} UTC. Reason: {grant.reason}")
        if st.button("Switch off now", key="rows_off"):
            del st.session_state["row_grant"]
            st.rerun()
        return grant
    st.write(
        "Answer rows (CSV, Parquet, the workbook's Raw sheet) and backups hold every respondent's answers, so they are a "
        f"permission of their own: a reason and the row-level password, for {GRANT_MINUTES} minutes. Answer rows are "
        f"coarsened so that every combination of language and attributes describes at least {campaign.threshold} "
        "respondents. The grant and every file are recorded in the audit log."
    )
    hashed = row_hash()
    if hashed is None:
        st.info(
            "Row-level data is off: no row-level password is configured. Whoever may take answer rows out runs "
            "`python -m survey hash-password --role row_level`; the hash goes into `.streamlit/secrets.toml` under "
            "`[auth]` as `row_level_hash` (or `COHERENCE_ROW_LEVEL_HASH`)."
        )
        return None
    reason = st.text_input("Why do you need the answer rows?", key="rows_reason", max_chars=200)
    password = st.text_input("Row-level password", type="password", key="rows_password")
    if st.button("Switch on row-level data", key="rows_grant"):
        try:
            with db().cursor() as con:
                actor = role() or "facilitator"
                st.session_state.row_grant = grant_rows(
                    con, campaign.campaign_id, actor, reason, password, hashed, _throttle(), client=sign_in_client()
                )
        except GrantRefused as exc:
            st.error(str(exc))
            return None
        st.rerun()
    return None
