"""The stored-cells cache of every wave: when to read a wave's responses again, when only what was appended, and data versions.

A wave's answers are read from storage in a single pass (`analysis.cells` over the query of
`analysis.matrix_sql`). What is kept afterwards (in this process, keyed by a fingerprint of the stored
responses) is only that pass's result: n, sum and sum of squares per unit for each finest cell (a few
hundred rows), from which every view is added up. A new or deleted response changes the fingerprint
(the database file, the count and a hash of the wave's response ids, the row counts of the answer
tables); stored responses are never edited, only added or deleted. When the only change is responses
appended since the last read (checked exactly: counts, id hash and rowid marks), just those are read
and added to the cells; anything else reads the wave again. The cells are also kept in the database
with their fingerprint and marks (`analysis.stored_cells`), so another process, or this one after a
restart, starts from them the same way.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace

import duckdb
import pandas as pd

from analysis.cells import cell_rows, descaled, merged_cells
from analysis.matrix_sql import CatalogueItem, Columns, Fingerprint, RespondentMatrix, Unit, matrix_units, wide_units
from analysis.stored_cells import cells_layout, load_cells, save_cells
from survey.campaigns import CampaignError, campaign_instrument
from survey.instrument import Instrument
from survey.store import in_transaction

MAX_CACHED_WAVES = 16
STORE_EVERY_S = 60.0  # cells read by adding new responses are stored at most this often per wave

ITEM_CATALOGUE_SQL = """
    SELECT ii.item_id, ii.dimension, ii.reverse, ii.scale_min, ii.scale_max
    FROM waves w JOIN instrument_items ii ON ii.instrument_key = w.instrument_key
    WHERE w.campaign_id = $campaign AND w.wave = $wave
    ORDER BY ii.dim_pos, ii.item_pos
"""

FINGERPRINT_SQL = """
    WITH wave_rows AS (
        SELECT count(*) AS n, coalesce(bit_xor(hash(response_id)), 0) AS ids
        FROM responses WHERE campaign_id = $campaign AND wave = $wave
    )
    SELECT (SELECT path FROM duckdb_databases() WHERE database_name = current_database()) AS database,
           w.instrument_key,
           (SELECT fingerprint FROM instruments i WHERE i.instrument_key = w.instrument_key) AS instrument_fingerprint,
           wave_rows.n AS respondents,
           wave_rows.ids AS response_ids,
           (SELECT count(*) FROM responses) AS responses,
           (SELECT count(*) FROM answers) AS answers,
           (SELECT count(*) FROM response_attributes) AS response_attributes,
           (SELECT count(*) FROM value_choices) AS value_choices,
           (SELECT count(*) FROM dimension_ratings) AS dimension_ratings
    FROM waves w, wave_rows WHERE w.campaign_id = $campaign AND w.wave = $wave
"""

# Everything a campaign's dashboard numbers depend on, in one row: its responses (count and the same bit_xor of id
# hashes as FINGERPRINT_SQL), its value estimates, headcounts and thresholds. Each of those tables has a primary key,
# so two rows never cancel out in the bit_xor.
DATA_VERSION_SQL = """
    SELECT (SELECT count(*) FROM responses WHERE campaign_id = $campaign),
           (SELECT coalesce(bit_xor(hash(response_id)), 0) FROM responses WHERE campaign_id = $campaign),
           (SELECT coalesce(bit_xor(hash(loss, eur_per_year)), 0) FROM value_estimates WHERE campaign_id = $campaign),
           (SELECT coalesce(bit_xor(hash(attribute, option, headcount)), 0) FROM headcounts WHERE campaign_id = $campaign),
           (SELECT threshold || '/' || comment_threshold FROM campaigns WHERE campaign_id = $campaign)
"""

LONG_TABLES = ("responses", "answers", "response_attributes", "value_choices", "dimension_ratings")

# What was appended to each table since the marks of the last full read, and whether it is only that:
# every new answer, attribute and loss row must belong to a response appended after the mark too.
APPENDED_SQL = """
    WITH fresh AS (SELECT response_id, campaign_id, wave FROM responses WHERE rowid >= $m_responses)
    SELECT (SELECT count(*) FROM fresh) AS responses_rows,
           (SELECT coalesce(max(rowid) + 1, $m_responses) FROM responses WHERE rowid >= $m_responses) AS responses_mark,
           (SELECT count(*) FROM fresh WHERE campaign_id = $campaign AND wave = $wave) AS wave_rows,
           (SELECT coalesce(bit_xor(hash(response_id)), 0) FROM fresh WHERE campaign_id = $campaign AND wave = $wave) AS wave_ids,
           {tables}
"""
APPENDED_TABLE_SQL = """
           (SELECT count(*) FROM {table} WHERE rowid >= $m_{table}) AS {table}_rows,
           (SELECT coalesce(max(rowid) + 1, $m_{table}) FROM {table} WHERE rowid >= $m_{table}) AS {table}_mark,
           (SELECT count(*) FROM {table} WHERE rowid >= $m_{table} AND response_id NOT IN (SELECT response_id FROM fresh)) AS {table}_stray"""
MARKS_SQL = "SELECT " + ", ".join(f"(SELECT coalesce(max(rowid) + 1, 0) FROM {t})" for t in LONG_TABLES)


class _Cache:
    """Waves already read, least recently used dropped first (each holds a few hundred cells, not respondents).

    Besides the exact fingerprint, the newest matrix of each wave is remembered, so that after new
    responses only those are read and added to its cells.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waves: OrderedDict[tuple, RespondentMatrix] = OrderedDict()
        self._latest: OrderedDict[tuple, RespondentMatrix] = OrderedDict()
        self._saved: dict[tuple, float] = {}  # when this process last stored each wave's cells (time.monotonic)

    def get(self, key: tuple) -> RespondentMatrix | None:
        with self._lock:
            found = self._waves.get(key)
            if found is not None:
                self._waves.move_to_end(key)
            return found

    def latest(self, wave_key: tuple) -> RespondentMatrix | None:
        with self._lock:
            return self._latest.get(wave_key)

    def put(self, key: tuple, wave_key: tuple, matrix: RespondentMatrix) -> RespondentMatrix:
        with self._lock:
            self._waves[key] = matrix
            self._latest[wave_key] = matrix
            self._latest.move_to_end(wave_key)
            for table in (self._waves, self._latest):
                while len(table) > MAX_CACHED_WAVES:
                    table.popitem(last=False)
            return matrix

    def save_due(self, wave_key: tuple, full: bool) -> bool:
        """Whether to store freshly read cells: always after a full read, else at most every STORE_EVERY_S per wave.

        Cells stored a little while ago serve as well (a new process adds what came after them), and
        writing on every view after a new response would put a write into the dashboard's busiest path.
        """
        with self._lock:
            now = time.monotonic()
            last = self._saved.get(wave_key)
            if not full and last is not None and now - last < STORE_EVERY_S:
                return False
            self._saved[wave_key] = now
            while len(self._saved) > MAX_CACHED_WAVES:
                self._saved.pop(next(iter(self._saved)))
            return True

    def clear(self) -> None:
        with self._lock:
            self._waves.clear()
            self._latest.clear()
            self._saved.clear()


_CACHE = _Cache()
_INSTRUMENTS: dict[tuple[str, str], Instrument] = {}


def clear_matrices() -> None:
    """Forget every wave and instrument read so far, so the next view reads storage again (a cold start)."""
    _CACHE.clear()
    _INSTRUMENTS.clear()


def item_catalogue(con: duckdb.DuckDBPyConnection, campaign_id: str, wave: int) -> tuple[CatalogueItem, ...]:
    """Items of the wave's instrument with their key and scale, as stored in instrument_items."""
    rows = con.execute(ITEM_CATALOGUE_SQL, {"campaign": campaign_id, "wave": wave}).fetchall()
    return tuple(CatalogueItem(item_id, dimension, bool(reverse), int(low), int(high)) for item_id, dimension, reverse, low, high in rows)


def _instrument(con: duckdb.DuckDBPyConnection, campaign_id: str, wave: int, key: tuple[str, str]) -> Instrument:
    """The wave's instrument, parsed once per (id@version, content fingerprint): a stored instrument never changes."""
    found = _INSTRUMENTS.get(key)
    if found is None:
        found = _INSTRUMENTS[key] = campaign_instrument(con, campaign_id, wave)
    return found


@contextmanager
def _snapshot(con: duckdb.DuckDBPyConnection) -> Iterator[bool]:
    """Every read inside sees the same committed state (a read-only transaction), unless the caller already holds one.

    Yields whether the transaction is this one's own (False inside a caller's transaction, where nothing may be written).
    """
    if in_transaction(con):  # the caller's transaction already gives one snapshot
        yield False
        return
    con.execute("BEGIN TRANSACTION")
    try:
        yield True
    finally:
        con.execute("ROLLBACK")


def respondent_matrix(con: duckdb.DuckDBPyConnection, campaign_id: str, wave: int) -> RespondentMatrix:
    """The wave with its finest cells: read from storage once per content fingerprint, then only what was appended.

    Where to start from, cheapest first: this process's cells of this exact fingerprint; this process's
    newest cells of the wave, or else the cells stored in the database (`analysis.stored_cells`), when
    they are current or only responses were appended since; else every response of the wave. New
    cells are stored for the next process once the read is done.
    """
    params = {"campaign": campaign_id, "wave": wave}
    with _snapshot(con) as own:
        found = con.execute(FINGERPRINT_SQL, params).fetchone()
        if found is None:
            raise CampaignError(f"campaign '{campaign_id}' has no wave {wave}")
        now = Fingerprint(*found)
        key, wave_key = (campaign_id, wave, *now), (now.database, campaign_id, wave)
        cached = _CACHE.get(key)
        if cached is not None:
            return cached
        instrument = _instrument(con, campaign_id, wave, (now.instrument_key, now.instrument_fingerprint))
        catalogue = item_catalogue(con, campaign_id, wave)
        respondents = int(now.respondents)
        shell = RespondentMatrix(campaign_id, wave, instrument, catalogue, respondents, whole_table=respondents == int(now.responses))
        units = matrix_units(shell)
        layout = cells_layout(shell.attributes, units)
        previous = _CACHE.latest(wave_key) or _stored(con, shell, units, layout, now.database)
        if previous is not None and previous.fingerprint == now:
            return _CACHE.put(key, wave_key, previous)
        grown = _with_appended(con, previous, shell, units, now) if previous is not None else None
        if grown is None:
            marks = dict(zip(LONG_TABLES, con.execute(MARKS_SQL).fetchone(), strict=True))
            grown = _complete(shell, units, cell_rows(con, shell, shell.attributes, units), now, marks)
    if own and _CACHE.save_due(wave_key, full=grown.read == "full"):
        save_cells(con, campaign_id, wave, layout, shell.attributes, grown.fingerprint, grown.marks, grown.scaled_cells)
    return _CACHE.put(key, wave_key, grown)


def _stored(
    con: duckdb.DuckDBPyConnection, shell: RespondentMatrix, units: Mapping[str, Unit], layout: str, path: str | None
) -> RespondentMatrix | None:
    """The wave as stored by an earlier read (any process), with this database's path in its fingerprint."""
    stored = load_cells(con, shell.campaign_id, shell.wave, layout, shell.attributes)
    if stored is None:
        return None
    fingerprint = stored.fingerprint._replace(database=path)
    base = replace(shell, respondents=int(fingerprint.respondents), whole_table=int(fingerprint.respondents) == int(fingerprint.responses))
    return _complete(base, units, stored.cells, fingerprint, stored.marks, read="stored")


def _complete(
    shell: RespondentMatrix,
    units: Mapping[str, Unit],
    scaled: Columns,
    fingerprint: Fingerprint,
    marks: Mapping[str, int],
    read: str = "full",
) -> RespondentMatrix:
    return RespondentMatrix(
        shell.campaign_id,
        shell.wave,
        shell.instrument,
        shell.catalogue,
        shell.respondents,
        shell.whole_table,
        descaled(scaled, units),
        read=read,
        scaled_cells=scaled,
        fingerprint=fingerprint,
        marks=marks,
    )


def _with_appended(
    con: duckdb.DuckDBPyConnection, previous: RespondentMatrix, shell: RespondentMatrix, units: Mapping[str, Unit], now: Fingerprint
) -> RespondentMatrix | None:
    """`previous` plus the responses appended since it was read; None when storage changed in any other way.

    Exact or nothing: every table must have grown by exactly the rows after its mark, all of them
    belonging to responses after the responses mark, and the wave's count and id hash must be the old
    ones plus the new ones. A deletion, a restore or an instrument change fails a check: read everything.
    """
    old = previous.fingerprint
    same_source = (old.database, old.instrument_key, old.instrument_fingerprint) == (
        now.database,
        now.instrument_key,
        now.instrument_fingerprint,
    )
    if not same_source or wide_units(units, previous.respondents) != wide_units(units, shell.respondents):
        return None
    params = {"campaign": shell.campaign_id, "wave": shell.wave, **{f"m_{t}": m for t, m in previous.marks.items()}}
    tables = ",".join(APPENDED_TABLE_SQL.format(table=t) for t in LONG_TABLES[1:])
    cursor = con.execute(APPENDED_SQL.format(tables=tables), params)
    found = dict(zip((column[0] for column in cursor.description), cursor.fetchone(), strict=True))
    wave_new = found["wave_rows"]
    if shell.respondents != old.respondents + wave_new or int(now.response_ids) != int(old.response_ids) ^ int(found["wave_ids"]):
        return None
    for table in LONG_TABLES:
        grew = found[f"{table}_rows"] == getattr(now, table) - getattr(old, table)
        if not grew or found.get(f"{table}_stray"):
            return None
    marks = {table: int(found[f"{table}_mark"]) for table in LONG_TABLES}
    scaled = previous.scaled_cells
    if wave_new:
        scaled = merged_cells(scaled, cell_rows(con, shell, shell.attributes, units, since=previous.marks), shell.attributes)
    return _complete(shell, units, scaled, now, marks, read="appended")


def data_version(con: duckdb.DuckDBPyConnection, campaign_id: str) -> str:
    """A cheap fingerprint of everything a campaign's dashboard numbers depend on: a new or deleted response,
    a changed value estimate, headcount or threshold changes it, so results cached under it are never stale.

    Response ids are hashed with the same bit_xor as a wave's fingerprint (FINGERPRINT_SQL): one notion of "the stored
    responses changed" for the cells and for the pages' caches.
    """
    return "|".join(str(v) for v in con.execute(DATA_VERSION_SQL, {"campaign": campaign_id}).fetchone())


def respondent_scores(con: duckdb.DuckDBPyConnection, campaign_id: str, wave: int) -> pd.DataFrame:
    """The respondent matrix itself, one row per person: for checking the scoring, never for display."""
    matrix = respondent_matrix(con, campaign_id, wave)
    return con.execute(matrix.sql(), {"campaign": campaign_id, "wave": wave}).df()
