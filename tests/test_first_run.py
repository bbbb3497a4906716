"""First run without the command line: passwords set from the home page with the setup code the server printed, once.

Through the real app (AppTest, in this process, so the code is the one `survey.setup.current_code()` made) and
the real database file; the browser path (empty database → demo → password → sign in → heatmap) is in
tests/test_browser_first_run.py.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from streamlit.testing.v1 import AppTest

from survey.access import configured_hashes, weak_hashes
from survey.campaigns import list_campaigns
from survey.setup import SetupError, code_used, current_code, new_code, set_passwords, stored_hashes
from survey.store import Database, recent_audit

ROOT = Path(__file__).resolve().parent.parent
LEADER, FACILITATOR = "leader-secret-1", "facilitator-secret-1"


def _home(db: Path, monkeypatch: pytest.MonkeyPatch, **params: str) -> AppTest:
    monkeypatch.setenv("COHERENCE_DB", str(db))
    for name in ("COHERENCE_LEADER_HASH", "COHERENCE_FACILITATOR_HASH"):
        monkeypatch.delenv(name, raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _submit(at: AppTest, code: str, leader: str = LEADER, facilitator: str = FACILITATOR, demo: bool = False) -> AppTest:
    at.text_input(key="setup_code").input(code)
    at.text_input(key="setup_leader").input(leader)
    at.text_input(key="setup_facilitator").input(facilitator)
    if demo is not None and at.checkbox:
        at.checkbox(key="setup_demo").set_value(demo)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _stored(db: Path) -> dict[str, str]:
    database = Database(db, linger_s=0)
    with database.cursor() as con:
        found = stored_hashes(con)
    database.close()
    return found


def test_setup_sets_the_passwords_loads_the_demo_and_then_is_gone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "first.duckdb"
    at = _home(db, monkeypatch)
    assert at.text_input(key="setup_code").value == ""
    _submit(at, current_code().lower().replace("-", " "), demo=True)  # typed loosely off a console
    assert set(_stored(db)) == {"leader", "facilitator"}
    assert any("Password set for" in s.value for s in at.success)
    again = _home(db, monkeypatch)
    assert "setup_code" not in {t.key for t in again.text_input}, "after setup the offer is gone"
    database = Database(db, linger_s=0)
    with database.cursor() as con:
        assert [c.campaign_id for c in list_campaigns(con)] == ["demo"]
        assert any(e.action == "first-run setup" and "facilitator, leader" in e.detail for e in recent_audit(con))
        assert code_used(con, current_code())
    database.close()
    hashes = configured_hashes({}, {}, stored=_stored(db))
    assert PasswordHasher().verify(hashes["leader"], LEADER) and PasswordHasher().verify(hashes["facilitator"], FACILITATOR)
    sign_in = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    sign_in.run()
    sign_in.switch_page("pages/12_sign_in.py").run()
    sign_in.text_input(key="password").input(FACILITATOR)
    sign_in.button[0].click().run()
    assert sign_in.session_state["role"] == "facilitator"


def test_the_printed_link_fills_in_the_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _home(tmp_path / "link.duckdb", monkeypatch, setup=current_code())
    assert at.text_input(key="setup_code").value == current_code()


@pytest.mark.parametrize(
    ("code", "leader", "facilitator", "says"),
    [
        ("WRONG-CODE0-00000-00000", LEADER, FACILITATOR, "wrong setup code"),
        (None, "short", "", "too short"),
        (None, "", "", "at least one password"),
    ],
)
def test_setup_refuses_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: str | None, leader: str, facilitator: str, says: str
) -> None:
    db = tmp_path / "refused.duckdb"
    at = _submit(_home(db, monkeypatch), code or current_code(), leader, facilitator, demo=True)
    assert any(says in e.value.lower() for e in at.error), [e.value for e in at.error]
    assert _stored(db) == {}
    database = Database(db, linger_s=0)
    with database.cursor() as con:
        assert list_campaigns(con) == [] and not code_used(con, current_code())
    database.close()


def test_the_setup_code_never_works_twice(db: Database) -> None:
    code = new_code()
    with db.cursor() as con:
        assert set_passwords(con, code, {"leader": LEADER}, expected=code) == ["leader"]
        con.execute("DELETE FROM role_hashes")  # even with the passwords gone again, the same code is refused
        with pytest.raises(SetupError, match="already used"):
            set_passwords(con, code, {"leader": LEADER}, expected=code)
        assert stored_hashes(con) == {}


def test_two_browsers_racing_with_one_code_set_once(db: Database) -> None:
    code = new_code()
    outcomes: list[str] = []

    def attempt(password: str) -> None:
        try:
            with db.cursor() as con:
                set_passwords(con, code, {"facilitator": password}, expected=code)
            outcomes.append("set")
        except SetupError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=attempt, args=(f"password-number-{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("set") == 1, outcomes
    with db.cursor() as con:
        assert con.execute("SELECT count(*) FROM role_hashes").fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM setup_codes_used").fetchone() == (1,)


def test_secrets_or_environment_override_the_database_as_a_whole() -> None:
    stored = {"leader": PasswordHasher().hash(LEADER), "facilitator": PasswordHasher().hash(FACILITATOR)}
    from_env = PasswordHasher().hash("from-the-environment")
    assert configured_hashes({}, {}, stored=stored) == stored
    assert configured_hashes({}, {"COHERENCE_FACILITATOR_HASH": from_env}, stored=stored) == {"facilitator": from_env}
    assert configured_hashes({"auth": {"leader_hash": from_env}}, {}, stored=stored) == {"leader": from_env}


@pytest.mark.parametrize(
    ("memory_kib", "time_cost", "weak"),
    [(8 * 1024, 3, True), (19 * 1024, 1, True), (19 * 1024, 2, False), (64 * 1024, 3, False), (18 * 1024, 2, True)],
)
def test_hashes_weaker_than_owasp_get_a_warning(memory_kib: int, time_cost: int, weak: bool) -> None:
    hashed = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1).hash("any password at all")
    warnings = weak_hashes({"leader": hashed})
    assert bool(warnings) is weak
    if weak:
        assert "leader" in warnings[0] and "OWASP" in warnings[0]


def test_the_server_prints_the_setup_code_and_weak_hash_warnings_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pages.ui import first_run

    monkeypatch.setenv("COHERENCE_DB", str(tmp_path / "start.duckdb"))
    for name in ("COHERENCE_LEADER_HASH", "COHERENCE_FACILITATOR_HASH", "COHERENCE_ROW_LEVEL_HASH"):
        monkeypatch.delenv(name, raising=False)
    first_run.announce()
    printed = capsys.readouterr().err
    assert current_code() in printed and f"?setup={current_code()}" in printed
    monkeypatch.setenv("COHERENCE_LEADER_HASH", PasswordHasher(time_cost=1, memory_cost=8 * 1024).hash("weak but working"))
    first_run.announce()
    printed = capsys.readouterr().err
    assert "WARNING" in printed and "OWASP" in printed and current_code() not in printed
