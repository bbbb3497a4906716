"""Participation: respondents per group and the response rate against the facilitator's headcounts, suppressed below k.

Headcounts are entered per attribute option (`headcounts` table), so a rate exists for a group
defined by one condition (e.g. level=board, unfiltered) and for the whole population when every
option of some attribute has a headcount (their sum; the breakdown attribute is tried first).
Groups defined by two conditions (a breakdown under a filter) have no known headcount. Hidden
groups show neither their count nor their rate; the headcount itself is organisation data, not
an answer, and stays visible.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import numpy as np
import pandas as pd

from analysis.anonymity import REASONS, AnonymityReport
from analysis.cube import RESPONDENTS, Cube
from analysis.groups import GroupCell, blank_hidden, gather, report_of, shown_cells, view_cells
from analysis.scoring import RespondentMatrix

PARTICIPATION_COLUMNS = ["group", "attribute", "option", "n", "headcount", "response_rate", "suppressed", "reason"]
HEADCOUNTS_SQL = "SELECT attribute, option, headcount FROM headcounts WHERE campaign_id = ?"


def headcounts(con: duckdb.DuckDBPyConnection, campaign_id: str) -> dict[tuple[str, str], int]:
    return {(a, o): int(h) for a, o, h in con.execute(HEADCOUNTS_SQL, [campaign_id]).fetchall()}


def _headcount_of(
    cell: GroupCell, filters: Mapping[str, str], by: str | None, matrix: RespondentMatrix, known: Mapping[tuple[str, str], int]
) -> float:
    conditions = dict(filters)
    if cell.attribute is not None:
        conditions[cell.attribute] = str(cell.option)
    if len(conditions) == 1:
        return float(known.get(next(iter(conditions.items())), np.nan))
    if conditions:
        return np.nan
    for attribute in ([by] if by else []) + list(matrix.attributes):
        options = matrix.instrument.attributes[attribute].options
        if all((attribute, o) in known for o in options):
            return float(sum(known[(attribute, o)] for o in options))
    return np.nan


def participation_table(
    matrix: RespondentMatrix,
    cube: Cube,
    visible: np.ndarray,
    reason: np.ndarray,
    filters: Mapping[str, str],
    by: str | None,
    known: Mapping[tuple[str, str], int],
    k: int,
) -> tuple[pd.DataFrame, AnonymityReport]:
    """Respondents and response rate per group of `by` (and the filtered population), suppressed."""
    cells = view_cells(cube, filters, by)
    vis, why = shown_cells(cube, visible, reason, cells)
    unit = cube.unit(RESPONDENTS)
    n = gather(cube, cube.n, cells)[:, unit]
    heads = np.array([_headcount_of(c, filters, by, matrix, known) for c in cells], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(heads > 0, n / heads, np.nan)
    frame = pd.DataFrame(
        {
            "group": [c.group for c in cells],
            "attribute": pd.Series([c.attribute for c in cells], dtype=object),
            "option": pd.Series([c.option for c in cells], dtype=object),
            "n": n,
            "headcount": pd.array(np.where(np.isnan(heads), np.nan, heads), dtype="Float64").astype("Int64"),
            "response_rate": rate,
            "suppressed": ~vis[:, unit],
            "reason": [REASONS[int(r)] for r in why[:, unit]],
        }
    )
    frame = blank_hidden(frame, ["n", "response_rate"])[PARTICIPATION_COLUMNS]
    return frame, report_of(frame.assign(unit=RESPONDENTS), k)
