"""The dashboard in the chosen label language: titles, sidebar controls, shared controls and page texts in English or
Dutch, and the choice kept when a leader moves to another page."""

from __future__ import annotations

from pathlib import Path

import pytest

from pages.ui import common
from pages.ui.dashboard_words import WORDS
from tests.app_pages import open_page
from tests.conftest import MakeDemo

# page file, title key, a shared control that page draws (widget key, wording key) or None
PAGES = [
    ("pages/2_overview.py", "title_overview", ("overview_by", "compare_by")),
    ("pages/3_gaps.py", "title_gaps", ("gap_unit", "per")),
    ("pages/3_perception.py", "title_perception", ("ambition_by", "compare_by")),
    ("pages/4_items.py", "title_items", ("items_by", "compare_by")),
    ("pages/5_value.py", "title_value", None),
    ("pages/6_comments.py", "title_comments", None),
    ("pages/7_trends.py", "title_trends", ("trend_unit", "per")),
    ("pages/11_exports.py", "title_exports", None),
    ("pages/16_workshop.py", "title_workshop", None),
]


@pytest.fixture(scope="module")
def demo_db(make_demo: MakeDemo) -> Path:
    return make_demo(300, seed=3, waves=2)


def sidebar_texts(at) -> str:
    return "\n".join(c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("lang", ["en", "nl"])
@pytest.mark.parametrize(("page", "title", "control"), PAGES, ids=[p[0].split("/")[-1] for p in PAGES])
def test_a_page_speaks_the_chosen_language(demo_db, monkeypatch, page, title, control, lang) -> None:
    at = open_page(page, demo_db, monkeypatch, role="leader")
    if lang == "nl":
        at.segmented_control(key="dash_lang").set_value("nl").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == WORDS[title][lang]
    switch = at.segmented_control(key="dash_lang")
    assert switch.label == WORDS["language"][lang]
    assert switch.value == lang
    assert at.sidebar.selectbox(key="dash_wave_demo").label == WORDS["wave"][lang]
    site = at.sidebar.selectbox(key="filter_demo_site")
    assert site.label.startswith("Filter: ")
    assert site.options[0] == WORDS["all"][lang]
    assert WORDS["threshold_note"][lang].split("**")[0] in sidebar_texts(at)
    if control:
        key, word = control
        assert at.segmented_control(key=key).label == WORDS[word][lang]


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_the_overview_names_its_metrics_and_tables_in_the_language(demo_db, monkeypatch, lang) -> None:
    at = open_page("pages/2_overview.py", demo_db, monkeypatch, role="leader", state={"dash_lang": lang})
    assert not at.exception
    labels = {m.label for m in at.metric}
    for key in ("respondents", "response_rate", "threshold", "scale", "rep_label"):
        assert WORDS[key][lang] in labels
    headers = {h.value for h in at.header}
    assert {WORDS["participation"][lang], WORDS["reliability"][lang]} <= headers
    units = at.segmented_control(key="overview_unit")
    assert units.label == WORDS["rows"][lang]
    assert list(units.options) == [WORDS["dimensions"][lang], WORDS["items"][lang]]
    english = "Mean score per cell" in "\n".join(c.value for c in at.caption)
    assert english == (lang == "en")


def test_the_language_is_kept_when_another_page_opens(demo_db, monkeypatch) -> None:
    """Streamlit forgets a widget's value when the next page draws it anew: Dutch chosen on one page stays Dutch."""
    at = open_page("pages/2_overview.py", demo_db, monkeypatch, role="leader")
    at.segmented_control(key="dash_lang").set_value("nl").run()
    kept = at.session_state["dash_lang_kept"]
    other = open_page("pages/3_gaps.py", demo_db, monkeypatch, role="leader", state={"dash_lang_kept": kept})
    assert not other.exception
    assert other.title[0].value == "Verschillen"
    assert other.segmented_control(key="dash_lang").value == "nl"


def test_every_menu_entry_has_its_dutch_title() -> None:
    for path, label, _, _ in common.MENU:
        assert common.menu_label(path, label, "en") == label
        assert common.menu_label(path, label, "nl") == WORDS[common.MENU_WORDS[path]]["nl"]
    assert common.menu_label("pages/2_overview.py", "Overview", "nl") == "Overzicht"


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_the_trends_page_asks_about_gap_closure_in_the_language(demo_db, monkeypatch, lang) -> None:
    at = open_page("pages/7_trends.py", demo_db, monkeypatch, role="leader", state={"dash_lang": lang})
    assert not at.exception
    assert WORDS["closure_question"][lang] in [s.value for s in at.subheader]
    headers = [c.label for c in at.selectbox] + [c.label for c in at.segmented_control]
    assert WORDS["compare_with"][lang] in headers and WORDS["per"][lang] in headers
