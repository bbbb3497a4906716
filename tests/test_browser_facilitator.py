"""A facilitator creates a campaign, a respondent answers through its open link, the facilitator sees the count rise."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher

from harness.browser import chromium
from survey.instrument import default_instrument
from tests.browser import answer_survey, click_button, expect_text, streamlit_server, wait_idle

pytestmark = pytest.mark.browser
PASSWORD = "facilitator-pass-456"


def _open_from_menu(page: object, label: str, heading: str) -> None:
    page.get_by_test_id("stSidebar").get_by_role("link").filter(has_text=label).first.click()
    page.get_by_role("heading", name=heading).first.wait_for(timeout=60_000)
    wait_idle(page, 60_000)


def test_create_campaign_share_link_respond_and_watch_the_count(tmp_path: Path) -> None:
    env = {"COHERENCE_FACILITATOR_HASH": PasswordHasher(time_cost=2, memory_cost=19 * 1024).hash(PASSWORD)}
    instrument = default_instrument()
    with streamlit_server(tmp_path / "journey.duckdb", env) as url, chromium() as page:
        page.goto(f"{url}/sign_in")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        click_button(page, "Sign in")
        expect_text(page, "You are signed in as")

        _open_from_menu(page, "Campaigns", "Campaigns")
        wait_idle(page)
        page.get_by_text("New campaign").click()
        page.get_by_label("Name").wait_for(timeout=30_000)
        wait_idle(page)
        # Commit the typed name (Tab leaves the field) and let that rerun end before the click, or a loaded machine can
        # send the click while the form is drawn again and lose it.
        page.get_by_label("Name").fill("Line 4 pilot scan")
        page.get_by_label("Name").press("Tab")
        wait_idle(page)
        click_button(page, "Create campaign")
        expect_text(page, "is open with wave 1")

        _open_from_menu(page, "Invites", "Invites")
        page.get_by_role("tab", name="Open link & poster").click()
        link = page.get_by_test_id("stCode").filter(has_text="/survey?c=").first.inner_text().strip()
        assert link.endswith("/survey?c=line-4-pilot-scan")

        phone_context = page.context.browser.new_context(viewport={"width": 390, "height": 844})
        phone = phone_context.new_page()
        phone.goto(link.replace("http://localhost:8501", url))
        phone.get_by_text(instrument.title["en"]).wait_for(timeout=30_000)
        answer_survey(phone, instrument, "en")
        phone_context.close()

        _open_from_menu(page, "Campaigns", "Campaigns")
        page.get_by_role("tab", name="Live progress").click()
        page.get_by_test_id("stMetric").filter(has_text="Responses").get_by_text("1", exact=True).wait_for(timeout=30_000)
