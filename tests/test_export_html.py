"""The HTML report: one self-contained file under a strict CSP, user text escaped; in Chromium it draws every chart offline."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from pathlib import Path

import pytest

from analysis.export import export
from analysis.scope import Scope
from harness.browser import CHROMIUM, CHROMIUM_ARGS
from survey.campaigns import create_campaign
from survey.store import Database
from tests.conftest import MakeDemo
from tests.test_export_data import SCRIPT_LABEL, SECRET_COMMENT, XSS, build_small_group_campaign

INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)
STYLE = re.compile(r"<style>(.*?)</style>", re.S)
CSP = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">')


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory, make_demo: MakeDemo) -> dict[str, tuple[Path, object]]:
    """The demo report (two waves, so with a trend), the hostile one and an empty one, exported once for the module."""
    folder = tmp_path_factory.mktemp("html")
    database = Database(make_demo(300, seed=6, waves=2, into=folder / "x.duckdb"), linger_s=0)
    out: dict[str, tuple[Path, object]] = {}
    with database.cursor() as con:
        build_small_group_campaign(con)
        create_campaign(con, "Nobody yet", campaign_id="empty")
        for name, scope in (("demo", Scope("demo")), ("hostile", Scope("hostile")), ("empty", Scope("empty"))):
            path = folder / f"{name}.html"
            out[name] = (path, export(con, "html", path, scope))
    database.close()
    return out


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def test_the_report_is_one_file_that_names_no_outside_resource(reports: dict) -> None:
    path, result = reports["demo"]
    html = path.read_text(encoding="utf-8")
    assert result.files == (path,) and len(html) > 900_000  # the chart libraries travel inside
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", html, re.I)
    assert "<link" not in html and "<script src" not in html and "@import" not in html
    assert "window.vegaEmbed" in html


def test_the_csp_allows_exactly_the_inline_script_and_style_by_hash(reports: dict) -> None:
    html = reports["demo"][0].read_text(encoding="utf-8")
    content = unescape(CSP.search(html).group(1))  # the attribute is HTML-escaped; the browser reads it unescaped
    policy = dict(p.strip().split(" ", 1) for p in content.split(";"))
    assert policy["default-src"] == "'none'" and policy["connect-src"] == "'none'" and policy["img-src"] == "'none'"
    assert policy["base-uri"] == "'none'" and policy["form-action"] == "'none'" and policy["object-src"] == "'none'"
    assert "unsafe" not in content and "http" not in content and "*" not in content
    scripts = INLINE_SCRIPT.findall(html)
    assert len(scripts) == 2 and sorted(policy["script-src"].split()) == sorted(_sha(s) for s in scripts)
    assert policy["style-src"] == _sha(STYLE.search(html).group(1))
    assert html.index("Content-Security-Policy") < html.index("<style>") < html.index("<script")


def test_comments_labels_and_names_are_escaped_and_cannot_close_a_script(reports: dict) -> None:
    html = reports["hostile"][0].read_text(encoding="utf-8")
    page = INLINE_SCRIPT.sub("<script></script>", html)  # the page without the chart libraries' own code
    assert XSS not in html and "<img" not in page and "onerror=" not in page.replace("onerror=&#34;", "")
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;&lt;img src=x onerror=&#34;window.__xss=2&#34;&gt;" in html
    assert SCRIPT_LABEL not in html
    assert html.count("</script>") == html.count("<script")  # no label or comment closes a script block early
    assert "=cmd|&#39; /C calc&#39;!A0 &lt;b&gt;Plant &amp; Co&lt;/b&gt;" in html
    assert SECRET_COMMENT not in html


def test_the_report_explains_the_threshold_and_holds_every_dimension_and_the_comments(reports: dict) -> None:
    html = reports["demo"][0].read_text(encoding="utf-8")
    assert "No number, chart mark or table cell describes fewer than 5 respondents" in html
    assert "comments are shown only for groups of at least 10" in html
    for label in ("Strategy", "Operations", "Governance", "Leadership", "IT/OT"):
        assert f"<h3>{label}</h3>" in html  # a comment block per dimension
    assert "@media print" in html and "@page" in html
    assert set(reports["demo"][1].charts) >= {
        "heatmap_dimensions",
        "heatmap_items",
        "gaps_dimensions",
        "gaps_items",
        "value_at_stake",
        "trend",
    }


def test_zero_responses_is_a_valid_report_with_a_note_and_no_script(reports: dict) -> None:
    path, result = reports["empty"]
    html = path.read_text(encoding="utf-8")
    assert result.empty and result.charts == ()
    assert "No responses in this wave yet: there are no results to show." in html
    assert "script-src 'none'" in unescape(html) and "<script>" not in html and html.rstrip().endswith("</html>")


@contextmanager
def _offline_page() -> Iterator[tuple[object, list[str], list[str]]]:
    """A Chromium page that may read file:// only: every other request is aborted and counted; console errors collected."""
    from playwright.sync_api import sync_playwright

    network: list[str] = []
    errors: list[str] = []

    def route(r: object) -> None:
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            network.append(r.request.url)
            r.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.route("**/*", route)
        page = context.new_page()
        page.on("request", lambda req: None if req.url.startswith("file://") else network.append(req.url))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            yield page, network, errors
        finally:
            context.close()
            browser.close()


def _drawn(page: object) -> list[tuple[str, int]]:
    page.wait_for_function("() => [...document.querySelectorAll('[data-spec]')].every(e => e.getAttribute('data-drawn'))", timeout=60_000)
    return page.evaluate(
        "() => [...document.querySelectorAll('[data-spec]')].map(e => [e.getAttribute('data-drawn'), e.querySelectorAll('svg .mark-rect path, svg .mark-rect rect, svg path').length])"
    )


@pytest.mark.browser
def test_every_chart_draws_offline_without_a_single_network_request_or_console_error(reports: dict) -> None:
    path, result = reports["demo"]
    with _offline_page() as (page, network, errors):
        page.goto(path.as_uri())
        drawn = _drawn(page)
        assert len(drawn) == len(result.charts) >= 12
        assert all(state == "yes" and marks > 0 for state, marks in drawn), drawn
        heat = page.locator('[data-spec="spec-heatmap_dimensions"] svg')
        assert heat.locator("text", has_text="Board / executive team").count() == 1
        pdf = page.pdf(format="A4", print_background=True)
    assert network == [] and errors == []
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") > 5


@pytest.mark.browser
def test_hostile_text_never_runs_and_shows_as_text(reports: dict) -> None:
    path, _ = reports["hostile"]
    with _offline_page() as (page, network, errors):
        page.goto(path.as_uri())
        drawn = _drawn(page)
        assert drawn and all(state == "yes" for state, _ in drawn)
        assert page.evaluate("() => window.__xss") is None
        assert page.get_by_text(XSS).count() == 15  # one block per shop-floor comment, shown as written
        assert page.locator("svg text", has_text=SCRIPT_LABEL).count() > 0  # the hostile site label drawn as a chart label
    assert network == [] and errors == []


def test_every_table_scrolls_inside_its_own_wrapper_on_a_phone(reports: dict) -> None:
    """At 390 px a wide table scrolls on its own; one outside a wrapper (trend, participation, closure) widened the whole page."""
    html = reports["demo"][0].read_text(encoding="utf-8")
    body = re.sub(r"<script.*?</script>", "", html, flags=re.S)  # the chart library's own strings are no tables
    before = re.findall(r"(\S*)\s*<table[ >]", body)
    assert len(before) >= 5
    assert all(b == 'class="table-wrap">' for b in before), before
