"""A campaign's organisation: headcount per attribute option (level, function, site) and € estimates per loss category."""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping

import duckdb
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from survey.campaigns import campaign_instrument, get_campaign
from survey.instrument import Instrument
from survey.store import transaction
from survey.tables import TableError, read_table

HEADCOUNT_COLUMNS = ("attribute", "option", "headcount")
# Header words accepted in an uploaded CSV, English and Dutch.
_HEADER_ALIASES = {
    "attribute": "attribute",
    "attribuut": "attribute",
    "kenmerk": "attribute",
    "option": "option",
    "optie": "option",
    "group": "option",
    "groep": "option",
    "headcount": "headcount",
    "aantal": "headcount",
    "count": "headcount",
    "medewerkers": "headcount",
}
MAX_HEADCOUNT = 1_000_000
_DIGITS = re.compile(r"^[+-]?[0-9]{1,9}$")
MAX_EUR_PER_YEAR = 1e12
MAX_HEADCOUNT_FILE_BYTES = 1024 * 1024

SELECT_HEADCOUNTS = "SELECT attribute, option, headcount FROM headcounts WHERE campaign_id = ?"
SELECT_ESTIMATES = "SELECT loss, eur_per_year FROM value_estimates WHERE campaign_id = ?"


class OrganisationError(ValueError):
    """Headcounts or estimates that cannot be stored; `problems` names each row and why. Nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def headcount_schema(instrument: Instrument) -> pa.DataFrameSchema:
    """The pandera schema of stored headcounts: an attribute and one of its options, a whole number of people >= 0."""
    pairs = {(a, o) for a, attr in instrument.attributes.items() for o in attr.options}
    return pa.DataFrameSchema(
        {
            "attribute": pa.Column(str, pa.Check.isin(list(instrument.attributes), error="not an attribute of the instrument")),
            "option": pa.Column(str),
            "headcount": pa.Column("int64", pa.Check.in_range(0, MAX_HEADCOUNT, error=f"headcount must be 0–{MAX_HEADCOUNT}")),
        },
        checks=[
            pa.Check(
                lambda df: pd.Series([(a, o) in pairs for a, o in zip(df["attribute"], df["option"], strict=True)], index=df.index),
                error="option is not one of the attribute's options",
            )
        ],
        unique=["attribute", "option"],
        strict=True,
        name="headcounts",
    )


def estimate_schema(instrument: Instrument) -> pa.DataFrameSchema:
    """The pandera schema of € estimates: a known loss category, a finite amount per year >= 0."""
    losses = list(instrument.value_at_stake.losses) if instrument.value_at_stake else []
    return pa.DataFrameSchema(
        {
            "loss": pa.Column(str, pa.Check.isin(losses, error="not a loss category of the instrument"), unique=True),
            "eur_per_year": pa.Column(float, pa.Check.in_range(0, MAX_EUR_PER_YEAR, error="must be between 0 and 10^12 € a year")),
        },
        strict=True,
        name="value_estimates",
    )


def _row_label(frame: pd.DataFrame, position: int) -> str:
    """File rows keep their number (header = row 1); a table from the screen counts from 1."""
    if frame.index.name == "row":
        return f"row {frame.index[position]}"
    return f"row {position + 1}"


def _whole_number(value: object) -> int | None:
    """A headcount from a cell: ints, integral floats, or digits only ('1.000' is refused: 1 or 1000 depends on the reader's locale)."""
    if isinstance(value, bool):
        raise ValueError("not a number")
    if _blank(value):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isnan(number):
            return None
        if not math.isfinite(number) or not number.is_integer():
            raise ValueError("not a whole number")
        return int(number)
    text = str(value).strip().replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    if not _DIGITS.match(text):
        raise ValueError("not a whole number")
    return int(text)


def parse_headcounts_csv(data: bytes, *, max_bytes: int = MAX_HEADCOUNT_FILE_BYTES) -> pd.DataFrame:
    """An uploaded headcount file (columns attribute, option, headcount; any encoding or delimiter `survey.tables` reads)
    as a text frame indexed by file row, ready for `set_headcounts`."""
    try:
        table = read_table(data, "headcounts.csv", max_bytes=max_bytes)
    except TableError as exc:
        raise OrganisationError([str(p) for p in exc.problems]) from exc
    names = [_HEADER_ALIASES.get(h.replace("\ufeff", "").strip().casefold()) for h in table.header]
    problems = []
    for wanted in HEADCOUNT_COLUMNS:
        if names.count(wanted) == 0:
            problems.append(f"row {table.header_row}: column '{wanted}' is missing (the header needs attribute, option, headcount)")
        elif names.count(wanted) > 1:
            problems.append(f"row {table.header_row}: column '{wanted}' appears more than once")
    unknown = [h for h, n in zip(table.header, names, strict=True) if n is None]
    if unknown:
        problems.append(f"row {table.header_row}: unknown column(s) {', '.join(repr(u) for u in unknown)}")
    if problems:
        raise OrganisationError(problems)
    columns = {name: [row[i] for row in table.rows] for i, name in enumerate(names) if name}
    return pd.DataFrame(columns, index=pd.Index(table.row_numbers, name="row"))[list(HEADCOUNT_COLUMNS)]


def _blank(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _normalise_headcounts(instrument: Instrument, frame: pd.DataFrame) -> pd.DataFrame:
    """Ids from ids or labels, whole numbers from text; rows without a headcount are left out (not known yet)."""
    missing = [c for c in HEADCOUNT_COLUMNS if c not in frame.columns]
    if missing:
        raise OrganisationError([f"column(s) missing: {', '.join(missing)}"])
    problems: list[str] = []
    rows = []
    by_label = {}
    for attr_id, attr in instrument.attributes.items():
        by_label[attr_id.casefold()] = attr_id
        for text in attr.label.values():
            by_label.setdefault(text.strip().casefold(), attr_id)
    for position, (raw_attr, raw_option, raw_count) in enumerate(zip(frame["attribute"], frame["option"], frame["headcount"], strict=True)):
        where = _row_label(frame, position)
        try:
            count = _whole_number(raw_count)
        except ValueError:
            problems.append(
                f"{where}, column headcount, value {str(raw_count)!r}: not a whole number of people (digits only, no separators)"
            )
            continue
        if count is None:
            continue
        attr_id = None if _blank(raw_attr) else by_label.get(str(raw_attr).strip().casefold())
        if attr_id is None:
            problems.append(f"{where}, column attribute, value {str(raw_attr)!r}: not an attribute ({', '.join(instrument.attributes)})")
            continue
        option = None if _blank(raw_option) else instrument.attributes[attr_id].option_for(str(raw_option))
        if option is None:
            options = ", ".join(instrument.attributes[attr_id].options)
            problems.append(f"{where}, column option, value {str(raw_option)!r}: not an option of {attr_id} ({options})")
            continue
        rows.append((where, attr_id, option, count))
    out = pd.DataFrame(
        {"attribute": [r[1] for r in rows], "option": [r[2] for r in rows], "headcount": pd.array([r[3] for r in rows], dtype="int64")},
        index=pd.Index([r[0] for r in rows], name="where"),
    )
    if problems:
        raise OrganisationError(problems + _check_headcounts(instrument, out))
    return out


def _check_headcounts(instrument: Instrument, frame: pd.DataFrame) -> list[str]:
    """Every reason the normalised table cannot be stored: a repeated attribute/option, then pandera's checks."""
    duplicated = frame.duplicated(["attribute", "option"], keep="first")
    problems = [
        f"{where}: {a} / {o} is given more than once" for where, a, o in frame.loc[duplicated, ["attribute", "option"]].itertuples()
    ]
    try:
        headcount_schema(instrument).validate(frame.loc[~duplicated], lazy=True)
    except SchemaErrors as exc:
        problems.extend(_describe(exc))
    return problems


def _describe(exc: SchemaErrors) -> list[str]:
    problems = []
    for case in exc.failure_cases.itertuples(index=False):
        where = str(case.index) if case.index is not None and not pd.isna(case.index) else "table"
        value = "" if case.failure_case is None or pd.isna(case.failure_case) else f", value {case.failure_case!r}"
        problems.append(f"{where}, column {case.column}{value}: {case.check}")
    return problems


def set_headcounts(con: duckdb.DuckDBPyConnection, campaign_id: str, frame: pd.DataFrame) -> int:
    """Replace the campaign's headcounts with the table (from `st.data_editor` or `parse_headcounts_csv`); returns rows stored.

    Columns attribute, option, headcount (ids or English/Dutch labels); other columns are ignored,
    rows with an empty headcount mean 'not known' and are not stored. All rows or none.
    """
    get_campaign(con, campaign_id)
    instrument = campaign_instrument(con, campaign_id)
    clean = _normalise_headcounts(instrument, frame)
    problems = _check_headcounts(instrument, clean)
    if problems:
        raise OrganisationError(problems)
    stored = clean.reset_index(drop=True).assign(campaign_id=campaign_id)[["campaign_id", "attribute", "option", "headcount"]]
    with transaction(con):
        con.execute("DELETE FROM headcounts WHERE campaign_id = ?", [campaign_id])
        if len(stored):
            con.register("_headcounts", stored)
            try:
                con.execute("INSERT INTO headcounts SELECT campaign_id, attribute, option, headcount FROM _headcounts")
            finally:
                con.unregister("_headcounts")
    return len(stored)


def get_headcounts(con: duckdb.DuckDBPyConnection, campaign_id: str) -> pd.DataFrame:
    """Stored headcounts (attribute, option, headcount) in the instrument's order."""
    instrument = campaign_instrument(con, campaign_id)
    frame = con.execute(SELECT_HEADCOUNTS, [campaign_id]).df()
    order = {(a, o): i for i, (a, o) in enumerate((a, o) for a, attr in instrument.attributes.items() for o in attr.options)}
    frame["_pos"] = [order.get((a, o), len(order)) for a, o in zip(frame["attribute"], frame["option"], strict=True)]
    frame = frame.sort_values(["_pos", "attribute", "option"]).drop(columns="_pos").reset_index(drop=True)
    return frame.astype({"headcount": "int64"})


def headcount_frame(con: duckdb.DuckDBPyConnection, campaign_id: str, lang: str = "en") -> pd.DataFrame:
    """Every option of every attribute with its label and stored headcount (empty when unknown): the table to edit."""
    instrument = campaign_instrument(con, campaign_id)
    stored = {(a, o): int(n) for a, o, n in con.execute(SELECT_HEADCOUNTS, [campaign_id]).fetchall()}
    rows = [
        (a, o, labels.get(lang) or next(iter(labels.values())), stored.get((a, o)))
        for a, attr in instrument.attributes.items()
        for o, labels in attr.options.items()
    ]
    frame = pd.DataFrame(rows, columns=["attribute", "option", "label", "headcount"])
    frame["headcount"] = pd.array(frame["headcount"].tolist(), dtype="Int64")
    return frame


def set_value_estimates(con: duckdb.DuckDBPyConnection, campaign_id: str, estimates: Mapping[str, float | int | None]) -> int:
    """Replace the campaign's annual € estimates per loss category (ids or labels); None or NaN removes one. Returns rows stored."""
    instrument = campaign_instrument(con, campaign_id)
    vas = instrument.value_at_stake
    if vas is None:
        raise OrganisationError(["this campaign's instrument has no value-at-stake block"])
    lookup = {loss.casefold(): loss for loss in vas.losses}
    for loss, labels in vas.losses.items():
        for text in labels.values():
            lookup.setdefault(text.strip().casefold(), loss)
    problems, losses, amounts = [], [], []
    for raw, amount in estimates.items():
        if amount is None or (isinstance(amount, float) and math.isnan(amount)):
            continue
        loss = lookup.get(str(raw).strip().casefold())
        if loss is None:
            problems.append(f"loss {raw!r}: not a loss category ({', '.join(vas.losses)})")
            continue
        if isinstance(amount, bool) or not isinstance(amount, numbers.Real):
            problems.append(f"loss {loss}, value {amount!r}: not a number")
            continue
        if loss in losses:
            problems.append(f"loss {loss}: given more than once")
            continue
        losses.append(loss)
        amounts.append(float(amount))
    frame = pd.DataFrame({"loss": losses, "eur_per_year": pd.array(amounts, dtype="float64")})
    frame.index = pd.Index([f"loss {x}" for x in losses], name="where")
    try:
        frame = estimate_schema(instrument).validate(frame, lazy=True)
    except SchemaErrors as exc:
        problems.extend(_describe(exc))
    if problems:
        raise OrganisationError(problems)
    stored = frame.reset_index(drop=True).assign(campaign_id=campaign_id)[["campaign_id", "loss", "eur_per_year"]]
    with transaction(con):
        con.execute("DELETE FROM value_estimates WHERE campaign_id = ?", [campaign_id])
        if len(stored):
            con.register("_estimates", stored)
            try:
                con.execute("INSERT INTO value_estimates SELECT campaign_id, loss, eur_per_year FROM _estimates")
            finally:
                con.unregister("_estimates")
    return len(stored)


def get_value_estimates(con: duckdb.DuckDBPyConnection, campaign_id: str) -> dict[str, float]:
    """Annual € estimate per loss category id, in the instrument's order; losses without an estimate are absent."""
    instrument = campaign_instrument(con, campaign_id)
    stored = dict(con.execute(SELECT_ESTIMATES, [campaign_id]).fetchall())
    order = list(instrument.value_at_stake.losses) if instrument.value_at_stake else []
    return {loss: float(stored[loss]) for loss in [*order, *sorted(set(stored) - set(order))] if loss in stored}
