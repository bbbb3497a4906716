"""What a view looks at (campaign, wave, filters) and the shape of what every view returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import duckdb
import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from analysis.anonymity import COMBINATION, AnonymityReport, Thresholds, clamp_thresholds, visibility
from analysis.cube import Cube, build_cube
from analysis.disclosure import remembered_protect
from analysis.scoring import RespondentMatrix, respondent_matrix
from survey.campaigns import CampaignError

if TYPE_CHECKING:
    from survey.instrument import Instrument

CAMPAIGN_STATE_SQL = """
    SELECT c.threshold, c.comment_threshold,
           (SELECT max(wave) FROM responses WHERE campaign_id = $campaign),
           (SELECT list(wave ORDER BY wave) FROM waves WHERE campaign_id = $campaign)
    FROM campaigns c WHERE c.campaign_id = $campaign
"""


MAX_ATTRIBUTES = 2  # attributes one view may combine (filters, breakdown, compared groups); see view_of


class ScopeError(ValueError):
    """A view asked for something it cannot be: an unknown or repeated attribute or option, groups of an
    attribute the filters already fix to one option, or more attributes than a view may combine. The pages
    say so instead of failing."""


@dataclass(frozen=True)
class Scope:
    """What a view looks at: a campaign, one wave (None = newest with responses), AND-ed attribute filters."""

    campaign_id: str
    wave: int | None = None
    filters: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Result:
    """A suppressed frame, what was hidden and why, and the wave and threshold it was computed with."""

    data: pd.DataFrame
    anonymity: AnonymityReport
    wave: int
    threshold: int


@dataclass(frozen=True)
class ValueAtStake:
    shares: pd.DataFrame
    ranking: pd.DataFrame
    anonymity: AnonymityReport
    wave: int
    threshold: int


@dataclass(frozen=True)
class CampaignState:
    """What every view needs to know about its campaign, read in one query."""

    limits: Thresholds
    waves: tuple[int, ...]
    latest_with_responses: int | None


def campaign_state(con: duckdb.DuckDBPyConnection, campaign_id: str) -> CampaignState:
    row = con.execute(CAMPAIGN_STATE_SQL, {"campaign": campaign_id}).fetchone()
    if row is None:
        raise CampaignError(f"unknown campaign '{campaign_id}'")
    return CampaignState(clamp_thresholds(row[0], row[1]), tuple(row[3] or ()), row[2])


def resolve_wave(con: duckdb.DuckDBPyConnection, scope: Scope, state: CampaignState | None = None) -> int:
    """The scope's wave, or the newest wave holding responses (else the newest wave)."""
    state = state or campaign_state(con, scope.campaign_id)
    if scope.wave is not None:
        if scope.wave not in state.waves:
            raise CampaignError(f"campaign '{scope.campaign_id}' has no wave {scope.wave}")
        return scope.wave
    if state.latest_with_responses is not None:
        return int(state.latest_with_responses)
    if not state.waves:
        raise CampaignError(f"campaign '{scope.campaign_id}' has no wave")
    return state.waves[-1]


def check_filters(instrument: Instrument, filters: tuple[tuple[str, str], ...], by: str | None = None) -> dict[str, str]:
    """Filters as a mapping, refusing unknown attributes or options, an attribute twice, or a breakdown by a filtered attribute."""
    attributes = instrument.attributes
    out: dict[str, str] = {}
    for attribute, option in filters:
        if attribute not in attributes:
            raise ScopeError(f"unknown attribute '{attribute}' (known: {', '.join(attributes)})")
        if option not in attributes[attribute].options:
            raise ScopeError(f"'{option}' is not an option of {attribute} ({', '.join(attributes[attribute].options)})")
        if attribute in out:
            raise ScopeError(f"filter on {attribute} given twice")
        out[attribute] = option
    if by is not None:
        if by not in attributes:
            raise ScopeError(f"unknown attribute '{by}' (known: {', '.join(attributes)})")
        if by in out:
            raise ScopeError(f"cannot break down by {by} while filtering on {by}={out[by]}")
    return out


@dataclass(frozen=True)
class View:
    """A matrix with the cube of a view's attributes and every cell's anonymity verdict."""

    matrix: RespondentMatrix
    filters: dict[str, str]
    limits: Thresholds
    cube: Cube
    visible: np.ndarray
    reason: np.ndarray


def open_view(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    by: str | None = None,
    extra: tuple[str, ...] = (),
    wave: int | None = None,
    comments: bool = False,
) -> View:
    """The matrix of the scope's wave, its filters checked, and the cube over filters, `by` and `extra` attributes with verdicts."""
    state = campaign_state(con, scope.campaign_id)
    matrix = respondent_matrix(con, scope.campaign_id, wave if wave is not None else resolve_wave(con, scope, state))
    return view_of(matrix, state.limits, scope.filters, by, extra, comments)


def view_of(
    matrix: RespondentMatrix,
    limits: Thresholds,
    filters: tuple[tuple[str, str], ...],
    by: str | None = None,
    extra: tuple[str, ...] = (),
    comments: bool = False,
) -> View:
    """Another view of an already opened matrix (no query against the database file).

    Every view reads the same cube over all attributes and the same verdicts, so a cell looks the
    same wherever it appears and the disclosure audit covers every combination of views at once. A
    view names at most MAX_ATTRIBUTES attributes: the audit then only has to weigh the cells of one
    or two attributes, which keeps it exact and fast, and small three-way cross-sections are never asked.
    """
    checked = check_filters(matrix.instrument, filters, by)
    for attribute in extra:
        if attribute not in matrix.instrument.attributes:
            raise ScopeError(f"unknown attribute '{attribute}' (known: {', '.join(matrix.instrument.attributes)})")
    named = tuple(dict.fromkeys([*checked, *([by] if by else []), *extra]))
    if len(named) > MAX_ATTRIBUTES:
        raise ScopeError(
            f"a view combines at most {MAX_ATTRIBUTES} attributes ({', '.join(named)} asked): a cross-section of three "
            "attributes is where groups too small to show hide, so filter on one and compare by another"
        )
    if comments:  # one attribute at most (analysis.engine.comments): the rules alone are exact on one axis
        cube = build_cube(matrix, tuple(dict.fromkeys([*checked, *([by] if by else [])])))
        visible, reason = visibility(cube.n, limits.comment_k)
        return View(matrix, checked, limits, cube, visible, reason)
    cube, visible, reason = protected_cube(matrix, limits.k)
    return View(matrix, checked, limits, cube, visible, reason)


def anchored(cube: Cube, visible: np.ndarray, reason: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A target cell ("t:") only where its dimension's score cell is shown, and hidden for the same reason.

    The ambition gap is read next to the score it starts from; hiding more cells than the audit asked for
    never reveals more (fewer shown cells span a smaller space).
    """
    visible, reason = visible.copy(), reason.copy()
    for position, key in enumerate(cube.units):
        if key.startswith("t:"):
            anchor = cube.unit(f"d:{key[2:]}")
            newly = visible[..., position] & ~visible[..., anchor]
            reason[..., position] = np.where(newly, reason[..., anchor], reason[..., position])
            visible[..., position] &= visible[..., anchor]
    return visible, reason


def protected_cube(matrix: RespondentMatrix, k: int) -> tuple[Cube, np.ndarray, np.ndarray]:
    """The wave's cube over every attribute with its verdicts at threshold k: the rules, then the audit (computed once per wave)."""

    def compute() -> tuple[Cube, np.ndarray, np.ndarray]:
        cube = cast(Cube, matrix.memo("cube", lambda: build_cube(matrix, matrix.attributes)))
        visible, reason = visibility(cube.n, k)
        linked = [
            (
                [f"d:{d}"],
                [f"i:{i}" for i in matrix.items_of(d)],
                [f"p:{d}:{size}" for size in range(1, len(matrix.items_of(d)) + 1)],
            )
            for d in matrix.dimension_ids
        ]
        with threadpool_limits(1, user_api="blas"):  # small factorisations: one thread is several times faster than two
            visible, reason = remembered_protect(cube.n, cube.units, visible, reason, k, linked, COMBINATION, MAX_ATTRIBUTES)
        return cube, *anchored(cube, visible, reason)

    return cast(tuple[Cube, np.ndarray, np.ndarray], matrix.memo(f"protected:{k}", compute))
