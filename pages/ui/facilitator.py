"""Facilitator panels shared by the campaign pages: live progress, headcounts, € estimates."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages.ui.campaign_picker import pick_campaign
from pages.ui.common import db, menu, require
from survey.campaigns import Campaign, campaign_instrument
from survey.organisation import (
    OrganisationError,
    get_value_estimates,
    headcount_frame,
    parse_headcounts_csv,
    set_headcounts,
    set_value_estimates,
)
from survey.progress import progress
from survey.user_text import as_markdown, plain


def page(title: str, icon: str, menu_title: str | None = None) -> Campaign:
    """Shared top of the facilitator pages: config, menu, role check, title and the campaign to work on."""
    st.set_page_config(page_title=f"{menu_title or title} · Coherence Scan", page_icon=icon, layout="wide")
    menu()
    require("facilitator")
    st.title(title)
    campaign = pick_campaign(st)
    if campaign is None:
        st.stop()
    return campaign


def progress_panel(campaign: Campaign, wave: int) -> None:
    """Responses per group against headcount; groups below the threshold say 'fewer than k', never a number."""
    with db().cursor() as con:
        state = progress(con, campaign.campaign_id, wave)
    cols = st.columns(3)
    cols[0].metric("Responses", state.total)
    cols[1].metric(
        "Response rate",
        f"{state.rate:.0%}" if state.rate is not None else "—",
        help="Against the total headcount entered below" if state.rate is None else None,
    )
    cols[2].metric("Invites used", f"{state.invites_used} / {state.invites_issued}")
    frame = state.frame()
    if frame.empty:
        st.caption("No responses yet.")
        return
    st.dataframe(
        frame.drop(columns=["option"]).assign(label=frame["label"].map(plain)),
        hide_index=True,
        width="stretch",
        column_config={"rate": st.column_config.ProgressColumn("rate", format="percent", min_value=0.0, max_value=1.0)},
    )
    if state.by_day:
        st.bar_chart(pd.DataFrame(state.by_day, columns=["day", "responses"]).set_index("day"), height=160)


def headcount_panel(campaign: Campaign) -> None:
    with db().cursor() as con:
        table = headcount_frame(con, campaign.campaign_id)
    table["label"] = table["label"].map(plain)
    st.caption("Headcount per group makes response rates possible. Leave a cell empty when unknown.")
    edited = st.data_editor(
        table,
        hide_index=True,
        width="stretch",
        disabled=["attribute", "option", "label"],
        key=f"hc_{campaign.campaign_id}",
        column_config={"headcount": st.column_config.NumberColumn("headcount", min_value=0, step=1)},
    )
    upload = st.file_uploader("…or upload a CSV with columns attribute, option, headcount", type=["csv"], key="hc_csv")
    if st.button("Save headcounts", key="hc_save"):
        try:
            frame = parse_headcounts_csv(upload.getvalue()) if upload else edited[["attribute", "option", "headcount"]]
            with db().cursor() as con:
                saved = set_headcounts(con, campaign.campaign_id, frame)
            st.success(f"Saved {saved} headcount(s).")
        except OrganisationError as exc:
            st.error("Headcounts not saved:")
            st.code(plain("\n".join(getattr(exc, "problems", [str(exc)]))), language=None)


def estimates_panel(campaign: Campaign) -> None:
    with db().cursor() as con:
        instrument = campaign_instrument(con, campaign.campaign_id)
        stored = get_value_estimates(con, campaign.campaign_id)
    if instrument.value_at_stake is None:
        st.caption("This questionnaire has no value-at-stake block.")
        return
    st.caption("Annual € at stake per loss category, as estimated with finance; leadership's value view ranks by it.")
    table = pd.DataFrame(
        {
            "loss": list(instrument.value_at_stake.losses),
            "label": [plain(v.get("en", k)) for k, v in instrument.value_at_stake.losses.items()],
            "eur_per_year": [stored.get(loss) for loss in instrument.value_at_stake.losses],
        }
    )
    edited = st.data_editor(
        table,
        hide_index=True,
        width="stretch",
        disabled=["loss", "label"],
        key=f"vas_{campaign.campaign_id}",
        column_config={"eur_per_year": st.column_config.NumberColumn("€ per year", min_value=0, format="€ %d")},
    )
    if st.button("Save estimates", key="vas_save"):
        try:
            with db().cursor() as con:
                saved = set_value_estimates(con, campaign.campaign_id, dict(zip(edited["loss"], edited["eur_per_year"], strict=True)))
            st.success(f"Saved {saved} estimate(s).")
        except OrganisationError as exc:
            st.error(f"Estimates not saved: {as_markdown(str(exc))}")
