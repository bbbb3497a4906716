"""Validated import of wide CSV/XLSX responses: read any common encoding and delimiter, check every row, write all or nothing."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import math
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from survey.campaigns import CampaignError, campaign_instrument, current_wave, get_campaign
from survey.instrument import Instrument
from survey.responses import Submission, check_submission, insert_frames, submission_frames
from survey.schemas import MAX_COMMENT_CHARS
from survey.store import audit, forget_wave_cells, transaction
from survey.uploads import workbook_problem

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
PREVIEW_ROWS = 20
REPORT_LINES = 200
LANGUAGE_COLUMN = "language"
LOSSES_COLUMN = "losses"
COMMENT_PREFIX = "comment_"
DELIMITERS = ("\t", ";", ",")
DELIMITER_NAMES = {"\t": "tab", ";": "semicolon", ",": "comma"}
# A text cell starting with one of these is what a spreadsheet would run as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@")
FORMULA_RAW_STARTS = ("\t", "\r")

_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$", re.ASCII)
# "- no budget for training": a dash or plus, a space, then a word is a bulleted remark, common in comment
# exports; it is stored as typed (every export still neutralises a leading - or +) instead of refused.
_BULLET = re.compile(r"^[-+]\s+\w")
FORMULA_REASON = "looks like a spreadsheet formula (starts with =, +, -, @, tab or CR); refused, not rewritten: edit the cell so it starts with a letter or digit"
_SEP_HINT = re.compile(r"^sep=(.)\s*$")

SELECT_IMPORT = "SELECT import_id, campaign_id, wave, file_sha256, filename, rows, imported_on FROM imports"


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


@dataclass(frozen=True)
class ImportRecord:
    """A file that was imported: what `imports` remembers to detect the same file twice."""

    import_id: str
    campaign_id: str
    wave: int
    file_sha256: str
    filename: str
    rows: int
    imported_on: dt.date


@dataclass(frozen=True)
class _ParsedRow:
    language: str
    attributes: dict[str, str]
    answers: dict[str, int | None]
    comments: dict[str, str]
    losses: tuple[str, ...]


@dataclass(frozen=True)
class ImportPreview:
    """What a file would import: row count, the parsed rows (ids, not labels) and every problem.

    `ok` means `run_import` will write it (unless `already_imported` and not forced). Pass the
    preview back to `run_import(preview=...)` to skip parsing the same bytes a second time.
    """

    filename: str
    sha256: str
    size_bytes: int
    instrument_key: str
    campaign_id: str | None
    wave: int | None
    encoding: str | None
    delimiter: str | None
    rows: int
    columns: tuple[str, ...]
    frame: pd.DataFrame
    problems: tuple[ImportProblem, ...]
    notes: tuple[str, ...] = ()
    already_imported: ImportRecord | None = None
    _parsed: tuple[_ParsedRow, ...] = field(default=(), repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def head(self) -> pd.DataFrame:
        """The first rows for an on-screen preview, indexed by file row number."""
        return self.frame.head(PREVIEW_ROWS)

    def report(self, limit: int = REPORT_LINES) -> list[str]:
        """The row-by-row report a person reads: one line per problem, capped at `limit` lines."""
        lines = [str(p) for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"... and {len(self.problems) - limit} more problem(s)")
        return lines


@dataclass(frozen=True)
class ImportResult:
    """A written import: every row of the file is now a response with source 'import'."""

    import_id: str
    campaign_id: str
    wave: int
    rows: int
    filename: str
    sha256: str
    forced: bool
    notes: tuple[str, ...] = ()


class ImportRefused(ValueError):
    """The file was not imported and nothing was written; `problems` says why, row by row."""

    def __init__(self, filename: str, problems: Sequence[ImportProblem], preview: ImportPreview | None = None) -> None:
        self.filename = filename
        self.problems = tuple(problems)
        self.preview = preview
        lines = [str(p) for p in self.problems[:REPORT_LINES]]
        if len(self.problems) > REPORT_LINES:
            lines.append(f"... and {len(self.problems) - REPORT_LINES} more problem(s)")
        super().__init__(f"{filename}: refused, nothing written ({len(self.problems)} problem(s))\n" + "\n".join(f"  {x}" for x in lines))


# --------------------------------------------------------------------------- reading any table


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


# --------------------------------------------------------------------------- the instrument's vocabulary


def looks_like_formula(raw: str) -> bool:
    """A text cell a spreadsheet would execute: starts with =, +, -, @ (after spaces), tab or CR.

    Plain numbers are not, nor a bulleted remark ("- text", "+ text").
    """
    if raw.startswith(FORMULA_RAW_STARTS):
        return True
    text = raw.strip()
    return text.startswith(FORMULA_STARTS) and not _NUMBER.match(text) and not _BULLET.match(text)


class _Vocabulary:
    """Every word a cell may hold for this instrument, looked up case-insensitively."""

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        scale = instrument.scale
        self.dont_know = {t.strip().casefold() for t in scale.dont_know_label.values()}
        self.scale_labels: dict[str, int] = {}
        for labels in scale.labels.values():
            if len(labels) == len(scale.values):
                for value, label in zip(scale.values, labels, strict=True):
                    self.scale_labels.setdefault(label.strip().casefold(), value)
        self.languages = {lang.casefold(): lang for lang in instrument.languages}
        vas = instrument.value_at_stake
        self.losses: dict[str, str] = {}
        self.loss_labels_with_separators: list[tuple[re.Pattern[str], str]] = []
        if vas is not None:
            for loss_id, labels in vas.losses.items():
                self.losses[loss_id.casefold()] = loss_id
                for label in labels.values():
                    self.losses.setdefault(label.strip().casefold(), loss_id)
                    if "," in label or ";" in label:
                        self.loss_labels_with_separators.append((re.compile(re.escape(label.strip()), re.IGNORECASE), loss_id))
        self.option_lookup: dict[str, dict[str, str]] = {}
        for attr_id, attr in instrument.attributes.items():
            lookup: dict[str, str] = {}
            for option_id, labels in attr.options.items():
                lookup[option_id.casefold()] = option_id
                for label in labels.values():
                    lookup.setdefault(label.strip().casefold(), option_id)
            self.option_lookup[attr_id] = lookup
        self.columns: dict[str, tuple[str, str]] = {}
        for attr_id in instrument.attributes:
            self.columns[attr_id.casefold()] = ("attribute", attr_id)
        for item_id in instrument.item_ids:
            self.columns[item_id.casefold()] = ("item", item_id)
        for dim_id in instrument.dimension_ids:
            self.columns[f"{COMMENT_PREFIX}{dim_id}".casefold()] = ("comment", dim_id)
        self.columns[LANGUAGE_COLUMN] = ("language", LANGUAGE_COLUMN)
        if vas is not None:
            self.columns[LOSSES_COLUMN] = ("losses", LOSSES_COLUMN)

    def column_name(self, kind: str, ident: str) -> str:
        return f"{COMMENT_PREFIX}{ident}" if kind == "comment" else ident

    def answer(self, text: str) -> tuple[int | None, str | None]:
        """(value, None) or (None, why not); empty and don't-know labels are (None, None)."""
        if not text or text.casefold() in self.dont_know:
            return None, None
        scale = self.instrument.scale
        if _NUMBER.match(text):
            number = float(text.replace(",", "."))
            if math.isfinite(number) and number.is_integer():
                if abs(number) > 1e9:
                    return None, f"outside the scale {scale.min}–{scale.max}"
                return int(number), None
            return None, f"not a whole number; answers are whole numbers {scale.min}–{scale.max} or empty for don't know"
        value = self.scale_labels.get(text.casefold())
        if value is not None:
            return value, None
        return None, f"not an answer: use a whole number {scale.min}–{scale.max}, a scale label, or leave it empty for don't know"

    def convert(self, kind: str, ident: str, raw: str) -> tuple[object, str | None]:
        """A cell of an attribute, item or language column as (id or number or None, why it is refused or None)."""
        text = raw.strip()
        if text and looks_like_formula(raw):
            return None, FORMULA_REASON
        if kind == "item":
            return self.answer(text)
        if not text:
            return None, None
        if kind == "attribute":
            option = self.option_lookup[ident].get(text.casefold())
            if option is None:
                options = ", ".join(self.instrument.attributes[ident].options)
                return None, f"not an option of {ident} (use one of {options}, or its English/Dutch label)"
            return option, None
        lang = self.languages.get(text.casefold())
        if lang is None:
            return None, f"not one of the languages {', '.join(self.instrument.languages)}"
        return lang, None

    def split_losses(self, text: str) -> tuple[list[str], list[str]]:
        """Loss ids named in a cell (ids or labels, separated by ';' or ','), and the words that are not losses."""
        for pattern, loss_id in self.loss_labels_with_separators:
            text = pattern.sub(loss_id, text)
        found, unknown = [], []
        for part in re.split(r"[;,]", text):
            word = part.strip()
            if not word:
                continue
            loss = self.losses.get(word.casefold())
            (found if loss else unknown).append(loss or word)
        return list(dict.fromkeys(found)), unknown


def import_schema(instrument: Instrument, columns: Iterable[str]) -> pa.DataFrameSchema:
    """The pandera schema of a parsed wide file: one column per attribute, item and comment, ids not labels."""
    scale = instrument.scale
    wanted = set(columns)
    spec: dict[str, pa.Column] = {}
    for attr_id, attr in instrument.attributes.items():
        if attr_id in wanted:
            spec[attr_id] = pa.Column(
                object, pa.Check.isin(list(attr.options), error=f"not an option of {attr_id}"), nullable=not attr.required
            )
    spec[LANGUAGE_COLUMN] = pa.Column(
        object, pa.Check.isin(list(instrument.languages), error=f"not one of the languages {', '.join(instrument.languages)}")
    )
    for item_id in instrument.item_ids:
        if item_id in wanted:
            spec[item_id] = pa.Column(
                "Int64", pa.Check.in_range(scale.min, scale.max, error=f"outside the scale {scale.min}–{scale.max}"), nullable=True
            )
    for dim_id in instrument.dimension_ids:
        name = f"{COMMENT_PREFIX}{dim_id}"
        if name in wanted:
            spec[name] = pa.Column(
                object,
                pa.Check.str_length(1, MAX_COMMENT_CHARS, error=f"comment longer than {MAX_COMMENT_CHARS} characters"),
                nullable=True,
            )
    if LOSSES_COLUMN in wanted and instrument.value_at_stake is not None:
        spec[LOSSES_COLUMN] = pa.Column(object, nullable=True)
    return pa.DataFrameSchema(spec, strict=True, name="import", coerce=False)


# --------------------------------------------------------------------------- checking a file


def _classify_header(
    table: Table, vocab: _Vocabulary, other_versions: dict[str, str]
) -> tuple[list[tuple[int, str, str]], list[ImportProblem]]:
    """Map each header cell to (kind, id); name every unknown, duplicate or missing column."""
    instrument = vocab.instrument
    problems: list[ImportProblem] = []
    mapped: list[tuple[int, str, str]] = []
    seen: dict[str, int] = {}
    hrow = table.header_row
    for index, raw in enumerate(table.header):
        name = raw.replace("\ufeff", "").strip()
        letter = _column_letter(index)
        if not name:
            problems.append(ImportProblem(hrow, f"{letter} (no header)", None, "this column has values but no header"))
            continue
        found = vocab.columns.get(name.casefold())
        if found is None:
            other = other_versions.get(name.casefold())
            if other:
                reason = (
                    f"is an item of instrument {other}, but this campaign's current wave uses {instrument.key}: "
                    "an instrument change needs a new wave (campaign page: 'start a new wave')"
                )
            else:
                reason = f"unknown column (allowed: attribute ids, item ids, comment_<dimension>, {LANGUAGE_COLUMN}, {LOSSES_COLUMN})"
            problems.append(ImportProblem(hrow, f"{letter} '{name}'", None, reason))
            continue
        kind, ident = found
        column = vocab.column_name(kind, ident)
        if column in seen:
            problems.append(
                ImportProblem(
                    hrow, f"{letter} '{name}'", None, f"duplicate header: column {_column_letter(seen[column])} is also '{column}'"
                )
            )
            continue
        seen[column] = index
        mapped.append((index, kind, ident))
    for attr_id, attr in instrument.attributes.items():
        if attr.required and attr_id not in seen:
            problems.append(ImportProblem(hrow, attr_id, None, "required attribute column is missing"))
    missing_items = [item_id for item_id in instrument.item_ids if item_id not in seen]
    if missing_items:
        problems.append(
            ImportProblem(
                hrow,
                ", ".join(missing_items[:12]) + (f" (+{len(missing_items) - 12} more)" if len(missing_items) > 12 else ""),
                None,
                f"item column(s) missing: a file for {instrument.key} needs a column for every item (leave cells empty for don't know)",
            )
        )
    return mapped, problems


def _column_letter(index: int) -> str:
    """Spreadsheet column name (A, B, ..., Z, AA...) so a report points at what the facilitator sees."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _parse_rows(
    table: Table, vocab: _Vocabulary, mapped: list[tuple[int, str, str]], default_language: str
) -> tuple[pd.DataFrame, list[_ParsedRow], list[ImportProblem]]:
    """Turn cells into ids and numbers, noting each cell that cannot be converted; ranges are left to pandera."""
    instrument = vocab.instrument
    problems: list[ImportProblem] = []
    reported: set[tuple[int, str]] = set()
    columns: dict[str, list] = {}
    for _, kind, ident in mapped:
        columns[vocab.column_name(kind, ident)] = []
    columns.setdefault(LANGUAGE_COLUMN, [])
    has_language = any(kind == "language" for _, kind, _ in mapped)
    vas = instrument.value_at_stake
    parsed: list[_ParsedRow] = []

    def bad(number: int, column: str, value: str, reason: str) -> None:
        problems.append(ImportProblem(number, column, value, reason))
        reported.add((number, column))

    memo: dict[tuple[str, str, str], tuple[object, str | None]] = {}
    for number, cells in zip(table.row_numbers, table.rows, strict=True):
        attributes: dict[str, str] = {}
        answers: dict[str, int | None] = {}
        comments: dict[str, str] = {}
        losses: tuple[str, ...] = ()
        language = default_language
        for index, kind, ident in mapped:
            raw = cells[index]
            column = vocab.column_name(kind, ident)
            if kind in ("attribute", "item", "language"):
                key = (kind, ident, raw)
                found = memo.get(key)
                if found is None:
                    found = memo[key] = vocab.convert(kind, ident, raw)
                value, why = found
                if why:
                    bad(number, column, raw, why)
                if kind == "attribute":
                    if value is not None:
                        attributes[ident] = str(value)
                elif kind == "item":
                    answers[ident] = value if isinstance(value, int) else None
                elif value is not None:
                    language = str(value)
                columns[column].append(language if kind == "language" else (pd.NA if value is None and kind == "item" else value))
                continue
            text = raw.strip()
            if text and looks_like_formula(raw):
                bad(number, column, raw, FORMULA_REASON)
                columns[column].append(None)
                continue
            if kind == "comment":
                if text:
                    comments[ident] = text
                columns[column].append(text or None)
            elif kind == "losses":
                chosen, unknown = vocab.split_losses(text) if text else ([], [])
                for word in unknown:
                    bad(number, column, word, f"not a loss category (use ids or labels: {', '.join(vas.losses) if vas else ''})")
                if vas is not None and len(chosen) > vas.max_choices:
                    bad(number, column, raw, f"{len(chosen)} loss categories named, at most {vas.max_choices}")
                losses = tuple(chosen)
                columns[column].append("; ".join(chosen) or None)
        if not has_language:
            columns[LANGUAGE_COLUMN].append(language)
        parsed.append(_ParsedRow(language, attributes, answers, comments, losses))
    frame = pd.DataFrame(columns, index=pd.Index(table.row_numbers, name="row"))
    for item_id in instrument.item_ids:
        if item_id in frame:
            frame[item_id] = pd.array(frame[item_id].tolist(), dtype="Int64")
    schema = import_schema(instrument, frame.columns)
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as exc:
        for case in exc.failure_cases.itertuples(index=False):
            row = int(case.index) if pd.notna(case.index) else None
            column = str(case.column)
            if row is not None and (row, column) in reported:
                continue
            reason = "required, empty" if case.check == "not_nullable" else str(case.check)
            value = None if case.failure_case is None or pd.isna(case.failure_case) else str(case.failure_case)
            problems.append(ImportProblem(row, column, value, reason))
    ordered = [c for c in [*instrument.attributes, LANGUAGE_COLUMN, *instrument.item_ids] if c in frame]
    ordered += [c for c in frame.columns if c not in ordered]
    return frame[ordered], parsed, problems


def validate_file(
    instrument: Instrument,
    data: bytes,
    filename: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    default_language: str | None = None,
    other_versions: dict[str, str] | None = None,
) -> ImportPreview:
    """Check a file against an instrument alone (no campaign yet): every row, every column, every value.

    Used before a campaign exists (the command line creates one only for a file that passes),
    and by `preview_import`, which adds what only a campaign knows.
    """
    sha = hashlib.sha256(data).hexdigest()
    language = default_language or instrument.languages[0]

    def refused(problems: Sequence[ImportProblem], table: Table | None = None, columns: tuple[str, ...] = ()) -> ImportPreview:
        return ImportPreview(
            filename,
            sha,
            len(data),
            instrument.key,
            None,
            None,
            table.encoding if table else None,
            table.delimiter if table else None,
            len(table.rows) if table else 0,
            columns,
            pd.DataFrame(),
            tuple(problems),
            table.notes if table else (),
        )

    if language not in instrument.languages:
        return refused([ImportProblem(None, None, language, f"default language must be one of {', '.join(instrument.languages)}")])
    try:
        table = read_table(data, filename, max_bytes=max_bytes)
    except TableError as exc:
        return refused(exc.problems)
    vocab = _Vocabulary(instrument)
    mapped, problems = _classify_header(table, vocab, other_versions or {})
    columns = tuple(vocab.column_name(kind, ident) for _, kind, ident in mapped)
    if problems:
        return refused(problems, table, columns)
    frame, parsed, problems = _parse_rows(table, vocab, mapped, language)
    if not problems:
        for number, row in zip(table.row_numbers, parsed, strict=True):
            sub = Submission("", 1, row.language, row.attributes, row.answers, row.comments, row.losses, source="import")
            for message in check_submission(instrument, sub):
                column, _, reason = message.partition(": ")
                problems.append(ImportProblem(number, column, None, reason))
    problems.sort(key=lambda p: p.row or 0)
    return ImportPreview(
        filename,
        sha,
        len(data),
        instrument.key,
        None,
        None,
        table.encoding,
        table.delimiter,
        len(table.rows),
        columns,
        frame,
        tuple(problems),
        table.notes,
        None,
        tuple(parsed) if not problems else (),
    )


def _other_versions(con: duckdb.DuckDBPyConnection, current_key: str) -> dict[str, str]:
    """Item ids that belong to other stored instruments, to tell 'wrong version' apart from 'unknown column'."""
    rows = con.execute(
        "SELECT item_id, max(instrument_key) FROM instrument_items WHERE instrument_key <> ? GROUP BY item_id", [current_key]
    ).fetchall()
    return {item_id.casefold(): key for item_id, key in rows}


def find_import(con: duckdb.DuckDBPyConnection, campaign_id: str, sha256: str) -> ImportRecord | None:
    """The earlier import of the same bytes into this campaign, if any."""
    row = con.execute(
        f"{SELECT_IMPORT} WHERE campaign_id = ? AND file_sha256 = ? ORDER BY imported_on LIMIT 1", [campaign_id, sha256]
    ).fetchone()
    return ImportRecord(*row) if row else None


def list_imports(con: duckdb.DuckDBPyConnection, campaign_id: str) -> list[ImportRecord]:
    """Every import into a campaign, newest first, for the facilitator's import history."""
    rows = con.execute(f"{SELECT_IMPORT} WHERE campaign_id = ? ORDER BY imported_on DESC, import_id", [campaign_id]).fetchall()
    return [ImportRecord(*r) for r in rows]


def preview_import(
    con: duckdb.DuckDBPyConnection,
    campaign_id: str,
    data: bytes,
    filename: str,
    *,
    instrument: Instrument | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    default_language: str | None = None,
) -> ImportPreview:
    """Everything `run_import` would check, without writing: parsed rows, problems, and an earlier import of the same file.

    `instrument`, when given (an uploaded YAML), must be the one the campaign's current wave
    uses: answers to a changed questionnaire belong in a new wave, never mixed into this one.
    """
    get_campaign(con, campaign_id)
    wave = current_wave(con, campaign_id)
    current = campaign_instrument(con, campaign_id)
    if instrument is not None and (instrument.key != current.key or instrument.fingerprint != current.fingerprint):
        change = f"{instrument.key}" if instrument.key != current.key else f"a changed text of {instrument.key}"
        problem = ImportProblem(
            None,
            None,
            None,
            f"instrument change mid-campaign refused: campaign '{campaign_id}' wave {wave.wave} uses {current.key}, the file is for {change}; "
            "start a new wave with the new version first",
        )
        return ImportPreview(
            filename,
            hashlib.sha256(data).hexdigest(),
            len(data),
            current.key,
            campaign_id,
            wave.wave,
            None,
            None,
            0,
            (),
            pd.DataFrame(),
            (problem,),
        )
    preview = validate_file(
        current, data, filename, max_bytes=max_bytes, default_language=default_language, other_versions=_other_versions(con, current.key)
    )
    return _with_campaign(preview, campaign_id, wave.wave, find_import(con, campaign_id, preview.sha256))


def _with_campaign(preview: ImportPreview, campaign_id: str, wave: int, earlier: ImportRecord | None) -> ImportPreview:
    return replace(preview, campaign_id=campaign_id, wave=wave, already_imported=earlier)


def run_import(
    con: duckdb.DuckDBPyConnection,
    campaign_id: str,
    data: bytes,
    filename: str,
    force: bool = False,
    *,
    instrument: Instrument | None = None,
    preview: ImportPreview | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    default_language: str | None = None,
    actor: str = "facilitator",
) -> ImportResult:
    """Import every row of the file into the campaign's current wave in one transaction, or nothing.

    Raises ImportRefused (nothing written) for any invalid row, an instrument change, or a file
    already imported into this campaign (same SHA-256) unless `force`. A crash or kill at any
    moment leaves all rows or none: responses, their answers and the `imports` row commit together.
    """
    sha = hashlib.sha256(data).hexdigest()
    wave = current_wave(con, campaign_id)
    current = campaign_instrument(con, campaign_id)
    reusable = (
        preview is not None
        and preview.ok
        and preview._parsed
        and preview.sha256 == sha
        and preview.instrument_key == current.key
        and preview.campaign_id in (None, campaign_id)
        and instrument is None
    )
    if not reusable:
        preview = preview_import(
            con, campaign_id, data, filename, instrument=instrument, max_bytes=max_bytes, default_language=default_language
        )
    assert preview is not None
    if not preview.ok:
        raise ImportRefused(filename, preview.problems, preview)
    subs = [
        Submission(campaign_id, wave.wave, r.language, r.attributes, r.answers, r.comments, r.losses, source="import")
        for r in preview._parsed
    ]
    import_id = uuid.uuid4().hex
    frames = submission_frames(current, subs, import_id=import_id)
    with transaction(con):
        earlier = find_import(con, campaign_id, sha)
        if earlier is not None and not force:
            raise ImportRefused(
                filename,
                [
                    ImportProblem(
                        None,
                        None,
                        None,
                        f"this file (SHA-256 {sha[:12]}…) was already imported into '{campaign_id}' on {earlier.imported_on} "
                        f"as '{earlier.filename}' ({earlier.rows} rows); importing it again would count those respondents twice. "
                        "Import it anyway with force (--force on the command line)",
                    )
                ],
                preview,
            )
        try:
            insert_frames(con, frames, current)
        except ValueError as exc:
            raise ImportRefused(filename, [ImportProblem(None, None, None, line) for line in str(exc).splitlines()], preview) from exc
        con.execute(
            "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, current_date)", [import_id, campaign_id, wave.wave, sha, filename, len(subs)]
        )
        audit(
            con,
            actor,
            "import",
            f"{len(subs)} responses from '{filename}' (sha256 {sha}) into {campaign_id} wave {wave.wave}"
            + (" (forced repeat)" if earlier is not None else ""),
        )
    return ImportResult(import_id, campaign_id, wave.wave, len(subs), filename, sha, earlier is not None, preview.notes)


def delete_import(con: duckdb.DuckDBPyConnection, import_id: str, *, actor: str = "facilitator") -> int:
    """Remove every response an import wrote, in one transaction: the undo for a mistaken import."""
    row = con.execute("SELECT campaign_id, filename, wave FROM imports WHERE import_id = ?", [import_id]).fetchone()
    if row is None:
        raise CampaignError(f"unknown import '{import_id}'")
    with transaction(con):
        forget_wave_cells(con, row[0], row[2])  # aggregates that still count the removed answers
        ids = "SELECT response_id FROM responses WHERE import_id = ?"
        for table in ("answers", "response_attributes", "comments", "value_choices"):
            con.execute(f"DELETE FROM {table} WHERE response_id IN ({ids})", [import_id])
        count = con.execute("DELETE FROM responses WHERE import_id = ?", [import_id]).fetchone()[0]
        con.execute("DELETE FROM imports WHERE import_id = ?", [import_id])
        audit(con, actor, "delete import", f"import {import_id} ('{row[1]}') from {row[0]}: {count} responses")
    return int(count)
