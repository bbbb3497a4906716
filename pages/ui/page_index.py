"""The app's list of pages, found once per server instead of on every rerun.

With a `pages/` folder Streamlit 1.67 rebuilds its navigation on every script run: it lists the folder and
resolves and stats every page file (about 70 file-system calls for our 14 pages; streamlit/streamlit#10276
notes this is not cached). Each call lets go of the GIL and must wait to get it back, so with 400
respondents those waits, not work, held reruns up for hundreds of milliseconds (the load test's p99).
`install()` swaps in the same steps with the page list built once per main script; each run gets
fresh copies of those pages, because navigation marks them as it runs. A page added while the server runs
appears after a restart, as with the file watcher already off in production (`.streamlit/config.toml`).
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Literal

from streamlit import config
from streamlit.commands.navigation import _navigation
from streamlit.navigation.page import Page, _create_page
from streamlit.runtime.scriptrunner import script_runner
from streamlit.source_util import page_sort_key

_FOUND: dict[str, tuple[Page, ...]] = {}
_LOCK = threading.Lock()


def _pages(main_script_path: str) -> tuple[Page, ...]:
    """The main script and every `pages/*.py` beside it, as Streamlit's own legacy multipage mode finds them."""
    with _LOCK:
        found = _FOUND.get(main_script_path)
        if found is None:
            main = Path(main_script_path).resolve()
            folder = main.parent / "pages"
            scripts = sorted(
                (p for p in folder.glob("*.py") if not p.name.startswith(".") and p.name != "__init__.py"),
                key=page_sort_key,
            )
            found = _FOUND[main_script_path] = (_create_page(main, default=True), *(_create_page(folder / p.name) for p in scripts))
    return found


def _run_pages(main_script_path: str) -> None:
    """What Streamlit runs for an app with a `pages/` folder, with the pages found once."""
    position: Literal["sidebar", "hidden"] = "hidden" if config.get_option("client.showSidebarNavigation") is False else "sidebar"
    pages = [copy.copy(page) for page in _pages(main_script_path)]
    _navigation(pages, position=position, expanded=False).run()


def install() -> None:
    """Use the once-found page list from the next script run on."""
    script_runner._mpa_v1 = _run_pages
