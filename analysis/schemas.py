"""pandera schemas of every frame the engine returns, with the anonymity promise written as checks.

Two checks run on every frame before it leaves the engine: a row marked `suppressed` carries no
number at all, and a shown row never counts fewer than k respondents. A bug anywhere upstream then
fails loudly instead of reaching a chart or an export.
"""

from __future__ import annotations

from functools import cache

import pandas as pd
import pandera.pandas as pa

from analysis.comments import COMMENT_COLUMNS
from analysis.gaps import GAP_COLUMNS, GAP_NUMBERS
from analysis.groups import GROUP_COLUMNS, NUMBER_COLUMNS
from analysis.insights.agreement import AGREEMENT_COLUMNS
from analysis.trend import TREND_COLUMNS, TREND_NUMBERS
from analysis.value import RANKING_COLUMNS

# name: (columns in order, number columns that must be empty when hidden, count columns that must be >= k when shown)
FRAMES: dict[str, tuple[list[str], list[str], list[str]]] = {
    "groups": (GROUP_COLUMNS, NUMBER_COLUMNS, ["n"]),
    "gaps": (GAP_COLUMNS, GAP_NUMBERS, ["n_a", "n_b"]),
    "trend": (TREND_COLUMNS, TREND_NUMBERS, ["n_before", "n_after"]),
    "distribution": (
        ["item", "dimension", "reverse", "group", "attribute", "option", "value", "label", "n", "pct", "suppressed", "reason"],
        ["n", "pct"],
        ["n"],
    ),
    "shares": (["loss", "group", "attribute", "option", "n", "share", "suppressed", "reason"], ["n", "share"], ["n"]),
    "participation": (
        ["group", "attribute", "option", "n", "headcount", "response_rate", "suppressed", "reason"],
        ["n", "response_rate"],
        ["n"],
    ),
    "agreement_a": (AGREEMENT_COLUMNS, ["n", "agreement_a"], ["n"]),
    "reliability": (["dimension", "items", "n", "alpha", "low", "suppressed", "reason"], ["n", "alpha"], ["n"]),
}


def _column(name: str, counts: list[str]) -> pa.Column:
    """Types are checked where a wrong one would hide a leak (counts, the hidden flag); the rest only has to be present."""
    if name in counts:
        return pa.Column("Int64", nullable=True)
    if name == "suppressed":
        return pa.Column(bool)
    return pa.Column(nullable=True)


@cache
def schema(name: str, k: int) -> pa.DataFrameSchema:
    columns, numbers, counts = FRAMES[name]

    def hidden_rows_are_empty(frame: pd.DataFrame) -> bool:
        return bool(frame.loc[frame["suppressed"], numbers].isna().all().all())

    def shown_rows_count_k(frame: pd.DataFrame) -> bool:
        shown = frame.loc[~frame["suppressed"], counts]
        return bool((shown.notna() & (shown >= k)).all().all())

    return pa.DataFrameSchema(
        {c: _column(c, counts) for c in columns},
        checks=[
            pa.Check(hidden_rows_are_empty, error="a suppressed row carries a number"),
            pa.Check(shown_rows_count_k, error=f"a shown row counts fewer than k={k} respondents"),
        ],
        strict=True,
        ordered=True,
        name=name,
    )


RANKING_SCHEMA = pa.DataFrameSchema(
    {c: pa.Column(bool) if c == "diff_suppressed" else pa.Column(nullable=True) for c in RANKING_COLUMNS},
    checks=[
        pa.Check(
            lambda f: bool(f.loc[f["diff_suppressed"], ["diff", "ci_low", "ci_high"]].isna().all().all()),
            error="a hidden difference carries a number",
        )
    ],
    strict=True,
    ordered=True,
    name="ranking",
)
COMMENTS_SCHEMA = pa.DataFrameSchema(
    {c: pa.Column(nullable=c in ("attribute", "option")) for c in COMMENT_COLUMNS}, strict=True, ordered=True, name="comments"
)


def check_ranking(frame: pd.DataFrame) -> pd.DataFrame:
    """The value-at-stake ranking: a difference whose groups are hidden has no numbers."""
    return RANKING_SCHEMA.validate(frame)


def check_comments(frame: pd.DataFrame) -> pd.DataFrame:
    """Comments carry exactly the documented columns: no date, no language, no respondent id."""
    return COMMENTS_SCHEMA.validate(frame)


def check(frame: pd.DataFrame, name: str, k: int) -> pd.DataFrame:
    """Validate a result frame against its schema and the anonymity checks; raise pandera's SchemaError otherwise."""
    return schema(name, k).validate(frame)
