"""Every download goes through `pages.ui.web.download_button`, and the Streamlit parts the download guard relies on are still there.

The journey itself (nothing at `/media/` before the click, 404 once the tab is closed) is in
test_browser_downloads.py; these checks fail loudly when a page adds a plain `st.download_button` (which the
server would refuse to serve) or when an upgrade of Streamlit moves what the guard looks at.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import streamlit as st
from streamlit import runtime
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.media_file_storage import MediaFileKind
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from pages.ui import web

ROOT = Path(__file__).resolve().parent.parent
PLAIN_DOWNLOAD = re.compile(r"\bst\.download_button\(")


def test_every_download_button_is_bound_to_its_session() -> None:
    files = [ROOT / "app.py", *sorted((ROOT / "pages").rglob("*.py"))]
    found = [str(f.relative_to(ROOT)) for f in files if f.name != "web.py" and PLAIN_DOWNLOAD.search(f.read_text(encoding="utf-8"))]
    assert not found, f"use pages.ui.web.download_button (made on click, served only to its session): {found}"
    uses = [f for f in files if "web.download_button(" in f.read_text(encoding="utf-8")]
    assert len(uses) >= 3, "exports, backup and invite links are downloaded through the guard"


def test_streamlit_still_offers_what_the_download_guard_relies_on() -> None:
    assert "on_click" in inspect.signature(st.download_button).parameters
    assert callable(getattr(runtime.Runtime, "is_active_session", None))
    assert MediaFileKind.DOWNLOADABLE
    storage = MemoryMediaFileStorage("/media")
    manager = MediaFileManager(storage)
    assert manager.can_read_files
    file_id = storage.load_and_get_id(b"zip bytes", "application/zip", MediaFileKind.DOWNLOADABLE, "x.zip")
    found = manager.read_file(f"{file_id}.zip")
    assert found is not None and found.kind == MediaFileKind.DOWNLOADABLE and found.content == b"zip bytes"


def test_a_download_nobody_connected_asked_for_is_refused() -> None:
    """Without a connected session behind it (here: no server at all), no download is allowed."""
    web.ISSUED.add(b"backup", "session-that-closed")
    assert not web.ISSUED.allows(b"backup")
    assert not web.ISSUED.allows(b"never issued")
