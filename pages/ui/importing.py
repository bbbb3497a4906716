"""Import page panels: an offline site's export file (behind its export code) and the column mapping of a Forms export."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages.ui.campaign_picker import clear_caches
from pages.ui.common import db
from survey.campaigns import Campaign
from survey.importer import ImportPreview
from survey.offline.records import OfflineFileError, import_export
from survey.user_text import as_markdown, plain


def offline_panel(campaign: Campaign, data: bytes, name: str) -> None:
    """An export file from the offline site: the export code unlocks its checksums; new responses are added, repeats skipped."""
    st.info(
        "This is an export file from the offline survey site. Each answer carries a checksum made with the site's export "
        "code: type the code to check them. Answers already imported are skipped, so importing a file twice adds nothing."
    )
    code = st.text_input("Export code of the offline site", type="password", key="offline_code")
    if not st.button("Check and import", type="primary", key="offline_import", disabled=not code):
        return
    try:
        with st.spinner("Checking every answer…"), db().cursor() as con:
            done = import_export(con, data, name, code, campaign_id=campaign.campaign_id)
    except OfflineFileError as exc:
        st.error(f"{as_markdown(name)}: {len(exc.problems)} problem(s). Nothing was imported:")
        st.code(plain("\n".join(str(p) for p in exc.problems[:200])), language=None)
        return
    clear_caches()
    st.success(
        f"Imported {done.added} new response(s) into wave {done.wave}; {done.already} were already imported. "
        "You may now clear the exported answers on the tablet (its Facilitator panel, with the code)."
    )


def mapping_panel(preview: ImportPreview) -> bool:
    """The column mapping of a file read by question text; True once the facilitator confirms it (always True for id headers)."""
    if not preview.needs_confirmation:
        return True
    st.subheader("Column mapping")
    st.caption("Columns were matched to the questionnaire by their text. Forms metadata (who answered, when) is dropped and never stored.")
    table = pd.DataFrame(
        [(m.letter, plain(m.header), m.column or "— not stored —", m.how) for m in preview.mapping],
        columns=["Column", "Header in the file", "Read as", "How"],
    )
    st.dataframe(table, hide_index=True, width="stretch")
    return st.checkbox("This mapping is right", key="mapping_ok")
