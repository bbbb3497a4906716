"""Validated import of wide CSV/XLSX responses: every row of a file (read by `survey.tables`) checked against the instrument, written all or nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import duckdb
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors
from xlsxwriter.utility import xl_col_to_name

from survey.campaigns import CampaignError, campaign_instrument, current_wave, get_campaign
from survey.instrument import Instrument
from survey.responses import Submission, check_submission, insert_frames, submission_frames
from survey.schemas import MAX_COMMENT_CHARS
from survey.store import audit, forget_wave_cells, transaction
from survey.tables import DEFAULT_MAX_BYTES, ImportProblem, Table, TableError, capped, read_table

PREVIEW_ROWS = 20
REPORT_LINES = 200
LANGUAGE_COLUMN = "language"
LOSSES_COLUMN = "losses"
COMMENT_PREFIX = "comment_"
TARGET_PREFIX = "target_"
PREDICT_PREFIX = "predict_"
# A text cell starting with one of these is what a spreadsheet would run as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@")
FORMULA_RAW_STARTS = ("\t", "\r")

_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$", re.ASCII)
# "- no budget for training": a dash or plus, a space, then a word is a bulleted remark, common in comment
# exports; it is stored as typed (every export still neutralises a leading - or +) instead of refused.
_BULLET = re.compile(r"^[-+]\s+\w")
FORMULA_REASON = "looks like a spreadsheet formula (starts with =, +, -, @, tab or CR); refused, not rewritten: edit the cell so it starts with a letter or digit"

# Columns that Microsoft Forms and Google Forms add to every export (English and Dutch), normalised as `header_words`
# normalises: who answered and when. They are dropped before a row is read and never stored.
FORMS_METADATA = frozenset(
    {
        "id",
        "start time",
        "completion time",
        "email",
        "e mail",
        "email address",
        "name",
        "last modified time",
        "timestamp",
        "total points",
        "quiz feedback",
        "score",
        "begintijd",
        "starttijd",
        "tijd van voltooien",
        "voltooiingstijd",
        "e mailadres",
        "emailadres",
        "naam",
        "tijd van laatste wijziging",
        "laatst gewijzigd",
        "tijdstempel",
        "totaal aantal punten",
        "punten",
    }
)
# "3. ", "3) ", "Q3 ", "Q3. ", "Vraag 3: " before a question's text, as Forms and hand-made sheets number them.
_NUMBERING = re.compile(r"^\s*(?:(?:q|question|vraag)\s*)?\d{1,3}\s*[.):\-]?\s+", re.IGNORECASE)
_NOT_WORD = re.compile(r"[\W_]+")
_GRID_ROW = re.compile(r"^(.*)\[([^\[\]]+)\]\s*$")  # Google Forms' grid: "Question title [row text]"
DROPPED = "metadata, dropped"


def header_words(text: str) -> str:
    """A header or question text reduced to what identifies it: case, spacing, punctuation and a numbering prefix ignored."""
    text = unicodedata.normalize("NFKC", text).replace("\ufeff", "")
    text = _NUMBERING.sub("", text, count=1)
    return " ".join(_NOT_WORD.sub(" ", text.casefold()).split())


@dataclass(frozen=True)
class ColumnMatch:
    """How one column of a file was read: by id, by a question's text in a language, or dropped as Forms metadata."""

    letter: str
    header: str
    column: str | None  # what it became: an attribute, item, comment_<dimension>, language or losses; None when dropped
    how: str  # "id", "text (nl)", or DROPPED


SELECT_IMPORT = "SELECT import_id, campaign_id, wave, file_sha256, filename, rows, imported_on FROM imports"


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
    targets: dict[str, int | None] = field(default_factory=dict)
    predictions: dict[tuple[str, str], int | None] = field(default_factory=dict)


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
    mapping: tuple[ColumnMatch, ...] = ()
    _parsed: tuple[_ParsedRow, ...] = field(default=(), repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def needs_confirmation(self) -> bool:
        """Whether any column was matched by its text or dropped: the facilitator confirms such a mapping before a write."""
        return any(match.how != "id" for match in self.mapping)

    def mapping_lines(self) -> list[str]:
        """The column mapping as a person reads it: 'C "3. We know where we lose most" -> STR1 (text (en))'."""
        return [f"{m.letter} {m.header!r} -> {m.column or '(not stored)'} [{m.how}]" for m in self.mapping]

    @property
    def head(self) -> pd.DataFrame:
        """The first rows for an on-screen preview, indexed by file row number."""
        return self.frame.head(PREVIEW_ROWS)

    def report(self, limit: int = REPORT_LINES) -> list[str]:
        """The row-by-row report a person reads: one line per problem, capped at `limit` lines."""
        return capped([str(p) for p in self.problems], limit, more="more problem(s)")


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
        lines = capped([str(p) for p in self.problems], REPORT_LINES, more="more problem(s)")
        super().__init__(f"{filename}: refused, nothing written ({len(self.problems)} problem(s))\n" + "\n".join(f"  {x}" for x in lines))


# --------------------------------------------------------------------------- the instrument's vocabulary


def looks_like_formula(raw: str) -> bool:
    """A text cell a spreadsheet would execute: starts with =, +, -, @ (after spaces), tab or CR.

    Plain numbers are not, nor a bulleted remark ("- text", "+ text").
    """
    if raw.startswith(FORMULA_RAW_STARTS):
        return True
    text = raw.strip()
    return text.startswith(FORMULA_STARTS) and not _NUMBER.match(text) and not _BULLET.match(text)


def _question_texts(instrument: Instrument) -> dict[str, dict[tuple[str, str], list[str]]]:
    """Every text a Forms header may be, as `header_words`: to the (kind, id) it names and the languages it is written in."""
    vas = instrument.value_at_stake
    texts: dict[str, dict[tuple[str, str], list[str]]] = {}
    named: list[tuple[str, str, dict[str, str] | None]] = [("attribute", a.id, a.label) for a in instrument.attributes.values()]
    named += [("item", item.id, item.text) for item in instrument.items]
    named += [("comment", d.id, d.comment_prompt) for d in instrument.dimensions]
    if vas is not None:
        named.append(("losses", LOSSES_COLUMN, vas.prompt))
    named.append(("language", LANGUAGE_COLUMN, {"en": "Language", "nl": "Taal"}))
    for kind, ident, text in named:
        for lang, words in (text or {}).items():
            texts.setdefault(header_words(words), {}).setdefault((kind, ident), []).append(lang)
    return texts


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
        self.predictions = self._rating_columns(instrument)
        self.columns[LANGUAGE_COLUMN] = ("language", LANGUAGE_COLUMN)
        if vas is not None:
            self.columns[LOSSES_COLUMN] = ("losses", LOSSES_COLUMN)
        self.texts = _question_texts(instrument)

    def by_text(self, header: str) -> tuple[list[tuple[str, str]], list[str]]:
        """The columns a header names by its text (more than one: ambiguous), and the languages it was found in.

        A Google Forms grid column ("Question title [row text]") is matched by its row text when the whole is not.
        """
        found = self.texts.get(header_words(header))
        grid = _GRID_ROW.match(header)
        if not found and grid:
            found = self.texts.get(header_words(grid.group(2)))
        if not found:
            return [], []
        return list(found), sorted({lang for langs in found.values() for lang in langs})

    def _rating_columns(self, instrument: Instrument) -> dict[str, tuple[str, str]]:
        """Optional columns target_<dimension> and predict_<option>_<dimension> (as the long export names them); returns the
        prediction idents with their (option, dimension)."""
        predictions: dict[str, tuple[str, str]] = {}
        for dim_id in instrument.targets.questions if instrument.targets else ():
            self.columns[f"{TARGET_PREFIX}{dim_id}".casefold()] = ("target", dim_id)
        for about, questions in instrument.meta_perception.questions.items() if instrument.meta_perception else ():
            for dim_id in questions:
                predictions[f"{about}_{dim_id}"] = (about, dim_id)
                self.columns[f"{PREDICT_PREFIX}{about}_{dim_id}".casefold()] = ("prediction", f"{about}_{dim_id}")
        return predictions

    def column_name(self, kind: str, ident: str) -> str:
        prefix = {"comment": COMMENT_PREFIX, "target": TARGET_PREFIX, "prediction": PREDICT_PREFIX}.get(kind, "")
        return f"{prefix}{ident}"

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
        if kind in ("item", "target", "prediction"):
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
    for name in wanted:
        if name.startswith((TARGET_PREFIX, PREDICT_PREFIX)):
            spec[name] = pa.Column(
                "Int64", pa.Check.in_range(scale.min, scale.max, error=f"outside the scale {scale.min}–{scale.max}"), nullable=True
            )
    return pa.DataFrameSchema(spec, strict=True, name="import", coerce=False)


# --------------------------------------------------------------------------- checking a file


def _classify_header(
    table: Table, vocab: _Vocabulary, other_versions: dict[str, str]
) -> tuple[list[tuple[int, str, str]], list[ImportProblem], list[ColumnMatch]]:
    """Map each header cell to (kind, id) by its id or its text in any language; name every unknown, ambiguous, duplicate or missing column.

    Forms metadata (who answered, when) is dropped here, before any cell is read, so it can never be stored.
    """
    instrument = vocab.instrument
    problems: list[ImportProblem] = []
    mapped: list[tuple[int, str, str]] = []
    matches: list[ColumnMatch] = []
    seen: dict[str, int] = {}
    hrow = table.header_row
    for index, raw in enumerate(table.header):
        name = raw.replace("\ufeff", "").strip()
        letter = xl_col_to_name(index)  # the spreadsheet's column name (A..Z, AA...): what the facilitator sees
        if not name:
            problems.append(ImportProblem(hrow, f"{letter} (no header)", None, "this column has values but no header"))
            continue
        found = vocab.columns.get(name.casefold())
        how = "id"
        if found is None and header_words(name) in FORMS_METADATA:
            matches.append(ColumnMatch(letter, name, None, DROPPED))
            continue
        if found is None:
            targets, languages = vocab.by_text(name)
            if len(targets) > 1:
                names = ", ".join(vocab.column_name(kind, ident) for kind, ident in targets)
                problems.append(
                    ImportProblem(
                        hrow, f"{letter} '{name}'", None, f"ambiguous: its text matches {names}; rename the header to one of these ids"
                    )
                )
                continue
            if targets:
                found, how = targets[0], f"text ({', '.join(languages)})"
        if found is None:
            other = other_versions.get(name.casefold())
            if other:
                reason = (
                    f"is an item of instrument {other}, but this campaign's current wave uses {instrument.key}: "
                    "an instrument change needs a new wave (campaign page: 'start a new wave')"
                )
            else:
                reason = (
                    f"unknown column: neither an id (attribute, item, comment_<dimension>, {LANGUAGE_COLUMN}, {LOSSES_COLUMN}, "
                    f"{TARGET_PREFIX}<dimension>, {PREDICT_PREFIX}<level>_<dimension>) "
                    "nor the text of a question, profile question or comment prompt in any language of the questionnaire"
                )
            problems.append(ImportProblem(hrow, f"{letter} '{name}'", None, reason))
            continue
        kind, ident = found
        column = vocab.column_name(kind, ident)
        if column in seen:
            problems.append(
                ImportProblem(
                    hrow, f"{letter} '{name}'", None, f"duplicate header: column {xl_col_to_name(seen[column])} is also '{column}'"
                )
            )
            continue
        seen[column] = index
        mapped.append((index, kind, ident))
        matches.append(ColumnMatch(letter, name, column, how))
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
    return mapped, problems, matches


def _language_of(matches: Sequence[ColumnMatch], instrument: Instrument) -> str | None:
    """The one language every text-matched header was found in (a Forms export in Dutch), or None when they disagree."""
    found: set[str] | None = None
    for match in matches:
        if match.how.startswith("text ("):
            langs = set(match.how[len("text (") : -1].split(", "))
            found = langs if found is None else found & langs
    return next(iter(found)) if found and len(found) == 1 and next(iter(found)) in instrument.languages else None


@dataclass
class _Row:
    """One file row while its cells are read; `parsed()` is what it becomes."""

    number: int
    language: str
    attributes: dict[str, str] = field(default_factory=dict)
    answers: dict[str, int | None] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    losses: tuple[str, ...] = ()
    targets: dict[str, int | None] = field(default_factory=dict)
    predictions: dict[tuple[str, str], int | None] = field(default_factory=dict)

    def parsed(self) -> _ParsedRow:
        return _ParsedRow(self.language, self.attributes, self.answers, self.comments, self.losses, self.targets, self.predictions)


class _Cell(NamedTuple):
    column: str  # as the frame and the report name it
    ident: str  # the attribute, item or dimension id
    raw: str  # as typed
    value: object  # looked up in the vocabulary, or the stripped text


class _RowReader:
    """Reads cells into rows and notes every cell that cannot be read, once per (row, column)."""

    def __init__(self, vocab: _Vocabulary) -> None:
        self.vocab = vocab
        self.problems: list[ImportProblem] = []
        self.reported: set[tuple[int, str]] = set()
        self._looked_up: dict[tuple[str, str, str], tuple[object, str | None]] = {}

    def bad(self, row: _Row, column: str, value: str, reason: str) -> None:
        self.problems.append(ImportProblem(row.number, column, value, reason))
        self.reported.add((row.number, column))

    def cell(self, row: _Row, kind: str, ident: str, raw: str) -> object:
        """One cell into `row`; returns what the frame holds for it (None for a refused formula in a text column)."""
        column = self.vocab.column_name(kind, ident)
        looked_up, store = COLUMN_KINDS[kind]
        if looked_up:
            key = (kind, ident, raw)  # files repeat the same few words: each distinct cell is looked up once
            found = self._looked_up.get(key)
            if found is None:
                found = self._looked_up[key] = self.vocab.convert(kind, ident, raw)
            value, why = found
            if why:
                self.bad(row, column, raw, why)
        else:
            value = raw.strip()
            if value and looks_like_formula(raw):
                self.bad(row, column, raw, FORMULA_REASON)
                return None
        return store(self, row, _Cell(column, ident, raw, value))


def _attribute_cell(reader: _RowReader, row: _Row, cell: _Cell) -> object:
    if cell.value is not None:
        row.attributes[cell.ident] = str(cell.value)
    return cell.value


def _item_cell(reader: _RowReader, row: _Row, cell: _Cell) -> object:
    row.answers[cell.ident] = cell.value if isinstance(cell.value, int) else None
    return pd.NA if cell.value is None else cell.value


def _target_cell(reader: _RowReader, row: _Row, cell: _Cell) -> object:
    if isinstance(cell.value, int):
        row.targets[cell.ident] = cell.value
    return pd.NA if cell.value is None else cell.value


def _prediction_cell(reader: _RowReader, row: _Row, cell: _Cell) -> object:
    if isinstance(cell.value, int):
        row.predictions[reader.vocab.predictions[cell.ident]] = cell.value
    return pd.NA if cell.value is None else cell.value


def _language_cell(reader: _RowReader, row: _Row, cell: _Cell) -> object:
    if cell.value is not None:
        row.language = str(cell.value)
    return row.language


def _comment_cell(reader: _RowReader, row: _Row, cell: _Cell) -> object:
    if cell.value:
        row.comments[cell.ident] = str(cell.value)
    return cell.value or None


def _losses_cell(reader: _RowReader, row: _Row, cell: _Cell) -> object:
    vas = reader.vocab.instrument.value_at_stake
    chosen, unknown = reader.vocab.split_losses(str(cell.value)) if cell.value else ([], [])
    for word in unknown:
        reader.bad(row, cell.column, word, f"not a loss category (use ids or labels: {', '.join(vas.losses) if vas else ''})")
    if vas is not None and len(chosen) > vas.max_choices:
        reader.bad(row, cell.column, cell.raw, f"{len(chosen)} loss categories named, at most {vas.max_choices}")
    row.losses = tuple(chosen)
    return "; ".join(chosen) or None


# Each kind of column (see _Vocabulary.columns): whether its cells are looked up in the vocabulary (else taken as
# typed, a formula refused), and how a cell goes into the row, returning what the frame holds for it.
COLUMN_KINDS: dict[str, tuple[bool, Callable[[_RowReader, _Row, _Cell], object]]] = {
    "attribute": (True, _attribute_cell),
    "item": (True, _item_cell),
    "language": (True, _language_cell),
    "comment": (False, _comment_cell),
    "losses": (False, _losses_cell),
    "target": (True, _target_cell),
    "prediction": (True, _prediction_cell),
}


def _schema_problems(frame: pd.DataFrame, instrument: Instrument, reported: set[tuple[int, str]]) -> list[ImportProblem]:
    """What pandera finds in the parsed frame (ranges, required cells), leaving out cells already reported."""
    try:
        import_schema(instrument, frame.columns).validate(frame, lazy=True)
    except SchemaErrors as exc:
        problems = []
        for case in exc.failure_cases.itertuples(index=False):
            row = int(case.index) if pd.notna(case.index) else None
            column = str(case.column)
            if row is not None and (row, column) in reported:
                continue
            reason = "required, empty" if case.check == "not_nullable" else str(case.check)
            value = None if case.failure_case is None or pd.isna(case.failure_case) else str(case.failure_case)
            problems.append(ImportProblem(row, column, value, reason))
        return problems
    return []


def _parse_rows(
    table: Table, vocab: _Vocabulary, mapped: list[tuple[int, str, str]], default_language: str
) -> tuple[pd.DataFrame, list[_ParsedRow], list[ImportProblem]]:
    """Turn cells into ids and numbers, noting each cell that cannot be converted; ranges are left to pandera."""
    instrument = vocab.instrument
    reader = _RowReader(vocab)
    columns: dict[str, list] = {vocab.column_name(kind, ident): [] for _, kind, ident in mapped}
    columns.setdefault(LANGUAGE_COLUMN, [])
    has_language = any(kind == "language" for _, kind, _ in mapped)
    parsed: list[_ParsedRow] = []
    for number, cells in zip(table.row_numbers, table.rows, strict=True):
        row = _Row(number, default_language)
        for index, kind, ident in mapped:
            columns[vocab.column_name(kind, ident)].append(reader.cell(row, kind, ident, cells[index]))
        if not has_language:
            columns[LANGUAGE_COLUMN].append(row.language)
        parsed.append(row.parsed())
    frame = pd.DataFrame(columns, index=pd.Index(table.row_numbers, name="row"))
    for column in frame.columns:
        if column in instrument.item_ids or str(column).startswith((TARGET_PREFIX, PREDICT_PREFIX)):
            frame[column] = pd.array(frame[column].tolist(), dtype="Int64")
    problems = reader.problems + _schema_problems(frame, instrument, reader.reported)
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
    matches: list[ColumnMatch] = []

    def preview(problems: Sequence[ImportProblem], table: Table | None = None, columns: tuple[str, ...] = ()) -> ImportPreview:
        """What the file would import as far as it was read: with `problems`, nothing."""
        return ImportPreview(
            filename=filename,
            sha256=sha,
            size_bytes=len(data),
            instrument_key=instrument.key,
            campaign_id=None,
            wave=None,
            encoding=table.encoding if table else None,
            delimiter=table.delimiter if table else None,
            rows=len(table.rows) if table else 0,
            columns=columns,
            frame=pd.DataFrame(),
            problems=tuple(problems),
            notes=(table.notes if table else ()) + tuple(notes),
            mapping=tuple(matches),
        )

    notes: list[str] = []
    if language not in instrument.languages:
        return preview([ImportProblem(None, None, language, f"default language must be one of {', '.join(instrument.languages)}")])
    try:
        table = read_table(data, filename, max_bytes=max_bytes)
    except TableError as exc:
        return preview(exc.problems)
    vocab = _Vocabulary(instrument)
    mapped, problems, matches = _classify_header(table, vocab, other_versions or {})
    columns = tuple(vocab.column_name(kind, ident) for _, kind, ident in mapped)
    spoken = _language_of(matches, instrument)
    if default_language is None and spoken is not None and not any(kind == "language" for _, kind, _ in mapped):
        language = spoken
        notes.append(f"no language column: the questions are written in '{spoken}', so every row is taken as answered in '{spoken}'")
    dropped = [m.header for m in matches if m.how == DROPPED]
    if dropped:
        notes.append(f"Forms metadata dropped, never stored: {', '.join(dropped)}")
    if problems:
        return preview(problems, table, columns)
    frame, parsed, problems = _parse_rows(table, vocab, mapped, language)
    if not problems:
        for number, row in zip(table.row_numbers, parsed, strict=True):
            sub = Submission(
                "",
                1,
                row.language,
                row.attributes,
                row.answers,
                row.comments,
                row.losses,
                source="import",
                targets=row.targets,
                predictions=row.predictions,
            )
            for message in check_submission(instrument, sub):
                column, _, reason = message.partition(": ")
                problems.append(ImportProblem(number, column, None, reason))
    problems.sort(key=lambda p: p.row or 0)
    return replace(preview(problems, table, columns), frame=frame, _parsed=tuple(parsed) if not problems else ())


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
            filename=filename,
            sha256=hashlib.sha256(data).hexdigest(),
            size_bytes=len(data),
            instrument_key=current.key,
            campaign_id=campaign_id,
            wave=wave.wave,
            encoding=None,
            delimiter=None,
            rows=0,
            columns=(),
            frame=pd.DataFrame(),
            problems=(problem,),
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
        Submission(
            campaign_id,
            wave.wave,
            r.language,
            r.attributes,
            r.answers,
            r.comments,
            r.losses,
            source="import",
            targets=r.targets,
            predictions=r.predictions,
        )
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
        for table in ("answers", "response_attributes", "comments", "value_choices", "dimension_ratings"):
            con.execute(f"DELETE FROM {table} WHERE response_id IN ({ids})", [import_id])
        count = con.execute("DELETE FROM responses WHERE import_id = ?", [import_id]).fetchone()[0]
        con.execute("DELETE FROM imports WHERE import_id = ?", [import_id])
        audit(con, actor, "delete import", f"import {import_id} ('{row[1]}') from {row[0]}: {count} responses")
    return int(count)
