"""The respondent matrix of a wave: what it holds (RespondentMatrix), the query that builds it, and the units computed over it.

The respondent matrix is a query, never a stored table: one row per respondent of a wave, built
from the long tables and consumed at once by a GROUP BY over every attribute (`analysis.cells`).

Matrix columns (quoted identifiers, because ids may contain `-`):
    "a:<attribute>"  VARCHAR   option id, NULL when the respondent did not state it
    "i:<item>"       SMALLINT  the answer reverse-scored (min + max − value), NULL for don't know
    "k:<dimension>"  INTEGER   how many of the dimension's items were answered (not don't know)
    "d:<dimension>"  DOUBLE    mean of the answered items if at least half were answered, else NULL
    "l:<loss>"       BOOLEAN   named this loss in the value-at-stake block
    "vb"             BOOLEAN   named at least one loss (answered the block)
    "t:<dimension>"  SMALLINT  the target rating ("where should we be in two years"), NULL when not given
    "x:<option>:<dimension>"  SMALLINT  the prediction of how that option (of the meta-perception attribute) rates the dimension
Answers are pivoted by packing: each answer (shifted to 1..points) goes into an 8-bit slot of one of
a few 64-bit integers per respondent, combined with bit_or; a handful of integer aggregates are much
cheaper than one CASE per item on every answer row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from survey.instrument import Instrument

SLOTS = 8  # 8-bit slots per 64-bit pack: values shifted to 1..points (at most 101 points), 0 = no answer

# One pass over each long table for the wave's respondents. {picked_*} restricts a table to the wave
# (left out when the wave holds every stored response) or to rows appended since a mark; the other placeholders are column lists
# built from the instrument (ids are validated identifiers, quoted again here).
MATRIX_SQL = """
    WITH picked AS (
        SELECT response_id FROM responses WHERE campaign_id = $campaign AND wave = $wave{since_responses}
    ), slots(item_id, pack, shift) AS (
        VALUES {slots}
    ), attrs AS (
        SELECT response_id, {attribute_pivot}
        FROM response_attributes {picked_attributes} GROUP BY response_id
    ), packed AS (
        SELECT response_id, {packs}
        FROM answers JOIN slots USING (item_id) {picked_answers} GROUP BY response_id
    ), losses AS (
        SELECT response_id, {loss_pivot}
        FROM value_choices {picked_losses} GROUP BY response_id
    ){rated}, items AS (
        SELECT p.response_id, {attribute_columns}, {item_columns}, {loss_columns}{rating_columns}
        FROM picked p
        LEFT JOIN attrs USING (response_id)
        LEFT JOIN packed USING (response_id)
        LEFT JOIN losses USING (response_id){rated_join}
    ), counted AS (
        SELECT *, {answered_columns} FROM items
    )
    SELECT {selected}, {dimension_columns} FROM counted
"""
# Dimension ratings (targets, predictions) packed per respondent like the answers (one slot per rating asked, the
# rating's key matched by a join); left out for an instrument that asks none.
RATED = """, rating_slots(kind, about, dimension, pack, shift) AS (
        VALUES {rating_slots}
    ), rated AS (
        SELECT response_id, {rating_packs}
        FROM (SELECT * FROM dimension_ratings {picked_ratings}) r
        JOIN rating_slots s ON s.kind = r.kind AND s.about = coalesce(r.about, '') AND s.dimension = r.dimension
        GROUP BY response_id
    )"""
PICKED = "WHERE response_id IN (SELECT response_id FROM picked)"
# Only rows appended since a mark (rowid at or after it), for adding new responses to cells already read.
SINCE = "WHERE rowid >= ${mark} AND response_id IN (SELECT response_id FROM picked)"


def quote(identifier: str) -> str:
    """A double-quoted SQL identifier; ids are validated on load, quoting keeps `-` and `:` legal."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A single-quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def attr_col(attribute: str) -> str:
    return quote(f"a:{attribute}")


def item_col(item_id: str) -> str:
    return quote(f"i:{item_id}")


def dim_col(dimension_id: str) -> str:
    return quote(f"d:{dimension_id}")


def answered_col(dimension_id: str) -> str:
    return quote(f"k:{dimension_id}")


def loss_col(loss: str) -> str:
    return quote(f"l:{loss}")


def target_col(dimension_id: str) -> str:
    return quote(f"t:{dimension_id}")


def prediction_col(about: str, dimension_id: str) -> str:
    return quote(f"x:{about}:{dimension_id}")


def rating_columns(instrument: Instrument) -> tuple[tuple[str, str | None, str], ...]:
    """(kind, about, dimension) of every dimension rating the instrument asks: targets, then predictions, in instrument order."""
    dims = [d.id for d in instrument.dimensions]
    targets = instrument.targets.questions if instrument.targets else {}
    out: list[tuple[str, str | None, str]] = [("target", None, d) for d in dims if d in targets]
    meta = instrument.meta_perception
    for about, questions in meta.questions.items() if meta else ():
        out += [("prediction", about, d) for d in dims if d in questions]
    return tuple(out)


def _rating_name(kind: str, about: str | None, dimension: str) -> str:
    return target_col(dimension) if kind == "target" else prediction_col(about or "", dimension)


def _packs(slot_count: int, base: int, prefix: str) -> str:
    """bit_or of every value (shifted to 1..points) into its 8-bit slot, one UBIGINT per SLOTS slots: "<prefix><pack>"."""
    return ", ".join(
        f"bit_or(CAST(value - ({base}) + 1 AS UBIGINT) << CAST(shift AS UBIGINT)) FILTER (WHERE pack = {p}) AS {prefix}{p}"
        for p in range(max(1, math.ceil(slot_count / SLOTS)))
    )


def _unpacked(position: int, base: int, prefix: str) -> str:
    """The value of one slot back on its scale (NULL where nothing was packed)."""
    pack, shift = divmod(position, SLOTS)
    return f"(CAST(NULLIF(({prefix}{pack} >> {SLOTS * shift}) & 255, 0) AS INTEGER) - 1 + ({base}))"


@dataclass(frozen=True)
class CatalogueItem:
    item_id: str
    dimension: str
    reverse: bool
    scale_min: int
    scale_max: int


@dataclass(frozen=True)
class Unit:
    """What a cell statistic is computed from: a SQL expression over matrix columns (NULL = does not count).

    Values are whole numbers times `scale`, so every sum is exact and the same whatever order DuckDB
    adds rows in: pages, exports and the command line agree to the last digit. A dimension score (a
    mean of 1..m answers) times lcm(1..m) is a whole number; sums are divided back after fetching.
    """

    expression: str
    scale: int = 1
    bound: float = 1.0  # largest absolute value of the expression, to choose exact arithmetic
    counted: bool = False  # 1 or NULL for every respondent: only the count is aggregated (sum and sum of squares equal it)
    tally: tuple[str, int] | None = None  # (item column, value): counted together with the item's other values, see `tallies`


class Fingerprint(NamedTuple):
    """What a wave's cells were read from (analysis.scoring FINGERPRINT_SQL): any new or deleted response changes it.

    The database file, the wave's instrument, the wave's response count and the bit_xor of its response ids'
    hashes, and the row count of each long table (named after the table, so checks can go by table).
    """

    database: str | None
    instrument_key: str
    instrument_fingerprint: str
    respondents: int
    response_ids: int
    responses: int
    answers: int
    response_attributes: int
    value_choices: int
    dimension_ratings: int


Columns = Mapping[str, np.ndarray]


@dataclass(frozen=True)
class RespondentMatrix:
    """One wave as the engine sees it: what was asked, how many answered, and the finest cells of every unit."""

    campaign_id: str
    wave: int
    instrument: Instrument
    catalogue: tuple[CatalogueItem, ...]
    respondents: int
    whole_table: bool
    cells: Columns = field(default_factory=dict, repr=False)
    _memo: dict[str, object] = field(default_factory=dict, repr=False, compare=False)
    # How the cells were read, so responses appended later can be added instead of reading everything again:
    # the cells with sums still multiplied by each unit's scale, the fingerprint row they belong to, and
    # per long table the rowid mark after which rows were not read yet.
    # "full": every response read; "appended": earlier cells plus the responses added since; "stored": the cells an
    # earlier read kept in the database (analysis.stored_cells), current as they were
    read: str = "full"
    scaled_cells: Columns = field(default_factory=dict, repr=False, compare=False)
    fingerprint: Fingerprint | None = field(default=None, repr=False, compare=False)
    marks: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def scale_points(self) -> int:
        return self.instrument.scale.max - self.instrument.scale.min + 1

    @property
    def scale_mid(self) -> float:
        return (self.instrument.scale.min + self.instrument.scale.max) / 2

    def items_of(self, dimension_id: str) -> tuple[str, ...]:
        return tuple(c.item_id for c in self.catalogue if c.dimension == dimension_id)

    @property
    def dimension_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.dimension for c in self.catalogue))

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(c.item_id for c in self.catalogue)

    @property
    def attributes(self) -> tuple[str, ...]:
        return tuple(self.instrument.attributes)

    @property
    def losses(self) -> tuple[str, ...]:
        vas = self.instrument.value_at_stake
        return tuple(vas.losses) if vas else ()

    def memo(self, name: str, compute: Callable[[], object]) -> object:
        """A value derived from this wave's data (e.g. one item's answer distribution), computed once."""
        if name not in self._memo:
            self._memo[name] = compute()
        return self._memo[name]

    def sql(self) -> str:
        """The matrix query of this wave (parameters $campaign and $wave)."""
        return matrix_sql(self.instrument, self.catalogue, self.whole_table)


def _pack_base(catalogue: tuple[CatalogueItem, ...]) -> int:
    """The value stored as 1 in a slot (the lowest scale point), so every answer fits 1..255 and 0 means none."""
    return min((c.scale_min for c in catalogue), default=0)


def _reverse_scored(item: CatalogueItem, position: int, base: int) -> str:
    """Unpack one answer from its slot and apply the reverse key (min + max − value)."""
    raw = _unpacked(position, base, "p")
    value = f"{item.scale_min + item.scale_max} - {raw}" if item.reverse else raw
    return f"CAST({value} AS SMALLINT) AS {item_col(item.item_id)}"


def _answered(dimension_id: str, items: list[str]) -> str:
    answered = " + ".join(f"CAST({item_col(i)} IS NOT NULL AS INTEGER)" for i in items)
    return f"CAST({answered} AS INTEGER) AS {answered_col(dimension_id)}"


def _dimension_score(dimension_id: str, items: list[str]) -> str:
    """Mean of the answered items if at least half were answered; 2*answered >= items keeps the rule in integers."""
    answered = answered_col(dimension_id)
    total = " + ".join(f"coalesce({item_col(i)}, 0)" for i in items)
    return f"CASE WHEN 2 * {answered} >= {len(items)} THEN CAST({total} AS DOUBLE) / {answered} END AS {dim_col(dimension_id)}"


def matrix_sql(
    instrument: Instrument, catalogue: tuple[CatalogueItem, ...], whole_table: bool = False, since: bool = False, with_id: bool = False
) -> str:
    """The respondent matrix of one wave as a query; parameters $campaign and $wave.

    With `since`, only responses appended at or after the marks $m_<table> (rowids) are read. With `with_id`
    the response id stays in (analysis.insights joins the respondents' dimension ratings to their scores).
    """
    attributes = list(instrument.attributes)
    losses = list(instrument.value_at_stake.losses) if instrument.value_at_stake else []
    slots = ", ".join(f"({literal(c.item_id)}, {k // SLOTS}, {SLOTS * (k % SLOTS)})" for k, c in enumerate(catalogue)) or "(NULL, 0, 0)"
    base = _pack_base(catalogue)
    by_dim: dict[str, list[str]] = {}
    for c in catalogue:
        by_dim.setdefault(c.dimension, []).append(c.item_id)

    def picked(table: str) -> str:
        """The filter of one long table: rows appended after its mark, the wave's responses, or none (the whole table is the wave)."""
        return SINCE.format(mark=f"m_{table}") if since else "" if whole_table else PICKED

    ratings = rating_columns(instrument)
    rating_slots = ", ".join(
        f"({literal(kind)}, {literal(about or '')}, {literal(d)}, {k // SLOTS}, {SLOTS * (k % SLOTS)})"
        for k, (kind, about, d) in enumerate(ratings)
    )
    low = instrument.scale.min
    rating_values = [f"CAST({_unpacked(k, low, 'r')} AS SMALLINT) AS {_rating_name(*r)}" for k, r in enumerate(ratings)]
    return MATRIX_SQL.format(
        rated=RATED.format(
            rating_slots=rating_slots, rating_packs=_packs(len(ratings), low, "r"), picked_ratings=picked("dimension_ratings")
        )
        if ratings
        else "",
        rating_columns="".join(f", {value}" for value in rating_values),
        rated_join=" LEFT JOIN rated USING (response_id)" if ratings else "",
        selected="*" if with_id else "* EXCLUDE (response_id)",
        slots=slots,
        since_responses=" AND rowid >= $m_responses" if since else "",
        picked_attributes=picked("response_attributes"),
        picked_answers=picked("answers"),
        picked_losses=picked("value_choices"),
        attribute_pivot=", ".join(f"max(CASE WHEN attribute = {literal(a)} THEN value END) AS {attr_col(a)}" for a in attributes),
        packs=_packs(len(catalogue), base, "p"),
        loss_pivot=", ".join(f"bool_or(loss = {literal(x)}) AS {loss_col(x)}" for x in losses) or "true AS _none",
        attribute_columns=", ".join(attr_col(a) for a in attributes),
        item_columns=", ".join(_reverse_scored(c, k, base) for k, c in enumerate(catalogue)),
        loss_columns=", ".join(
            [f"coalesce({loss_col(x)}, false) AS {loss_col(x)}" for x in losses] + ["losses.response_id IS NOT NULL AS vb"]
        ),
        answered_columns=", ".join(_answered(d, items) for d, items in by_dim.items()) or "0 AS _none_answered",
        dimension_columns=", ".join(_dimension_score(d, items) for d, items in by_dim.items()),
    )


def _scaled_dimension_score(dimension_id: str, items: list[str], top: int) -> Unit:
    """score × lcm(1..m): the total of the answered items times lcm / answered, when at least half are answered."""
    scale = math.lcm(*range(1, len(items) + 1))
    answered = answered_col(dimension_id)
    total = " + ".join(f"coalesce(CAST({item_col(i)} AS BIGINT), 0)" for i in items)
    return Unit(f"CASE WHEN 2 * {answered} >= {len(items)} THEN ({total}) * ({scale} // {answered}) END", scale, float(top * scale))


def matrix_units(matrix: RespondentMatrix) -> dict[str, Unit]:
    """Every unit of a wave, keyed as the cube names them.

    "respondents" (everyone), "d:<dimension>" (dimension scores), "i:<item>" (reverse-scored items),
    "l:<loss>" (1 when named, 0 when not, among respondents who answered the value block),
    "c:<dimension>" (sum of the dimension's items for respondents who answered all of them),
    "c:<dimension>:<item>" (the item over those same complete respondents), which Cronbach's alpha needs, and
    "p:<dimension>:<s>" (1 for respondents who answered exactly s of the dimension's items, a tally), which only the
    disclosure audit reads (analysis.disclosure: don't-knows link a dimension to its items), the dimension
    ratings of analysis.insights: "t:<dimension>" (targets) and "x:<option>:<dimension>" (predictions of how that
    option rates the dimension). Each rating is a unit of its own, never combined with a score per respondent: a
    paired "target − own score" over those who set a target, next to the score over everyone, would let the
    scores of those who set none be worked out by difference;
    and "v:<item>:<value>" (1 for respondents whose reverse-scored answer is that value): an item's answer
    distribution for van der Eijk's agreement (analysis.insights.agreement), kept with the cells so it costs
    no extra pass; never judged on its own (see `cube_units`), only where its item's cell is shown.
    """
    top = max([abs(matrix.instrument.scale.min), abs(matrix.instrument.scale.max), 1])
    units = {"respondents": Unit("1", counted=True)}
    units.update({f"d:{d}": _scaled_dimension_score(d, list(matrix.items_of(d)), top) for d in matrix.dimension_ids})
    units.update({f"i:{i}": Unit(item_col(i), 1, top) for i in matrix.item_ids})
    units.update({f"l:{x}": Unit(f"CASE WHEN vb THEN CAST({loss_col(x)} AS INTEGER) END") for x in matrix.losses})
    for dimension in matrix.dimension_ids:
        items = matrix.items_of(dimension)
        answered = answered_col(dimension)
        complete = f"{answered} = {len(items)}"
        total = " + ".join(f"CAST({item_col(i)} AS INTEGER)" for i in items)
        units[f"c:{dimension}"] = Unit(f"CASE WHEN {complete} THEN {total} END", 1, float(top * len(items)))
        units.update({f"c:{dimension}:{i}": Unit(f"CASE WHEN {complete} THEN {item_col(i)} END", 1, top) for i in items})
        units.update(
            {
                f"p:{dimension}:{size}": Unit(f"CASE WHEN {answered} = {size} THEN 1 END", tally=(answered, size))
                for size in range(1, len(items) + 1)
            }
        )
    for kind, about, dimension in rating_columns(matrix.instrument):
        if kind == "prediction":
            units[f"x:{about}:{dimension}"] = Unit(prediction_col(about or "", dimension), 1, top)
            continue
        if dimension in matrix.dimension_ids:
            units[f"t:{dimension}"] = Unit(target_col(dimension), 1, top)
    for c in matrix.catalogue:
        column = item_col(c.item_id)
        units.update({value_unit(c.item_id, v): Unit(f"CASE WHEN {column} = {v} THEN 1 END", tally=(column, v)) for v in item_values(c)})
    return units


VALUE_PREFIX = "v:"


def value_unit(item_id: str, value: int) -> str:
    """The unit counting the respondents whose reverse-scored answer to an item is `value`."""
    return f"{VALUE_PREFIX}{item_id}:{value}"


def item_values(item: CatalogueItem) -> range:
    return range(item.scale_min, item.scale_max + 1)


def cube_units(matrix: RespondentMatrix) -> dict[str, Unit]:
    """The units the anonymity rules and the audit judge: all but the answer-value counts, which follow their item's verdict."""
    return {key: unit for key, unit in matrix_units(matrix).items() if not key.startswith(VALUE_PREFIX)}


def wide_units(units: Mapping[str, Unit], rows: int) -> tuple[str, ...]:
    """Units whose sum of squares over `rows` respondents could pass 2^53, so DOUBLE would no longer be exact."""
    return tuple(key for key, unit in units.items() if not unit.counted and max(rows, 1) * unit.bound * unit.bound >= 2.0**53)


class Tally(NamedTuple):
    """Several answer-value counts of one item as one sum: each respondent adds 2^(bits × slot) for the value given."""

    name: str  # the column of the packed value per respondent, "t<k>"
    column: str  # the item's matrix column
    slots: tuple[tuple[str, int], ...]  # (unit key, value) per slot, lowest bits first
    bits: int


def tallies(units: Mapping[str, Unit], rows: int) -> tuple[Tally, ...]:
    """The tally units packed per column: slots of `bits` bits (enough to count `rows` respondents) in a HUGEINT.

    The tallies of one column (an item's answer values, a dimension's numbers of answered items) count consecutive
    values. One sum per column instead of one count per value keeps the cells' pass short; the counts are taken apart
    in SQL, exact (whole numbers well inside 127 bits).
    """
    bits = max(rows, 1).bit_length()
    per_sum = max(1, 126 // bits)
    by_column: dict[str, list[tuple[str, int]]] = {}
    for key, unit in units.items():
        if unit.tally is not None:
            by_column.setdefault(unit.tally[0], []).append((key, unit.tally[1]))
    out: list[Tally] = []
    for column, slots in by_column.items():
        slots.sort(key=lambda slot: slot[1])
        if [value for _, value in slots] != list(range(slots[0][1], slots[0][1] + len(slots))):
            raise ValueError(f"the tallies of {column} do not count consecutive values")
        for start in range(0, len(slots), per_sum):
            out.append(Tally(f"t{len(out)}", column, tuple(slots[start : start + per_sum]), bits))
    return tuple(out)


def _tally_value(tally: Tally) -> str:
    """2^(bits × slot) for the value's slot, NULL for a value of no slot here; slots hold consecutive values (item_values)."""
    low, high = tally.slots[0][1], tally.slots[-1][1]
    shift = f"CAST({tally.bits} * ({tally.column} - ({low})) AS INTEGER)"
    return f"CASE WHEN {tally.column} BETWEEN {low} AND {high} THEN CAST(1 AS HUGEINT) << {shift} END AS {tally.name}"


def _tally_counts(tally: Tally) -> list[str]:
    mask = (1 << tally.bits) - 1
    return [
        f"CAST((sum({tally.name}) >> {tally.bits * slot}) & {mask} AS DOUBLE) AS {quote('n|' + key)}"
        for slot, (key, _) in enumerate(tally.slots)
    ]


def unit_values_sql(units: Mapping[str, Unit], rows: int) -> str:
    """Each unit's value per respondent, computed once: "u<k>" in DOUBLE, or HUGEINT where DOUBLE could round; tallies packed."""
    wide = set(wide_units(units, rows))
    values = [
        f"CAST({unit.expression} AS {'HUGEINT' if key in wide else 'DOUBLE'}) AS u{k}"
        for k, (key, unit) in enumerate(units.items())
        if unit.tally is None
    ]
    return ", ".join(values + [_tally_value(t) for t in tallies(units, rows)])


def aggregates_sql(units: Mapping[str, Unit], rows: int) -> str:
    """count, sum and sum of squares per unit (over the "u<k>" columns), in arithmetic that is exact for `rows` respondents.

    Sums of whole numbers in DOUBLE are exact while they stay below 2^53, in any order; a unit whose
    sum of squares could pass that (large scales, long dimensions, many respondents) is added in HUGEINT.
    Each unit's expression appears once (in unit_values_sql), which keeps the query small to plan. A counted unit
    (and a tally) yields only its count: `counted_columns` adds its sum and sum of squares, which equal it.
    """
    wide = set(wide_units(units, rows))
    parts = []
    for k, (key, unit) in enumerate(units.items()):
        if unit.tally is not None:
            continue
        parts.append(f"count(u{k}) AS {quote('n|' + key)}")
        if unit.counted:
            continue
        total, squares = f"sum(u{k})", f"sum(u{k} * u{k})"
        if key in wide:
            total, squares = f"CAST({total} AS DOUBLE)", f"CAST({squares} AS DOUBLE)"
        parts.append(f"{total} AS {quote('s|' + key)}")
        parts.append(f"{squares} AS {quote('q|' + key)}")
    for tally in tallies(units, rows):
        parts += _tally_counts(tally)
    return ", ".join(parts)


def counted_columns(rows: Mapping[str, np.ndarray], units: Mapping[str, Unit]) -> dict[str, np.ndarray]:
    """Fetched cells with the sum and sum of squares of every counted unit filled in (each equals its count)."""
    out = dict(rows)
    for key, unit in units.items():
        if unit.counted or unit.tally is not None:
            out[f"s|{key}"] = out[f"q|{key}"] = np.asarray(out[f"n|{key}"], dtype=np.float64)
    return out
