"""The rating cube of a wave: targets, paired ambition and predictions per finest cell, aggregated in DuckDB, with verdicts of their own.

Dimension ratings (`dimension_ratings`: targets and meta-perception predictions) are not answers to
items, so they are kept out of the wave's main cube and its stored cells. This module reads them in
one GROUP BY over the same respondent matrix (same finest cells, same attributes), into a cube of the
same shape with these units:
    "respondents"    every respondent (the same counts as the main cube)
    "t:<dimension>"  the target, for respondents with both a target and a current score on the dimension
    "g:<dimension>"  target − current score, for those same respondents (the paired ambition gap)
    "x:<option>:<dimension>"  the prediction of how the reference option (e.g. level=shop_floor) rates the dimension

Verdicts: each unit starts from the rules (analysis.anonymity) and may only be shown where the main,
audited cube shows the matching cell (a target or gap cell where the dimension's score is shown, a
prediction cell where its respondents are shown); then the disclosure audit (analysis.disclosure)
runs over this cube, so no combination of rating cells determines a group below k either. Hiding
more cells than the main cube never reveals more: a smaller set of shown cells spans a smaller space.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import duckdb
import numpy as np
from threadpoolctl import threadpool_limits

from analysis.anonymity import COMBINATION, visibility
from analysis.cells import fetch_columns
from analysis.cube import RESPONDENTS, Cube, cube_from_rows, option_lists
from analysis.disclosure import protect
from analysis.matrix_sql import RespondentMatrix, Unit, aggregates_sql, attr_col, dim_col, literal, matrix_sql, quote, unit_values_sql
from analysis.scope import MAX_ATTRIBUTES, protected_cube

RATINGS_SQL = """
    WITH matrix AS MATERIALIZED ({matrix}), rated AS (
        SELECT response_id, {pivot}
        FROM dimension_ratings WHERE response_id IN (SELECT response_id FROM matrix) GROUP BY response_id
    ), unit_values AS (
        SELECT {attribute_columns}{unit_values} FROM matrix LEFT JOIN rated USING (response_id)
    )
    SELECT {group_columns}{aggregates} FROM unit_values{group_by}
"""


@dataclass(frozen=True)
class RatingCube:
    """The rating units of a wave's cells and their verdicts (shaped like the main cube)."""

    cube: Cube
    visible: np.ndarray
    reason: np.ndarray


def target_dimensions(matrix: RespondentMatrix) -> tuple[str, ...]:
    targets = matrix.instrument.targets
    return tuple(d for d in matrix.dimension_ids if targets is not None and d in targets.questions)


def predictions_asked(matrix: RespondentMatrix) -> tuple[tuple[str, str], ...]:
    """(reference option, dimension) for every prediction the instrument asks, in instrument order."""
    meta = matrix.instrument.meta_perception
    if meta is None:
        return ()
    return tuple((about, d) for about, questions in meta.questions.items() for d in matrix.dimension_ids if d in questions)


def rating_units(matrix: RespondentMatrix) -> dict[str, Unit]:
    """Every rating unit as an expression over the matrix joined to the pivoted ratings (None = does not count)."""
    top = float(max(abs(matrix.instrument.scale.min), abs(matrix.instrument.scale.max), 1))
    units = {RESPONDENTS: Unit("1")}
    for d in target_dimensions(matrix):
        target, current = quote(f"t:{d}"), dim_col(d)
        units[f"t:{d}"] = Unit(f"CASE WHEN {current} IS NOT NULL THEN {target} END", 1, top)
        units[f"g:{d}"] = Unit(f"{target} - {current}", 1, 2 * top)
    for about, d in predictions_asked(matrix):
        units[f"x:{about}:{d}"] = Unit(quote(f"x:{about}:{d}"), 1, top)
    return units


def ratings_sql(matrix: RespondentMatrix, units: dict[str, Unit]) -> str:
    """One pass: the wave's matrix with its ratings pivoted per respondent, grouped by every attribute."""
    pivot = [
        f"max(value) FILTER (WHERE kind = 'target' AND dimension = {literal(d)}) AS {quote(f't:{d}')}" for d in target_dimensions(matrix)
    ]
    pivot += [
        f"max(value) FILTER (WHERE kind = 'prediction' AND about = {literal(about)} AND dimension = {literal(d)}) AS {quote(f'x:{about}:{d}')}"
        for about, d in predictions_asked(matrix)
    ]
    attributes = matrix.attributes
    return RATINGS_SQL.format(
        matrix=matrix_sql(matrix.instrument, matrix.catalogue, matrix.whole_table, with_id=True),
        pivot=", ".join(pivot),
        attribute_columns="".join(f"{attr_col(a)}, " for a in attributes),
        unit_values=unit_values_sql(units, matrix.respondents),
        group_columns="".join(f"{attr_col(a)} AS {quote(a)}, " for a in attributes),
        aggregates=aggregates_sql(units, matrix.respondents),
        group_by=" GROUP BY ALL" if attributes else "",
    )


def rating_cube(con: duckdb.DuckDBPyConnection, matrix: RespondentMatrix, k: int) -> RatingCube | None:
    """The wave's rating cube with audited verdicts at threshold k (computed once per wave and k); None without rating blocks."""
    units = rating_units(matrix)
    if len(units) == 1:
        return None

    def compute() -> RatingCube:
        rows = fetch_columns(con, ratings_sql(matrix, units), {"campaign": matrix.campaign_id, "wave": matrix.wave})
        attributes = matrix.attributes
        cube = cube_from_rows(rows, attributes, option_lists(matrix, attributes), tuple(units))
        main, main_visible, main_reason = protected_cube(matrix, k)
        visible, reason = visibility(cube.n, k)
        for position, key in enumerate(cube.units):
            kind, _, rest = key.partition(":")
            anchor = main.unit(f"d:{rest}") if kind in ("t", "g") else main.unit(RESPONDENTS)
            if key == RESPONDENTS:
                visible[..., position], reason[..., position] = main_visible[..., anchor], main_reason[..., anchor]
                continue
            hidden_there = visible[..., position] & ~main_visible[..., anchor]
            reason[..., position] = np.where(hidden_there, main_reason[..., anchor], reason[..., position])
            visible[..., position] &= main_visible[..., anchor]
        with threadpool_limits(1, user_api="blas"):
            visible, reason = protect(cube.n, cube.units, visible, reason, k, [], COMBINATION, MAX_ATTRIBUTES)
        return RatingCube(cube, visible, reason)

    return cast(RatingCube, matrix.memo(f"ratings:{k}", compute))
