"""Row-level data: the contract's long format (one row per answer) as CSV or Parquet, coarsened to k, written by DuckDB's COPY.

A row-level file is built so that it singles nobody out and joins to nothing:

- `response_id` is drawn anew for every file, never the stored id, so a file cannot be joined to
  the database, to a backup or to another file by id;
- `submitted_on` is the wave's opening date: the day someone answered never leaves the database;
- the language and attribute columns are coarsened (`analysis.coarsening`) so that every combination
  of them describes at least k respondents of its wave, k being the campaign's threshold; a wave
  with fewer than k respondents is left out;
- rows are ordered by wave, the coarsened columns and the file's own ids, never by arrival.

Each wave is coarsened as a whole, before filters. A filter keeps the respondents whose coarsened
value is exactly the option, so a filtered file holds whole combinations of the unfiltered one and
two files never refine each other; where the option is merged in a wave, that wave gives no rows
and a note says so. Zero rows is an empty file with a header, not an error. Who may take such a
file out is `survey.grants`' business; `analysis.export` checks it and writes the audit entry.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd

from analysis.coarsening import Merge, coarsen
from analysis.export.texts import tr
from survey.instrument import Instrument

# OWASP CSV injection: a cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Column names of the respondent frame that no attribute id can take (ids start with a letter).
_STORED_ID, _FILE_ID = "_stored_id", "_file_id"
_VIEW = "_row_level_respondents"
T = TypeVar("T")


def parse_group(text: str) -> tuple[str, str]:
    """'site=venlo' -> ('site', 'venlo'): a filter or gap group as the command line writes it."""
    attribute, sep, option = text.partition("=")
    if not sep or not attribute.strip() or not option.strip():
        raise ValueError(f"a group is written attribute=option (e.g. level=board), got {text!r}")
    return attribute.strip(), option.strip()


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def check_filters(instrument: Instrument, filters: Sequence[tuple[str, str]]) -> None:
    """Refuse a filter on an unknown attribute or option, or one attribute twice, before anything is read or written."""
    seen: set[str] = set()
    for attribute, option in filters:
        if attribute not in instrument.attributes:
            raise ValueError(f"unknown attribute '{attribute}' (known: {', '.join(instrument.attributes)})")
        if option not in instrument.attributes[attribute].options:
            raise ValueError(f"'{option}' is not an option of {attribute} ({', '.join(instrument.attributes[attribute].options)})")
        if attribute in seen:
            raise ValueError(f"filter on {attribute} given twice")
        seen.add(attribute)


def respondents_sql(instrument: Instrument) -> str:
    """One row per response of the campaign ($campaign) and wave ($wave, NULL = every wave): stored id, wave, language, attributes.

    Attribute ids are validated identifiers; they name the pivoted columns.
    """
    attrs = list(instrument.attributes)
    pivots = "".join(f", max(CASE WHEN attribute = '{a}' THEN value END) AS {_quote(a)}" for a in attrs)
    columns = "".join(f", p.{_quote(a)}" for a in attrs)
    return f"""
        WITH picked AS (
            SELECT response_id, wave, language FROM responses WHERE campaign_id = $campaign AND ($wave IS NULL OR wave = $wave)
        ), p AS (
            SELECT response_id{pivots}
            FROM response_attributes WHERE response_id IN (SELECT response_id FROM picked) GROUP BY response_id
        )
        SELECT r.response_id AS {_STORED_ID}, r.wave, r.language{columns}
        FROM picked r LEFT JOIN p ON p.response_id = r.response_id
        ORDER BY r.wave, r.response_id
    """


def _rows_sql(instrument: Instrument) -> str:
    """The long format of the respondents in the registered view: one row per answer, the file's ids, the wave's date.

    Dimension ratings follow each respondent's answers, one row each, with `item_id` named as the import's columns:
    `target_<dimension>` and `predict_<option>_<dimension>` (a don't-know rating has no row).
    """
    attrs = [_quote(a) for a in instrument.attributes]
    columns = "".join(f", CAST(g.{a} AS VARCHAR) AS {a}" for a in attrs)
    order = "".join(f", {a}" for a in attrs)
    head = f"""CAST(g.{_FILE_ID} AS VARCHAR) AS response_id, w.campaign_id AS campaign, CAST(g.wave AS INTEGER) AS wave,
               w.opened_on AS submitted_on, CAST(g.language AS VARCHAR) AS language{columns}"""
    return f"""
        SELECT * EXCLUDE (part, p1, p2) FROM (
            SELECT {head}, ii.dimension, a.item_id, a.value, 0 AS part, ii.dim_pos AS p1, ii.item_pos AS p2
            FROM {_VIEW} g
            JOIN waves w ON w.campaign_id = $campaign AND w.wave = g.wave
            JOIN answers a ON a.response_id = CAST(g.{_STORED_ID} AS VARCHAR)
            JOIN instrument_items ii ON ii.instrument_key = w.instrument_key AND ii.item_id = a.item_id
            UNION ALL
            SELECT {head}, r.dimension,
                   CASE WHEN r.kind = 'target' THEN 'target_' || r.dimension ELSE 'predict_' || r.about || '_' || r.dimension END,
                   r.value, 1, CASE WHEN r.kind = 'target' THEN 0 ELSE 1 END, 0
            FROM {_VIEW} g
            JOIN waves w ON w.campaign_id = $campaign AND w.wave = g.wave
            JOIN dimension_ratings r ON r.response_id = CAST(g.{_STORED_ID} AS VARCHAR)
        )
        ORDER BY wave, language{order}, response_id, part, p1, p2, item_id
    """


@dataclass(frozen=True)
class RowLevel:
    """The respondents a row-level file holds, coarsened, with what the reader must be told about it.

    respondents: one row each: stored id (never written), the file's id, wave, coarsened language and attributes.
    merges: the merged values per wave. left_out: waves with fewer than k respondents.
    unselectable: (wave, attribute, option, merged label) where a filter's option is merged and selects nothing.
    """

    respondents: pd.DataFrame
    k: int
    merges: tuple[Merge, ...]
    left_out: tuple[int, ...]
    unselectable: tuple[tuple[int, str, str, str], ...]

    def notes(self, lang: str) -> list[str]:
        """What the file's reader must know: what was merged, which waves and filtered groups are missing."""
        out = []
        if self.merges:
            merged = "; ".join(f"{tr('wave', lang).lower()} {m.group}: {m.column} {m.label}" for m in self.merges)
            out.append(tr("note_rows_coarsened", lang, k=self.k, merged=merged))
        for wave in self.left_out:
            out.append(tr("note_rows_wave_left_out", lang, wave=wave, k=self.k))
        for wave, attribute, option, label in self.unselectable:
            out.append(tr("note_rows_filter_merged", lang, wave=wave, group=f"{attribute}={option}", label=label))
        return out


def row_level(
    con: duckdb.DuckDBPyConnection,
    instrument: Instrument,
    campaign_id: str,
    k: int,
    wave: int | None = None,
    filters: Sequence[tuple[str, str]] = (),
) -> RowLevel:
    """The respondents of a campaign's wave (every wave when None), coarsened wave by wave to k, then filtered."""
    check_filters(instrument, filters)
    frame = con.execute(respondents_sql(instrument), {"campaign": campaign_id, "wave": wave}).df()
    # The order detail may be lost in: the language first, then the attributes from the last declared to the first.
    done = coarsen(frame, ["language", *reversed(instrument.attributes)], k, by="wave")
    kept = done.frame
    mask = pd.Series(True, index=kept.index)
    for attribute, option in filters:
        mask &= kept[attribute] == option
    kept = kept[mask].copy()
    kept.insert(1, _FILE_ID, [secrets.token_hex(16) for _ in range(len(kept))])
    left_out = tuple(sorted(set(frame["wave"]) - set(done.frame["wave"])))
    unselectable = tuple(
        (int(m.group), m.column, option, m.label)
        for m in done.merges
        for attribute, option in filters
        if m.column == attribute and option in m.values
    )
    return RowLevel(kept.reset_index(drop=True), k, done.merges, tuple(int(w) for w in left_out), unselectable)


def _with_view(con: duckdb.DuckDBPyConnection, rows: RowLevel, run: Callable[[], T]) -> T:
    """`run()` while the coarsened respondents are visible to SQL on this cursor as the view the queries read."""
    con.register(_VIEW, rows.respondents)
    try:
        return run()
    finally:
        con.unregister(_VIEW)


def row_level_frame(con: duckdb.DuckDBPyConnection, instrument: Instrument, campaign_id: str, rows: RowLevel) -> pd.DataFrame:
    """The long-format rows of `rows` as a data frame (the workbook's Raw sheet)."""
    sql = _rows_sql(instrument)
    return _with_view(con, rows, lambda: con.execute(sql, {"campaign": campaign_id}).df())


def neutralised_sql(sql: str, text_columns: Sequence[str]) -> str:
    """`sql` with a leading apostrophe on text cells that a spreadsheet would run as a formula."""
    if not text_columns:
        return sql
    starts = ", ".join("'" + s.replace("'", "''") + "'" if s not in ("\t", "\r") else f"chr({ord(s)})" for s in FORMULA_STARTS)
    replaced = ", ".join(
        f"CASE WHEN left({_quote(c)}, 1) IN ({starts}) THEN '''' || {_quote(c)} ELSE {_quote(c)} END AS {_quote(c)}" for c in text_columns
    )
    return f"SELECT * REPLACE ({replaced}) FROM ({sql})"


def export_long(
    con: duckdb.DuckDBPyConnection,
    instrument: Instrument,
    campaign_id: str,
    out: Path,
    fmt: str,
    rows: RowLevel,
) -> int:
    """Write `rows` in the long format of the contract (don't know empty) as CSV or Parquet; returns the answer rows written.

    Ids and options are validated identifiers; the campaign id is the one free text, so the CSV
    still neutralises every text cell that could start a spreadsheet formula. Parquet keeps the
    values as they are: it is typed data, not a spreadsheet.
    """
    options = {"csv": "FORMAT csv, HEADER true", "parquet": "FORMAT parquet, COMPRESSION zstd"}[fmt]
    sql = _rows_sql(instrument)
    if fmt == "csv":
        sql = neutralised_sql(sql, ["response_id", "campaign", "language", *instrument.attributes, "dimension", "item_id"])
    out.parent.mkdir(parents=True, exist_ok=True)
    target = str(out).replace("'", "''")
    copy = f"COPY ({sql}) TO '{target}' ({options})"
    return _with_view(con, rows, lambda: int(con.execute(copy, {"campaign": campaign_id}).fetchone()[0]))
