"""The long format as CSV and Parquet: read back with the csv module and DuckDB, filtered, facilitators only, formula-safe, audited."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from analysis.export import ExportRefused, export
from analysis.scope import Scope
from survey.campaigns import create_campaign
from survey.demo import load_demo
from survey.store import recent_audit

CONTRACT = ["response_id", "campaign", "wave", "submitted_on", "language", "level", "function", "site", "dimension", "item_id", "value"]


@pytest.fixture
def two_waves(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    load_demo(con, 120, seed=4, waves=2)
    return con


def _answers(con: duckdb.DuckDBPyConnection, wave: int | None = None, site: str | None = None) -> int:
    sql = """SELECT count(*) FROM answers a JOIN responses r USING (response_id)
             WHERE r.campaign_id = 'demo' AND ($wave IS NULL OR r.wave = $wave)
               AND ($site IS NULL OR EXISTS (SELECT 1 FROM response_attributes x
                    WHERE x.response_id = r.response_id AND x.attribute = 'site' AND x.value = $site))"""
    return con.execute(sql, {"wave": wave, "site": site}).fetchone()[0]


def test_csv_holds_every_answer_of_every_wave_in_the_contract_columns(two_waves: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    out = tmp_path / "long.csv"
    result = export(two_waves, "csv", out, Scope("demo"))
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == CONTRACT
    assert result.rows == len(rows) == _answers(two_waves)
    assert {r["wave"] for r in rows} == {"1", "2"}
    assert all(r["value"] == "" or 1 <= int(r["value"]) <= 5 for r in rows)
    assert result.files == (out,) and not result.notes


def test_parquet_reads_back_in_duckdb_with_one_wave_and_a_filter(two_waves: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    out = tmp_path / "venlo.parquet"
    result = export(two_waves, "parquet", out, Scope("demo", wave=2, filters=(("site", "venlo"),)))
    frame = duckdb.sql(f"SELECT * FROM read_parquet('{out}')").df()
    assert list(frame.columns) == CONTRACT
    assert set(frame["wave"]) == {2} and set(frame["site"]) == {"venlo"}
    assert result.rows == len(frame) == _answers(two_waves, wave=2, site="venlo") > 0
    assert str(frame["value"].dtype) in ("Int16", "int16", "float64")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_leader_is_refused_the_answer_rows_and_nothing_is_written(two_waves: duckdb.DuckDBPyConnection, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"long.{fmt}"
    with pytest.raises(ExportRefused, match="facilitators only"):
        export(two_waves, fmt, out, Scope("demo"), role="leader")
    assert not out.exists()
    assert not [e for e in recent_audit(two_waves) if e.action == "export"]


def test_a_campaign_id_that_looks_like_a_formula_is_text_in_the_csv_but_kept_in_parquet(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load_demo(con, 30, seed=2, campaign_id="=1+1")
    export(con, "csv", tmp_path / "x.csv", Scope("=1+1"))
    export(con, "parquet", tmp_path / "x.parquet", Scope("=1+1"))
    with (tmp_path / "x.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["campaign"] for r in rows} == {"'=1+1"}
    assert not any(value.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for value in r.values())
    assert duckdb.sql(f"SELECT DISTINCT campaign FROM read_parquet('{tmp_path / 'x.parquet'}')").fetchall() == [("=1+1",)]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_zero_responses_is_a_header_only_file_with_a_note(con: duckdb.DuckDBPyConnection, tmp_path: Path, fmt: str) -> None:
    create_campaign(con, "Nobody yet", campaign_id="empty")
    out = tmp_path / f"empty.{fmt}"
    result = export(con, fmt, out, Scope("empty"))
    assert result.rows == 0 and result.empty and result.notes
    if fmt == "csv":
        assert out.read_text(encoding="utf-8").splitlines() == [",".join(CONTRACT)]
    else:
        assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{out}')").fetchall() == [(0,)]


def test_every_long_export_is_audited_with_format_and_scope(two_waves: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    export(two_waves, "parquet", tmp_path / "a.parquet", Scope("demo", wave=1, filters=(("level", "board"),)), actor="anna")
    entry = recent_audit(two_waves, 1)[0]
    assert (entry.actor, entry.action) == ("anna", "export")
    assert "parquet" in entry.detail and "campaign=demo" in entry.detail and "wave=1" in entry.detail and "level=board" in entry.detail


def test_unknown_filters_are_refused_before_writing(two_waves: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not an option of site"):
        export(two_waves, "csv", tmp_path / "x.csv", Scope("demo", filters=(("site", "paris"),)))
    with pytest.raises(ValueError, match="unknown attribute"):
        export(two_waves, "csv", tmp_path / "x.csv", Scope("demo", filters=(("shoe_size", "42"),)))
    assert not (tmp_path / "x.csv").exists()
