"""pandera schemas for every frame written to storage, built against the instrument it must obey."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from survey.instrument import Instrument
from survey.tables import capped

MAX_COMMENT_CHARS = 2000


@dataclass(frozen=True)
class ResponseFrames:
    """A batch of responses in the long form storage keeps: one frame per table."""

    responses: pd.DataFrame
    attributes: pd.DataFrame
    answers: pd.DataFrame
    comments: pd.DataFrame
    value_choices: pd.DataFrame
    ratings: pd.DataFrame = field(default_factory=lambda: empty_ratings())

    @property
    def count(self) -> int:
        return len(self.responses)


RATING_COLUMNS = ["response_id", "kind", "about", "dimension", "value"]


def empty_ratings() -> pd.DataFrame:
    """No targets or predictions: the ratings frame of an instrument without those blocks."""
    return pd.DataFrame({c: pd.Series(dtype="Int16" if c == "value" else object) for c in RATING_COLUMNS})


def _is_text(series: pd.Series) -> pd.Series:
    return series.map(lambda value: isinstance(value, str)) | series.isna()


# Text columns are checked element by element with this check rather than pandera's `str` dtype: that
# dtype check formats a table of failure cases even when every value passes, which made checking one
# submission cost ~80 ms of CPU (the largest share of a busy server's time); this check gives the same
# verdict and the same failure-case rows (column, value, row) in a third of the time.
IS_TEXT = pa.Check(_is_text, name="is_text", error="must be text")


def _str(*checks: pa.Check, **kwargs: object) -> pa.Column:
    return pa.Column(None, [IS_TEXT, *checks], **kwargs)


_BUILT: dict[tuple[str, str], dict[str, pa.DataFrameSchema]] = {}


def schemas(instrument: Instrument) -> dict[str, pa.DataFrameSchema]:
    """One schema per table, built once per instrument text: every submission is checked, building them is not free."""
    key = (instrument.key, instrument.fingerprint)
    if key not in _BUILT:
        _BUILT[key] = _build_schemas(instrument)
    return _BUILT[key]


def _build_schemas(instrument: Instrument) -> dict[str, pa.DataFrameSchema]:
    """Checks that need the instrument (item ids, scale, options) are built from it."""
    scale = instrument.scale
    allowed_pairs = {(a, o) for a, attr in instrument.attributes.items() for o in attr.options}
    losses = list(instrument.value_at_stake.losses) if instrument.value_at_stake else []
    return {
        "responses": pa.DataFrameSchema(
            {
                "response_id": _str(unique=True),
                "campaign_id": _str(),
                "wave": pa.Column(int, pa.Check.ge(1)),
                "submitted_on": pa.Column("datetime64[ns]"),
                "language": _str(pa.Check.isin(list(instrument.languages))),
                "source": _str(pa.Check.isin(["web", "kiosk", "invite", "import", "offline", "demo"])),
                "submission_key": _str(pa.Check(lambda s: ~s.dropna().duplicated().any(), error="duplicate submission key"), nullable=True),
                "import_id": _str(nullable=True),
            },
            strict=True,
            name="responses",
        ),
        "attributes": pa.DataFrameSchema(
            {
                "response_id": _str(),
                "attribute": _str(pa.Check.isin(list(instrument.attributes))),
                "value": _str(),
            },
            checks=[
                pa.Check(
                    lambda df: pd.Series(
                        [(a, v) in allowed_pairs for a, v in zip(df["attribute"], df["value"], strict=True)], index=df.index
                    ),
                    error="attribute value is not one of the attribute's options",
                ),
            ],
            unique=["response_id", "attribute"],
            strict=True,
            name="response_attributes",
        ),
        "answers": pa.DataFrameSchema(
            {
                "response_id": _str(),
                "item_id": _str(pa.Check.isin(list(instrument.item_ids))),
                "value": pa.Column("Int16", pa.Check.in_range(scale.min, scale.max), nullable=True),
            },
            unique=["response_id", "item_id"],
            strict=True,
            name="answers",
        ),
        "comments": pa.DataFrameSchema(
            {
                "response_id": _str(),
                "dimension": _str(pa.Check.isin(list(instrument.dimension_ids))),
                "language": _str(pa.Check.isin(list(instrument.languages))),
                "text": _str(pa.Check.str_length(1, MAX_COMMENT_CHARS)),
            },
            unique=["response_id", "dimension"],
            strict=True,
            name="comments",
        ),
        "value_choices": pa.DataFrameSchema(
            {"response_id": _str(), "loss": _str(pa.Check.isin(losses))},
            unique=["response_id", "loss"],
            strict=True,
            name="value_choices",
        ),
        "ratings": pa.DataFrameSchema(
            {
                "response_id": _str(),
                "kind": _str(pa.Check.isin(["target", "prediction"])),
                "about": _str(nullable=True),
                "dimension": _str(pa.Check.isin(list(instrument.dimension_ids))),
                "value": pa.Column("Int16", pa.Check.in_range(scale.min, scale.max)),
            },
            checks=[
                pa.Check(lambda df: (df["kind"] == "target") == df["about"].isna(), error="a target has no `about`, a prediction has one")
            ],
            unique=["response_id", "kind", "about", "dimension"],
            strict=True,
            name="dimension_ratings",
        ),
    }


def describe_schema_errors(exc: SchemaErrors) -> list[str]:
    """Turn pandera's failure table into lines a person can act on: table, column, value, why."""
    cases = exc.failure_cases
    lines = []
    for row in cases.head(50).itertuples(index=False):
        where = f"row {int(row.index) + 1}" if isinstance(row.index, int | float) and pd.notna(row.index) else "table"
        lines.append(f"{exc.schema.name}: {where}, column {row.column}: value {row.failure_case!r} fails {row.check}")
    if not lines:
        lines.append(f"{exc.schema.name}: {exc}")
    return capped(lines, 50, total=len(cases))


def validate_frames(frames: ResponseFrames, instrument: Instrument) -> ResponseFrames:
    """Validate every frame lazily so all failures are reported together; raise ValueError with readable lines."""
    checked = {}
    problems: list[str] = []
    for name, schema in schemas(instrument).items():
        try:
            checked[name] = schema.validate(getattr(frames, name), lazy=True)
        except SchemaErrors as exc:
            problems.extend(describe_schema_errors(exc))
    if problems:
        raise ValueError("\n".join(problems))
    ids = set(frames.responses["response_id"])
    for name in ("attributes", "answers", "comments", "value_choices", "ratings"):
        orphans = set(getattr(frames, name)["response_id"]) - ids
        if orphans:
            raise ValueError(f"{name}: rows for unknown response ids {sorted(orphans)[:5]}")
    return ResponseFrames(**checked)
