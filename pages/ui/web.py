"""What our server adds to Streamlit's: security headers on every response.

`streamlit run app.py` finds the `st.App` in app.py and serves it with `MIDDLEWARE` around Streamlit's own
(Streamlit's documented way to add middleware; it has no setting for response headers). The headers:

- `frame-ancestors 'self'` and `X-Frame-Options: SAMEORIGIN`: no page on another site can show the app in a
  frame and trick a leader into clicking through it (clickjacking);
- `X-Content-Type-Options: nosniff`: a browser never runs a served file as a type other than the one declared;
- `Referrer-Policy: no-referrer`: a personal invite link (its token is in the address) never travels to another
  site in a Referer header.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


MIDDLEWARE = [Middleware(SecurityHeaders)]
