"""The long format of the contract (one row per answer) as CSV or Parquet, written by DuckDB's COPY.

Zero rows is an empty file with a header, not an error. `analysis.export` is the entry point for
every format; the workbook's Raw sheet reuses the SQL here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from analysis.frames import long_answers_sql
from survey.instrument import Instrument

# OWASP CSV injection: a cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def parse_group(text: str) -> tuple[str, str]:
    """'site=venlo' -> ('site', 'venlo'): a filter or gap group as the command line writes it."""
    attribute, sep, option = text.partition("=")
    if not sep or not attribute.strip() or not option.strip():
        raise ValueError(f"a group is written attribute=option (e.g. level=board), got {text!r}")
    return attribute.strip(), option.strip()


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def scoped_long_sql(instrument: Instrument, filters: Sequence[tuple[str, str]] = ()) -> str:
    """The long-format SQL restricted to respondents matching every filter; parameters $campaign, $wave, $f0, $f1...

    Attribute ids are validated identifiers and options are bound as parameters, so no filter text
    reaches the SQL itself.
    """
    sql = long_answers_sql(instrument)
    seen: set[str] = set()
    for attribute, option in filters:
        if attribute not in instrument.attributes:
            raise ValueError(f"unknown attribute '{attribute}' (known: {', '.join(instrument.attributes)})")
        if option not in instrument.attributes[attribute].options:
            raise ValueError(f"'{option}' is not an option of {attribute} ({', '.join(instrument.attributes[attribute].options)})")
        if attribute in seen:
            raise ValueError(f"filter on {attribute} given twice")
        seen.add(attribute)
    if not filters:
        return sql
    conditions = " AND ".join(f"{_quote(a)} = $f{i}" for i, (a, _) in enumerate(filters))
    return f"SELECT * FROM ({sql}) WHERE {conditions}"


def scoped_params(campaign_id: str, wave: int | None, filters: Sequence[tuple[str, str]] = ()) -> dict[str, object]:
    return {"campaign": campaign_id, "wave": wave, **{f"f{i}": option for i, (_, option) in enumerate(filters)}}


def neutralised_sql(sql: str, text_columns: Sequence[str]) -> str:
    """`sql` with a leading apostrophe on text cells that a spreadsheet would run as a formula."""
    if not text_columns:
        return sql
    starts = ", ".join("'" + s.replace("'", "''") + "'" if s not in ("\t", "\r") else f"chr({ord(s)})" for s in FORMULA_STARTS)
    replaced = ", ".join(
        f"CASE WHEN left({_quote(c)}, 1) IN ({starts}) THEN '''' || {_quote(c)} ELSE {_quote(c)} END AS {_quote(c)}" for c in text_columns
    )
    return f"SELECT * REPLACE ({replaced}) FROM ({sql})"


def _copy(con: duckdb.DuckDBPyConnection, sql: str, params: dict, out: Path, options: str) -> int:
    """Run COPY once; DuckDB answers with the number of rows it wrote."""
    out.parent.mkdir(parents=True, exist_ok=True)
    target = str(out).replace("'", "''")
    return int(con.execute(f"COPY ({sql}) TO '{target}' ({options})", params).fetchone()[0])


def export_long(
    con: duckdb.DuckDBPyConnection,
    instrument: Instrument,
    campaign_id: str,
    out: Path,
    fmt: str,
    wave: int | None = None,
    filters: Sequence[tuple[str, str]] = (),
) -> int:
    """The long format of the contract (one row per answer, don't know empty) as CSV or Parquet, written by DuckDB.

    Ids and attribute options are validated identifiers; the campaign id is the one free text, so
    the CSV still neutralises every text cell that could start a spreadsheet formula. Parquet keeps
    the values as they are: it is typed data, not a spreadsheet.
    """
    options = {"csv": "FORMAT csv, HEADER true", "parquet": "FORMAT parquet, COMPRESSION zstd"}[fmt]
    sql = scoped_long_sql(instrument, filters)
    if fmt == "csv":
        text = ["response_id", "campaign", "language", *instrument.attributes, "dimension", "item_id"]
        sql = neutralised_sql(sql, text)
    return _copy(con, sql, scoped_params(campaign_id, wave, filters), out, options)
