"""Shared fixtures: real DuckDB files in a temporary folder, the default instrument, demo campaigns from one factory."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Protocol

import duckdb
import pytest

from harness import pg_server as pg_server_lib
from survey.demo import load_demo
from survey.instrument import Instrument, default_instrument
from survey.store import Database

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "coherence.duckdb"


# Test modules whose `db` and `con` fixtures run on both backends: a DuckDB file and a PostgreSQL server.
BOTH_BACKENDS = frozenset(
    {
        "test_postgres",
        "test_group_commit",
        "test_invites",
        "test_import",
        "test_organisation",
        "test_progress",
        "test_actions_storage",
        "test_publication",
        "test_backup",
        "test_retention",
    }
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    own = metafunc.function.__code__.co_varnames[: metafunc.function.__code__.co_argcount]
    on_file = "db_path" in own or metafunc.definition.get_closest_marker("file_only") is not None  # about the file itself
    if module in BOTH_BACKENDS and "backend" in metafunc.fixturenames and not on_file:
        metafunc.parametrize("backend", ["duckdb", "postgresql"], indirect=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pg_server_lib.Server]:
    """One PostgreSQL server for the session (or the one COHERENCE_TEST_PG names). Under CI a missing server fails; elsewhere it skips."""
    try:
        server = pg_server_lib.start()
    except pg_server_lib.ServerUnavailable as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"PostgreSQL tests cannot run: {exc}")
        pytest.skip(f"PostgreSQL not available: {exc}")
    yield server
    server.stop()


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """Which store the test's `db` is: "duckdb" (a file, the default) or "postgresql" (a new database on the session's server)."""
    return getattr(request, "param", "duckdb")


@pytest.fixture
def db_target(backend: str, db_path: Path, request: pytest.FixtureRequest) -> str | Path:
    """What `--db` would be given: the file's path, or a new database's URL."""
    if backend == "postgresql":
        return request.getfixturevalue("pg_server").create()
    return db_path


@pytest.fixture
def db(db_target: str | Path) -> Iterator[Database]:
    database = Database(db_target, linger_s=0, wait_s=5)
    yield database
    database.close()


@pytest.fixture
def con(db: Database) -> Iterator[duckdb.DuckDBPyConnection]:
    with db.cursor() as cur:
        yield cur


@pytest.fixture(scope="session")
def instrument() -> Instrument:
    return default_instrument()


class MakeDemo(Protocol):
    def __call__(
        self, respondents: int = 400, seed: int = 11, waves: int = 2, campaign_id: str = "demo", *, into: Path | None = None
    ) -> Path: ...


@pytest.fixture(scope="session")
def make_demo(tmp_path_factory: pytest.TempPathFactory) -> MakeDemo:
    """Demo databases from one factory (as datasette's make_app_client): `make_demo(150, seed=5, waves=2)` gives a file.

    Each variant is generated once per session and every call hands out its own copy (at `into`, or in a new
    temporary folder), so a test may add to or delete from its copy without touching another test's data,
    and only the first test that asks for a variant pays for generating it.
    """
    built: dict[tuple[int, int, int, str], Path] = {}

    def make(respondents: int = 400, seed: int = 11, waves: int = 2, campaign_id: str = "demo", *, into: Path | None = None) -> Path:
        key = (respondents, seed, waves, campaign_id)
        if key not in built:
            template = tmp_path_factory.mktemp("demo-template") / "demo.duckdb"
            database = Database(template, linger_s=0, wait_s=5)
            with database.cursor() as con:
                load_demo(con, respondents, seed=seed, waves=waves, campaign_id=campaign_id)
                con.execute("CHECKPOINT")  # everything in the file itself, so a plain copy is the whole database
            database.close()
            built[key] = template
        target = into or tmp_path_factory.mktemp("demo") / "demo.duckdb"
        shutil.copyfile(built[key], target)
        return target

    return make


@contextmanager
def open_cursor(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on the file for the length of the block, the file let go afterwards."""
    database = Database(path, linger_s=0, wait_s=5)
    try:
        with database.cursor() as cur:
            yield cur
    finally:
        database.close()


@pytest.fixture(scope="module")
def demo(make_demo: MakeDemo) -> Iterator[duckdb.DuckDBPyConnection]:
    """The demo campaign (400 respondents in wave 1 and 400 in wave 2), one copy per test module."""
    with open_cursor(make_demo()) as cur:
        yield cur


@pytest.fixture
def demo_con(make_demo: MakeDemo, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The demo campaign as `demo`, a copy of its own for each test (for tests that add or delete answers)."""
    with open_cursor(make_demo(into=tmp_path / "demo.duckdb")) as cur:
        yield cur


def run_main(
    main: Callable[[list[str] | None], int], *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """A command run in this process through its `main(argv)`: the exit code and printed text `python -m` would give.

    Milliseconds instead of a new interpreter per case (as sqlite-utils drives its CLI with CliRunner). Tests about
    the process boundary itself (kill -9, file locks, the `python -m` entry points) still start a real process.
    """
    argv = [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as environment, redirect_stdout(out), redirect_stderr(err):
        for name, value in (env or {}).items():
            environment.setenv(name, value)
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's usage errors exit 2, as they would from the shell
            code = exc.code if isinstance(exc.code, int) else 1
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())
