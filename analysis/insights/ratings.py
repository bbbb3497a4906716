"""Dimension ratings in the wave's cube: which targets and predictions an instrument asks, and their cells with verdicts.

Targets and predictions are units of the wave's respondent matrix (analysis.matrix_sql: "t:<dimension>",
"x:<option>:<dimension>"), so they are read in the same single pass, kept with the stored
cells, and added up from new responses like every other unit. Their verdicts are those of the protected
cube (analysis.scope.protected_cube): the rules, then the disclosure audit over each of them, and a target
cell only where the dimension's own score cell is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np

from analysis.cube import Cube
from analysis.matrix_sql import RespondentMatrix, rating_columns
from analysis.scope import protected_cube


@dataclass(frozen=True)
class RatingCube:
    """The wave's cube (every unit, ratings included) with its audited verdicts."""

    cube: Cube
    visible: np.ndarray
    reason: np.ndarray


def target_dimensions(matrix: RespondentMatrix) -> tuple[str, ...]:
    return tuple(d for kind, _, d in rating_columns(matrix.instrument) if kind == "target" and d in matrix.dimension_ids)


def predictions_asked(matrix: RespondentMatrix) -> tuple[tuple[str, str], ...]:
    """(reference option, dimension) for every prediction the instrument asks, in instrument order."""
    return tuple((about or "", d) for kind, about, d in rating_columns(matrix.instrument) if kind == "prediction")


def rating_cube(con: duckdb.DuckDBPyConnection | None, matrix: RespondentMatrix, k: int) -> RatingCube | None:
    """The protected cube of the wave, or None when the instrument asks no targets or predictions (`con` is not needed:
    the ratings were read with the wave)."""
    if not rating_columns(matrix.instrument):
        return None
    cube, visible, reason = protected_cube(matrix, k)
    return RatingCube(cube, visible, reason)
