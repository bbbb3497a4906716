"""Statistics on real data: the public bfi data set loaded as a custom instrument, checked against pandas, scipy, pingouin, statsmodels."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import duckdb
import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from analysis import engine
from analysis.engine import Scope
from analysis.scoring import respondent_scores
from survey.campaigns import create_campaign, start_wave
from survey.instrument import Instrument, load_instrument
from survey.responses import insert_frames
from survey.schemas import ResponseFrames
from survey.store import Database, transaction
from tests.conftest import DATA, SHARED_DATA

BFI_CSV = SHARED_DATA / "bfi.csv"
BFI_YAML = DATA / "bfi.yaml"
GENDER = {1: "male", 2: "female"}
EDUCATION = {1: "some_high_school", 2: "high_school", 3: "some_college", 4: "college_graduate", 5: "graduate_degree"}
DIMENSIONS = {
    "agreeableness": ["A1", "A2", "A3", "A4", "A5"],
    "conscientiousness": ["C1", "C2", "C3", "C4", "C5"],
    "extraversion": ["E1", "E2", "E3", "E4", "E5"],
    "neuroticism": ["N1", "N2", "N3", "N4", "N5"],
    "openness": ["O1", "O2", "O3", "O4", "O5"],
}
REVERSED = ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]
ITEMS = [i for items in DIMENSIONS.values() for i in items]
GROUPS = [("gender", g) for g in GENDER.values()] + [("education", e) for e in EDUCATION.values()]

# The one optional input of the suite: the public bfi data set (R's psych package) is not shipped with the repository,
# so a developer's clone without it skips these tests, each listed with this reason at the end of the run (`-rs`).
# CI always has it beside the clone: there (CI set) a missing file fails like every other input.
NEEDS_BFI = pytest.mark.skipif(
    not BFI_CSV.exists() and not os.environ.get("CI"),
    reason=f"optional: the public bfi data set is not shipped with the repository; put bfi.csv at {BFI_CSV}",
)
pytestmark = NEEDS_BFI


def bfi_raw() -> pd.DataFrame:
    """The CSV with readable attribute values; rows without gender are skipped (none in the public file)."""
    df = pd.read_csv(BFI_CSV).dropna(subset=["gender"]).reset_index(drop=True)
    df["response_id"] = "bfi" + df.index.astype(str).str.zfill(5)
    df["gender_id"] = df["gender"].astype(int).map(GENDER)
    df["education_id"] = df["education"].map(lambda e: EDUCATION.get(int(e)) if pd.notna(e) else None)
    return df


def bfi_frames(df: pd.DataFrame, campaign_id: str, wave: int) -> ResponseFrames:
    """Storage's long form for the rows of `df`, built without a per-respondent loop."""
    n = len(df)
    responses = pd.DataFrame(
        {
            "response_id": df["response_id"].to_numpy(),
            "campaign_id": campaign_id,
            "wave": np.full(n, wave, dtype="int64"),
            "submitted_on": pd.Series([pd.Timestamp(dt.date(2024, 1, 1))] * n, dtype="datetime64[ns]"),
            "language": "en",
            "source": "import",
            "submission_key": pd.Series([None] * n, dtype=object),
            "import_id": pd.Series([None] * n, dtype=object),
        }
    )
    attrs = pd.concat(
        [
            pd.DataFrame({"response_id": df["response_id"], "attribute": "gender", "value": df["gender_id"]}),
            pd.DataFrame({"response_id": df["response_id"], "attribute": "education", "value": df["education_id"]}).dropna(
                subset=["value"]
            ),
        ],
        ignore_index=True,
    )
    answers = df.melt(id_vars="response_id", value_vars=ITEMS, var_name="item_id", value_name="value")
    answers["value"] = answers["value"].astype("Int16")
    empty_comments = pd.DataFrame(columns=["response_id", "dimension", "language", "text"], dtype=object)
    empty_losses = pd.DataFrame(columns=["response_id", "loss"], dtype=object)
    return ResponseFrames(responses, attrs.reset_index(drop=True), answers, empty_comments, empty_losses)


def load_bfi(con: duckdb.DuckDBPyConnection, df: pd.DataFrame, split_waves: bool = False) -> Instrument:
    """A campaign 'bfi' holding the data; with `split_waves` the first half is wave 1 and the rest wave 2."""
    instrument = load_instrument(BFI_YAML)
    create_campaign(con, "BFI", instrument, campaign_id="bfi")
    halves = [df] if not split_waves else [df.iloc[: len(df) // 2], df.iloc[len(df) // 2 :]]
    for wave, part in enumerate(halves, start=1):
        if wave > 1:
            start_wave(con, "bfi", f"Wave {wave}")
        with transaction(con):
            insert_frames(con, bfi_frames(part, "bfi", wave), instrument)
    return instrument


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return bfi_raw()


@pytest.fixture(scope="module")
def scored(raw: pd.DataFrame) -> pd.DataFrame:
    """The independent reference: items reverse-keyed as 7 − x, dimension score = mean of answered items if at least 3 of 5."""
    out = raw.copy()
    for item in REVERSED:
        out[item] = 7 - out[item]
    for dim, items in DIMENSIONS.items():
        answered = out[items].notna().sum(axis=1)
        out[dim] = out[items].mean(axis=1).where(answered * 2 >= len(items))
    return out


@pytest.fixture(scope="module")
def bfi_con(tmp_path_factory: pytest.TempPathFactory, raw: pd.DataFrame) -> Iterator[duckdb.DuckDBPyConnection]:
    db = Database(tmp_path_factory.mktemp("bfi") / "bfi.duckdb", linger_s=0, wait_s=5)
    with db.cursor() as con:
        load_bfi(con, raw)
        yield con
    db.close()


def _matrix_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return respondent_scores(con, "bfi", 1)


@pytest.mark.parametrize("dimension", list(DIMENSIONS))
def test_respondent_scores_match_reverse_keying_and_the_half_rule(bfi_con, scored, dimension):
    matrix = _matrix_frame(bfi_con)
    ours = np.sort(matrix[f"d:{dimension}"].dropna().to_numpy())
    theirs = np.sort(scored[dimension].dropna().to_numpy())
    assert len(ours) == len(theirs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("item", ITEMS)
def test_items_are_reverse_scored_only_where_keyed(bfi_con, scored, item):
    matrix = _matrix_frame(bfi_con)
    assert matrix[f"i:{item}"].sum() == scored[item].sum()
    assert matrix[f"i:{item}"].count() == scored[item].count()


def _reference_cell(values: pd.Series) -> dict[str, float]:
    x = values.dropna().to_numpy(dtype=float)
    lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    return {"n": len(x), "mean": x.mean(), "sd": x.std(ddof=1), "ci_low": lo, "ci_high": hi}


def _row(frame: pd.DataFrame, unit: str, group: str) -> pd.Series:
    found = frame[(frame["unit"] == unit) & (frame["group"] == group)]
    assert len(found) == 1, (unit, group)
    return found.iloc[0]


@pytest.mark.parametrize("dimension", list(DIMENSIONS))
@pytest.mark.parametrize(("attribute", "option"), [(None, None), *GROUPS])
def test_dimension_group_statistics(bfi_con, scored, dimension, attribute, option):
    by = attribute or "gender"
    frame = engine.heatmap(bfi_con, Scope("bfi"), unit="dimension", by=by).data
    subset = scored if attribute is None else scored[scored[f"{attribute}_id"] == option]
    expected = _reference_cell(subset[dimension])
    row = _row(frame, dimension, "all" if attribute is None else f"{attribute}={option}")
    assert not row["suppressed"]
    assert row["n"] == expected["n"]
    for key in ("mean", "sd", "ci_low", "ci_high"):
        assert row[key] == pytest.approx(expected[key], rel=1e-10), key


@pytest.mark.parametrize("item", ITEMS)
@pytest.mark.parametrize(("attribute", "option"), [("gender", "female"), ("education", "graduate_degree")])
def test_item_group_statistics_and_rwg(bfi_con, scored, item, attribute, option):
    frame = engine.heatmap(bfi_con, Scope("bfi"), unit="item", by=attribute).data
    values = scored.loc[scored[f"{attribute}_id"] == option, item]
    expected = _reference_cell(values)
    row = _row(frame, item, f"{attribute}={option}")
    assert row["n"] == expected["n"]
    assert row["mean"] == pytest.approx(expected["mean"], rel=1e-10)
    assert row["sd"] == pytest.approx(expected["sd"], rel=1e-10)
    assert row["ci_high"] == pytest.approx(expected["ci_high"], rel=1e-10)
    sigma_eu = (6**2 - 1) / 12
    assert row["rwg"] == pytest.approx(min(1.0, max(0.0, 1 - values.var(ddof=1) / sigma_eu)), rel=1e-10)


@pytest.mark.parametrize("dimension", list(DIMENSIONS))
def test_dimension_rwg_is_the_mean_of_item_rwg(bfi_con, scored, dimension):
    frame = engine.heatmap(bfi_con, Scope("bfi"), unit="dimension", by="gender").data
    males = scored[scored["gender_id"] == "male"]
    sigma_eu = 35 / 12
    expected = np.mean([np.clip(1 - males[i].var(ddof=1) / sigma_eu, 0, 1) for i in DIMENSIONS[dimension]])
    assert _row(frame, dimension, "gender=male")["rwg"] == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("dimension", list(DIMENSIONS))
def test_cronbach_alpha_matches_pingouin_over_complete_cases(bfi_con, scored, dimension):
    frame = engine.reliability(bfi_con, Scope("bfi")).data.set_index("dimension")
    items = scored[DIMENSIONS[dimension]]
    alpha, _ = pg.cronbach_alpha(data=items, nan_policy="listwise")
    assert frame.loc[dimension, "n"] == len(items.dropna())
    assert frame.loc[dimension, "alpha"] == pytest.approx(alpha, rel=1e-10)
    assert frame.loc[dimension, "low"] == (alpha < 0.7)


def test_low_alpha_is_flagged_for_openness(bfi_con):
    # Openness has the weakest consistency of the five scales in this data set (alpha about 0.6).
    frame = engine.reliability(bfi_con, Scope("bfi")).data.set_index("dimension")
    assert bool(frame.loc["openness", "low"])
    assert not bool(frame.loc["neuroticism", "low"])


@pytest.fixture(scope="module")
def gender_gaps(bfi_con) -> dict[str, pd.DataFrame]:
    return {
        unit: engine.gaps(bfi_con, Scope("bfi"), a=("gender", "male"), b=("gender", "female"), unit=unit).data
        for unit in ("dimension", "item")
    }


def _reference_gaps(scored: pd.DataFrame, units: list[str]) -> pd.DataFrame:
    rows = []
    for unit in units:
        x = scored.loc[scored["gender_id"] == "male", unit].dropna()
        y = scored.loc[scored["gender_id"] == "female", unit].dropna()
        test = pg.ttest(x, y, correction=True)
        ci = stats.ttest_ind(x, y, equal_var=False).confidence_interval(0.95)
        rows.append(
            {
                "unit": unit,
                "diff": x.mean() - y.mean(),
                "t": float(test["T"].iloc[0]),
                "df": float(test["dof"].iloc[0]),
                "p": float(test["p_val"].iloc[0]),
                "ci_low": ci.low,
                "ci_high": ci.high,
                "g": pg.compute_effsize(x, y, eftype="hedges"),
            }
        )
    out = pd.DataFrame(rows)
    out["p_adj"] = multipletests(out["p"], method="fdr_bh")[1]
    return out.set_index("unit")


@pytest.mark.parametrize("unit_type", ["dimension", "item"])
def test_gaps_match_pingouin_welch_hedges_and_statsmodels_bh(gender_gaps, scored, unit_type):
    units = list(DIMENSIONS) if unit_type == "dimension" else ITEMS
    ours = gender_gaps[unit_type].set_index("unit")
    theirs = _reference_gaps(scored, units)
    assert set(ours.index) == set(units)
    for unit in units:
        for mine, ref in (("diff", "diff"), ("t", "t"), ("df", "df"), ("ci_low", "ci_low"), ("ci_high", "ci_high"), ("effect_size", "g")):
            assert ours.loc[unit, mine] == pytest.approx(theirs.loc[unit, ref], rel=1e-8, abs=1e-12), (unit, mine)
        assert ours.loc[unit, "p"] == pytest.approx(theirs.loc[unit, "p"], rel=1e-6, abs=1e-300), unit
        assert ours.loc[unit, "p_adj"] == pytest.approx(theirs.loc[unit, "p_adj"], rel=1e-6, abs=1e-300), unit


@pytest.mark.parametrize("unit_type", ["dimension", "item"])
def test_gaps_are_sorted_by_absolute_difference(gender_gaps, unit_type):
    sizes = gender_gaps[unit_type]["diff"].abs().to_numpy()
    assert list(sizes) == sorted(sizes, reverse=True)


@pytest.mark.parametrize(
    ("filters", "by", "option"),
    [
        ((("education", "college_graduate"),), "gender", "female"),
        ((("gender", "male"),), "education", "some_college"),
        ((("gender", "female"),), "education", "graduate_degree"),
    ],
)
def test_filtered_group_statistics(bfi_con, scored, filters, by, option):
    frame = engine.heatmap(bfi_con, Scope("bfi", filters=filters), unit="dimension", by=by).data
    subset = scored
    for attribute, value in filters:
        subset = subset[subset[f"{attribute}_id"] == value]
    for dimension in DIMENSIONS:
        total = _reference_cell(subset[dimension])
        group = _reference_cell(subset.loc[subset[f"{by}_id"] == option, dimension])
        assert _row(frame, dimension, "all")["mean"] == pytest.approx(total["mean"], rel=1e-10)
        row = _row(frame, dimension, f"{by}={option}")
        assert row["n"] == group["n"]
        assert row["mean"] == pytest.approx(group["mean"], rel=1e-10)
        assert row["ci_low"] == pytest.approx(group["ci_low"], rel=1e-10)


def test_item_distribution_is_as_asked_not_reverse_scored(bfi_con, raw):
    frame = engine.item_distribution(bfi_con, Scope("bfi"), "A1", by="gender").data
    female = frame[frame["group"] == "gender=female"].set_index("value")
    answers = raw.loc[raw["gender_id"] == "female", "A1"].dropna()
    expected = answers.value_counts(normalize=True) * 100
    for value in range(1, 7):
        assert female.loc[value, "pct"] == pytest.approx(expected.get(value, 0.0), rel=1e-10)
    assert female["n"].iloc[0] == len(answers)
    assert bool(female["reverse"].iloc[0])


@pytest.fixture(scope="module")
def two_wave_con(tmp_path_factory: pytest.TempPathFactory, raw: pd.DataFrame) -> Iterator[duckdb.DuckDBPyConnection]:
    db = Database(tmp_path_factory.mktemp("bfi2") / "bfi2.duckdb", linger_s=0, wait_s=5)
    with db.cursor() as con:
        load_bfi(con, raw, split_waves=True)
        yield con
    db.close()


@pytest.mark.parametrize(("by", "group"), [(None, "all"), ("gender", "gender=female"), ("education", "education=some_college")])
def test_trend_between_waves_matches_scipy_welch(two_wave_con, scored, by, group):
    frame = engine.trend(two_wave_con, Scope("bfi", wave=2), earlier_wave=1, unit="dimension", by=by).data
    half = len(scored) // 2
    before, after = scored.iloc[:half], scored.iloc[half:]
    if by is not None:
        option = group.split("=")[1]
        before, after = before[before[f"{by}_id"] == option], after[after[f"{by}_id"] == option]
    for dimension in DIMENSIONS:
        x, y = after[dimension].dropna(), before[dimension].dropna()
        test = stats.ttest_ind(x, y, equal_var=False)
        ci = test.confidence_interval(0.95)
        row = _row(frame, dimension, group)
        assert row["n_before"] == len(y) and row["n_after"] == len(x)
        assert row["change"] == pytest.approx(x.mean() - y.mean(), rel=1e-10)
        assert row["ci_low"] == pytest.approx(ci.low, rel=1e-8)
        assert row["ci_high"] == pytest.approx(ci.high, rel=1e-8)
        assert row["p"] == pytest.approx(test.pvalue, rel=1e-6)
