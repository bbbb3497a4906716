"""Leaders and facilitators in a real Chromium: sign in, open every page they may, see no error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from harness.browser import chromium
from tests.browser import streamlit_server, wait_idle
from tests.conftest import MakeDemo

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SCREENSHOTS")
PASSWORD = "facilitator-pass-123"
PAGES = ["overview", "gaps", "items", "value", "comments", "trends", "campaigns", "invites", "import", "exports", "data"]


@pytest.fixture(scope="module")
def demo_server(make_demo: MakeDemo):
    path = make_demo(400, seed=5, waves=2)
    env = {"COHERENCE_FACILITATOR_HASH": PasswordHasher(time_cost=2, memory_cost=19 * 1024).hash(PASSWORD)}
    with streamlit_server(path, env) as url:
        yield url


def _sign_in(page: object, url: str) -> None:
    page.goto(f"{url}/sign_in")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("You are signed in as").wait_for(timeout=30_000)


@pytest.mark.parametrize("width", [1280, 390])
def test_every_page_renders_for_a_facilitator(demo_server: str, width: int) -> None:
    with chromium(width=width, height=900) as page:
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "vega" in msg.text.lower() else None)
        _sign_in(page, demo_server)
        for name in PAGES:
            assert list((Path(__file__).resolve().parent.parent / "pages").glob(f"*_{name}.py")), f"no page file for {name}"
            # Navigate inside the app (a full reload would start a new, signed-out session).
            expand = page.get_by_test_id("stExpandSidebarButton")
            if expand.is_visible():
                expand.click()
            page.get_by_test_id("stSidebarNav").or_(page.get_by_test_id("stSidebar")).get_by_role("link").filter(
                has_text=_LABELS[name]
            ).first.click()
            page.get_by_role("heading", name=_TITLES.get(name, _LABELS[name])).first.wait_for(timeout=60_000)
            wait_idle(page, 60_000)
            if width < 500 and page.get_by_test_id("stSidebarCollapseButton").is_visible():
                page.get_by_test_id("stSidebarCollapseButton").locator("button").first.click()
                page.wait_for_timeout(500)
            body = page.inner_text("body")
            assert "Traceback" not in body and "Something went wrong" not in body, f"{name}: {body[:500]}"
            assert "Sign-in needed" not in body, name
            if SHOTS:
                page.wait_for_timeout(2500)  # canvases (charts, tables) draw after the rerun ends
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(Path(SHOTS) / f"page-{name}-{width}.png"), full_page=True)
        assert not errors


_LABELS = {
    "overview": "Overview",
    "gaps": "Gaps",
    "items": "Item detail",
    "value": "Value at stake",
    "comments": "Comments",
    "trends": "Trends",
    "campaigns": "Campaigns",
    "invites": "Invites",
    "import": "Import",
    "exports": "Exports",
    "data": "Data and audit",
}
_TITLES = {"import": "Import responses"}
