"""The Excel workbook opened with openpyxl: sheets, frozen headers, numbers as numbers equal to the engine's, hidden cells in words, Raw rows
under a row-level grant only, no formula."""

from __future__ import annotations

import csv
import datetime as dt
import warnings
from collections.abc import Iterator
from pathlib import Path

import duckdb
import openpyxl
import pytest

from analysis import engine
from analysis.export import export
from analysis.scope import Scope
from survey.campaigns import create_campaign
from survey.grants import RowGrant, machine_grant
from survey.store import Database
from tests.conftest import MakeDemo
from tests.test_export_data import COMMENTS, FORMULA_HYPERLINK, HOSTILE_NAME, build_small_group_campaign

SHEETS = [
    "Findings",
    "Summary",
    "Heatmap",
    "Gaps",
    "Items",
    "Value at stake",
    "Blind spots & ambition",
    "Comments",
    "Response rates",
    "Trend",
    "Raw",
]


def _open(path: Path) -> openpyxl.Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl does not read Excel 2010 data-bar extensions; the file is still fine
        return openpyxl.load_workbook(path)


@pytest.fixture(scope="module")
def demo_db(make_demo: MakeDemo) -> Iterator[Database]:
    database = Database(make_demo(300, seed=8, waves=2), linger_s=0)
    yield database
    database.close()


@pytest.fixture(scope="module")
def workbook(demo_db: Database, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("xlsx-out") / "scan.xlsx"
    with demo_db.cursor() as con:
        result = export(con, "xlsx", out, Scope("demo"), grant=_grant(con))
    return out, result


def _grant(con: duckdb.DuckDBPyConnection, campaign_id: str = "demo") -> RowGrant:
    return machine_grant(con, campaign_id, "tester", "checking the Raw sheet")


def _header_map(ws: object, row: int) -> dict[str, int]:
    return {str(c.value): c.column for c in ws[row] if c.value is not None}


def test_the_workbook_has_every_sheet_with_frozen_headers_filters_and_fitted_widths(workbook: tuple[Path, object]) -> None:
    path, result = workbook
    wb = _open(path)
    assert wb.sheetnames == SHEETS == list(result.sheets)
    for name in SHEETS[2:]:  # the findings and the summary are text, not tables
        ws = wb[name]
        assert ws.freeze_panes is not None and ws.freeze_panes != "A1", name
        assert ws.auto_filter.ref, name
        widths = [d.width for d in ws.column_dimensions.values() if d.width]
        assert widths and max(widths) > 10, name


def test_heatmap_numbers_are_numbers_equal_to_the_engine_with_n_beside_the_mean(workbook: tuple[Path, object], demo_db: Database) -> None:
    wb = _open(workbook[0])
    ws = wb["Heatmap"]
    groups = _header_map(ws, 3)
    board = groups["Board / executive team"]
    assert ws.cell(4, board).value == "mean" and ws.cell(4, board + 1).value == "n"
    rows = {(ws.cell(r, 1).value, ws.cell(r, 2).value, ws.cell(r, 3).value): r for r in range(5, ws.max_row + 1)}
    with demo_db.cursor() as con:
        expected = engine.heatmap(con, Scope("demo")).data
        items = engine.heatmap(con, Scope("demo"), unit="item").data
    cell = expected[(expected["unit"] == "governance") & (expected["group"] == "level=board")].iloc[0]
    row = rows[("dimension", "Governance", None)]
    mean, n = ws.cell(row, board), ws.cell(row, board + 1)
    assert mean.data_type == "n" and mean.value == pytest.approx(float(cell["mean"])) and mean.number_format == "0.00"
    assert n.data_type == "n" and n.value == int(cell["n"])
    item = items[(items["unit"] == "GOV1") & (items["group"] == "all")].iloc[0]
    assert ws.cell(rows[("item", "Governance", "GOV1")], groups["All respondents"]).value == pytest.approx(float(item["mean"]))
    assert ws.conditional_formatting, "the heatmap has a colour scale"


def test_gaps_sheet_is_sorted_like_the_engine_with_ci_effect_size_and_adjusted_p(workbook: tuple[Path, object], demo_db: Database) -> None:
    ws = _open(workbook[0])["Gaps"]
    head = _header_map(ws, 3)
    with demo_db.cursor() as con:
        gaps = engine.gaps(con, Scope("demo")).data
    dims = [r for r in range(4, ws.max_row + 1) if ws.cell(r, 1).value == "dimension"]
    assert [ws.cell(r, 2).value.lower().replace("/", "_") for r in dims] == list(gaps["unit"])
    first = gaps.iloc[0]
    for column, key in (
        ("gap", "diff"),
        ("95% CI low", "ci_low"),
        ("95% CI high", "ci_high"),
        ("effect size g", "effect_size"),
        ("p adjusted", "p_adj"),
    ):
        value = ws.cell(dims[0], head[column]).value
        assert isinstance(value, float) and value == pytest.approx(float(first[key])), column
    assert ws.cell(dims[0], head["p adjusted"]).number_format == '[<0.001]"<0.001";0.000'
    assert sum(1 for r in range(4, ws.max_row + 1) if ws.cell(r, 1).value == "item") == 30


def test_raw_sheet_is_the_long_format_of_the_wave(workbook: tuple[Path, object], demo_db: Database, tmp_path: Path) -> None:
    path, result = workbook
    ws = _open(path)["Raw"]
    with demo_db.cursor() as con:
        export(con, "csv", tmp_path / "wave2.csv", Scope("demo", wave=2), grant=_grant(con))
    with (tmp_path / "wave2.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert [c.value for c in ws[1]] == rows[0]
    assert result.rows == ws.max_row - 1 == len(rows) - 1
    got = [c.value for c in ws[2]]
    assert got[2] == 2 and isinstance(got[2], int)
    assert got[3].date().isoformat() == rows[1][3] and ws.cell(2, 4).number_format == "yyyy-mm-dd"

    def text(value: object) -> str:
        return "" if value is None else value.date().isoformat() if isinstance(value, dt.datetime) else str(value)

    # Every file draws its own response ids (issue 12): the same rows, ids aside, and no id shared.
    sheet = [[text(c.value) for c in row] for row in ws.iter_rows(min_row=2)]
    assert sorted(r[1:] for r in sheet) == sorted(r[1:] for r in rows[1:])
    assert not {r[0] for r in sheet} & {r[0] for r in rows[1:]}
    values = [ws.cell(r, 11).value for r in range(2, ws.max_row + 1)]
    assert {type(v) for v in values} <= {int, type(None)} and None in values  # don't know stays empty


def test_a_leader_workbook_has_no_raw_sheet(demo_db: Database, tmp_path: Path) -> None:
    with demo_db.cursor() as con:
        result = export(con, "xlsx", tmp_path / "leader.xlsx", Scope("demo"), role="leader")
    wb = _open(tmp_path / "leader.xlsx")
    assert "Raw" not in wb.sheetnames and result.rows == 0
    assert wb["Summary"]["B17"].value == "leadership (aggregates only)"


def test_a_facilitator_workbook_has_raw_rows_only_under_a_grant(workbook: tuple[Path, object], demo_db: Database, tmp_path: Path) -> None:
    with demo_db.cursor() as con:
        result = export(con, "xlsx", tmp_path / "facilitator.xlsx", Scope("demo"), role="facilitator")
    wb = _open(tmp_path / "facilitator.xlsx")
    assert "Raw" not in wb.sheetnames and result.rows == 0
    assert wb["Summary"]["B17"].value == "facilitator (aggregates only)"
    assert _open(workbook[0])["Summary"]["B17"].value.startswith("facilitator with a row-level grant")


def test_dutch_workbook_has_dutch_sheets_and_labels(demo_db: Database, tmp_path: Path) -> None:
    with demo_db.cursor() as con:
        export(con, "xlsx", tmp_path / "nl.xlsx", Scope("demo", wave=1), lang="nl", role="leader")
    wb = _open(tmp_path / "nl.xlsx")
    assert wb.sheetnames[:4] == ["Bevindingen", "Samenvatting", "Heatmap", "Verschillen"] and "Trend" not in wb.sheetnames
    assert "Bestuur / directieteam" in _header_map(wb["Heatmap"], 3)


@pytest.fixture(scope="module")
def hostile_book(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    folder = tmp_path_factory.mktemp("hostile-xlsx")
    database = Database(folder / "h.duckdb", linger_s=0)
    with database.cursor() as con:
        build_small_group_campaign(con)
        export(con, "xlsx", folder / "h.xlsx", Scope("hostile"))
    database.close()
    return _open(folder / "h.xlsx")


def test_hidden_cells_say_hidden_and_are_never_blank(hostile_book: openpyxl.Workbook) -> None:
    ws = hostile_book["Heatmap"]
    supervisor = _header_map(ws, 3)["Team leader / supervisor"]
    cells = [(ws.cell(r, supervisor).value, ws.cell(r, supervisor + 1).value) for r in range(5, ws.max_row + 1)]
    assert len(cells) == 35
    assert all(mean == "hidden (n<5)" and n == "hidden" for mean, n in cells)
    rates = hostile_book["Response rates"]
    supervisors = [r for r in rates.iter_rows(min_row=4, values_only=True) if r[1] == "Team leader / supervisor"]
    assert supervisors == [("Your level in the organisation", "Team leader / supervisor", "hidden (n<5)", None, "hidden (n<5)")]


def test_user_text_that_looks_like_a_formula_is_a_quote_prefixed_string_everywhere(hostile_book: openpyxl.Workbook) -> None:
    formulas = [(ws.title, c.coordinate) for ws in hostile_book.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    risky = [
        (ws.title, c)
        for ws in hostile_book.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@", "\t", "\r"))
    ]
    seen = {c.value for _, c in risky}
    assert {HOSTILE_NAME, "=1+2 Strategy", *COMMENTS.values()} - {v for v in COMMENTS.values() if v.startswith("<")} <= seen
    assert all(c.data_type == "s" and c.quotePrefix for _, c in risky), [(t, c.coordinate) for t, c in risky if not c.quotePrefix]
    comments = hostile_book["Comments"]
    assert sum(1 for row in comments.iter_rows() for c in row if c.value == FORMULA_HYPERLINK) == 15


def test_zero_responses_gives_a_valid_workbook_with_a_note(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    create_campaign(con, "Nobody yet", campaign_id="empty")
    result = export(con, "xlsx", tmp_path / "empty.xlsx", Scope("empty"), grant=_grant(con, "empty"))
    wb = _open(tmp_path / "empty.xlsx")
    assert wb.sheetnames == [s for s in SHEETS if s != "Trend"]
    summary = [c.value for row in wb["Summary"].iter_rows() for c in row if c.value]
    assert "No responses in this wave yet: there are no results to show." in summary
    assert result.empty and result.rows == 0 and wb["Raw"].max_row == 1


def test_a_scope_too_large_for_one_sheet_says_so_in_raw(demo_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("analysis.export.xlsx.EXCEL_MAX_ROWS", 100)
    with demo_db.cursor() as con:
        result = export(con, "xlsx", tmp_path / "big.xlsx", Scope("demo"), grant=_grant(con))
    raw = _open(tmp_path / "big.xlsx")["Raw"]
    assert result.rows == 0 and "more than one worksheet can hold" in raw["A1"].value
