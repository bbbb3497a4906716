"""Respondent-level scores in DuckDB (reverse keys, dimension scores) and the one pass that turns them into cell statistics.

The respondent matrix is a query, never a stored table: one row per respondent of a wave, built
from the long tables and consumed at once by a GROUP BY over every attribute, so a wave's answers
are read from storage in a single pass. What is kept afterwards (in this process, keyed by a
fingerprint of the stored responses) is only that pass's result: n, sum and sum of squares per
unit for each finest cell (a few hundred rows), from which every view is added up. A new or deleted
response changes the fingerprint (the database file, the count and a hash of the wave's response
ids, the row counts of the answer tables); stored responses are never edited, only added or deleted.
When the only change is responses appended since the last read (checked exactly: counts, id hash and
rowid marks), just those are read and added to the cells; anything else reads the wave again. The
cells are also kept in the database with their fingerprint and marks (`analysis.stored_cells`), so
another process, or this one after a restart, starts from them the same way.

Matrix columns (quoted identifiers, because ids may contain `-`):
    "a:<attribute>"  VARCHAR   option id, NULL when the respondent did not state it
    "i:<item>"       SMALLINT  the answer reverse-scored (min + max − value), NULL for don't know
    "d:<dimension>"  DOUBLE    mean of the answered items if at least half were answered, else NULL
    "l:<loss>"       BOOLEAN   named this loss in the value-at-stake block
    "vb"             BOOLEAN   named at least one loss (answered the block)
Answers are pivoted by packing: each answer (shifted to 1..points) goes into an 8-bit slot of one of
a few 64-bit integers per respondent, combined with bit_or; a handful of integer aggregates are much
cheaper than one CASE per item on every answer row.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import duckdb
import numpy as np
import pandas as pd

from analysis.stored_cells import cells_layout, load_cells, save_cells
from survey.campaigns import CampaignError, campaign_instrument
from survey.instrument import Instrument
from survey.store import in_transaction

MAX_CACHED_WAVES = 16
STORE_EVERY_S = 60.0  # cells read by adding new responses are stored at most this often per wave
SLOTS = 8  # 8-bit slots per 64-bit pack: values shifted to 1..points (at most 101 points), 0 = no answer

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
    SELECT (SELECT path FROM duckdb_databases() WHERE database_name = current_database()),
           w.instrument_key,
           (SELECT fingerprint FROM instruments i WHERE i.instrument_key = w.instrument_key),
           wave_rows.n,
           wave_rows.ids,
           (SELECT count(*) FROM responses),
           (SELECT count(*) FROM answers),
           (SELECT count(*) FROM response_attributes),
           (SELECT count(*) FROM value_choices)
    FROM waves w, wave_rows WHERE w.campaign_id = $campaign AND w.wave = $wave
"""

# One pass over each long table for the wave's respondents. {picked_*} restricts a table to the wave
# (left out when the wave holds every stored response) or to rows appended since a mark; the other placeholders are column lists
# built from the instrument (ids are validated identifiers, quoted again here).
MATRIX_SQL = """
    WITH picked AS (
        SELECT response_id FROM responses WHERE campaign_id = $campaign AND wave = $wave{since_responses}
    ), slots(item_id, pack, shift) AS (
        VALUES {slots}
    ), attrs AS (
        SELECT response_id, {attribute_pivot}
        FROM response_attributes {picked_attributes} GROUP BY response_id
    ), packed AS (
        SELECT response_id, {packs}
        FROM answers JOIN slots USING (item_id) {picked_answers} GROUP BY response_id
    ), losses AS (
        SELECT response_id, {loss_pivot}
        FROM value_choices {picked_losses} GROUP BY response_id
    ), items AS (
        SELECT p.response_id, {attribute_columns}, {item_columns}, {loss_columns}
        FROM picked p
        LEFT JOIN attrs USING (response_id)
        LEFT JOIN packed USING (response_id)
        LEFT JOIN losses USING (response_id)
    )
    SELECT * EXCLUDE (response_id), {dimension_columns} FROM items
"""
PICKED = "WHERE response_id IN (SELECT response_id FROM picked)"
# Only rows appended since a mark (rowid at or after it), for adding new responses to cells already read.
SINCE = "WHERE rowid >= ${mark} AND response_id IN (SELECT response_id FROM picked)"
LONG_TABLES = ("responses", "answers", "response_attributes", "value_choices")

# What was appended to each table since the marks of the last full read, and whether it is only that:
# every new answer, attribute and loss row must belong to a response appended after the mark too.
APPENDED_SQL = """
    WITH fresh AS (SELECT response_id, campaign_id, wave FROM responses WHERE rowid >= $m_responses)
    SELECT (SELECT count(*) FROM fresh),
           (SELECT coalesce(max(rowid) + 1, $m_responses) FROM responses WHERE rowid >= $m_responses),
           (SELECT count(*) FROM fresh WHERE campaign_id = $campaign AND wave = $wave),
           (SELECT coalesce(bit_xor(hash(response_id)), 0) FROM fresh WHERE campaign_id = $campaign AND wave = $wave),
           {tables}
"""
APPENDED_TABLE_SQL = """
           (SELECT count(*) FROM {table} WHERE rowid >= $m_{table}),
           (SELECT coalesce(max(rowid) + 1, $m_{table}) FROM {table} WHERE rowid >= $m_{table}),
           (SELECT count(*) FROM {table} WHERE rowid >= $m_{table} AND response_id NOT IN (SELECT response_id FROM fresh))"""
MARKS_SQL = "SELECT " + ", ".join(f"(SELECT coalesce(max(rowid) + 1, 0) FROM {t})" for t in LONG_TABLES)

# Cells of the matrix grouped by attributes, rows sorted so that adding them up later is done in the same order every time.
CELLS_SQL = """
    WITH matrix AS MATERIALIZED ({matrix}), unit_values AS (SELECT {attribute_columns}{unit_values} FROM matrix)
    SELECT {group_columns}{aggregates} FROM unit_values{group_by}{order_by}
"""


def quote(identifier: str) -> str:
    """A double-quoted SQL identifier; ids are validated on load, quoting keeps `-` and `:` legal."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A single-quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def attr_col(attribute: str) -> str:
    return quote(f"a:{attribute}")


def item_col(item_id: str) -> str:
    return quote(f"i:{item_id}")


def dim_col(dimension_id: str) -> str:
    return quote(f"d:{dimension_id}")


def loss_col(loss: str) -> str:
    return quote(f"l:{loss}")


@dataclass(frozen=True)
class CatalogueItem:
    item_id: str
    dimension: str
    reverse: bool
    scale_min: int
    scale_max: int


@dataclass(frozen=True)
class Unit:
    """What a cell statistic is computed from: a SQL expression over matrix columns (NULL = does not count).

    Values are whole numbers times `scale`, so every sum is exact and the same whatever order DuckDB
    adds rows in: pages, exports and the command line agree to the last digit. A dimension score (a
    mean of 1..m answers) times lcm(1..m) is a whole number; sums are divided back after fetching.
    """

    expression: str
    scale: int = 1
    bound: float = 1.0  # largest absolute value of the expression, to choose exact arithmetic


Columns = Mapping[str, np.ndarray]


@dataclass(frozen=True)
class RespondentMatrix:
    """One wave as the engine sees it: what was asked, how many answered, and the finest cells of every unit."""

    campaign_id: str
    wave: int
    instrument: Instrument
    catalogue: tuple[CatalogueItem, ...]
    respondents: int
    whole_table: bool
    cells: Columns = field(default_factory=dict, repr=False)
    _memo: dict[str, object] = field(default_factory=dict, repr=False, compare=False)
    # How the cells were read, so responses appended later can be added instead of reading everything again:
    # the cells with sums still multiplied by each unit's scale, the fingerprint row they belong to, and
    # per long table the rowid mark after which rows were not read yet.
    # "full": every response read; "appended": earlier cells plus the responses added since; "stored": the cells an
    # earlier read kept in the database (analysis.stored_cells), current as they were
    read: str = "full"
    scaled_cells: Columns = field(default_factory=dict, repr=False, compare=False)
    fingerprint: tuple = field(default=(), repr=False, compare=False)
    marks: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def scale_points(self) -> int:
        return self.instrument.scale.max - self.instrument.scale.min + 1

    @property
    def scale_mid(self) -> float:
        return (self.instrument.scale.min + self.instrument.scale.max) / 2

    def items_of(self, dimension_id: str) -> tuple[str, ...]:
        return tuple(c.item_id for c in self.catalogue if c.dimension == dimension_id)

    @property
    def dimension_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.dimension for c in self.catalogue))

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(c.item_id for c in self.catalogue)

    @property
    def attributes(self) -> tuple[str, ...]:
        return tuple(self.instrument.attributes)

    @property
    def losses(self) -> tuple[str, ...]:
        vas = self.instrument.value_at_stake
        return tuple(vas.losses) if vas else ()

    def memo(self, name: str, compute: Callable[[], object]) -> object:
        """A value derived from this wave's data (e.g. one item's answer distribution), computed once."""
        if name not in self._memo:
            self._memo[name] = compute()
        return self._memo[name]

    def sql(self) -> str:
        """The matrix query of this wave (parameters $campaign and $wave)."""
        return matrix_sql(self.instrument, self.catalogue, self.whole_table)


def _pack_base(catalogue: tuple[CatalogueItem, ...]) -> int:
    """The value stored as 1 in a slot (the lowest scale point), so every answer fits 1..255 and 0 means none."""
    return min((c.scale_min for c in catalogue), default=0)


def _reverse_scored(item: CatalogueItem, position: int, base: int) -> str:
    """Unpack one answer from its slot and apply the reverse key (min + max − value)."""
    pack, shift = divmod(position, SLOTS)
    raw = f"(CAST(NULLIF((p{pack} >> {SLOTS * shift}) & 255, 0) AS INTEGER) - 1 + ({base}))"
    value = f"{item.scale_min + item.scale_max} - {raw}" if item.reverse else raw
    return f"CAST({value} AS SMALLINT) AS {item_col(item.item_id)}"


def _dimension_score(dimension_id: str, items: list[str]) -> str:
    """Mean of the answered items if at least half were answered; 2*answered >= items keeps the rule in integers."""
    answered = " + ".join(f"CAST({item_col(i)} IS NOT NULL AS INTEGER)" for i in items)
    total = " + ".join(f"coalesce({item_col(i)}, 0)" for i in items)
    return f"CASE WHEN 2 * ({answered}) >= {len(items)} THEN CAST({total} AS DOUBLE) / ({answered}) END AS {dim_col(dimension_id)}"


def matrix_sql(instrument: Instrument, catalogue: tuple[CatalogueItem, ...], whole_table: bool = False, since: bool = False) -> str:
    """The respondent matrix of one wave as a query; parameters $campaign and $wave.

    With `since`, only responses appended at or after the marks $m_<table> (rowids) are read.
    """
    attributes = list(instrument.attributes)
    losses = list(instrument.value_at_stake.losses) if instrument.value_at_stake else []
    packs = max(1, math.ceil(len(catalogue) / SLOTS))
    slots = ", ".join(f"({literal(c.item_id)}, {k // SLOTS}, {SLOTS * (k % SLOTS)})" for k, c in enumerate(catalogue)) or "(NULL, 0, 0)"
    base = _pack_base(catalogue)
    pack_columns = ", ".join(
        f"bit_or(CAST(value - ({base}) + 1 AS UBIGINT) << CAST(shift AS UBIGINT)) FILTER (WHERE pack = {p}) AS p{p}" for p in range(packs)
    )
    by_dim: dict[str, list[str]] = {}
    for c in catalogue:
        by_dim.setdefault(c.dimension, []).append(c.item_id)

    def picked(table: str) -> str:
        """The filter of one long table: rows appended after its mark, the wave's responses, or none (the whole table is the wave)."""
        return SINCE.format(mark=f"m_{table}") if since else "" if whole_table else PICKED

    return MATRIX_SQL.format(
        slots=slots,
        since_responses=" AND rowid >= $m_responses" if since else "",
        picked_attributes=picked("response_attributes"),
        picked_answers=picked("answers"),
        picked_losses=picked("value_choices"),
        attribute_pivot=", ".join(f"max(CASE WHEN attribute = {literal(a)} THEN value END) AS {attr_col(a)}" for a in attributes),
        packs=pack_columns,
        loss_pivot=", ".join(f"bool_or(loss = {literal(x)}) AS {loss_col(x)}" for x in losses) or "true AS _none",
        attribute_columns=", ".join(attr_col(a) for a in attributes),
        item_columns=", ".join(_reverse_scored(c, k, base) for k, c in enumerate(catalogue)),
        loss_columns=", ".join(
            [f"coalesce({loss_col(x)}, false) AS {loss_col(x)}" for x in losses] + ["losses.response_id IS NOT NULL AS vb"]
        ),
        dimension_columns=", ".join(_dimension_score(d, items) for d, items in by_dim.items()),
    )


def _scaled_dimension_score(items: list[str], top: int) -> Unit:
    """score × lcm(1..m): the total of the answered items times lcm / answered, when at least half are answered."""
    scale = math.lcm(*range(1, len(items) + 1))
    answered = " + ".join(f"CAST({item_col(i)} IS NOT NULL AS INTEGER)" for i in items)
    total = " + ".join(f"coalesce(CAST({item_col(i)} AS BIGINT), 0)" for i in items)
    return Unit(f"CASE WHEN 2 * ({answered}) >= {len(items)} THEN ({total}) * ({scale} // ({answered})) END", scale, float(top * scale))


def matrix_units(matrix: RespondentMatrix) -> dict[str, Unit]:
    """Every unit of a wave, keyed as the cube names them.

    "respondents" (everyone), "d:<dimension>" (dimension scores), "i:<item>" (reverse-scored items),
    "l:<loss>" (1 when named, 0 when not, among respondents who answered the value block),
    "c:<dimension>" (sum of the dimension's items for respondents who answered all of them),
    "c:<dimension>:<item>" (the item over those same complete respondents), which Cronbach's alpha needs, and
    "p:<dimension>:<s>" (1 for respondents who answered exactly s of the dimension's items), which only the
    disclosure audit reads (analysis.disclosure: don't-knows link a dimension to its items).
    """
    top = max([abs(matrix.instrument.scale.min), abs(matrix.instrument.scale.max), 1])
    units = {"respondents": Unit("1")}
    units.update({f"d:{d}": _scaled_dimension_score(list(matrix.items_of(d)), top) for d in matrix.dimension_ids})
    units.update({f"i:{i}": Unit(item_col(i), 1, top) for i in matrix.item_ids})
    units.update({f"l:{x}": Unit(f"CASE WHEN vb THEN CAST({loss_col(x)} AS INTEGER) END") for x in matrix.losses})
    for dimension in matrix.dimension_ids:
        items = matrix.items_of(dimension)
        complete = " AND ".join(f"{item_col(i)} IS NOT NULL" for i in items)
        total = " + ".join(f"CAST({item_col(i)} AS INTEGER)" for i in items)
        units[f"c:{dimension}"] = Unit(f"CASE WHEN {complete} THEN {total} END", 1, float(top * len(items)))
        units.update({f"c:{dimension}:{i}": Unit(f"CASE WHEN {complete} THEN {item_col(i)} END", 1, top) for i in items})
        answered = " + ".join(f"CAST({item_col(i)} IS NOT NULL AS INTEGER)" for i in items)
        units.update({f"p:{dimension}:{size}": Unit(f"CASE WHEN {answered} = {size} THEN 1 END") for size in range(1, len(items) + 1)})
    return units


def wide_units(units: Mapping[str, Unit], rows: int) -> tuple[str, ...]:
    """Units whose sum of squares over `rows` respondents could pass 2^53, so DOUBLE would no longer be exact."""
    return tuple(key for key, unit in units.items() if max(rows, 1) * unit.bound * unit.bound >= 2.0**53)


def unit_values_sql(units: Mapping[str, Unit], rows: int) -> str:
    """Each unit's value per respondent, computed once: "u<k>" in DOUBLE, or HUGEINT where DOUBLE could round."""
    wide = set(wide_units(units, rows))
    return ", ".join(
        f"CAST({unit.expression} AS {'HUGEINT' if key in wide else 'DOUBLE'}) AS u{k}" for k, (key, unit) in enumerate(units.items())
    )


def aggregates_sql(units: Mapping[str, Unit], rows: int) -> str:
    """count, sum and sum of squares per unit (over the "u<k>" columns), in arithmetic that is exact for `rows` respondents.

    Sums of whole numbers in DOUBLE are exact while they stay below 2^53, in any order; a unit whose
    sum of squares could pass that (large scales, long dimensions, many respondents) is added in HUGEINT.
    Each unit's expression appears once (in unit_values_sql), which keeps the query small to plan.
    """
    wide = set(wide_units(units, rows))
    parts = []
    for k, key in enumerate(units):
        total, squares = f"sum(u{k})", f"sum(u{k} * u{k})"
        if key in wide:
            total, squares = f"CAST({total} AS DOUBLE)", f"CAST({squares} AS DOUBLE)"
        parts.append(f"count(u{k}) AS {quote('n|' + key)}")
        parts.append(f"{total} AS {quote('s|' + key)}")
        parts.append(f"{squares} AS {quote('q|' + key)}")
    return ", ".join(parts)


def fetch_columns(con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, object]) -> dict[str, np.ndarray]:
    """Result columns as plain arrays; NULL becomes None in text columns and 0 in numbers (an empty sum)."""
    raw = con.execute(sql, dict(params)).fetchnumpy()
    out = {}
    for name, column in raw.items():
        if np.ma.isMaskedArray(column):
            column = column.filled(None if column.dtype == object else 0)
        out[name] = np.asarray(column)
    return out


def cell_rows(
    con: duckdb.DuckDBPyConnection,
    matrix: RespondentMatrix,
    attributes: tuple[str, ...],
    units: Mapping[str, Unit],
    since: Mapping[str, int] | None = None,
) -> dict[str, np.ndarray]:
    """One pass from storage: the matrix grouped by the attributes, n / sum / sum of squares per unit.

    Sums stay multiplied by each unit's scale (whole numbers, exact in any order, so cells read at
    different times add up to the last digit); `descaled` divides them back. With `since` (rowid marks
    per table) only responses appended after the marks are read.
    """
    sql = CELLS_SQL.format(
        matrix=matrix_sql(matrix.instrument, matrix.catalogue, matrix.whole_table, since=since is not None),
        attribute_columns="".join(f"{attr_col(a)}, " for a in attributes),
        unit_values=unit_values_sql(units, matrix.respondents),
        group_columns="".join(f"{attr_col(a)} AS {quote(a)}, " for a in attributes),
        aggregates=aggregates_sql(units, matrix.respondents),
        group_by=" GROUP BY ALL" if attributes else "",
        order_by=(" ORDER BY " + ", ".join(f"{quote(a)} NULLS LAST" for a in attributes)) if attributes else "",
    )
    params: dict[str, object] = {"campaign": matrix.campaign_id, "wave": matrix.wave}
    params.update({f"m_{table}": mark for table, mark in (since or {}).items()})
    return fetch_columns(con, sql, params)


def descaled(rows: Columns, units: Mapping[str, Unit]) -> dict[str, np.ndarray]:
    """Cell sums divided back by each unit's scale (what the cube adds up)."""
    out = dict(rows)
    for key, unit in units.items():
        if unit.scale != 1:
            out[f"s|{key}"] = np.asarray(rows[f"s|{key}"]) / unit.scale
            out[f"q|{key}"] = np.asarray(rows[f"q|{key}"]) / unit.scale**2
    return out


def merged_cells(old: Columns, new: Columns, attributes: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Cells of two disjoint sets of respondents added up per cell, one row per cell (scaled sums: whole numbers, exact)."""
    joined = {name: np.concatenate([np.asarray(old[name]), np.asarray(new[name])]) for name in old}
    keys = list(zip(*(joined[a] for a in attributes), strict=True)) if attributes else [()] * len(next(iter(joined.values())))
    cells = sorted(set(keys), key=lambda cell: tuple((value is None, value or "") for value in cell))
    position = {cell: i for i, cell in enumerate(cells)}
    inverse = np.fromiter((position[key] for key in keys), dtype=np.int64, count=len(keys))
    out: dict[str, np.ndarray] = {a: np.array([cell[i] for cell in cells], dtype=object) for i, a in enumerate(attributes)}
    for name, column in joined.items():
        if name not in out:
            out[name] = np.bincount(inverse, weights=column.astype(float), minlength=len(cells))
    return out


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
    return tuple(CatalogueItem(r[0], r[1], bool(r[2]), int(r[3]), int(r[4])) for r in rows)


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
        row = con.execute(FINGERPRINT_SQL, params).fetchone()
        if row is None:
            raise CampaignError(f"campaign '{campaign_id}' has no wave {wave}")
        key, wave_key = (campaign_id, wave, *row), (row[0], campaign_id, wave)
        found = _CACHE.get(key)
        if found is not None:
            return found
        instrument = _instrument(con, campaign_id, wave, (row[1], row[2]))
        catalogue = item_catalogue(con, campaign_id, wave)
        respondents, all_responses = int(row[3]), int(row[5])
        shell = RespondentMatrix(campaign_id, wave, instrument, catalogue, respondents, whole_table=respondents == all_responses)
        units = matrix_units(shell)
        layout = cells_layout(shell.attributes, units)
        previous = _CACHE.latest(wave_key) or _stored(con, shell, units, layout, row[0])
        if previous is not None and previous.fingerprint == tuple(row):
            return _CACHE.put(key, wave_key, previous)
        grown = _with_appended(con, previous, shell, units, row) if previous is not None else None
        if grown is None:
            marks = dict(zip(LONG_TABLES, con.execute(MARKS_SQL).fetchone(), strict=True))
            grown = _complete(shell, units, cell_rows(con, shell, shell.attributes, units), tuple(row), marks)
    if own and _CACHE.save_due(wave_key, full=grown.read == "full"):
        save_cells(con, campaign_id, wave, layout, shell.attributes, grown.fingerprint, grown.marks, grown.scaled_cells)
    return _CACHE.put(key, wave_key, grown)


def _stored(
    con: duckdb.DuckDBPyConnection, shell: RespondentMatrix, units: Mapping[str, Unit], layout: str, path: str
) -> RespondentMatrix | None:
    """The wave as stored by an earlier read (any process), with this database's path in its fingerprint."""
    stored = load_cells(con, shell.campaign_id, shell.wave, layout, shell.attributes)
    if stored is None:
        return None
    fingerprint = (path, *stored.fingerprint[1:])
    base = replace(shell, respondents=int(fingerprint[3]), whole_table=int(fingerprint[3]) == int(fingerprint[5]))
    return _complete(base, units, stored.cells, fingerprint, stored.marks, read="stored")


def _complete(
    shell: RespondentMatrix, units: Mapping[str, Unit], scaled: Columns, row: tuple, marks: Mapping[str, int], read: str = "full"
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
        fingerprint=row,
        marks=marks,
    )


def _with_appended(
    con: duckdb.DuckDBPyConnection, previous: RespondentMatrix, shell: RespondentMatrix, units: Mapping[str, Unit], row: tuple
) -> RespondentMatrix | None:
    """`previous` plus the responses appended since it was read; None when storage changed in any other way.

    Exact or nothing: every table must have grown by exactly the rows after its mark, all of them
    belonging to responses after the responses mark, and the wave's count and id hash must be the old
    ones plus the new ones. A deletion, a restore or an instrument change fails a check: read everything.
    """
    old = previous.fingerprint
    if old[:3] != row[:3] or wide_units(units, previous.respondents) != wide_units(units, shell.respondents):
        return None
    params = {"campaign": shell.campaign_id, "wave": shell.wave, **{f"m_{t}": m for t, m in previous.marks.items()}}
    tables = ",".join(APPENDED_TABLE_SQL.format(table=t) for t in LONG_TABLES[1:])
    found = con.execute(APPENDED_SQL.format(tables=tables), params).fetchone()
    fresh, responses_mark, wave_new, wave_ids = found[:4]
    if fresh != row[5] - old[5] or shell.respondents != old[3] + wave_new or int(row[4]) != int(old[4]) ^ int(wave_ids):
        return None
    marks = {"responses": int(responses_mark)}
    for position, table in enumerate(LONG_TABLES[1:]):
        count, mark, stray = found[4 + 3 * position : 7 + 3 * position]
        if count != row[6 + position] - old[6 + position] or stray:
            return None
        marks[table] = int(mark)
    scaled = previous.scaled_cells
    if wave_new:
        scaled = merged_cells(scaled, cell_rows(con, shell, shell.attributes, units, since=previous.marks), shell.attributes)
    return _complete(shell, units, scaled, row, marks, read="appended")


def respondent_scores(con: duckdb.DuckDBPyConnection, campaign_id: str, wave: int) -> pd.DataFrame:
    """The respondent matrix itself, one row per person: for checking the scoring, never for display."""
    matrix = respondent_matrix(con, campaign_id, wave)
    return con.execute(matrix.sql(), {"campaign": campaign_id, "wave": wave}).df()
