"""PostgreSQL as the store of record: the routing, the local copy's sync, processes writing at once, kill -9, and results equal to a file's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import psycopg
import pytest

from analysis.scope import Scope
from analysis.summary import build_summary
from harness.pg_server import Server
from survey.backup import backup, restore
from survey.campaigns import create_campaign
from survey.importer import run_import
from survey.invites import create_invites
from survey.postgres import translate
from survey.publication import publish
from survey.responses import response_count, sample_submission, submit
from survey.store import MIGRATIONS, Database, transaction
from tests.conftest import MakeDemo, open_cursor

ROOT = Path(__file__).resolve().parent.parent
IMPORTS = Path(__file__).resolve().parent / "data" / "imports"


@pytest.mark.parametrize(
    ("sql", "params", "expected"),
    [
        ("SELECT a FROM t WHERE b = ? AND c = ?", [1, 2], "SELECT a FROM t WHERE b = %s AND c = %s"),
        ("SELECT a FROM t WHERE k IN ?", [[1]], "SELECT a FROM t WHERE k = ANY(%s)"),
        (
            "DELETE FROM w WHERE c = $campaign AND v = $wave",
            {"campaign": 1, "wave": 2},
            "DELETE FROM w WHERE c = %(campaign)s AND v = %(wave)s",
        ),
        ("SELECT '?', '$x', 'a%' FROM t WHERE b = ?", [1], "SELECT '?', '$x', 'a%%' FROM t WHERE b = %s"),
        ("SELECT 1 % 2", None, "SELECT 1 % 2"),
    ],
)
def test_placeholders_are_translated_outside_quotes(sql: str, params: object, expected: str) -> None:
    assert translate(sql, params) == expected


def test_backend_selection(tmp_path: Path, pg_server: Server) -> None:
    url = pg_server.create()
    file_db = Database(tmp_path / "x.duckdb", linger_s=0)
    assert file_db.url is None and file_db.staleness_s() == 0.0
    server_db = Database(url.replace("postgresql://postgres@", "postgresql://postgres:secret@"), linger_s=0)
    assert server_db.url is not None and "secret" not in str(server_db.path)


def test_migrations_from_one_list_give_both_backends_the_same_tables(pg_server: Server, tmp_path: Path) -> None:
    url = pg_server.create()
    db = Database(url, linger_s=0)
    with db.cursor() as con:
        local = dict(
            con.execute(
                "SELECT table_name, count(*) FROM duckdb_columns() WHERE schema_name = 'main' AND NOT internal GROUP BY 1"
            ).fetchall()
        )
        versions = con.pg_rows("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
    with psycopg.connect(url) as conn:
        served = dict(
            conn.execute(
                "SELECT table_name, count(*) FILTER (WHERE column_name <> 'txid') FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name <> 'sync_marks' GROUP BY 1"
            ).fetchall()
        )
    db.close()
    with open_cursor(tmp_path / "f.duckdb") as con:
        on_file = dict(
            con.execute(
                "SELECT table_name, count(*) FROM duckdb_columns() WHERE schema_name = 'main' AND NOT internal GROUP BY 1"
            ).fetchall()
        )
    assert served == local == on_file
    assert [v for (v,) in versions] == sorted(v for v, _, _ in MIGRATIONS)


def test_a_second_replica_follows_appends_incrementally_and_deletions_by_a_full_pull(pg_server: Server, instrument) -> None:
    url = pg_server.create()
    one, two = Database(url, linger_s=0), Database(url, linger_s=0)
    # responses, answers, attributes, comments, value choices and the 10 dimension ratings (5 targets, 5 predictions) of one
    # sample submission
    per_response = 1 + 30 + 3 + 1 + 1 + 10
    try:
        with one.cursor() as con:
            create_campaign(con, "C", instrument, campaign_id="c")
        mirror = two.replica.mirror  # opened now: a full pull
        with one.cursor() as con:
            for _ in range(3):
                submit(con, instrument, sample_submission(instrument, "c"), writer=one.writer)
            assert response_count(con, "c") == 3  # this process reads its own writes at once
        with two.cursor() as con:
            assert response_count(con, "c") == 0  # the other replica has not synced yet
        assert mirror.sync() == ("incremental", 3 * per_response), "only the new rows travel"
        with two.cursor() as con:
            assert response_count(con, "c") == 3
        with one.cursor() as con:
            con.execute("DELETE FROM comments")
        mirror.sync()
        with two.cursor() as con:
            assert con.execute("SELECT count(*) FROM comments").fetchone()[0] == 0
            assert con.execute("SELECT count(*) FROM answers").fetchone()[0] == 90
        assert two.staleness_s() is not None and two.staleness_s() < 60
    finally:
        one.close()
        two.close()


def test_a_second_replica_follows_actions_publications_and_ratings_and_keeps_its_cells(
    pg_server: Server, make_demo: MakeDemo, tmp_path: Path
) -> None:
    """The tables of issues 14 and 15 in the sync: actions and publications reload whole on a change, dimension ratings
    travel in the copy, and neither an action nor a publication throws away the waves' stored cells of a replica."""
    from analysis.scoring import respondent_matrix
    from survey.actions import action_from, add_action, list_actions

    with open_cursor(make_demo(60, seed=2, waves=1, into=tmp_path / "small.duckdb")) as con:
        backup(con, tmp_path / "bk")
    url = pg_server.create()
    one, two = Database(url, linger_s=0), Database(url, linger_s=0)
    try:
        with one.cursor() as con:
            restore(con, tmp_path / "bk")
        mirror = two.replica.mirror
        with two.cursor() as con:
            respondent_matrix(con, "demo", 1)  # the dashboard was looked at: the wave's cells are stored in the copy
            assert con.execute("SELECT count(*) FROM wave_cells").fetchone()[0] == 1
            ratings = con.execute("SELECT count(*) FROM dimension_ratings").fetchone()[0]
            assert ratings > 0
        with one.cursor() as con:
            add_action(con, "demo", action_from({"kind": "dimension", "id": "strategy"}, owner="COO office"), actor="tester")
            publish(con, "demo", 1, ["strategy"], "level", actor="tester")
        mirror.sync()
        with two.cursor() as con:
            assert len(list_actions(con, "demo")) == 1
            assert con.execute("SELECT count(*) FROM published_results").fetchone()[0] == 1
            assert con.execute("SELECT count(*) FROM wave_cells").fetchone()[0] == 1, "an action or a publication keeps the cells"
    finally:
        one.close()
        two.close()


def test_results_identical_to_the_last_digit_after_moving_a_file_into_postgresql(
    make_demo: MakeDemo, pg_server: Server, tmp_path: Path
) -> None:
    """The README's way over: back up the file, restore into PostgreSQL; the summary is the same document, digit for digit.

    The three-wave demo closes the loop (actions after wave 1, a pulse, a follow-up), so every key of the summary
    is compared, the insights and the actions with their closure included, not only the heatmap and the gaps.
    """
    source = make_demo(300, seed=5, waves=3, into=tmp_path / "source.duckdb")
    waves = (1, 2, 3)
    with open_cursor(source) as con:
        publish(con, "demo", 3, ["strategy", "it_ot"], "level", actor="tester")
        backup(con, tmp_path / "backup")
        on_file = {w: build_summary(con, Scope("demo", w)) for w in waves}
    for key in ("blind_spots", "ambition", "priorities", "coherence", "splits", "findings", "actions", "closure"):
        assert key in on_file[3], key
    assert on_file[3]["actions"] and on_file[3]["closure"], "the three-wave demo has actions and their closure"
    url = pg_server.create()
    db = Database(url, linger_s=0)
    try:
        with db.cursor() as con:
            result = restore(con, tmp_path / "backup")
            assert result.rows["published_results"] == 2 and result.rows["actions"] == 2
            on_server = {w: build_summary(con, Scope("demo", w)) for w in waves}
            backup(con, tmp_path / "again")
    finally:
        db.close()
    assert json.dumps(on_server, sort_keys=True) == json.dumps(on_file, sort_keys=True)
    # ... and back: the server's backup restores into a new file exactly
    with open_cursor(tmp_path / "back.duckdb") as con:
        restore(con, tmp_path / "again")
        assert json.dumps({w: build_summary(con, Scope("demo", w)) for w in waves}, sort_keys=True) == json.dumps(on_file, sort_keys=True)


_WORKER = textwrap.dedent(
    """
    import sys
    from dataclasses import replace
    from survey.importer import run_import
    from survey.instrument import default_instrument
    from survey.invites import InviteUsed, redeem
    from survey.responses import sample_submission, submit
    from survey.store import MIGRATIONS, Database, transaction
    url, name, submissions, tokens, csv = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split(","), sys.argv[5]
    instrument = default_instrument()
    db = Database(url, linger_s=0)
    won = 0
    with db.cursor() as con:
        base = sample_submission(instrument, "c")
        for n in range(submissions):
            submit(con, instrument, replace(base, submission_key=f"{name}-{n}"), writer=db.writer)
            if n % 10 == 0:  # a retry of an acknowledged submission stores nothing new
                submit(con, instrument, replace(base, submission_key=f"{name}-{n}"), writer=db.writer)
        for token in tokens:
            try:
                redeem(con, token, replace(base, submission_key=f"{name}-invite-{token[:8]}"), writer=db.writer)
                won += 1
            except InviteUsed:
                pass
        data = open(csv, "rb").read()
        run_import(con, "c", data, f"{name}.csv", force=True)
    db.close()
    print(won)
    """
)


@pytest.mark.slow
def test_four_processes_submitting_and_importing_at_once(pg_server: Server, instrument, tmp_path: Path) -> None:
    url = pg_server.create()
    db = Database(url, linger_s=0)
    with db.cursor() as con:
        create_campaign(con, "C", instrument, campaign_id="c")
        tokens = create_invites(con, "c", 20)
    db.close()
    csv = IMPORTS / "good.csv"
    rows = len(csv.read_text(encoding="utf-8").strip().splitlines()) - 1
    script = tmp_path / "worker.py"
    script.write_text(_WORKER)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [
        subprocess.Popen(
            [sys.executable, str(script), url, f"p{n}", "60", ",".join(tokens), str(csv)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    outputs = [w.communicate(timeout=600) for w in workers]
    assert all(w.returncode == 0 for w in workers), [o[1][-2000:] for o in outputs]
    wins = [int(o[0].strip().splitlines()[-1]) for o in outputs]
    assert sum(wins) == 20, wins  # one winner per invite
    with psycopg.connect(url) as conn:
        counts = dict(conn.execute("SELECT source, count(*) FROM responses GROUP BY 1").fetchall())
        assert counts == {"web": 4 * 60, "invite": 20, "import": 4 * rows}
        assert conn.execute("SELECT count(DISTINCT submission_key) FROM responses WHERE submission_key IS NOT NULL").fetchone()[0] == 260
        assert conn.execute("SELECT count(*) FROM invites WHERE used").fetchone()[0] == 20
        assert conn.execute("SELECT count(*), sum(rows) FROM imports").fetchone() == (4, 4 * rows)
        assert conn.execute("SELECT count(*) FROM answers").fetchone()[0] == (240 + 20 + 4 * rows) * 30  # nothing partial
        orphans = conn.execute(
            "SELECT count(*) FROM answers a WHERE NOT EXISTS (SELECT 1 FROM responses r WHERE r.response_id = a.response_id)"
        ).fetchone()[0]
        assert orphans == 0


@pytest.mark.slow
def test_kill_9_of_a_writer_mid_import_leaves_all_or_nothing(pg_server: Server, tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_files", IMPORTS / "make_files.py")
    assert spec and spec.loader
    make_files = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_files)
    rows = 8_000
    big = tmp_path / "big.csv"
    big.write_bytes(make_files._csv([make_files.good_rows()[i % 10] for i in range(rows)]).encode("utf-8"))
    outcomes = []
    for delay in (0.5, 1.5, 2.5, 3.5, 5.0, 8.0):
        url = pg_server.create("kill")
        db = Database(url, linger_s=0)
        with db.cursor() as con:
            create_campaign(con, "Atomic", campaign_id="atomic")
        db.close()
        process = subprocess.Popen(
            [sys.executable, "-m", "survey", "import", str(big), "--campaign", "atomic", "--db", url],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        killed = process.poll() is None
        if killed:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=120)
        with psycopg.connect(url) as conn:
            state = {
                t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("responses", "response_attributes", "answers", "imports")
            }
        complete = state["responses"] == rows
        expected = (
            {"responses": rows, "response_attributes": rows * 3, "answers": rows * 30, "imports": 1}
            if complete
            else dict.fromkeys(state, 0)
        )
        assert state == expected, (delay, state)
        outcomes.append((delay, killed, complete))
    assert any(killed and not complete for _, killed, complete in outcomes), outcomes


def test_a_raced_invite_has_one_winner_and_a_retried_key_one_response(pg_server: Server, instrument) -> None:
    url = pg_server.create()
    one, two = Database(url, linger_s=0), Database(url, linger_s=0)  # two replicas: separate pools, separate copies
    try:
        with one.cursor() as con:
            create_campaign(con, "C", instrument, campaign_id="c")
            (token,) = create_invites(con, "c", 1)
        from dataclasses import replace

        from survey.invites import InviteUsed, redeem

        sub = sample_submission(instrument, "c")
        with one.cursor() as a, two.cursor() as b:
            first = redeem(a, token, replace(sub, submission_key="k1"), writer=one.writer)
            assert redeem(b, token, replace(sub, submission_key="k1"), writer=two.writer) == first  # the retry, on the other replica
            with pytest.raises(InviteUsed):
                redeem(b, token, replace(sub, submission_key="k2"), writer=two.writer)
            assert submit(b, instrument, replace(sub, submission_key="w"), writer=two.writer) == submit(
                a, instrument, replace(sub, submission_key="w"), writer=one.writer
            )
            assert a.pg_rows("SELECT count(*) FROM responses").fetchone()[0] == 2
    finally:
        one.close()
        two.close()


def test_an_import_refused_by_the_server_writes_nothing(pg_server: Server, instrument) -> None:
    url = pg_server.create()
    db = Database(url, linger_s=0)
    try:
        with db.cursor() as con:
            create_campaign(con, "C", instrument, campaign_id="c")
            data = (IMPORTS / "good.csv").read_bytes()
            run_import(con, "c", data, "good.csv")
            before = con.pg_rows("SELECT count(*) FROM answers").fetchone()[0]
            with pytest.raises(duckdb.ConstraintException), transaction(con):
                con.execute("INSERT INTO imports VALUES ('x', 'c', 1, 's', 'f', 1, current_date)")
                con.execute("INSERT INTO imports VALUES ('x', 'c', 1, 's', 'f', 1, current_date)")
            assert con.pg_rows("SELECT count(*) FROM answers").fetchone()[0] == before
            assert con.pg_rows("SELECT count(*) FROM imports").fetchone()[0] == 1
    finally:
        db.close()


def test_every_command_runs_on_postgresql_and_matches_the_file(make_demo: MakeDemo, pg_server: Server, tmp_path: Path) -> None:
    """The command line on a server URL: demo, invites, import, summary, export, backup, delete: the same outputs as on a file."""
    from analysis.__main__ import main as analysis_main
    from survey.__main__ import main as survey_main
    from tests.conftest import run_main

    url, path = pg_server.create(), tmp_path / "same.duckdb"
    outputs = {}
    for name, target in (("file", path), ("server", url)):
        assert run_main(survey_main, "demo", "--respondents", "60", "--seed", "4", "--db", target).returncode == 0
        done = run_main(survey_main, "invites", "--count", "3", "--out", tmp_path / f"inv-{name}", "--db", target)
        assert done.returncode == 0, done.stderr
        done = run_main(survey_main, "import", IMPORTS / "good.csv", "--campaign", "demo", "--db", target)
        assert done.returncode == 0, done.stderr
        summary = run_main(analysis_main, "summary", "--json", "--campaign", "demo", "--db", target)
        assert summary.returncode == 0, summary.stderr
        outputs[name] = json.loads(summary.stdout)
        out = tmp_path / f"{name}.csv"
        assert (
            run_main(
                analysis_main,
                "export",
                "--format",
                "csv",
                "--out",
                out,
                "--campaign",
                "demo",
                "--reason",
                "backend comparison",
                "--db",
                target,
            ).returncode
            == 0
        )
        assert run_main(survey_main, "backup", "--out", tmp_path / f"bk-{name}", "--db", target).returncode == 0
    storage = outputs["server"].pop("storage")
    assert storage["backend"] == "postgresql" and storage["data_age_s"] < 15
    assert outputs["server"] == outputs["file"]
    # response ids are random per run: the long export agrees in everything else, row for row
    import pandas as pd

    frames = [pd.read_csv(tmp_path / f"{n}.csv").drop(columns=["response_id"]) for n in ("file", "server")]
    assert len(frames[0]) == len(frames[1]) > 0
    assert frames[0].value_counts().sort_index().equals(frames[1].value_counts().sort_index())
    done = run_main(survey_main, "delete", "--campaign", "demo", "--yes", "--db", url)
    assert done.returncode == 0, done.stderr
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM answers").fetchone()[0] == 0


@pytest.fixture(scope="module")
def demo_url(make_demo: MakeDemo, pg_server: Server, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The three-wave demo (actions, a pulse, a published wave) moved into PostgreSQL (backup of the file, restore into the server)."""
    folder = tmp_path_factory.mktemp("pg-demo")
    with open_cursor(make_demo(300, seed=3, waves=3)) as con:
        publish(con, "demo", 3, ["strategy", "it_ot"], "level", actor="tester")  # "you said, we did" has something to show
        backup(con, folder / "backup")
    url = pg_server.create("pages")
    db = Database(url, linger_s=0)
    with db.cursor() as con:
        restore(con, folder / "backup")
    db.close()
    return url


@pytest.mark.parametrize("fmt", ["xlsx", "html", "pptx"])
def test_exports_build_from_postgresql_as_from_the_file(fmt: str, demo_url: str, make_demo: MakeDemo, tmp_path: Path) -> None:
    """A leader's workbook, report and deck from a server-backed database: built, and (the workbook) the same numbers as the file's."""
    import openpyxl

    from analysis.export import export

    db = Database(demo_url, linger_s=0)
    try:
        with db.cursor() as con:
            on_server = export(con, fmt, tmp_path / f"server.{fmt}", Scope("demo"), role="leader")
    finally:
        db.close()
    assert on_server.path.stat().st_size > 0
    if fmt != "xlsx":
        return
    with open_cursor(make_demo(300, seed=3, waves=3)) as con:
        publish(con, "demo", 3, ["strategy", "it_ot"], "level", actor="tester")
        on_file = export(con, fmt, tmp_path / f"file.{fmt}", Scope("demo"), role="leader")

    def cells(path: Path) -> dict[str, list[tuple]]:
        book = openpyxl.load_workbook(path, read_only=True)
        rows = {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}
        rows["Comments"] = sorted(rows["Comments"], key=repr)  # shown in random order on purpose (no row order to link)
        return rows

    assert cells(on_server.path) == cells(on_file.path)


PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py") if p.name != "__init__.py")


@pytest.mark.parametrize("page", ["app.py", *PAGES])
def test_every_page_runs_on_postgresql(page: str, demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("COHERENCE_DB", demo_url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["role"] = "facilitator"
    at.run()
    if page != "app.py":
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    if page == "pages/2_overview.py":  # a dashboard says how old its copy of the server's data is
        assert any(c.value.startswith("Data as of ") for c in at.sidebar.caption), [c.value for c in at.sidebar.caption]


def test_a_replica_starts_while_another_reads_its_copy(pg_server: Server, instrument) -> None:
    """Found by the benchmark: four processes starting at once deadlocked, one's migration check taking a table exclusively
    (ALTER TABLE … IF NOT EXISTS) while another pulled its copy from it. Starting now takes no table lock a reader holds."""
    url = pg_server.create()
    first = Database(url, linger_s=0)
    assert first.replica is not None  # opened: migrated
    first.close()
    with psycopg.connect(url) as reader:
        reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        reader.execute("SELECT count(*) FROM answers").fetchone()  # the share lock a pull holds until its snapshot ends
        second = Database(url + "?options=-c%20lock_timeout%3D1000", linger_s=0)  # waiting for that lock fails instead of hanging
        try:
            with second.cursor() as con:
                create_campaign(con, "C", instrument, campaign_id="c")
                submit(con, instrument, sample_submission(instrument, "c"), writer=second.writer)
                assert response_count(con, "c") == 1
        finally:
            second.close()
        reader.execute("ROLLBACK")
