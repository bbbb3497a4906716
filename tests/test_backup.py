"""Backups round-trip exactly, carry no tokens or drafts, and a restore checks everything before it writes anything."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

import survey.backup as backup_module
import survey.store as store
from survey.__main__ import main
from survey.actions import action_from, add_action
from survey.backup import MANIFEST, BackupError, backup, read_manifest, restore
from survey.campaigns import create_campaign
from survey.demo import load_demo
from survey.grants import machine_grant
from survey.importer import run_import
from survey.instrument import Instrument
from survey.invites import create_invites, redeem, save_draft
from survey.publication import publish
from survey.responses import Submission
from survey.store import Database, recent_audit
from tests.conftest import run_main

ROOT = Path(__file__).resolve().parent.parent
GOOD_CSV = ROOT / "tests" / "data" / "imports" / "good.csv"
DRAFT = {"answers": {"STR1": 3}, "comments": {"strategy": "half-way thoughts"}}


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY 1").fetchall()]


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return sorted(con.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)  # invites are read live: no DuckDB-only ORDER BY ALL


@pytest.fixture
def source(db: Database, instrument: Instrument) -> tuple[duckdb.DuckDBPyConnection, list[str]]:
    """Every table in use: two demo waves, a second campaign, an import, invites (open with a draft, used, unused)."""
    with db.cursor() as con:
        load_demo(con, 40, seed=3, waves=2)
        publish(con, "demo", 2, ["strategy", "it_ot"], "level", actor="tester")  # what "you said, we did" shows
        create_campaign(con, "Second site", instrument, campaign_id="second", threshold=4, comment_threshold=12)
        run_import(con, "second", GOOD_CSV.read_bytes(), GOOD_CSV.name, actor="tester")
        tokens = create_invites(con, "second", 3)
        save_draft(con, tokens[0], DRAFT)
        sub = Submission(
            "second",
            1,
            "nl",
            {"level": "supervisor", "function": "quality", "site": "gent"},
            {"STR1": 2, "OPS3": 5},
            {"operations": "<script>alert(1)</script> ünïcødé"},
            ["unplanned_downtime"],
            submission_key="invite-key",
        )
        redeem(con, tokens[1], sub)
        yield con, tokens


def test_round_trip_is_exact_for_every_table(source: tuple, tmp_path: Path) -> None:
    con, _ = source
    assert _rows(con, "dimension_ratings"), "the demo's targets and predictions are part of the round trip"
    manifest = backup(con, tmp_path / "bk", actor="tester")
    target = Database(tmp_path / "restored.duckdb", linger_s=0)
    with target.cursor() as new:
        result = restore(new, tmp_path / "bk")
        assert _tables(new) == _tables(con)
        for table in _tables(con):
            original = _rows(con, table)
            if table == "invites":
                # Drafts are left out on purpose (see survey/backup.py); every other column is kept.
                assert any(row[5] is not None for row in original)
                original = sorted((row[:5] + (None,) for row in original), key=repr)
                assert sorted(_rows(new, table), key=repr) == original
            else:
                assert _rows(new, table) == original, table
            assert result.rows[table] == len(original)
        assert result.replaced_rows == 0
        assert manifest.rows == sum(result.rows.values())
        assert new.execute("SELECT count(*) FROM responses").fetchone()[0] == 80 + 10 + 1
    target.close()


def test_round_trip_into_postgresql_is_exact_for_every_table(source: tuple, tmp_path: Path, pg_server) -> None:
    """Moving to a server (README "Scale out"): a file's or a server's backup restores into PostgreSQL row for row,
    the tables of the later issues (actions, publications, targets and predictions) included."""
    con, _ = source
    add_action(con, "demo", action_from({"kind": "dimension", "id": "strategy"}, owner="COO office"), actor="tester")
    backup(con, tmp_path / "bk", actor="tester")
    target = Database(pg_server.create(), linger_s=0)
    try:
        with target.cursor() as new:
            result = restore(new, tmp_path / "bk")
            for table in ("actions", "published_results", "dimension_ratings", "answers", "audit_log"):
                assert result.rows[table] > 0, table
            for table in set(_tables(con)) & set(_tables(new)) - {"invites", "resume_drafts", "wave_cells"}:
                assert _rows(new, table) == _rows(con, table), table
            assert [row[:5] for row in _rows(new, "invites")] == [row[:5] for row in _rows(con, "invites")]
    finally:
        target.close()


def test_backup_is_recorded_and_carries_its_own_entry(source: tuple, tmp_path: Path) -> None:
    con, _ = source
    backup(con, tmp_path / "bk", actor="alice")
    newest = recent_audit(con, 1)[0]
    assert (newest.actor, newest.action) == ("alice", "backup")
    assert str((tmp_path / "bk").resolve()) in newest.detail
    inside = duckdb.sql(f"SELECT actor, action FROM read_parquet('{tmp_path / 'bk' / 'audit_log.parquet'}')").fetchall()
    assert ("alice", "backup") in inside


def test_backup_holds_no_token_and_no_draft(source: tuple, tmp_path: Path) -> None:
    con, tokens = source
    backup(con, tmp_path / "bk")
    blob = b"".join(p.read_bytes() for p in sorted((tmp_path / "bk").iterdir()))
    for token in tokens:
        assert token.encode() not in blob
    assert b"half-way thoughts" not in blob
    invites = duckdb.sql(f"SELECT token_hash, draft FROM read_parquet('{tmp_path / 'bk' / 'invites.parquet'}')").fetchall()
    assert len(invites) == 3
    assert all(len(h) == 64 and d is None for h, d in invites)
    columns = {c for (c,) in duckdb.sql(f"SELECT DISTINCT name FROM parquet_schema('{tmp_path / 'bk'}/*.parquet')").fetchall()}
    assert not {c for c in columns if any(word in c.lower() for word in ("ip", "agent", "email", "name_of", "token"))} - {"token_hash"}
    manifest = json.loads((tmp_path / "bk" / MANIFEST).read_text())
    assert "invites.draft" in manifest["redacted"]


def test_backup_holds_no_date_an_invite_was_used_and_names_its_row_level_grant(source: tuple, tmp_path: Path) -> None:
    """A backup is exact (it is for restore), so it holds answer rows: the app asks for a row-level grant, named in the audit entry.
    What it must not hold is a way to join a link to an answer: the invites carry no date of use (issue 12)."""
    con, _ = source
    grant = machine_grant(con, "second", "alice", "monthly copy for the archive")
    backup(con, tmp_path / "bk", actor="alice", grant=grant)
    invites = tmp_path / "bk" / "invites.parquet"
    schema = duckdb.sql(f"SELECT name, type, converted_type FROM parquet_schema('{invites}') WHERE name <> 'duckdb_schema'").fetchall()
    assert "used_on" not in {name for name, _, _ in schema} and ("used", "BOOLEAN", None) in schema
    assert [name for name, _, converted in schema if converted in ("DATE", "TIMESTAMP_MICROS")] == ["created_on"]  # the batch's day only
    assert duckdb.sql(f"SELECT count_if(used) FROM read_parquet('{invites}')").fetchall() == [(1,)]
    newest = recent_audit(con, 1)[0]
    assert newest.action == "backup" and "grant=alice via command line reason=monthly copy for the archive" in newest.detail


def test_restored_invites_still_work(source: tuple, tmp_path: Path) -> None:
    """Links already handed out keep working after a restore: the hashes are kept."""
    from survey.invites import VALID, invite_status

    con, tokens = source
    backup(con, tmp_path / "bk")
    with Database(tmp_path / "r.duckdb", linger_s=0).cursor() as new:
        restore(new, tmp_path / "bk")
        assert invite_status(new, tokens[0]) == VALID
        assert invite_status(new, tokens[1]) == "used"


def test_backup_refuses_a_folder_that_is_not_empty(source: tuple, tmp_path: Path) -> None:
    con, _ = source
    (tmp_path / "bk").mkdir()
    (tmp_path / "bk" / "old.txt").write_text("x")
    before = con.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    with pytest.raises(BackupError, match="not an empty folder"):
        backup(con, tmp_path / "bk")
    assert con.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before


# On PostgreSQL the entry is committed before the files are written (survey.backup), so a failed backup there
# leaves its entry behind: left for a decision (delete it, or record the failure), and this test on the file only.
@pytest.mark.file_only
def test_a_failed_backup_leaves_no_files_and_no_audit_entry(source: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    con, _ = source
    before = con.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    real = backup_module._sha256
    calls = {"n": 0}

    def failing(path: Path) -> str:
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError("disk full")
        return real(path)

    monkeypatch.setattr(backup_module, "_sha256", failing)
    with pytest.raises(OSError, match="disk full"):
        backup(con, tmp_path / "bk")
    assert list((tmp_path / "bk").iterdir()) == []
    assert con.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before


def _restored_count(path: Path) -> int:
    with Database(path, linger_s=0).cursor() as con:
        return con.execute("SELECT count(*) FROM responses").fetchone()[0]


def test_non_empty_target_is_refused_unless_forced(source: tuple, tmp_path: Path, instrument: Instrument) -> None:
    con, _ = source
    backup(con, tmp_path / "bk")
    other = Database(tmp_path / "other.duckdb", linger_s=0)
    with other.cursor() as target:
        load_demo(target, 10, seed=1, campaign_id="other")
        with pytest.raises(BackupError, match="not empty") as err:
            restore(target, tmp_path / "bk")
        assert "--force" in str(err.value)
        assert target.execute("SELECT count(*) FROM responses").fetchone()[0] == 10
        result = restore(target, tmp_path / "bk", force=True, actor="bob")
        assert result.replaced_rows > 10
        assert target.execute("SELECT count(*) FROM campaigns WHERE campaign_id = 'other'").fetchone()[0] == 0
        assert target.execute("SELECT count(*) FROM responses").fetchone()[0] == 91
        newest = recent_audit(target, 1)[0]
        assert (newest.actor, newest.action) == ("bob", "restore")
    other.close()


def _tamper(folder: Path, change) -> None:
    path = folder / MANIFEST
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))


def _entry(manifest: dict, table: str) -> dict:
    return next(t for t in manifest["tables"] if t["table"] == table)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda f: (f / "answers.parquet").write_bytes((f / "answers.parquet").read_bytes()[:-9] + b"corrupted"), "checksum"),
        (lambda f: (f / "waves.parquet").unlink(), "waves.parquet: missing"),
        (lambda f: (f / MANIFEST).unlink(), "holds no manifest.json"),
        (lambda f: (f / MANIFEST).write_text("{not json"), "not readable JSON"),
        (lambda f: _tamper(f, lambda m: m.update(format="something-else")), "not a Coherence Scan backup"),
        (lambda f: _tamper(f, lambda m: m.update(schema_version=store.SCHEMA_VERSION + 1)), "newer Coherence Scan"),
        (lambda f: _tamper(f, lambda m: m.update(schema_version="1")), "positive whole number"),
        (lambda f: _tamper(f, lambda m: m["tables"].pop()), "missing from the backup"),
        (lambda f: _tamper(f, lambda m: _entry(m, "answers").update(file="../answers.parquet")), "must be 'answers.parquet'"),
        (lambda f: _tamper(f, lambda m: _entry(m, "answers").update(table="pg_shadow")), "is not a table of schema version"),
        (lambda f: _tamper(f, lambda m: _entry(m, "answers").update(rows=-1)), "whole number >= 0"),
        (lambda f: _tamper(f, lambda m: _entry(m, "answers")["columns"].update(extra="VARCHAR")), "columns: do not match"),
        (lambda f: _tamper(f, lambda m: m["tables"].append(dict(_entry(m, "waves")))), "listed twice"),
        # A manifest edited to a plausible count passes the checksums; the count check in the transaction catches it.
        (lambda f: _tamper(f, lambda m: _entry(m, "answers").update(rows=_entry(m, "answers")["rows"] + 1)), "the manifest says"),
    ],
)
def test_damaged_backup_is_refused_and_the_target_stays_untouched(source: tuple, tmp_path: Path, damage, message: str) -> None:
    con, _ = source
    backup(con, tmp_path / "bk")
    damage(tmp_path / "bk")
    target = Database(tmp_path / "t.duckdb", linger_s=0)
    with target.cursor() as new:
        with pytest.raises(BackupError, match=message):
            restore(new, tmp_path / "bk")
        for table in _tables(new):
            if table != "schema_migrations":
                assert new.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == 0, table
    target.close()


def test_an_older_backup_is_migrated_forward_after_the_restore(source: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    con, _ = source
    backup(con, tmp_path / "bk")
    newer = (*store.MIGRATIONS, (store.SCHEMA_VERSION + 1, "add a column", "ALTER TABLE campaigns ADD COLUMN sponsor VARCHAR"))
    monkeypatch.setattr(store, "MIGRATIONS", newer)
    monkeypatch.setattr(store, "SCHEMA_VERSION", store.SCHEMA_VERSION + 1)
    monkeypatch.setattr(backup_module, "MIGRATIONS", newer)
    monkeypatch.setattr(backup_module, "SCHEMA_VERSION", store.SCHEMA_VERSION)
    target = Database(tmp_path / "new.duckdb", linger_s=0)
    with target.cursor() as new:
        restore(new, tmp_path / "bk")
        versions = [v for (v,) in new.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()]
        assert versions == [m[0] for m in newer]
        assert new.execute("SELECT count(*), count(sponsor) FROM campaigns").fetchone() == (2, 0)
    target.close()


def test_command_line_round_trip(source: tuple, db_path: Path, db: Database, tmp_path: Path) -> None:
    con, _ = source
    expected = {t: _rows(con, t) for t in _tables(con) if t not in ("invites", "audit_log")}
    db.close()
    out = tmp_path / "cli-backup"
    done = run_main(main, "backup", "--out", out, "--db", db_path, "--actor", "cli-test")
    assert done.returncode == 0, done.stderr
    assert "tables" in done.stdout
    target = tmp_path / "cli-restored.duckdb"
    done = run_main(main, "restore", out, "--db", target)
    assert done.returncode == 0, done.stderr
    again = run_main(main, "restore", out, "--db", target)
    assert again.returncode == 1 and "not empty" in again.stderr and "Traceback" not in again.stderr
    with Database(target, linger_s=0).cursor() as new:
        for table, rows in expected.items():
            assert _rows(new, table) == rows, table
        assert new.execute("SELECT actor FROM audit_log WHERE action = 'backup'").fetchall() == [("cli-test",)]


def test_read_manifest_reports_every_problem_at_once(source: tuple, tmp_path: Path) -> None:
    con, _ = source
    backup(con, tmp_path / "bk")
    (tmp_path / "bk" / "waves.parquet").unlink()
    (tmp_path / "bk" / "comments.parquet").write_bytes(b"PAR1")
    with pytest.raises(BackupError) as err:
        read_manifest(tmp_path / "bk")
    assert "waves.parquet: missing" in str(err.value) and "comments.parquet: checksum" in str(err.value)
