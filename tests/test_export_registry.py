"""The export format registry and the workshop report's shared parts: one table read by the entry, the command line and the page."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from analysis.__main__ import main
from analysis.export import FORMATS, ROLES, ExportRefused, export, offered
from analysis.export.report import WorkshopReport
from analysis.labels import Labels
from analysis.scope import Scope
from survey.store import Database
from tests.test_export_data import build_small_group_campaign

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def small_group(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    database = Database(tmp_path_factory.mktemp("registry") / "scan.duckdb", linger_s=0)
    with database.cursor() as con:
        build_small_group_campaign(con)
        yield con
    database.close()


def test_the_chart_helper_process_starts_without_loading_the_data_libraries() -> None:
    """`python -m analysis.export.render` loads the package first; its start-up overlaps the export's queries, so it stays light."""
    code = "import sys, analysis.export.render; print(sorted(m for m in ('pandas', 'duckdb', 'numpy') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"


def test_the_page_offers_the_workbook_first_and_answer_rows_to_facilitators_only() -> None:
    answer_rows = [name for name, spec in FORMATS.items() if spec.answer_rows]
    assert answer_rows == ["csv", "parquet"]
    assert offered("leader") == ["xlsx", "html", "pptx", "png", "svg"]
    assert offered("facilitator") == ["xlsx", "html", "pptx", "png", "svg", "csv", "parquet"]
    assert all(set(spec.roles) <= set(ROLES) for spec in FORMATS.values())


def test_a_folder_of_charts_downloads_as_a_zip_and_every_file_has_its_own_type() -> None:
    for name, spec in FORMATS.items():
        assert spec.suffix == ("zip" if spec.folder else name)
        assert "/" in spec.mime
    assert len({spec.label for spec in FORMATS.values()}) == len(FORMATS)


def test_the_command_line_offers_every_registered_format(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    assert "{" + ",".join(FORMATS) + "}" in capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_leader_asking_for_answer_rows_is_refused_by_the_registry(
    fmt: str, small_group: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    with pytest.raises(ExportRefused, match="facilitators only"):
        export(small_group, fmt, tmp_path / f"rows.{fmt}", Scope("hostile"), role="leader")


def test_the_report_lists_each_hidden_group_once_with_why(small_group: duckdb.DuckDBPyConnection) -> None:
    report = WorkshopReport(small_group, Scope("hostile"))
    hidden = report.hidden_groups()
    assert len(hidden) == len(set(hidden))
    supervisors = report.option_label("level", "supervisor")
    assert (supervisors, "fewer than 5 respondents") in hidden
    assert (f"{supervisors} (comments)", "fewer than 10 respondents") in hidden


def test_the_top_loss_is_the_first_of_the_ranking_in_words(small_group: duckdb.DuckDBPyConnection) -> None:
    report = WorkshopReport(small_group, Scope("hostile"), lang="nl")
    assert report.value is not None
    first = report.value.ranking.iloc[0]
    top = report.top_loss
    assert top is not None
    assert top.label == Labels(report.instrument, "nl").loss(str(first["loss"])) != str(first["loss"])
    assert top.eur == ""  # nobody estimated this loss in euros
    assert (top.share_a, top.share_b) == (pytest.approx(first["share_a"]), pytest.approx(first["share_b"]))
    assert top.label in report.value_take()


def test_the_report_and_the_dashboard_name_groups_alike_but_for_everyone(small_group: duckdb.DuckDBPyConnection) -> None:
    report = WorkshopReport(small_group, Scope("hostile"), lang="nl")
    dashboard = Labels(report.instrument, "nl").groups()
    assert dashboard.pop("all") == "Iedereen"
    assert report.group_label("all") == "Alle respondenten"
    assert {group: report.group_label(group) for group in dashboard} == dashboard
