"""Exports for workshops: workbook, offline HTML report, slide deck, chart images, and (under a row-level grant) answer rows."""

import tempfile
from pathlib import Path

import streamlit as st

from analysis.export import ExportRefused, export
from analysis.scope import Scope
from pages.ui import dashboard as ui
from pages.ui import web
from pages.ui.common import db, role, zip_bytes
from pages.ui.row_level import active_grant
from survey.user_text import as_markdown

FORMATS = {
    "xlsx": ("Excel workbook", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "html": ("HTML report (opens offline)", "html", "text/html"),
    "pptx": ("Workshop deck (PowerPoint)", "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "png": ("Chart images (PNG, zip)", "zip", "application/zip"),
    "svg": ("Chart images (SVG, zip)", "zip", "application/zip"),
    "csv": ("Answer rows, long format (CSV)", "csv", "text/csv"),
    "parquet": ("Answer rows, long format (Parquet)", "parquet", "application/octet-stream"),
}

view = ui.page("Exports", ":material/download:")
if view is None:
    st.stop()
who = role() or "leader"
allowed = [f for f in FORMATS if who == "facilitator" or f not in ("csv", "parquet")]
fmt = st.radio("Format", allowed, format_func=lambda f: FORMATS[f][0], key="export_fmt")
grant = active_grant(view.campaign.campaign_id) if who == "facilitator" else None
raw_sheet = fmt == "xlsx" and grant is not None and st.checkbox("Add the Raw sheet (answer rows)", key="export_raw")
rows = fmt in ("csv", "parquet") or raw_sheet
st.caption(
    f"Wave {view.wave}"
    + (f", filtered to {', '.join(f'{a}={o}' for a, o in view.filters)}" if view.filters else "")
    + f". Every number and comment obeys the anonymity threshold (k = {view.threshold}) exactly as on screen."
    + (
        f" Answer rows are coarsened so that every combination of language and attributes describes at least {view.threshold}"
        " respondents, with new ids and the wave's date; each file is recorded in the audit log."
        if rows
        else ""
    )
)
if rows and grant is None:
    st.info("Answer rows are a permission of their own: switch on row-level data for this campaign first.")
    st.page_link("pages/13_data.py", label="Data and audit", icon=":material/shield_lock:")

if st.button("Create export", type="primary", key="export_go", disabled=rows and grant is None):
    bar = st.progress(0.0, text="Starting…")
    scope = Scope(view.campaign.campaign_id, wave=view.wave, filters=view.filters)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / (f"charts-{fmt}" if fmt in ("png", "svg") else f"coherence-scan.{FORMATS[fmt][1]}")
        try:
            with db().cursor() as con:
                result = export(
                    con,
                    fmt,
                    target,
                    scope,
                    role=who,
                    lang=view.lang,
                    actor=who,
                    grant=grant if rows else None,
                    progress=lambda done, what: bar.progress(min(max(done, 0.0), 1.0), text=what),
                )
        except ExportRefused as exc:
            st.error(as_markdown(str(exc)))
            st.stop()
        data = zip_bytes(result.files, target) if target.is_dir() else target.read_bytes()
    bar.progress(1.0, text=f"Done in {result.seconds:.1f} s")
    st.session_state.export_file = (fmt, data, result.notes)

if st.session_state.get("export_file"):
    done_fmt, data, notes = st.session_state.export_file
    for note in notes:
        st.info(as_markdown(note))
    name = f"coherence-scan-{view.campaign.campaign_id}-wave{view.wave}.{FORMATS[done_fmt][1]}"
    web.download_button(
        f"Download {FORMATS[done_fmt][0]}", data, file_name=name, mime=FORMATS[done_fmt][2], key="export_dl", type="primary"
    )
