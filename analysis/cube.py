"""Sufficient statistics (n, sum, sum of squares) for every group cell, from DuckDB GROUP BYs over the matrix.

A cube over attributes (a1, ..., am) holds, per unit, the statistics of every conjunction
`a1 = x1 AND ... AND am = xm`, where each xi is one of the attribute's options, the *not stated*
slot (respondents who left the attribute empty) or the *any* slot (the attribute is not constrained).

One DuckDB GROUP BY per wave produces the finest cells (analysis.cells, kept by analysis.scoring): grouped by every
attribute, with n, sum and sum of squares of every unit (a few hundred rows for a typical
organisation, whatever the number of respondents), kept with the wave. A view's cube adds those
rows up by the view's attributes, and every coarser cell (a filter, a breakdown, a total) is filled
in by adding along each axis: n, sums and sums of squares add up, so means, SDs and intervals of
any cell follow without another pass over respondents.

Axis layout: index 0..len(options)-1 are the options in instrument order, `len(options)` is
*not stated*, `len(options) + 1` is *any*. The last array axis runs over units.

Unit keys are those of analysis.matrix_sql.matrix_units (respondents, dimensions, items, losses, complete cases).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.matrix_sql import Columns, RespondentMatrix, cube_units

RESPONDENTS = "respondents"
STATS = ("n", "s", "q")


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


def build_cube(matrix: RespondentMatrix, attributes: Sequence[str], units: Sequence[str] | None = None) -> Cube:
    """The cube of the given attributes for the given units (default: all the rules judge), added up from the wave's finest cells."""
    attributes = tuple(dict.fromkeys(attributes))
    keys = tuple(units) if units is not None else tuple(cube_units(matrix))
    return cube_from_rows(matrix.cells, attributes, option_lists(matrix, attributes), keys)


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
