"""Shared fixtures: real DuckDB files in a temporary folder, the default instrument, a demo campaign."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from survey.demo import load_demo
from survey.instrument import Instrument, default_instrument
from survey.store import Database

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "coherence.duckdb"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = Database(db_path, linger_s=0, wait_s=5)
    yield database
    database.close()


@pytest.fixture
def con(db: Database) -> Iterator[duckdb.DuckDBPyConnection]:
    with db.cursor() as cur:
        yield cur


@pytest.fixture(scope="session")
def instrument() -> Instrument:
    return default_instrument()


@pytest.fixture
def demo_con(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A database holding the demo campaign: 400 respondents in wave 1 and 400 in wave 2."""
    load_demo(con, 400, seed=11, waves=2)
    return con
