"""Uploads are checked on the server: name, extension, size and content must agree, whatever the browser claimed."""

from __future__ import annotations

import io
import tomllib
import zipfile
from pathlib import Path

import openpyxl
import pytest

import survey.uploads as uploads
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
