"""Facilitator: import paper or Forms answers (wide CSV/XLSX), preview, and write all rows or none."""

import streamlit as st

from pages.ui import facilitator
from pages.ui.campaign_picker import clear_caches
from pages.ui.common import db
from survey.importer import ImportRefused, preview_import, run_import
from survey.tables import DEFAULT_MAX_BYTES
from survey.uploads import UploadRefused, check_upload
from survey.user_text import as_markdown, plain

campaign = facilitator.page("Import responses", ":material/upload_file:")

st.write(
    "One row per respondent; columns are the attribute ids (`level`, `function`, `site`…), the item ids, optional "
    "`comment_<dimension>` and `losses`. An empty cell means *don't know*. Dutch or English labels are accepted for "
    "options. Every row is checked first: if any row is wrong, nothing is imported and you get a list of what to fix."
)
upload = st.file_uploader("CSV or Excel file", type=["csv", "xlsx", "txt"], key="import_file")
if upload is None:
    st.stop()
data = upload.getvalue()
try:  # the browser's type filter is a convenience; the server decides
    checked = check_upload(upload.name, data, ("csv", "txt", "xlsx"), DEFAULT_MAX_BYTES)
except UploadRefused as exc:
    st.error(as_markdown(str(exc)))
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
if st.button(f"Import {preview.rows} row(s)", type="primary", disabled=preview.already_imported is not None and not force, key="do_import"):
    try:
        with db().cursor() as con:
            result = run_import(con, campaign.campaign_id, data, checked.name, force=force, preview=preview)
    except ImportRefused as exc:
        st.error(as_markdown(str(exc)))
        st.stop()
    clear_caches()
    st.success(f"Imported {result.rows} response(s) from {as_markdown(result.filename)}.")
