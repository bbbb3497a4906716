"""The workshop deck opened with python-pptx: 16:9, slide titles in order, chart pictures, readable fonts, the gap numbers and prompts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.util import Pt

from analysis import engine
from analysis.export import export
from analysis.scope import Scope
from survey.campaigns import create_campaign
from survey.store import Database
from tests.conftest import MakeDemo


@pytest.fixture(scope="module")
def decks(tmp_path_factory: pytest.TempPathFactory, make_demo: MakeDemo) -> Iterator[dict[str, tuple[Path, object, object]]]:
    folder = tmp_path_factory.mktemp("pptx")
    database = Database(make_demo(300, seed=9, waves=1, into=folder / "x.duckdb"), linger_s=0)
    out = {}
    with database.cursor() as con:
        create_campaign(con, "Nobody yet", campaign_id="empty")
        for name, scope, lang in (("demo", Scope("demo"), "en"), ("nl", Scope("demo"), "nl"), ("empty", Scope("empty"), "en")):
            path = folder / f"{name}.pptx"
            out[name] = (path, export(con, "pptx", path, scope, lang=lang, role="leader"), None)
        gaps = engine.gaps(con, Scope("demo")).data
    out["gaps"] = (folder, None, gaps)
    yield out
    database.close()


def _texts(slide: object) -> list[str]:
    out = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            out += [p.text for p in shape.text_frame.paragraphs if p.text]
        if shape.has_table:
            out += [cell.text for row in shape.table.rows for cell in row.cells]
    return out


def test_the_deck_is_16_9_with_the_workshop_slides_in_order(decks: dict) -> None:
    path, result, _ = decks["demo"]
    prs = Presentation(str(path))
    assert abs(prs.slide_width / prs.slide_height - 16 / 9) < 0.01
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles == list(result.slides)
    assert titles[0] == "Demo: Industry 4.0 coherence scan"
    assert titles[1:6] == [
        "Findings",
        "Who took part",
        "Scores per dimension and group",
        "Where Board / executive team and Operator / shop floor see it differently",
        "Which losses hurt most, and who names them",
    ]
    gaps = decks["gaps"][2]
    assert titles[6:9] == [f"Discussion: {label}" for label in gaps["unit"].head(3).map(lambda u: {"it_ot": "IT/OT"}.get(u, u.title()))]
    assert titles[9:12] == [
        "Blind spots: predicted minus actual score",
        "Ambition: where we want to be in two years",
        "Value hypotheses to start with",
    ]
    assert titles[-2:] == ["What we will do about it", "How to read these numbers"] and len(titles) == 14


def test_charts_are_crisp_png_pictures_on_the_chart_slides(decks: dict) -> None:
    prs = Presentation(str(decks["demo"][0]))
    pictures = {s.shapes.title.text: [sh for sh in s.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE] for s in prs.slides}
    counts = [len(p) for p in pictures.values()]
    assert counts == [0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]  # findings and the insight slides are tables
    for shapes in pictures.values():
        for picture in shapes:
            assert picture.image.content_type == "image/png"
            width_px, _ = picture.image.size
            assert width_px / (picture.width / 914400) >= 150  # at least 150 pixels per inch on the slide
            assert picture.left >= 0 and picture.left + picture.width <= prs.slide_width
            assert picture.top + picture.height <= prs.slide_height


def test_every_text_is_readable_across_a_room(decks: dict) -> None:
    prs = Presentation(str(decks["demo"][0]))
    sizes = [
        run.font.size
        for slide in prs.slides
        for shape in slide.shapes
        if shape.has_text_frame
        for para in shape.text_frame.paragraphs
        for run in para.runs
        if run.text.strip()
    ]
    assert sizes and all(size is not None and size >= Pt(10) for size in sizes)
    body = [s for s in sizes if s < Pt(20)]
    assert sorted(body)[len(body) // 2] >= Pt(13)  # the typical body text is 13 pt or more


def test_a_discussion_slide_has_the_engine_numbers_and_three_prompts(decks: dict) -> None:
    prs = Presentation(str(decks["demo"][0]))
    gap = decks["gaps"][2].iloc[0]
    slide = prs.slides[6]
    text = "\n".join(_texts(slide))
    assert f"{gap['diff']:+.2f} points" in text
    assert f"Board / executive team: {gap['mean_a']:.2f} (n={int(gap['n_a'])})" in text
    assert f"Operator / shop floor: {gap['mean_b']:.2f} (n={int(gap['n_b'])})" in text
    assert f"95% CI {gap['ci_low']:+.2f} to {gap['ci_high']:+.2f}" in text
    assert "What do we see differently" in text and "What would have to change" in text and "Who owns closing this gap" in text
    assert "prompts in order" in slide.notes_slide.notes_text_frame.text


@pytest.mark.parametrize("name", ["demo", "nl"])
def test_the_first_slide_after_the_cover_holds_the_findings(decks: dict, name: str) -> None:
    path = decks[name][0]
    database = Database(decks["gaps"][0] / "x.duckdb", linger_s=0)
    with database.cursor() as con:
        findings = engine.summary(con, Scope("demo"))["findings"]
    database.close()
    lang = "nl" if name == "nl" else "en"
    slide = Presentation(str(path)).slides[1]
    assert slide.shapes.title.text == ("Findings" if lang == "en" else "Bevindingen")
    text = "\n".join(_texts(slide))
    assert findings and len(findings) <= 7
    for i, finding in enumerate(findings, start=1):
        assert f"{i}.  {finding['text'][lang]}" in text


def test_participation_is_a_native_table(decks: dict) -> None:
    slide = Presentation(str(decks["demo"][0])).slides[2]
    tables = [s.table for s in slide.shapes if s.has_table]
    assert len(tables) == 1
    rows = [[c.text for c in row.cells] for row in tables[0].rows]
    assert rows[0] == ["Your level in the organisation", "Respondents", "Headcount", "Response rate"]
    assert rows[1][:2] == ["All respondents", "300"] and len(rows) == 8


def test_the_dutch_deck_is_in_dutch(decks: dict) -> None:
    titles = [s.shapes.title.text for s in Presentation(str(decks["nl"][0])).slides]
    assert titles[1:3] == ["Bevindingen", "Wie deed mee"] and titles[-1] == "Zo lees je deze cijfers"
    assert any(t.startswith("Bespreking: ") for t in titles)


def test_zero_responses_is_a_short_deck_with_a_note(decks: dict) -> None:
    path, result, _ = decks["empty"]
    prs = Presentation(str(path))
    assert [s.shapes.title.text for s in prs.slides] == ["Nobody yet", "Nothing to show yet", "How to read these numbers"]
    assert "No responses in this wave yet: there are no results to show." in _texts(prs.slides[1])
    assert result.empty


@pytest.mark.parametrize("name", ["demo", "nl"])
def test_table_numbers_and_header_words_fit_their_columns(decks: dict, name: str) -> None:
    """Intervals, dates and numbers never break mid-number, nor headers mid-word ("gecorrige|erd")."""
    from analysis.export.pptx import BODY_CHAR, CELL_PADDING, HEAD_CHAR

    tables = [s.table for slide in Presentation(decks[name][0]).slides for s in slide.shapes if s.has_table]
    assert len(tables) >= 3
    for table in tables:
        for c, column in enumerate(table.columns):
            for r, row in enumerate(table.rows):
                text = row.cells[c].text
                words = text.split() if any(ch.isalpha() for ch in text) else [text]
                per_char = HEAD_CHAR if r == 0 else BODY_CHAR
                assert all(len(w) * per_char + CELL_PADDING <= column.width + 1 for w in words), (text, column.width)
