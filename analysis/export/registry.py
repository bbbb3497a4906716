"""Every export format in one table: its writer, what the Exports page calls it, the file it downloads as, and who may take it.

Adding a format is one `Format` here and its writer module: the entry (`analysis.export.export`),
the command line and the Exports page all read this table. Writers are imported when used, so a
CSV export never loads XlsxWriter, python-pptx or the chart renderer, and the chart helper process
(`python -m analysis.export.render`), which loads this package first, starts in milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

    from analysis.export.long import RowLevel
    from analysis.export.render import Renderer
    from analysis.export.report import WorkshopReport
    from survey.instrument import Instrument

Progress = Callable[[float, str], None]
ROLES = ("facilitator", "leader")
ROW_LEVEL_ROLES = ("facilitator",)  # answer rows leave only with a facilitator holding a row-level grant (survey.grants)


@dataclass(frozen=True)
class Job:
    """What a writer is given: where to write, the answer rows it may hold, and (for a workshop format) the report to show."""

    con: duckdb.DuckDBPyConnection
    fmt: str
    out: Path
    role: str
    instrument: Instrument
    campaign_id: str
    progress: Progress
    report: WorkshopReport | None = None
    rows: RowLevel | None = None
    renderer: Renderer | None = None


@dataclass(frozen=True)
class Written:
    """What a writer wrote: its files, answer rows, and the sheets, slides or charts they hold."""

    files: tuple[Path, ...]
    rows: int = 0
    sheets: tuple[str, ...] = ()
    slides: tuple[str, ...] = ()
    charts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Format:
    """One export format.

    label, suffix, mime: what the Exports page offers and downloads (a folder of images downloads as a zip).
    roles: who may take it out. answer_rows: the file is row-level data (one row per answer), read over
    every wave without a workshop report. raw_sheet: answer rows are added when a row-level grant is given.
    folder: the writer fills a folder (one file per chart). renderer: the writer draws charts as images.
    """

    write: Callable[[Job], Written]
    label: str
    suffix: str
    mime: str
    roles: tuple[str, ...] = ROLES
    answer_rows: bool = False
    raw_sheet: bool = False
    folder: bool = False
    renderer: bool = False


def _long(job: Job) -> Written:
    from analysis.export.long import export_long

    if job.rows is None:
        raise ValueError("answer rows are picked (and coarsened) before they are written")
    rows = export_long(job.con, job.instrument, job.campaign_id, job.out, job.fmt, job.rows)
    return Written((job.out,), rows=rows)


def _report(job: Job) -> WorkshopReport:
    if job.report is None:
        raise ValueError(f"the {job.fmt} export shows a workshop report")
    return job.report


def _xlsx(job: Job) -> Written:
    from analysis.export.xlsx import write_xlsx

    names, rows = write_xlsx(job.con, _report(job), job.out, role=job.role, rows=job.rows, progress=job.progress)
    return Written((job.out,), rows=rows, sheets=tuple(names))


def _html(job: Job) -> Written:
    from analysis.export.html import write_html

    return Written((job.out,), charts=tuple(write_html(_report(job), job.out, progress=job.progress)))


def _pptx(job: Job) -> Written:
    from analysis.export.pptx import write_pptx

    return Written((job.out,), slides=tuple(write_pptx(_report(job), job.out, progress=job.progress, renderer=job.renderer)))


def _images(job: Job) -> Written:
    from analysis.export.images import write_images

    written, specs = write_images(_report(job), job.out, job.fmt, progress=job.progress, renderer=job.renderer)
    return Written(tuple(written), charts=tuple(s.name for s in specs))


_XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

FORMATS: dict[str, Format] = {
    "csv": Format(_long, "Answer rows, long format (CSV)", "csv", "text/csv", ROW_LEVEL_ROLES, answer_rows=True),
    "parquet": Format(
        _long, "Answer rows, long format (Parquet)", "parquet", "application/octet-stream", ROW_LEVEL_ROLES, answer_rows=True
    ),
    "xlsx": Format(_xlsx, "Excel workbook", "xlsx", _XLSX_MIME, raw_sheet=True),
    "html": Format(_html, "HTML report (opens offline)", "html", "text/html"),
    "pptx": Format(_pptx, "Workshop deck (PowerPoint)", "pptx", _PPTX_MIME, renderer=True),
    "png": Format(_images, "Chart images (PNG, zip)", "zip", "application/zip", folder=True, renderer=True),
    "svg": Format(_images, "Chart images (SVG, zip)", "zip", "application/zip", folder=True, renderer=True),
}


def offered(role: str) -> list[str]:
    """The formats `role` may take, the workshop formats first and answer rows last (so a page's default is the workbook)."""
    return [name for name, spec in sorted(FORMATS.items(), key=lambda entry: entry[1].answer_rows) if role in spec.roles]
