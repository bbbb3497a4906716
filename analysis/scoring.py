"""Respondent-level scores: one row per respondent of a wave, reverse keys applied, dimension scores, built in DuckDB.

The matrix is the only place answers are read from storage. Every aggregate the engine shows is a
`GROUP BY` over it, so the long `answers` table (30 rows per respondent, keyed by text ids) is
scanned once per wave instead of once per chart. The matrix never leaves the engine: it holds one
row per person and is not for display.

Columns of the matrix table (quoted identifiers, because ids may contain `-`):
    "a:<attribute>"  VARCHAR   option id, NULL when the respondent did not state it
    "i:<item>"       SMALLINT  the answer reverse-scored (min + max - value), NULL for don't know
    "d:<dimension>"  DOUBLE    mean of the answered items if at least half were answered, else NULL
    "l:<loss>"       BOOLEAN   named this loss in the value-at-stake block
    "vb"             BOOLEAN   named at least one loss (answered the block)

Built matrices are kept in an in-memory DuckDB workspace keyed by the database file and a
fingerprint of the stored responses (count and hash of the wave's response ids plus the row counts
of the answer tables), so a new or deleted response rebuilds it and nothing else does: stored
responses are never edited, only added or deleted.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from survey.campaigns import CampaignError, campaign_instrument
from survey.instrument import Instrument

MAX_CACHED_MATRICES = 8

ITEM_CATALOGUE_SQL = """
    SELECT ii.item_id, ii.dimension, ii.reverse, ii.scale_min, ii.scale_max
    FROM waves w JOIN instrument_items ii ON ii.instrument_key = w.instrument_key
    WHERE w.campaign_id = $campaign AND w.wave = $wave
    ORDER BY ii.dim_pos, ii.item_pos
"""

FINGERPRINT_SQL = """
    SELECT (SELECT path FROM duckdb_databases() WHERE database_name = current_database()),
           w.instrument_key,
           (SELECT count(*) FROM responses WHERE campaign_id = $campaign AND wave = $wave),
           (SELECT coalesce(bit_xor(hash(response_id)), 0) FROM responses WHERE campaign_id = $campaign AND wave = $wave),
           (SELECT count(*) FROM answers),
           (SELECT count(*) FROM response_attributes),
           (SELECT count(*) FROM value_choices)
    FROM waves w WHERE w.campaign_id = $campaign AND w.wave = $wave
"""

# One pass over each long table for the wave's respondents; {placeholders} are column lists built
# from the instrument (ids are validated identifiers, quoted again here).
MATRIX_SQL = """
    WITH picked AS (
        SELECT response_id FROM responses WHERE campaign_id = $campaign AND wave = $wave
    ), attrs AS (
        SELECT response_id, {attribute_pivot}
        FROM response_attributes WHERE response_id IN (SELECT response_id FROM picked)
        GROUP BY response_id
    ), raw AS (
        SELECT response_id, {item_pivot}
        FROM answers WHERE response_id IN (SELECT response_id FROM picked)
        GROUP BY response_id
    ), losses AS (
        SELECT response_id, {loss_pivot}
        FROM value_choices WHERE response_id IN (SELECT response_id FROM picked)
        GROUP BY response_id
    ), items AS (
        SELECT p.response_id, {attribute_columns}, {item_columns}, {loss_columns}
        FROM picked p
        LEFT JOIN attrs USING (response_id)
        LEFT JOIN raw USING (response_id)
        LEFT JOIN losses USING (response_id)
    )
    SELECT * EXCLUDE (response_id), {dimension_columns} FROM items
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
class RespondentMatrix:
    """A built matrix: where it lives in the workspace and what the wave asked."""

    table: str
    campaign_id: str
    wave: int
    instrument: Instrument
    catalogue: tuple[CatalogueItem, ...]
    respondents: int

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

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor on the workspace that holds this matrix (one per query, so threads never share one)."""
        return _WORKSPACE.cursor()

    def memo(self, name: str, compute: Callable[[], object]) -> object:
        """A value derived from this matrix (e.g. its finest cells), computed once and dropped with it."""
        return _WORKSPACE.memo(self.table, name, compute)


def _reverse_scored(item: CatalogueItem) -> str:
    col = quote(f"r:{item.item_id}")
    if item.reverse:
        return f"CAST({item.scale_min + item.scale_max} - {col} AS SMALLINT) AS {item_col(item.item_id)}"
    return f"CAST({col} AS SMALLINT) AS {item_col(item.item_id)}"


def _dimension_score(dimension_id: str, items: list[str]) -> str:
    """Mean of the answered items if at least half were answered; 2*answered >= items keeps the rule in integers."""
    answered = " + ".join(f"CAST({item_col(i)} IS NOT NULL AS INTEGER)" for i in items)
    total = " + ".join(f"coalesce({item_col(i)}, 0)" for i in items)
    return f"CASE WHEN 2 * ({answered}) >= {len(items)} THEN CAST({total} AS DOUBLE) / ({answered}) END AS {dim_col(dimension_id)}"


def matrix_sql(instrument: Instrument, catalogue: tuple[CatalogueItem, ...]) -> str:
    """The build query for one wave; parameters $campaign and $wave."""
    attributes = list(instrument.attributes)
    losses = list(instrument.value_at_stake.losses) if instrument.value_at_stake else []
    attribute_pivot = ", ".join(f"max(CASE WHEN attribute = {literal(a)} THEN value END) AS {attr_col(a)}" for a in attributes)
    item_pivot = ", ".join(f"max(CASE WHEN item_id = {literal(c.item_id)} THEN value END) AS {quote('r:' + c.item_id)}" for c in catalogue)
    loss_pivot = ", ".join(f"bool_or(loss = {literal(x)}) AS {loss_col(x)}" for x in losses) or "true AS _none"
    loss_columns = ", ".join(
        [f"coalesce({loss_col(x)}, false) AS {loss_col(x)}" for x in losses] + ["losses.response_id IS NOT NULL AS vb"]
    )
    by_dim: dict[str, list[str]] = {}
    for c in catalogue:
        by_dim.setdefault(c.dimension, []).append(c.item_id)
    return MATRIX_SQL.format(
        attribute_pivot=attribute_pivot,
        item_pivot=item_pivot,
        loss_pivot=loss_pivot,
        attribute_columns=", ".join(attr_col(a) for a in attributes),
        item_columns=", ".join(_reverse_scored(c) for c in catalogue),
        loss_columns=loss_columns,
        dimension_columns=", ".join(_dimension_score(d, items) for d, items in by_dim.items()),
    )


class _Workspace:
    """An in-memory DuckDB holding built matrices, least recently used dropped first."""

    def __init__(self) -> None:
        self._con = duckdb.connect(":memory:")
        self._lock = threading.Lock()
        self._built: OrderedDict[tuple, RespondentMatrix] = OrderedDict()
        self._counter = 0
        self._memos: dict[str, dict[str, object]] = {}

    def cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            return self._con.cursor()

    def get(self, key: tuple) -> RespondentMatrix | None:
        with self._lock:
            found = self._built.get(key)
            if found is not None:
                self._built.move_to_end(key)
            return found

    def put(
        self, key: tuple, build: duckdb.DuckDBPyConnection, sql: str, params: dict, make: Callable[[str, int], RespondentMatrix]
    ) -> RespondentMatrix:
        frame = build.execute(sql, params).to_arrow_table()
        with self._lock:
            if key in self._built:
                return self._built[key]
            self._counter += 1
            table = f"m{self._counter}"
            cur = self._con.cursor()
            try:
                cur.register("_incoming", frame)
                cur.execute(f"CREATE TABLE {table} AS SELECT * FROM _incoming")
                cur.unregister("_incoming")
            finally:
                cur.close()
            matrix = make(table, frame.num_rows)
            self._built[key] = matrix
            while len(self._built) > MAX_CACHED_MATRICES:
                _, old = self._built.popitem(last=False)
                self._drop(old.table)
            return matrix

    def memo(self, table: str, name: str, compute: Callable[[], object]) -> object:
        """A value computed once per matrix (outside the lock, so a slow computation blocks no other view)."""
        with self._lock:
            found = self._memos.get(table, {}).get(name)
        if found is not None:
            return found
        value = compute()
        with self._lock:
            if any(m.table == table for m in self._built.values()):
                self._memos.setdefault(table, {})[name] = value
        return value

    def _drop(self, table: str) -> None:
        self._memos.pop(table, None)
        self._con.execute(f"DROP TABLE IF EXISTS {table}")

    def clear(self) -> None:
        with self._lock:
            for matrix in self._built.values():
                self._drop(matrix.table)
            self._built.clear()


_WORKSPACE = _Workspace()


def clear_matrices() -> None:
    """Forget every built matrix (tests use it to measure a cold build)."""
    _WORKSPACE.clear()


def item_catalogue(con: duckdb.DuckDBPyConnection, campaign_id: str, wave: int) -> tuple[CatalogueItem, ...]:
    """Items of the wave's instrument with their key and scale, as stored in instrument_items."""
    rows = con.execute(ITEM_CATALOGUE_SQL, {"campaign": campaign_id, "wave": wave}).fetchall()
    return tuple(CatalogueItem(r[0], r[1], bool(r[2]), int(r[3]), int(r[4])) for r in rows)


def respondent_matrix(con: duckdb.DuckDBPyConnection, campaign_id: str, wave: int) -> RespondentMatrix:
    """The wave's respondent matrix, built once per content fingerprint and reused by every view."""
    params = {"campaign": campaign_id, "wave": wave}
    row = con.execute(FINGERPRINT_SQL, params).fetchone()
    if row is None:
        raise CampaignError(f"campaign '{campaign_id}' has no wave {wave}")
    key = (campaign_id, wave, *row)
    found = _WORKSPACE.get(key)
    if found is not None:
        return found
    instrument = campaign_instrument(con, campaign_id, wave)
    catalogue = item_catalogue(con, campaign_id, wave)

    def make(table: str, rows: int) -> RespondentMatrix:
        return RespondentMatrix(table, campaign_id, wave, instrument, catalogue, rows)

    return _WORKSPACE.put(key, con, matrix_sql(instrument, catalogue), params, make)
