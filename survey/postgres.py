"""PostgreSQL as the store of record: its migrations, a connection that routes each statement, and the local DuckDB copy.

Every write, and every read inside a transaction that has written, goes to PostgreSQL through a
psycopg 3 connection pool, so one server keeps the guarantees (one transaction per submission and
per import, unique submission keys, one winner for a raced invite) for any number of app processes.
Dashboards read a DuckDB copy in this process instead: the same DuckDB SQL as on a file, at the
same speed. The copy follows PostgreSQL incrementally. Rows of the append-only tables carry the id
of the transaction that wrote them (`txid`); a sync takes a snapshot, reads its `xmin` (every
transaction with a smaller id has finished, so all of its rows are visible) and pulls the rows
whose transaction lies between the last sync's `xmin` and this one's. A transaction that deletes
from an append-only table, or writes any other table, bumps that table's version in `sync_marks`
in the same transaction; a sync reloads every table whose version moved. No DuckDB extension is
used: rows travel as CSV through psycopg's COPY into Arrow, then into DuckDB.
"""

from __future__ import annotations

import io
import re
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import psycopg
import psycopg_pool
import pyarrow as pa
import pyarrow.csv as pa_csv

URL_PREFIXES = ("postgresql://", "postgres://")
# Tables only ever appended to by the app: the copy pulls their new rows by transaction id.
APPEND_TABLES = ("responses", "response_attributes", "answers", "comments", "value_choices", "dimension_ratings", "audit_log")
# Derived per process (`analysis.stored_cells`), never a source: kept in the local copy only.
LOCAL_TABLES = ("wave_cells",)
# Updates to these tables do not move their version: a draft saved on every section would reload every invite
# on every replica. Reads that need them current go to PostgreSQL (`LIVE_READS`); a full sync (backup) reloads them.
QUIET_UPDATES = ("invites",)
# Kept on the server only, never in the copy: saved on every section by every respondent (survey.resume) and
# read only by the respondent who holds the token, so a copy would only ever be reloaded and never read.
SERVER_ONLY = ("resume_drafts",)
# Reads that must see the store of record, not the copy: invite state (one winner per invite) and the
# response already stored under a submission key (a retry answered on another replica).
LIVE_READS = re.compile(r"\binvites\b|\bsubmission_key\b|\bresume_drafts\b", re.IGNORECASE)
# Tables the stored cells (`wave_cells`) are never computed from: reloading one keeps every wave's cells, so
# publishing a result or editing an action does not make each replica read its waves again.
CELLS_IGNORE = ("actions", "published_results", "invites", "imports", "audit_log")
# Statements only DuckDB understands, run on the copy even inside a transaction.
DUCKDB_ONLY = re.compile(r"\bduckdb_\w+\(|\bread_parquet\(|^\s*COPY\s*\(|^\s*CHECKPOINT|^\s*PRAGMA|txid_current\(\)", re.IGNORECASE)
SYNC_EVERY_S = 5.0  # the background sync of each process: dashboards are at most about this (plus one pull) behind
MIGRATION_LOCK = 7_316_001  # pg_advisory_xact_lock key: one process migrates at a time

_WRITE = re.compile(
    r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM|CREATE\s+TABLE|DROP\s+TABLE|ALTER\s+TABLE|TRUNCATE)\s+"?(\w+)"?', re.IGNORECASE
)
_BEGIN = re.compile(r"^\s*(BEGIN|START\s+TRANSACTION)\b", re.IGNORECASE)
_COMMIT = re.compile(r"^\s*(COMMIT|END)\b", re.IGNORECASE)
_ROLLBACK = re.compile(r"^\s*(ROLLBACK|ABORT)\b", re.IGNORECASE)
_RETURNS_ROWS = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_FRAME_INSERT = re.compile(r'^\s*INSERT\s+INTO\s+"?(\w+)"?\s*(\(([^)]*)\))?\s*(SELECT\b.*)$', re.IGNORECASE | re.DOTALL)
_TYPES = ((re.compile(r"\bDOUBLE\b(?!\s+PRECISION)", re.IGNORECASE), "DOUBLE PRECISION"), (re.compile(r"\bBLOB\b", re.IGNORECASE), "BYTEA"))
_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "SMALLINT": pa.int16(),
    "BIGINT": pa.int64(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "DOUBLE": pa.float64(),
}
_SYNC_SQL = """
    CREATE TABLE IF NOT EXISTS sync_marks (name VARCHAR PRIMARY KEY, version BIGINT NOT NULL);
    {columns}
"""


def is_url(value: object) -> bool:
    """Whether a `--db` value names a PostgreSQL server rather than a DuckDB file."""
    return isinstance(value, str) and value.startswith(URL_PREFIXES)


def translate(sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> str:
    """DuckDB's placeholders as psycopg's: `?` → `%s`, `IN ?` (a list) → `= ANY(%s)`, `$name` → `%(name)s`; `%` doubled.

    Quoted strings and identifiers are left alone. The write-path SQL is otherwise written to mean the same in both.
    """
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            end = sql.find(ch, i + 1)
            end = n - 1 if end < 0 else end
            out.append(sql[i : end + 1].replace("%", "%%") if params is not None else sql[i : end + 1])
            i = end + 1
            continue
        if ch == "?":
            head = "".join(out).rstrip()
            if head.upper().endswith(" IN"):
                out[:] = [head[:-2].rstrip() + " = ANY(%s)"]
            else:
                out.append("%s")
        elif ch == "$" and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_"):
            j = i + 1
            while j < n and (sql[j].isalnum() or sql[j] == "_"):
                j += 1
            out.append(f"%({sql[i + 1 : j]})s")
            i = j
            continue
        elif ch == "%" and params is not None:
            out.append("%%")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def pg_ddl(sql: str) -> str:
    """A migration's DuckDB DDL as PostgreSQL DDL: the few types that are spelled differently."""
    for pattern, replacement in _TYPES:
        sql = pattern.sub(replacement, sql)
    return sql


def _statements(sql: str) -> list[str]:
    return [part.strip() for part in sql.split(";") if part.strip()]


def _sync_columns_sql(conn: psycopg.Connection) -> None:
    """The sync's bookkeeping: `txid` on each append-only table (with its index) and the table of versions."""
    if conn.execute("SELECT to_regclass('sync_marks')").fetchone()[0] is None:
        conn.execute("CREATE TABLE sync_marks (name VARCHAR PRIMARY KEY, version BIGINT NOT NULL)")
    for table in APPEND_TABLES:
        exists = conn.execute("SELECT to_regclass(%s)", [table]).fetchone()[0]
        if exists is None:
            continue
        # Only when missing: ALTER TABLE locks the table exclusively even when it changes nothing, and a process
        # starting while another pulls its copy from that table would deadlock with it.
        has = conn.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = %s AND column_name = 'txid'",
            [table],
        ).fetchone()
        if has is None:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id()")
            conn.execute(f"CREATE INDEX IF NOT EXISTS {table}_txid ON {table} (txid)")


def migrate(pool: psycopg_pool.ConnectionPool) -> list[int]:
    """Apply the missing migrations of `survey.store.MIGRATIONS` (the one list both backends share), each in its own transaction.

    Processes starting together take turns on an advisory lock; the second finds the work done.
    """
    from survey.store import MIGRATIONS, MIGRATIONS_TABLE_SQL

    applied: list[int] = []
    with pool.connection() as conn:
        for version, name, sql in MIGRATIONS:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATION_LOCK])
                conn.execute(MIGRATIONS_TABLE_SQL)
                if conn.execute("SELECT 1 FROM schema_migrations WHERE version = %s", [version]).fetchone():
                    continue
                for statement in _statements(pg_ddl(sql)):
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_migrations VALUES (%s, %s, localtimestamp)", [version, name])
                applied.append(version)
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATION_LOCK])
            _sync_columns_sql(conn)
    return applied


def _as_duckdb_error(exc: psycopg.Error) -> duckdb.Error:
    """PostgreSQL's refusal as the DuckDB exception callers already handle: a broken constraint, or a conflict to retry."""
    text = f"PostgreSQL: {exc}"
    if isinstance(exc, psycopg.errors.IntegrityError):
        return duckdb.ConstraintException(text)
    if isinstance(exc, psycopg.errors.SerializationFailure | psycopg.errors.DeadlockDetected | psycopg.errors.LockNotAvailable):
        return duckdb.TransactionException(text)
    if isinstance(exc, psycopg.OperationalError):
        return duckdb.IOException(text)
    return duckdb.Error(text)


class Rows:
    """The result of a statement PostgreSQL ran, read like a DuckDB result."""

    def __init__(self, rows: list[tuple], columns: list[str]) -> None:
        self._rows = rows
        self._at = 0
        self.description = [(name, None, None, None, None, None, None) for name in columns]

    def fetchone(self) -> tuple | None:
        if self._at >= len(self._rows):
            return None
        self._at += 1
        return self._rows[self._at - 1]

    def fetchall(self) -> list[tuple]:
        rest, self._at = self._rows[self._at :], len(self._rows)
        return rest

    def df(self) -> pd.DataFrame:
        return pd.DataFrame(self.fetchall(), columns=[d[0] for d in self.description])

    fetchdf = df


class Mirror:
    """The local DuckDB copy of one PostgreSQL database, and when it last caught up."""

    def __init__(self, pool: psycopg_pool.ConnectionPool, local: duckdb.DuckDBPyConnection) -> None:
        self.pool = pool
        self.local = local
        self.xmin: str | None = None  # the snapshot xmin of the last sync: every row of an older transaction is in the copy
        self.versions: dict[str, int] = {}
        self.synced_at: float | None = None  # time.time() of the last successful sync
        self.last_pull: tuple[str, float, int] = ("none", 0.0, 0)  # kind, seconds, rows
        self._lock = threading.Lock()

    def staleness_s(self) -> float | None:
        """Seconds since the copy last caught up with PostgreSQL (None before the first sync)."""
        return None if self.synced_at is None else max(0.0, time.time() - self.synced_at)

    def _tables(self) -> dict[str, list[tuple[str, str]]]:
        rows = self.local.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = 'main' ORDER BY table_name, column_index"
        ).fetchall()
        tables: dict[str, list[tuple[str, str]]] = {}
        for table, column, dtype in rows:
            if table not in LOCAL_TABLES and table not in SERVER_ONLY:
                tables.setdefault(table, []).append((column, dtype))
        return tables

    def sync(self, *, full: bool = False) -> tuple[str, int]:
        """Catch up with PostgreSQL: new rows of the append-only tables, every table whose version moved; everything when `full`.

        Returns what was done ("incremental" or "full") and how many rows were loaded. One snapshot
        (REPEATABLE READ) for every table, so the copy is always a state PostgreSQL was in.
        """
        with self._lock:
            started = time.perf_counter()
            tables = self._tables()
            full = full or self.xmin is None
            loaded = 0
            with self.pool.connection() as conn:
                conn.autocommit = False
                try:
                    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    xmin = str(conn.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())").fetchone()[0])
                    versions = dict(conn.execute("SELECT name, version FROM sync_marks").fetchall())
                    pulls: list[tuple[str, bool]] = []
                    for table in tables:
                        moved = versions.get(table, 0) != self.versions.get(table, 0)
                        if table in APPEND_TABLES:
                            pulls.append((table, full or moved))
                        elif full or moved:
                            pulls.append((table, True))
                    frames = {table: (whole, self._pull(conn, table, tables[table], whole, xmin)) for table, whole in pulls}
                finally:
                    conn.rollback()
                    conn.autocommit = True
            cur = self.local.cursor()
            try:
                cur.execute("BEGIN TRANSACTION")
                try:
                    for table, (whole, frame) in frames.items():
                        if whole:
                            cur.execute(f'DELETE FROM "{table}"')
                        if frame.num_rows:
                            cur.register("_pulled", frame)
                            cur.execute(f'INSERT INTO "{table}" SELECT * FROM _pulled')
                            cur.unregister("_pulled")
                        loaded += frame.num_rows
                    if any(whole and table not in CELLS_IGNORE for table, (whole, _) in frames.items()):
                        cur.execute("DELETE FROM wave_cells")  # derived from rows that may be gone
                    cur.execute("COMMIT")
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
            finally:
                cur.close()
            kind = "full" if full else "incremental"
            self.xmin, self.versions, self.synced_at = xmin, versions, time.time()
            self.last_pull = (kind, time.perf_counter() - started, loaded)
            return kind, loaded

    def _pull(self, conn: psycopg.Connection, table: str, columns: list[tuple[str, str]], whole: bool, xmin: str) -> pa.Table:
        """One table's rows (all, or those of transactions since the last sync) through COPY as CSV into Arrow."""
        names = ", ".join(f'"{name}"' for name, _ in columns)
        where = ""
        if table in APPEND_TABLES:
            where = f" WHERE txid < '{xmin}'::xid8" + ("" if whole else f" AND txid >= '{self.xmin}'::xid8")
        buffer = io.BytesIO()
        with conn.cursor().copy(f'COPY (SELECT {names} FROM "{table}"{where}) TO STDOUT (FORMAT csv, HEADER false)') as copy:
            for block in copy:
                buffer.write(block)
        schema = {name: _ARROW_TYPES.get(dtype, pa.string()) for name, dtype in columns}
        if buffer.tell() == 0:
            return pa.table({name: pa.array([], type=kind) for name, kind in schema.items()})
        buffer.seek(0)
        return pa_csv.read_csv(
            buffer,
            read_options=pa_csv.ReadOptions(column_names=list(schema), block_size=1 << 24),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types=schema,
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
                null_values=[""],
                true_values=["t"],
                false_values=["f"],
            ),
        )


class Routed:
    """A DuckDB-like connection over PostgreSQL and the local copy: each statement goes where it is answered right.

    - BEGIN opens a transaction on the copy (one snapshot for the reads that follow); the first write
      opens the PostgreSQL transaction, and every statement after it goes there, so what a write
      transaction reads and writes is the store of record's. COMMIT commits both, then syncs the copy.
    - Outside a transaction a write runs on PostgreSQL in a transaction of its own; a read runs on the
      copy, unless it needs the store of record (`LIVE_READS`).
    - What only DuckDB understands (its catalogue functions, Parquet, COPY to a file) and the
      derived `wave_cells` stay on the copy.
    PostgreSQL's errors reach callers as the DuckDB exceptions they already handle.
    """

    def __init__(self, replica: Replica, local: duckdb.DuckDBPyConnection, database: Any = None) -> None:
        self.replica = replica
        self.database = database  # the survey.store.Database this came from: its writer groups the submissions
        self.local = local
        self.pool: psycopg_pool.ConnectionPool = replica.pool
        self.mirror: Mirror = replica.mirror
        self._frames: dict[str, Any] = {}
        self._local_tx = False
        self._pg: psycopg.Connection | None = None
        self._touched: dict[str, str] = {}

    # ------------------------------------------------------------------ routing

    @property
    def in_transaction(self) -> bool:
        return self._local_tx or self._pg is not None

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Any:
        if _BEGIN.match(sql):
            self.local.execute("BEGIN TRANSACTION")
            self._local_tx = True
            return self
        if _COMMIT.match(sql):
            return self._end(commit=True)
        if _ROLLBACK.match(sql):
            return self._end(commit=False)
        write = _WRITE.match(sql)
        table = write.group(2).lower() if write else None
        if DUCKDB_ONLY.search(sql) and not (write and _FRAME_INSERT.match(sql)) or table in LOCAL_TABLES or _local_only(sql):
            return self.local.execute(sql, params) if params is not None else self.local.execute(sql)
        if write is None and self._pg is None and not LIVE_READS.search(sql):
            return self.local.execute(sql, params) if params is not None else self.local.execute(sql)
        if self._pg is None and write is None:
            return self._autocommit(sql, params, None)
        if self._pg is None and not self._local_tx:
            return self._autocommit(sql, params, write)
        self._open_pg()
        return self._run(sql, params, write)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Routed:
        if self._pg is None and not self._local_tx:
            with self._own_transaction():
                return self.executemany(sql, rows)
        self._open_pg()
        assert self._pg is not None
        write = _WRITE.match(sql)
        self._note(write)
        try:
            self._pg.cursor().executemany(translate(sql, rows[0] if rows else []), rows)
        except psycopg.Error as exc:
            raise _as_duckdb_error(exc) from exc
        return self

    def register(self, name: str, frame: Any) -> Routed:
        self._frames[name.lower()] = frame
        self.local.register(name, frame)
        return self

    def unregister(self, name: str) -> Routed:
        self._frames.pop(name.lower(), None)
        self.local.unregister(name)
        return self

    def cursor(self) -> Routed:
        return Routed(self.replica, self.local.cursor(), self.database)

    def close(self) -> None:
        if self._pg is not None:
            self._end(commit=False)
        self.local.close()

    def pg_rows(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Rows:
        """Run a read on PostgreSQL (inside the open transaction, if any): for what must see the store of record."""
        if self._pg is not None:
            return self._run(sql, params, None)
        return self._autocommit(sql, params, None)

    def insert_frame(self, table: str, frame: pd.DataFrame) -> None:
        """Append a frame's rows to a table in the open transaction, by COPY (hundreds of rows cost one round trip)."""
        self._open_pg()
        assert self._pg is not None
        self._touched.setdefault(table, "INSERT")
        cols = ", ".join(f'"{c}"' for c in frame.columns)
        rows = frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None)
        try:
            with self._pg.cursor().copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.Error as exc:
            raise _as_duckdb_error(exc) from exc

    # ------------------------------------------------------------------ transactions

    def _open_pg(self) -> None:
        if self._pg is None:
            self._pg = self.pool.getconn()
            self._pg.execute("BEGIN")
            self._touched = {}

    def _end(self, *, commit: bool) -> Routed:
        pg, self._pg = self._pg, None
        touched, self._touched = self._touched, {}
        try:
            if pg is not None:
                try:
                    if commit:
                        _bump(pg, touched)
                        pg.execute("COMMIT")
                    else:
                        pg.execute("ROLLBACK")
                except psycopg.Error as exc:
                    with suppress(psycopg.Error):
                        pg.execute("ROLLBACK")
                    raise _as_duckdb_error(exc) from exc
                finally:
                    self.pool.putconn(pg)
        finally:
            if self._local_tx:
                self._local_tx = False
                with suppress(duckdb.Error):
                    self.local.execute("COMMIT" if commit else "ROLLBACK")
        if pg is not None and commit and any(_copy_sees(table, verb) for table, verb in touched.items()):
            self.mirror.sync()  # this process reads its own writes at once (not for a draft saved: no copy reads it)
        return self

    @contextmanager
    def _own_transaction(self) -> Iterator[None]:
        self._open_pg()
        try:
            yield
        except BaseException:
            self._end(commit=False)
            raise
        self._end(commit=True)

    def _autocommit(self, sql: str, params: Any, write: re.Match[str] | None) -> Any:
        with self._own_transaction():
            return self._run(sql, params, write)

    def _note(self, write: re.Match[str] | None) -> None:
        if write is not None:
            table, verb = write.group(2).lower(), write.group(1).split()[0].upper()
            if verb != "INSERT" or table not in self._touched:
                self._touched[table] = verb

    def _run(self, sql: str, params: Any, write: re.Match[str] | None) -> Any:
        assert self._pg is not None
        self._note(write)
        framed = _FRAME_INSERT.match(sql) if write is not None else None
        if framed and (DUCKDB_ONLY.search(sql) or any(re.search(rf"\b{re.escape(n)}\b", framed.group(4), re.I) for n in self._frames)):
            return self._insert_from_duckdb(framed, params)
        try:
            cur = self._pg.cursor()
            cur.execute(translate(sql, params), params)
        except psycopg.Error as exc:
            raise _as_duckdb_error(exc) from exc
        if cur.description is not None:
            return Rows(cur.fetchall(), [d.name for d in cur.description])
        return Rows([(cur.rowcount,)], ["Count"]) if write is not None and not _RETURNS_ROWS.search(sql) else Rows([], [])

    def _insert_from_duckdb(self, framed: re.Match[str], params: Any) -> Rows:
        """`INSERT INTO t SELECT … FROM <a registered frame or a Parquet file>`: the SELECT runs in DuckDB, its rows are copied in."""
        table, columns, select = framed.group(1), framed.group(3), framed.group(4)
        result = self.local.execute(select, params) if params is not None else self.local.execute(select)
        frame = result.df()
        if columns:
            frame.columns = [c.strip().strip('"') for c in columns.split(",")]
        else:
            frame.columns = [name for name, _ in self.mirror._tables()[table.lower()]]
        self.insert_frame(table.lower(), frame)
        return Rows([(len(frame),)], ["Count"])


def _local_only(sql: str) -> bool:
    return bool(re.search(r"\bwave_cells\b", sql, re.IGNORECASE))


def _copy_sees(table: str, verb: str) -> bool:
    """Whether a change of this kind to this table is one the local copies must pick up."""
    return table not in LOCAL_TABLES and table not in SERVER_ONLY and not (table in QUIET_UPDATES and verb == "UPDATE")


def _bump(pg: psycopg.Connection, touched: Mapping[str, str]) -> None:
    """Move the version of every table this transaction changed in a way an incremental sync cannot see (in name order: no deadlock)."""
    moved = sorted(
        table for table, verb in touched.items() if _copy_sees(table, verb) and not (table in APPEND_TABLES and verb == "INSERT")
    )
    if moved:
        pg.execute(
            "INSERT INTO sync_marks SELECT unnest(%s::varchar[]), 1 ON CONFLICT (name) DO UPDATE SET version = sync_marks.version + 1",
            [moved],
        )


def push_database(pool: psycopg_pool.ConnectionPool, source: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Replace every table's rows in PostgreSQL with a DuckDB database's, in one transaction: restore, and moving a file's data over.

    Both sides have the schema of the same migrations; each table is emptied and copied, and its version moved, so every replica reloads it.
    """
    tables = Mirror(pool, source)._tables()
    loaded: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="coherence-push-") as folder, pool.connection() as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATION_LOCK])
        for table, columns in tables.items():
            conn.execute(f'DELETE FROM "{table}"')
            names = ", ".join(f'"{name}"' for name, _ in columns)
            # DuckDB writes NULL as an empty field and an empty string as "", which is how PostgreSQL's CSV reads them.
            staged = Path(folder) / f"{table}.csv"
            loaded[table] = int(
                source.execute(f"COPY (SELECT {names} FROM \"{table}\") TO '{staged}' (FORMAT csv, HEADER false)").fetchone()[0]
            )
            with conn.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN (FORMAT csv)') as copy, staged.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    copy.write(block)
        _bump(conn, dict.fromkeys(tables, "DELETE"))
    return loaded


def open_pool(url: str, *, max_size: int = 8) -> psycopg_pool.ConnectionPool:
    """A pool of autocommit connections (transactions are begun explicitly), opened and checked now."""
    pool = psycopg_pool.ConnectionPool(url, min_size=1, max_size=max_size, kwargs={"autocommit": True}, open=True, timeout=30)
    pool.wait(timeout=30)
    return pool


class Replica:
    """One process's side of a PostgreSQL database: the pool, the migrated schema, the local copy and the thread keeping it current."""

    def __init__(self, url: str, *, sync_every_s: float = SYNC_EVERY_S) -> None:
        from survey.store import migrate as migrate_duckdb

        self.pool = open_pool(url)
        try:
            migrate(self.pool)
            self.local = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
            migrate_duckdb(self.local)
            self.mirror = Mirror(self.pool, self.local)
            self.mirror.sync(full=True)
        except BaseException:
            self.pool.close()
            raise
        self.sync_every_s = sync_every_s
        self.sync_error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="coherence-sync", daemon=True)
        self._thread.start()

    def _follow(self) -> None:
        """Pull what other processes wrote, every `sync_every_s`: what bounds how far behind a dashboard can be."""
        while not self._stop.wait(self.sync_every_s):
            try:
                self.mirror.sync()
                self.sync_error = None
            except Exception as exc:  # the server away for a moment: the copy keeps answering, its age shows it
                self.sync_error = str(exc)

    def connection(self, database: Any = None) -> Routed:
        return Routed(self, self.local.cursor(), database)

    def close_follower(self) -> None:
        """Stop the background sync (the copy then changes only on this process's writes and explicit syncs)."""
        self._stop.set()
        self._thread.join(timeout=30)

    def close(self) -> None:
        self.close_follower()
        self.pool.close()
        with suppress(duckdb.Error):
            self.local.close()
