"""The new user's path in a real Chromium: `streamlit run app.py` on an empty database, the setup code from the
server's console, demo loaded, a leader password set, signed in, the heatmap seen; and the survey in the browser's language."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from harness.browser import chromium
from survey.campaigns import create_campaign
from survey.instrument import default_instrument
from survey.store import Database
from tests.browser import expect_text, streamlit_server, wait_idle

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SCREENSHOTS")
NO_PASSWORDS = {"COHERENCE_LEADER_HASH": "", "COHERENCE_FACILITATOR_HASH": "", "COHERENCE_ROW_LEVEL_HASH": ""}
CODE = re.compile(r"Setup code \(works once\): ([A-Z0-9-]+)")


def _shot(page: object, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _printed_code(log: Path) -> str:
    found = CODE.findall(log.read_text())
    assert found, f"the server printed no setup code:\n{log.read_text()[-2000:]}"
    return found[-1]


@pytest.mark.parametrize("width", [1440, 390])
def test_a_new_user_gets_from_an_empty_database_to_the_heatmap(tmp_path: Path, width: int) -> None:
    db_path = tmp_path / "new.duckdb"
    with streamlit_server(db_path, env=NO_PASSWORDS) as url, chromium(width=width, height=900) as page:
        log = next(tmp_path.glob("streamlit-*.log"))
        code = _printed_code(log)
        page.goto(url)
        expect_text(page, "First run: set the passwords")
        _shot(page, f"first-run-{width}")
        page.get_by_label("Setup code").fill(code)
        page.get_by_label("Leader password").fill("a leader password")
        page.get_by_role("button", name="Set passwords").click()
        expect_text(page, "Password set for: leader", timeout=180_000)  # the demo is made in the same step
        wait_idle(page, 60_000)
        assert page.get_by_text("First run: set the passwords").count() == 0, "after setup the offer is gone"
        _shot(page, f"first-run-done-{width}")
        page.get_by_role("link", name="Sign in").last.click()
        page.get_by_label("Password", exact=True).fill("a leader password")
        page.get_by_role("button", name="Sign in").click()
        expect_text(page, "You are signed in as")
        expand = page.get_by_test_id("stExpandSidebarButton")
        if expand.is_visible():
            expand.click()
        page.get_by_test_id("stSidebar").get_by_role("link").filter(has_text="Overview").first.click()
        page.get_by_role("heading", name="Overview").first.wait_for(timeout=60_000)
        page.get_by_test_id("stVegaLiteChart").first.wait_for(timeout=60_000)  # the heatmap
        wait_idle(page, 60_000)
        if width < 500 and page.get_by_test_id("stSidebarCollapseButton").is_visible():
            page.get_by_test_id("stSidebarCollapseButton").locator("button").first.click()
        _shot(page, f"first-run-heatmap-{width}")
        assert "Sign-in needed" not in page.inner_text("body")
    assert CODE.findall(log.read_text()) == [code], "printed once, at start"


@pytest.mark.parametrize("locale", ["nl-NL", "en-GB"])
def test_the_survey_opens_in_the_browsers_language(tmp_path: Path, locale: str) -> None:
    db_path = tmp_path / "lang.duckdb"
    database = Database(db_path, linger_s=0)
    with database.cursor() as con:
        create_campaign(con, "Taal", default_instrument(), campaign_id="taal")
    database.close()
    title = default_instrument().title[locale[:2]]
    with streamlit_server(db_path) as url, chromium(width=390, height=844, locale=locale) as page:
        page.goto(f"{url}/survey")
        expect_text(page, title)
