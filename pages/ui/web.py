"""What our server adds to Streamlit's: security headers on every response, and downloads only their session can fetch.

`streamlit run app.py` finds the `st.App` in app.py and serves it with `MIDDLEWARE` around Streamlit's own
(Streamlit's documented way to add middleware; it has no setting for response headers). The headers:

- `frame-ancestors 'self'` and `X-Frame-Options: SAMEORIGIN`: no page on another site can show the app in a
  frame and trick a leader into clicking through it (clickjacking);
- `X-Content-Type-Options: nosniff`: a browser never runs a served file as a type other than the one declared;
- `Referrer-Policy: no-referrer`: a personal invite link (its token is in the address) never travels to another
  site in a Referer header.

Downloads (exports, backups, invite links) are made only when their button is clicked (`download_button`: a
deferred Streamlit download), and their `/media/` address answers only while the session that clicked is
connected (`SessionDownloads`). Streamlit itself keeps a downloaded file at its address for as long as it takes
two clean-ups after every session let go of it: minutes after the tab was closed.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable

import anyio.to_thread
import streamlit as st
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from streamlit import runtime
from streamlit.runtime.media_file_storage import MediaFileKind
from streamlit.runtime.scriptrunner import get_script_run_ctx

SECURITY_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'self'; object-src 'none'; base-uri 'self'",
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class SecurityHeaders:
    """ASGI middleware: every HTTP response (page, static file, media, health, errors) carries `SECURITY_HEADERS`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _Issued:
    """Which connected sessions asked for which download (by the SHA-256 of its bytes); thread-safe."""

    def __init__(self) -> None:
        self._sessions: dict[bytes, set[str]] = {}
        self._lock = threading.Lock()

    def add(self, data: bytes, session_id: str) -> None:
        with self._lock:
            self._forget_closed()
            self._sessions.setdefault(hashlib.sha256(data).digest(), set()).add(session_id)

    def allows(self, data: bytes) -> bool:
        """True while a session that asked for exactly these bytes is still connected."""
        with self._lock:
            sessions = self._sessions.get(hashlib.sha256(data).digest(), set())
            return any(_connected(session_id) for session_id in sessions)

    def _forget_closed(self) -> None:
        for digest, sessions in list(self._sessions.items()):
            alive = {s for s in sessions if _connected(s)}
            if alive:
                self._sessions[digest] = alive
            else:
                del self._sessions[digest]


def _connected(session_id: str) -> bool:
    return runtime.exists() and runtime.get_instance().is_active_session(session_id)


ISSUED = _Issued()
_MEDIA_PATH = re.compile(r"/media/([^/]+)$")


def download_button(label: str, content: bytes | Callable[[], bytes], *, file_name: str, mime: str, key: str, **kwargs: object) -> None:
    """A download put at a `/media/` address only when clicked, and fetchable only while this session is connected.

    `content` is the file, or a function that makes it on Streamlit's worker thread at the click (it must not
    call Streamlit). Every download button in the app goes through here: `SessionDownloads` refuses a download
    that did not.
    """
    context = get_script_run_ctx()
    session_id = context.session_id if context else None

    def deliver() -> bytes:
        data = content() if callable(content) else content
        if session_id is not None:
            ISSUED.add(data, session_id)
        return data

    st.download_button(label, deliver, file_name=file_name, mime=mime, key=key, on_click="ignore", **kwargs)


class SessionDownloads:
    """ASGI middleware: a download at `/media/` is served only while the session that asked for it is connected.

    Pictures and charts shown on a page (also at `/media/`) pass as Streamlit serves them; only files marked
    for download are checked, so an address kept from a tab that was closed (in a browser history, a proxy
    log, a forwarded link) finds nothing. The check hashes the file off the event loop: a large export must
    not hold up every respondent's session while it is looked at.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _MEDIA_PATH.search(scope["path"]) if scope["type"] == "http" else None
        if match and not await anyio.to_thread.run_sync(_may_serve, match.group(1)):
            await PlainTextResponse("File not found", status_code=404)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _may_serve(name: str) -> bool:
    if not runtime.exists():
        return True
    media = runtime.get_instance().media_file_mgr
    if not media.can_read_files:
        return False  # a storage we cannot look into: serve nothing rather than every download
    found = media.read_file(name)
    if found is None or found.kind != MediaFileKind.DOWNLOADABLE:
        return True  # Streamlit answers for what it does not have, and serves what a page shows
    return ISSUED.allows(found.content)


MIDDLEWARE = [Middleware(SecurityHeaders), Middleware(SessionDownloads)]


_STYLE_BLOCK = re.compile(r"\s*<style>[^<]*</style>\s*", re.DOTALL)


def stylesheet(css: str) -> None:
    """Add one of our own constant stylesheets to the page: the only place the app writes HTML itself.

    Pages never render HTML (user text stays text, see tests/test_access.py); a stylesheet is not text a user
    wrote, and this refuses anything but a single `<style>` block without a tag inside, so no markup slips in.
    """
    if not _STYLE_BLOCK.fullmatch(css):
        raise ValueError("stylesheet() takes a single <style>…</style> block and nothing else")
    st.html(css)
