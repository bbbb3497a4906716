"""The database: a DuckDB file (the default) or a PostgreSQL server, how it is opened and shared, and its recorded migrations."""

from __future__ import annotations

import atexit
import datetime as dt
import os
import re
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from survey.postgres import Replica
    from survey.writer import SubmissionWriter

DEFAULT_DB = Path("data") / "coherence.duckdb"
ENV_DB = "COHERENCE_DB"
_LOCK_PID = re.compile(r"PID (\d+)")
# Every DuckDB 1.x and 2.0 write-ahead log opens with a WAL_VERSION entry: field 100 (wal_type) = 98, field 101 (version) = 2
# (3 for an encrypted database).
_WAL_HEADER = b"\x64\x00\x62\x65\x00"
_WAL_VERSIONS = (2, 3)

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "core tables",
        """
        CREATE TABLE instruments (
            instrument_key VARCHAR PRIMARY KEY, instrument_id VARCHAR NOT NULL, version INTEGER NOT NULL,
            fingerprint VARCHAR NOT NULL, source_yaml VARCHAR NOT NULL, loaded_on DATE NOT NULL);
        CREATE TABLE instrument_items (
            instrument_key VARCHAR NOT NULL, item_id VARCHAR NOT NULL, dimension VARCHAR NOT NULL,
            reverse BOOLEAN NOT NULL, item_pos INTEGER NOT NULL, dim_pos INTEGER NOT NULL,
            scale_min INTEGER NOT NULL, scale_max INTEGER NOT NULL, PRIMARY KEY (instrument_key, item_id));
        CREATE TABLE campaigns (
            campaign_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, instrument_key VARCHAR NOT NULL,
            status VARCHAR NOT NULL DEFAULT 'open', threshold INTEGER NOT NULL DEFAULT 5 CHECK (threshold >= 3),
            comment_threshold INTEGER NOT NULL DEFAULT 10 CHECK (comment_threshold >= 3), created_on DATE NOT NULL);
        CREATE TABLE waves (
            campaign_id VARCHAR NOT NULL, wave INTEGER NOT NULL, label VARCHAR NOT NULL,
            instrument_key VARCHAR NOT NULL, status VARCHAR NOT NULL DEFAULT 'open',
            opened_on DATE NOT NULL, closed_on DATE, PRIMARY KEY (campaign_id, wave));
        CREATE TABLE responses (
            response_id VARCHAR PRIMARY KEY, campaign_id VARCHAR NOT NULL, wave INTEGER NOT NULL,
            submitted_on DATE NOT NULL, language VARCHAR NOT NULL, source VARCHAR NOT NULL,
            submission_key VARCHAR UNIQUE, import_id VARCHAR);
        CREATE TABLE response_attributes (response_id VARCHAR NOT NULL, attribute VARCHAR NOT NULL, value VARCHAR NOT NULL);
        CREATE TABLE answers (response_id VARCHAR NOT NULL, item_id VARCHAR NOT NULL, value SMALLINT);
        CREATE TABLE comments (response_id VARCHAR NOT NULL, dimension VARCHAR NOT NULL, language VARCHAR NOT NULL, text VARCHAR NOT NULL);
        CREATE TABLE value_choices (response_id VARCHAR NOT NULL, loss VARCHAR NOT NULL);
        CREATE TABLE value_estimates (
            campaign_id VARCHAR NOT NULL, loss VARCHAR NOT NULL, eur_per_year DOUBLE NOT NULL CHECK (eur_per_year >= 0),
            PRIMARY KEY (campaign_id, loss));
        CREATE TABLE headcounts (
            campaign_id VARCHAR NOT NULL, attribute VARCHAR NOT NULL, option VARCHAR NOT NULL,
            headcount INTEGER NOT NULL CHECK (headcount >= 0), PRIMARY KEY (campaign_id, attribute, option));
        CREATE TABLE invites (
            token_hash VARCHAR PRIMARY KEY, campaign_id VARCHAR NOT NULL, wave INTEGER NOT NULL,
            created_on DATE NOT NULL, used_on DATE, draft VARCHAR);
        CREATE TABLE imports (
            import_id VARCHAR PRIMARY KEY, campaign_id VARCHAR NOT NULL, wave INTEGER NOT NULL,
            file_sha256 VARCHAR NOT NULL, filename VARCHAR NOT NULL, rows INTEGER NOT NULL, imported_on DATE NOT NULL);
        CREATE TABLE audit_log (logged_at TIMESTAMP NOT NULL, actor VARCHAR NOT NULL, action VARCHAR NOT NULL, detail VARCHAR NOT NULL);
        """,
    ),
    (
        2,
        "stored wave cells",
        # Sufficient statistics of a wave's finest cells, kept by analysis.stored_cells: derived, never a source.
        """
        CREATE TABLE wave_cells (
            campaign_id VARCHAR NOT NULL, wave INTEGER NOT NULL, layout VARCHAR NOT NULL, fingerprint VARCHAR NOT NULL,
            marks VARCHAR NOT NULL, cells BLOB NOT NULL, written_at TIMESTAMP NOT NULL, PRIMARY KEY (campaign_id, wave));
        """,
    ),
    (
        3,
        "invites keep no date of use",
        # The day an invite was used matched the day its response was submitted: whoever holds the list of
        # links could join a person to their answers. An invite now only says whether it was used; a used
        # invite keeps no draft either. Rebuilt rather than altered, so `used` takes `used_on`'s place.
        """
        CREATE TABLE invites_v3 (
            token_hash VARCHAR PRIMARY KEY, campaign_id VARCHAR NOT NULL, wave INTEGER NOT NULL,
            created_on DATE NOT NULL, used BOOLEAN NOT NULL DEFAULT false, draft VARCHAR);
        INSERT INTO invites_v3
            SELECT token_hash, campaign_id, wave, created_on, used_on IS NOT NULL, CASE WHEN used_on IS NULL THEN draft END FROM invites;
        DROP TABLE invites;
        ALTER TABLE invites_v3 RENAME TO invites;
        """,
    ),
    (
        4,
        "actions",
        # What leadership decided to do about a gap, a blind spot or a loss (issue 15). `answers_wave`, not `wave`:
        # deleting a wave (survey.retention) must not silently take the decisions made about it along.
        """
        CREATE TABLE actions (
            action_id VARCHAR PRIMARY KEY, campaign_id VARCHAR NOT NULL, answers_wave INTEGER NOT NULL CHECK (answers_wave >= 1),
            target_kind VARCHAR NOT NULL CHECK (target_kind IN ('dimension', 'item', 'blind_spot', 'loss')),
            target_id VARCHAR NOT NULL, group_a VARCHAR, group_b VARCHAR,
            title VARCHAR NOT NULL, owner VARCHAR NOT NULL, due_on DATE,
            status VARCHAR NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'in_progress', 'done', 'dropped')),
            loss VARCHAR, eur_per_year DOUBLE CHECK (eur_per_year >= 0), kpi VARCHAR, kpi_baseline VARCHAR, notes VARCHAR,
            published BOOLEAN NOT NULL DEFAULT false, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL);
        """,
    ),
    (
        5,
        "published results",
        # Which dimension-level results of a wave leadership chose to show without sign-in ("you said, we did");
        # `breakdown` is the attribute whose groups are shown beside the overall score ('' = the overall score only).
        """
        CREATE TABLE published_results (
            campaign_id VARCHAR NOT NULL, wave INTEGER NOT NULL, dimension VARCHAR NOT NULL,
            breakdown VARCHAR NOT NULL DEFAULT '', published_on DATE NOT NULL, PRIMARY KEY (campaign_id, wave, dimension));
        """,
    ),
    (
        6,
        "resume drafts",
        # Open-link and kiosk respondents' unfinished answers under the hash of the token in their URL (survey.resume),
        # so a respondent continues on another server process; `used` once submitted, until `expires_at`.
        """
        CREATE TABLE resume_drafts (
            token_hash VARCHAR PRIMARY KEY, campaign_id VARCHAR NOT NULL, wave INTEGER NOT NULL, kiosk BOOLEAN NOT NULL,
            used BOOLEAN NOT NULL DEFAULT false, draft VARCHAR, expires_at TIMESTAMP NOT NULL);
        """,
    ),
    (
        7,
        "dimension ratings: targets and meta-perception",
        # Ratings of a whole dimension, not of an item: "where should we be in two years" (kind 'target', about NULL) and
        # "how would <level> rate this" (kind 'prediction', about = the reference option). A table of their own, so the
        # answers, item catalogue, scores, cubes and their disclosure audit stay exactly as they were. Only answered
        # ratings are stored (don't know leaves no row): they are optional, and nothing counts on one row per question.
        """
        CREATE TABLE dimension_ratings (
            response_id VARCHAR NOT NULL, kind VARCHAR NOT NULL CHECK (kind IN ('target', 'prediction')), about VARCHAR,
            dimension VARCHAR NOT NULL, value SMALLINT NOT NULL,
            CHECK ((kind = 'target') = (about IS NULL)));
        """,
    ),
    (
        8,
        "passwords set on first run",
        # Set once from the home page with the setup code the server printed (survey/setup.py); secrets.toml or the
        # environment override them. A used setup code is kept as its SHA-256 so it never works twice.
        """
        CREATE TABLE role_hashes (role VARCHAR PRIMARY KEY, hash VARCHAR NOT NULL, set_on TIMESTAMP NOT NULL);
        CREATE TABLE setup_codes_used (code_sha256 VARCHAR PRIMARY KEY, used_on TIMESTAMP NOT NULL);
        """,
    ),
)


MIGRATIONS_TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
)
SCHEMA_VERSION = max(version for version, _, _ in MIGRATIONS)


class DatabaseBusy(RuntimeError):
    """Another process (usually the running app) holds the DuckDB file for longer than we may wait."""


class DatabaseDamaged(RuntimeError):
    """The file or its write-ahead log cannot be read; the message says how to recover."""


def is_url(value: object) -> bool:
    """Whether a `--db` value names a PostgreSQL server (`postgresql://…`) rather than a DuckDB file."""
    return isinstance(value, str) and value.startswith(("postgresql://", "postgres://"))


def resolve_db_path(path: str | Path | None = None) -> Path:
    """`--db` wins, then the COHERENCE_DB environment variable, then data/coherence.duckdb; a PostgreSQL URL is returned as given (a str)."""
    chosen = path or os.environ.get(ENV_DB) or DEFAULT_DB
    if is_url(chosen):
        return chosen  # type: ignore[return-value]  # a URL is no path: Path() would fold its '//'
    return Path(chosen).expanduser()


def shown_url(url: str) -> str:
    """A PostgreSQL URL as it may be printed: without its password."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply missing migrations in order, each in its own transaction, and record them; returns those applied."""
    con.execute(MIGRATIONS_TABLE_SQL)
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, sql in MIGRATIONS:
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, current_timestamp)", [version, name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied


def forget_wave_cells(con: duckdb.DuckDBPyConnection, campaign_id: str | None = None, wave: int | None = None) -> None:
    """Drop stored cell statistics (all, a campaign's or one wave's): after responses were removed, or to time a read from scratch."""
    where = [c for c, v in (("campaign_id = $campaign", campaign_id), ("wave = $wave", wave)) if v is not None]
    params = {k: v for k, v in (("campaign", campaign_id), ("wave", wave)) if v is not None}
    con.execute("DELETE FROM wave_cells" + (" WHERE " + " AND ".join(where) if where else ""), params)


def _busy_message(path: Path, error: str, waited: float) -> str:
    pid = _LOCK_PID.search(error)
    holder = f"process {pid.group(1)}" if pid else "another process"
    return (
        f"The database {path} is in use by {holder} (usually `streamlit run app.py`) and stayed busy for {waited:.0f} s.\n"
        "What to do: run the command again in a moment (the app lets go of the file within seconds when idle), "
        "or stop the app (Ctrl+C in its terminal) and retry, or point this command at another file with --db."
    )


def _damaged_message(path: Path, error: str) -> str:
    return (
        f"The database {path} could not be opened: {error}\n"
        f"Recovery: stop every process using it; copy {path} and {path}.wal aside as a backup; "
        f"then move {path}.wal out of the way and start again (data checkpointed before the damage is kept; "
        "the moved log holds only the last unconfirmed writes). If the main file itself is damaged, restore the "
        "last backup with `python -m survey restore DIR`."
    )


def _check_wal(path: Path) -> None:
    """Refuse a write-ahead log that does not start like one DuckDB wrote.

    DuckDB treats an unreadable first entry as a torn write and silently deletes the whole log,
    with every acknowledged write since the last checkpoint in it. A log that is not even a
    DuckDB log (overwritten, zeroed, a different file moved in place) is damage, not a torn
    write: stop and let a person decide, with the file still there to copy aside.
    """
    wal = Path(f"{path}.wal")
    try:
        with wal.open("rb") as handle:
            head = handle.read(len(_WAL_HEADER) + 1)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        return
    if not head:
        return
    if len(head) <= len(_WAL_HEADER):
        # A crash while the very first bytes were written leaves a prefix of the header: a torn write.
        if _WAL_HEADER.startswith(head):
            return
    elif head.startswith(_WAL_HEADER) and head[len(_WAL_HEADER)] in _WAL_VERSIONS:
        return
    raise DatabaseDamaged(_damaged_message(path, f"the write-ahead log {wal} does not start like a DuckDB log ({head[:8].hex()})"))


def _has_log(path: Path) -> bool:
    try:
        return Path(f"{path}.wal").stat().st_size > 0
    except OSError:
        return False


def _file_state(path: Path) -> tuple[int, int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_mtime_ns, found.st_size, found.st_ino


# Each file as this process left it after closing it, consistent: (modified ns, size, inode). An open that finds it so,
# with no write-ahead log to replay, skips the consistency check: nothing can have changed it since.
_CHECKED: dict[str, tuple[int, int, int] | None] = {}


class Database:
    """One shared DuckDB connection per file, handed out as a cursor per use, let go when idle.

    DuckDB lets a single process hold a file. Holding it only while work is going on (plus a short
    linger) is what lets the CLI and the running app take turns on the same file: each waits on the
    lock with back-off instead of failing.

    Opening checks that the rows of each response agree across tables (`survey.integrity`): on the
    first open in this process, after a write-ahead log was replayed (a crash may have left half a
    transaction in it) and after another process changed the file. Re-opening a file this process
    left unchanged costs nothing. `repair_all` removes what the check would refuse (the `repair` command).
    """

    def __init__(self, path: str | Path | None = None, *, linger_s: float = 2.0, wait_s: float = 30.0, repair_all: bool = False) -> None:
        chosen = resolve_db_path(path)
        self.url: str | None = chosen if is_url(chosen) else None
        self.path = shown_url(chosen) if self.url else chosen
        self.linger_s = linger_s
        self.wait_s = wait_s
        self.repair_all = repair_all
        self.findings: tuple = ()  # what the last check found (and removed), for the `repair` command to report
        self._lock = threading.RLock()
        _OPEN.add(self)
        self._con: duckdb.DuckDBPyConnection | None = None
        self._users = 0
        self._timer: threading.Timer | None = None
        self._writer: SubmissionWriter | None = None
        self._replica: Replica | None = None

    @property
    def replica(self) -> Replica:
        """PostgreSQL only: the pool, the local DuckDB copy and its sync, opened on first use."""
        if self.url is None:
            raise ValueError(f"{self.path} is a DuckDB file, not a PostgreSQL database")
        with self._lock:
            if self._replica is None:
                from survey.postgres import Replica  # imported here: a DuckDB file never needs psycopg

                self._replica = Replica(self.url)
                _REPLICAS.add(self._replica)
            return self._replica

    def staleness_s(self) -> float | None:
        """How old the data the dashboards read is, in seconds: 0 for a DuckDB file (read directly), else the copy's age."""
        if self.url is None:
            return 0.0
        return self.replica.mirror.staleness_s()

    @property
    def writer(self) -> SubmissionWriter:
        """Where submissions to this file are written, grouped (`survey.writer`): shared by every handle on the file, held as long as this one is."""
        with self._lock:
            if self._writer is None:
                from survey.responses import file_writer  # imported here: responses builds on this module (migrate, transaction)

                self._writer = file_writer(self._key() if self.url is None else f"postgresql:{self.path}")
            return self._writer

    def _open(self) -> duckdb.DuckDBPyConnection:
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.wait_s
        delay = 0.05
        started = time.monotonic()
        _check_wal(self.path)
        replayed = False
        while True:
            replayed = replayed or _has_log(self.path)  # looked at before each attempt: a crashed holder may have left one
            try:
                con = duckdb.connect(str(self.path), config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
                break
            except duckdb.IOException as exc:
                text = str(exc)
                if "lock" not in text.lower():
                    raise DatabaseDamaged(_damaged_message(self.path, text)) from exc
                if time.monotonic() >= deadline:
                    raise DatabaseBusy(_busy_message(self.path, text, time.monotonic() - started)) from exc
                time.sleep(delay)
                delay = min(delay * 1.6, 0.5)
            except duckdb.Error as exc:
                # A log or file that cannot be read surfaces as many types: 1.5 raised Serialization, Internal, Catalog,
                # InvalidInput or Fatal exceptions, 2.0 raises the base class for an entry whose checksum does not match.
                # Each means the files need a person, not a retry.
                raise DatabaseDamaged(_damaged_message(self.path, str(exc))) from exc
        migrate(con)
        if replayed or self._key() is None or _CHECKED.get(self._key()) != _file_state(self.path):
            self._verify(con)
        return con

    def _key(self) -> str | None:
        return None if str(self.path) == ":memory:" else str(self.path.resolve())

    def _verify(self, con: duckdb.DuckDBPyConnection) -> None:
        from survey import integrity  # imported here: integrity builds on this module (audit, transaction)

        try:
            # On a cursor of its own, closed after: a result left open would keep its transaction, and a CHECKPOINT later refused.
            cur = con.cursor()
            try:
                self.findings = integrity.verify(cur, str(self.path), repair_all=self.repair_all)
            finally:
                cur.close()
        except integrity.DatabaseInconsistent:
            # Leave the file and its log as they were found, for the person who copies them aside: no checkpoint on close.
            with suppress(duckdb.Error):
                con.execute("PRAGMA disable_checkpoint_on_shutdown")
            with suppress(duckdb.Error):
                con.close()
            raise

    def _release(self) -> None:
        with self._lock:
            if self._users == 0 and self._con is not None:
                con, self._con = self._con, None
                # Closing checkpoints; if that fails (disk full) the log still holds the data and the next open checks and retries.
                with suppress(duckdb.Error):
                    con.close()
                if self._key() is not None:
                    _CHECKED[self._key()] = _file_state(self.path)
            self._timer = None

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the shared connection; the file is let go `linger_s` after the last user finishes.

        On PostgreSQL a connection that sends writes to the server and reads to the local copy (`survey.postgres.Routed`).
        """
        if self.url is not None:
            routed = self.replica.connection(self)
            try:
                yield routed
            finally:
                routed.close()
            return
        with self._lock:
            self._cancel_linger()
            if self._con is None:
                self._con = self._open()
            self._users += 1
            cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    if self.linger_s <= 0:
                        self._release()
                    else:
                        self._timer = threading.Timer(self.linger_s, self._release)
                        self._timer.daemon = True
                        self._timer.start()

    def _cancel_linger(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def let_go(self) -> None:
        """Close the file now unless a cursor is in use (instead of when the linger runs out)."""
        with self._lock:
            self._cancel_linger()
            if self._users == 0:
                self._release()

    def close(self) -> None:
        """Close the file now, in use or not (on PostgreSQL: the pool, the copy and its sync)."""
        with self._lock:
            self._users = 0
            self.let_go()
            if self._replica is not None:
                replica, self._replica = self._replica, None
                _REPLICAS.discard(replica)
                replica.close()


_OPEN: weakref.WeakSet[Database] = weakref.WeakSet()


# Every PostgreSQL pool and copy open in this process, also those of handles already collected (the pool's threads live on).
_REPLICAS: set[Replica] = set()


def close_servers() -> None:
    """Let go of every PostgreSQL pool and copy this process holds (a handle reopens its own on next use): a command is done with them."""
    for database in list(_OPEN):
        if database.url is not None:
            database.close()
    for replica in list(_REPLICAS):
        _REPLICAS.discard(replica)
        replica.close()


@atexit.register
def _let_go_at_exit() -> None:
    """Close idle files before the interpreter shuts down. A linger timer closing one during shutdown runs DuckDB's
    checkpoint on a thread Python is tearing down, and the process aborts ("terminate called without an active
    exception") instead of exiting."""
    for database in list(_OPEN):
        database.let_go()
    close_servers()


def in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether an explicit transaction is open on `con`.

    DuckDB offers no flag, and a second BEGIN aborts the open transaction; but in autocommit mode every
    statement runs in a transaction of its own, while inside one the id stays the same. A PostgreSQL
    connection (`survey.postgres.Routed`) keeps the flag itself.
    """
    known = getattr(con, "in_transaction", None)
    if isinstance(known, bool):
        return known
    first = con.execute("SELECT txid_current()").fetchone()[0]
    return con.execute("SELECT txid_current()").fetchone()[0] == first


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: commit when the block finishes, roll back on any exception."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def audit(con: duckdb.DuckDBPyConnection, actor: str, action: str, detail: str) -> None:
    """Record who exported or deleted what; the audit log is the facilitator's answer to 'who saw this?'."""
    con.execute("INSERT INTO audit_log VALUES (current_timestamp, ?, ?, ?)", [actor, action, detail])


@dataclass(frozen=True)
class AuditEntry:
    logged_at: dt.datetime
    actor: str
    action: str
    detail: str


def recent_audit(con: duckdb.DuckDBPyConnection, limit: int = 50) -> list[AuditEntry]:
    """The newest audit entries first: what the facilitator page lists under 'who exported or deleted what'."""
    rows = con.execute(
        "SELECT logged_at, actor, action, detail FROM audit_log ORDER BY logged_at DESC, rowid DESC LIMIT ?", [max(0, int(limit))]
    ).fetchall()
    return [AuditEntry(*row) for row in rows]
