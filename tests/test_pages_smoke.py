"""Every page runs without an exception, signed in as facilitator, on an empty database and on the demo."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_pages import open_page
from tests.conftest import MakeDemo

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py") if p.name != "__init__.py")


@pytest.fixture(scope="module")
def demo_db(make_demo: MakeDemo) -> Path:
    return make_demo(300, seed=3, waves=2)


@pytest.mark.parametrize("page", ["app.py", *PAGES])
@pytest.mark.parametrize("data", ["empty", "demo"])
def test_page_runs_cleanly(page: str, data: str, demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COHERENCE_DB", str(demo_db if data == "demo" else tmp_path / "empty.duckdb"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["role"] = "facilitator"
    at.run()
    if page != "app.py":
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]


def test_broken_instrument_is_listed_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import survey.instrument

    monkeypatch.setenv("COHERENCE_DB", str(tmp_path / "fresh.duckdb"))
    monkeypatch.setattr(survey.instrument, "DEFAULT_INSTRUMENT_PATH", ROOT / "tests" / "data" / "instruments" / "missing_nl_text.yaml")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["role"] = "facilitator"
    at.run()
    at.button(key="start_empty").click().run()
    assert not at.exception
    assert any("problem(s)" in e.value for e in at.error)
    assert any(".nl: missing" in c.value for c in at.code)


def test_the_server_moves_its_startup_objects_out_of_the_collectors_sight(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After the first page, a full garbage collection no longer walks pandas', scipy's and DuckDB's objects (gc.freeze)."""
    import gc

    monkeypatch.setenv("COHERENCE_DB", str(tmp_path / "empty.duckdb"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert gc.get_freeze_count() > 50_000


def test_pages_are_found_once_per_server_and_every_page_still_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_demo: MakeDemo
) -> None:
    """The page list is built once (no folder listing and file checks on every rerun), with every page and in Streamlit's order."""
    from streamlit.runtime.scriptrunner import script_runner

    from pages.ui import page_index

    db = tmp_path / "demo.duckdb"
    make_demo(40, seed=3, waves=1, into=db)
    at = open_page("pages/2_overview.py", db, monkeypatch, role="leader")
    assert script_runner._mpa_v1 is page_index._run_pages
    main = str(ROOT / "app.py")
    found = page_index._pages(main)
    assert page_index._pages(main) is found
    expected = sorted(p.name for p in (ROOT / "pages").glob("*.py") if p.name != "__init__.py")
    assert sorted(Path(str(p._page)).name for p in found[1:]) == expected
    assert found[0]._default and not any(p._default for p in found[1:])
    assert any("Overview" in t.value for t in at.title)
    for page in ("pages/3_gaps.py", "pages/6_comments.py", "pages/1_survey.py"):
        at.switch_page(page)
        at.run()
        assert not at.exception, (page, [e.value for e in at.exception])
    assert page_index._pages(main) is found
