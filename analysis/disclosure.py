"""Disclosure audit: proves by exact linear algebra that no combination of the shown cells determines a group below k.

The rules of `analysis.anonymity` are fast and local (a cell, its larger cells, its siblings); they
cannot see attacks that combine many views, such as inclusion–exclusion over two optional
attributes or a chain of complementary cells. This module checks the result as an adversary would.

The model. Every respondent falls in one *finest cell*: a value (an option, or *not stated*) of
every attribute. Every number a role can obtain about a unit (an item, a dimension, a loss...) is a
count or a sum over a *shown cell* of the cube: a union of finest cells. So anything a role can
compute by adding and subtracting shown numbers, over any filters, breakdowns and pages, is a linear
combination of finest-cell totals lying in the row space of the incidence matrix A (shown cells ×
finest cells). The totals of a union T of finest cells are determined exactly when its indicator
1_T lies in that row space, i.e. when the rows of a null-space basis N of A over T add up to zero.
Finest cells the unit leaves empty are dropped first: an adversary may know they are empty.

The audit searches every union of finest cells holding between 1 and k-1 counted respondents
whose indicator is determined (single cells, and unions of up to four cells by meeting in the
middle, which covers every such union when k <= 5 and the most likely ones above), and hides one
more shown cell for each one found until none is left: a cell its least-squares derivation uses,
a sibling before a cell holding the whole union, the most specific first, then the smallest. The
views (analysis.scope) combine at most two attributes, so cells fixing three are never shown.

Don't-knows link units: a dimension score is the mean of the answered items, so the number of
items times the dimension total minus the item totals of a cell is a statistic of the respondents who skipped some
of that dimension's items. For every dimension and every number s of answered items, the audit
therefore also treats "the respondents of a cell who answered at least one item but not exactly s
of them" as a unit, shown wherever the dimension and all its items are shown, and hides the items
of a cell where such a group could be worked out below k.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import linalg

TOLERANCE = 1e-8
MAX_HALVES = 40_000  # subsets kept per half of the meet-in-the-middle search
MAX_ROUNDS = 400  # rounds of one audit at most (each hides at least one cell; never reached in practice)
MAX_REMEMBERED = 32  # audits kept by `remembered_protect`


@dataclass(frozen=True)
class Lattice:
    """Incidence of shown cells (options and *any* per axis) over finest cells (options and *not stated* per axis)."""

    shape: tuple[int, ...]  # the cube's axis lengths: options + not stated + any
    incidence: np.ndarray  # (cube cells, finest cells) bool; cube cells of a not-stated slot contain nothing
    finest: np.ndarray  # flat cube index of every finest cell
    depth: np.ndarray  # per cube cell, how many attributes it fixes


def lattice(shape: Sequence[int]) -> Lattice:
    """The incidence of every cube cell over the finest cells, as the Kronecker product of one small matrix per axis."""
    matrix = np.ones((1, 1), dtype=bool)
    finest_axes = []
    for size in shape:
        options = size - 2
        axis = np.zeros((size, size - 1), dtype=bool)
        axis[:options, :options] = np.eye(options, dtype=bool)  # an option holds itself
        axis[size - 1, :] = True  # any holds every option and the not-stated slot
        matrix = np.kron(matrix, axis)
        finest_axes.append(np.arange(size - 1))
    grids = np.meshgrid(*finest_axes, indexing="ij") if shape else []
    finest = np.ravel_multi_index([g.ravel() for g in grids], tuple(shape)) if shape else np.zeros(1, dtype=np.int64)
    fixed = [np.arange(size) < size - 1 for size in shape]
    depth = np.zeros(1, dtype=np.int64)
    for axis in fixed:
        depth = (depth[:, None] + axis[None, :].astype(np.int64)).ravel()
    return Lattice(tuple(shape), matrix, finest, depth)


def null_basis(rows: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the null space of `rows` (columns of the result), from a pivoted QR factorisation.

    The rows are 0/1 incidences, so the rank is plain to see on the diagonal of R; QR costs a
    fraction of the SVD that scipy.linalg.null_space would use.
    """
    rows = rows.astype(float)
    if rows.shape[0] == 0 or rows.shape[1] == 0:
        return np.eye(rows.shape[1])
    q, r, _ = linalg.qr(rows.T, pivoting=True)
    diagonal = np.abs(np.diag(r))
    rank = int((diagonal > TOLERANCE * max(1.0, diagonal.max(initial=0.0))).sum())
    return q[:, rank:]


def _halves(counts: np.ndarray, k: int) -> np.ndarray:
    """Index tuples (padded with -1) of the empty set, single cells, pairs and, when few, triples with fewer than k in all."""
    s = len(counts)
    parts = [np.full((1, 3), -1), np.column_stack([np.arange(s), np.full(s, -1), np.full(s, -1)])]
    i, j = np.triu_indices(s, 1)
    keep = counts[i] + counts[j] < k
    parts.append(np.column_stack([i[keep], j[keep], np.full(keep.sum(), -1)]))
    if k > 5 and s <= 40:
        triples = np.array(list(itertools.combinations(range(s), 3)), dtype=np.int64).reshape(-1, 3)
        parts.append(triples[counts[triples].sum(axis=1) < k][:MAX_HALVES])
    return np.concatenate(parts).astype(np.int64)


def determined_small_unions(null: np.ndarray, counts: np.ndarray, k: int, exhaustive: bool = False) -> list[tuple[int, ...]]:
    """Unions of cells holding 1..k-1 counted respondents whose indicator lies in the row space: the disclosures.

    `null` is a null-space basis (cells × dims) over the non-empty cells, `counts` their counts. Two
    halves (each empty, one, two or three cells) meet when their null-space rows cancel: found by
    sorting a random projection, then checked on the whole vectors.
    """
    small = np.flatnonzero((counts > 0) & (counts < k))
    if small.size == 0:
        return []
    zero = np.abs(null[small]).max(axis=1, initial=0.0) <= 1e-6
    singles = [(int(i),) for i in small[zero]]
    if singles and not exhaustive:
        return singles
    small = small[~zero]  # a union holding a determined cell is determined exactly when the rest of it is
    if small.size == 0:
        return singles
    vectors = np.vstack([null[small], np.zeros((1, null.shape[1]))])  # row -1: the padding adds nothing
    halves = _halves(counts[small], k)
    sums = vectors[halves].sum(axis=1)
    totals = np.where(halves >= 0, counts[small][halves], 0).sum(axis=1)
    projection = sums @ np.random.default_rng(0).standard_normal(null.shape[1]) if null.shape[1] else np.zeros(len(halves))
    order = np.argsort(projection, kind="stable")
    ordered = projection[order]
    tol = 1e-6
    lo = np.searchsorted(ordered, -projection - tol, side="left")
    hi = np.searchsorted(ordered, -projection + tol, side="right")
    found: dict[tuple[int, ...], None] = {}
    for a in np.flatnonzero(hi > lo):
        for b in order[lo[a] : hi[a]]:
            left, right = set(halves[a][halves[a] >= 0]), set(halves[b][halves[b] >= 0])
            union = tuple(sorted(left | right))
            if not union or left & right or totals[a] + totals[b] >= k or union in found:
                continue
            if np.abs(sums[a] + sums[b]).max(initial=0.0) <= tol:
                found[union] = None
    return singles + [tuple(int(small[i]) for i in union) for union in found]


def determined(rows: np.ndarray, unions: list[tuple[int, ...]], columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Which unions (of columns) have an indicator in the row space of `rows`, and the row weights that derive each one.

    One least-squares solve for all of them; the weights say which shown cells a derivation uses.
    """
    targets = np.zeros((columns, len(unions)))
    for j, union in enumerate(unions):
        targets[list(union), j] = 1.0
    if not unions or rows.shape[0] == 0:
        return np.zeros(len(unions), dtype=bool), np.zeros((rows.shape[0], len(unions)))
    a = rows.T.astype(float)
    weights = np.linalg.lstsq(a, targets, rcond=None)[0]
    return np.abs(a @ weights - targets).max(axis=0) <= 1e-6, weights


def audit_unit(
    lat: Lattice,
    null: np.ndarray,
    occupied: np.ndarray,
    shown: np.ndarray,
    counts: np.ndarray,
    k: int,
    sizes: np.ndarray,
    known_empty: np.ndarray,
) -> np.ndarray:
    """Hide shown cells of one unit until no union of its finest cells holding 1..k-1 of its respondents is determined.

    `null` is a null-space basis over the `occupied` finest cells for a set of shown cells that
    includes the unit's (the respondents' cells): whatever the unit's cells determine, those
    determine too, so the unions found with it are all the candidates, and hiding cells only
    removes some. Cells the adversary knows to be empty (`known_empty`) are removed from the basis
    first (the vectors that vanish on them). Each candidate is then checked exactly against the
    unit's own cells; for each one still determined, one cell its derivation uses is hidden, until
    none is. `sizes` is the respondent count of every cube cell. Returns the unit's new shown flags.
    """
    empty = known_empty[occupied]
    basis = null
    if empty.any():
        basis = null[~empty] @ null_basis(null[empty])
    columns = occupied[~empty]
    candidates = determined_small_unions(basis, counts[columns], k, exhaustive=True)
    shown = shown.copy()
    changed = False
    for _ in range(MAX_ROUNDS):
        if not candidates and changed:  # search again on what is left: hiding can leave a union determined that held a cell found alone
            changed = False
            candidates = determined_small_unions(null_basis(lat.incidence[np.flatnonzero(shown)][:, columns]), counts[columns], k, True)
        if not candidates:
            return shown
        changed = True
        shown_rows = np.flatnonzero(shown)
        rows = lat.incidence[shown_rows][:, columns]
        hit, weights = determined(rows, candidates, len(columns))
        hidden_now: set[int] = set()
        for j in np.flatnonzero(hit):
            used = shown_rows[np.abs(weights[:, j]) > 1e-9]
            if hidden_now & set(used.tolist()):
                continue  # this round already broke the derivation: the next round checks it again
            covers = lat.incidence[:, columns[list(candidates[j])]].all(axis=1)
            pick = _to_hide(used if used.size else shown_rows, sizes, covers, lat.depth)
            shown[pick] = False
            hidden_now.add(pick)
        candidates = [union for union, h in zip(candidates, hit, strict=True) if h]
    shown[:] = False  # never expected: a cube that cannot be made safe shows nothing
    return shown


def _to_hide(used: np.ndarray, sizes: np.ndarray, covers: np.ndarray, depth: np.ndarray) -> int:
    """The shown cell to hide so that a union stops being determined: one its derivation uses.

    A cell that does not contain the whole union (a sibling, as in complementary suppression) goes
    before one that does (the union's own cell or a total above it); then the most specific cell
    (most attributes fixed: a site × function × level cell before a whole level); then the smallest.
    """
    order = np.lexsort((sizes[used], -depth[used], covers[used]))
    return int(used[order[0]])


def protect(
    n: np.ndarray,
    units: Sequence[str],
    visible: np.ndarray,
    reason: np.ndarray,
    k: int,
    linked: Sequence[tuple[Sequence[str], Sequence[str], Sequence[str]]],
    hidden_code: int,
    max_depth: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Verdicts of a whole cube after the audit: the rules' verdicts with every cell hidden that a combination would disclose.

    `n` is the cube's count array (*axes, units) and `visible`/`reason` the rules' verdicts for it;
    `linked` lists per dimension (dimension units, item units, answered-count units) for the
    don't-know link; `hidden_code` is the reason recorded for a cell the audit hides.
    """
    shape, unit_count = n.shape[:-1], n.shape[-1]
    lat = lattice(shape)
    if max_depth is not None:  # cells no view can ask for are never shown, so they add nothing to the row space
        visible = visible & (lat.depth <= max_depth).reshape(shape + (1,))
    counts = n.reshape(-1, unit_count)
    vis, why = visible.reshape(-1, unit_count).copy(), reason.reshape(-1, unit_count).copy()
    people = units.index("respondents")
    outside = vis & ~vis[:, people : people + 1]  # a unit is never shown where its respondents are not
    why = np.where(outside, why[:, people : people + 1], why)
    vis &= vis[:, people : people + 1]
    sizes = counts[:, people]
    finest = counts[lat.finest]

    def hide(cells: np.ndarray, columns: Sequence[int]) -> None:
        for column in columns:
            newly = cells & vis[:, column]
            why[newly, column] = hidden_code
            vis[newly, column] = False

    occupied = np.flatnonzero(finest[:, people] > 0)

    def null_of(shown: np.ndarray) -> np.ndarray:
        return null_basis(lat.incidence[np.flatnonzero(shown)][:, occupied])

    respondents_empty = finest[:, people] == 0
    shown = audit_unit(lat, null_of(vis[:, people]), occupied, vis[:, people], finest[:, people], k, sizes, respondents_empty)
    hide(vis[:, people] & ~shown, range(unit_count))
    null = null_of(vis[:, people])

    order = _size_order(sizes)

    def check(shown: np.ndarray, unit_counts: np.ndarray, hidden: Sequence[int]) -> None:
        """Audit one unit, assuming the adversary knows which finest cells it leaves empty (the search then covers every union)."""
        if np.array_equal(unit_counts, finest[:, people]):
            return
        key = _digest(b"unit", shape, vis[:, people], shown, np.minimum(unit_counts, k), occupied, k)
        safe = _UNITS.get(key, order)
        if safe is None:
            safe = audit_unit(lat, null, occupied, shown, unit_counts, k, sizes, unit_counts == 0)
            _UNITS.put(key, safe, order if (shown & ~safe).any() else None)
        hide(shown & ~safe, hidden)

    skip = {units.index(key) for _, _, answered in linked for key in answered}
    for column in range(unit_count):
        if column != people and column not in skip:
            check(vis[:, column], finest[:, column], [column])
    cache: dict[tuple[bytes, bytes], np.ndarray] = {}
    for dimension_keys, item_keys, answered_keys in linked:
        involved = [units.index(key) for key in [*dimension_keys, *item_keys]]
        items = [units.index(key) for key in item_keys]
        per_size = finest[:, [units.index(key) for key in answered_keys]]
        answering = per_size.sum(axis=1)
        for size in range(per_size.shape[1]):
            group = answering - per_size[:, size]
            key = _digest(b"linked", shape, vis[:, involved], items, np.minimum(group, k), occupied, k)
            found = _LINKED.get(key, order)
            if found is None:
                before = vis[:, items].copy()
                linked_audit(lat, vis, involved, items, group, occupied, k, sizes, hide, cache)
                newly = before & ~vis[:, items]
                found = _LINKED.put(key, (newly, why[:, items].copy()), order if newly.any() else None)
            newly, reasons = found
            vis[:, items] &= ~newly
            why[:, items] = np.where(newly, reasons, why[:, items])
    return vis.reshape(visible.shape), why.reshape(reason.shape)


def linked_audit(
    lat: Lattice,
    vis: np.ndarray,
    involved: Sequence[int],
    items: Sequence[int],
    counts: np.ndarray,
    occupied: np.ndarray,
    k: int,
    sizes: np.ndarray,
    hide: Callable[[np.ndarray, Sequence[int]], None],
    cache: dict[tuple[bytes, bytes], np.ndarray],
) -> None:
    """Hide item cells until no union holding 1..k-1 of the `counts` group (e.g. the respondents who skipped some of a
    dimension's items) has its dimension total and all its item totals determined.

    The number of items times a union's dimension total minus its item totals depends on that group's answers alone,
    so the union is exposed when its indicator lies in the row space of the dimension's cells and in
    that of every item's cells: in the intersection of those spaces, whose null space is the sum of
    theirs. For each union found, one cell is hidden for the first item (shown in the fewest cells) whose derivation uses it.
    """
    columns = occupied[counts[occupied] > 0]
    order = sorted(items, key=lambda column: int(vis[:, column].sum()))
    for _ in range(MAX_ROUNDS):
        if not ((counts[columns] > 0) & (counts[columns] < k)).any():
            return
        spaces = np.hstack([_null_of(lat, vis[:, u], columns, cache) for u in involved])
        found = determined_small_unions(spaces, counts[columns], k, exhaustive=True)  # a spanning set serves as well as a basis
        if not found:
            return
        for union in found:
            for column in order:
                if np.abs(_null_of(lat, vis[:, column], columns, cache)[list(union)].sum(axis=0)).max(initial=0.0) > 1e-6:
                    continue  # this item's cells do not determine the union
                shown_rows = np.flatnonzero(vis[:, column])
                hit, weights = determined(lat.incidence[shown_rows][:, columns], [union], len(columns))
                if hit[0]:
                    used = shown_rows[np.abs(weights[:, 0]) > 1e-9]
                    covers = lat.incidence[:, columns[list(union)]].all(axis=1)
                    cell = np.zeros(len(vis), dtype=bool)
                    cell[_to_hide(used if used.size else shown_rows, sizes, covers, lat.depth)] = True
                    hide(cell, [column])
                    break
    vis[:, list(items)] = False  # never expected


def _null_of(lat: Lattice, shown: np.ndarray, columns: np.ndarray, cache: dict[tuple[bytes, bytes], np.ndarray]) -> np.ndarray:
    """The null-space basis of the shown cells over the columns, kept while the same cells are shown (units share them)."""
    key = (np.packbits(shown).tobytes(), columns.tobytes())
    if key not in cache:
        cache[key] = null_basis(lat.incidence[np.flatnonzero(shown)][:, columns])
    return cache[key]


class _Remembered:
    """Audit results by what they depend on, least recently used dropped first; a result that hid something also
    carries the order of the cube's sizes it was chosen by (`_size_order`) and is reused only under the same order."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._found: OrderedDict[bytes, tuple[object, bytes | None]] = OrderedDict()

    def get(self, key: bytes, order: bytes) -> Any:
        with self._lock:
            found = self._found.get(key)
            if found is None or (found[1] is not None and found[1] != order):
                return None
            self._found.move_to_end(key)
            return found[0]

    def put(self, key: bytes, value: Any, order: bytes | None) -> Any:
        with self._lock:
            self._found[key] = (value, order)
            while len(self._found) > self._size:
                self._found.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._found.clear()


_REMEMBERED = _Remembered(MAX_REMEMBERED)
_LINKED = _Remembered(MAX_REMEMBERED * 64)  # one per dimension and number of answered items
_UNITS = _Remembered(MAX_REMEMBERED * 256)  # one per unit


def _digest(*parts: object) -> bytes:
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        h.update(part.tobytes() if isinstance(part, np.ndarray) else repr(part).encode("utf-8"))
        h.update(b"|")
    return h.digest()


def _size_order(sizes: np.ndarray) -> bytes:
    """The order of the group sizes, ties included: all that the choice of a cell to hide reads of them (`_to_hide`)."""
    return _digest(np.unique(sizes, return_inverse=True)[1])


def remembered_protect(
    n: np.ndarray,
    units: Sequence[str],
    visible: np.ndarray,
    reason: np.ndarray,
    k: int,
    linked: Sequence[tuple[Sequence[str], Sequence[str], Sequence[str]]],
    hidden_code: int,
    max_depth: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """`protect`, remembered by what its verdicts depend on: a new response in a large cell costs no second audit.

    The search only asks whether a union of finest cells holds between 1 and k-1 counted respondents (and
    whether a cell is empty); for counts c_j >= 0, sum(min(c_j, k)) < k exactly when sum(c_j) < k, so
    with the counts capped at k the same unions are found. Which cell is hidden for a union found does
    depend on the group sizes, but only on their order (`_to_hide` sorts by them, the smallest first), so an audit
    that hid something is reused only while the cube's cells keep the same order of sizes (ties included); one
    that hid nothing is reused for any counts with the same capped values and the same verdicts of the rules.
    Inside `protect` the audit of each unit, and the don't-know audit of each dimension and number of answered items,
    are remembered the same way, so a response that changes one small group redoes only the audits it is part of.
    """
    key = _digest(
        np.minimum(n, k), tuple(units), visible, reason, k, [tuple(map(tuple, group)) for group in linked], hidden_code, max_depth
    )
    order = _size_order(n[..., list(units).index("respondents")])
    found = _REMEMBERED.get(key, order)
    if found is None:
        vis, why = protect(n, units, visible, reason, k, linked, hidden_code, max_depth)
        hid = bool(((why == hidden_code) & (reason != hidden_code)).any())
        found = _REMEMBERED.put(key, (vis, why), order if hid else None)
    return found[0].copy(), found[1].copy()
