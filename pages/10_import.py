"""Facilitator: import paper or Forms answers (wide CSV/XLSX) or an offline site's export, preview, and write all rows or none."""

import streamlit as st

from pages.ui import facilitator
from pages.ui.campaign_picker import clear_caches
from pages.ui.common import db
from pages.ui.importing import mapping_panel, offline_panel
from survey.importer import ImportRefused, preview_import, run_import
from survey.offline.records import is_offline_export
from survey.tables import DEFAULT_MAX_BYTES
from survey.uploads import UploadRefused, check_upload
from survey.user_text import as_markdown, plain

campaign = facilitator.page("Import responses", ":material/upload_file:")

st.write(
    "One row per respondent; columns are the attribute ids (`level`, `function`, `site`…), the item ids, optional "
    "`comment_<dimension>` and `losses`. An empty cell means *don't know*. Dutch or English labels are accepted for "
    "options. A Microsoft or Google Forms export is accepted as downloaded: its headers are matched to the questions by "
    "their text, and you confirm the mapping. Every row is checked first: if any row is wrong, nothing is imported and "
    "you get a list of what to fix. The export file of the offline survey site (.json) is imported here too."
)
upload = st.file_uploader("CSV, Excel or offline export file", type=["csv", "xlsx", "txt", "json"], key="import_file")
if upload is None:
    st.stop()
data = upload.getvalue()
try:  # the browser's type filter is a convenience; the server decides
    checked = check_upload(upload.name, data, ("csv", "txt", "xlsx", "json"), DEFAULT_MAX_BYTES)
except UploadRefused as exc:
    st.error(as_markdown(str(exc)))
    st.stop()
if checked.extension == "json" or is_offline_export(data):
    offline_panel(campaign, data, checked.name)
    st.stop()
with st.spinner("Checking every row…"), db().cursor() as con:
    preview = preview_import(con, campaign.campaign_id, data, checked.name)

for note in preview.notes:
    st.caption(as_markdown(note))
if not preview.ok:
    st.error(f"{as_markdown(checked.name)}: {len(preview.problems)} problem(s). Nothing was imported. Fix these and upload again:")
    st.code(plain("\n".join(preview.report())), language=None)
    st.stop()

st.success(f"{preview.rows} row(s) ready to import into **{as_markdown(campaign.name)}**, wave {preview.wave}.")
st.dataframe(preview.head.map(lambda cell: plain(cell) if isinstance(cell, str) else cell), width="stretch")
force = False
if preview.already_imported is not None:
    st.warning(
        f"This exact file was already imported on {preview.already_imported.imported_on}. "
        "Importing it again would count these respondents twice."
    )
    force = st.checkbox("Import it again anyway", key="force_import")
confirmed = mapping_panel(preview)
blocked = (preview.already_imported is not None and not force) or not confirmed
if st.button(f"Import {preview.rows} row(s)", type="primary", disabled=blocked, key="do_import"):
    try:
        with db().cursor() as con:
            result = run_import(con, campaign.campaign_id, data, checked.name, force=force, preview=preview)
    except ImportRefused as exc:
        st.error(as_markdown(str(exc)))
        st.stop()
    clear_caches()
    st.success(f"Imported {result.rows} response(s) from {as_markdown(result.filename)}.")
