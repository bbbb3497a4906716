"""Open comments per dimension: only from groups at or above the comment threshold, searchable, in shuffled order.

Comments are read for everyone or by one attribute only (`comment_attribute`, see
analysis.engine.comments). A comment is shown under a group (the filtered population, or one option of the breakdown
attribute) only when that group passes the anonymity rules of `analysis.anonymity` with the
comment threshold instead of k, counted in respondents (not in commenters): the reader then knows
only that the author is one of at least that many people. Comments of hidden groups are left out
entirely. Rows come in random order, never submission order, and carry no date finer than the wave,
so neither position nor time points to a person. Search is a case-insensitive substring match
(DuckDB ILIKE with `%`, `_` and `\\` escaped, so they match themselves).
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import numpy as np
import pandas as pd

from analysis.anonymity import REASONS, AnonymityReport, HiddenCell
from analysis.cube import Cube
from analysis.groups import shown_cells, view_cells
from analysis.matrix_sql import RespondentMatrix, attr_col, literal

COMMENT_COLUMNS = ["dimension", "group", "attribute", "option", "text", "wave"]
COMMENTS_BY_ONE_ATTRIBUTE = (
    "Comments are shown for everyone or by {attribute} only: seen under two attributes, a comment would tell which small group wrote it."
)


def comment_attribute(matrix: RespondentMatrix) -> str:
    """The one attribute comments may be filtered or grouped by: the instrument's first (level in the default)."""
    return matrix.attributes[0]


def reveals_one_attribute(matrix: RespondentMatrix, filters: Mapping[str, str], by: str | None) -> bool:
    """Whether a comments view names no attribute but `comment_attribute` (filters and breakdown together)."""
    return not (set(filters) | ({by} if by else set())) - {comment_attribute(matrix)}


COMMENTS_SQL = """
    WITH picked AS (
        SELECT c.response_id, c.dimension, c.text
        FROM comments c JOIN responses r ON r.response_id = c.response_id
        WHERE r.campaign_id = $campaign AND r.wave = $wave
          AND ($dimension IS NULL OR c.dimension = $dimension)
          AND ($pattern IS NULL OR c.text ILIKE $pattern ESCAPE '\\')
    ), attrs AS (
        SELECT response_id, {attribute_pivot}
        FROM response_attributes WHERE response_id IN (SELECT response_id FROM picked)
        GROUP BY response_id
    )
    SELECT picked.dimension, picked.text, {attribute_columns}
    FROM picked LEFT JOIN attrs USING (response_id)
    {where}
    ORDER BY picked.dimension, picked.text, picked.response_id
"""


def like_pattern(search: str) -> str:
    """A substring ILIKE pattern in which the user's `%`, `_` and `\\` are literal characters."""
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def comments_sql(matrix: RespondentMatrix, filters: Mapping[str, str]) -> str:
    attributes = matrix.attributes
    conditions = [f"{attr_col(a)} = {literal(o)}" for a, o in filters.items()]
    return COMMENTS_SQL.format(
        attribute_pivot=", ".join(f"max(CASE WHEN attribute = {literal(a)} THEN value END) AS {attr_col(a)}" for a in attributes),
        attribute_columns=", ".join(attr_col(a) for a in attributes),
        where=f"WHERE {' AND '.join(conditions)}" if conditions else "",
    )


def comment_table(
    con: duckdb.DuckDBPyConnection,
    matrix: RespondentMatrix,
    cube: Cube,
    visible: np.ndarray,
    reason: np.ndarray,
    filters: Mapping[str, str],
    by: str | None,
    comment_k: int,
    *,
    dimension: str | None = None,
    search: str | None = None,
    seed: int | None = None,
) -> tuple[pd.DataFrame, AnonymityReport]:
    """Comments of the shown groups (visibility computed with the comment threshold), shuffled."""
    if dimension is not None and dimension not in matrix.dimension_ids:
        raise ValueError(f"unknown dimension '{dimension}' (known: {', '.join(matrix.dimension_ids)})")
    cells = view_cells(cube, filters, by)
    vis, why = shown_cells(cube, visible, reason, cells)
    people = cube.unit("respondents")
    params = {
        "campaign": matrix.campaign_id,
        "wave": matrix.wave,
        "dimension": dimension,
        "pattern": like_pattern(search) if search else None,
    }
    rows = con.execute(comments_sql(matrix, filters), params).df()
    hidden = tuple(HiddenCell("comments", c.group, REASONS[int(why[i, people])]) for i, c in enumerate(cells) if not vis[i, people])
    if by is None:
        keep = rows if vis[0, people] else rows.iloc[0:0]
        frame = keep.assign(group="all", attribute=None, option=None)
    else:
        shown_options = [c.option for i, c in enumerate(cells[1:], start=1) if vis[i, people]]
        column = f"a:{by}"
        keep = rows[rows[column].isin(shown_options)] if vis[0, people] else rows.iloc[0:0]
        frame = keep.assign(group=by + "=" + keep[column].astype(str), attribute=by, option=keep[column])
    frame = frame.assign(wave=matrix.wave)[COMMENT_COLUMNS]
    order = np.random.default_rng(seed).permutation(len(frame))  # from a sorted start, so a given seed always gives one order
    frame = frame.iloc[order].reset_index(drop=True)
    return frame, AnonymityReport(comment_k, hidden)
