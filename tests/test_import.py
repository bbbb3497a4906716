"""Import of wide CSV/XLSX files: good files in every encoding and layout, each kind of bad file reported row by row, nothing written."""

from __future__ import annotations

import csv
import importlib.util
import io
from pathlib import Path

import duckdb
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey.campaigns import create_campaign, start_wave
from survey.importer import (
    PREVIEW_ROWS,
    ImportRefused,
    delete_import,
    list_imports,
    looks_like_formula,
    preview_import,
    run_import,
    validate_file,
)
from survey.instrument import Instrument, load_instrument, parse_instrument
from survey.tables import TableError, read_file, read_table

DATA = Path(__file__).resolve().parent / "data"
IMPORTS = DATA / "imports"
_spec = importlib.util.spec_from_file_location("make_files", IMPORTS / "make_files.py")
assert _spec and _spec.loader
make_files = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_files)

TABLES = ("responses", "response_attributes", "answers", "comments", "value_choices", "imports")


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def stored(con: duckdb.DuckDBPyConnection, import_id: str | None = None) -> list[tuple]:
    """Each imported respondent as (attributes, language, answers, comments, losses), sorted: comparable across files."""
    where = "WHERE r.import_id = ?" if import_id else ""
    rows = con.execute(
        f"""
        SELECT r.response_id, r.language,
          (SELECT list(attribute || '=' || value ORDER BY attribute) FROM response_attributes a WHERE a.response_id = r.response_id),
          (SELECT list(item_id || '=' || coalesce(CAST(value AS VARCHAR), '') ORDER BY item_id) FROM answers a WHERE a.response_id = r.response_id),
          (SELECT list(dimension || '=' || text ORDER BY dimension) FROM comments c WHERE c.response_id = r.response_id),
          (SELECT list(loss ORDER BY loss) FROM value_choices v WHERE v.response_id = r.response_id)
        FROM responses r {where}
        """,
        [import_id] if import_id else [],
    ).fetchall()
    return sorted((tuple(a or []), lang, tuple(b or []), tuple(c or []), tuple(d or [])) for _, lang, a, b, c, d in rows)


def expected_from_rows(rows: list[list[str]]) -> list[tuple]:
    """What good.csv's rows must become in storage, computed from the generator's own data."""
    header = make_files.HEADER
    labels = {"Ongeplande stilstand": "unplanned_downtime", "Quality problems, scrap and rework": "quality_scrap_rework"}
    out = []
    for row in rows:
        cell = dict(zip(header, row, strict=True))
        attrs = tuple(sorted(f"{a}={cell[a]}" for a in make_files.ATTRIBUTES))
        answers = tuple(sorted(f"{i}={cell[i]}" for i in make_files.ITEMS))
        comments = tuple(sorted(f"{c.removeprefix('comment_')}={cell[c]}" for c in ("comment_strategy", "comment_it_ot") if cell[c]))
        losses = []
        for part in cell["losses"].replace(",", ";").split(";"):
            part = part.strip()
            if part:
                losses.append(labels.get(part, part))
        # the label 'Quality problems, scrap and rework' holds a comma: the generator's row keeps it whole
        if "Quality problems" in cell["losses"]:
            losses = [x for x in losses if x not in ("Quality problems", "scrap and rework")] + ["quality_scrap_rework"]
        out.append((attrs, cell["language"], answers, comments, tuple(sorted(set(losses)))))
    return sorted(out)


@pytest.fixture
def campaign(con: duckdb.DuckDBPyConnection, instrument: Instrument) -> str:
    return create_campaign(con, "Plant survey", instrument, campaign_id="plant").campaign_id


def good_bytes() -> bytes:
    return (IMPORTS / "good.csv").read_bytes()


# --------------------------------------------------------------------------- good files


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter"),
    [
        ("good.csv", "utf-8", ","),
        ("bom.csv", "utf-8-sig", ","),
        ("utf16.csv", "utf-16", "\t"),
        ("good_semicolon_nl_labels.csv", "utf-8", ";"),
        ("cp1252.csv", "cp1252", ";"),
    ],
)
def test_good_files_import_every_row(con: duckdb.DuckDBPyConnection, campaign: str, name: str, encoding: str, delimiter: str) -> None:
    data = (IMPORTS / name).read_bytes()
    preview = preview_import(con, campaign, data, name)
    assert preview.ok, preview.report()
    assert (preview.rows, preview.encoding, preview.delimiter) == (10, encoding, delimiter)
    result = run_import(con, campaign, data, name)
    assert result.rows == 10 and result.wave == 1 and not result.forced
    assert counts(con)["responses"] == 10 and counts(con)["answers"] == 300 and counts(con)["imports"] == 1
    sources = con.execute("SELECT DISTINCT source, import_id FROM responses").fetchall()
    assert sources == [("import", result.import_id)]
    row = con.execute("SELECT file_sha256, filename, rows, campaign_id, wave FROM imports").fetchone()
    assert row == (preview.sha256, name, 10, campaign, 1)


def test_good_csv_stores_exactly_the_file(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    result = run_import(con, campaign, good_bytes(), "good.csv")
    assert stored(con, result.import_id) == expected_from_rows(make_files.good_rows())


@pytest.mark.parametrize("name", ["bom.csv", "utf16.csv"])
def test_other_encodings_store_the_same_as_utf8(con: duckdb.DuckDBPyConnection, campaign: str, name: str) -> None:
    result = run_import(con, campaign, (IMPORTS / name).read_bytes(), name)
    assert stored(con, result.import_id) == expected_from_rows(make_files.good_rows())


def test_dutch_labels_and_semicolons_become_ids(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    result = run_import(con, campaign, (IMPORTS / "good_semicolon_nl_labels.csv").read_bytes(), "nl.csv")
    rows = make_files.good_rows()
    rows[0][make_files.HEADER.index("STR1")] = "5"  # 'Helemaal eens'
    rows[0][make_files.HEADER.index("STR2")] = ""  # 'Weet ik niet' = don't know
    rows[1][make_files.HEADER.index("OPS1")] = "2"  # 'oneens'
    assert stored(con, result.import_id) == expected_from_rows(rows)


def test_cp1252_is_read_with_a_note_and_keeps_accents(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    preview = preview_import(con, campaign, (IMPORTS / "cp1252.csv").read_bytes(), "cp1252.csv")
    assert preview.notes and "Windows-1252" in preview.notes[0]
    run_import(con, campaign, (IMPORTS / "cp1252.csv").read_bytes(), "cp1252.csv")
    texts = [t for (t,) in con.execute("SELECT text FROM comments").fetchall()]
    assert "Te veel projecten, geëvalueerd door niemand; café-overleg." in texts


def test_preview_shows_ids_and_row_numbers_without_writing(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    preview = preview_import(con, campaign, (IMPORTS / "good_semicolon_nl_labels.csv").read_bytes(), "nl.csv")
    assert counts(con)["responses"] == 0
    assert list(preview.head.index) == list(range(2, 12))
    assert preview.head.loc[2, "level"] == "board" and preview.head.loc[3, "site"] == "venlo"
    assert preview.head.loc[2, "STR1"] == 5 and preview.head.loc[2, "STR2"] is not None
    assert list(preview.frame.columns[:4]) == ["level", "function", "site", "language"]


def test_preview_head_is_capped(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    rows = [make_files.good_rows()[i % 10] for i in range(50)]
    preview = preview_import(con, campaign, make_files._csv(rows).encode(), "fifty.csv")
    assert preview.rows == 50 and len(preview.head) == PREVIEW_ROWS and len(preview.frame) == 50


def test_headers_are_matched_case_insensitively_and_missing_language_uses_default(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    header = [h.upper() if h.startswith(("STR", "level")) else h for h in make_files.HEADER if h != "language"]
    rows = [[c for h, c in zip(make_files.HEADER, r, strict=True) if h != "language"] for r in make_files.good_rows()]
    data = make_files._csv(rows, header=header).encode()
    run_import(con, campaign, data, "upper.csv", default_language="nl")
    assert con.execute("SELECT DISTINCT language FROM responses").fetchall() == [("nl",)]


def test_excel_sep_hint_line_is_honoured(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    data = b"sep=;\r\n" + make_files._csv(make_files.good_rows(), delimiter=";").encode()
    bad = data.replace(b"board;production", b"chairman;production")
    preview = preview_import(con, campaign, bad, "hint.csv")
    assert [str(p) for p in preview.problems] == [
        "row 3, column level, value 'chairman': not an option of level "
        "(use one of board, senior_management, middle_management, supervisor, shop_floor, specialist, or its English/Dutch label)"
    ]
    assert run_import(con, campaign, data, "hint.csv").rows == 10


def _xlsx(rows: list[list[object]], header: list[str] | None = None, formula: tuple[int, int, str] | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header or make_files.HEADER)
    for row in rows:
        sheet.append(row)
    if formula:
        sheet.cell(row=formula[0], column=formula[1]).value = formula[2]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _typed(rows: list[list[str]]) -> list[list[object]]:
    """Cells as Excel holds them: numbers as numbers, empty as nothing."""
    return [[int(c) if c.isdigit() else (c or None) for c in row] for row in rows]


def test_xlsx_imports_like_csv(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    data = _xlsx(_typed(make_files.good_rows()))
    preview = preview_import(con, campaign, data, "good.xlsx")
    assert preview.ok and preview.encoding == "xlsx" and preview.rows == 10
    result = run_import(con, campaign, data, "good.xlsx")
    assert stored(con, result.import_id) == expected_from_rows(make_files.good_rows())


def test_xlsx_saved_with_a_csv_name_is_read_by_content(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    assert preview_import(con, campaign, _xlsx(_typed(make_files.good_rows())), "export.csv").ok


def test_xlsx_formula_and_float_cells_are_refused(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    rows = _typed(make_files.good_rows())
    rows[1][make_files.HEADER.index("OPS2")] = 2.5
    column = make_files.HEADER.index("comment_strategy") + 1
    data = _xlsx(rows, formula=(4, column, '=HYPERLINK("http://example.com","x")'))
    problems = [str(p) for p in preview_import(con, campaign, data, "f.xlsx").problems]
    assert problems[0] == "row 3, column OPS2, value '2.5': not a whole number; answers are whole numbers 1–5 or empty for don't know"
    assert problems[1].startswith("row 4, column comment_strategy, value '=HYPERLINK(") and "spreadsheet formula" in problems[1]
    with pytest.raises(ImportRefused):
        run_import(con, campaign, data, "f.xlsx")
    assert counts(con)["responses"] == 0


def test_any_scale_works(con: duckdb.DuckDBPyConnection) -> None:
    instrument = load_instrument(DATA / "instruments" / "scale_0_10.yaml")
    create_campaign(con, "Ten", instrument, campaign_id="ten")
    header = ["level", "site", *instrument.item_ids, "losses"]
    ok = [["board", "North plant", "0", "10", "5", "", "7", "3", "0", "10", "1", "Scrap, rework; energy"]]
    run_import(con, "ten", make_files._csv(ok, header=header).encode(), "ten.csv")
    assert con.execute("SELECT min(value), max(value) FROM answers").fetchone() == (0, 10)
    assert sorted(x for (x,) in con.execute("SELECT loss FROM value_choices").fetchall()) == ["energy", "scrap"]
    bad = [["Werkvloer", "south", "11", "", "", "", "", "", "", "", "", ""]]
    problems = [str(p) for p in preview_import(con, "ten", make_files._csv(bad, header=header).encode(), "bad.csv").problems]
    assert problems == ["row 2, column S1, value '11': outside the scale 0–10"]


# --------------------------------------------------------------------------- bad files

OPTIONS_LEVEL = "board, senior_management, middle_management, supervisor, shop_floor, specialist"
BAD = [
    ("empty.csv", ["file: the file is empty"]),
    ("header_only.csv", ["row 1: the file has a header row but no data rows"]),
    ("duplicate_headers.csv", ["row 1, column AK 'STR1': duplicate header: column E is also 'STR1'"]),
    (
        "unknown_column.csv",
        [
            "row 1, column AL 'employee number': unknown column: neither an id (attribute, item, comment_<dimension>, language, losses, "
            "target_<dimension>, predict_<level>_<dimension>) "
            "nor the text of a question, profile question or comment prompt in any language of the questionnaire"
        ],
    ),
    ("missing_attribute.csv", ["row 1, column site: required attribute column is missing"]),
    (
        "missing_item.csv",
        [
            "row 1, column ITO6: item column(s) missing: a file for industry40-alignment@2 needs a column for every item "
            "(leave cells empty for don't know)"
        ],
    ),
    ("out_of_range.csv", ["row 3, column STR2, value '7': outside the scale 1–5", "row 5, column GOV4, value '-1': outside the scale 1–5"]),
    (
        "non_integer.csv",
        [
            "row 2, column OPS3, value '3.5': not a whole number; answers are whole numbers 1–5 or empty for don't know",
            "row 4, column LEA1, value 'four': not an answer: use a whole number 1–5, a scale label, or leave it empty for don't know",
        ],
    ),
    (
        "unknown_option.csv",
        [
            f"row 6, column level, value 'CEO': not an option of level (use one of {OPTIONS_LEVEL}, or its English/Dutch label)",
            "row 8, column site, value 'Rotterdam': not an option of site (use one of eindhoven, venlo, gent, or its English/Dutch label)",
        ],
    ),
    ("missing_required_value.csv", ["row 4, column function: required, empty"]),
    ("unknown_language.csv", ["row 5, column language, value 'de': not one of the languages en, nl"]),
    (
        "unknown_loss.csv",
        [
            "row 3, column losses, value 'coffee machine': not a loss category (use ids or labels: unplanned_downtime, quality_scrap_rework, "
            "speed_throughput, planning_instability, labour_productivity, inventory_working_capital, energy_material_waste, service_level)"
        ],
    ),
    (
        "too_many_losses.csv",
        ["row 2, column losses, value 'unplanned_downtime;speed_throughput;service_level;plannin...': 4 loss categories named, at most 3"],
    ),
    (
        "ragged_row.csv",
        ["row 3, value 'surplus': has 38 cells but the header has 37 columns", "row 5: has 35 cells but the header has 37 columns"],
    ),
    ("bad_quotes.csv", ["row 5: cannot be read as CSV (unexpected end of data); check the quotes in this row"]),
]
FORMULA = "looks like a spreadsheet formula (starts with =, +, -, @, tab or CR); refused, not rewritten: edit the cell so it starts with a letter or digit"
BAD.append(
    (
        "formula_comment.csv",
        [
            f'row 2, column comment_strategy, value \'=HYPERLINK("http://example.com","click")\': {FORMULA}',
            f"row 4, column comment_it_ot, value '@SUM(A1:A9)': {FORMULA}",
            f"row 9, column comment_strategy, value '-2+3': {FORMULA}",
        ],
    )
)


def test_every_bad_fixture_is_covered() -> None:
    """A new bad file in tests/data/imports must get an expected report here."""
    good = {"good.csv", "good_semicolon_nl_labels.csv", "bom.csv", "utf16.csv", "cp1252.csv"}
    on_disk = {p.name for p in IMPORTS.glob("*.csv")} - good
    assert on_disk == {name for name, _ in BAD}


def test_fixtures_are_what_the_generator_writes() -> None:
    for name, data in make_files.files().items():
        assert (IMPORTS / name).read_bytes() == data, f"{name} is stale: run tests/data/imports/make_files.py"


@pytest.mark.parametrize(("name", "report"), BAD, ids=[b[0] for b in BAD])
def test_bad_file_is_reported_row_by_row_and_nothing_written(
    con: duckdb.DuckDBPyConnection, campaign: str, name: str, report: list[str]
) -> None:
    data = (IMPORTS / name).read_bytes()
    before = counts(con)
    preview = preview_import(con, campaign, data, name)
    assert not preview.ok
    assert [str(p) for p in preview.problems] == report
    with pytest.raises(ImportRefused) as caught:
        run_import(con, campaign, data, name)
    assert [str(p) for p in caught.value.problems] == report
    assert "refused, nothing written" in str(caught.value)
    assert counts(con) == before


def test_many_bad_rows_are_all_reported(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    rows = [make_files.good_rows()[i % 10] for i in range(500)]
    for i in range(0, 500, 7):
        rows[i] = list(rows[i])
        rows[i][make_files.HEADER.index("GOV2")] = "9"
    preview = preview_import(con, campaign, make_files._csv(rows).encode(), "big.csv")
    assert [p.row for p in preview.problems] == [i + 2 for i in range(0, 500, 7)]
    assert all(p.column == "GOV2" and p.value == "9" for p in preview.problems)
    assert preview.report(limit=10)[-1] == f"... and {len(preview.problems) - 10} more problem(s)"


def test_one_bad_row_among_valid_ones_writes_nothing(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    rows = [make_files.good_rows()[i % 10] for i in range(300)]
    rows[299] = list(rows[299])
    rows[299][make_files.HEADER.index("site")] = "mars"
    with pytest.raises(ImportRefused) as caught:
        run_import(con, campaign, make_files._csv(rows).encode(), "last.csv")
    assert [p.row for p in caught.value.problems] == [301]
    assert counts(con) == dict.fromkeys(TABLES, 0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel .xls workbook"),
        (b"PK\x03\x04broken", "is a damaged Excel workbook"),
        (b"level,site\x00\x01\x02\x03,\xff\xfe\x00", "NUL"),
        (b"  \r\n\r\n ", "the file is empty"),
        (b"level,function,site,STR1\r\n\x81\x8d\x8f,board,\x90,1\r\n", "save the file again as 'CSV UTF-8'"),
    ],
)
def test_unreadable_files_get_a_clear_message(data: bytes, message: str) -> None:
    with pytest.raises(TableError) as caught:
        read_table(data, "x.csv")
    assert message in str(caught.value)


def test_utf16_without_bom_is_detected() -> None:
    text = make_files._csv(make_files.good_rows(), delimiter="\t")
    table = read_table(text.encode("utf-16-le"), "x.txt")
    assert table.encoding == "utf-16-le" and table.delimiter == "\t" and len(table.rows) == 10


def test_size_limit_is_checked_before_reading(tmp_path: Path, instrument: Instrument) -> None:
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as handle:  # a sparse 100 MB file: reading it would take the memory, stat does not
        handle.truncate(100 * 1024 * 1024)
    with pytest.raises(TableError) as caught:
        read_file(huge)
    assert str(caught.value) == "file: the file is 100.0 MB, larger than the limit of 20.0 MB; split it into smaller files"
    preview = validate_file(instrument, good_bytes(), "good.csv", max_bytes=1000)
    assert [str(p) for p in preview.problems] == [
        "file: the file is 1 KB, larger than the limit of 1000 bytes; split it into smaller files"
    ]
    assert read_file(IMPORTS / "good.csv") == good_bytes()


def test_xlsx_that_unpacks_too_large_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import survey.uploads as uploads

    data = _xlsx(_typed(make_files.good_rows()))
    monkeypatch.setattr(uploads, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(TableError) as caught:
        read_table(data, "bomb.xlsx")
    assert "would unpack to" in str(caught.value)


@pytest.mark.parametrize(
    ("cell", "formula"),
    [("=1+1", True), ("+31 6 1234", True), ("-help", True), ("@SUM(A1)", True), ("\tx", True), ("\r=x", True), ("  =x", True),
     ("-1", False), ("+3", False), ("3.5", False), ("Plain text - with a dash", False), ("", False),
     ("- no budget for training", False), ("+ more say for the line", False), ("-cmd|' /C calc'!A0", True),
     ("- =1+1", True), ("-\t=1", True), ("@ x", True)],
)  # fmt: skip
def test_formula_detection(cell: str, formula: bool) -> None:
    assert looks_like_formula(cell) is formula


def test_a_bulleted_comment_is_imported_as_typed_and_neutralised_on_export(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    """Comment exports often hold "- remark" lines: stored as typed, and a spreadsheet still never runs them."""
    from analysis.export.long import neutralised_sql

    rows = make_files.good_rows()
    column = make_files.HEADER.index("comment_strategy")
    rows[0][column] = "- no budget for training"
    text = io.StringIO()
    csv.writer(text).writerows([make_files.HEADER, *rows])
    run_import(con, campaign, text.getvalue().encode(), "bullets.csv")
    texts = [r[0] for r in con.execute("SELECT text FROM comments WHERE text LIKE '- %'").fetchall()]
    assert texts == ["- no budget for training"]
    exported = con.execute(neutralised_sql("SELECT text FROM comments WHERE text LIKE '- %'", ["text"])).fetchall()
    assert exported == [("'- no budget for training",)]


# --------------------------------------------------------------------------- twice, force, undo, instrument versions


def test_same_file_twice_is_refused_unless_forced(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    first = run_import(con, campaign, good_bytes(), "good.csv")
    preview = preview_import(con, campaign, good_bytes(), "renamed.csv")
    assert preview.ok and preview.already_imported is not None and preview.already_imported.import_id == first.import_id
    with pytest.raises(ImportRefused) as caught:
        run_import(con, campaign, good_bytes(), "renamed.csv")
    assert "was already imported into 'plant'" in str(caught.value) and "as 'good.csv' (10 rows)" in str(caught.value)
    assert counts(con)["responses"] == 10 and counts(con)["imports"] == 1
    again = run_import(con, campaign, good_bytes(), "renamed.csv", force=True)
    assert again.forced and again.import_id != first.import_id
    assert counts(con)["responses"] == 20 and counts(con)["imports"] == 2
    assert [r.filename for r in list_imports(con, campaign)] and {r.rows for r in list_imports(con, campaign)} == {10}
    actions = con.execute("SELECT action, detail FROM audit_log ORDER BY logged_at").fetchall()
    assert [a for a, _ in actions] == ["import", "import"] and actions[1][1].endswith("(forced repeat)")


def test_same_file_into_another_campaign_is_fine(con: duckdb.DuckDBPyConnection, campaign: str, instrument: Instrument) -> None:
    run_import(con, campaign, good_bytes(), "good.csv")
    create_campaign(con, "Other plant", instrument, campaign_id="other")
    assert run_import(con, "other", good_bytes(), "good.csv").rows == 10


def test_preview_can_be_reused_by_run_import(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    preview = preview_import(con, campaign, good_bytes(), "good.csv")
    result = run_import(con, campaign, good_bytes(), "good.csv", preview=preview)
    assert result.sha256 == preview.sha256 and counts(con)["responses"] == 10
    with pytest.raises(ImportRefused):  # a stale preview does not bypass the duplicate check
        run_import(con, campaign, good_bytes(), "good.csv", preview=preview)


def test_delete_import_removes_exactly_its_rows(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    keep = run_import(con, campaign, good_bytes(), "good.csv")
    drop = run_import(con, campaign, (IMPORTS / "bom.csv").read_bytes(), "bom.csv")
    assert delete_import(con, drop.import_id) == 10
    assert counts(con) == {"responses": 10, "response_attributes": 30, "answers": 300, "comments": 4, "value_choices": 10, "imports": 1}
    assert con.execute("SELECT DISTINCT import_id FROM responses").fetchall() == [(keep.import_id,)]


def _version_2(instrument: Instrument) -> Instrument:
    text = instrument.source_text.replace("version: 2", "version: 3", 1).replace(
        "      - id: STR2\n",
        '      - id: STR7\n        text: {en: "New statement.", nl: "Nieuwe stelling."}\n      - id: STR2\n',
        1,
    )
    return parse_instrument(text)


def test_instrument_change_mid_campaign_is_refused(con: duckdb.DuckDBPyConnection, campaign: str, instrument: Instrument) -> None:
    v2 = _version_2(instrument)
    with pytest.raises(ImportRefused) as caught:
        run_import(con, campaign, good_bytes(), "good.csv", instrument=v2)
    assert [str(p) for p in caught.value.problems] == [
        "file: instrument change mid-campaign refused: campaign 'plant' wave 1 uses industry40-alignment@2, "
        "the file is for industry40-alignment@3; start a new wave with the new version first"
    ]
    changed = parse_instrument(instrument.source_text.replace("Strongly agree", "Fully agree"))
    with pytest.raises(ImportRefused) as caught:
        run_import(con, campaign, good_bytes(), "good.csv", instrument=changed)
    assert "a changed text of industry40-alignment@2" in str(caught.value)
    assert counts(con)["responses"] == 0


def test_file_with_columns_of_another_version_is_refused_until_a_new_wave(
    con: duckdb.DuckDBPyConnection, campaign: str, instrument: Instrument
) -> None:
    v2 = _version_2(instrument)
    create_campaign(con, "Pilot of v2", v2, campaign_id="pilot")  # now the database knows the new version
    header = [*make_files.HEADER, "STR7"]
    data = make_files._csv([[*r, "4"] for r in make_files.good_rows()], header=header).encode()
    problems = [str(p) for p in preview_import(con, campaign, data, "v2.csv").problems]
    assert problems == [
        "row 1, column AL 'STR7': is an item of instrument industry40-alignment@3, but this campaign's current wave uses "
        "industry40-alignment@2: an instrument change needs a new wave (campaign page: 'start a new wave')"
    ]
    start_wave(con, campaign, "Follow-up", v2)
    result = run_import(con, campaign, data, "v2.csv")
    assert result.wave == 2
    assert con.execute("SELECT count(*) FROM answers WHERE item_id = 'STR7' AND value = 4").fetchone()[0] == 10
    with pytest.raises(ImportRefused) as caught:  # and an old-version file no longer fits the new wave
        run_import(con, campaign, good_bytes(), "good.csv")
    assert "item column(s) missing" in str(caught.value) and "STR7" in str(caught.value)


# --------------------------------------------------------------------------- fuzzing

CELLS = st.one_of(
    st.sampled_from(
        ["", "1", "5", "0", "6", "-1", "3.0", "2,0", "1e3", "Eens", "Weet ik niet", "board", "Werkvloer", "=1+1", "@x", "+", "-"]
    ),
    st.text(max_size=12),
)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(st.tuples(st.integers(0, 9), st.sampled_from(make_files.HEADER), CELLS), max_size=6))
def test_fuzzed_cells_never_crash_and_never_write_part_of_a_file(
    con: duckdb.DuckDBPyConnection, campaign: str, changes: list[tuple[int, str, str]]
) -> None:
    rows = make_files.good_rows()
    for row, column, value in changes:
        rows[row][make_files.HEADER.index(column)] = value
    data = make_files._csv(rows).encode("utf-8")
    before = counts(con)["responses"]
    preview = preview_import(con, campaign, data, "fuzz.csv")
    try:
        result = run_import(con, campaign, data, "fuzz.csv", force=True)
    except ImportRefused as exc:
        assert not preview.ok and exc.problems
        assert all(p.row is None or 1 <= p.row <= 11 for p in exc.problems)
        assert counts(con)["responses"] == before
    else:
        assert preview.ok and result.rows == 10
        assert counts(con)["responses"] == before + 10


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=400) | st.text(max_size=200).map(lambda t: t.encode("utf-8")))
def test_fuzzed_bytes_give_a_table_or_a_clear_refusal(data: bytes) -> None:
    try:
        table = read_table(data, "fuzz.csv")
    except TableError as exc:
        assert exc.problems and all(p.reason for p in exc.problems)
    else:
        assert len(table.rows) >= 1 and all(len(r) == len(table.header) for r in table.rows)
