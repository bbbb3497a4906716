"""Actions as a CSV or XLSX file: written for people to edit in a spreadsheet, read back all or nothing."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from survey.actions.schema import EDITABLE
from survey.actions.storage import SaveResult, list_actions, save_actions
from survey.tables import read_table

# A text cell starting with one of these is a formula to a spreadsheet (OWASP CSV injection); export guards it
# with an apostrophe, which reading takes off again, so export → import gives back the same text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def export_frame(con: duckdb.DuckDBPyConnection, campaign_id: str) -> pd.DataFrame:
    """The campaign's actions in the columns a file holds (`EDITABLE`), as cells a spreadsheet shows unchanged."""
    actions = list_actions(con, campaign_id)
    return pd.DataFrame({c: [_cell(v) for v in actions[c]] for c in EDITABLE}, columns=list(EDITABLE))


def write_actions(con: duckdb.DuckDBPyConnection, campaign_id: str, path: str | Path) -> int:
    """Write CSV (UTF-8 with BOM, so Excel reads accents) or XLSX by the file's suffix; zero actions is a header-only file."""
    out = Path(path)
    frame = export_frame(con, campaign_id)
    if out.suffix.lower() == ".xlsx":
        with pd.ExcelWriter(
            out, engine="xlsxwriter", engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}}
        ) as xl:
            frame.to_excel(xl, sheet_name="actions", index=False)
    elif out.suffix.lower() == ".csv":
        frame.to_csv(out, index=False, encoding="utf-8-sig")
    else:
        raise ValueError(f"{out.name}: write actions to a .csv or .xlsx file")
    return len(frame)


def read_actions(data: bytes, filename: str) -> tuple[pd.DataFrame, list[int]]:
    """A file's rows as text cells under lower-cased headers, with each row's number as a spreadsheet shows it."""
    table = read_table(data, filename)
    header = [h.strip().lower() for h in table.header]
    return pd.DataFrame(list(table.rows), columns=header, dtype=object), list(table.row_numbers)


def import_actions(con: duckdb.DuckDBPyConnection, campaign_id: str, data: bytes, filename: str, *, actor: str) -> SaveResult:
    """Add the file's rows without an action_id, update those with one; actions not in the file stay as they are.

    All or nothing like a response import: any bad row refuses the file (`ActionsRefused`, naming file
    row and column) and nothing is written. Merging rather than replacing, because a file with
    three new actions must not silently delete the other twenty.
    """
    rows, numbers = read_actions(data, filename)
    existing = list_actions(con, campaign_id)
    given = set(rows["action_id"].dropna().str.strip()) if "action_id" in rows.columns else set()
    kept = existing[~existing["action_id"].isin(given)][list(EDITABLE)].astype(object)
    frame = pd.concat([rows, kept], ignore_index=True)
    return save_actions(con, campaign_id, frame, actor=actor, rows=[*numbers, *([None] * len(kept))], source=filename)
