"""Reading a CSV or XLSX file into a table of text cells, whatever its encoding and delimiter, and the capped row-by-row report of what is wrong with it.

Generic on purpose (no questionnaire here): the response import and the organisation's headcount
upload both read their files through `read_table`, and only then apply their own rules.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from survey.uploads import workbook_problem

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DELIMITERS = ("\t", ";", ",")

_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_SEP_HINT = re.compile(r"^sep=(.)\s*$")


@dataclass(frozen=True)
class ImportProblem:
    """One reason a file cannot be imported, naming where: file row (the header is row 1), column and value."""

    row: int | None
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        if self.value is not None:
            shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
            where.append(f"value {shown!r}")
        return f"{', '.join(where) or 'file'}: {self.reason}"


class TableError(ValueError):
    """A file that cannot be read as a table at all (empty, too big, wrong encoding, bad quoting)."""

    def __init__(self, problems: Sequence[ImportProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Table:
    """A file's cells as text ('' = empty), with each data row's number as a spreadsheet would show it."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    row_numbers: tuple[int, ...]
    header_row: int
    encoding: str
    delimiter: str | None
    notes: tuple[str, ...] = ()


def capped(lines: Sequence[str], limit: int, *, total: int | None = None, more: str = "more") -> list[str]:
    """At most `limit` lines of a row-by-row report, then one line saying how many were left out.

    A file with thousands of bad rows would otherwise bury the first (usually the one to fix) under
    the rest. `total` is the full count when `lines` was already cut to a head.
    """
    shown = list(lines[:limit])
    left = (len(lines) if total is None else total) - limit
    if left > 0:
        shown.append(f"... and {left} {more}")
    return shown


def read_file(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Read a file for import, checking its size first so a 100 MB file is refused without being loaded."""
    path = Path(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise TableError([ImportProblem(None, None, None, _too_big(size, max_bytes))])
    return path.read_bytes()


def _too_big(size: int, max_bytes: int) -> str:
    return f"the file is {_size(size)}, larger than the limit of {_size(max_bytes)}; split it into smaller files"


def _size(n: int) -> str:
    return f"{n / 1_048_576:.1f} MB" if n >= 1_048_576 else f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} bytes"


def _fail(reason: str) -> TableError:
    return TableError([ImportProblem(None, None, None, reason)])


def _decode(data: bytes) -> tuple[str, str, list[str]]:
    """Text and the encoding it was read with: UTF-8 (BOM or not), UTF-16 (BOM or not), else Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig", []
        except UnicodeDecodeError as exc:
            raise _fail(f"starts as UTF-8 but byte {exc.start + 3} is not valid UTF-8; save the file again as 'CSV UTF-8'") from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16", []
        except UnicodeDecodeError as exc:
            raise _fail(f"starts as UTF-16 but is damaged at byte {exc.start}; save the file again as 'CSV UTF-8'") from exc
    sample = data[:4096]
    if b"\x00" in sample:
        even = sample[0::2].count(0)
        odd = sample[1::2].count(0)
        half = len(sample) // 2
        codec = "utf-16-le" if odd > half * 0.3 and even == 0 else "utf-16-be" if even > half * 0.3 and odd == 0 else None
        if codec is None:
            raise _fail("contains NUL bytes: this is not a text (CSV) file")
        try:
            return data.decode(codec), codec, []
        except UnicodeDecodeError as exc:
            raise _fail(f"looks like UTF-16 without a byte order mark but is damaged at byte {exc.start}") from exc
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError as exc:
        bad = exc.start
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise _fail(f"not UTF-8 (byte {bad}), UTF-16 or Windows-1252 (byte {exc.start}); save the file again as 'CSV UTF-8'") from exc
    return text, "cp1252", [f"not UTF-8 (first odd byte at {bad}): read as Windows-1252 (cp1252); check accented letters in the preview"]


def _sniff_delimiter(first_line: str) -> str:
    """The delimiter that splits the header into the most columns (Dutch Excel writes ';', 'Unicode text' a tab)."""
    best, best_count = ",", 1
    for delim in DELIMITERS:
        try:
            count = len(next(csv.reader([first_line], delimiter=delim)))
        except (csv.Error, StopIteration):
            continue
        if count > best_count:
            best, best_count = delim, count
    return best


def _read_csv(data: bytes) -> Table:
    text, encoding, notes = _decode(data)
    if "\x00" in text:
        raise _fail("contains NUL characters: this is not a text (CSV) file")
    if not text.strip():
        raise _fail("the file is empty")
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    offset = 0
    hint = _SEP_HINT.match(lines[first])
    if hint:
        delimiter = hint.group(1)
        offset = 1
    else:
        delimiter = _sniff_delimiter(lines[first])
    records: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    number = 0
    try:
        for record in reader:
            number += 1
            records.append((number, record))
    except csv.Error as exc:
        raise TableError([ImportProblem(number + 1, None, None, f"cannot be read as CSV ({exc}); check the quotes in this row")]) from exc
    if offset:
        records = [(n, cells) for n, cells in records if n != first + 1]
    return _table(records, encoding, delimiter, notes)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _read_xlsx(data: bytes) -> Table:
    problem = workbook_problem(data)  # its size and parts from the zip directory, before openpyxl unpacks anything
    if problem is not None:
        raise _fail(f"the file {problem}")
    import openpyxl  # imported here: only XLSX uploads that passed the check pay for it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise _fail(f"not a readable XLSX workbook ({type(exc).__name__}: {exc})") from exc
    try:
        sheet = book.worksheets[0]
        notes = []
        if len(book.worksheets) > 1:
            notes.append(f"read the first sheet '{sheet.title}'; {len(book.worksheets) - 1} other sheet(s) ignored")
        records = [(number, [_cell_text(v) for v in row]) for number, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        book.close()
    return _table(records, "xlsx", None, notes)


def _table(records: list[tuple[int, list[str]]], encoding: str, delimiter: str | None, notes: list[str]) -> Table:
    """Drop blank rows and empty trailing columns; refuse a file without a header or without data."""
    records = [(n, cells) for n, cells in records if any(c.strip() for c in cells)]
    if not records:
        raise _fail("the file is empty")
    header_row, header = records[0]
    data = records[1:]
    if not data:
        raise TableError([ImportProblem(header_row, None, None, "the file has a header row but no data rows")])
    width = len(header)
    while width and not header[width - 1].strip() and not any(width - 1 < len(cells) and cells[width - 1].strip() for _, cells in data):
        width -= 1
    problems = []
    rows, numbers = [], []
    for number, cells in data:
        extra = [c for c in cells[width:] if c.strip()]
        if extra:
            problems.append(ImportProblem(number, None, ", ".join(extra), f"has {len(cells)} cells but the header has {width} columns"))
            continue
        cells = cells[:width]
        if len(cells) < width and delimiter is not None:
            problems.append(ImportProblem(number, None, None, f"has {len(cells)} cells but the header has {width} columns"))
            continue
        rows.append(tuple(cells) + ("",) * (width - len(cells)))
        numbers.append(number)
    if problems:
        raise TableError(problems)
    full_header = tuple(header[:width])
    return Table(full_header, tuple(rows), tuple(numbers), header_row, encoding, delimiter, tuple(notes))


def read_table(data: bytes, filename: str = "", *, max_bytes: int = DEFAULT_MAX_BYTES) -> Table:
    """Any CSV (UTF-8/UTF-16/cp1252; comma, semicolon or tab) or XLSX file as a table of text cells.

    The content decides the format, not the name: Excel files are sometimes saved with a .csv
    name and the other way round. Raises TableError with a message a facilitator can act on.
    """
    if len(data) > max_bytes:
        raise _fail(_too_big(len(data), max_bytes))
    if not data.strip():
        raise _fail("the file is empty")
    if data.startswith(_OLE_MAGIC):
        raise _fail("this is an old Excel .xls workbook; save it as .xlsx or as 'CSV UTF-8' and import that")
    if data.startswith(_XLSX_MAGIC):
        return _read_xlsx(data)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise _fail("the name says XLSX but the content is not an Excel workbook")
    return _read_csv(data)
