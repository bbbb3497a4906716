"""Accessibility in a real Chromium: axe-core on every page (signed out, as leader and as facilitator, EN and NL),
and the survey completed with the keyboard alone.

axe-core comes bundled with axe-playwright-python (nothing is downloaded). Only serious and critical findings
fail a test; `A11Y_REPORT=path.json` writes every page's findings for the record (ACCESSIBILITY.md).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from harness.browser import chromium
from pages.ui import common
from survey.instrument import default_instrument
from tests.browser import click_button, expect_text, streamlit_server, wait_drawn, wait_idle
from tests.conftest import MakeDemo

pytestmark = pytest.mark.browser
REPORT = os.environ.get("A11Y_REPORT")
PASSWORDS = {"leader": "leader-pass-1234", "facilitator": "facilitator-pass-123"}
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}
BLOCKING = ("serious", "critical")
DASHBOARD = {
    "leader": [
        "Overview",
        "Gaps",
        "Blind spots and ambition",
        "Item detail",
        "Value at stake",
        "Comments",
        "Trends",
        "Actions",
        "Exports",
        "Workshop",
        "Publish",
        "You said, we did",
    ],
    "facilitator": [
        "Overview",
        "Gaps",
        "Blind spots and ambition",
        "Item detail",
        "Value at stake",
        "Comments",
        "Trends",
        "Actions",
        "Workshop",
        "Publish",
        "You said, we did",
        "Campaigns",
        "Invites",
        "Import",
        "Exports",
        "Data and audit",
    ],
}
WORDS = {
    "en": ("Start the survey", "Next", "Submit my answers", "Thank you!"),
    "nl": ("Start de vragenlijst", "Volgende", "Verstuur mijn antwoorden", "Bedankt!"),
}


def audit(page: object) -> list[str]:
    """Serious and critical axe-core findings on the page as it is now: 'rule (impact): element' per failing node."""
    from axe_playwright_python.sync_playwright import Axe

    wait_idle(page, 60_000)
    wait_drawn(page)  # charts and data grids draw after the rerun ends
    results = Axe().run(page, options=WCAG_AA).response
    return [
        f"{v['id']} ({v['impact']}): {' '.join(map(str, node['target']))}"
        for v in results["violations"]
        if v["impact"] in BLOCKING
        for node in v["nodes"]
    ]


def _record(found: dict[str, list[str]], name: str) -> None:
    if REPORT:
        path = Path(REPORT)
        old = json.loads(path.read_text()) if path.exists() else {}
        path.write_text(json.dumps({**old, **{name: found}}, indent=1, ensure_ascii=False))


@pytest.fixture(scope="module")
def server(make_demo: MakeDemo):
    path = make_demo(400, seed=5, waves=2)
    hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024)
    env = {
        "COHERENCE_LEADER_HASH": hasher.hash(PASSWORDS["leader"]),
        "COHERENCE_FACILITATOR_HASH": hasher.hash(PASSWORDS["facilitator"]),
    }
    with streamlit_server(path, env) as url:
        yield url


def _walk_survey(page: object, url: str, lang: str, found: dict[str, list[str]], kiosk: bool = False) -> None:
    instrument = default_instrument()
    page.goto(f"{url}/survey" + ("?kiosk=1" if kiosk else ""))
    expect_text(page, instrument.title["en"])
    if lang == "nl":
        page.get_by_text("Nederlands", exact=True).click()
        wait_idle(page)
        expect_text(page, instrument.title["nl"])
    tag = f"{'kiosk' if kiosk else 'survey'} {lang}"
    found[f"{tag}: intro"] = audit(page)
    click_button(page, WORDS[lang][0])
    for attr in instrument.attributes.values():
        page.get_by_label(attr.label[lang]).click()
        page.get_by_role("option", name=next(iter(attr.options.values()))[lang]).click()
    found[f"{tag}: profile"] = audit(page)
    click_button(page, WORDS[lang][1])
    for dim in instrument.dimensions:
        page.get_by_text(dim.label[lang], exact=True).first.wait_for()
        found[f"{tag}: section {dim.id}"] = audit(page)
        click_button(page, WORDS[lang][1])  # unanswered items are allowed: they count as open
    if instrument.value_at_stake:
        found[f"{tag}: value at stake"] = audit(page)
        click_button(page, WORDS[lang][1])
    if instrument.targets or instrument.meta_perception:
        found[f"{tag}: outlook"] = audit(page)
        click_button(page, WORDS[lang][1])
    found[f"{tag}: review"] = audit(page)
    click_button(page, WORDS[lang][2])
    expect_text(page, WORDS[lang][3])
    found[f"{tag}: thank you"] = audit(page)


# Each language once and each width once (a desktop in English, a phone in Dutch): the four combinations found the same
# things, and each walk through the survey and the kiosk takes a minute and a half.
@pytest.mark.parametrize(("width", "lang"), [(1280, "en"), (390, "nl")])
def test_signed_out_pages_have_no_serious_findings(server: str, lang: str, width: int) -> None:
    found: dict[str, list[str]] = {}
    with chromium(width=width, height=900) as page:
        page.goto(server)
        expect_text(page, "Coherence Scan")
        found["home"] = audit(page)
        page.goto(f"{server}/sign_in")
        page.get_by_label("Password", exact=True).wait_for(timeout=30_000)
        found["sign in"] = audit(page)
        _walk_survey(page, server, lang, found)
        _walk_survey(page, server, lang, found, kiosk=True)
    found = {f"{name} @{width}": v for name, v in found.items()}
    _record(found, f"signed out {lang} {width}")
    assert not {name: v for name, v in found.items() if v}


def _open(page: object, label: str) -> None:
    """Open the page the menu names `label` in English, by its address: once Dutch is chosen the menu reads Dutch."""
    path = next(p for p, name, _, _ in common.MENU if name == label)
    href = "" if path == "app.py" else Path(path).stem.split("_", 1)[1]
    expand = page.get_by_test_id("stExpandSidebarButton")
    if expand.is_visible():
        expand.click()
    page.get_by_test_id("stSidebar").locator(f'a[href="{href}"]').first.click()
    wait_idle(page, 60_000)


# The facilitator opens every page a leader does and more: a leader in English and a facilitator in Dutch cover every
# page in both languages.
@pytest.mark.parametrize(("who", "lang"), [("leader", "en"), ("facilitator", "nl")])
def test_signed_in_pages_have_no_serious_findings(server: str, who: str, lang: str) -> None:
    found: dict[str, list[str]] = {}
    with chromium(width=1280, height=900) as page:
        page.goto(f"{server}/sign_in")
        page.get_by_label("Password", exact=True).fill(PASSWORDS[who])
        page.get_by_role("button", name="Sign in").click()
        expect_text(page, "You are signed in as")
        found["sign in (signed in)"] = audit(page)
        _open(page, "Home")
        found["home (signed in)"] = audit(page)
        for label in DASHBOARD[who]:
            _open(page, label)
            body = page.inner_text("body")
            assert "Sign-in needed" not in body and "Something went wrong" not in body, label
            switch = page.get_by_test_id("stSidebar").get_by_role("radio", name="Nederlands", exact=True)
            if lang == "nl" and switch.count():  # the dashboards' label language (a segmented control: its options are radios)
                switch.first.click()
                wait_idle(page, 60_000)
            found[label] = audit(page)
    _record(found, f"{who} {lang}")
    assert not {name: v for name, v in found.items() if v}


def test_the_html_report_has_no_serious_findings(make_demo: MakeDemo, tmp_path: Path) -> None:
    """The workshop report opened from disk, as a facilitator mails it: its charts are named images, its tables plain."""
    from analysis.export import export
    from analysis.scope import Scope
    from tests.conftest import open_cursor

    found: dict[str, list[str]] = {}
    with open_cursor(make_demo(400, seed=5, waves=2, into=tmp_path / "report.duckdb")) as con:
        for lang in ("en", "nl"):
            export(con, "html", tmp_path / f"report-{lang}.html", Scope("demo"), lang=lang)
    with chromium(width=1280, height=900) as page:
        for lang in ("en", "nl"):
            page.set_content((tmp_path / f"report-{lang}.html").read_text(encoding="utf-8"))  # all inlined: nothing to fetch
            page.wait_for_timeout(2000)
            from axe_playwright_python.sync_playwright import Axe

            results = Axe().run(page, options=WCAG_AA).response
            found[f"HTML report {lang}"] = [
                f"{v['id']} ({v['impact']}): {' '.join(map(str, n['target']))}"
                for v in results["violations"]
                if v["impact"] in BLOCKING
                for n in v["nodes"]
            ]
    _record(found, "html report")
    assert not {name: v for name, v in found.items() if v}
