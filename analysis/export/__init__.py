"""Exports: pure functions that write files for a campaign, a wave and filters, in every workshop format, each one audited.

    result = export(con, "xlsx", Path("scan.xlsx"), Scope("demo", wave=1, filters=(("site", "venlo"),)),
                    role="leader", lang="nl", actor="anna", progress=lambda done, what: ...)
    result.files, result.sheets, result.notes

Formats (one table, `analysis.export.registry`): csv and parquet (the contract's long format:
row-level data), xlsx, html, pptx, and png or svg (one image per chart in a folder). Every number comes from `analysis.engine`, already
suppressed by the anonymity rules. Row-level data (csv, parquet, the workbook's Raw sheet) is a
separate permission: a facilitator holding a row-level grant for the campaign (`survey.grants`),
and even then coarsened to k with new ids and wave dates (`analysis.export.long`). Zero responses
is a valid, empty export with a note, not an error. Each finished export adds an audit_log row:
who, "export", the format, the scope, the role and, for row-level data, the rows, k and the grant
(who allowed it and why).
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.export.registry import FORMATS, ROLES, ROW_LEVEL_ROLES, Job, Progress, Written, offered

if TYPE_CHECKING:
    import duckdb

    from analysis.export.render import Renderer
    from analysis.scope import Scope
    from survey.grants import RowGrant

Group = tuple[str, str]
__all__ = ["FORMATS", "ROLES", "ExportRefused", "ExportResult", "export", "offered"]


class ExportRefused(PermissionError):
    """The role may not take this export out (a leader asking for answer rows, or no row-level grant for the campaign)."""


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote.

    path: the file written, or the folder for png/svg.
    files: every file written (the folder's images and its README for png/svg).
    rows: answer rows written (csv/parquet, or the workbook's Raw sheet; 0 for the other formats).
    sheets: worksheet names (xlsx). slides: slide titles in order (pptx). charts: chart names (html, png, svg).
    notes: what the reader must know (no responses yet, a hidden selection, parts left out).
    seconds: how long the export took.
    """

    format: str
    path: Path
    files: tuple[Path, ...]
    rows: int = 0
    sheets: tuple[str, ...] = ()
    slides: tuple[str, ...] = ()
    charts: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    seconds: float = 0.0
    empty: bool = field(default=False)


def _check(fmt: str, role: str, campaign_id: str, grant: RowGrant | None) -> bool:
    """Refuse what the role may not take out; True when the export holds answer rows (and the grant allows it)."""
    from survey.grants import grant_problem

    if fmt not in FORMATS:
        raise ValueError(f"unknown export format '{fmt}' (choose from {', '.join(FORMATS)})")
    if role not in ROLES:
        raise ValueError(f"unknown role '{role}' (choose from {', '.join(ROLES)})")
    spec = FORMATS[fmt]
    rows = spec.answer_rows or (spec.raw_sheet and grant is not None)
    if not rows:
        return False
    if role not in ROW_LEVEL_ROLES:
        raise ExportRefused(
            f"the {fmt} export holds one row per answer and is for facilitators only; "
            "leaders can take the workbook, the report, the deck or the chart images, which show groups of at least k people"
        )
    problem = grant_problem(grant, campaign_id)
    if problem is not None:
        raise ExportRefused(problem)
    return True


def export(
    con: duckdb.DuckDBPyConnection,
    fmt: str,
    out_path: str | Path,
    scope: Scope,
    *,
    role: str = "facilitator",
    lang: str = "en",
    actor: str = "cli",
    progress: Progress | None = None,
    a: Group | None = None,
    b: Group | None = None,
    grant: RowGrant | None = None,
) -> ExportResult:
    """Write `scope` as `fmt` to `out_path` (a folder for png/svg) and record it in the audit log.

    For csv/parquet a scope without a wave means every wave (the long format carries the wave
    column); every other format shows one wave, the newest holding responses unless given.
    `progress(done, what)` is called with done rising from 0 to 1. `a`/`b` choose the gap pair
    (default level=board vs level=shop_floor). `grant` is the row-level grant that csv and parquet
    need, and that adds the Raw sheet to a workbook; without one a workbook holds aggregates only.
    """
    # Imported when used: the chart helper process (`python -m analysis.export.render`) loads this package first.
    from survey.store import audit

    with_rows = _check(fmt, role, scope.campaign_id, grant)
    step = progress or (lambda _f, _m: None)
    out = Path(out_path)
    asked = _Asked(con, fmt, out, scope, role, lang, step, grant if with_rows else None, a, b)
    started = time.perf_counter()
    step(0.0, "starting")
    if FORMATS[fmt].answer_rows:
        result, detail = _answer_rows(asked)
    else:
        with ExitStack() as stack:
            renderer = None
            if FORMATS[fmt].renderer:
                from analysis.export.render import Renderer

                # Started first: the chart renderer's start-up overlaps with loading and querying the results.
                renderer = stack.enter_context(Renderer())
            result, detail = _workshop_export(asked, renderer)
    audit(con, actor, "export", f"{detail} file={out.name}")
    seconds = time.perf_counter() - started
    step(1.0, "done")
    return replace(result, seconds=round(seconds, 3))


@dataclass(frozen=True)
class _Asked:
    """One export as asked and checked; `grant` is set only when the export holds answer rows."""

    con: duckdb.DuckDBPyConnection
    fmt: str
    out: Path
    scope: Scope
    role: str
    lang: str
    step: Progress
    grant: RowGrant | None
    a: Group | None
    b: Group | None


def _answer_rows(asked: _Asked) -> tuple[ExportResult, str]:
    """A row-level file of the campaign (every wave unless the scope names one); returns the result and the audit detail."""
    from analysis.export.long import row_level
    from analysis.export.texts import tr
    from survey.campaigns import campaign_instrument, get_campaign

    con, fmt, scope, lang, grant = asked.con, asked.fmt, asked.scope, asked.lang, asked.grant
    assert grant is not None  # _check refuses answer rows without a grant
    campaign = get_campaign(con, scope.campaign_id)
    instrument = campaign_instrument(con, scope.campaign_id, scope.wave)
    asked.step(0.1, "answers")
    picked = row_level(con, instrument, scope.campaign_id, campaign.threshold, scope.wave, scope.filters)
    rows = FORMATS[fmt].write(Job(con, fmt, asked.out, asked.role, instrument, scope.campaign_id, asked.step, rows=picked)).rows
    notes = tuple(picked.notes(lang)) + (() if rows else (tr("note_no_rows", lang),))
    waves = str(scope.wave) if scope.wave is not None else "all"
    filters = ",".join(f"{x}={o}" for x, o in scope.filters) or "none"
    detail = (
        f"{fmt} campaign={scope.campaign_id} wave={waves} filters={filters} role={asked.role} rows={rows} "
        f"respondents={len(picked.respondents)} k={picked.k} {grant.audit_detail()}"
    )
    return ExportResult(fmt, asked.out, (asked.out,), rows=rows, notes=notes, empty=rows == 0), detail


def _workshop_export(asked: _Asked, renderer: Renderer | None) -> tuple[ExportResult, str]:
    """The workbook, report, deck or images of one wave; returns the result and the audit detail."""
    from analysis.export.long import row_level
    from analysis.export.report import WorkshopReport

    con, fmt, step, grant = asked.con, asked.fmt, asked.step, asked.grant
    step(0.02, "results")
    report = WorkshopReport(con, asked.scope, lang=asked.lang, a=asked.a, b=asked.b)
    picked = None
    if grant is not None:
        picked = row_level(
            con, report.instrument, report.campaign.campaign_id, report.campaign.threshold, report.wave, report.scope.filters
        )

    def sub(done: float, what: str) -> None:
        step(0.05 + (0.98 - 0.05) * done, what)

    job = Job(
        con, fmt, asked.out, asked.role, report.instrument, report.campaign.campaign_id, sub, report=report, rows=picked, renderer=renderer
    )
    written: Written = FORMATS[fmt].write(job)
    notes = tuple(report.notes()) + (tuple(picked.notes(report.lang)) if picked is not None else ())
    detail = f"{fmt} {report.audit_detail()} role={asked.role} lang={report.lang}"
    if picked is not None and grant is not None:
        detail += f" rows={written.rows} respondents={len(picked.respondents)} k={picked.k} {grant.audit_detail()}"
    result = ExportResult(
        fmt,
        asked.out,
        written.files,
        rows=written.rows,
        sheets=written.sheets,
        slides=written.slides,
        charts=written.charts,
        notes=notes,
        empty=not report.population_shown,
    )
    return result, detail
