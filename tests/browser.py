"""Browser journeys: the app started through the harness, and the waits and clicks every journey uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.server import streamlit_server as start


@contextmanager
def streamlit_server(db_path: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """`streamlit run app.py` on a free loopback port against `db_path`; yields the base URL."""
    with start(db_path, env=env, start_timeout_s=60) as server:
        yield server.url


def wait_idle(page: object, timeout: float = 20_000, quiet_ms: int = 600) -> None:
    """Wait until Streamlit has finished its rerun: no script running, no spinner, no status widget, for `quiet_ms` on end.

    A click's rerun starts a moment after the click, so "idle once" could be the moment before it; idle and
    unchanged for 0.6 s (at least what the old fixed sleeps waited) is the condition instead of them.
    """
    page.evaluate("window.__idleSince = undefined")  # quiet counts from now, never from before the click
    page.wait_for_function(
        """(quiet) => {
            const app = document.querySelector('[data-testid="stApp"]');
            const idle = app && app.getAttribute('data-test-script-state') !== 'running'
                && !document.querySelector('[data-testid="stSpinner"]')
                && !document.querySelector('[data-testid="stStatusWidget"]');
            const now = performance.now();
            if (!idle) { window.__idleSince = undefined; return false; }
            if (window.__idleSince === undefined) { window.__idleSince = now; }
            return now - window.__idleSince >= quiet;
        }""",
        arg=quiet_ms,
        timeout=timeout,
        polling=50,
    )


def wait_drawn(page: object, timeout: float = 15_000) -> None:
    """Wait until every chart and data grid on the page has drawn (they paint after the rerun ends), then one frame more.

    A shown chart is drawn when its canvas or SVG has a size; a shown data grid when its canvas exists. A page without
    either returns at once: no fixed sleep for pages that have nothing to paint.
    """
    page.wait_for_function(
        """() => {
            const sized = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
            const shown = (selector) => [...document.querySelectorAll(selector)].filter(sized);  // not in a closed expander
            const charts = shown('[data-testid="stVegaLiteChart"], .vega-embed');
            const grids = shown('[data-testid="stDataFrame"]');
            return charts.every((c) => [...c.querySelectorAll('canvas, svg')].some(sized))
                && grids.every((g) => g.querySelector('canvas'));
        }""",
        timeout=timeout,
        polling=100,
    )
    page.wait_for_timeout(200)


def expect_text(page: object, text: str, timeout: float = 60_000) -> None:
    """Wait for visible text; on a timeout the failure shows what the page said instead."""
    try:
        page.get_by_text(text).first.wait_for(timeout=timeout)
    except Exception as exc:  # Playwright's TimeoutError, re-raised with the page's own words
        shown = page.locator("body").inner_text()[:3000]
        raise AssertionError(f"{text!r} did not appear within {timeout / 1000:.0f} s; the page showed:\n{shown}") from exc


def click_button(page: object, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).last.click()
    wait_idle(page)


def answer_survey(page: object, instrument: object, lang: str, shot: object = None) -> None:
    """Walk a respondent through every step of the survey page already open in `page`, and submit."""
    words = {
        "en": ("Start the survey", "Next", "Submit my answers", "Thank you!"),
        "nl": ("Start de vragenlijst", "Volgende", "Verstuur mijn antwoorden", "Bedankt!"),
    }[lang]
    shot = shot or (lambda name: None)
    click_button(page, words[0])
    for attr in instrument.attributes.values():
        page.get_by_label(attr.label[lang]).click()
        page.get_by_role("option", name=next(iter(attr.options.values()))[lang]).click()
    shot("profile")
    click_button(page, words[1])
    for d, dim in enumerate(instrument.dimensions):
        page.get_by_text(dim.label[lang], exact=True).first.wait_for()
        for i, item in enumerate(dim.items):
            label = instrument.scale.labels[lang][(i + d) % 5]  # each radio is named by its label ("Agree"), not a number
            group = page.get_by_role("radiogroup", name=item.text[lang])
            assert group.get_by_role("radio", name=label, exact=True).count() == 1
            group.get_by_text(label, exact=True).click()
        if d == 0:
            shot("section")
        click_button(page, words[1])
    if instrument.value_at_stake:
        page.get_by_text(next(iter(instrument.value_at_stake.losses.values()))[lang]).click()
        shot("value")
        click_button(page, words[1])
    if instrument.targets or instrument.meta_perception:  # the outlook step: optional, left open here
        shot("outlook")
        click_button(page, words[1])
    shot("review")
    click_button(page, words[2])
    page.get_by_text(words[3]).wait_for()
    shot("thanks")
