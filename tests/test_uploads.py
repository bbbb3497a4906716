"""Uploads are checked on the server: name, extension, size and content must agree, whatever the browser claimed."""

from __future__ import annotations

import io
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import openpyxl
import pytest

import survey.uploads as uploads
from survey.organisation import OrganisationError, parse_headcounts_csv
from survey.uploads import CheckedUpload, UploadRefused, check_upload, shown_name

ROOT = Path(__file__).resolve().parent.parent
IMPORTS = ROOT / "tests" / "data" / "imports"
MB = 1024 * 1024


def _xlsx() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["level", "STR1"])
    book.active.append(["board", 4])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def _case_id(value: object) -> str | None:
    """A stable test id: the file name for text, "data" for bytes (a workbook's bytes hold the time it was written)."""
    if isinstance(value, str):
        return value or "empty"
    return "data" if isinstance(value, bytes) else None


@pytest.mark.parametrize(
    "name, data, allowed, expected",
    [
        ("good.csv", (IMPORTS / "good.csv").read_bytes(), {"csv", "xlsx"}, CheckedUpload("good.csv", "csv", 0)),
        ("UTF16.CSV", (IMPORTS / "utf16.csv").read_bytes(), {".csv"}, CheckedUpload("UTF16.CSV", "csv", 0)),
        ("cp1252.csv", (IMPORTS / "cp1252.csv").read_bytes(), ["csv"], CheckedUpload("cp1252.csv", "csv", 0)),
        ("answers.xlsx", _xlsx(), {"csv", "xlsx"}, CheckedUpload("answers.xlsx", "xlsx", 0)),
        ("C:\\Users\\me\\Desktop\\paper.csv", b"level\nboard\n", {"csv"}, CheckedUpload("paper.csv", "csv", 0)),
        ("../../etc/passwd.csv", b"a,b\n1,2\n", {"csv"}, CheckedUpload("passwd.csv", "csv", 0)),
        ("instrument.yml", "id: x\ntitle: Ünïcode\n".encode(), {"yaml", "yml"}, CheckedUpload("instrument.yml", "yml", 0)),
        ("sites.json", b'{"a": 1}', {"json"}, CheckedUpload("sites.json", "json", 0)),
    ],
    ids=_case_id,
)
def test_good_files_pass_with_a_clean_name(name: str, data: bytes, allowed: set[str], expected: CheckedUpload) -> None:
    checked = check_upload(name, data, allowed, 5 * MB)
    assert (checked.name, checked.extension, checked.size) == (expected.name, expected.extension, len(data))


@pytest.mark.parametrize(
    "name, data, allowed, message",
    [
        ("report.pdf", b"%PDF-1.7 ...", {"csv", "xlsx"}, r"is not one of the accepted types \(\.csv, \.xlsx\)"),
        ("answers.csv.exe", b"MZ\x90\x00", {"csv"}, "not one of the accepted types"),
        ("noextension", b"a,b", {"csv"}, "not one of the accepted types"),
        (".csv", b"a,b", {"csv"}, "not one of the accepted types"),
        ("empty.csv", b"", {"csv"}, "is empty"),
        ("renamed.csv", b"%PDF-1.7\x00\x00binary", {"csv"}, "contains binary data"),
        ("renamed.xlsx", b"level,STR1\nboard,4\n", {"xlsx"}, "is not an Excel workbook"),
        ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, {"xlsx"}, "password-protected"),
        ("other.xlsx", _zip({"hello.txt": b"hi"}), {"xlsx"}, "zip archive but not an Excel workbook"),
        ("broken.xlsx", _xlsx()[:300], {"xlsx"}, "damaged Excel workbook"),
        ("latin1.yaml", "titel: caf\xe9".encode("latin-1"), {"yaml"}, "is not UTF-8 text"),
        ("fake.parquet", b"PAR1 not really", {"parquet"}, "is not a Parquet file"),
        ("", b"a", {"csv"}, "has no name"),
        ("dir/", b"a", {"csv"}, "has no name"),
        ("a\x00b.csv", b"a", {"csv"}, "control characters"),
        ("a\u202egpj.csv", b"a", {"csv"}, "control characters"),
        ("x" * 300 + ".csv", b"a", {"csv"}, "longer than 255"),
    ],
    ids=_case_id,
)
def test_bad_files_are_refused_with_a_reason(name: str, data: bytes, allowed: set[str], message: str) -> None:
    with pytest.raises(UploadRefused, match=message):
        check_upload(name, data, allowed, 5 * MB)


def test_size_is_checked_on_what_arrived() -> None:
    data = b"a,b\n" + b"1,2\n" * (MB // 4)
    with pytest.raises(UploadRefused, match=r"is 1\.0 MB; at most 0\.5 MB is accepted"):
        check_upload("big.csv", data, {"csv"}, 512 * 1024)
    assert check_upload("big.csv", data, {"csv"}, len(data)).size == len(data)
    with pytest.raises(UploadRefused):
        check_upload("big.csv", data, {"csv"}, len(data) - 1)


def test_workbook_that_unpacks_to_too_much_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A zip bomb in .xlsx clothing: small on the wire, huge once openpyxl unpacks it."""
    bomb = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"\0" * (3 * MB)})
    assert len(bomb) < 100 * 1024
    monkeypatch.setattr(uploads, "MAX_UNPACKED_BYTES", 2 * MB)
    with pytest.raises(UploadRefused, match="would unpack to 3.0 MB"):
        check_upload("bomb.xlsx", bomb, {"xlsx"}, 5 * MB)


def test_message_never_carries_markup_from_the_file_name() -> None:
    name = "[click](javascript:alert(1))<img src=x onerror=alert(1)>.pdf"
    with pytest.raises(UploadRefused) as err:
        check_upload(name, b"%PDF-", {"csv"}, MB)
    for ch in "[]<>:=":
        assert ch not in str(err.value).split("' is not")[0]
    assert shown_name("a" * 100 + ".csv").endswith("aaa.csv") and len(shown_name("a" * 100 + ".csv")) <= 60


def test_an_extension_without_a_content_check_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="no content check"):
        check_upload("x.exe", b"MZ", {"exe"}, MB)


def test_not_bytes_is_refused() -> None:
    with pytest.raises(UploadRefused, match="did not arrive as a file"):
        check_upload("x.csv", "a,b", {"csv"}, MB)  # type: ignore[arg-type]


def test_server_config_keeps_xsrf_protection_and_an_upload_limit() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableXsrfProtection"] is True
    assert 1 <= config["server"]["maxUploadSize"] <= 200


# --------------------------------------------------------------------------- zip bombs, refused by every XLSX reader


def _bomb(unpacked_mb: int, extra_parts: int = 0) -> bytes:
    """A valid workbook whose one sheet is `unpacked_mb` MB of the same row: ~0.7 MB on disk for 194 MB (built as it streams)."""
    book = openpyxl.Workbook()
    book.active.append(["level", "STR1"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    row = b'<row><c t="inlineStr"><is><t>board</t></is></c><c><v>4</v></c></row>'
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info, src.read(info))
                continue
            with dst.open(info.filename, "w") as part:
                part.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                block = row * (MB // len(row))
                for _ in range(unpacked_mb):
                    part.write(block)
                part.write(b"</sheetData></worksheet>")
        for n in range(extra_parts):
            dst.writestr(f"xl/media/image{n}.png", b"")
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """The attack as measured: 0.7 MB that unpacks to 194 MB (openpyxl took 80-150 s and 750 MB on it)."""
    data = _bomb(194)
    assert len(data) < 1 * MB
    return data


BOMB_REFUSAL = "would unpack to 194.0 MB, more than the 64.0 MB allowed"


def test_the_import_page_check_refuses_a_zip_bomb(bomb: bytes) -> None:
    with pytest.raises(UploadRefused, match=BOMB_REFUSAL):
        check_upload("answers.xlsx", bomb, {"csv", "xlsx"}, 20 * MB)


def test_the_importer_refuses_a_zip_bomb_before_openpyxl_is_even_loaded(bomb: bytes, tmp_path: Path) -> None:
    """The command line reads the file itself (no upload check): read_table refuses from the zip directory alone."""
    path = tmp_path / "answers.xlsx"
    path.write_bytes(bomb)
    code = (
        "import sys\n"
        "from survey.tables import TableError, read_file, read_table\n"
        "try:\n"
        "    read_table(read_file(sys.argv[1]), sys.argv[1])\n"
        "except TableError as exc:\n"
        "    print('REFUSED', exc)\n"
        "print('OPENPYXL LOADED', 'openpyxl' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-800:]
    assert f"REFUSED file: the file {BOMB_REFUSAL}" in done.stdout
    assert "OPENPYXL LOADED False" in done.stdout


def test_the_import_command_refuses_a_zip_bomb_with_exit_1(bomb: bytes, tmp_path: Path) -> None:
    path = tmp_path / "answers.xlsx"
    path.write_bytes(bomb)
    done = subprocess.run(
        [sys.executable, "-m", "survey", "import", str(path), "--db", str(tmp_path / "c.duckdb")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 1
    assert BOMB_REFUSAL in done.stderr and "nothing written" in done.stderr


def test_the_headcount_upload_refuses_a_zip_bomb(bomb: bytes) -> None:
    """Headcounts accept any file the importer reads, so a 0.7 MB bomb passed their 1 MB limit into openpyxl."""
    with pytest.raises(OrganisationError) as caught:
        parse_headcounts_csv(bomb)
    assert any(BOMB_REFUSAL in p for p in caught.value.problems)


def test_a_part_packed_far_tighter_than_any_spreadsheet_is_refused_within_the_size_limit() -> None:
    """30 MB is within the limit, but at ~300:1 it is a bomb of its own: refused by its ratio."""
    small_bomb = _bomb(30)
    with pytest.raises(UploadRefused, match=r"has a part that unpacks to \d+ times its packed size"):
        check_upload("answers.xlsx", small_bomb, {"xlsx"}, 20 * MB)


def test_a_workbook_of_too_many_parts_is_refused() -> None:
    with pytest.raises(UploadRefused, match="holds 1,009 parts, more than the 1,000 a workbook may have"):
        check_upload("answers.xlsx", _bomb(0, extra_parts=1_000), {"xlsx"}, 20 * MB)


def test_a_real_workbook_of_20000_respondents_is_not_a_bomb() -> None:
    """What the limits must let through: 20,000 rows x 45 answers (29 MB unpacked, ~11:1)."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append([f"Q{n}" for n in range(45)])
    for n in range(20_000):
        sheet.append([(n * 7 + c * 3) % 5 + 1 for c in range(45)])
    out = io.BytesIO()
    book.save(out)
    assert uploads.workbook_problem(out.getvalue()) is None
