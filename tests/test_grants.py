"""Row-level grants: a reason and the row-level password (its own credential), for one campaign, for a while, every try audited."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from survey.access import Throttle, hash_password
from survey.demo import load_demo
from survey.grants import GRANT_MINUTES, GrantRefused, grant_problem, grant_rows, machine_grant, row_level_hash
from survey.store import recent_audit

PASSWORD = "rows only for the data officer"
REASON = "cleaning the paper forms of wave 1"


@pytest.fixture(scope="module")
def hashed() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def demo(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    load_demo(con, 20, seed=1)
    return con


def test_the_row_level_hash_comes_from_its_own_setting(hashed: str) -> None:
    assert row_level_hash({"auth": {"row_level_hash": hashed, "facilitator_hash": "$argon2id$other"}}, environ={}) == hashed
    assert row_level_hash({}, environ={"COHERENCE_ROW_LEVEL_HASH": hashed}) == hashed
    assert row_level_hash({"auth": {"facilitator_hash": hashed}}, environ={}) is None  # signing in is not the permission
    assert row_level_hash({"auth": {"row_level_hash": "plain text"}}, environ={}) is None


def test_a_grant_needs_the_password_and_a_reason_and_is_audited(demo: duckdb.DuckDBPyConnection, hashed: str) -> None:
    now = dt.datetime(2030, 1, 1, 9, 0, tzinfo=dt.UTC)
    grant = grant_rows(demo, "demo", "anna", f"  {REASON}\n", PASSWORD, hashed, Throttle(), now=now)
    assert (grant.campaign_id, grant.actor, grant.reason, grant.via) == ("demo", "anna", REASON, "password")
    assert grant.expires_at == now + dt.timedelta(minutes=GRANT_MINUTES)
    entry = recent_audit(demo, 1)[0]
    assert (entry.actor, entry.action) == ("anna", "row-level grant")
    assert "campaign=demo" in entry.detail and REASON in entry.detail
    assert grant_problem(grant, "demo", now + dt.timedelta(minutes=1)) is None
    assert "ended" in grant_problem(grant, "demo", now + dt.timedelta(minutes=GRANT_MINUTES))
    assert "not 'other'" in grant_problem(grant, "other", now)
    assert "separate permission" in grant_problem(None, "demo", now)


@pytest.mark.parametrize(
    ("reason", "password", "configured", "message"),
    [
        ("why", PASSWORD, True, "at least 10 characters"),
        ("", PASSWORD, True, "at least 10 characters"),
        (REASON, PASSWORD, False, "no row-level password is configured"),
        (REASON, "the facilitator password", True, "wrong row-level password"),
    ],
)
def test_no_grant_without_reason_configuration_or_the_right_password(
    demo: duckdb.DuckDBPyConnection, hashed: str, reason: str, password: str, configured: bool, message: str
) -> None:
    with pytest.raises(GrantRefused, match=message):
        grant_rows(demo, "demo", "anna", reason, password, hashed if configured else None, Throttle())
    grants = [e for e in recent_audit(demo) if e.action == "row-level grant"]
    assert grants == []
    refused = [e for e in recent_audit(demo) if e.action == "row-level refused"]
    assert len(refused) == (1 if message.startswith("wrong") else 0)


def test_wrong_passwords_slow_the_next_tries_down(demo: duckdb.DuckDBPyConnection, hashed: str) -> None:
    throttle = Throttle()
    for _ in range(3):
        with pytest.raises(GrantRefused, match="wrong"):
            grant_rows(demo, "demo", "mallory", REASON, "guess guess guess", hashed, throttle)
    with pytest.raises(GrantRefused, match="try again in"):
        grant_rows(demo, "demo", "mallory", REASON, PASSWORD, hashed, throttle)


def test_the_command_line_grant_states_a_reason_and_is_audited(demo: duckdb.DuckDBPyConnection) -> None:
    grant = machine_grant(demo, "demo", "cron", REASON)
    assert grant.via == "command line" and grant.covers("demo")
    assert recent_audit(demo, 1)[0].action == "row-level grant"
    with pytest.raises(GrantRefused, match="at least 10"):
        machine_grant(demo, "demo", "cron", "because")
