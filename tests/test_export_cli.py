"""`python -m analysis export`: every format, filters, language and role from the command line, clear errors, one audit row each."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from analysis.__main__ import main
from survey.store import Database, recent_audit
from tests.conftest import ROOT, MakeDemo


@pytest.fixture
def demo_file(db_path: Path, make_demo: MakeDemo) -> Path:
    make_demo(120, seed=5, waves=1, into=db_path)
    return db_path


def _audit(path: Path) -> list[str]:
    database = Database(path, linger_s=0)
    with database.cursor() as con:
        details = [e.detail for e in recent_audit(con) if e.action == "export"]
    database.close()
    return details


def test_xlsx_with_filter_language_and_role(demo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "venlo.xlsx"
    args = [
        "export",
        "--format",
        "xlsx",
        "--out",
        str(out),
        "--db",
        str(demo_file),
        "--filter",
        "site=venlo",
        "--lang",
        "nl",
        "--role",
        "leader",
    ]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert (
        "wrote 9 sheets (Bevindingen, Samenvatting, Heatmap, Verschillen, Stellingen, Waarde op het spel, "
        "Blinde vlekken & ambitie, Opmerkingen, Respons)"
    ) in printed
    assert out.exists() and _audit(demo_file) == [f"xlsx campaign=demo wave=1 filters=site=venlo role=leader lang=nl file={out.name}"]


def test_png_writes_a_folder_and_reports_progress(demo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "charts"
    assert main(["export", "--format", "png", "--out", str(out), "--db", str(demo_file), "--progress", "--actor", "anna"]) == 0
    captured = capsys.readouterr()
    assert "chart images of campaign 'demo'" in captured.out and "100% done" in captured.err
    assert (out / "README.txt").exists() and len(list(out.glob("*.png"))) >= 6
    database = Database(demo_file, linger_s=0)
    with database.cursor() as con:
        assert recent_audit(con, 1)[0].actor == "anna"
    database.close()


def test_a_leader_asking_for_answer_rows_gets_a_clear_error_and_exit_1(demo_file: Path, tmp_path: Path) -> None:
    """Through the real `python -m analysis` entry point in a new interpreter, once; the other cases call `main(argv)`."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis",
            "export",
            "--format",
            "csv",
            "--out",
            str(tmp_path / "x.csv"),
            "--db",
            str(demo_file),
            "--role",
            "leader",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and "facilitators only" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x.csv").exists() and _audit(demo_file) == []


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_answer_rows_need_a_stated_reason_which_is_audited(
    demo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """The command line is the machine owner's path: no password, but row-level data still needs a reason on the record."""
    out = tmp_path / f"rows.{fmt}"
    assert main(["export", "--format", fmt, "--out", str(out), "--db", str(demo_file)]) == 1
    assert "separate permission" in capsys.readouterr().err and not out.exists() and _audit(demo_file) == []
    assert main(["export", "--format", fmt, "--out", str(out), "--db", str(demo_file), "--reason", "too short"]) == 1
    assert "at least 10 characters" in capsys.readouterr().err and not out.exists()
    assert main(["export", "--format", fmt, "--out", str(out), "--db", str(demo_file), "--reason", "statistics for the works council"]) == 0
    assert out.exists() and "merged" in capsys.readouterr().out  # the coarsening is reported as a note
    (detail,) = _audit(demo_file)
    assert detail.startswith(f"{fmt} campaign=demo wave=all") and "reason=statistics for the works council" in detail
    database = Database(demo_file, linger_s=0)
    with database.cursor() as con:
        assert [e.action for e in recent_audit(con, 2)] == ["export", "row-level grant"]
    database.close()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--filter", "site=paris"], "'paris' is not an option of site"),
        (["--filter", "nonsense"], "a group is written attribute=option"),
        (["--campaign", "nope"], "unknown campaign 'nope'"),
        (["--wave", "7"], "has no wave 7"),
        (["--a", "level=board"], "give both groups"),
    ],
)
def test_bad_options_say_what_is_wrong(
    demo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    assert main(["export", "--format", "html", "--out", str(tmp_path / "r.html"), "--db", str(demo_file), *extra]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_parquet_of_one_wave_with_a_chosen_gap_pair(demo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "w1.parquet"
    reason = ["--reason", "coding the open answers", "--actor", "anna"]
    assert (
        main(
            ["export", "--format", "parquet", "--out", str(out), "--db", str(demo_file), "--wave", "1", "--filter", "level=board", *reason]
        )
        == 0
    )
    assert "answer rows of campaign 'demo'" in capsys.readouterr().out
    assert duckdb.sql(f"SELECT DISTINCT level FROM read_parquet('{out}')").fetchall() == [("board",)]
    html = tmp_path / "pair.html"
    assert main(["export", "--format", "html", "--out", str(html), "--db", str(demo_file), "--a", "site=venlo", "--b", "site=gent"]) == 0
    assert "Where Venlo plant and Ghent plant see it differently" in html.read_text(encoding="utf-8")
