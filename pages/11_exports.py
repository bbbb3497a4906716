"""Exports for workshops: workbook, offline HTML report, slide deck, chart images, and (under a row-level grant) answer rows."""

import tempfile
from pathlib import Path

import streamlit as st

from analysis.export import FORMATS, ExportRefused, export, offered
from analysis.scope import Scope
from pages.ui import dashboard as ui
from pages.ui import web
from pages.ui.common import db, role, zip_bytes
from pages.ui.row_level import active_grant
from survey.user_text import as_markdown

view = ui.page("exports", ":material/download:")
if view is None:
    st.stop()
who = role() or "leader"
fmt = st.radio(view.say("format"), offered(who), format_func=lambda f: FORMATS[f].label, key="export_fmt")
chosen = FORMATS[fmt]
grant = active_grant(view.campaign.campaign_id) if who == "facilitator" else None
raw_sheet = chosen.raw_sheet and grant is not None and st.checkbox(view.say("raw_sheet"), key="export_raw")
rows = chosen.answer_rows or raw_sheet
st.caption(
    view.say("export_wave", wave=view.wave)
    + (view.say("export_filtered", filters=", ".join(f"{a}={o}" for a, o in view.filters)) if view.filters else "")
    + view.say("export_rule", k=view.threshold)
    + (view.say("export_rows", k=view.threshold) if rows else "")
)
if rows and grant is None:
    st.info(view.say("grant_needed"))
    st.page_link("pages/13_data.py", label="Data and audit", icon=":material/shield_lock:")

if st.button(view.say("create_export"), type="primary", key="export_go", disabled=rows and grant is None):
    bar = st.progress(0.0, text=view.say("starting"))
    scope = Scope(view.campaign.campaign_id, wave=view.wave, filters=view.filters)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / (f"charts-{fmt}" if chosen.folder else f"coherence-scan.{chosen.suffix}")
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
    bar.progress(1.0, text=view.say("done_in", s=f"{result.seconds:.1f}"))
    st.session_state.export_file = (fmt, data, result.notes)

if st.session_state.get("export_file"):
    done_fmt, data, notes = st.session_state.export_file
    for note in notes:
        st.info(as_markdown(note))
    done = FORMATS[done_fmt]
    name = f"coherence-scan-{view.campaign.campaign_id}-wave{view.wave}.{done.suffix}"
    web.download_button(view.say("download", what=done.label), data, file_name=name, mime=done.mime, key="export_dl", type="primary")
