"""Backups: every table as Parquet with a checksummed manifest, and an exact restore in one transaction.

What a backup holds and what it leaves out (the contract the facilitator relies on):

- every table of the database, one Parquet file each, written by DuckDB's COPY from one
  consistent snapshot, plus `manifest.json` (schema version, row count, columns and SHA-256 of
  every file);
- nothing that names a respondent: the database stores no names, e-mail addresses, IP addresses
  or user agents in the first place, submission dates are kept to the day, and an invite keeps
  only whether it was used (no date, no draft), so a list of links joins to no response;
- no invite tokens: the `invites` table only ever holds SHA-256 hashes of the tokens, and the
  backup keeps those hashes, so links already handed out keep working after a restore while
  nobody can rebuild a link from the backup;
- no unfinished answers: the `draft` column of `invites` (a respondent's answers not yet
  submitted) is written empty, and `resume_drafts` (open-link and kiosk drafts) without rows.
  A respondent who resumes after a restore starts that survey anew.

A backup is exact, because it is for restore: it holds every response with its attributes and
answers, which is row-level data. So in the app only a facilitator holding a row-level grant for
the campaign may make one (`survey.grants`), and its audit entry names the grant. On the command
line it is the machine owner's copy of what the database file holds anyway, audited like every backup.

Restore checks the manifest and every checksum before it touches the target, refuses a target
that already holds rows unless forced, and loads every table in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from survey.grants import RowGrant
from survey.store import MIGRATIONS, MIGRATIONS_TABLE_SQL, SCHEMA_VERSION, audit, migrate, transaction

FORMAT = "coherence-scan-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 1024 * 1024
# Columns written as NULL, with the reason the manifest records for each.
REDACTED: dict[str, dict[str, str]] = {
    "invites": {"draft": "unfinished answers on an invite are a respondent's unsubmitted data; backups leave them out"},
}
# Tables written without rows, with the reason: what they hold is unsubmitted and short-lived.
EMPTIED: dict[str, str] = {
    "resume_drafts": "unfinished answers of open-link and kiosk respondents (survey.resume); backups leave them out",
}
_TABLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_TABLES_SQL = (
    "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' "
    "AND NOT temporary ORDER BY table_name"
)
_COLUMNS_SQL = (
    "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main' "
    "AND table_name = ? ORDER BY column_index"
)


class BackupError(ValueError):
    """A backup that cannot be written or restored; the message says what is wrong and what to do."""


@dataclass(frozen=True)
class TableFile:
    table: str
    file: str
    rows: int
    sha256: str
    columns: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Manifest:
    schema_version: int
    created_at: str
    tables: tuple[TableFile, ...]

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


@dataclass(frozen=True)
class RestoreResult:
    schema_version: int
    rows: dict[str, int]
    replaced_rows: int


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [row[0] for row in con.execute(_TABLES_SQL).fetchall()]


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, dtype) for name, dtype in con.execute(_COLUMNS_SQL, [table]).fetchall())


def _schema_version(con: duckdb.DuckDBPyConnection) -> int:
    if "schema_migrations" not in _tables(con):
        return 0
    return int(con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0])


def _create_schema(con: duckdb.DuckDBPyConnection, version: int) -> None:
    """The tables exactly as migrations 1..version made them (their rows, incl. schema_migrations', come from the backup)."""
    con.execute(MIGRATIONS_TABLE_SQL)
    for number, _, sql in MIGRATIONS:
        if number <= version:
            con.execute(sql)


def expected_schema(version: int) -> dict[str, tuple[tuple[str, str], ...]]:
    """Table → columns of a database at `version`, built by running the migrations in memory."""
    scratch = duckdb.connect(":memory:")
    try:
        _create_schema(scratch, version)
        return {table: _columns(scratch, table) for table in _tables(scratch)}
    finally:
        scratch.close()


def backup(con: duckdb.DuckDBPyConnection, out_dir: str | Path, *, actor: str = "facilitator", grant: RowGrant | None = None) -> Manifest:
    """Write every table to `out_dir` (new or empty) as Parquet, then the manifest; record the backup in the audit log.

    The audit entry is written in the same transaction as the snapshot, so the backup carries its own
    entry, and a later deletion can name every backup that still holds the deleted data. `grant`,
    the row-level grant the app asks for before a backup, is named in that entry.
    """
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupError(f"{out} is not an empty folder; back up into a new folder so no older backup is mixed in")
    out.mkdir(parents=True, exist_ok=True)
    granted = f" {grant.audit_detail()}" if grant is not None else ""
    replica = getattr(con, "replica", None)
    if replica is not None:
        # PostgreSQL: the entry is committed first, then the copy catches up with everything (the entry included)
        # in one snapshot, and the files are written from the copy: the same DuckDB COPY as for a file.
        # The entry cannot share the files' transaction there, so a backup that fails after it says so in a second one.
        audit(con, actor, "backup", f"{len(_tables(con))} tables to {out.resolve()}{granted}")
        try:
            replica.mirror.sync(full=True)
            return _write_backup(con.local, out, None)
        except BaseException as exc:
            with suppress(Exception):
                audit(con, actor, "backup failed", f"to {out.resolve()}: nothing kept ({type(exc).__name__})")
            raise
    return _write_backup(con, out, lambda tables: audit(con, actor, "backup", f"{len(tables)} tables to {out.resolve()}{granted}"))


def _write_backup(con: duckdb.DuckDBPyConnection, out: Path, record: Callable[[list[str]], None] | None) -> Manifest:
    written: list[Path] = []
    try:
        with transaction(con):
            tables = _tables(con)
            if record is not None:
                record(tables)
            counts = {t: 0 if t in EMPTIED else int(con.execute(f"SELECT count(*) FROM {_quote(t)}").fetchone()[0]) for t in tables}
            entries = []
            for table in tables:
                columns = _columns(con, table)
                redacted = REDACTED.get(table, {})
                select = ", ".join(
                    f"CAST(NULL AS {dtype}) AS {_quote(name)}" if name in redacted else _quote(name) for name, dtype in columns
                )
                target = out / f"{table}.parquet"
                written.append(target)
                where = " WHERE false" if table in EMPTIED else ""
                con.execute(f"COPY (SELECT {select} FROM {_quote(table)}{where}) TO {_literal(target)} (FORMAT parquet, COMPRESSION zstd)")
                entries.append(TableFile(table, target.name, counts[table], _sha256(target), columns))
            manifest = Manifest(_schema_version(con), dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), tuple(entries))
            manifest_path = out / MANIFEST
            written.append(manifest_path)
            manifest_path.write_text(json.dumps(_manifest_json(manifest), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except BaseException:
        # No audit entry was kept (on PostgreSQL: a "backup failed" entry follows), so no half-written backup may stay
        # behind looking like one.
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return manifest


def _manifest_json(manifest: Manifest) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_version": manifest.schema_version,
        "created_at": manifest.created_at,
        "duckdb_version": duckdb.__version__,
        "contents": (
            "every table, exactly (answer rows included: row-level data); no names, e-mail, IP addresses or user agents "
            "exist in the database; invite tokens only as SHA-256 hashes, invites keep no date of use; unfinished drafts left out"
        ),
        "redacted": {f"{table}.{column}": why for table, columns in REDACTED.items() for column, why in columns.items()},
        "emptied": dict(EMPTIED),
        "tables": [
            {"table": t.table, "file": t.file, "rows": t.rows, "sha256": t.sha256, "columns": dict(t.columns)} for t in manifest.tables
        ],
    }


def read_manifest(backup_dir: str | Path) -> Manifest:
    """Load and check a backup's manifest and every file's checksum; raise BackupError naming every problem.

    Nothing is trusted that the manifest says: table names must be tables the schema version has,
    files must sit in the backup folder under the table's own name, columns must match the schema.
    """
    folder = Path(backup_dir)
    path = folder / MANIFEST
    raw, version = _manifest_head(folder, path)
    expected = expected_schema(version)
    problems: list[str] = []
    tables: list[TableFile] = []
    raw_tables = raw.get("tables")
    if not isinstance(raw_tables, list):
        raise BackupError(f"{path}: 'tables' must be a list")
    seen: set[str] = set()
    for i, entry in enumerate(raw_tables):
        found = _table_entry(folder, f"tables[{i}]", entry, version, expected, seen)
        if isinstance(found, str):
            problems.append(found)
        else:
            tables.append(found)
    for table in sorted(set(expected) - seen):
        problems.append(f"table '{table}': missing from the backup")
    if problems:
        raise BackupError(f"{folder} cannot be restored:\n" + "\n".join(f"  - {p}" for p in problems))
    return Manifest(version, str(raw.get("created_at", "")), tuple(tables))


def _manifest_head(folder: Path, path: Path) -> tuple[dict[str, Any], int]:
    """The manifest's JSON and schema version, once it is known to be a backup this version can read; else BackupError."""
    if not path.is_file():
        raise BackupError(f"{folder} holds no {MANIFEST}: not a backup, or a backup that did not finish")
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise BackupError(f"{path} is larger than {MAX_MANIFEST_BYTES // 1024} KB: not a manifest this tool wrote")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(f"{path} is not readable JSON: {exc}") from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Coherence Scan backup manifest")
    if raw.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{path}: backup format {raw.get('format_version')!r} is not supported (this version reads {FORMAT_VERSION})")
    version = raw.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise BackupError(f"{path}: schema_version must be a positive whole number, got {version!r}")
    if version > SCHEMA_VERSION:
        raise BackupError(
            f"{path}: made by a newer Coherence Scan (schema {version}; this one knows up to {SCHEMA_VERSION}); upgrade first"
        )
    return raw, version


def _table_entry(folder: Path, where: str, entry: object, version: int, expected: Mapping[str, tuple], seen: set[str]) -> TableFile | str:
    """One entry of the manifest's table list as a checked TableFile, or the problem with it; a table read is added to `seen`.

    Each check names the field, so one damaged entry is reported alongside every other instead of stopping at the first.
    """
    if not isinstance(entry, dict):
        return f"{where}: must be an object"
    table, file, rows, sha = entry.get("table"), entry.get("file"), entry.get("rows"), entry.get("sha256")
    if not isinstance(table, str) or not _TABLE_NAME.match(table) or table not in expected:
        return f"{where}.table: {table!r} is not a table of schema version {version}"
    if table in seen:
        return f"{where}.table: '{table}' listed twice"
    seen.add(table)
    if file != f"{table}.parquet":
        return f"{where}.file: must be '{table}.parquet', got {file!r}"
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
        return f"{where}.rows: must be a whole number >= 0, got {rows!r}"
    if not isinstance(sha, str) or not _SHA256.match(sha):
        return f"{where}.sha256: not a SHA-256 hex digest"
    columns = entry.get("columns")
    listed = tuple(columns.items()) if isinstance(columns, dict) else None
    if listed != expected[table]:
        return f"{where}.columns: do not match table '{table}' of schema version {version}"
    data = folder / file
    if not data.is_file():
        return f"{file}: missing"
    actual = _sha256(data)
    if actual != sha:
        return f"{file}: checksum {actual[:12]}… does not match the manifest's {sha[:12]}… (changed or damaged)"
    return TableFile(table, file, rows, sha, expected[table])


def restore(con: duckdb.DuckDBPyConnection, backup_dir: str | Path, *, force: bool = False, actor: str = "facilitator") -> RestoreResult:
    """Load a checked backup into this database exactly, in one transaction: every table row for row.

    An empty or new database is the normal target. One that holds rows is refused unless `force`,
    which replaces everything (the replacement is then the one thing recorded in the restored audit
    log). Newer migrations run afterwards, so an older backup lands in the current schema.
    """
    folder = Path(backup_dir)
    manifest = read_manifest(folder)
    replica = getattr(con, "replica", None)
    if replica is not None:
        return _restore_into_server(con, replica, folder, force=force, actor=actor)
    with transaction(con):
        existing = _tables(con)
        held = {t: int(con.execute(f"SELECT count(*) FROM {_quote(t)}").fetchone()[0]) for t in existing if t != "schema_migrations"}
        replaced = sum(held.values())
        if replaced and not force:
            busy = ", ".join(f"{t} ({n})" for t, n in held.items() if n)
            raise BackupError(
                f"the target database is not empty ({busy}); restore into a new file with --db, or use --force to replace its contents"
            )
        for table in existing:
            con.execute(f"DROP TABLE {_quote(table)}")
        _create_schema(con, manifest.schema_version)
        loaded: dict[str, int] = {}
        for entry in manifest.tables:
            cols = ", ".join(_quote(name) for name, _ in entry.columns)
            source = _literal(folder / entry.file)
            con.execute(f"INSERT INTO {_quote(entry.table)} ({cols}) SELECT {cols} FROM read_parquet({source})")
            count = int(con.execute(f"SELECT count(*) FROM {_quote(entry.table)}").fetchone()[0])
            if count != entry.rows:
                raise BackupError(f"{entry.file}: holds {count} rows, the manifest says {entry.rows}; nothing was restored")
            loaded[entry.table] = count
        if replaced:
            audit(con, actor, "restore", f"replaced {replaced} rows with the backup of {manifest.created_at} from {folder.resolve()}")
    migrate(con)
    return RestoreResult(manifest.schema_version, loaded, replaced)


def _restore_into_server(con: Any, replica: Any, folder: Path, *, force: bool, actor: str) -> RestoreResult:
    """PostgreSQL: the backup is restored (and checked) into an empty DuckDB database in memory exactly as into a file,
    then every table is copied to the server in one transaction; every replica then reloads its copy."""
    from survey.postgres import push_database

    held = {
        t: int(n)
        for t, n in ((t, con.pg_rows(f"SELECT count(*) FROM {_quote(t)}").fetchone()[0]) for t in _tables(con))
        if t != "schema_migrations" and t != "wave_cells"
    }
    replaced = sum(held.values())
    if replaced and not force:
        busy = ", ".join(f"{t} ({n})" for t, n in held.items() if n)
        raise BackupError(f"the target database is not empty ({busy}); restore into a new database, or use --force to replace its contents")
    scratch = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        result = restore(scratch, folder, actor=actor)
        if replaced:
            audit(
                scratch,
                actor,
                "restore",
                f"replaced {replaced} rows with the backup of {read_manifest(folder).created_at} from {folder.resolve()}",
            )
        push_database(replica.pool, scratch)
    finally:
        scratch.close()
    replica.mirror.sync(full=True)
    return RestoreResult(result.schema_version, result.rows, replaced)
