"""A respondent whose session is gone (another server, another browser) continues from the saved URL in Chromium and submits once."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.browser import chromium, new_page
from survey.campaigns import create_campaign
from survey.instrument import default_instrument
from survey.store import Database
from tests.browser import click_button, expect_text, streamlit_server, wait_idle

pytestmark = pytest.mark.browser


def _answer_dimension(page: object, dim: object, value: int) -> None:
    page.get_by_text(dim.label["en"], exact=True).first.wait_for()
    for item in dim.items:
        label = default_instrument().scale.labels["en"][value - 1]  # each radio is named by its label, not its number
        page.get_by_role("radiogroup", name=item.text["en"]).get_by_text(label, exact=True).click()
    click_button(page, "Next")


def test_the_saved_url_continues_in_a_fresh_browser_context(tmp_path: Path) -> None:
    db_path = tmp_path / "resume.duckdb"
    database = Database(db_path, linger_s=0)
    with database.cursor() as con:
        create_campaign(con, "Resume scan", default_instrument(), campaign_id="resume")
    database.close()
    instrument = default_instrument()
    first_dim, *rest = instrument.dimensions
    with streamlit_server(db_path) as url, chromium(width=390, height=844) as page:
        page.goto(f"{url}/survey?c=resume")
        expect_text(page, instrument.title["en"])
        click_button(page, "Start the survey")
        for attr in instrument.attributes.values():  # section one: the profile
            page.get_by_label(attr.label["en"]).click()
            page.get_by_role("option", name=list(attr.options.values())[1]["en"]).click()
        click_button(page, "Next")
        _answer_dimension(page, first_dim, 2)  # section two: the first dimension
        expect_text(page, rest[0].label["en"])
        saved = page.url
        assert "resume=" in saved, saved
        # A new context shares no cookie or session with the first: what a reconnect to another server starts from.
        other = new_page(page.context.browser, 390, 844)
        other.goto(saved)
        expect_text(other, rest[0].label["en"])
        wait_idle(other)
        for dim in rest:
            _answer_dimension(other, dim, 4)
        other.get_by_text(next(iter(instrument.value_at_stake.losses.values()))["en"]).click()
        click_button(other, "Next")
        click_button(other, "Next")  # the outlook: optional
        click_button(other, "Submit my answers")
        expect_text(other, "Thank you!")
        assert "resume=" not in other.url
        other.context.close()
    database = Database(db_path, linger_s=0)
    with database.cursor() as con:
        assert con.execute("SELECT count(*) FROM responses").fetchone() == (1,)
        level = list(instrument.attributes["level"].options)[1]
        assert con.execute("SELECT value FROM response_attributes WHERE attribute = 'level'").fetchall() == [(level,)]
        first_items = [item.id for item in first_dim.items]
        assert con.execute("SELECT DISTINCT value FROM answers WHERE item_id IN ?", [first_items]).fetchall() == [(2,)]
        assert con.execute("SELECT used, draft FROM resume_drafts").fetchall() == [(True, None)]
    database.close()
