"""Deleting a wave or a whole campaign with every row that depends on it, recorded, and naming the backups that still hold it.

Which rows depend on what is read from the schema, not listed by hand: every table with a
`response_id` column loses the rows of the deleted responses, every table with a `campaign_id`
column loses the campaign's rows (for a wave: those tables that also have a `wave` column). A
table added by a later migration is therefore covered without touching this module. Kept on
purpose: `instruments` and `instrument_items` (questionnaire text, shared between campaigns, no
answers) and `audit_log` (the record of the deletion itself).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from survey.campaigns import CampaignError, get_campaign, list_waves
from survey.store import audit, transaction

_COLUMNS_SQL = (
    "SELECT table_name, list(column_name) FROM duckdb_columns() WHERE database_name = current_database() "
    "AND schema_name = 'main' GROUP BY table_name ORDER BY table_name"
)
_KEPT = frozenset({"audit_log", "instruments", "instrument_items", "schema_migrations"})
_BACKUPS_SQL = "SELECT logged_at, actor, detail FROM audit_log WHERE action = 'backup' ORDER BY logged_at"


@dataclass(frozen=True)
class Deletion:
    """What a deletion removed, table by table, and what it could not reach (earlier backups)."""

    campaign_id: str
    wave: int | None
    rows: dict[str, int]
    note: str

    @property
    def responses(self) -> int:
        return self.rows.get("responses", 0)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _dependent_tables(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple[str, bool]]]:
    """(tables keyed by response_id, [(table keyed by campaign_id, has a wave column)]), children first."""
    by_response, by_campaign = [], []
    for table, columns in con.execute(_COLUMNS_SQL).fetchall():
        if table in _KEPT:
            continue
        if "response_id" in columns and table != "responses":
            by_response.append(table)
        elif "campaign_id" in columns and table not in ("responses", "campaigns"):
            by_campaign.append((table, "wave" in columns))
    by_campaign.sort(key=lambda entry: entry[0] == "waves")  # waves last among the campaign tables
    return by_response, by_campaign


def _backups_note(con: duckdb.DuckDBPyConnection) -> str:
    """Deleting from the database cannot reach copies made before: say which backups the audit log knows of."""
    rows = con.execute(_BACKUPS_SQL).fetchall()
    if not rows:
        return (
            "No backup made with `python -m survey backup` is recorded, so none holds this data. Copies of the database "
            "file made in other ways still would: delete those too."
        )
    listed = "; ".join(f"{logged_at:%Y-%m-%d %H:%M} by {actor}: {detail}" for logged_at, actor, detail in rows)
    return (
        f"Backups made earlier still contain this data ({len(rows)} recorded: {listed}). Delete those backups, or keep them "
        "out of reach: restoring one brings the deleted answers back."
    )


def _delete(con: duckdb.DuckDBPyConnection, campaign_id: str, wave: int | None) -> dict[str, int]:
    by_response, by_campaign = _dependent_tables(con)
    scope = "campaign_id = ?" + (" AND wave = ?" if wave is not None else "")
    params: list[object] = [campaign_id] + ([wave] if wave is not None else [])
    rows: dict[str, int] = {}
    for table in by_response:
        sql = f"DELETE FROM {_quote(table)} WHERE response_id IN (SELECT response_id FROM responses WHERE {scope})"
        rows[table] = int(con.execute(sql, params).fetchone()[0])
    rows["responses"] = int(con.execute(f"DELETE FROM responses WHERE {scope}", params).fetchone()[0])
    for table, has_wave in by_campaign:
        if wave is not None and not has_wave:
            continue
        rows[table] = int(con.execute(f"DELETE FROM {_quote(table)} WHERE {scope}", params).fetchone()[0])
    return rows


def _summary(rows: dict[str, int]) -> str:
    return ", ".join(f"{table} {count}" for table, count in sorted(rows.items()) if count)


def delete_wave(con: duckdb.DuckDBPyConnection, campaign_id: str, wave: int, actor: str) -> Deletion:
    """Remove one wave and everything collected in it (responses and their rows, invites, imports), in one transaction.

    A campaign keeps at least one wave, so its only wave is deleted with the campaign instead. When the
    newest wave goes, the campaign is closed: otherwise new answers would silently land in the
    previous, finished wave. Starting a new wave opens it again.
    """
    get_campaign(con, campaign_id)
    waves = [w.wave for w in list_waves(con, campaign_id)]
    if wave not in waves:
        raise CampaignError(f"campaign '{campaign_id}' has no wave {wave}")
    if len(waves) == 1:
        raise CampaignError(f"wave {wave} is the only wave of '{campaign_id}'; delete the campaign instead")
    with transaction(con):
        rows = _delete(con, campaign_id, wave)
        closed = wave == max(waves)
        if closed:
            con.execute("UPDATE campaigns SET status = 'closed' WHERE campaign_id = ?", [campaign_id])
        audit(con, actor, "delete wave", f"campaign {campaign_id} wave {wave}: {_summary(rows) or 'no rows'}")
        note = _backups_note(con)
    if closed:
        note += f" The campaign '{campaign_id}' is now closed; start a new wave to collect answers again."
    return Deletion(campaign_id, wave, rows, note)


def delete_campaign(con: duckdb.DuckDBPyConnection, campaign_id: str, actor: str) -> Deletion:
    """Remove a campaign with all its waves, responses, invites, imports, headcounts and estimates, in one transaction."""
    get_campaign(con, campaign_id)
    with transaction(con):
        rows = _delete(con, campaign_id, None)
        rows["campaigns"] = int(con.execute("DELETE FROM campaigns WHERE campaign_id = ?", [campaign_id]).fetchone()[0])
        audit(con, actor, "delete campaign", f"campaign {campaign_id}: {_summary(rows)}")
        note = _backups_note(con)
    return Deletion(campaign_id, None, rows, note)
