"""Invite links, backups and exports exist at a `/media/` address only after their click, and only while that tab is open.

A facilitator in Chromium creates invite links, a backup and an answer-row export. Before each download
button is clicked, the server has served no file for download; after the click the file is at its address
(fetched again from outside the browser, byte for byte); once the tab is closed, every one of those
addresses answers 404, although Streamlit itself would keep such files for minutes.
"""

from __future__ import annotations

import io
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from harness.browser import chromium
from tests.browser import click_button, expect_text, streamlit_server, wait_idle
from tests.conftest import MakeDemo

pytestmark = pytest.mark.browser
PASSWORD = "facilitator-pass-789"
ROWS_PASSWORD = "row-level-pass-456"


def _status(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def _open_from_menu(page: object, label: str, heading: str) -> None:
    page.get_by_test_id("stSidebar").get_by_role("link").filter(has_text=label).first.click()
    page.get_by_role("heading", name=heading).first.wait_for(timeout=60_000)
    wait_idle(page, 60_000)


def test_downloads_appear_on_click_and_vanish_with_their_session(tmp_path: Path, make_demo: MakeDemo) -> None:
    db_path = tmp_path / "downloads.duckdb"
    make_demo(60, seed=4, waves=1, into=db_path)
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    env = {"COHERENCE_FACILITATOR_HASH": weak.hash(PASSWORD), "COHERENCE_ROW_LEVEL_HASH": weak.hash(ROWS_PASSWORD)}
    served: list[str] = []  # every download the server handed to the browser, in order
    fetched: dict[str, bytes] = {}
    with streamlit_server(db_path, env) as url, chromium() as page:
        page.on(
            "response",
            lambda r: served.append(r.url) if "/media/" in r.url and "attachment" in (r.headers.get("content-disposition") or "") else None,
        )
        page.goto(f"{url}/sign_in")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        click_button(page, "Sign in")
        expect_text(page, "You are signed in as")

        steps = [
            ("Invites", "Invites", "Create links", "Download links, QR codes and print sheet (.zip)"),
            ("Data", "Data and audit", "Create backup", "Download backup (.zip)"),
            ("Exports", "Exports", "Create export", "Download Answer rows, long format (CSV)"),
        ]
        for menu, heading, create, download in steps:
            _open_from_menu(page, menu, heading)
            if menu == "Data":  # a backup and answer rows are row-level data: switch the permission on first
                page.get_by_label("Why do you need the answer rows?").fill("Checking downloads in a browser test")
                page.get_by_label("Row-level password", exact=True).fill(ROWS_PASSWORD)
                click_button(page, "Switch on row-level data")
            if menu == "Exports":
                page.get_by_text("Answer rows, long format (CSV)").click()
                wait_idle(page)
            click_button(page, create)
            page.get_by_role("button", name=download).wait_for(timeout=60_000)
            wait_idle(page)
            assert served == list(fetched), f"{menu}: a file was served for download before its button was clicked"
            with page.expect_download(timeout=60_000) as info:
                page.get_by_role("button", name=download).click()
            media_url = info.value.url
            assert "/media/" in media_url, media_url
            status, body = _status(media_url)
            assert status == 200, f"{menu}: the download is not at its address while its session is open"
            assert body == Path(info.value.path()).read_bytes()
            fetched[media_url] = body
            wait_idle(page)
        assert set(served) == set(fetched)

        with zipfile.ZipFile(io.BytesIO(fetched[next(iter(fetched))])) as links:
            assert any(
                "/survey?invite=" in links.read(n).decode("utf-8", "replace") for n in links.namelist() if n.endswith((".csv", ".txt"))
            )

        page.close()  # the session that asked ends
        deadline = time.monotonic() + 30
        left = dict.fromkeys(fetched)
        while left and time.monotonic() < deadline:
            left = {u: None for u in left if _status(u)[0] != 404}
            time.sleep(0.2)
        assert not left, f"still downloadable after the tab was closed: {list(left)}"
