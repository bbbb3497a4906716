"""The long format as CSV and Parquet: row-level data behind a grant, coarsened to k, joined to nothing, formula-safe, audited.

Finding 4 of issue 12: a facilitator's file held every respondent's exact attributes (level + site +
function singled people out), the stored response ids and the day of submission. The attack tests
below group a file by every attribute with pandas and look for a group below k, and try to join the
file to the database by id and by day.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import replace
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from analysis.export import ExportRefused, export
from analysis.scope import Scope
from survey.campaigns import create_campaign
from survey.demo import load_demo
from survey.grants import RowGrant, machine_grant
from survey.store import recent_audit
from tests.test_export_data import build_small_group_campaign

CONTRACT = ["response_id", "campaign", "wave", "submitted_on", "language", "level", "function", "site", "dimension", "item_id", "value"]
QUASI = ["wave", "language", "level", "function", "site"]


def _grant(con: duckdb.DuckDBPyConnection, campaign_id: str = "demo") -> RowGrant:
    return machine_grant(con, campaign_id, "tester", "checking the long format")


def _respondents(path: Path) -> pd.DataFrame:
    """One row per respondent of a long file: its id and the columns that describe the person."""
    frame = duckdb.sql(f"SELECT * FROM read_parquet('{path}')").df() if path.suffix == ".parquet" else pd.read_csv(path, dtype=str)
    return frame.drop_duplicates("response_id")[["response_id", *QUASI]].astype({"wave": int})


@pytest.fixture
def two_waves(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    load_demo(con, 120, seed=4, waves=2)
    return con


# What a long file holds a row for: every answer, then every dimension rating (targets and predictions).
ANSWER_ROWS = "(SELECT response_id FROM answers UNION ALL SELECT response_id FROM dimension_ratings)"


def _answers(con: duckdb.DuckDBPyConnection, wave: int | None = None, site: str | None = None) -> int:
    sql = f"""SELECT count(*) FROM {ANSWER_ROWS} a JOIN responses r USING (response_id)
             WHERE r.campaign_id = 'demo' AND ($wave IS NULL OR r.wave = $wave)
               AND ($site IS NULL OR EXISTS (SELECT 1 FROM response_attributes x
                    WHERE x.response_id = r.response_id AND x.attribute = 'site' AND x.value = $site))"""
    return con.execute(sql, {"wave": wave, "site": site}).fetchone()[0]


def test_csv_holds_every_answer_of_every_wave_in_the_contract_columns(two_waves: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    out = tmp_path / "long.csv"
    result = export(two_waves, "csv", out, Scope("demo"), grant=_grant(two_waves))
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == CONTRACT
    assert result.rows == len(rows) == _answers(two_waves)
    assert {r["wave"] for r in rows} == {"1", "2"}
    assert all(r["value"] == "" or 1 <= int(r["value"]) <= 5 for r in rows)
    assert result.files == (out,) and [n for n in result.notes if "merged" not in n] == []  # the merges are noted (issue 12)


def _level_answers(con: duckdb.DuckDBPyConnection, wave: int, level: str) -> int:
    sql = f"""SELECT count(*) FROM {ANSWER_ROWS} a JOIN responses r USING (response_id) JOIN response_attributes x USING (response_id)
             WHERE r.campaign_id = 'demo' AND r.wave = ? AND x.attribute = 'level' AND x.value = ?"""
    return con.execute(sql, [wave, level]).fetchone()[0]


def test_parquet_reads_back_in_duckdb_with_one_wave_and_a_filter(two_waves: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """Level is kept finest (the gap analysis is built on it), so a level filter selects exactly that level's answers.

    (The filter was site=venlo before issue 12; with 120 respondents a wave, site is now merged, see the next test.)
    """
    out = tmp_path / "shop_floor.parquet"
    result = export(two_waves, "parquet", out, Scope("demo", wave=2, filters=(("level", "shop_floor"),)), grant=_grant(two_waves))
    frame = duckdb.sql(f"SELECT * FROM read_parquet('{out}')").df()
    assert list(frame.columns) == CONTRACT
    assert set(frame["wave"]) == {2} and set(frame["level"]) == {"shop_floor"}
    assert result.rows == len(frame) == _level_answers(two_waves, 2, "shop_floor") > 0
    assert str(frame["value"].dtype) in ("Int16", "int16", "float64")


def test_a_filter_on_a_merged_value_selects_nothing_and_says_why(two_waves: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """Selecting the Venlo respondents out of a merged 'eindhoven|gent|venlo' would give back the small groups the merge hid."""
    grant = _grant(two_waves)
    export(two_waves, "csv", tmp_path / "all.csv", Scope("demo", wave=2), grant=grant)
    assert "venlo" not in set(_respondents(tmp_path / "all.csv")["site"])
    result = export(two_waves, "csv", tmp_path / "venlo.csv", Scope("demo", wave=2, filters=(("site", "venlo"),)), grant=grant)
    assert result.rows == 0 and any("site=venlo is merged into" in note for note in result.notes)


def test_a_filtered_file_holds_whole_groups_of_the_unfiltered_one(two_waves: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    grant = _grant(two_waves)
    export(two_waves, "csv", tmp_path / "all.csv", Scope("demo"), grant=grant)
    export(two_waves, "csv", tmp_path / "board.csv", Scope("demo", filters=(("level", "board"),)), grant=grant)
    whole = _respondents(tmp_path / "all.csv").fillna("").groupby(QUASI).size()
    part = _respondents(tmp_path / "board.csv").fillna("").groupby(QUASI).size()
    assert len(part) > 0 and (part == whole[part.index]).all()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_leader_is_refused_the_answer_rows_and_nothing_is_written(two_waves: duckdb.DuckDBPyConnection, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"long.{fmt}"
    with pytest.raises(ExportRefused, match="facilitators only"):
        export(two_waves, fmt, out, Scope("demo"), role="leader")
    with pytest.raises(ExportRefused, match="facilitators only"):
        export(two_waves, fmt, out, Scope("demo"), role="leader", grant=_grant(two_waves))
    assert not out.exists()
    assert not [e for e in recent_audit(two_waves) if e.action == "export"]


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_a_facilitator_without_a_valid_grant_gets_no_answer_rows(two_waves: duckdb.DuckDBPyConnection, tmp_path: Path, fmt: str) -> None:
    """Answer rows are a separate permission: signing in as facilitator is not it, nor a grant of another campaign or one run out."""
    grant = _grant(two_waves)
    ended = replace(grant, expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    out = tmp_path / f"long.{fmt}"
    refusals = [(replace(grant, campaign_id="other"), "not 'demo'"), (ended, "ended")]
    if fmt != "xlsx":  # a workbook without a grant is the aggregates-only workbook
        refusals.insert(0, (None, "separate permission"))
    for given, message in refusals:
        with pytest.raises(ExportRefused, match=message):
            export(two_waves, fmt, out, Scope("demo"), grant=given)
    assert not out.exists()
    assert not [e for e in recent_audit(two_waves) if e.action == "export"]


@pytest.fixture
def small_group(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    build_small_group_campaign(con)
    return con


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_no_combination_of_attributes_in_a_file_describes_fewer_than_k(
    small_group: duckdb.DuckDBPyConnection, tmp_path: Path, fmt: str
) -> None:
    """The attack: group the file by level, function, site (and language, wave). Three supervisors were a group of 3 (k = 5)."""
    out = tmp_path / f"rows.{fmt}"
    result = export(small_group, fmt, out, Scope("hostile"), grant=_grant(small_group, "hostile"))
    people = _respondents(out)
    ratings = small_group.execute(
        "SELECT count(*) FROM dimension_ratings WHERE response_id IN (SELECT response_id FROM responses WHERE campaign_id = 'hostile')"
    ).fetchone()[0]
    assert len(people) == 44 and result.rows == 44 * 30 + ratings  # every answer, then every dimension rating
    assert people.fillna("").groupby(QUASI).size().min() >= 5
    assert "supervisor" not in set(people["level"]) and "specialist|supervisor" in set(people["level"])
    assert any("specialist|supervisor" in note for note in result.notes)


def test_a_file_cannot_be_joined_to_the_database_by_id_or_by_day(small_group: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """Ids are new in every file, the date is the wave's start, and rows come in no order of arrival."""
    small_group.execute("UPDATE responses SET submitted_on = DATE '2030-03-01' + CAST(hash(response_id) % 20 AS INTEGER)")
    grant = _grant(small_group, "hostile")
    export(small_group, "csv", tmp_path / "a.csv", Scope("hostile"), grant=grant)
    export(small_group, "csv", tmp_path / "b.csv", Scope("hostile"), grant=grant)
    first, second = pd.read_csv(tmp_path / "a.csv", dtype=str), pd.read_csv(tmp_path / "b.csv", dtype=str)
    stored = {r for (r,) in small_group.execute("SELECT response_id FROM responses").fetchall()}
    assert len(set(first["response_id"])) == 44
    assert not set(first["response_id"]) & stored and not set(first["response_id"]) & set(second["response_id"])
    (opened,) = small_group.execute("SELECT opened_on FROM waves WHERE campaign_id = 'hostile'").fetchone()
    assert set(first["submitted_on"]) == {opened.isoformat()}
    people = first.drop_duplicates("response_id").fillna("")
    assert list(people.index) == list(people.sort_values(["wave", "language", "site", "function", "level", "response_id"]).index)


def test_a_wave_with_fewer_than_k_respondents_is_left_out_with_a_note(small_group: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    from survey.campaigns import start_wave

    start_wave(small_group, "hostile", "again")
    small_group.execute(
        "INSERT INTO responses SELECT response_id || '-2', campaign_id, 2, submitted_on, language, source, NULL, NULL "
        "FROM responses WHERE campaign_id = 'hostile' ORDER BY response_id LIMIT 4"
    )
    result = export(small_group, "csv", tmp_path / "rows.csv", Scope("hostile"), grant=_grant(small_group, "hostile"))
    assert set(_respondents(tmp_path / "rows.csv")["wave"]) == {1}
    assert any("Wave 2 is left out" in note for note in result.notes)


def test_a_campaign_id_that_looks_like_a_formula_is_text_in_the_csv_but_kept_in_parquet(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load_demo(con, 30, seed=2, campaign_id="=1+1")
    grant = _grant(con, "=1+1")
    export(con, "csv", tmp_path / "x.csv", Scope("=1+1"), grant=grant)
    export(con, "parquet", tmp_path / "x.parquet", Scope("=1+1"), grant=grant)
    with (tmp_path / "x.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["campaign"] for r in rows} == {"'=1+1"}
    assert not any(value.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for value in r.values())
    assert duckdb.sql(f"SELECT DISTINCT campaign FROM read_parquet('{tmp_path / 'x.parquet'}')").fetchall() == [("=1+1",)]
    assert all(not v.startswith(("=", "+", "-", "@")) for r in rows for v in (r["level"], r["function"], r["site"]) if v)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_zero_responses_is_a_header_only_file_with_a_note(con: duckdb.DuckDBPyConnection, tmp_path: Path, fmt: str) -> None:
    create_campaign(con, "Nobody yet", campaign_id="empty")
    out = tmp_path / f"empty.{fmt}"
    result = export(con, fmt, out, Scope("empty"), grant=_grant(con, "empty"))
    assert result.rows == 0 and result.empty and result.notes
    if fmt == "csv":
        assert out.read_text(encoding="utf-8").splitlines() == [",".join(CONTRACT)]
    else:
        assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{out}')").fetchall() == [(0,)]


def test_every_long_export_is_audited_with_format_scope_rows_and_grant(two_waves: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    grant = machine_grant(two_waves, "demo", "anna", "re-coding the paper forms")
    result = export(
        two_waves, "parquet", tmp_path / "a.parquet", Scope("demo", wave=1, filters=(("level", "board"),)), actor="anna", grant=grant
    )
    entry = recent_audit(two_waves, 1)[0]
    assert (entry.actor, entry.action) == ("anna", "export")
    assert "parquet" in entry.detail and "campaign=demo" in entry.detail and "wave=1" in entry.detail and "level=board" in entry.detail
    assert f"rows={result.rows} " in entry.detail and "role=facilitator" in entry.detail and "k=5" in entry.detail
    assert "grant=anna via command line reason=re-coding the paper forms" in entry.detail


def test_unknown_filters_are_refused_before_writing(two_waves: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    grant = _grant(two_waves)
    with pytest.raises(ValueError, match="not an option of site"):
        export(two_waves, "csv", tmp_path / "x.csv", Scope("demo", filters=(("site", "paris"),)), grant=grant)
    with pytest.raises(ValueError, match="unknown attribute"):
        export(two_waves, "csv", tmp_path / "x.csv", Scope("demo", filters=(("shoe_size", "42"),)), grant=grant)
    assert not (tmp_path / "x.csv").exists()
