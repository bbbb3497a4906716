"""A respondent's browser tab reduced to its wire protocol: BackMsg reruns out, ForwardMsg deltas in, over one websocket.

What the browser sends was read from the installed frontend and checked against frames captured from Chromium:
it first GETs `/_stcore/health` (which sets the `_streamlit_xsrf` cookie), opens `/_stcore/stream` with the
subprotocols `["streamlit", <xsrf token>]`, asks for the page by name (`page_name`), then sends every later
rerun with the page's `page_script_hash` and the state of every widget currently on screen. Values are the
*labels* the user sees (a selectbox sends "Operator / shop floor", a radio "4"), a clicked button or form
submit button is a `trigger_value`. Widgets inside a form only travel when the form is submitted.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field

import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

EARLY = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN
WIDGET_KINDS = {"button", "button_group", "radio", "selectbox", "text_area", "text_input", "checkbox", "multiselect"}


class ProtocolError(RuntimeError):
    """The server answered something a person would see as broken (exception, error box, no answer in time)."""


@dataclass
class Screen:
    """What one finished script run put on screen: widgets by kind, plus any error or success text."""

    widgets: list[tuple[str, object]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    success: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    script_runs: int = 0

    def find(self, kind: str, key: str | None = None, **where: object) -> list[object]:
        found = []
        for k, proto in self.widgets:
            if k != kind or (key is not None and not proto.id.endswith(f"-{key}")):
                continue
            if all(getattr(proto, name) == value for name, value in where.items()):
                found.append(proto)
        return found

    def one(self, kind: str, key: str | None = None, **where: object) -> object:
        found = self.find(kind, key, **where)
        if not found:
            raise ProtocolError(f"no {kind} {key or where} on screen; headings {self.headings[:3]}, errors {self.errors[:2]}")
        return found[-1]


def fetch_cookies(base_url: str, jar: dict[str, str], timeout: float = 10.0) -> dict[str, str]:
    """The browser's first request: the health check, whose response sets the XSRF cookie the websocket presents
    (and, behind the cluster's nginx, the cookie that keeps this browser on one replica). Cookies already in `jar`
    are sent along, as a browser would."""
    request = urllib.request.Request(f"{base_url}/_stcore/health", headers={"Cookie": cookie_header(jar)} if jar else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in jar.items())


def trigger(widget_id: str) -> WidgetState:
    return WidgetState(id=widget_id, trigger_value=True)


def text(widget_id: str, value: str) -> WidgetState:
    return WidgetState(id=widget_id, string_value=value)


def strings(widget_id: str, values: list[str]) -> WidgetState:
    state = WidgetState(id=widget_id)
    state.string_array_value.data.extend(values)
    return state


def group_value(proto: object) -> list[str]:
    """The labels a button group (pills, segmented control) currently shows as selected."""
    indices = list(proto.default)
    return [proto.options[i].content for i in indices if 0 <= i < len(proto.options)]


class Tab:
    """One browser tab on one page of the app, driven message by message."""

    def __init__(
        self,
        base_url: str,
        page_name: str,
        *,
        timeout: float = 30.0,
        locale: str = "en-US",
        query: str = "",
        cookies: dict[str, str] | None = None,
    ) -> None:
        self.base_url = base_url
        self.page_name = page_name
        self.page_hash = ""
        self.timeout = timeout
        self.locale = locale
        self.query = query  # the URL's query string; the app may change it (st.query_params), as it does in a browser
        self.cookies = {} if cookies is None else cookies  # share one jar to be the same browser on a later tab
        self.ws: websockets.ClientConnection | None = None
        self.screen = Screen()

    async def open(self) -> None:
        await asyncio.to_thread(fetch_cookies, self.base_url, self.cookies)
        token = self.cookies.get("_streamlit_xsrf", "")
        ws_url = self.base_url.replace("http://", "ws://", 1) + "/_stcore/stream"
        headers = {"Cookie": cookie_header(self.cookies)} if self.cookies else None
        self.ws = await websockets.connect(
            ws_url,
            subprotocols=["streamlit", token] if token else ["streamlit"],
            origin=self.base_url,
            additional_headers=headers,
            max_size=2**24,
            open_timeout=self.timeout,
            ping_interval=None,
        )

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    def _back_msg(self, states: list[WidgetState]) -> bytes:
        msg = BackMsg()
        client = msg.rerun_script
        client.query_string = self.query
        if self.page_hash:
            client.page_script_hash = self.page_hash
        else:
            client.page_name = self.page_name
        client.widget_states.widgets.extend(states)
        info = client.context_info
        info.timezone, info.timezone_offset, info.locale = "Europe/Amsterdam", -60, self.locale
        info.url = f"{self.base_url}/{self.page_name}" + (f"?{self.query}" if self.query else "")
        info.is_embedded, info.color_scheme = False, "light"
        return msg.SerializeToString()

    def _take(self, msg: ForwardMsg, elements: dict[tuple[int, ...], tuple[str, object]], screen: Screen) -> bool:
        """Note one message of a rerun: an element drawn, a new session (which starts the screen over), the page's hash;
        True once the last script run of the rerun has finished."""
        kind = msg.WhichOneof("type")
        if kind == "delta":
            if msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                ek = element.WhichOneof("type")
                elements[tuple(msg.metadata.delta_path)] = (ek, getattr(element, ek))
        elif kind == "new_session":
            elements.clear()
        elif kind == "navigation":
            # Legacy multipage mode wraps every run in its own navigation: the page's hash comes from here,
            # new_session carries the wrapper's.
            self.page_hash = msg.navigation.page_script_hash or self.page_hash
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string  # st.query_params changed the URL
        elif kind == "page_not_found":
            raise ProtocolError(f"page not found: {msg.page_not_found.page_name}")
        elif kind == "script_finished":
            screen.script_runs += 1
            return msg.script_finished != EARLY
        return False

    async def rerun(self, states: list[WidgetState]) -> float:
        """Send one rerun and read until the last script run it caused has finished; returns the round trip in seconds."""
        assert self.ws is not None, "open() first"
        started = time.perf_counter()
        await self.ws.send(self._back_msg(states))
        screen = Screen()
        elements: dict[tuple[int, ...], tuple[str, object]] = {}
        deadline = started + self.timeout
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise ProtocolError(f"no script_finished within {self.timeout:.0f} s")
            try:
                data = await asyncio.wait_for(self.ws.recv(), remaining)
            except TimeoutError as exc:
                raise ProtocolError(f"no script_finished within {self.timeout:.0f} s") from exc
            msg = ForwardMsg()
            msg.ParseFromString(data)
            if self._take(msg, elements, screen):
                break
        _sort_onto(screen, elements.values())
        self.screen = screen
        if screen.errors:
            raise ProtocolError("error on screen: " + " | ".join(e[:200] for e in screen.errors))
        return time.perf_counter() - started


def _sort_onto(screen: Screen, elements: Iterable[tuple[str, object]]) -> None:
    """The elements a rerun left on the page, sorted into what the bench reads: widgets, errors, successes, headings."""
    for ek, proto in elements:
        if ek in WIDGET_KINDS:
            screen.widgets.append((ek, proto))
        elif ek == "exception":
            screen.errors.append(f"{proto.type}: {proto.message}")
        elif ek == "alert":
            if proto.format == Alert.ERROR:
                screen.errors.append(proto.body)
            elif proto.format == Alert.SUCCESS:
                screen.success.append(proto.body)
        elif ek == "heading":
            screen.headings.append(proto.body)
