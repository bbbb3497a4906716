"""Answer distributions of one item per group (the Likert view), as asked (not reverse-scored), suppressed like the item.

`pct` is the share of the group's answers (don't know excluded) at each scale value; a group shows
its distribution only when its cell for that item is shown in the heatmap (same counts, same rules),
so no distribution describes fewer than k respondents or lets a hidden group be worked out.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from analysis.anonymity import REASONS, AnonymityReport
from analysis.cube import Cube, Unit, cell_rows, cube_from_rows, option_lists
from analysis.groups import gather, report_of, shown_cells, view_cells
from analysis.scoring import RespondentMatrix, item_col

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


def distribution_table(
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
    column = item_col(item_id)
    as_asked = f"({entry.scale_min + entry.scale_max} - {column})" if entry.reverse else column
    units = {f"v:{v}": Unit(f"CASE WHEN {column} IS NOT NULL THEN CAST({as_asked} = {v} AS INTEGER) END") for v in values}
    attributes = cube.attributes
    counts = cube_from_rows(cell_rows(matrix, attributes, units), attributes, option_lists(matrix, attributes), tuple(units))
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
            "label": np.tile([scale.label(v, lang) for v in values], len(cells)),
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
