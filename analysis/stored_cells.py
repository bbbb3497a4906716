"""A wave's finest cells kept in the database (table `wave_cells`), so a restarted server or another process starts from them.

What is kept is exactly what `analysis.scoring` holds in memory after reading a wave: per finest
cell (one row per combination of attribute options) the count, scaled sum and scaled sum of squares
of every unit, the fingerprint of the stored responses they were computed from, and the rowid marks
after which rows had not been read. They are sufficient statistics kept as a cache, never a source:
a reader takes them only when their layout (attributes and unit definitions, hashed) is the one the
code computes now and either the fingerprint is the current one, or the exact appended-rows checks of
`scoring` pass from their marks. Anything else reads the wave again and stores the new cells.

Deleting a wave or campaign removes its row with the wave (retention deletes every table keyed by
campaign and wave); undoing an import clears the rows of its wave. Stored as an Arrow IPC stream (no
pickle: a tampered file cannot run code) and checked with pandera on the way in and on the way out;
a row that fails is ignored and the wave read again. Writing is best effort: a conflict with another
writer, a full disk or a read-only file leaves the dashboard working, only the next process pays the
full read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache

import duckdb
import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pyarrow_lib

from analysis.matrix_sql import Fingerprint
from survey.schemas import IS_TEXT
from survey.store import in_transaction

LOAD_SQL = "SELECT layout, fingerprint, marks, cells FROM wave_cells WHERE campaign_id = $campaign AND wave = $wave"
SAVE_SQL = """
    INSERT OR REPLACE INTO wave_cells (campaign_id, wave, layout, fingerprint, marks, cells, written_at)
    VALUES ($campaign, $wave, $layout, $fingerprint, $marks, $cells, current_timestamp)
"""

_NUMBERS = r"^[nsq]\|.+$"


@dataclass(frozen=True)
class StoredCells:
    """Cells as kept: scaled sums, the fingerprint row they belong to (database path left out) and the rowid marks."""

    fingerprint: Fingerprint
    marks: dict[str, int]
    cells: dict[str, np.ndarray]


def cells_layout(attributes: tuple[str, ...], units: Mapping[str, object]) -> str:
    """A hash of what the cell columns mean: attribute order and every unit's expression, scale and bound."""
    described = [list(attributes), [[key, repr(unit)] for key, unit in units.items()]]
    return hashlib.sha256(json.dumps(described).encode("utf-8")).hexdigest()


def _numbers(frame: pd.DataFrame, attributes: tuple[str, ...], prefixes: str = "nsq") -> np.ndarray:
    names = [c for c in frame.columns if c not in attributes and c[:1] in prefixes]
    return frame[names].to_numpy(dtype=np.float64) if names else np.zeros((len(frame), 0))


@lru_cache(maxsize=64)
def cells_schema(attributes: tuple[str, ...]) -> pa.DataFrameSchema:
    """Attribute columns hold option ids or nothing; every other column is a count (n|…), scaled sum (s|…) or
    sum of squares (q|…) in float64, all finite, counts whole and ≥ 0, squares ≥ 0.

    The number block (a few hundred columns) is checked as one array: a pandera column per statistic would
    cost more than reading the wave again.
    """

    def named(frame: pd.DataFrame) -> bool:
        return all(c in attributes or (c[:2] in ("n|", "s|", "q|") and len(c) > 2) for c in frame.columns)

    def floats(frame: pd.DataFrame) -> bool:
        dtypes = frame.dtypes  # one Series, not a column lookup per statistic (there are hundreds)
        return all(dtype == np.float64 for c, dtype in dtypes.items() if c not in attributes)

    def finite(frame: pd.DataFrame) -> bool:
        return bool(np.isfinite(_numbers(frame, attributes)).all())

    def counts(frame: pd.DataFrame) -> bool:
        n = _numbers(frame, attributes, "n")
        return bool((n >= 0).all() and (n == np.floor(n)).all() and (_numbers(frame, attributes, "q") >= 0).all())

    return pa.DataFrameSchema(
        {a: pa.Column(None, [IS_TEXT], nullable=True) for a in attributes},
        checks=[
            pa.Check(named, error="a column is neither an attribute nor n|, s| or q| of a unit"),
            pa.Check(floats, error="a statistic is not float64"),
            pa.Check(finite, error="a statistic is not finite"),
            pa.Check(counts, error="a count is negative or fractional, or a sum of squares negative"),
        ],
        ordered=True,
        name="wave_cells",
    )


def _frame(cells: Mapping[str, np.ndarray], attributes: tuple[str, ...]) -> pd.DataFrame:
    data = {
        name: (np.asarray(column, dtype=object) if name in attributes else np.asarray(column, dtype=np.float64))
        for name, column in cells.items()
    }
    return pd.DataFrame(data)


def encode(cells: Mapping[str, np.ndarray], attributes: tuple[str, ...]) -> bytes:
    """Cells (checked) as an Arrow IPC stream."""
    frame = cells_schema(attributes).validate(_frame(cells, attributes))
    table = pyarrow_lib.Table.from_pandas(frame, preserve_index=False)
    sink = pyarrow_lib.BufferOutputStream()
    with pyarrow_lib.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def decode(blob: bytes, attributes: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Cells back from an Arrow IPC stream, checked; raises pandera's SchemaError or ArrowInvalid when damaged."""
    table = pyarrow_lib.ipc.open_stream(pyarrow_lib.py_buffer(blob)).read_all()
    frame = cells_schema(attributes).validate(table.to_pandas())
    return {name: frame[name].to_numpy(dtype=object if name in attributes else np.float64) for name in frame.columns}


def load_cells(con: duckdb.DuckDBPyConnection, campaign_id: str, wave: int, layout: str, attributes: tuple[str, ...]) -> StoredCells | None:
    """The wave's stored cells when they were computed with this layout and can be read back intact, else None."""
    row = con.execute(LOAD_SQL, {"campaign": campaign_id, "wave": wave}).fetchone()
    if row is None:
        return None
    stored_layout, stored_fingerprint, stored_marks, blob = row
    if stored_layout != layout:
        return None
    try:
        cells = decode(blob, attributes)
        fingerprint, marks = Fingerprint(*json.loads(stored_fingerprint))._replace(database=None), json.loads(stored_marks)
    except (pa.errors.SchemaError, pyarrow_lib.ArrowException, ValueError, TypeError):
        return None
    return StoredCells(fingerprint, {str(t): int(m) for t, m in marks.items()}, cells)


def save_cells(
    con: duckdb.DuckDBPyConnection,
    campaign_id: str,
    wave: int,
    layout: str,
    attributes: tuple[str, ...],
    fingerprint: Fingerprint,
    marks: Mapping[str, int],
    cells: Mapping[str, np.ndarray],
) -> bool:
    """Keep the cells for other processes, in a transaction of its own; False (nothing written) when the write fails."""
    if in_transaction(con):
        return False
    params = {
        "campaign": campaign_id,
        "wave": wave,
        "layout": layout,
        "fingerprint": json.dumps(fingerprint._replace(database=None)),
        "marks": json.dumps(dict(marks)),
        "cells": encode(cells, attributes),
    }
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute(SAVE_SQL, params)
        con.execute("COMMIT")
    except duckdb.Error:
        with suppress(duckdb.Error):
            con.execute("ROLLBACK")
        return False
    return True
