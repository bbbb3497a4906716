"""Submissions: check one respondent's answers against the instrument and store them in one transaction."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from survey.instrument import Instrument
from survey.schemas import MAX_COMMENT_CHARS, RATING_COLUMNS, ResponseFrames, validate_frames
from survey.store import migrate, transaction
from survey.writer import Claim, SubmissionWriter

_TABLES = (
    ("responses", "responses"),
    ("attributes", "response_attributes"),
    ("answers", "answers"),
    ("comments", "comments"),
    ("value_choices", "value_choices"),
    ("ratings", "dimension_ratings"),
)


class SubmissionError(ValueError):
    """Answers that cannot be stored; `problems` names each field and why. Nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Submission:
    """One respondent's complete answers; `None` in answers means don't know (or left open)."""

    campaign_id: str
    wave: int
    language: str
    attributes: Mapping[str, str]
    answers: Mapping[str, int | None]
    comments: Mapping[str, str] = field(default_factory=dict)
    losses: Sequence[str] = ()
    source: str = "web"
    submission_key: str | None = None
    submitted_on: dt.date | None = None
    targets: Mapping[str, int | None] = field(default_factory=dict)  # dimension -> "where should we be in two years"
    predictions: Mapping[tuple[str, str], int | None] = field(default_factory=dict)  # (reference option, dimension) -> predicted rating


def check_submission(instrument: Instrument, sub: Submission) -> list[str]:
    """Every reason the submission cannot be stored, each naming the field; empty when it is fine."""
    problems: list[str] = []
    if sub.language not in instrument.languages:
        problems.append(f"language: '{sub.language}' is not one of {list(instrument.languages)}")
    return (
        problems
        + _attribute_problems(instrument, sub)
        + _answer_problems(instrument, sub)
        + _loss_problems(instrument, sub)
        + _rating_problems(instrument, sub)
    )


def _on_scale(instrument: Instrument, value: object) -> bool:
    scale = instrument.scale
    return not isinstance(value, bool) and isinstance(value, int) and scale.min <= value <= scale.max


def _rating_problems(instrument: Instrument, sub: Submission) -> list[str]:
    """Targets and predictions: only where the instrument asks them, on its scale, and never about one's own level."""
    problems = []
    targets, meta = instrument.targets, instrument.meta_perception
    if sub.targets and targets is None:
        problems.append("targets: this instrument asks no targets")
    for dim_id, value in sub.targets.items() if targets else ():
        if dim_id not in targets.questions:
            problems.append(f"target_{dim_id}: not asked by this instrument")
        elif value is not None and not _on_scale(instrument, value):
            problems.append(f"target_{dim_id}: {value!r} is outside the scale {instrument.scale.min}–{instrument.scale.max}")
    if sub.predictions and meta is None:
        problems.append("predictions: this instrument has no meta-perception block")
    own = sub.attributes.get(meta.attribute) if meta else None
    for (about, dim_id), value in sub.predictions.items() if meta else ():
        name = f"predict_{about}_{dim_id}"
        if about not in meta.questions or dim_id not in meta.questions[about]:
            problems.append(f"{name}: not asked by this instrument")
        elif about == own:
            problems.append(f"{name}: nobody predicts their own level ({meta.attribute}={own})")
        elif value is not None and not _on_scale(instrument, value):
            problems.append(f"{name}: {value!r} is outside the scale {instrument.scale.min}–{instrument.scale.max}")
    return problems


def _attribute_problems(instrument: Instrument, sub: Submission) -> list[str]:
    """Attributes: required ones missing, options the instrument does not have, attributes it does not ask."""
    problems = []
    for attr_id, attr in instrument.attributes.items():
        value = sub.attributes.get(attr_id)
        if value in (None, ""):
            if attr.required:
                problems.append(f"{attr_id}: required, missing")
        elif value not in attr.options:
            problems.append(f"{attr_id}: '{value}' is not one of {list(attr.options)}")
    for attr_id in sub.attributes:
        if attr_id not in instrument.attributes:
            problems.append(f"{attr_id}: unknown attribute")
    return problems


def _answer_problems(instrument: Instrument, sub: Submission) -> list[str]:
    """Answers and comments: unknown items or dimensions, values off the scale, comments too long."""
    problems = []
    items = set(instrument.item_ids)
    scale = instrument.scale
    for item_id, value in sub.answers.items():
        if item_id not in items:
            problems.append(f"{item_id}: unknown item")
        elif value is not None and (isinstance(value, bool) or not isinstance(value, int) or not scale.min <= value <= scale.max):
            problems.append(f"{item_id}: {value!r} is outside the scale {scale.min}–{scale.max}")
    dims = set(instrument.dimension_ids)
    for dim_id, text in sub.comments.items():
        if dim_id not in dims:
            problems.append(f"comment_{dim_id}: unknown dimension")
        elif len(text) > MAX_COMMENT_CHARS:
            problems.append(f"comment_{dim_id}: {len(text)} characters, at most {MAX_COMMENT_CHARS}")
    return problems


def _loss_problems(instrument: Instrument, sub: Submission) -> list[str]:
    """Named losses: only where the instrument has a value-at-stake block, only its categories, at most its number."""
    vas = instrument.value_at_stake
    if not sub.losses:
        return []
    if vas is None:
        return ["losses: this instrument has no value-at-stake block"]
    problems = [f"losses: unknown loss category '{loss}'" for loss in sub.losses if loss not in vas.losses]
    if len(set(sub.losses)) > vas.max_choices:
        problems.append(f"losses: at most {vas.max_choices} choices, got {len(set(sub.losses))}")
    return problems


def submission_frames(instrument: Instrument, subs: Sequence[Submission], import_id: str | None = None) -> ResponseFrames:
    """The long-form rows for a batch of checked submissions (every item gets a row; None = don't know)."""
    today = dt.date.today()
    resp, attrs, answers, comments, losses, ratings = [], [], [], [], [], []
    for sub in subs:
        rid = uuid.uuid4().hex
        resp.append(
            (
                rid,
                sub.campaign_id,
                sub.wave,
                pd.Timestamp(sub.submitted_on or today),
                sub.language,
                sub.source,
                sub.submission_key,
                import_id,
            )
        )
        attrs.extend((rid, a, v) for a, v in sub.attributes.items() if v not in (None, ""))
        answers.extend((rid, item_id, sub.answers.get(item_id)) for item_id in instrument.item_ids)
        comments.extend((rid, d, sub.language, t.strip()) for d, t in sub.comments.items() if t and t.strip())
        losses.extend((rid, loss) for loss in dict.fromkeys(sub.losses))
        ratings.extend((rid, "target", None, d, v) for d, v in sub.targets.items() if v is not None)
        ratings.extend((rid, "prediction", about, d, v) for (about, d), v in sub.predictions.items() if v is not None)
    return ResponseFrames(
        responses=pd.DataFrame(
            resp, columns=["response_id", "campaign_id", "wave", "submitted_on", "language", "source", "submission_key", "import_id"]
        ).astype({"wave": "int64", "submitted_on": "datetime64[ns]", "submission_key": object, "import_id": object}),
        attributes=pd.DataFrame(attrs, columns=["response_id", "attribute", "value"]),
        answers=pd.DataFrame(answers, columns=["response_id", "item_id", "value"]).astype({"value": "Int16"}),
        comments=pd.DataFrame(comments, columns=["response_id", "dimension", "language", "text"]),
        value_choices=pd.DataFrame(losses, columns=["response_id", "loss"]),
        ratings=pd.DataFrame(ratings, columns=RATING_COLUMNS).astype({"value": "Int16", "about": object}),
    )


def insert_frames(con: duckdb.DuckDBPyConnection, frames: ResponseFrames, instrument: Instrument) -> int:
    """Validate with pandera, then insert every table; the caller owns the transaction."""
    frames = validate_frames(frames, instrument)
    for attr, table in _TABLES:
        incoming = getattr(frames, attr)
        if incoming.empty:
            continue
        copy_in = getattr(con, "insert_frame", None)  # PostgreSQL (survey.postgres.Routed): by COPY
        if copy_in is not None:
            copy_in(table, incoming)
            continue
        cols = ", ".join(incoming.columns)
        # DuckDB reads the local frame `incoming` by name (a replacement scan): no register/unregister,
        # which cost more than the insert itself for one submission.
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM incoming")
    return frames.count


def existing_response(con: duckdb.DuckDBPyConnection, key: str | None) -> str | None:
    """The response already stored under this submission key, if any."""
    if key is None:
        return None
    row = con.execute("SELECT response_id FROM responses WHERE submission_key = ?", [key]).fetchone()
    return row[0] if row else None


class DuckDBStorage:
    """How a batch reaches a DuckDB file: the submission keys it already holds, and one transaction for the rest."""

    def stored(self, con: duckdb.DuckDBPyConnection, keys: Sequence[str]) -> dict[str, str]:
        return dict(con.execute("SELECT submission_key, response_id FROM responses WHERE submission_key IN ?", [list(keys)]).fetchall())

    def commit(
        self, con: duckdb.DuckDBPyConnection, instrument: Instrument, subs: Sequence[Submission], claims: Sequence[Claim]
    ) -> list[str]:
        frames = submission_frames(instrument, subs)
        with transaction(con):
            for claim in claims:
                claim(con)
            insert_frames(con, frames, instrument)
        return [str(response_id) for response_id in frames.responses["response_id"]]


# Each file's writer, shared by every handle on it while one holds it (`Database.writer`).
_WRITERS: weakref.WeakValueDictionary[str, SubmissionWriter] = weakref.WeakValueDictionary()
_WRITERS_LOCK = threading.Lock()


def file_writer(path: str | None) -> SubmissionWriter:
    """The writer of the DuckDB file at the resolved `path`: one per file in this process; a new one for an in-memory database (None).

    One per file is what lets submissions from every session of the server share a batch; an in-memory
    database is a database of its own per connection, so its submissions are never grouped with another's.
    """
    if path is None:
        return SubmissionWriter(DuckDBStorage())
    with _WRITERS_LOCK:
        writer = _WRITERS.get(path)
        if writer is None:
            writer = _WRITERS[path] = SubmissionWriter(DuckDBStorage())
        return writer


def writer_for(con: duckdb.DuckDBPyConnection) -> SubmissionWriter:
    """The writer of the database `con` writes to, for a caller that holds a connection but not its `Database`."""
    database = getattr(con, "database", None)  # PostgreSQL: the Database the connection came from
    if database is not None:
        return database.writer
    row = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return file_writer(str(Path(row[0]).resolve()) if row and row[0] else None)


def submit(
    con: duckdb.DuckDBPyConnection,
    instrument: Instrument,
    sub: Submission,
    writer: SubmissionWriter | None = None,
    claim: Claim | None = None,
) -> str:
    """Store one response durably through the database's `writer` (`Database.writer`; found from `con` when not given) and return its id.

    The submission key makes this idempotent: a double click, a retried request or two racing
    sessions with the same key store one response, and every caller gets the same id back.
    `claim` runs in the same transaction first (a resume token's draft erased, `survey.resume`).
    """
    problems = check_submission(instrument, sub)
    if problems:
        raise SubmissionError(problems)
    try:
        return (writer or writer_for(con)).store(
            con, instrument, sub, claim
        )  # a key already stored gets its response back from the writer's lookup
    except (duckdb.ConstraintException, duckdb.TransactionException):
        found = existing_response(con, sub.submission_key)
        if found:
            return found
        raise


def response_count(con: duckdb.DuckDBPyConnection, campaign_id: str, wave: int | None = None) -> int:
    sql = "SELECT count(*) FROM responses WHERE campaign_id = ?" + (" AND wave = ?" if wave is not None else "")
    return con.execute(sql, [campaign_id] + ([wave] if wave is not None else [])).fetchone()[0]


def sample_submission(instrument: Instrument, campaign_id: str = "rehearsal") -> Submission:
    """A complete, valid submission for `instrument`: first option of every attribute, every scale point used, a comment, a loss."""
    points = list(range(instrument.scale.min, instrument.scale.max + 1))
    losses = list(instrument.value_at_stake.losses)[:1] if instrument.value_at_stake else []
    attributes = {a: next(iter(attr.options)) for a, attr in instrument.attributes.items()}
    meta = instrument.meta_perception
    asked = meta.asked_of(attributes.get(meta.attribute)) if meta else ()
    return Submission(
        campaign_id,
        1,
        instrument.languages[0],
        attributes,
        {item: points[k % len(points)] for k, item in enumerate(instrument.item_ids)},
        {instrument.dimension_ids[0]: "rehearsal"},
        losses,
        targets={d: points[-1] for d in instrument.targets.questions} if instrument.targets else {},
        predictions={(about, d): points[0] for about in asked for d in meta.questions[about]} if meta else {},
    )


def rehearse_submit(instrument: Instrument) -> int:
    """Run the whole submission path once on a sample, into a throwaway in-memory database; returns the rows written.

    The first submissions of a server otherwise pay for first-time imports and set-up (pandera's
    backends, DuckDB's pandas scans) all at once, on the GIL and the import lock: the load test saw
    every session stop for seconds exactly when the first respondents submitted.
    """
    con = duckdb.connect(":memory:")
    try:
        migrate(con)
        submit(con, instrument, sample_submission(instrument))
        return sum(int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]) for _, table in _TABLES)
    finally:
        con.close()
