"""The workshop deck: a 16:9 PowerPoint a facilitator can put in front of a board, charts drawn by vl-convert.

Slides: title; who took part; the heatmap; where the two groups see it differently; value at stake;
one discussion slide for each of the largest gaps (the numbers, the statements furthest apart, the
answer distribution of the first of them, and three prompts for the room); the action list (owners, due dates,
status, € hypotheses); how to read the numbers.
Every slide keeps its title in the title placeholder, so outlines, screen readers and tests find it.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pandas as pd
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.slide import Slide
from pptx.util import Emu, Inches, Pt

from analysis.export.charts import distribution_spec, gap_spec, heatmap_spec, value_spec
from analysis.export.render import Drawing, Renderer
from analysis.export.report import DISCUSSION_GAPS, WorkshopReport, number, p_text, percent
from survey.user_text import plain

NAVY = RGBColor(0x1F, 0x3A, 0x5F)
ACCENT = RGBColor(0xE0, 0x7B, 0x24)
INK = RGBColor(0x1F, 0x29, 0x33)
MUTED = RGBColor(0x52, 0x60, 0x6D)
WASH = RGBColor(0xF5, 0xF7, 0xFA)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
BLUE = RGBColor(0x21, 0x66, 0xAC)
RED = RGBColor(0xB2, 0x18, 0x2B)
WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.6)
CONTENT_TOP = Inches(1.45)
CONTENT_BOTTOM = Inches(6.85)
TEXT_SCALE = 1.3
TITLE_LAYOUT, TITLE_ONLY_LAYOUT = 0, 5
ACTIONS_PER_SLIDE = 10
BODY_CHAR, HEAD_CHAR, CELL_PADDING = Inches(0.115), Inches(0.125), Inches(0.22)  # 14 pt body, 12 pt bold header, both margins


def fit_widths(rows: list[list[str]], width: int) -> list[int]:
    """Column widths that keep numbers, intervals and dates on one line and let only words wrap, at word breaks.

    Fixed shares gave a nine-column table the same width for "Specialist / engineer / staffunctie" as for "+0,01 … +0,59",
    so the intervals broke mid-number and Dutch headers mid-word ("gecorrige|erd"). Each column first gets what its
    longest unbreakable piece needs (a whole cell without letters counts as one piece), then the rest goes to the
    columns that would otherwise wrap, in proportion to how much more they want.
    """

    def pieces(text: str) -> list[str]:
        return [text] if not any(ch.isalpha() for ch in text) else text.split()

    need, want = [], []
    for c in range(len(rows[0])):
        head, body = rows[0][c], [row[c] for row in rows[1:]]
        need.append(
            max([len(w) * HEAD_CHAR for w in pieces(head)] + [len(w) * BODY_CHAR for cell in body for w in pieces(cell)] + [0])
            + CELL_PADDING
        )
        want.append(max([len(head) * HEAD_CHAR] + [len(cell) * BODY_CHAR for cell in body]) + CELL_PADDING)
    spare = width - sum(need)
    if spare <= 0:
        return [int(width * n / sum(need)) for n in need]
    extra = [w - n for w, n in zip(want, need, strict=True)]
    if sum(extra) <= spare:
        return [int(width * w / sum(want)) for w in want]
    return [int(n + spare * e / sum(extra)) for n, e in zip(need, extra, strict=True)]


def _png_size(png: bytes) -> tuple[int, int]:
    """Pixel width and height from the PNG header."""
    width, height = struct.unpack(">II", png[16:24])
    return width, height


class _Deck:
    def __init__(self, report: WorkshopReport) -> None:
        self.r = report
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = WIDTH, HEIGHT
        self.footer = report.scope_text()
        self.pictures: dict[str, Drawing[bytes]] = {}

    def draw_charts(self, renderer: Renderer) -> None:
        """Hand every chart of the deck to the renderer first, so they are drawn while the slides are built."""
        r = self.r
        self.pictures["heatmap"] = renderer.png(heatmap_spec(r, "dimension", 960, titled=False, text_scale=TEXT_SCALE, row_px=54).spec)
        if r.pair is not None and not r.top_gaps(1).empty:
            chart = gap_spec(r, "dimension", 620, titled=False, text_scale=TEXT_SCALE, row_px=58)
            if chart is not None:
                self.pictures["gaps"] = renderer.png(chart.spec)
        chart = value_spec(r, 640, titled=False, text_scale=TEXT_SCALE)
        if chart is not None:
            self.pictures["value"] = renderer.png(chart.spec)
        for gap in r.top_gaps(DISCUSSION_GAPS).to_dict("records"):
            items = r.item_gaps_of(str(gap["unit"]))
            if len(items):
                spec = distribution_spec(r, str(items.iloc[0]["unit"]), 560, titled=False, text_scale=TEXT_SCALE).spec
                self.pictures[f"distribution {gap['unit']}"] = renderer.png(spec)

    # ----- building blocks --------------------------------------------------------------------

    def _text(
        self,
        slide: Slide,
        left: int,
        top: int,
        width: int,
        height: int,
        lines: list[tuple[str, int, bool, RGBColor]],
        anchor: MSO_ANCHOR = MSO_ANCHOR.TOP,
        space: int = 6,
    ) -> None:
        box = slide.shapes.add_textbox(left, top, width, height)
        frame = box.text_frame
        frame.word_wrap = True
        frame.vertical_anchor = anchor
        for i, (text, size, bold, colour) in enumerate(lines):
            para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            para.space_after = Pt(space)
            run = para.add_run()
            run.text = text
            run.font.size = Pt(size)
            run.font.bold = bold
            run.font.color.rgb = colour

    def _rect(self, slide: Slide, left: int, top: int, width: int, height: int, colour: RGBColor) -> None:
        shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, left, top, width, height)
        shape.fill.solid()
        shape.fill.fore_color.rgb = colour
        shape.line.fill.background()
        shape.shadow.inherit = False

    def slide(self, title: str, notes: str | None = None) -> Slide:
        slide = self.prs.slides.add_slide(self.prs.slide_layouts[TITLE_ONLY_LAYOUT])
        shape = slide.shapes.title
        shape.left, shape.top, shape.width, shape.height = MARGIN, Inches(0.35), WIDTH - 2 * MARGIN, Inches(0.85)
        shape.text_frame.word_wrap = True
        shape.text_frame.vertical_anchor = MSO_ANCHOR.BOTTOM
        shape.text = title
        para = shape.text_frame.paragraphs[0]
        para.alignment = PP_ALIGN.LEFT
        for run in para.runs:
            run.font.size = Pt(28)
            run.font.bold = True
            run.font.color.rgb = NAVY
        self._rect(slide, MARGIN, Inches(1.22), Inches(1.1), Inches(0.06), ACCENT)
        number_ = len(self.prs.slides)
        self._text(slide, MARGIN, Inches(7.0), WIDTH - 2 * MARGIN - Inches(0.8), Inches(0.35), [(self.footer, 10, False, MUTED)])
        self._text(slide, WIDTH - MARGIN - Inches(0.8), Inches(7.0), Inches(0.8), Inches(0.35), [(str(number_), 10, False, MUTED)])
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
        return slide

    def picture(self, slide: Slide, png: bytes, left: int, top: int, width: int, height: int) -> None:
        """The image as large as fits the box, aspect kept, centred horizontally in it."""
        px_w, px_h = _png_size(png)
        scale = min(width / px_w, height / px_h)
        w, h = int(px_w * scale), int(px_h * scale)
        slide.shapes.add_picture(io.BytesIO(png), left + (width - w) // 2, top, Emu(w), Emu(h))

    def table(
        self,
        slide: Slide,
        left: int,
        top: int,
        width: int,
        rows: list[list[str]],
        widths: list[float] | None,
        hidden: set[tuple[int, int]],
    ) -> None:
        """A native table; `widths` are shares of `width`, or None to fit the columns to what they hold (`fit_widths`)."""
        height = Inches(0.36) * len(rows)
        shape = slide.shapes.add_table(len(rows), len(rows[0]), left, top, width, height)
        table = shape.table
        columns = fit_widths(rows, width) if widths is None else [int(width * w / sum(widths)) for w in widths]
        for i, w in enumerate(columns):
            table.columns[i].width = w
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                cell = table.cell(r, c)
                cell.text = value
                cell.margin_top = cell.margin_bottom = Inches(0.03)
                para = cell.text_frame.paragraphs[0]
                para.alignment = PP_ALIGN.LEFT if c == 0 else PP_ALIGN.RIGHT
                for run in para.runs:
                    run.font.size = Pt(12 if r == 0 else 14)
                    run.font.bold = r == 0
                    run.font.italic = (r, c) in hidden
                    run.font.color.rgb = WHITE if r == 0 else INK
                cell.fill.solid()
                cell.fill.fore_color.rgb = (
                    NAVY if r == 0 else (RGBColor(0xD9, 0xD9, 0xD9) if (r, c) in hidden else (WASH if r % 2 else WHITE))
                )

    # ----- slides -----------------------------------------------------------------------------

    def title_slide(self) -> None:
        r = self.r
        slide = self.prs.slides.add_slide(self.prs.slide_layouts[TITLE_LAYOUT])
        slide.background.fill.solid()
        slide.background.fill.fore_color.rgb = NAVY
        self._rect(slide, MARGIN, Inches(4.35), Inches(1.4), Inches(0.08), ACCENT)
        title, subtitle = slide.placeholders[0], slide.placeholders[1]
        title.left, title.top, title.width, title.height = MARGIN, Inches(1.6), WIDTH - 2 * MARGIN, Inches(2.6)
        title.text_frame.word_wrap = True
        title.text_frame.vertical_anchor = MSO_ANCHOR.BOTTOM
        title.text = r.campaign.name
        for para in title.text_frame.paragraphs:
            para.alignment = PP_ALIGN.LEFT
            for run in para.runs:
                run.font.size, run.font.bold, run.font.color.rgb = Pt(40), True, WHITE
        subtitle.left, subtitle.top, subtitle.width, subtitle.height = MARGIN, Inches(4.6), WIDTH - 2 * MARGIN, Inches(2.0)
        n = r.respondents
        lines = [
            r.t("deck_title"),
            r.t("deck_scope", wave=r.wave_text, respondents=n if n is not None else r.hidden_text, filters=r.filters_text),
            f"{r.t('threshold')}: {r.k} · {r.t('generated')} {r.generated.isoformat()}",
        ]
        frame = subtitle.text_frame
        frame.word_wrap = True
        for i, line in enumerate(lines):
            para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            para.alignment = PP_ALIGN.LEFT
            run = para.add_run()
            run.text = line
            run.font.size = Pt(22 if i == 0 else 16)
            run.font.color.rgb = WHITE

    def findings_slide(self) -> None:
        """The written findings, most important first: what the room should look at before any chart."""
        r = self.r
        slide = self.slide(r.t("findings"), notes=r.t("findings_how"))
        findings = r.findings
        size = 16 if len(findings) <= 4 else 14 if len(findings) <= 6 else 13
        lines = [(f"{i}.  {text}", size, False, INK) for i, text in enumerate(findings, start=1)] or [(r.t("no_findings"), 18, False, INK)]
        self._text(slide, MARGIN, CONTENT_TOP, WIDTH - 2 * MARGIN, Inches(5.4), lines, space=8)

    def participation_slide(self) -> None:
        r = self.r
        slide = self.slide(r.t("participation_title"))
        n, rate = r.population
        rate_text = r.t("deck_rate", rate=percent(rate, r.lang)) if rate is not None else ""
        self._rect(slide, MARGIN, CONTENT_TOP + Inches(0.1), Inches(0.08), Inches(2.2), NAVY)
        self._text(
            slide,
            MARGIN + Inches(0.3),
            CONTENT_TOP,
            Inches(4.2),
            Inches(3.2),
            [
                (str(n) if n is not None else r.hidden_text, 60, True, NAVY),
                (r.t("respondents"), 18, False, MUTED),
                (r.t("deck_participation_take", n=n if n is not None else r.hidden_text, rate=rate_text, k=r.k), 16, False, INK),
                *((line, 12, i == 1, INK) for i, line in enumerate(r.representation_lines())),
            ],
        )
        result = r.participation_by
        rows = [[r.attribute_label(r.by) if r.by else r.t("col_group"), r.t("respondents"), r.t("headcount"), r.t("response_rate")]]
        hidden: set[tuple[int, int]] = set()
        for i, p in enumerate(result.data.to_dict("records"), start=1):
            head = "" if pd.isna(p["headcount"]) else str(int(p["headcount"]))
            if p["suppressed"]:
                rows.append([r.group_label(p["group"]), r.hidden_text, head, r.hidden_text])
                hidden |= {(i, 1), (i, 3)}
            else:
                rows.append(
                    [
                        r.group_label(p["group"]),
                        str(int(p["n"])),
                        head,
                        "" if pd.isna(p["response_rate"]) else percent(p["response_rate"], r.lang),
                    ]
                )
        self.table(slide, Inches(4.9), CONTENT_TOP + Inches(0.1), Inches(7.8), rows, None, hidden)

    def heatmap_slide(self) -> None:
        r = self.r
        slide = self.slide(r.t("heatmap_dimensions"))
        self.picture(slide, self.pictures["heatmap"].result(), MARGIN, CONTENT_TOP, WIDTH - 2 * MARGIN, Inches(4.75))
        self._text(slide, MARGIN, Inches(6.3), WIDTH - 2 * MARGIN, Inches(0.6), [(r.t("deck_heatmap_take"), 16, False, MUTED)])

    def gaps_slide(self) -> None:
        r = self.r
        a, b = r.pair_labels
        slide = self.slide(r.t("top_gaps", a=a, b=b))
        if r.top_gaps(1).empty:
            self._text(slide, MARGIN, CONTENT_TOP, WIDTH - 2 * MARGIN, Inches(2), [(r.t("deck_no_gaps", a=a, b=b, k=r.k), 20, False, INK)])
            return
        if "gaps" in self.pictures:
            self.picture(slide, self.pictures["gaps"].result(), MARGIN, CONTENT_TOP + Inches(0.2), Inches(7.6), Inches(4.4))
        lines: list[tuple[str, int, bool, RGBColor]] = [(r.t("deck_items_heading"), 18, True, NAVY)]
        items = r.gaps_items.data if r.gaps_items is not None else pd.DataFrame()
        for g in items[~items["suppressed"]].head(4).to_dict("records"):
            lines.append((f"{number(g['diff'], 2, r.lang, sign=True)}  {g['unit']}", 15, True, BLUE if g["diff"] >= 0 else RED))
            lines.append((r.item_text(g["unit"]), 13, False, INK))
        self._text(slide, Inches(8.55), CONTENT_TOP + Inches(0.1), Inches(4.2), Inches(5.0), lines, space=4)
        self._text(slide, MARGIN, Inches(6.4), Inches(7.6), Inches(0.5), [(r.t("deck_gaps_take", a=a, b=b), 14, False, MUTED)])

    def value_slide(self) -> None:
        r = self.r
        top = r.top_loss
        slide = self.slide(r.t("value_title"))
        if top is None or "value" not in self.pictures:
            self._text(slide, MARGIN, CONTENT_TOP, WIDTH - 2 * MARGIN, Inches(1), [(r.t("note_no_value"), 20, False, INK)])
            return
        self.picture(slide, self.pictures["value"].result(), MARGIN, CONTENT_TOP, Inches(8.0), Inches(5.3))
        lines: list[tuple[str, int, bool, RGBColor]] = [(r.t("top_loss"), 14, False, MUTED), (top.label, 26, True, NAVY)]
        if top.eur:
            lines.append((f"€ {top.eur}", 22, True, ACCENT))
        a, b = r.pair_labels
        if top.share_a is not None and top.share_b is not None:
            shares = r.t("deck_value_shares", sa=percent(top.share_a, r.lang), a=a, sb=percent(top.share_b, r.lang), b=b)
            lines.append((shares, 15, False, INK))
        lines.append((r.t("deck_value_rank", a=a, b=b), 13, False, MUTED))
        self._rect(slide, Inches(8.95), CONTENT_TOP + Inches(0.1), Inches(0.08), Inches(2.6), ACCENT)
        self._text(slide, Inches(9.2), CONTENT_TOP, Inches(3.6), Inches(5.0), lines)

    def discussion_slide(self, gap: dict) -> None:
        r = self.r
        a, b = r.pair_labels
        unit = r.dimension_label(gap["unit"])
        slide = self.slide(r.t("discussion", unit=unit), notes=r.t("deck_notes_discussion"))
        colour = BLUE if gap["diff"] >= 0 else RED
        lines: list[tuple[str, int, bool, RGBColor]] = [
            (f"{number(gap['diff'], 2, r.lang, sign=True)} {r.t('points')}", 44, True, colour),
            (r.t("deck_gap_line", group=a, mean=number(gap["mean_a"], 2, r.lang), n=int(gap["n_a"])), 18, True, INK),
            (r.t("deck_gap_line", group=b, mean=number(gap["mean_b"], 2, r.lang), n=int(gap["n_b"])), 18, True, INK),
            (
                r.t(
                    "deck_gap_numbers",
                    diff=number(gap["diff"], 2, r.lang, sign=True),
                    low=number(gap["ci_low"], 2, r.lang, sign=True),
                    high=number(gap["ci_high"], 2, r.lang, sign=True),
                    g=number(gap["effect_size"], 2, r.lang),
                    p=p_text(gap["p_adj"], r.lang),
                ),
                12,
                False,
                MUTED,
            ),
        ]
        items = r.item_gaps_of(str(gap["unit"]))
        if len(items):
            lines.append((r.t("deck_items_heading"), 15, True, NAVY))
            for g in items.to_dict("records"):
                lines.append((f"{number(g['diff'], 2, r.lang, sign=True)}  {r.item_text(g['unit'])}", 13, False, INK))
        self._text(slide, MARGIN, CONTENT_TOP, Inches(5.9), Inches(3.9), lines, space=4)
        if len(items):
            self._text(
                slide,
                Inches(6.8),
                CONTENT_TOP,
                Inches(5.9),
                Inches(0.4),
                [(f"{items.iloc[0]['unit']}: {r.t('distribution_title', item='').strip(': ')}", 12, True, MUTED)],
            )
            picture = self.pictures[f"distribution {gap['unit']}"].result()
            self.picture(slide, picture, Inches(6.8), CONTENT_TOP + Inches(0.4), Inches(5.9), Inches(3.5))
        prompts = [r.t("prompt_see", unit=unit.lower()), r.t("prompt_change", unit=unit.lower(), a=a, b=b), r.t("prompt_owner")]
        box_top = Inches(5.45)
        self._rect(slide, MARGIN, box_top, WIDTH - 2 * MARGIN, Inches(1.45), WASH)
        self._rect(slide, MARGIN, box_top, Inches(0.08), Inches(1.45), ACCENT)
        lines = [(r.t("deck_prompts_heading"), 14, True, ACCENT)] + [(f"{i}.  {p}", 14, False, INK) for i, p in enumerate(prompts, start=1)]
        self._text(slide, MARGIN + Inches(0.25), box_top + Inches(0.05), WIDTH - 2 * MARGIN - Inches(0.4), Inches(1.4), lines, space=1)

    def closure_slide(self) -> None:
        """Did our actions close the gaps: each action's gap before and after, then targeted minus other gaps, with its limits."""
        r, c = self.r, self.r.closure
        if c is None:
            return
        slide = self.slide(
            r.t("closure_title", a=r.group_label(c.a), b=r.group_label(c.b)), notes=f"{r.t('closure_method')} {r.t('closure_limits')}"
        )
        rows = [[r.t("col_action"), r.t("col_gap_before"), r.t("col_gap_after"), r.t("col_change"), r.t("col_ci")]]
        hidden: set[tuple[int, int]] = set()
        for i, a in enumerate(c.actions.head(8).to_dict("records"), start=1):
            shown = a["change"] is not None and not pd.isna(a["change"])
            rows.append(
                [
                    plain(f"{a['action_id']} · {a['title']}")[:60],
                    number(a["gap_before"], 2, r.lang, sign=True) or r.hidden_text,
                    number(a["gap_after"], 2, r.lang, sign=True) or r.hidden_text,
                    number(a["change"], 2, r.lang, sign=True) if shown else r.hidden_text,
                    f"{number(a['ci_low'], 2, r.lang, sign=True)} … {number(a['ci_high'], 2, r.lang, sign=True)}" if shown else "",
                ]
            )
            if not shown:
                hidden |= {(i, 3)}
        self.table(slide, MARGIN, CONTENT_TOP, WIDTH - 2 * MARGIN, rows, None, hidden)
        if c.did is not None and c.ci is not None:
            lines = [
                (
                    f"{r.t('closure_did')}: {number(c.did, 2, r.lang, sign=True)}  "
                    f"({r.t('col_ci')} {number(c.ci[0], 2, r.lang, sign=True)} … {number(c.ci[1], 2, r.lang, sign=True)})",
                    20,
                    True,
                    NAVY,
                ),
                (
                    f"{r.t('closure_targeted', n=c.n_targeted)}: {number(c.targeted, 2, r.lang, sign=True)} · "
                    f"{r.t('closure_untargeted', n=c.n_untargeted)}: {number(c.untargeted, 2, r.lang, sign=True)}",
                    14,
                    False,
                    INK,
                ),
                (r.t("closure_waves", before=c.wave_before, after=c.wave_after), 12, False, MUTED),
            ]
        else:
            lines = [(r.t("closure_none", why=c.note), 16, False, INK)]
        top = CONTENT_TOP + Inches(0.36) * len(rows) + Inches(0.3)
        self._text(slide, MARGIN, top, WIDTH - 2 * MARGIN, Inches(1.6), [*lines, (r.t("closure_limits"), 11, False, MUTED)])

    def actions_slides(self) -> None:
        """The action list, ACTIONS_PER_SLIDE rows a slide: what, who, by when, how far, and the value hypothesis."""
        r = self.r
        rows = r.action_rows()
        if not rows:
            slide = self.slide(r.t("actions_title"))
            self._text(slide, MARGIN, CONTENT_TOP, WIDTH - 2 * MARGIN, Inches(1), [(r.t("actions_none"), 20, False, INK)])
            return
        header = [r.t("col_action"), r.t("col_owner"), r.t("col_due"), r.t("col_action_status"), r.t("col_loss"), r.t("col_eur")]
        for start in range(0, len(rows), ACTIONS_PER_SLIDE):
            slide = self.slide(r.t("actions_title"))
            part = rows[start : start + ACTIONS_PER_SLIDE]
            table = [header] + [[a["title"], a["owner"], a["due"], a["status"], a["loss"], a["eur"]] for a in part]
            self.table(slide, MARGIN, CONTENT_TOP + Inches(0.1), WIDTH - 2 * MARGIN, table, None, set())
            self._text(slide, MARGIN, Inches(6.4), WIDTH - 2 * MARGIN, Inches(0.5), [(r.t("actions_lead"), 13, False, MUTED)])

    def insight_slide(self, title: str, header: list[str], body: list[list[str]]) -> None:
        """One slide per insight table (blind spots, ambition, value hypotheses), with their definition in the notes."""
        r = self.r
        slide = self.slide(title, notes=r.t("insights_definition"))
        self.table(slide, MARGIN, CONTENT_TOP + Inches(0.1), WIDTH - 2 * MARGIN, [header, *body], None, set())

    def empty_slide(self) -> None:
        r = self.r
        slide = self.slide(r.t("deck_empty"))
        self._text(slide, MARGIN, CONTENT_TOP, WIDTH - 2 * MARGIN, Inches(3), [(note, 20, False, INK) for note in r.notes()])

    def definitions_slide(self) -> None:
        r = self.r
        slide = self.slide(r.t("definitions"))
        definitions = r.definitions()
        half = (len(definitions) + 1) // 2
        column_width = (WIDTH - 2 * MARGIN - Inches(0.4)) // 2
        for c, part in enumerate((definitions[:half], definitions[half:])):
            lines: list[tuple[str, int, bool, RGBColor]] = []
            for term, text in part:
                lines.append((term, 13, True, NAVY))
                lines.append((text, 11, False, INK))
            self._text(slide, MARGIN + c * (column_width + Inches(0.4)), CONTENT_TOP, column_width, Inches(5.4), lines, space=2)


def write_pptx(
    report: WorkshopReport, out: Path, progress: Callable[[float, str], None] | None = None, renderer: Renderer | None = None
) -> list[str]:
    """Write the deck to `out`; returns the slide titles in order."""
    step = progress or (lambda _f, _m: None)
    deck = _Deck(report)
    with ExitStack() as stack:
        renderer = renderer or stack.enter_context(Renderer())
        step(0.05, "charts")
        if report.population_shown:
            deck.draw_charts(renderer)
        step(0.3, "title")
        deck.title_slide()
        if report.population_shown:
            plan: list[tuple[str, Callable[[], None]]] = [
                ("findings", deck.findings_slide),
                ("participation", deck.participation_slide),
                ("heatmap", deck.heatmap_slide),
            ]
            if report.pair is not None:
                plan.append(("gaps", deck.gaps_slide))
            plan.append(("value", deck.value_slide))
            plan += [
                (f"discussion {g['unit']}", lambda g=g: deck.discussion_slide(g))
                for g in report.top_gaps(DISCUSSION_GAPS).to_dict("records")
            ]
            plan += [(title, lambda x=(title, head, body): deck.insight_slide(*x)) for title, head, body in report.insight_tables(rows=8)]
        else:
            plan = [("empty", deck.empty_slide)]
        if report.population_shown and report.closure is not None:
            plan.append(("closure", deck.closure_slide))
        if report.population_shown or report.actions:  # an empty wave's deck lists actions only when there are some
            plan.append(("actions", deck.actions_slides))
        plan.append(("definitions", deck.definitions_slide))
        for i, (name, build) in enumerate(plan):
            step(0.35 + 0.6 * i / len(plan), name)
            build()
    out.parent.mkdir(parents=True, exist_ok=True)
    deck.prs.save(str(out))
    titles = []
    for slide in deck.prs.slides:
        title = slide.shapes.title
        titles.append(title.text if title is not None else "")
    return titles
