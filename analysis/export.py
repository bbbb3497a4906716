"""Exports: pure functions that write files. Zero rows is an empty file with a header, not an error."""

from __future__ import annotations

from pathlib import Path

import duckdb

from analysis.frames import long_answers_sql
from survey.instrument import Instrument


def _copy(con: duckdb.DuckDBPyConnection, sql: str, params: dict, out: Path, options: str) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    count = con.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]
    target = str(out).replace("'", "''")
    con.execute(f"COPY ({sql}) TO '{target}' ({options})", params)
    return int(count)


def export_long(con: duckdb.DuckDBPyConnection, instrument: Instrument, campaign_id: str, out: Path, fmt: str, wave: int | None = None) -> int:
    """The long format of the contract (one row per answer, don't know empty) as CSV or Parquet, written by DuckDB.

    Attribute values and ids are validated identifiers, so no cell can start a spreadsheet formula.
    """
    options = {"csv": "FORMAT csv, HEADER true", "parquet": "FORMAT parquet, COMPRESSION zstd"}[fmt]
    return _copy(con, long_answers_sql(instrument), {"campaign": campaign_id, "wave": wave}, out, options)
