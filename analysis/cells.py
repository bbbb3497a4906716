"""Cell arithmetic: one GROUP BY pass from the respondent matrix to n / sum / sum of squares per unit and finest cell, and adding cells up.

Sums stay multiplied by each unit's scale while cells are read and added (whole numbers, exact in any
order); `descaled` divides them back for the cube.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import numpy as np

from analysis.matrix_sql import (
    Columns,
    RespondentMatrix,
    Unit,
    aggregates_sql,
    attr_col,
    counted_columns,
    matrix_sql,
    quote,
    unit_values_sql,
)

# Cells of the matrix grouped by attributes, rows sorted so that adding them up later is done in the same order every time.
CELLS_SQL = """
    WITH matrix AS MATERIALIZED ({matrix}), unit_values AS (SELECT {attribute_columns}{unit_values} FROM matrix)
    SELECT {group_columns}{aggregates} FROM unit_values{group_by}{order_by}
"""


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
    return counted_columns(fetch_columns(con, sql, params), units)


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
