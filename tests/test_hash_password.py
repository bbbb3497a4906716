"""`python -m survey hash-password`: an Argon2id hash at OWASP strength or better, printed, never stored."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from survey import __main__ as cli
from survey.access import HASHER, Throttle, configured_hashes, hash_password, sign_in

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"


def test_production_parameters_meet_owasp() -> None:
    """OWASP Password Storage Cheat Sheet: Argon2id with at least m=19 MiB, t=2, p=1."""
    params = extract_parameters(hash_password(PASSWORD))
    assert params.type is Type.ID
    assert params.memory_cost >= 19 * 1024
    assert params.time_cost >= 2
    assert params.parallelism == 1
    assert params.salt_len >= 16 and params.hash_len >= 32
    assert (HASHER.type, HASHER.memory_cost, HASHER.time_cost) == (params.type, params.memory_cost, params.time_cost)


def test_two_hashes_of_one_password_differ_and_both_verify() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second  # salted
    assert PasswordHasher().verify(first, PASSWORD) and PasswordHasher().verify(second, PASSWORD)


def test_short_password_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 10"):
        hash_password("short")


def _run(args: list[str], stdin: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "survey", "hash-password", *args],
        input=stdin,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )


@pytest.mark.parametrize("role", ["leader", "facilitator"])
def test_stdin_prints_a_working_hash_and_the_secrets_line_and_stores_nothing(tmp_path: Path, role: str) -> None:
    result = _run(["--stdin", "--role", role], PASSWORD + "\n", tmp_path)
    assert result.returncode == 0, result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    hashed = result.stdout.splitlines()[0]
    assert hashed.startswith("$argon2id$")
    assert extract_parameters(hashed).memory_cost >= 19 * 1024
    # The printed block is valid secrets.toml once the comment lines are kept: parse it as TOML.
    toml_text = "\n".join(line for line in result.stdout.splitlines()[1:])
    secrets = tomllib.loads(toml_text)
    assert secrets["auth"][f"{role}_hash"] == hashed
    assert configured_hashes(secrets, environ={}) == {role: hashed}
    assert sign_in(PASSWORD, {role: hashed}, Throttle()) == role
    assert sign_in(PASSWORD + "x", {role: hashed}, Throttle()) is None
    assert list(tmp_path.iterdir()) == []  # nothing written where it ran


def test_stdin_keeps_spaces_inside_and_at_the_ends(tmp_path: Path) -> None:
    password = "  spaced out password  "
    result = _run(["--stdin"], password + "\r\n", tmp_path)
    assert result.returncode == 0, result.stderr
    assert PasswordHasher().verify(result.stdout.splitlines()[0], password)


def test_short_password_on_stdin_exits_1_without_a_hash(tmp_path: Path) -> None:
    result = _run(["--stdin"], "short\n", tmp_path)
    assert result.returncode == 1
    assert "at least 10 characters" in result.stderr and "Traceback" not in result.stderr
    assert "$argon2" not in result.stdout


def test_typed_twice_must_match(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    answers = iter([PASSWORD, PASSWORD + "!"])
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt="": next(answers))
    assert cli.main(["hash-password"]) == 1
    out, err = capsys.readouterr()
    assert "differ" in err and "$argon2" not in out


def test_typed_twice_prints_the_hash(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return PASSWORD

    monkeypatch.setattr(cli.getpass, "getpass", fake_getpass)
    assert cli.main(["hash-password", "--role", "facilitator"]) == 0
    out, _ = capsys.readouterr()
    assert len(prompts) == 2
    assert PASSWORD not in out
    assert PasswordHasher().verify(out.splitlines()[0], PASSWORD)
    assert 'facilitator_hash = "$argon2id$' in out and "COHERENCE_FACILITATOR_HASH=" in out


def test_the_row_level_password_gets_its_own_key_and_signs_nobody_in(tmp_path: Path) -> None:
    """Issue 12: taking answer rows out is a permission of its own, with its own credential, not a third sign-in role."""
    from survey.grants import row_level_hash

    result = _run(["--stdin", "--role", "row_level"], PASSWORD + "\n", tmp_path)
    assert result.returncode == 0, result.stderr
    hashed = result.stdout.splitlines()[0]
    secrets = tomllib.loads("\n".join(result.stdout.splitlines()[1:]))
    assert secrets["auth"]["row_level_hash"] == hashed and "COHERENCE_ROW_LEVEL_HASH=" in result.stdout
    assert row_level_hash(secrets, environ={}) == hashed
    assert configured_hashes(secrets, environ={}) == {}
