"""First run without the command line: a one-time setup code printed at server start, and role passwords kept in the database.

As Jupyter prints its token, the server prints a setup code to its console when it starts with no
password configured; only someone who can read that console (whoever started the server) can set the
first passwords from the home page. The code lives in this process only (a new start prints a new
one), is compared in constant time, and its use is stored as a SHA-256, so it never works twice even
when two browsers submit it at once (the second insert of the same digest fails).

Passwords set here are Argon2id hashes in `role_hashes`. `secrets.toml` or the environment override
them as a whole: when either configures any role, the database's hashes are not used
(`survey.access.configured_hashes`), so what an operator wrote down is all that signs in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Mapping

import duckdb

from survey.access import ROLES, hash_password
from survey.store import audit, transaction

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a console and typed
CODE_GROUPS, CODE_GROUP_LEN = 4, 5  # 20 characters of 32: 100 bits
STORED_SQL = "SELECT role, hash FROM role_hashes"
USED_SQL = "SELECT 1 FROM setup_codes_used WHERE code_sha256 = ?"

_lock = threading.Lock()
_code: str | None = None


class SetupError(ValueError):
    """Why the first-run setup refused: a wrong or used code, a password too short, passwords already set."""


def new_code() -> str:
    """A fresh setup code, e.g. 'K7QM2-XW4PA-9RTZC-HB3NE'."""
    return "-".join("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LEN)) for _ in range(CODE_GROUPS))


def current_code() -> str:
    """This server process's setup code, made on first use (at start, when app.py announces it)."""
    global _code
    with _lock:
        if _code is None:
            _code = new_code()
        return _code


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_matches(offered: str, expected: str) -> bool:
    """Constant-time comparison, tolerant of case, spaces and dashes (a code is typed off a console)."""
    return hmac.compare_digest(_normalise(offered).encode(), _normalise(expected).encode())


def _digest(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def stored_hashes(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Role → Argon2id hash as set on first run (empty before setup)."""
    return {role: hashed for role, hashed in con.execute(STORED_SQL).fetchall() if role in ROLES}


def code_used(con: duckdb.DuckDBPyConnection, code: str) -> bool:
    return con.execute(USED_SQL, [_digest(code)]).fetchone() is not None


def set_passwords(
    con: duckdb.DuckDBPyConnection, offered: str, passwords: Mapping[str, str], *, expected: str | None = None, actor: str = "first run"
) -> list[str]:
    """Store the first passwords (role → password; empty ones skipped) when `offered` is this process's unused code.

    Hashing happens before the transaction (it takes a fraction of a second); inside it the code's use is
    recorded first, so of two submissions racing with the same code only one commits.
    """
    expected = current_code() if expected is None else expected
    if not code_matches(offered, expected):
        raise SetupError("wrong setup code: use the one the server printed in its console when it started")
    chosen = {role: pw for role, pw in passwords.items() if pw}
    unknown = set(chosen) - set(ROLES)
    if unknown:
        raise SetupError(f"unknown role: {', '.join(sorted(unknown))}")
    if not chosen:
        raise SetupError("choose at least one password")
    try:
        hashed = {role: hash_password(pw) for role, pw in chosen.items()}
    except ValueError as exc:
        raise SetupError(f"password too short: {exc}") from exc
    try:
        with transaction(con):
            if code_used(con, offered):
                raise SetupError("this setup code was already used")
            if stored_hashes(con):
                raise SetupError("passwords are already set")
            con.execute("INSERT INTO setup_codes_used VALUES (?, current_timestamp)", [_digest(offered)])
            for role, value in hashed.items():
                con.execute("INSERT INTO role_hashes VALUES (?, ?, current_timestamp)", [role, value])
            audit(con, actor, "first-run setup", f"password set for {', '.join(sorted(hashed))} with the setup code")
    except duckdb.ConstraintException as exc:  # another browser used the same code a moment earlier
        raise SetupError("this setup code was already used") from exc
    return sorted(hashed)
