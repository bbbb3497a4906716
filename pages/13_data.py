"""Facilitator: row-level data switched on with a reason, backup, deletion of a wave or campaign, and the audit log."""

import tempfile
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import streamlit as st

from pages.ui import facilitator, web
from pages.ui.campaign_picker import clear_caches
from pages.ui.common import db, role, zip_bytes
from pages.ui.row_level import grant_panel
from survey.backup import backup
from survey.campaigns import CampaignError, list_waves
from survey.retention import delete_campaign, delete_wave
from survey.store import recent_audit
from survey.user_text import as_markdown, plain

campaign = facilitator.page("Data and audit", ":material/shield_lock:", menu_title="Data")
actor = role() or "facilitator"
grant = grant_panel(campaign)

st.header("Backup")
st.write(
    "Every table as Parquet with a checksummed manifest, exact so that it restores exactly: it holds every answer, so it "
    "needs row-level data switched on above. Invite links are kept only as hashes, unfinished drafts are left out. "
    "Restore with `python -m survey restore DIR` into a new database file."
)
if st.button("Create backup", key="make_backup", disabled=grant is None):
    with st.spinner("Writing backup…"), tempfile.TemporaryDirectory() as tmp:
        with db().cursor() as con:
            manifest = backup(con, Path(tmp) / "backup", actor=actor, grant=grant)
        st.session_state.backup_zip = zip_bytes((Path(tmp) / "backup").rglob("*"), Path(tmp))
    st.success(f"Backup of {manifest.rows} rows in {len(manifest.tables)} tables, schema version {manifest.schema_version}.")
if backup_zip := st.session_state.get("backup_zip"):
    web.download_button(
        "Download backup (.zip)",
        backup_zip,
        file_name="coherence-scan-backup.zip",
        mime="application/zip",
        key="dl_backup",
    )

st.header("Delete")
with db().cursor() as con:
    waves = list_waves(con, campaign.campaign_id)
target = st.selectbox(
    "What to delete",
    ["campaign", *[w.wave for w in waves]],
    key="delete_target",
    format_func=lambda t: f"The whole campaign '{plain(campaign.name)}'" if t == "campaign" else f"Wave {t} only",
)
confirm = st.text_input(f"Type the campaign id `{campaign.campaign_id}` to confirm", key="delete_confirm")
if st.button("Delete permanently", type="primary", disabled=confirm.strip() != campaign.campaign_id, key="delete_go"):
    try:
        with db().cursor() as con:
            done = (
                delete_campaign(con, campaign.campaign_id, actor)
                if target == "campaign"
                else delete_wave(con, campaign.campaign_id, int(target), actor)
            )
    except CampaignError as exc:
        st.error(as_markdown(str(exc)))
        st.stop()
    clear_caches()
    st.success(f"Deleted {done.responses} response(s).")
    st.info(as_markdown(done.note))

st.header("Audit log")
with db().cursor() as con:
    entries = recent_audit(con, 200)
audit = pd.DataFrame([asdict(e) for e in entries], columns=["logged_at", "actor", "action", "detail"])
st.dataframe(audit.assign(**{c: audit[c].map(plain) for c in ("actor", "action", "detail")}), hide_index=True, width="stretch")
