"""Answer distributions of one item per group (the Likert view), as asked (not reverse-scored), suppressed like the item.

`pct` is the share of the group's answers (don't know excluded) at each scale value; a group shows
its distribution only when its cell for that item is shown in the heatmap (same counts, same rules),
so no distribution describes fewer than k respondents or lets a hidden group be worked out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import duckdb
import numpy as np
import pandas as pd

from analysis.anonymity import REASONS, AnonymityReport
from analysis.cells import fetch_columns
from analysis.cube import Cube, cube_from_rows, option_lists
from analysis.groups import gather, report_of, shown_cells, view_cells
from analysis.matrix_sql import PICKED, Columns, RespondentMatrix, attr_col, literal, quote
from survey.user_text import plain

# One item's answers as given (not reverse-scored), counted per combination of attributes and per scale value.
DISTRIBUTION_SQL = """
    WITH picked AS (
        SELECT response_id FROM responses WHERE campaign_id = $campaign AND wave = $wave
    ), attrs AS (
        SELECT response_id, {attribute_pivot} FROM response_attributes {picked} GROUP BY response_id
    ), answered AS (
        SELECT response_id, value FROM answers WHERE item_id = $item AND value IS NOT NULL
    )
    SELECT {attribute_columns}{counts}
    FROM picked JOIN answered USING (response_id) LEFT JOIN attrs USING (response_id)
    {group_by}
"""

DISTRIBUTION_COLUMNS = [
    "item",
    "dimension",
    "reverse",
    "group",
    "attribute",
    "option",
    "value",
    "label",
    "n",
    "pct",
    "suppressed",
    "reason",
]


def value_counts(con: duckdb.DuckDBPyConnection, matrix: RespondentMatrix, item_id: str) -> Columns:
    """Answers of one item per finest cell: `n|v:<value>` answered, `s|v:<value>` at that value; read once per wave."""
    values = list(matrix.instrument.scale.values)
    attributes = matrix.attributes
    counts = []
    for v in values:
        key = quote(f"v:{v}")[1:-1]
        counts += [
            f'count(*) AS "n|{key}"',
            f'count(*) FILTER (WHERE value = {v}) AS "s|{key}"',
            f'count(*) FILTER (WHERE value = {v}) AS "q|{key}"',
        ]
    sql = DISTRIBUTION_SQL.format(
        attribute_pivot=", ".join(f"max(CASE WHEN attribute = {literal(a)} THEN value END) AS {attr_col(a)}" for a in attributes),
        picked="" if matrix.whole_table else PICKED,
        attribute_columns="".join(f"{attr_col(a)} AS {quote(a)}, " for a in attributes),
        counts=", ".join(counts),
        group_by="GROUP BY ALL ORDER BY ALL" if attributes else "",
    )
    params = {"campaign": matrix.campaign_id, "wave": matrix.wave, "item": item_id}
    return cast(Columns, matrix.memo(f"values:{item_id}", lambda: fetch_columns(con, sql, params)))


def distribution_table(
    con: duckdb.DuckDBPyConnection,
    matrix: RespondentMatrix,
    cube: Cube,
    visible: np.ndarray,
    reason: np.ndarray,
    filters: Mapping[str, str],
    by: str | None,
    item_id: str,
    k: int,
    lang: str,
) -> tuple[pd.DataFrame, AnonymityReport]:
    """Percentage of answers at each scale value, per group; visibility taken from the item's own cells."""
    entry = next((c for c in matrix.catalogue if c.item_id == item_id), None)
    if entry is None:
        raise ValueError(f"unknown item '{item_id}'")
    scale = matrix.instrument.scale
    values = list(scale.values)
    attributes = cube.attributes
    keys = tuple(f"v:{v}" for v in values)
    counts = cube_from_rows(value_counts(con, matrix, item_id), attributes, option_lists(matrix, attributes), keys)
    cells = view_cells(cube, filters, by)
    vis, why = shown_cells(cube, visible, reason, cells)
    unit = cube.unit(f"i:{item_id}")
    answered = gather(counts, counts.n, cells)[:, 0]
    at_value = gather(counts, counts.s, cells)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(answered[:, None] > 0, 100.0 * at_value / answered[:, None], np.nan)
    shown = np.repeat(vis[:, unit], len(values))
    frame = pd.DataFrame(
        {
            "item": item_id,
            "dimension": entry.dimension,
            "reverse": entry.reverse,
            "group": np.repeat([c.group for c in cells], len(values)),
            "attribute": np.repeat(np.array([c.attribute for c in cells], dtype=object), len(values)),
            "option": np.repeat(np.array([c.option for c in cells], dtype=object), len(values)),
            "value": np.tile(values, len(cells)),
            "label": np.tile([plain(scale.label(v, lang)) for v in values], len(cells)),
            "n": np.where(shown, np.repeat(answered, len(values)), np.nan),
            "pct": np.where(shown, pct.ravel(), np.nan),
            "suppressed": ~shown,
            "reason": np.repeat([REASONS[int(r)] for r in why[:, unit]], len(values)),
        }
    )
    frame["n"] = pd.array(frame["n"], dtype="Float64").astype("Int64")
    frame = frame[DISTRIBUTION_COLUMNS]
    hidden_rows = frame[frame["value"] == values[0]]
    return frame, report_of(hidden_rows, k, unit_column="item")
