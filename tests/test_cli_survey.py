"""`python -m survey check|import|invites` as a facilitator runs them: exit codes, one-line summaries, row-by-row reports."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import duckdb

from survey.__main__ import main
from survey.campaigns import create_campaign, set_status
from survey.store import Database
from tests.conftest import run_main

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
IMPORTS = DATA / "imports"
INSTRUMENTS = DATA / "instruments"


def survey(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m survey ARGS`, run in this process through `main(argv)`."""
    return run_main(main, *args, env=env)


def count(db_path: Path, sql: str = "SELECT count(*) FROM responses") -> int:
    if not db_path.exists():
        return 0
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def test_python_m_survey_is_the_same_command() -> None:
    """The real entry point, once, in a new interpreter: every other case runs in this process through `main(argv)`."""
    done = subprocess.run(
        [sys.executable, "-m", "survey", "check", str(INSTRUMENTS / "valid.yaml")], capture_output=True, text=True, cwd=ROOT, timeout=180
    )
    assert done.returncode == 0 and done.stdout == survey("check", INSTRUMENTS / "valid.yaml").stdout


def test_check_exit_codes() -> None:
    bad = survey("check", INSTRUMENTS / "missing_nl_text.yaml")
    assert bad.returncode == 1 and bad.stdout.splitlines()[1:] == ["  dimensions[2].items[4].text.nl: missing"]
    good = survey("check", INSTRUMENTS / "valid.yaml")
    assert good.returncode == 0 and "ok — small-scan@1" in good.stdout


def test_import_creates_campaign_refuses_duplicates_and_forces(db_path: Path) -> None:
    first = survey("import", IMPORTS / "good.csv", "--db", db_path)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "imported 10 responses from good.csv into campaign 'good' (new campaign, instrument industry40-alignment@2) wave 1 (import "
    )
    assert count(db_path) == 10

    again = survey("import", IMPORTS / "good.csv", "--db", db_path)
    assert again.returncode == 1 and again.stdout == ""
    assert again.stderr.splitlines()[0] == "good.csv: refused, nothing written — 1 problem(s):"
    assert "was already imported into 'good'" in again.stderr and "--force" in again.stderr
    assert count(db_path) == 10

    forced = survey("import", IMPORTS / "good.csv", "--db", db_path, "--force")
    assert forced.returncode == 0 and "from good.csv again (forced) into campaign 'good' wave 1" in forced.stdout
    assert count(db_path) == 20 and count(db_path, "SELECT count(*) FROM imports") == 2


def test_import_bad_file_prints_the_report_and_writes_nothing(db_path: Path) -> None:
    done = survey("import", IMPORTS / "out_of_range.csv", "--db", db_path)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "out_of_range.csv: refused, nothing written — 2 problem(s):",
        "  row 3, column STR2, value '7': outside the scale 1–5",
        "  row 5, column GOV4, value '-1': outside the scale 1–5",
    ]
    assert count(db_path, "SELECT count(*) FROM campaigns") == 0  # no empty campaign left behind
    assert "Traceback" not in done.stderr


def test_import_into_existing_campaign_and_encoding_note(db_path: Path) -> None:
    env = {"COHERENCE_DB": str(db_path)}
    db = Database(db_path, linger_s=0)
    with db.cursor() as con:
        create_campaign(con, "Plant", campaign_id="plant")
    db.close()
    done = survey("import", IMPORTS / "cp1252.csv", env=env)
    assert done.returncode == 0, done.stderr
    assert "into campaign 'plant' wave 1" in done.stdout and "note: not UTF-8" in done.stdout and "Windows-1252" in done.stdout
    assert count(db_path) == 10


def test_import_refuses_instrument_change_and_closed_campaigns(db_path: Path, tmp_path: Path) -> None:
    assert survey("import", IMPORTS / "good.csv", "--db", db_path, "--campaign", "plant").returncode == 0
    v2 = tmp_path / "v2.yaml"
    shipped = ROOT / "survey" / "instruments" / "industry40_alignment.yaml"
    v2.write_text(shipped.read_text(encoding="utf-8").replace("version: 2", "version: 3", 1), encoding="utf-8")
    changed = survey("import", IMPORTS / "bom.csv", "--db", db_path, "--campaign", "plant", "--instrument", v2)
    assert changed.returncode == 1
    assert "instrument change mid-campaign refused: campaign 'plant' wave 1 uses industry40-alignment@2" in changed.stderr
    db = Database(db_path, linger_s=0)
    with db.cursor() as con:
        set_status(con, "plant", "closed")
    db.close()
    closed = survey("import", IMPORTS / "bom.csv", "--db", db_path)
    assert closed.returncode == 1 and "no open campaign" in closed.stderr
    assert count(db_path) == 10


def test_import_with_own_instrument_creates_that_campaign(db_path: Path, tmp_path: Path) -> None:
    small = tmp_path / "small.csv"
    small.write_text(
        "level;site;S1;S2;O1;O2;I1;I2;I3;I4;I5;losses\nDirectie;Vestiging Noord;5;4;;2;3;3;4;5;1;Afkeur, herbewerking\n", encoding="utf-8"
    )
    done = survey("import", small, "--db", db_path, "--campaign", "pilot", "--instrument", INSTRUMENTS / "valid.yaml")
    assert done.returncode == 0, done.stderr
    assert "into campaign 'pilot' (new campaign, instrument small-scan@1) wave 1" in done.stdout
    assert count(db_path, "SELECT count(*) FROM value_choices WHERE loss = 'scrap'") == 1


def test_import_refuses_huge_and_missing_files(db_path: Path, tmp_path: Path) -> None:
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)
    done = survey("import", huge, "--db", db_path)
    assert done.returncode == 1
    assert "file: the file is 100.0 MB, larger than the limit of 20.0 MB; split it into smaller files" in done.stderr
    missing = survey("import", tmp_path / "nope.csv", "--db", db_path)
    assert missing.returncode == 1 and "nope.csv: file not found" in missing.stderr
    assert not db_path.exists() or count(db_path) == 0


def test_invites_write_links_codes_and_sheet(db_path: Path, tmp_path: Path) -> None:
    assert survey("import", IMPORTS / "good.csv", "--db", db_path).returncode == 0
    out = tmp_path / "print"
    done = survey("invites", "--count", "13", "--out", out, "--db", db_path, "--base-url", "https://scan.example.org", "--poster")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"13 one-time invite links for campaign 'good' wave 1 in {out}: invites.csv, 13 QR codes in qr/")
    links = [row["link"] for row in csv.DictReader((out / "invites.csv").open(encoding="utf-8"))]
    assert len(links) == 13 and all(link.startswith("https://scan.example.org/survey?invite=") for link in links)
    assert not any(link.split("=")[1] in done.stdout for link in links)
    assert len(list((out / "qr").glob("invite-*.png"))) == 13
    assert (out / "invites-sheet.pdf").read_bytes().startswith(b"%PDF") and (out / "poster-open-link.pdf").exists()
    assert count(db_path, "SELECT count(*) FROM invites") == 13


def test_invites_errors(db_path: Path, tmp_path: Path) -> None:
    none = survey("invites", "--count", "3", "--out", tmp_path / "a", "--db", db_path)
    assert none.returncode == 1 and "no open campaign" in none.stderr
    assert survey("import", IMPORTS / "good.csv", "--db", db_path).returncode == 0
    unknown = survey("invites", "--count", "3", "--out", tmp_path / "b", "--db", db_path, "--campaign", "nope")
    assert unknown.returncode == 1 and "unknown campaign 'nope'" in unknown.stderr
    zero = survey("invites", "--count", "0", "--out", tmp_path / "c", "--db", db_path)
    assert zero.returncode == 1 and "count must be between 1 and 10000" in zero.stderr
    assert count(db_path, "SELECT count(*) FROM invites") == 0
