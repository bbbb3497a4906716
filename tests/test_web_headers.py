"""The server the README starts (`streamlit run app.py`) sends its security headers, and no other site can frame it.

Real HTTP requests against a real `streamlit run`: the page, a page's own address, a static asset, the health
check and an unknown address all carry the headers; then a page on another origin (another loopback port)
puts the sign-in page in an iframe, and Chromium refuses to show it.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from harness.browser import chromium
from pages.ui.web import SECURITY_HEADERS
from tests.browser import streamlit_server


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with streamlit_server(tmp_path_factory.mktemp("headers") / "empty.duckdb") as url:
        yield url


def _headers(url: str) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}


def test_every_kind_of_response_carries_the_security_headers(app_url: str) -> None:
    with urllib.request.urlopen(app_url, timeout=30) as response:
        index = response.read().decode()
    script = re.search(r'src="\.?/?(static/js/[^"]+\.js)"', index)
    assert script, "the page names its JavaScript bundle"
    addresses = {
        "page": (app_url + "/", 200),
        "page address": (app_url + "/sign_in", 200),
        "static asset": (f"{app_url}/{script.group(1)}", 200),
        "health check": (app_url + "/_stcore/health", 200),
        "unknown media file": (app_url + "/media/no-such-file.zip", 404),
    }
    for what, (url, expected_status) in addresses.items():
        status, headers = _headers(url)
        assert status == expected_status, (what, status)
        for name, value in SECURITY_HEADERS.items():
            assert headers.get(name.lower()) == value, f"{what} ({url}): {name} is {headers.get(name.lower())!r}"
    assert "frame-ancestors 'self'" in SECURITY_HEADERS["Content-Security-Policy"]


@contextmanager
def _foreign_site(folder: Path, framed_url: str) -> Iterator[str]:
    """A page on another origin that shows `framed_url` in an iframe, as a clickjacking page would."""
    (folder / "index.html").write_text(f'<!doctype html><title>not the app</title><iframe id="victim" src="{framed_url}"></iframe>')
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.browser
def test_a_page_on_another_origin_cannot_show_the_app_in_a_frame(app_url: str, tmp_path: Path) -> None:
    with _foreign_site(tmp_path, f"{app_url}/sign_in") as foreign, chromium() as page:
        refused: list[str] = []
        page.on("console", lambda msg: refused.append(msg.text) if "frame-ancestors" in msg.text else None)
        page.goto(foreign, wait_until="load")
        frame = page.frame_locator("#victim")
        page.wait_for_function("() => document.getElementById('victim') !== null")
        child = next(f for f in page.frames if f is not page.main_frame)
        assert child.url.startswith("chrome-error://"), f"the framed app loaded: {child.url}"
        assert frame.locator('[data-testid="stApp"]').count() == 0
        assert refused, "Chromium names the frame-ancestors directive when it refuses the frame"
