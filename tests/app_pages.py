"""Opening one page of the real app through AppTest, signed in with a role, on a given database file."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def open_page(
    page: str,
    db: Path | None = None,
    monkeypatch: pytest.MonkeyPatch | None = None,
    role: str | None = "facilitator",
    timeout: float = 60,
    *,
    params: dict[str, str] | None = None,
    state: dict[str, object] | None = None,
) -> AppTest:
    """app.py first (as a browser would land), then `page` through the app's navigation; asserts it ran cleanly.

    `db` (with `monkeypatch`) points the app at a file, `role` None opens it signed out, `params` are the URL's
    query parameters and `state` further session values.
    """
    if db is not None and monkeypatch is not None:
        monkeypatch.setenv("COHERENCE_DB", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    if role:
        at.session_state["role"] = role
    for key, value in (state or {}).items():
        at.session_state[key] = value
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    if page != "app.py":
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def switch_on_row_level(at: AppTest, password: str, reason: str = "statistics for the works council") -> AppTest:
    """On the Data and audit page, as a facilitator would: a reason, the row-level password, the switch."""
    at.switch_page("pages/13_data.py")
    at.run()
    at.text_input(key="rows_reason").input(reason)
    at.text_input(key="rows_password").input(password)
    at.button(key="rows_grant").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at
