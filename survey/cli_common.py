"""What every command line shares: the --db option and turning known failures into one clear line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb

from survey.store import Database, DatabaseBusy, DatabaseDamaged, close_servers, resolve_db_path


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        default=None,
        help="DuckDB file or postgresql:// URL (default: $COHERENCE_DB, else data/coherence.duckdb); "
        "give a server's password in PGPASSWORD or ~/.pgpass, not here",
    )


def run_command(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace, expected: tuple[type[Exception], ...]) -> int:
    """Run a command; known failures print a message naming what is wrong and exit 1, never a traceback."""
    try:
        return handler(args)
    except (DatabaseBusy, DatabaseDamaged) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except expected as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except duckdb.Error as exc:
        print(f"error: the database refused the operation, nothing was changed: {exc}", file=sys.stderr)
        return 1
    finally:
        close_servers()


def db_path_of(args: argparse.Namespace) -> str:
    return str(resolve_db_path(args.db))


def existing_database(args: argparse.Namespace) -> Database:
    """The database a reading command works on; a mistyped path is an error, not a new empty file."""
    path = resolve_db_path(args.db)
    if isinstance(path, Path) and not path.exists():
        raise FileNotFoundError(
            f"no database at {path}; check --db (or COHERENCE_DB), or create one with "
            "`python -m survey demo --respondents 300` or by starting the app"
        )
    return Database(path, linger_s=0, wait_s=args.wait)
