"""Headless Chromium for tests and measurements: Debian's build through Playwright, every request off loopback refused."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium(width: int = 1280, height: int = 900, locale: str | None = None) -> Iterator[object]:
    """A Playwright page in Debian's Chromium, headless, with every request off loopback refused (`locale`: e.g. "nl-NL")."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = new_page(browser, width, height, locale=locale)
        try:
            yield page
        finally:
            page.context.close()
            browser.close()


def new_page(browser: object, width: int = 1280, height: int = 900, locale: str | None = None) -> object:
    """A page in a new context of `browser`: no cookies, storage or session shared with any other (a second person, or
    the same person on another device); every request off loopback refused. `locale` sets the browser's language."""
    context = browser.new_context(viewport={"width": width, "height": height}, **({"locale": locale} if locale else {}))
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(("http://127.0.0.1", "http://localhost", "data:", "blob:")) else route.abort()
        ),
    )
    return context.new_page()
