"""In a real Chromium: "you said, we did" signed out on a phone shows what was published and nothing else; workshop mode moves with the arrow keys."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from harness.browser import chromium
from survey.publication import publish
from tests.browser import expect_text, streamlit_server, wait_idle
from tests.conftest import MakeDemo, open_cursor
from tests.test_publication import PUBLIC_TITLE, SECRET_TITLE, add_actions

pytestmark = pytest.mark.browser
PASSWORD = "facilitator-pass-123"


@pytest.fixture(scope="module")
def server(make_demo: MakeDemo, tmp_path_factory: pytest.TempPathFactory):
    path = make_demo(60, seed=7, waves=1, into=tmp_path_factory.mktemp("public") / "demo.duckdb")
    with open_cursor(path) as con:
        add_actions(con)
        publish(con, "demo", 1, ["strategy"], "level", actor="leader")
        comments = [text for (text,) in con.execute("SELECT text FROM comments").fetchall()]
    env = {"COHERENCE_FACILITATOR_HASH": PasswordHasher(time_cost=2, memory_cost=19 * 1024).hash(PASSWORD)}
    with streamlit_server(path, env) as url:
        yield url, comments


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_signed_out_phone_sees_the_published_actions_and_results_only(server, lang: str) -> None:
    url, comments = server
    with chromium(width=390, height=2400) as page:
        page.goto(f"{url}/you_said_we_did?c=demo&lang={lang}")
        expect_text(page, PUBLIC_TITLE)
        expect_text(page, {"en": "What you told us", "nl": "Wat jullie ons vertelden"}[lang])
        wait_idle(page, 60_000)
        body = page.inner_text("body")
        assert SECRET_TITLE not in body and "Sign-in needed" not in body
        assert all(comment not in body for comment in comments)
        assert {"en": "Board / executive team", "nl": "Bestuur / directieteam"}[lang] not in body  # below the threshold
        assert "€" not in body
        menu = page.get_by_test_id("stSidebar").inner_text() if page.get_by_test_id("stSidebar").count() else ""
        assert "Overview" not in menu and "Workshop" not in menu
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, "readable on a phone: nothing wider than the screen"


def test_workshop_moves_with_the_arrow_keys(server) -> None:
    url, _ = server
    with chromium(width=1440, height=900) as page:
        page.goto(f"{url}/sign_in")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("You are signed in as").wait_for(timeout=30_000)
        page.get_by_test_id("stSidebar").get_by_role("link").filter(has_text="Workshop").first.click()
        expect_text(page, "1 of 6")
        wait_idle(page, 60_000)
        page.keyboard.press("ArrowRight")
        expect_text(page, "What the numbers say")
        expect_text(page, "2 of 6")
        page.keyboard.press("ArrowRight")
        wait_idle(page, 60_000)
        expect_text(page, "3 of 6")
        page.keyboard.press("ArrowLeft")
        wait_idle(page, 60_000)
        expect_text(page, "2 of 6")
