"""A respondent's comment carrying <script>, <img onerror> and Markdown tricks never runs, in any view that shows it.

One respondent submits the hostile comment through the survey in Chromium, and a second comment with what
Streamlit's Markdown would still make something of when escaped (a bare address, a `:material/…:` icon) and
a U+202E RIGHT-TO-LEFT OVERRIDE; then every view in VIEWS is opened and checked: the script did not run, no
element was injected, no link or icon was made of the text, and the comments read as the literal text that
was typed, in the order typed. A new view that shows respondent text gets one more entry in VIEWS.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import expect

from analysis.export import export
from analysis.scope import Scope
from harness.browser import chromium
from survey.instrument import default_instrument
from survey.store import Database
from tests.browser import streamlit_server, wait_idle
from tests.conftest import MakeDemo

pytestmark = pytest.mark.browser

MARKER = "xss-probe-7f3a"
PAYLOAD = (
    f'{MARKER} <script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
    " [click](javascript:window.__xss=3) ![pic](x) **bold** <b>tag</b>"
)
# Plain text in any view: no link from the bare addresses, no icon, and the override taken out, not obeyed.
MARKER_TEXT = "plain-probe-4c1d"
RLO = "\u202e"
TEXT_PAYLOAD = f"{MARKER_TEXT} see https://evil.example/login and www.evil.example :material/home: invoice {RLO}fdp.exe"
TEXT_SHOWN = TEXT_PAYLOAD.replace(RLO, "")
LEADER_PASSWORD = "leader password for xss"
INSTRUMENT = default_instrument()


def _inert(page: object, where: str) -> None:
    """Nothing from the comment ran or became markup."""
    state = page.evaluate(
        """() => ({
            xss: typeof window.__xss === 'undefined' ? null : window.__xss,
            imgs: document.querySelectorAll('img[src="x"]').length,
            js_links: [...document.querySelectorAll('a[href]')].filter(a => a.href.trim().toLowerCase().startsWith('javascript:')).length,
            scripts: [...document.scripts].filter(s => s.textContent.includes('__xss')).length,
        })"""
    )
    assert state == {"xss": None, "imgs": 0, "js_links": 0, "scripts": 0}, f"{where}: {state}"


def _plain_text(page: object, where: str) -> None:
    """The second comment: its words exactly, in typed order; no link, icon or reordering made of them."""
    page.get_by_text(MARKER_TEXT).first.wait_for(timeout=30_000)
    state = page.evaluate(
        """(marker) => {
            const holders = [...document.querySelectorAll('[data-testid="stText"], [data-testid="stMarkdownContainer"], blockquote.comment')]
                .filter(e => e.textContent.includes(marker));
            return {
                holders: holders.length,
                texts: holders.map(e => e.textContent),
                links: [...document.querySelectorAll('a[href]')].filter(a => a.href.includes('evil.example')).length,
                inner_links: holders.reduce((n, e) => n + e.querySelectorAll('a').length, 0),
                icons: holders.reduce((n, e) => n + e.querySelectorAll('[data-testid="stIconMaterial"], span[role="img"]').length, 0),
            };
        }""",
        MARKER_TEXT,
    )
    assert state["links"] == 0 and state["inner_links"] == 0, f"{where}: a link was made of a bare address: {state}"
    assert state["icons"] == 0, f"{where}: an icon was made of :material/home:: {state}"
    assert state["holders"] >= 1, f"{where}: the comment is not shown ({state})"
    for text in state["texts"]:
        assert RLO not in text, f"{where}: the right-to-left override reached the page"
        assert TEXT_SHOWN in text, f"{where}: not the typed words in typed order: {text!r}"


def _shows_literally(page: object, where: str) -> None:
    page.get_by_text(MARKER).first.wait_for(timeout=30_000)
    text = page.evaluate("() => document.body.innerText")
    assert "<script>window.__xss=1</script>" in text, f"{where}: the comment is not shown as the text typed"
    assert '<img src=x onerror="window.__xss=2">' in text, where


def _click(page: object, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).last.click()
    wait_idle(page)


def answer_with_hostile_comment(page: object, url: str) -> None:
    page.goto(f"{url}/survey")
    page.get_by_text(INSTRUMENT.title["en"]).wait_for(timeout=30_000)
    _inert(page, "survey intro")
    _click(page, "Start the survey")
    for attr_id, option in (("level", "shop_floor"), ("function", "production"), ("site", "venlo")):
        attr = INSTRUMENT.attributes[attr_id]
        page.get_by_label(attr.label["en"]).click()
        page.get_by_role("option", name=attr.options[option]["en"]).click()
    _click(page, "Next")
    first = INSTRUMENT.dimensions[0]
    for i, dim in enumerate(INSTRUMENT.dimensions):
        page.get_by_text(dim.label["en"], exact=True).first.wait_for()
        page.get_by_role("radiogroup", name=dim.items[0].text["en"]).get_by_text(INSTRUMENT.scale.labels["en"][2], exact=True).click()
        if i == 0:
            page.get_by_role("textbox", name=first.comment_prompt["en"]).fill(PAYLOAD)
        if i == 1:
            page.get_by_role("textbox", name=dim.comment_prompt["en"]).fill(TEXT_PAYLOAD)
        _click(page, "Next")
        _inert(page, f"after section {dim.id}")
    _click(page, "Next")  # value at stake: nothing chosen
    _click(page, "Next")  # the outlook: nothing chosen
    _inert(page, "review")
    # Back to the first section: the comment comes back into its text box as text.
    page.get_by_role("button", name="Change").first.click()
    wait_idle(page)
    expect(page.get_by_role("textbox", name=first.comment_prompt["en"])).to_have_value(PAYLOAD, timeout=20_000)
    _inert(page, "comment shown again for editing")
    for _ in INSTRUMENT.dimensions:
        _click(page, "Next")
    _click(page, "Next")  # value at stake
    _click(page, "Next")  # the outlook
    _click(page, "Submit my answers")
    page.get_by_text("Thank you!").wait_for()
    _inert(page, "thank-you page")


def comments_page(page: object, url: str, report: Path) -> None:
    """The leaders' comments page, reached by signing in (a page load would start a new session)."""
    page.goto(f"{url}/sign_in")
    page.get_by_label("Password", exact=True).fill(LEADER_PASSWORD)
    _click(page, "Sign in")
    page.get_by_text("signed in as").first.wait_for()
    page.get_by_role("link", name="Comments").click()
    wait_idle(page)
    page.get_by_label("Search").fill(MARKER)
    page.keyboard.press("Enter")
    wait_idle(page)
    _shows_literally(page, "comments page")
    _inert(page, "comments page")
    page.get_by_label("Search").fill(MARKER_TEXT)
    page.keyboard.press("Enter")
    wait_idle(page)
    _plain_text(page, "comments page")


def html_report(page: object, url: str, report: Path) -> None:
    """The self-contained HTML report, served from loopback like any file a leader opens."""
    with _serve(report.parent) as base:
        page.goto(f"{base}/{report.name}")
        _shows_literally(page, "HTML report")
        _inert(page, "HTML report")
        _plain_text(page, "HTML report")


# Every view that shows (or could show) respondent text: (name, opener). Extend when a new one appears.
VIEWS: list[tuple[str, Callable[[object, str, Path], None]]] = [
    ("comments page", comments_page),
    ("HTML report", html_report),
]


@contextmanager
def _serve(folder: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory: pytest.TempPathFactory, make_demo: MakeDemo) -> Iterator[tuple[str, Path, object]]:
    """A demo campaign (large enough for comments to pass the threshold) plus the hostile response, the app, a browser."""
    folder = tmp_path_factory.mktemp("xss")
    db_path = folder / "xss.duckdb"
    make_demo(150, seed=9, waves=1, into=db_path)
    env = {"COHERENCE_LEADER_HASH": PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(LEADER_PASSWORD)}
    dialogs: list[str] = []
    with streamlit_server(db_path, env=env) as url, chromium() as page:
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        answer_with_hostile_comment(page, url)
        report = folder / "report.html"
        with Database(db_path, linger_s=0, wait_s=60).cursor() as con:
            stored = con.execute("SELECT text FROM comments WHERE text LIKE ?", [f"{MARKER}%"]).fetchall()
            assert stored == [(PAYLOAD,)], "the comment is stored verbatim"
            stored = con.execute("SELECT text FROM comments WHERE text LIKE ?", [f"{MARKER_TEXT}%"]).fetchall()
            assert stored == [(TEXT_PAYLOAD,)], "the override is stored as typed: only its display is neutralised"
            export(con, "html", report, Scope("demo"), role="leader", actor="xss test")
        yield url, report, page
    assert dialogs == [], f"an alert/confirm/prompt was opened: {dialogs}"


@pytest.mark.parametrize("name, opener", VIEWS, ids=[name for name, _ in VIEWS])
def test_hostile_comment_stays_text(hostile_app: tuple[str, Path, object], name: str, opener) -> None:
    url, report, page = hostile_app
    opener(page, url, report)
