"""The HTML report and the deck carry the action list: every action (published or not) with owner, due date, status and € hypothesis."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pptx import Presentation

from analysis.export import export
from analysis.scope import Scope
from survey.actions import action_from, add_action, set_published
from survey.store import Database
from tests.conftest import MakeDemo

HOSTILE = "<script>alert('x')</script> Pilot owner per line"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, make_demo: MakeDemo) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("actions-export")
    database = Database(make_demo(150, seed=4, waves=1, into=folder / "x.duckdb"), linger_s=0)
    out: dict[str, Path] = {}
    with database.cursor() as con:
        first = action_from(
            {"kind": "dimension", "id": "governance", "a": "level=board", "b": "level=shop_floor"},
            title="One owner per pilot",
            owner="COO office",
            due_on=dt.date(2027, 3, 31),
            loss="unplanned_downtime",
            eur_per_year=250_000.0,
            kpi="OEE",
            kpi_baseline="61%",
        )
        set_published(con, "demo", add_action(con, "demo", first, actor="t"), True, actor="t")
        second = action_from(
            {"kind": "loss", "id": "quality_scrap_rework"}, title=HOSTILE, owner="Quality team", due_on=dt.date(2026, 12, 15)
        )
        add_action(con, "demo", second, actor="t")
        for fmt, lang in (("html", "en"), ("html", "nl"), ("pptx", "en")):
            path = folder / f"{lang}.{fmt}"
            export(con, fmt, path, Scope("demo"), lang=lang)
            out[f"{fmt}-{lang}"] = path
    database.close()
    return out


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "en",
            ["What we will do about it", "COO office", "2027-03-31", "Planned", "250,000", "OEE (61%)", "Governance", "Unplanned downtime"],
        ),
        ("nl", ["Wat we eraan gaan doen", "COO office", "2027-03-31", "Gepland", "250.000", "OEE (61%)", "Sturing en besluitvorming"]),
    ],
)
def test_the_report_lists_every_action_with_its_value_hypothesis(files: dict[str, Path], lang: str, words: list[str]) -> None:
    text = files[f"html-{lang}"].read_text(encoding="utf-8")
    section = text[text.index('id="actions"') : text.index("</section>", text.index('id="actions"'))]
    assert 'href="#actions"' in text
    for word in words:
        assert word in section, word
    assert "One owner per pilot" in section and "Quality team" in section  # unpublished actions too: the report is behind sign-in
    assert "<script>alert" not in section and "&lt;script&gt;alert(" in section  # typed text stays text


def test_the_deck_has_an_action_slide_before_the_definitions(files: dict[str, Path]) -> None:
    prs = Presentation(str(files["pptx-en"]))
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles[-2:] == ["What we will do about it", "How to read these numbers"]
    slide = prs.slides[len(titles) - 2]
    table = next(shape.table for shape in slide.shapes if shape.has_table)
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0] == ["Action", "Owner", "Due", "Status", "Loss", "€ per year (estimate)"]
    assert ["One owner per pilot", "COO office", "2027-03-31", "Planned", "Unplanned downtime", "250,000"] in rows
    assert [HOSTILE, "Quality team", "2026-12-15", "Planned", "Quality problems, scrap and rework", ""] in rows
