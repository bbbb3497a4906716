"""A respondent on a phone-width screen answers the survey in a real Chromium against `streamlit run`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.browser import chromium
from survey.campaigns import create_campaign
from survey.instrument import default_instrument
from survey.store import Database
from tests.browser import answer_survey, streamlit_server, wait_idle

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SCREENSHOTS")


def _shot(page: object, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width", [390, 1280])
def test_respondent_journey_in_chromium(tmp_path: Path, width: int) -> None:
    db_path = tmp_path / "browser.duckdb"
    database = Database(db_path, linger_s=0)
    with database.cursor() as con:
        create_campaign(con, "Browser scan", default_instrument(), campaign_id="browser")
    database.close()
    instrument = default_instrument()
    with streamlit_server(db_path) as url, chromium(width=width, height=844 if width < 500 else 900) as page:
        page.goto(f"{url}/survey")
        page.get_by_text(instrument.title["en"]).wait_for(timeout=30_000)
        _shot(page, f"survey-intro-{width}")
        page.get_by_text("Nederlands", exact=True).click()
        wait_idle(page)
        page.get_by_text(instrument.title["nl"]).wait_for()
        answer_survey(page, instrument, "nl", lambda name: _shot(page, f"survey-{name}-{width}"))
    database = Database(db_path, linger_s=0)
    with database.cursor() as con:
        assert con.execute("SELECT count(*), any_value(language) FROM responses").fetchone() == (1, "nl")
        assert con.execute("SELECT count(value) FROM answers").fetchone() == (30,)
        assert con.execute("SELECT loss FROM value_choices").fetchall() == [("unplanned_downtime",)]
        assert con.execute("SELECT value FROM response_attributes WHERE attribute = 'level'").fetchall() == [("board",)]
    database.close()
