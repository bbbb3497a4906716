"""What a valid action row is: its columns, the pandera schema every row passes, and the report naming each bad row and field."""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from survey.instrument import Instrument
from survey.tables import ImportProblem, capped

KINDS = ("dimension", "item", "blind_spot", "loss")
STATUSES = ("planned", "in_progress", "done", "dropped")
# The columns of the `actions` table, in its order: the frame every function of this package takes and returns.
COLUMNS = (
    "action_id",
    "campaign_id",
    "answers_wave",
    "target_kind",
    "target_id",
    "group_a",
    "group_b",
    "title",
    "owner",
    "due_on",
    "status",
    "loss",
    "eur_per_year",
    "kpi",
    "kpi_baseline",
    "notes",
    "published",
    "created_at",
    "updated_at",
)
# What a person may write; the rest (campaign, timestamps) the storage fills in.
EDITABLE = tuple(c for c in COLUMNS if c not in ("campaign_id", "created_at", "updated_at"))
REQUIRED = ("target_kind", "target_id", "title", "owner")
TEXT_LIMITS = {"title": 200, "owner": 120, "kpi": 200, "kpi_baseline": 200, "notes": 2000}
MAX_EUR_PER_YEAR = 1e12
REPORT_LINES = 50

_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_GROUP = re.compile(r"^[^=\s]+=[^=\s]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T00:00:00)?$")  # a spreadsheet may turn a typed date into midnight of it
_TRUE = frozenset({"true", "yes", "ja", "1", "y", "j", "waar", "x"})
_FALSE = frozenset({"false", "no", "nee", "0", "n", "onwaar"})
_FORMULA_STARTS = ("=", "+", "@", "\t", "\r")


class ActionsRefused(ValueError):
    """Action rows that cannot be stored: `problems` names each row and field. Nothing was written."""

    def __init__(self, problems: Sequence[ImportProblem], source: str = "actions") -> None:
        self.problems = tuple(problems)
        lines = capped([str(p) for p in self.problems], REPORT_LINES, more="more problem(s)")
        super().__init__(f"{source}: refused, nothing written ({len(self.problems)} problem(s))\n" + "\n".join(f"  {x}" for x in lines))


@dataclass(frozen=True)
class Catalogue:
    """What an action of a campaign may point at: the ids its waves' instruments know, and its waves."""

    waves: frozenset[int]
    dimensions: frozenset[str]
    items: frozenset[str]
    losses: frozenset[str]
    groups: frozenset[str]  # "attribute=option"

    @classmethod
    def of(cls, instruments: Iterable[Instrument], waves: Iterable[int]) -> Catalogue:
        """The union over the instruments a campaign's waves were asked with (a pulse wave asks a subset)."""
        dims: set[str] = set()
        items: set[str] = set()
        losses: set[str] = set()
        groups: set[str] = set()
        for instrument in instruments:
            dims.update(instrument.dimension_ids)
            items.update(instrument.item_ids)
            if instrument.value_at_stake:
                losses.update(instrument.value_at_stake.losses)
            groups.update(f"{a}={o}" for a, attr in instrument.attributes.items() for o in attr.options)
        return cls(frozenset(waves), frozenset(dims), frozenset(items), frozenset(losses), frozenset(groups))

    def targets(self, kind: str) -> frozenset[str]:
        """The ids a target of `kind` may name: a blind spot is about a dimension."""
        return {"dimension": self.dimensions, "item": self.items, "blind_spot": self.dimensions, "loss": self.losses}.get(kind, frozenset())


# ----------------------------------------------------------------------------- cells as a person or a file gives them


def _blank(value: object) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _clean_text(value: object) -> object:
    """Strip text; an exported formula-guard apostrophe ('=x) is taken off again so export → import is exact."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("'") and text[1:].startswith((*_FORMULA_STARTS, "-")):
            text = text[1:]
        return text
    return value


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _is_whole(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Integral):
        return True
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, str) and value.strip().isdigit()


def _is_date(value: object) -> bool:
    if isinstance(value, dt.date | pd.Timestamp):
        return True
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return False
        return True
    return False


def _is_amount(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        try:
            value = float(value.replace("€", "").replace(" ", "").replace(",", ""))
        except ValueError:
            return False
    return isinstance(value, numbers.Real) and math.isfinite(float(value)) and 0 <= float(value) <= MAX_EUR_PER_YEAR


def _is_flag(value: object) -> bool:
    return isinstance(value, bool) or (isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE) or value in (0, 1)


def _not_formula(value: object) -> bool:
    return not (isinstance(value, str) and value.startswith(_FORMULA_STARTS))


def _element(fn, error: str) -> pa.Check:  # noqa: ANN001 - any element-wise predicate
    return pa.Check(fn, element_wise=True, error=error)


def _text(limit: int, *, required: bool = False) -> pa.Column:
    checks = [
        _element(_is_text, "must be text"),
        _element(lambda v: isinstance(v, str) and len(v) <= limit, f"at most {limit} characters"),
        _element(_not_formula, "must not start like a spreadsheet formula (=, +, @)"),
    ]
    return pa.Column(object, checks, nullable=not required, required=False)


def raw_schema(catalogue: Catalogue) -> pa.DataFrameSchema:
    """Every editable field of a row as a person or a file may give it (text, numbers, dates); each failure names row and field."""
    targets = catalogue.dimensions | catalogue.items | catalogue.losses
    return pa.DataFrameSchema(
        {
            "action_id": pa.Column(
                object,
                [_element(lambda v: isinstance(v, str) and bool(_ID.match(v)), "letters, digits, - or _ (at most 40)")],
                nullable=True,
                required=False,
            ),
            "answers_wave": pa.Column(
                object,
                [
                    _element(_is_whole, "must be a whole number"),
                    _element(
                        lambda v: not _is_whole(v) or int(float(v)) in catalogue.waves,
                        f"must be a wave of the campaign ({', '.join(map(str, sorted(catalogue.waves)))})",
                    ),
                ],
                nullable=True,
                required=False,
            ),
            "target_kind": pa.Column(object, [_element(lambda v: v in KINDS, f"must be one of {', '.join(KINDS)}")]),
            "target_id": pa.Column(
                object, [_element(lambda v: v in targets, "not a dimension, item or loss of the campaign's questionnaire")]
            ),
            "group_a": pa.Column(
                object,
                [_element(lambda v: v in catalogue.groups, "must be attribute=option of the questionnaire (e.g. level=board)")],
                nullable=True,
                required=False,
            ),
            "group_b": pa.Column(
                object,
                [_element(lambda v: v in catalogue.groups, "must be attribute=option of the questionnaire (e.g. level=shop_floor)")],
                nullable=True,
                required=False,
            ),
            "title": _text(TEXT_LIMITS["title"], required=True),
            "owner": pa.Column(
                object,
                [
                    *_text(TEXT_LIMITS["owner"]).checks,
                    _element(lambda v: isinstance(v, str) and "@" not in v, "a role or team name, not a person's address"),
                ],
            ),
            "due_on": pa.Column(object, [_element(_is_date, "must be a date (YYYY-MM-DD)")], nullable=True, required=False),
            "status": pa.Column(
                object, [_element(lambda v: v in STATUSES, f"must be one of {', '.join(STATUSES)}")], nullable=True, required=False
            ),
            "loss": pa.Column(
                object,
                [_element(lambda v: v in catalogue.losses, "not a loss category of the questionnaire")],
                nullable=True,
                required=False,
            ),
            "eur_per_year": pa.Column(
                object, [_element(_is_amount, f"must be an amount from 0 to {MAX_EUR_PER_YEAR:.0e} €")], nullable=True, required=False
            ),
            "kpi": _text(TEXT_LIMITS["kpi"]),
            "kpi_baseline": _text(TEXT_LIMITS["kpi_baseline"]),
            "notes": _text(TEXT_LIMITS["notes"]),
            "published": pa.Column(object, [_element(_is_flag, "must be true or false")], nullable=True, required=False),
        },
        strict=False,
        name="actions",
    )


def _row_problems(frame: pd.DataFrame, catalogue: Catalogue, rows: Sequence[int | None]) -> list[ImportProblem]:
    """The rules that span fields of a row (a target of the right kind, a complete and distinct pair, unique ids)."""
    problems: list[ImportProblem] = []
    seen: dict[str, int] = {}
    for pos, record in enumerate(frame.to_dict("records")):
        row = rows[pos]
        kind, target = record.get("target_kind"), record.get("target_id")
        if (
            kind in KINDS
            and isinstance(target, str)
            and target not in catalogue.targets(kind)
            and target in (catalogue.dimensions | catalogue.items | catalogue.losses)
        ):
            problems.append(
                ImportProblem(
                    row,
                    "target_id",
                    target,
                    f"not a {kind.replace('_', ' ')} target (a {kind} names {'a dimension' if kind == 'blind_spot' else 'a ' + kind})",
                )
            )
        a, b = record.get("group_a"), record.get("group_b")
        if (a is None) != (b is None):
            missing = "group_b" if b is None else "group_a"
            problems.append(ImportProblem(row, missing, None, "a group pair needs both groups (e.g. level=board and level=shop_floor)"))
        elif a is not None and a == b:
            problems.append(ImportProblem(row, "group_b", str(b), "the two groups are the same"))
        if kind == "blind_spot" and a is None:
            problems.append(ImportProblem(row, "group_a", None, "a blind spot names who predicts (group_a) and who is predicted (group_b)"))
        action_id = record.get("action_id")
        if isinstance(action_id, str):
            if action_id in seen:
                problems.append(ImportProblem(row, "action_id", action_id, f"also used in row {seen[action_id]}"))
            seen.setdefault(action_id, row)
    return problems


def _schema_problems(exc: SchemaErrors, rows: Sequence[int | None]) -> list[ImportProblem]:
    problems = []
    for case in exc.failure_cases.itertuples(index=False):
        index = case.index
        row = rows[int(index)] if isinstance(index, int | float) and pd.notna(index) else None
        column = case.column if isinstance(case.column, str) else None
        check = str(case.check)
        reason = "is required" if "column_in_dataframe" in check else ("must not be empty" if "not_nullable" in check else check)
        value = None if case.failure_case is None or column is None or "column_in_dataframe" in check else str(case.failure_case)
        problems.append(ImportProblem(row, column, value, reason))
    return problems


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Blank cells (None, NaN, '', spaces) become None and text is stripped, before any check: empty means 'not given'."""
    out = frame.reset_index(drop=True)
    cells = {c: pd.Series([None if _blank(v) else _clean_text(v) for v in out[c]], index=out.index, dtype=object) for c in out.columns}
    return pd.DataFrame(cells, index=out.index, columns=out.columns)


def check_rows(
    frame: pd.DataFrame, catalogue: Catalogue, rows: Sequence[int | None] | None = None, source: str = "actions"
) -> pd.DataFrame:
    """The rows as typed values, or ActionsRefused naming every bad row and field (row = `rows[i]`, default position + 1).

    Every row is checked before any is kept, so one bad date refuses the whole list: a half-saved
    plan is worse than none, because nobody can tell which half.
    """
    raw = normalise(frame)
    rows = list(rows) if rows is not None else list(range(1, len(raw) + 1))
    problems: list[ImportProblem] = [
        ImportProblem(None, column, None, "unknown column (known: " + ", ".join(COLUMNS) + ")")
        for column in raw.columns
        if column not in COLUMNS
    ]
    try:
        raw_schema(catalogue).validate(raw, lazy=True)
    except SchemaErrors as exc:
        problems.extend(_schema_problems(exc, rows))
    problems.extend(_row_problems(raw, catalogue, rows))
    if problems:
        problems.sort(key=lambda p: (p.row or 0, COLUMNS.index(p.column) if p.column in COLUMNS else -1))
        raise ActionsRefused(problems, source)
    return typed(raw)


def _as_date(value: object) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def _as_amount(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        return float(value.replace("€", "").replace(" ", "").replace(",", ""))
    return float(value)


def _as_flag(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip().lower() in _TRUE
    return bool(value)


def typed(raw: pd.DataFrame) -> pd.DataFrame:
    """Checked cells as the storage types: dates as datetime.date, € as float, wave as int, published as bool."""
    convert = {
        "answers_wave": lambda v: None if v is None else int(float(v)),
        "due_on": _as_date,
        "eur_per_year": _as_amount,
        "published": _as_flag,
        "status": lambda v: v or "planned",
    }
    cells = {}
    for column in COLUMNS:
        values = list(raw[column]) if column in raw.columns else [None] * len(raw)
        fn = convert.get(column)
        cells[column] = pd.Series([fn(v) if fn else v for v in values], dtype=object)
    return pd.DataFrame(cells, columns=list(COLUMNS))


# The frame `list_actions` returns and `save_actions` writes: pandera checks what leaves storage too.
STORED = pa.DataFrameSchema(
    {
        "action_id": pa.Column(object, _element(lambda v: isinstance(v, str) and bool(_ID.match(v)), "action id"), unique=True),
        "campaign_id": pa.Column(object, _element(_is_text, "must be text")),
        "answers_wave": pa.Column("int64", pa.Check.ge(1)),
        "target_kind": pa.Column(object, pa.Check.isin(list(KINDS))),
        "target_id": pa.Column(object, _element(_is_text, "must be text")),
        "group_a": pa.Column(object, _element(lambda v: isinstance(v, str) and bool(_GROUP.match(v)), "attribute=option"), nullable=True),
        "group_b": pa.Column(object, _element(lambda v: isinstance(v, str) and bool(_GROUP.match(v)), "attribute=option"), nullable=True),
        "title": pa.Column(object, _element(_is_text, "must be text")),
        "owner": pa.Column(object, _element(_is_text, "must be text")),
        "due_on": pa.Column(object, _element(lambda v: isinstance(v, dt.date), "a date"), nullable=True),
        "status": pa.Column(object, pa.Check.isin(list(STATUSES))),
        "loss": pa.Column(object, nullable=True),
        "eur_per_year": pa.Column(float, pa.Check.in_range(0, MAX_EUR_PER_YEAR), nullable=True),
        "kpi": pa.Column(object, nullable=True),
        "kpi_baseline": pa.Column(object, nullable=True),
        "notes": pa.Column(object, nullable=True),
        "published": pa.Column(bool),
        "created_at": pa.Column("datetime64[ns]"),
        "updated_at": pa.Column("datetime64[ns]"),
    },
    strict=True,
    ordered=True,
    name="actions",
)
