"""The survey completed with the keyboard alone in a real Chromium: Tab to move, Space/Arrow to choose, Enter to go on.

The test reads where the focus is (as a sighted keyboard user sees it) but gives input only by Tab, Space,
the arrow keys and Enter; the focused control must show a visible focus ring.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.browser import chromium
from survey.campaigns import create_campaign
from survey.instrument import default_instrument
from survey.store import Database
from tests.browser import expect_text, streamlit_server, wait_idle

pytestmark = pytest.mark.browser
MAX_TABS = 120

FOCUSED = """(want) => {
    const el = document.activeElement;
    if (!el) return false;
    if (want.kind === 'button') return el.tagName === 'BUTTON' && el.innerText.trim() === want.name;
    if (want.kind === 'select') {
        const box = el.closest('[data-testid="stSelectbox"]');
        return !!box && box.querySelector('label').innerText.trim() === want.name;
    }
    if (want.kind === 'radio') {
        const group = el.closest('[role="radiogroup"]');
        return el.type === 'radio' && !!group && group.getAttribute('aria-label') === want.name;
    }
    return false;
}"""
RING = """() => {
    const el = document.activeElement;
    const shown = (node) => node && getComputedStyle(node).outlineStyle !== 'none' && parseFloat(getComputedStyle(node).outlineWidth) >= 2;
    return shown(el) || shown(el.closest('[data-baseweb="radio"]')) || shown(el.closest('label'));
}"""


def tab_to(page: object, kind: str, name: str) -> None:
    """Press Tab until the named control has the focus, and check that the focus can be seen."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED, {"kind": kind, "name": name}):
            assert page.evaluate(RING), f"{kind} {name!r} has the focus but shows no focus ring"
            return
    raise AssertionError(f"{kind} {name!r} cannot be reached with Tab")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_survey_can_be_completed_with_the_keyboard_alone(tmp_path: Path, width: int) -> None:
    db_path = tmp_path / "keyboard.duckdb"
    database = Database(db_path, linger_s=0)
    with database.cursor() as con:
        create_campaign(con, "Keyboard", default_instrument(), campaign_id="keyboard")
    database.close()
    instrument = default_instrument()
    with streamlit_server(db_path) as url, chromium(width=width, height=900, locale="en-GB") as page:
        page.goto(f"{url}/survey")
        expect_text(page, instrument.title["en"])
        wait_idle(page)
        tab_to(page, "button", "Start the survey")
        page.keyboard.press("Enter")
        wait_idle(page)
        for attr in instrument.attributes.values():
            tab_to(page, "select", attr.label["en"])
            page.keyboard.press("ArrowDown")
            page.keyboard.press("Enter")  # the first option
        tab_to(page, "button", "Next")
        page.keyboard.press("Enter")
        wait_idle(page)
        for dim in instrument.dimensions:
            expect_text(page, dim.label["en"])
            for item in dim.items:
                tab_to(page, "radio", item.text["en"])
                page.keyboard.press("Space")  # "Strongly disagree"
                page.keyboard.press("ArrowRight")  # "Disagree": arrows move the choice within the group
            tab_to(page, "button", "Next")
            page.keyboard.press("Enter")
            wait_idle(page)
        tab_to(page, "button", "Next")  # value at stake: choosing none is allowed
        page.keyboard.press("Enter")
        wait_idle(page)
        tab_to(page, "button", "Next")  # the outlook (targets, predictions): optional too
        page.keyboard.press("Enter")
        wait_idle(page)
        tab_to(page, "button", "Submit my answers")
        page.keyboard.press("Enter")
        expect_text(page, "Thank you!")
    database = Database(db_path, linger_s=0)
    with database.cursor() as con:
        assert con.execute("SELECT count(*), min(value), max(value) FROM answers").fetchone() == (30, 2, 2)
        first = next(iter(instrument.attributes["level"].options))
        assert con.execute("SELECT value FROM response_attributes WHERE attribute = 'level'").fetchall() == [(first,)]
    database.close()
