"""Sufficient statistics (n, sum, sum of squares) for every group cell, from DuckDB GROUP BYs over the matrix.

A cube over attributes (a1, ..., am) holds, per unit, the statistics of every conjunction
`a1 = x1 AND ... AND am = xm`, where each xi is one of the attribute's options, the *not stated*
slot (respondents who left the attribute empty) or the *any* slot (the attribute is not constrained).

One DuckDB GROUP BY per matrix produces the finest cells: grouped by every attribute, with n, sum
and sum of squares of every unit (a few hundred rows for a typical organisation, whatever the
number of respondents); they are fetched once and kept with the matrix. A view's cube adds those
rows up by the view's attributes, and every coarser cell (a filter, a breakdown, a total) is filled
in by adding along each axis: n, sums and sums of squares add up, so means, SDs and intervals of
any cell follow without another pass over respondents.

Axis layout: index 0..len(options)-1 are the options in instrument order, `len(options)` is
*not stated*, `len(options) + 1` is *any*. The last array axis runs over units.

Unit keys: "respondents" (everyone), "d:<dimension>" (dimension scores), "i:<item>" (reverse-scored
items), "l:<loss>" (1 when named, 0 when not, among respondents who answered the value block),
"c:<dimension>" (sum of the dimension's items, for respondents who answered all of them) and
"c:<dimension>:<item>" (the item over those same complete respondents), which Cronbach's alpha needs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from analysis.scoring import RespondentMatrix, attr_col, item_col, loss_col, quote

RESPONDENTS = "respondents"
STATS = ("n", "s", "q")

CELL_STATS_SQL = "SELECT {group_columns}{aggregates} FROM {table}{where}{group_by}"


@dataclass(frozen=True)
class Cube:
    """Per-cell statistics for a set of attributes; arrays shaped (*[len(options)+2 per attribute], units)."""

    attributes: tuple[str, ...]
    options: tuple[tuple[str, ...], ...]
    units: tuple[str, ...]
    n: np.ndarray
    s: np.ndarray
    q: np.ndarray

    def axis(self, attribute: str) -> int:
        return self.attributes.index(attribute)

    def index(self, fixed: Mapping[str, str]) -> tuple[int, ...]:
        """The cell index for `attribute = option` conditions; attributes not named are *any*."""
        out = []
        for attribute, options in zip(self.attributes, self.options, strict=True):
            out.append(options.index(fixed[attribute]) if attribute in fixed else len(options) + 1)
        return tuple(out)

    def unit(self, key: str) -> int:
        return self.units.index(key)


@dataclass(frozen=True)
class Unit:
    """A unit's SQL expression over matrix columns (NULL = does not count).

    Values are whole numbers times `scale`, so every sum is exact and the same whatever order DuckDB
    adds rows in: the pages, the exports and the command line then agree to the last digit. A dimension
    score (a mean of 1..m answers) times lcm(1..m) is a whole number; sums are divided back after fetching.
    """

    expression: str
    scale: int = 1


def _scaled_dimension_score(items: Sequence[str]) -> Unit:
    """score × lcm(1..m): the total of the answered items times lcm / answered, when at least half are answered."""
    scale = math.lcm(*range(1, len(items) + 1))
    answered = " + ".join(f"CAST({item_col(i)} IS NOT NULL AS INTEGER)" for i in items)
    total = " + ".join(f"coalesce(CAST({item_col(i)} AS BIGINT), 0)" for i in items)
    return Unit(f"CASE WHEN 2 * ({answered}) >= {len(items)} THEN ({total}) * ({scale} // ({answered})) END", scale)


def matrix_units(matrix: RespondentMatrix) -> dict[str, Unit]:
    """Every unit of a matrix and how it is computed."""
    units = {RESPONDENTS: Unit("1")}
    units.update({f"d:{d}": _scaled_dimension_score(matrix.items_of(d)) for d in matrix.dimension_ids})
    units.update({f"i:{i}": Unit(item_col(i)) for i in matrix.item_ids})
    units.update({f"l:{x}": Unit(f"CASE WHEN vb THEN CAST({loss_col(x)} AS INTEGER) END") for x in matrix.losses})
    for dimension in matrix.dimension_ids:
        items = matrix.items_of(dimension)
        complete = " AND ".join(f"{item_col(i)} IS NOT NULL" for i in items)
        units[f"c:{dimension}"] = Unit(f"CASE WHEN {complete} THEN {' + '.join(f'CAST({item_col(i)} AS INTEGER)' for i in items)} END")
        units.update({f"c:{dimension}:{i}": Unit(f"CASE WHEN {complete} THEN {item_col(i)} END") for i in items})
    return units


def _aggregates(units: Mapping[str, Unit]) -> str:
    """count, sum and sum of squares per unit, in exact integer arithmetic (HUGEINT), converted to DOUBLE at the end."""
    parts = []
    for key, unit in units.items():
        value = f"CAST({unit.expression} AS HUGEINT)"
        parts.append(f"count({unit.expression}) AS {quote('n|' + key)}")
        parts.append(f"CAST(sum({value}) AS DOUBLE) AS {quote('s|' + key)}")
        parts.append(f"CAST(sum({value} * {value}) AS DOUBLE) AS {quote('q|' + key)}")
    return ", ".join(parts)


Columns = Mapping[str, np.ndarray]


def _fetch(matrix: RespondentMatrix, sql: str) -> dict[str, np.ndarray]:
    """Result columns as plain arrays; NULL becomes None in text columns and 0 in numbers (an empty sum)."""
    cur = matrix.cursor()
    try:
        raw = cur.execute(sql).fetchnumpy()
    finally:
        cur.close()
    out = {}
    for name, column in raw.items():
        if np.ma.isMaskedArray(column):
            column = column.filled(None if column.dtype == object else 0)
        out[name] = np.asarray(column)
    return out


def finest_cells(matrix: RespondentMatrix) -> Columns:
    """The finest cells of a matrix (grouped by every attribute, every unit), from one GROUP BY, fetched once.

    Rows come sorted by their attribute values, so adding them up later happens in the same order every time.
    """

    def compute() -> Columns:
        units = matrix_units(matrix)
        rows = cell_rows(matrix, matrix.attributes, units, ordered=True)
        for key, unit in units.items():
            if unit.scale != 1:
                rows[f"s|{key}"] = rows[f"s|{key}"] / unit.scale
                rows[f"q|{key}"] = rows[f"q|{key}"] / unit.scale**2
        return rows

    return cast(Columns, matrix.memo("finest", compute))


def build_cube(matrix: RespondentMatrix, attributes: Sequence[str], units: Sequence[str] | None = None) -> Cube:
    """The cube of the given attributes for the given units (default: all), added up from the finest cells."""
    attributes = tuple(dict.fromkeys(attributes))
    keys = tuple(units) if units is not None else tuple(matrix_units(matrix))
    return cube_from_rows(finest_cells(matrix), attributes, option_lists(matrix, attributes), keys)


def cell_rows(
    matrix: RespondentMatrix,
    attributes: Sequence[str],
    units: Mapping[str, Unit],
    *,
    where: str | None = None,
    ordered: bool = False,
) -> dict[str, np.ndarray]:
    """Cells straight from the matrix: one GROUP BY over the given attributes (arrays `n|`, `s|`, `q|` per unit)."""
    attributes = tuple(dict.fromkeys(attributes))
    sql = CELL_STATS_SQL.format(
        group_columns="".join(f"{attr_col(a)} AS {quote(a)}, " for a in attributes),
        aggregates=_aggregates(units),
        table=matrix.table,
        where=f" WHERE {where}" if where else "",
        group_by=" GROUP BY ALL" if attributes else "",
    )
    if ordered and attributes:
        sql += " ORDER BY " + ", ".join(f"{quote(a)} NULLS LAST" for a in attributes)
    return _fetch(matrix, sql)


def option_lists(matrix: RespondentMatrix, attributes: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(matrix.instrument.attributes[a].options) for a in attributes)


def cube_from_rows(rows: Columns, attributes: tuple[str, ...], options: tuple[tuple[str, ...], ...], units: tuple[str, ...]) -> Cube:
    """Add cells up into the cube, then fill the *any* slots by summing along each axis.

    `rows` has one array per attribute and `n|<unit>`, `s|<unit>`, `q|<unit>` per unit; rows may be
    finer than `attributes` (the extra attributes are added up, sorted once and summed per cell).
    """
    inner = tuple(len(o) + 1 for o in options)
    shape = tuple(len(o) + 2 for o in options) + (len(units),)
    arrays = {stat: np.zeros(shape) for stat in STATS}
    count = len(next(iter(rows.values()))) if rows else 0
    if count:
        codes = []
        for attribute, opts in zip(attributes, options, strict=True):
            code = pd.Categorical(rows[attribute], categories=list(opts)).codes.astype(np.int64)  # unknown or NULL: -1
            codes.append(np.where(code < 0, len(opts), code))
        cell = np.ravel_multi_index(codes, inner) if attributes else np.zeros(count, dtype=np.int64)
        order = np.argsort(cell, kind="stable")
        ordered = cell[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        targets = np.unravel_index(ordered[starts], inner) if attributes else ()
        for stat in STATS:
            values = np.column_stack([np.asarray(rows[f"{stat}|{key}"], dtype=float) for key in units])
            sums = np.add.reduceat(values[order], starts, axis=0)
            arrays[stat][tuple(targets)] = sums if attributes else sums[0]
    for axis in range(len(attributes)):
        for array in arrays.values():
            lead = (slice(None),) * axis
            array[lead + (-1,)] = array[lead + (slice(0, -1),)].sum(axis=axis)
    return Cube(attributes, options, units, arrays["n"], arrays["s"], arrays["q"])
