"""The Excel workbook: one sheet per view, numbers as numbers, hidden cells marked in words, user text never a formula.

Sheets: Summary (scope, threshold, respondents, notes, definitions, what is hidden), Heatmap
(dimension and statement × group, mean and n side by side, colour scale), Gaps, Items, Value at
stake, Comments, Response rates, Trend (when there is an earlier wave) and, only under a row-level
grant, Raw (the long format, coarsened: see analysis/export/long.py). Every table has a frozen header and an autofilter.

Every text cell is written with `write_string` on a workbook that never turns strings into
formulas or links; a text that starts like a formula (`=`, `+`, `-`, `@`, tab, CR) also gets
Excel's quote prefix, so editing the cell keeps it text (OWASP CSV injection).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from analysis.export.long import FORMULA_STARTS, RowLevel, row_level_frame
from analysis.export.report import WorkshopReport
from analysis.export.xlsx_raw import EXCEL_MAX_ROWS, splice_rows
from survey.user_text import plain

NAVY = "#1F3A5F"
MUTED = "#52606D"
DATE_CODE = "yyyy-mm-dd"
FORMATS: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "font_size": 14, "font_color": NAVY},
    "subtitle": {"italic": True, "font_color": MUTED},
    "header": {
        "bold": True,
        "font_color": "#FFFFFF",
        "bg_color": NAVY,
        "text_wrap": True,
        "valign": "top",
        "border": 1,
        "border_color": "#FFFFFF",
    },
    "section": {"bold": True, "font_size": 12, "font_color": NAVY},
    "text": {"valign": "top"},
    "wrap": {"text_wrap": True, "valign": "top"},
    "key": {"bold": True, "valign": "top"},
    "bold": {"bold": True, "valign": "top", "top": 1, "top_color": "#BFC5CC"},
    "note": {"text_wrap": True, "valign": "top", "bg_color": "#FFF8EE"},
    "mean": {"num_format": "0.00", "valign": "top"},
    "count": {"num_format": "0", "valign": "top"},
    "gap": {"num_format": "+0.00;-0.00;0.00", "valign": "top"},
    "p": {"num_format": '[<0.001]"<0.001";0.000', "valign": "top"},
    "pct": {"num_format": "0%", "valign": "top"},
    "pp": {"num_format": '+0.0" pp";-0.0" pp";0.0" pp"', "valign": "top"},
    "eur": {"num_format": '"€" #,##0', "valign": "top"},
    "date": {"num_format": DATE_CODE, "valign": "top", "align": "left"},
    "fact_count": {"num_format": "0", "align": "left", "valign": "top"},
    "fact_pct": {"num_format": "0%", "align": "left", "valign": "top"},
    "hidden": {"italic": True, "bg_color": "#D9D9D9", "font_color": "#333333", "align": "center", "valign": "top"},
}
HEAT = {"min_color": "#D6604D", "mid_color": "#F7F7F7", "max_color": "#4393C3"}
MAX_WIDTH = 60
WIDE = 80
SUMMARY_WIDTH = 110
COMMENT_WIDTH = 100
LINE_PT = 15


class _Book:
    """The workbook and its formats; a quote-prefixed twin of a format is made the first time a cell needs it."""

    def __init__(self, path: Path, report: WorkshopReport) -> None:
        self.report = report
        self.wb = xlsxwriter.Workbook(
            str(path), {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False, "nan_inf_to_errors": False}
        )
        self.wb.set_properties({"title": f"{report.campaign.name} · {report.t('report_title')}", "comments": report.scope_text()})
        self._formats: dict[tuple[str, bool], Format] = {}

    def fmt(self, name: str, quoted: bool = False) -> Format:
        key = (name, quoted)
        if key not in self._formats:
            props = dict(FORMATS[name])
            if quoted:
                props["quote_prefix"] = True
            self._formats[key] = self.wb.add_format(props)
        return self._formats[key]

    def sheet(self, name: str) -> _Sheet:
        return _Sheet(self, self.wb.add_worksheet(name[:31]))


class _Sheet:
    """A worksheet that remembers how wide each column's content is, so widths can fit it."""

    def __init__(self, book: _Book, ws: Worksheet) -> None:
        self.book = book
        self.ws = ws
        self.widths: dict[int, int] = {}

    def _seen(self, col: int, width: int) -> None:
        self.widths[col] = max(self.widths.get(col, 0), width)

    def text(self, row: int, col: int, value: object, fmt: str = "text", measure: bool = True) -> None:
        value = "" if value is None or value is pd.NA else str(value)
        if not value:
            self.ws.write_blank(row, col, None, self.book.fmt(fmt))
            return
        self.ws.write_string(row, col, value, self.book.fmt(fmt, value.startswith(FORMULA_STARTS)))
        if measure:
            self._seen(col, max((len(line) for line in value.splitlines()), default=0))

    def number(self, row: int, col: int, value: object, fmt: str) -> None:
        if value is None or value is pd.NA or pd.isna(value):
            self.ws.write_blank(row, col, None, self.book.fmt(fmt))
            return
        self.ws.write_number(row, col, float(value), self.book.fmt(fmt))
        self._seen(col, 8)

    def wrapped(self, row: int, col: int, value: str, fmt: str, width: int) -> None:
        """Wrapped text with the row made tall enough for it (spreadsheet programs do not all grow rows on opening)."""
        self.text(row, col, value, fmt)
        lines = sum(max(1, math.ceil(len(line) / (width * 1.1))) for line in str(value).splitlines() or [""])
        if lines > 1:
            self.ws.set_row(row, LINE_PT * lines)

    def hidden(self, row: int, col: int) -> None:
        self.text(row, col, self.book.report.hidden_text, "hidden")

    def header(self, row: int, labels: list[str], start: int = 0) -> None:
        for i, label in enumerate(labels):
            self.text(row, start + i, label, "header", measure=False)
            self._seen(start + i, min(len(label), 16))  # headers wrap

    def title(self, text: str, sub: str | None = None) -> None:
        self.ws.write_string(0, 0, text, self.book.fmt("title", text.startswith(FORMULA_STARTS)))
        if sub:
            self.ws.write_string(1, 0, sub, self.book.fmt("subtitle", sub.startswith(FORMULA_STARTS)))

    def fit(self, wrap: dict[int, int] | None = None) -> None:
        wrap = wrap or {}
        for col, width in self.widths.items():
            if col in wrap:
                self.ws.set_column(col, col, wrap[col])
            else:
                self.ws.set_column(col, col, min(MAX_WIDTH, max(8, width + 2)))

    def table(self, header_row: int, last_row: int, columns: int, freeze_cols: int = 0) -> None:
        self.ws.freeze_panes(header_row + 1, freeze_cols)
        self.ws.autofilter(header_row, 0, max(header_row, last_row), columns - 1)


def _cell(sheet: _Sheet, row: int, col: int, frame_row: Any, column: str, fmt: str) -> None:
    """A number of an engine row, or the hidden label when the engine suppressed the row."""
    if bool(frame_row["suppressed"]):
        sheet.hidden(row, col)
    else:
        sheet.number(row, col, frame_row[column], fmt)


def _findings(book: _Book, report: WorkshopReport) -> None:
    """The written findings first, most important first, each a numbered line (analysis.insights.findings)."""
    r = report
    s = book.sheet(r.t("findings"))
    s.title(r.t("findings"), r.campaign.name)
    row = 3
    for number_, text in enumerate(r.findings, start=1):
        s.text(row, 0, number_, "key")
        s.wrapped(row, 1, text, "wrap", SUMMARY_WIDTH)
        row += 1
    if not r.findings:
        s.wrapped(row, 1, r.t("no_findings"), "note", SUMMARY_WIDTH)
        row += 1
    s.wrapped(row + 1, 1, r.t("findings_how"), "note", SUMMARY_WIDTH)
    s.ws.set_column(0, 0, 6)
    s.ws.set_column(1, 1, SUMMARY_WIDTH)
    s.ws.hide_gridlines(2)


def _summary(book: _Book, report: WorkshopReport, role: str, notes: list[str]) -> None:
    r = report
    s = book.sheet(r.t("summary"))
    title = r.instrument_title
    s.title(f"{title} · {r.t('report_title')}", r.campaign.name)
    n, rate = r.population
    a, b = r.pair_labels
    facts: list[tuple[str, object, str]] = [
        (r.t("campaign"), r.campaign.name, "text"),
        ("id", r.campaign.campaign_id, "text"),
        (r.t("instrument"), f"{title} ({r.instrument.key})", "text"),
        (r.t("wave"), r.wave_text, "text"),
        (r.t("filters"), r.filters_text, "text"),
        (r.t("col_attribute"), r.attribute_label(r.by) if r.by else r.t("none"), "text"),
        (r.t("pair"), f"{a} − {b}" if r.pair else r.t("none"), "text"),
        (r.t("threshold"), r.k, "fact_count"),
        (r.t("comment_threshold"), r.comment_k, "fact_count"),
        (r.t("respondents"), n, "fact_count"),
        (r.t("response_rate"), rate, "fact_pct"),
        (r.t("scale"), f"{r.instrument.scale.min}–{r.instrument.scale.max}", "text"),
        (r.t("generated"), r.generated.isoformat(), "text"),
        (r.t("prepared_for"), r.t(f"role_{role}"), "text"),
    ]
    row = 3
    for label, value, fmt in facts:
        s.text(row, 0, label, "key")
        if label == r.t("respondents") and value is None and r.has_responses:
            s.hidden(row, 1)
        elif label == r.t("respondents") and value is None:
            s.number(row, 1, 0, "fact_count")
        elif fmt == "text":
            s.text(row, 1, value)
        else:
            s.number(row, 1, value, fmt)
        row += 1
    if notes:
        row += 1
        s.text(row, 0, r.t("notes"), "section")
        row += 1
        for note in notes:
            s.text(row, 0, "•", "key")
            s.wrapped(row, 1, note, "note", SUMMARY_WIDTH)
            row += 1
    row += 1
    s.text(row, 0, r.t("definitions"), "section")
    row += 1
    for term, text in r.definitions():
        s.text(row, 0, term, "key")
        s.wrapped(row, 1, text, "wrap", SUMMARY_WIDTH)
        row += 1
    hidden = r.hidden_groups()
    if hidden:
        row += 1
        s.text(row, 0, r.t("what_hidden"), "section")
        row += 1
        for group, reason in hidden:
            s.text(row, 0, group, "key")
            s.wrapped(row, 1, reason, "wrap", SUMMARY_WIDTH)
            row += 1
    s.ws.set_column(0, 0, 34)
    s.ws.set_column(1, 1, SUMMARY_WIDTH)
    s.ws.hide_gridlines(2)


def _heatmap(book: _Book, report: WorkshopReport) -> None:
    r = report
    s = book.sheet(r.t("heatmap"))
    sub = r.t("grouped_by", by=r.attribute_label(r.by)) if r.by else r.t("all")
    s.title(r.t("heatmap_dimensions"), f"{sub} {r.scope_text()}")
    dims, items = r.heatmap_dimensions.data, r.heatmap_items.data
    groups = list(dict.fromkeys(dims["group"]))
    fixed = [r.t("col_type"), r.t("col_dimension"), r.t("col_item")]
    s.header(3, fixed)
    s.header(2, [""] * len(fixed))
    for i, group in enumerate(groups):
        col = len(fixed) + 2 * i
        label = r.group_label(group)
        s.ws.merge_range(2, col, 2, col + 1, label, book.fmt("header", label.startswith(FORMULA_STARTS)))
        s.header(3, [r.t("col_mean"), r.t("col_n")], col)
        s._seen(col, min(len(label) // 2 + 2, 16))
    statement_col = len(fixed) + 2 * len(groups)
    s.header(2, [""], statement_col)
    s.header(3, [r.t("col_statement")], statement_col)
    row = 4
    by_unit = {
        kind: {u: part.set_index("group") for u, part in frame.groupby("unit", sort=False)} for kind, frame in (("d", dims), ("i", items))
    }
    for dim in r.instrument.dimension_ids:
        units = [("dimension", dim, by_unit["d"].get(dim))] + [
            ("item", it.id, by_unit["i"].get(it.id)) for it in r.instrument.dimension(dim).items
        ]
        for kind, unit, part in units:
            if part is None:
                continue
            style = "bold" if kind == "dimension" else "text"
            s.text(row, 0, r.t(f"type_{kind}"), style)
            s.text(row, 1, r.dimension_label(dim), style)
            s.text(row, 2, unit if kind == "item" else "", style)
            for i, group in enumerate(groups):
                col = len(fixed) + 2 * i
                cell = part.loc[group]
                if bool(cell["suppressed"]):
                    s.hidden(row, col)
                    s.text(row, col + 1, r.t("hidden_short"), "hidden")
                else:
                    s.number(row, col, cell["mean"], "mean")
                    s.number(row, col + 1, cell["n"], "count")
            s.text(row, statement_col, r.item_text(unit) if kind == "item" else "", "text")
            row += 1
    scale = r.instrument.scale
    for i in range(len(groups)):
        col = len(fixed) + 2 * i
        s.ws.conditional_format(
            4,
            col,
            max(4, row - 1),
            col,
            {
                "type": "3_color_scale",
                "min_type": "num",
                "min_value": scale.min,
                "mid_type": "num",
                "mid_value": (scale.min + scale.max) / 2,
                "max_type": "num",
                "max_value": scale.max,
                **HEAT,
            },
        )
    s.table(3, row - 1, statement_col + 1, freeze_cols=3)
    s.fit({statement_col: WIDE})


def _gaps(book: _Book, report: WorkshopReport) -> None:
    r = report
    if r.gaps_dimensions is None or r.gaps_items is None:
        return
    a, b = r.pair_labels
    s = book.sheet(r.t("gaps"))
    s.title(r.t("gaps_title", a=a, b=b), r.scope_text())
    labels = [
        r.t("col_type"),
        r.t("col_dimension"),
        r.t("col_item"),
        f"{a}: {r.t('col_mean')}",
        f"{a}: n",
        f"{b}: {r.t('col_mean')}",
        f"{b}: n",
        r.t("col_gap"),
        r.t("col_ci_low"),
        r.t("col_ci_high"),
        r.t("col_effect"),
        r.t("col_p"),
        r.t("col_p_adj"),
        r.t("col_statement"),
    ]
    s.header(2, labels)
    numbers = [
        ("mean_a", "mean"),
        ("n_a", "count"),
        ("mean_b", "mean"),
        ("n_b", "count"),
        ("diff", "gap"),
        ("ci_low", "gap"),
        ("ci_high", "gap"),
        ("effect_size", "mean"),
        ("p", "p"),
        ("p_adj", "p"),
    ]
    row = 3
    for kind, result in (("dimension", r.gaps_dimensions), ("item", r.gaps_items)):
        for g in result.data.to_dict("records"):
            s.text(row, 0, r.t(f"type_{kind}"))
            s.text(row, 1, r.dimension_label(g["dimension"]))
            s.text(row, 2, g["unit"] if kind == "item" else "")
            for i, (column, fmt) in enumerate(numbers):
                _cell(s, row, 3 + i, g, column, fmt)
            s.text(row, 3 + len(numbers), r.item_text(g["unit"]) if kind == "item" else "")
            row += 1
    gap_col = labels.index(r.t("col_gap"))
    s.ws.conditional_format(
        3,
        gap_col,
        max(3, row - 1),
        gap_col,
        {"type": "data_bar", "bar_color": "#4393C3", "bar_negative_color": "#D6604D", "bar_axis_position": "middle", "bar_solid": True},
    )
    s.table(2, row - 1, len(labels), freeze_cols=3)
    s.fit({len(labels) - 1: WIDE})


def _items(book: _Book, report: WorkshopReport) -> None:
    r = report
    s = book.sheet(r.t("items"))
    a, b = r.pair_labels
    s.title(f"{r.t('items')} · {r.t('all')}", r.scope_text())
    labels = [
        r.t("col_type"),
        r.t("col_dimension"),
        r.t("col_item"),
        r.t("col_n"),
        r.t("col_mean"),
        r.t("col_sd"),
        r.t("col_ci_low"),
        r.t("col_ci_high"),
        r.t("col_rwg"),
        r.t("col_alpha"),
        r.t("col_reverse"),
        f"{r.t('col_gap')} {a} − {b}",
        r.t("col_p_adj"),
        r.t("col_statement"),
    ]
    s.header(2, labels)
    overall = {
        kind: frame[frame["group"] == "all"].set_index("unit")
        for kind, frame in (("dimension", r.heatmap_dimensions.data), ("item", r.heatmap_items.data))
    }
    gaps = {
        kind: (res.data.set_index("unit") if res is not None else None)
        for kind, res in (("dimension", r.gaps_dimensions), ("item", r.gaps_items))
    }
    alpha = r.reliability.data.set_index("dimension")
    row = 3
    for dim in r.instrument.dimension_ids:
        units = [("dimension", dim)] + [("item", it.id) for it in r.instrument.dimension(dim).items]
        for kind, unit in units:
            if unit not in overall[kind].index:
                continue
            cell = overall[kind].loc[unit]
            style = "bold" if kind == "dimension" else "text"
            s.text(row, 0, r.t(f"type_{kind}"), style)
            s.text(row, 1, r.dimension_label(dim), style)
            s.text(row, 2, unit if kind == "item" else "", style)
            for i, (column, fmt) in enumerate(
                [("n", "count"), ("mean", "mean"), ("sd", "mean"), ("ci_low", "mean"), ("ci_high", "mean"), ("rwg", "mean")]
            ):
                _cell(s, row, 3 + i, cell, column, fmt)
            if kind == "dimension" and dim in alpha.index:
                _cell(s, row, 9, alpha.loc[dim], "alpha", "mean")
            else:
                s.text(row, 9, "")
            s.text(row, 10, ("✓" if r.instrument.item(unit).reverse else "") if kind == "item" else "")
            gap_frame = gaps[kind]
            if gap_frame is not None and unit in gap_frame.index:
                _cell(s, row, 11, gap_frame.loc[unit], "diff", "gap")
                _cell(s, row, 12, gap_frame.loc[unit], "p_adj", "p")
            s.text(row, 13, r.item_text(unit) if kind == "item" else "")
            row += 1
    scale = r.instrument.scale
    s.ws.conditional_format(
        3,
        4,
        max(3, row - 1),
        4,
        {
            "type": "3_color_scale",
            "min_type": "num",
            "min_value": scale.min,
            "mid_type": "num",
            "mid_value": (scale.min + scale.max) / 2,
            "max_type": "num",
            "max_value": scale.max,
            **HEAT,
        },
    )
    s.table(2, row - 1, len(labels), freeze_cols=3)
    s.fit({len(labels) - 1: WIDE})


def _value(book: _Book, report: WorkshopReport) -> None:
    r = report
    vas = r.value
    s = book.sheet(r.t("value"))
    s.title(r.t("value_title"), r.scope_text())
    if vas is None:
        s.text(3, 0, r.t("note_no_value"), "note")
        s.fit({0: WIDE})
        return
    a, b = r.pair_labels
    groups = list(dict.fromkeys(vas.shares["group"]))
    shares = {(x["loss"], x["group"]): x for x in vas.shares.to_dict("records")}
    pair_in_groups = r.pair is not None and r.by == r.pair[0][0]
    extra = [] if pair_in_groups else [("share_a", a), ("share_b", b)]
    labels = [r.t("col_rank"), r.t("col_loss"), r.t("col_eur")] + [r.t("col_share", group=r.group_label(g)) for g in groups]
    labels += [r.t("col_share", group=name) for _, name in extra]
    labels += [f"{r.t('col_gap')} {a} − {b}", r.t("col_ci_low"), r.t("col_ci_high"), r.t("col_priority")]
    s.header(2, labels)
    row = 3
    for rank in vas.ranking.to_dict("records"):
        s.number(row, 0, rank["rank"], "count")
        s.text(row, 1, r.loss_label(rank["loss"]))
        s.number(row, 2, rank["eur_per_year"], "eur")
        col = 3
        for g in groups:
            _cell(s, row, col, shares[(rank["loss"], g)], "share", "pct")
            col += 1
        for column, _ in extra:
            if pd.isna(rank[column]):
                s.hidden(row, col)
            else:
                s.number(row, col, rank[column], "pct")
            col += 1
        for column in ("diff", "ci_low", "ci_high"):
            if rank["diff_suppressed"]:
                s.hidden(row, col)
            else:
                s.number(row, col, rank[column] * 100, "pp")
            col += 1
        s.number(row, col, rank["priority"], "mean")
        row += 1
    s.table(2, row - 1, len(labels), freeze_cols=2)
    s.fit()


def _insights(book: _Book, report: WorkshopReport) -> None:
    """Blind spots, ambition and the value hypotheses, one table under another, as the deck and the report show them."""
    r = report
    s = book.sheet(r.t("insights_sheet"))  # a sheet name holds at most 31 characters
    s.title(r.t("insights"), r.scope_text())
    tables = r.insight_tables(rows=50)
    row = 3
    if not tables:
        s.text(row, 0, r.t("insights_none", k=r.k), "note")
    for number, (title, header, body) in enumerate(tables):
        s.text(row, 0, title, "text")
        s.header(row + 1, header)
        for i, line in enumerate(body):
            for c, value in enumerate(line):
                s.text(row + 2 + i, c, value)
        if number == 0:  # a sheet has one filter: the first table's, with its header frozen
            s.table(row + 1, row + 1 + len(body), len(header))
        row += len(body) + 4
    s.text(row, 0, r.t("insights_definition"), "note")
    s.fit()


def _comments(book: _Book, report: WorkshopReport) -> None:
    r = report
    s = book.sheet(r.t("comments"))
    s.title(r.t("comments"), r.t("comments_lead", ck=r.comment_k))
    row = 2
    for note in r.comment_notes():
        s.text(row, 2, note, "note")
        row += 1
    header = row
    s.header(header, [r.t("col_dimension"), r.t("col_group"), r.t("col_comment")])
    row += 1
    frame = r.comments.data
    for c in frame.to_dict("records"):
        s.text(row, 0, r.dimension_label(c["dimension"]))
        s.text(row, 1, r.group_label(c["group"]))
        s.wrapped(row, 2, r.comment_text(c["text"]), "wrap", COMMENT_WIDTH)
        row += 1
    if frame.empty:
        s.text(row, 2, r.t("note_no_comments"))
        row += 1
    s.table(header, row - 1, 3)
    s.fit({2: COMMENT_WIDTH})


def _participation(book: _Book, report: WorkshopReport) -> None:
    r = report
    s = book.sheet(r.t("participation"))
    s.title(r.t("participation_title"), r.scope_text())
    s.header(2, [r.t("col_attribute"), r.t("col_group"), r.t("respondents"), r.t("headcount"), r.t("response_rate")])
    row = 3
    for i, (attribute, result) in enumerate(r.participation.items()):
        for p in result.data.to_dict("records"):
            if p["group"] == "all" and i > 0:
                continue
            s.text(row, 0, r.attribute_label(attribute) if p["group"] != "all" else "")
            s.text(row, 1, r.group_label(p["group"]), "bold" if p["group"] == "all" else "text")
            _cell(s, row, 2, p, "n", "count")
            s.number(row, 3, p["headcount"], "count")
            _cell(s, row, 4, p, "response_rate", "pct")
            row += 1
    s.table(2, row - 1, 5)
    for offset, line in enumerate(r.representation_lines(), start=1):
        s.text(row + offset, 0, line, "bold" if offset == 1 else "text", measure=False)
    s.fit()


def _trend(book: _Book, report: WorkshopReport) -> None:
    r = report
    if r.trend is None:
        return
    s = book.sheet(r.t("trend"))
    earlier = f"{r.t('wave').lower()} {r.earlier_wave}"
    later = f"{r.t('wave').lower()} {r.wave}"
    s.title(r.t("trend_title", earlier=f"{earlier} ({r.earlier_label})"), r.scope_text())
    labels = [
        r.t("col_dimension"),
        r.t("col_group"),
        f"n {earlier}",
        r.t("col_before", wave=earlier),
        f"n {later}",
        r.t("col_before", wave=later),
        r.t("col_change"),
        r.t("col_ci_low"),
        r.t("col_ci_high"),
        r.t("col_p_adj"),
    ]
    s.header(2, labels)
    row = 3
    columns = [
        ("n_before", "count"),
        ("mean_before", "mean"),
        ("n_after", "count"),
        ("mean_after", "mean"),
        ("change", "gap"),
        ("ci_low", "gap"),
        ("ci_high", "gap"),
        ("p_adj", "p"),
    ]
    for t in r.trend.data.to_dict("records"):
        s.text(row, 0, r.dimension_label(t["unit"]))
        s.text(row, 1, r.group_label(t["group"]))
        for i, (column, fmt) in enumerate(columns):
            _cell(s, row, 2 + i, t, column, fmt)
        row += 1
    s.table(2, row - 1, len(labels), freeze_cols=2)
    s.fit()


def _closure(book: _Book, report: WorkshopReport) -> None:
    """Each action's gap before and after with the CI of its change, then targeted minus other gaps (analysis.closure)."""
    r, c = report, report.closure
    if c is None:
        return
    s = book.sheet(r.t("closure"))
    s.title(r.t("closure_title", a=r.group_label(c.a), b=r.group_label(c.b)), r.scope_text())
    labels = [
        r.t("col_action"),
        r.t("col_action_target"),
        r.t("col_action_status"),
        r.t("wave"),
        r.t("col_gap_before"),
        r.t("wave"),
        r.t("col_gap_after"),
        r.t("col_change"),
        r.t("col_ci_low"),
        r.t("col_ci_high"),
    ]
    s.header(2, labels)
    row = 3
    for a in c.actions.to_dict("records"):
        s.text(row, 0, plain(f"{a['action_id']} · {a['title']}"))
        s.text(row, 1, r.target_label(a["target_kind"], a["target_id"]))
        s.text(row, 2, r.t(f"status_{a['status']}"))
        for col, column, fmt in (
            (3, "wave_before", "count"),
            (4, "gap_before", "gap"),
            (5, "wave_after", "count"),
            (6, "gap_after", "gap"),
            (7, "change", "gap"),
            (8, "ci_low", "gap"),
            (9, "ci_high", "gap"),
        ):
            s.number(row, col, a[column], fmt)
        row += 1
    s.table(2, row - 1, len(labels), freeze_cols=1)
    row += 1
    if c.did is None or c.ci is None:
        s.text(row, 0, r.t("closure_none", why=c.note), measure=False)
    else:
        for label, value in (
            (r.t("closure_targeted", n=c.n_targeted), c.targeted),
            (r.t("closure_untargeted", n=c.n_untargeted), c.untargeted),
            (r.t("closure_did"), c.did),
        ):
            s.text(row, 0, label, measure=False)
            s.number(row, 7, value, "gap")
            row += 1
        s.number(row - 1, 8, c.ci[0], "gap")
        s.number(row - 1, 9, c.ci[1], "gap")
        s.text(row, 0, r.t("closure_waves", before=c.wave_before, after=c.wave_after), measure=False)
    s.text(row + 1, 0, r.t("closure_method"), measure=False)
    s.text(row + 2, 0, r.t("closure_limits"), measure=False)
    s.fit()


def _raw(book: _Book, report: WorkshopReport, frame: pd.DataFrame) -> tuple[int, int, dict[str, str]] | None:
    """The Raw sheet's header and layout; returns (sheet number, rows, column kinds) for the rows spliced in after closing."""
    r = report
    s = book.sheet(r.t("raw"))
    columns = list(frame.columns)
    kinds = {c: ("int" if c in ("wave", "value") else "date" if c == "submitted_on" else "text") for c in columns}
    if len(frame) + 1 > EXCEL_MAX_ROWS:
        s.text(0, 0, r.t("note_raw_too_large", rows=len(frame)), "note")
        s.fit({0: WIDE})
        return None
    s.header(0, columns)
    for i, column in enumerate(columns):
        width = 34 if column == "response_id" else 12 if kinds[column] != "text" else 16
        fmt = book.fmt("date") if kinds[column] == "date" else book.fmt("text", quoted=True) if column == "campaign" else None
        s.ws.set_column(i, i, width, fmt)
    s.table(0, len(frame), len(columns))
    s.ws.write_comment(0, 0, r.t("note_raw"))
    sheet_number = book.wb.worksheets().index(s.ws) + 1
    return sheet_number, len(frame), kinds


def write_xlsx(
    con: duckdb.DuckDBPyConnection,
    report: WorkshopReport,
    out: Path,
    *,
    role: str,
    rows: RowLevel | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> tuple[list[str], int]:
    """Write the workbook to `out`; returns the sheet names and the number of raw answer rows written.

    The Raw sheet is written only when `rows` is given: the caller holds a row-level grant.
    """
    step = progress or (lambda _f, _m: None)
    out.parent.mkdir(parents=True, exist_ok=True)
    book = _Book(out, report)
    notes = [*report.notes(), *(rows.notes(report.lang) if rows is not None else [])]
    writers: list[tuple[str, Callable[[], None]]] = [
        ("findings", lambda: _findings(book, report)),
        ("summary", lambda: _summary(book, report, f"{role}_rows" if rows is not None else role, notes)),
        ("heatmap", lambda: _heatmap(book, report)),
        ("gaps", lambda: _gaps(book, report)),
        ("items", lambda: _items(book, report)),
        ("value", lambda: _value(book, report)),
        ("insights", lambda: _insights(book, report)),
        ("comments", lambda: _comments(book, report)),
        ("participation", lambda: _participation(book, report)),
        ("trend", lambda: _trend(book, report)),
        ("closure", lambda: _closure(book, report)),
    ]
    for i, (name, write) in enumerate(writers):
        step(0.05 + 0.5 * i / len(writers), name)
        write()
    raw: tuple[int, int, dict[str, str]] | None = None
    frame = pd.DataFrame()
    if rows is not None:
        step(0.6, "raw")
        frame = row_level_frame(con, report.instrument, report.campaign.campaign_id, rows)
        raw = _raw(book, report, frame)
    step(0.7, "saving")
    sheets = [ws.get_name() for ws in book.wb.worksheets()]
    book.wb.close()
    rows = 0
    if raw is not None and raw[1] > 0:
        step(0.8, "raw rows")
        sheet_number, rows, kinds = raw
        splice_rows(out, sheet_number, frame, kinds, DATE_CODE)
    return sheets, rows
