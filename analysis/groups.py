"""Group statistics per dimension and item (n, mean, SD, 95% CI, agreement), computed from cube cells, already suppressed.

Definitions (PRODUCT.md, "What the analysis means"):
- mean and SD over respondents (items: over those who answered; dimensions: over respondents with a
  dimension score), 95% CI = mean ± t(0.975, n-1) · SD/√n.
- agreement r_wg = 1 − S²/σ²_EU with σ²_EU = (A² − 1)/12, A the number of scale points (the
  variance of a uniform "no agreement" answer), truncated to [0, 1] as James, Demaree & Wolf
  recommend, so 1 = full agreement and 0 = as spread as random answers or more.
  For a dimension, r_wg is the mean of its items' r_wg in the same group, over the items whose own
  cell is shown (the mean-item r_wg); the dimension SD (of respondent scores) is reported too.

Frames have one row per (unit, group) with the columns in GROUP_COLUMNS. Hidden cells keep their row,
with `suppressed` true, a `reason`, and every number empty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from analysis.anonymity import FILTER_HIDDEN, REASONS, AnonymityReport, HiddenCell
from analysis.cube import RESPONDENTS, Cube
from analysis.scoring import RespondentMatrix

REASON_NAMES = np.array([REASONS[code] for code in sorted(REASONS)], dtype=object)
GROUP_COLUMNS = [
    "unit_type",
    "unit",
    "dimension",
    "group",
    "attribute",
    "option",
    "n",
    "mean",
    "sd",
    "ci_low",
    "ci_high",
    "rwg",
    "suppressed",
    "reason",
]
NUMBER_COLUMNS = ["n", "mean", "sd", "ci_low", "ci_high", "rwg"]
ALL = "all"


@dataclass(frozen=True)
class GroupCell:
    """A group shown in a view: the whole (filtered) population or one option of the breakdown attribute."""

    group: str
    attribute: str | None
    option: str | None
    index: tuple[int, ...]


def group_label(attribute: str | None, option: str | None) -> str:
    return ALL if attribute is None else f"{attribute}={option}"


def describe(n: np.ndarray, s: np.ndarray, q: np.ndarray) -> dict[str, np.ndarray]:
    """Mean, sample SD and the t-interval from sufficient statistics, element-wise; NaN where undefined."""
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, s / n, np.nan)
        var = np.where(n > 1, np.maximum(q - s * s / n, 0.0) / (n - 1), np.nan)
        sd = np.sqrt(var)
        half = special.stdtrit(np.where(n > 1, n - 1, np.nan), 0.975) * sd / np.sqrt(n)  # t(0.975, n-1), as scipy.stats.t.ppf
    return {"mean": mean, "var": var, "sd": sd, "ci_low": mean - half, "ci_high": mean + half}


def null_variance(points: int) -> float:
    """σ²_EU: the variance of answers spread uniformly over A scale points."""
    return (points * points - 1) / 12.0


def rwg(var: np.ndarray, points: int) -> np.ndarray:
    """r_wg = 1 − S²/σ²_EU, truncated to [0, 1]."""
    with np.errstate(invalid="ignore"):
        return np.clip(1.0 - np.asarray(var, dtype=float) / null_variance(points), 0.0, 1.0)


def view_cells(cube: Cube, filters: Mapping[str, str], by: str | None) -> list[GroupCell]:
    """The filtered population first, then one cell per option of `by` (instrument order)."""
    cells = [GroupCell(ALL, None, None, cube.index(filters))]
    if by is not None:
        for option in cube.options[cube.axis(by)]:
            cells.append(GroupCell(group_label(by, option), by, option, cube.index({**filters, by: option})))
    return cells


def gather(cube: Cube, array: np.ndarray, cells: Sequence[GroupCell]) -> np.ndarray:
    """Values of the given cells for every unit, shaped (cells, units)."""
    if not cube.attributes:
        return np.tile(array[None, ...], (len(cells), 1))
    index = tuple(np.array([c.index[a] for c in cells], dtype=np.int64) for a in range(len(cube.attributes)))
    return array[index]


def shown_cells(cube: Cube, visible: np.ndarray, reason: np.ndarray, cells: Sequence[GroupCell]) -> tuple[np.ndarray, np.ndarray]:
    """Visibility and reasons of the cells for every unit, shaped (cells, units).

    A cell is shown for a unit only when both its count for that unit (e.g. answers to an item) and
    its count of respondents pass the rules. The respondent verdict makes a cell look the same in
    every view: hidden as a filtered population means hidden as a group of a breakdown too.
    """
    vis = gather(cube, visible, cells).copy()
    why = gather(cube, reason, cells).copy()
    people = cube.unit(RESPONDENTS)
    people_vis, people_why = vis[:, people : people + 1], why[:, people : people + 1]
    why = np.where(vis & ~people_vis, people_why, why)
    vis &= people_vis
    if not vis[0, people]:
        why[1:] = FILTER_HIDDEN
    return vis, why


ViewPart = tuple[Cube, np.ndarray, np.ndarray, Sequence[GroupCell]]


def group_table(
    matrix: RespondentMatrix,
    cube: Cube,
    visible: np.ndarray,
    reason: np.ndarray,
    cells: Sequence[GroupCell],
    unit_type: str,
    k: int,
) -> tuple[pd.DataFrame, AnonymityReport]:
    """Statistics of `unit_type` ("dimension" or "item") for the cells, suppressed, with the report of what was hidden."""
    return group_tables(matrix, [(cube, visible, reason, cells)], unit_type, k)


def group_tables(matrix: RespondentMatrix, parts: Sequence[ViewPart], unit_type: str, k: int) -> tuple[pd.DataFrame, AnonymityReport]:
    """One frame for the cells of several views (e.g. the breakdowns by every attribute), each judged in its own cube."""
    if unit_type == "dimension":
        units, dims, prefix = list(matrix.dimension_ids), list(matrix.dimension_ids), "d:"
    elif unit_type == "item":
        units, dims, prefix = list(matrix.item_ids), [c.dimension for c in matrix.catalogue], "i:"
    else:
        raise ValueError(f"unit must be 'dimension' or 'item', got {unit_type!r}")
    item_keys = [f"i:{i}" for i in matrix.item_ids]
    blocks: dict[str, list[np.ndarray]] = {name: [] for name in ("vis", "why", "n", "s", "q", "item_vis", "item_n", "item_s", "item_q")}
    cells: list[GroupCell] = []
    for cube, visible, reason, part_cells in parts:
        vis, why = shown_cells(cube, visible, reason, part_cells)
        pos = [cube.unit(prefix + u) for u in units]
        item_pos = [cube.unit(key) for key in item_keys]
        n, s, q = (gather(cube, array, part_cells) for array in (cube.n, cube.s, cube.q))
        for name, values in (("vis", vis[:, pos]), ("why", why[:, pos]), ("n", n[:, pos]), ("s", s[:, pos]), ("q", q[:, pos])):
            blocks[name].append(values)
        for name, values in (
            ("item_vis", vis[:, item_pos]),
            ("item_n", n[:, item_pos]),
            ("item_s", s[:, item_pos]),
            ("item_q", q[:, item_pos]),
        ):
            blocks[name].append(values)
        cells.extend(part_cells)
    joined = {name: np.concatenate(values, axis=0) for name, values in blocks.items()}
    item_stats = describe(joined["item_n"], joined["item_s"], joined["item_q"])
    item_rwg = np.where(joined["item_vis"], rwg(item_stats["var"], matrix.scale_points), np.nan)
    if unit_type == "dimension":
        unit_rwg = np.column_stack(
            [_nanmean([item_rwg[:, item_keys.index(f"i:{i}")] for i in matrix.items_of(d)], len(cells)) for d in units]
        )
    else:
        unit_rwg = item_rwg
    summary = describe(joined["n"], joined["s"], joined["q"])
    cells_n, units_n = len(cells), len(units)

    def unit_major(values: np.ndarray) -> np.ndarray:
        return values.T.ravel()

    frame = pd.DataFrame(
        {
            "unit_type": unit_type,
            "unit": np.repeat(units, cells_n),
            "dimension": np.repeat(dims, cells_n),
            "group": np.tile([c.group for c in cells], units_n),
            "attribute": np.tile(np.array([c.attribute for c in cells], dtype=object), units_n),
            "option": np.tile(np.array([c.option for c in cells], dtype=object), units_n),
            "n": unit_major(joined["n"]),
            "mean": unit_major(summary["mean"]),
            "sd": unit_major(summary["sd"]),
            "ci_low": unit_major(summary["ci_low"]),
            "ci_high": unit_major(summary["ci_high"]),
            "rwg": unit_major(unit_rwg),
            "suppressed": ~unit_major(joined["vis"]),
            "reason": REASON_NAMES[unit_major(joined["why"])],
        }
    )
    frame = blank_hidden(frame)
    return frame, report_of(frame, k)


def _nanmean(columns: list[np.ndarray], rows: int) -> np.ndarray:
    if not columns:
        return np.full(rows, np.nan)
    stacked = np.column_stack(columns)
    counts = np.sum(~np.isnan(stacked), axis=1)
    with np.errstate(invalid="ignore"):
        return np.where(counts > 0, np.nansum(stacked, axis=1) / np.maximum(counts, 1), np.nan)


def blank_hidden(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Empty every number of a hidden row; counts (n, n_*) become nullable integers. The last guard before a frame leaves."""
    frame = frame.copy()
    hidden = frame["suppressed"].to_numpy(dtype=bool)
    for col in columns or [c for c in NUMBER_COLUMNS if c in frame.columns]:
        values = np.where(hidden, np.nan, frame[col].to_numpy(dtype=float))
        if col == "n" or col.startswith("n_"):
            frame[col] = pd.array(np.round(values), dtype="Float64").astype("Int64")
        else:
            frame[col] = values
    return frame


def report_of(frame: pd.DataFrame, k: int, unit_column: str = "unit") -> AnonymityReport:
    """The hidden rows of a frame as an AnonymityReport."""
    hidden = frame[frame["suppressed"]]
    cells = tuple(
        HiddenCell(str(u), str(g), str(r)) for u, g, r in zip(hidden[unit_column], hidden["group"], hidden["reason"], strict=True)
    )
    return AnonymityReport(k, cells)
