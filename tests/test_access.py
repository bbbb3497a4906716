"""Who sees what: every page checks the role itself, sign-in refuses and slows guessers, hostile links get a friendly page.

Pages are found by globbing pages/ when the tests run, so a page added later is covered without
touching this file; the role each page needs is the one the menu (pages/ui/common.py MENU) declares.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from argon2 import PasswordHasher
from streamlit.testing.v1 import AppTest

import survey.access as access
from pages.ui import common
from survey.access import FREE_TRIES, Throttle, client_key
from tests import app_pages
from tests.conftest import MakeDemo

ROOT = Path(__file__).resolve().parent.parent
# "You said, we did" is public by design: what it may show (published, at or above the threshold) is tested in test_public_pages.
PUBLIC = {"app.py", "pages/1_survey.py", "pages/12_sign_in.py", "pages/17_you_said_we_did.py"}
# Element types that carry results: tables, numbers, charts, pictures of charts, files to take away.
RESULT_TYPES = {
    "dataframe",
    "table",
    "metric",
    "vega_lite_chart",
    "arrow_vega_lite_chart",
    "plotly_chart",
    "deck_gl_json_chart",
    "graphviz_chart",
    "bokeh_chart",
    "pyplot",
    "image",
    "json",
    "download_button",
}
SIGN_IN_NOTICE = {"title", "info", "warning", "page_link"}
LEADER_PASSWORD, FACILITATOR_PASSWORD = "leader password 1", "facilitator password 2"
# Cheap parameters keep the tests fast; production parameters live in survey/access.py (see test_hash_password.py).
_CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def pages() -> list[str]:
    return sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py") if p.name != "__init__.py")


def needed_role(page: str) -> str | None:
    return {path: needed for path, _, _, needed in common.MENU}[page]


@pytest.fixture(scope="module")
def demo_db(make_demo: MakeDemo) -> Path:
    """Real results to leak: two waves of demo answers, large enough that every dashboard has something to show."""
    return make_demo(150, seed=5, waves=2)


@pytest.fixture(autouse=True)
def app_env(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COHERENCE_DB", str(demo_db))
    monkeypatch.setenv("COHERENCE_LEADER_HASH", _CHEAP.hash(LEADER_PASSWORD))
    monkeypatch.setenv("COHERENCE_FACILITATOR_HASH", _CHEAP.hash(FACILITATOR_PASSWORD))
    common.throttle.clear()  # the back-off is shared by all sessions of a server: start each test with a fresh one


def _walk(node: object, where: str, out: list[tuple[str, str, object]]) -> None:
    kind = getattr(node, "type", type(node).__name__)
    area = kind if kind in ("main", "sidebar") else where
    out.append((area, kind, node))
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            _walk(child, area, out)


def elements(at: AppTest) -> list[tuple[str, str, object]]:
    """(area, type, node) for everything the run rendered."""
    out: list[tuple[str, str, object]] = []
    _walk(at._tree, "root", out)
    return out


def shown_text(at: AppTest) -> str:
    parts = []
    for _, _, node in elements(at):
        for attr in ("value", "label", "body"):
            value = getattr(node, attr, None)
            if isinstance(value, str):
                parts.append(value)
    return "\n".join(parts)


def open_page(page: str, role: str | None = None, params: dict[str, str] | None = None) -> AppTest:
    """A page as a visitor opens it: signed out unless `role` is given (on the database the module's fixture set)."""
    return app_pages.open_page(page, role=role, params=params)


def titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def test_every_page_declares_its_role_in_the_menu() -> None:
    menu = {path for path, _, _, _ in common.MENU}
    missing = [p for p in pages() if p not in menu]
    assert not missing, f"add these pages to MENU in pages/ui/common.py with the role they need: {missing}"
    assert {p for p in pages() if needed_role(p) is None} <= PUBLIC, "only the survey, sign-in and 'you said, we did' pages may be public"


@pytest.mark.parametrize("page", ["app.py", *pages()])
def test_without_sign_in_no_page_shows_results(page: str) -> None:
    at = open_page(page)
    found = elements(at)
    if page in PUBLIC:
        assert "Sign-in needed" not in titles(at)
        return
    assert titles(at) == ["Sign-in needed"]
    assert not {kind for _, kind, _ in found} & RESULT_TYPES
    main = {kind for area, kind, _ in found if area == "main"} - {"main"}
    assert main <= SIGN_IN_NOTICE, f"only the sign-in notice may show, got {sorted(main - SIGN_IN_NOTICE)}"
    assert any(getattr(node, "value", "") and "sign in" in str(node.value).lower() for _, kind, node in found if kind == "info")


@pytest.mark.parametrize("role", ["leader", "facilitator"])
@pytest.mark.parametrize("page", [p for p in pages() if p not in PUBLIC])
def test_role_boundaries(page: str, role: str) -> None:
    """A facilitator opens everything; a leader opens the dashboards but no facilitator page."""
    blocked = role == "leader" and needed_role(page) == "facilitator"
    at = open_page(page, role=role)
    assert ("Sign-in needed" in titles(at)) is blocked, titles(at)
    if blocked:
        assert not {kind for _, kind, _ in elements(at)} & RESULT_TYPES


def test_the_boundaries_are_tested_on_real_pages() -> None:
    roles = {needed_role(p) for p in pages()}
    assert {"leader", "facilitator"} <= roles, "the boundary test needs at least one leader and one facilitator page"


def test_require_stops_the_page_before_its_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`require` stops the script: nothing a page draws after it reaches the browser."""
    for name in ("COHERENCE_LEADER_HASH", "COHERENCE_FACILITATOR_HASH"):
        monkeypatch.delenv(name)  # run outside the app: no sign-in link to draw, only the notice
    page = tmp_path / "leaky.py"
    page.write_text(
        "import streamlit as st\nfrom pages.ui.common import require\n"
        "require('facilitator')\nst.metric('Respondents', 812)\nst.dataframe({'a': [1]})\n"
    )
    for role, stopped in ((None, True), ("leader", True), ("facilitator", False)):
        at = AppTest.from_file(str(page), default_timeout=30)
        if role:
            at.session_state["role"] = role
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        kinds = {kind for _, kind, _ in elements(at)}
        assert bool(kinds & RESULT_TYPES) is not stopped, (role, kinds)
        assert ("Sign-in needed" in titles(at)) is stopped


def test_without_a_configured_password_results_stay_locked_and_the_page_says_how(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COHERENCE_LEADER_HASH")
    monkeypatch.delenv("COHERENCE_FACILITATOR_HASH")
    page = next(p for p in pages() if needed_role(p) == "leader")
    at = open_page(page)
    assert titles(at) == ["Sign-in needed"]
    assert any("python -m survey hash-password" in w.value for w in at.warning)
    at = open_page("pages/12_sign_in.py")
    assert any("no password is configured" in w.value and "setup code" in w.value for w in at.warning)
    assert not at.text_input


def _sign_in(at: AppTest, password: str) -> AppTest:
    at.text_input(key="password").input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("password, role", [(LEADER_PASSWORD, "leader"), (FACILITATOR_PASSWORD, "facilitator")])
def test_right_password_gives_its_role(password: str, role: str) -> None:
    at = _sign_in(open_page("pages/12_sign_in.py"), password)
    assert at.session_state["role"] == role
    assert any(role in s.value for s in at.success)


@pytest.mark.parametrize("wrong", ["", "leader password", LEADER_PASSWORD + " ", LEADER_PASSWORD.upper(), "x" * 5000, "' OR 1=1 --"])
def test_wrong_password_is_refused(wrong: str) -> None:
    at = _sign_in(open_page("pages/12_sign_in.py"), wrong)
    assert "role" not in at.session_state
    assert any(e.value == "Wrong password." for e in at.error)


def test_a_guesser_is_slowed_and_the_owner_in_another_session_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    """The back-off was global: one wrong guess a minute anywhere kept the real leader out."""
    clock = SimpleNamespace(now=1000.0)
    # The back-off reads survey.access's clock: freeze it, so a slow machine cannot let the wait run out mid-test.
    monkeypatch.setattr(access, "time", SimpleNamespace(monotonic=lambda: clock.now, sleep=time.sleep))
    guesser = open_page("pages/12_sign_in.py")
    for _ in range(FREE_TRIES):
        _sign_in(guesser, "guess")
        assert any(e.value == "Wrong password." for e in guesser.error)
    _sign_in(guesser, LEADER_PASSWORD)  # even the right password waits its turn: the guesser cannot tell
    assert "role" not in guesser.session_state
    assert any(e.value.startswith("Too many failed attempts") for e in guesser.error)
    owner = _sign_in(open_page("pages/12_sign_in.py"), LEADER_PASSWORD)  # another client, at the same moment
    assert owner.session_state["role"] == "leader"
    client = guesser.session_state["_sign_in_session"]
    assert common.throttle().failures(f"session:{client}") == FREE_TRIES  # refused tries while waiting are not even checked
    clock.now += common.throttle().wait_seconds(f"session:{client}") + 0.01
    _sign_in(guesser, LEADER_PASSWORD)
    assert guesser.session_state["role"] == "leader"


def test_one_address_is_one_client_whatever_its_sessions() -> None:
    """Behind an address a new tab or session does not escape the back-off; another address is not touched by it."""
    gate = Throttle(hasher=_CHEAP)
    hashes = {"leader": _CHEAP.hash(LEADER_PASSWORD)}
    for n in range(FREE_TRIES):
        assert gate.check("guess", hashes, client_key("203.0.113.7", f"tab{n}")).role is None
    refused = gate.check(LEADER_PASSWORD, hashes, client_key("203.0.113.7", "a fresh tab"))
    assert refused.role is None and refused.wait_s > 0
    assert gate.check(LEADER_PASSWORD, hashes, client_key("198.51.100.20", "tab0")).role == "leader"
    assert client_key(None, "s1") != client_key(None, "s2")  # no address (localhost): the session tells clients apart


def test_back_off_doubles_and_is_capped_and_resets_on_success() -> None:
    gate = Throttle()
    waits = []
    for i in range(12):
        gate.record(False, "ip:192.0.2.1", now=100.0 * i)
        waits.append(gate.wait_seconds("ip:192.0.2.1", now=100.0 * i))
    assert waits[: FREE_TRIES - 1] == [0.0] * (FREE_TRIES - 1)
    assert waits[FREE_TRIES - 1 : FREE_TRIES + 3] == [1.0, 2.0, 4.0, 8.0]
    assert max(waits) == 60.0
    assert gate.wait_seconds("ip:192.0.2.2", now=1100.0) == 0.0  # nobody else waits for it
    gate.record(True, "ip:192.0.2.1", now=2000.0)
    assert gate.failures("ip:192.0.2.1") == 0 and gate.wait_seconds("ip:192.0.2.1", now=2000.0) == 0.0


class _CountingHasher(PasswordHasher):
    """A real Argon2id hasher that counts the checks it runs and how many ran at once (no timing involved)."""

    def __init__(self, **kwargs: int) -> None:
        super().__init__(**kwargs)
        self.calls = self.running = self.most_at_once = 0
        self._count = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self._count:
            self.calls += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            return super().verify(hash, password)
        finally:
            with self._count:
                self.running -= 1


def _all_at_once(gate: Throttle, hashes: dict[str, str], clients: list[str], password: str = "guess") -> list[access.Verdict]:
    start = threading.Barrier(len(clients))
    verdicts: list[access.Verdict] = []

    def attempt(client: str) -> None:
        start.wait()
        verdicts.append(gate.check(password, hashes, client))

    workers = [threading.Thread(target=attempt, args=(c,)) for c in clients]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=300)
    return verdicts


def test_80_sessions_guessing_at_once_from_one_address_get_three_checks() -> None:
    """The check and the count were separate: 80 tries arriving together were all checked (80 Argon2 runs at once)."""
    hasher = _CountingHasher(time_cost=3, memory_cost=8 * 1024, parallelism=1)
    gate = Throttle(hasher=hasher)
    hashes = {"leader": hasher.hash(LEADER_PASSWORD), "facilitator": hasher.hash(FACILITATOR_PASSWORD)}
    hasher.calls = 0
    verdicts = _all_at_once(gate, hashes, [client_key("203.0.113.7", f"session{n}") for n in range(80)])
    assert len(verdicts) == 80 and all(v.role is None for v in verdicts)
    checked = [v for v in verdicts if not v.busy and v.wait_s == 0]
    assert len(checked) <= FREE_TRIES
    assert hasher.calls == 2 * len(checked)  # each checked try runs one check per configured role
    assert hasher.most_at_once <= access.MAX_CHECKS_AT_ONCE


_MEMORY_RUN = """
import json, resource, sys, threading
sys.path.insert(0, sys.argv[1])
import survey.access as access
from tests.test_access import _CountingHasher, _all_at_once
hasher = _CountingHasher(time_cost=access.HASHER.time_cost, memory_cost=access.HASHER.memory_cost, parallelism=1)
hashes = {"leader": hasher.hash("the leader's password")}
hasher.calls = 0
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
verdicts = _all_at_once(access.Throttle(hasher=hasher), hashes, [f"ip:10.9.{n // 250}.{n % 250}" for n in range(80)])
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"calls": hasher.calls, "at_once": hasher.most_at_once, "busy": sum(v.busy for v in verdicts), "grown_kib": grown}))
"""


@pytest.mark.slow
def test_80_clients_at_once_run_at_most_two_argon2_checks_and_memory_stays_bounded() -> None:
    """At production strength (64 MiB a check) 80 sign-ins at once took the server from 290 MB to 4.5 GB."""
    done = subprocess.run([sys.executable, "-c", _MEMORY_RUN, str(ROOT)], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-800:]
    measured = json.loads(done.stdout.splitlines()[-1])
    assert measured["at_once"] <= access.MAX_CHECKS_AT_ONCE
    assert measured["calls"] + measured["busy"] == 80  # every try was checked or told to come back, none hung
    assert measured["grown_kib"] < (access.MAX_CHECKS_AT_ONCE + 2) * access.HASHER.memory_cost  # 80 at once: 80 x 64 MiB


def test_many_guessers_slow_everyone_but_never_lock_out_the_owner() -> None:
    """Past the global budget of failures failed checks are slowed; a right password from a new client still gets in."""
    gate = Throttle(hasher=_CHEAP, global_free_failures=5, penalty_s=0.01)
    hashes = {"leader": _CHEAP.hash(LEADER_PASSWORD)}
    for n in range(20):
        assert gate.check("guess", hashes, client_key(f"192.0.2.{n}", "s")).role is None
    owner = gate.check(LEADER_PASSWORD, hashes, client_key("198.51.100.20", "s"))
    assert owner == access.Verdict(role="leader")


# --------------------------------------------------------------------------- hostile input

UNSAFE = [
    re.compile(r"unsafe_allow_html\s*=\s*True"),
    re.compile(r"\bst\.html\s*\("),
    re.compile(r"streamlit\.components|components\.v1|\bcomponents\.(html|iframe|declare_component)\b"),
]


def _unsafe_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if any(p.search(line) for p in UNSAFE)]


def test_the_unsafe_html_check_recognises_each_form() -> None:
    bad = 'st.markdown(x, unsafe_allow_html=True)\nst.html("<b>")\nimport streamlit.components.v1 as components\ncomponents.html(x)'
    assert len(_unsafe_lines(bad)) == 4
    assert _unsafe_lines('st.markdown(escape_markdown(x))\nst.write("html")') == []


# The one sanctioned exception: our own constant stylesheets, through a function that refuses anything but a <style> block.
STYLESHEET_ONLY = {"pages/ui/web.py": ["st.html(css)"]}


def test_no_page_renders_raw_html() -> None:
    """User text must stay text: no unsafe_allow_html, st.html or custom components anywhere in the app."""
    files = [ROOT / "app.py", *sorted((ROOT / "pages").rglob("*.py"))]
    found = {str(f.relative_to(ROOT)): lines for f in files if (lines := _unsafe_lines(f.read_text(encoding="utf-8")))}
    assert found == STYLESHEET_ONLY, found


def test_the_stylesheet_helper_takes_a_style_block_and_nothing_else() -> None:
    from pages.ui.web import stylesheet

    for bad in ("<b>x</b>", "<style>a{}</style><script>alert(1)</script>", "<style>a{}<img src=x></style>", "a { color: red }"):
        with pytest.raises(ValueError):
            stylesheet(bad)


HOSTILE_PARAMS = [
    {"c": "<script>alert(1)</script>"},
    {"c": '<img src=x onerror="alert(1)">'},
    {"c": "[Your session expired: sign in here](https://phish.example)"},
    {"c": "javascript:alert(1)"},
    {"c": "\x00"},
    {"c": "demo\x00"},
    {"c": "%00"},
    {"c": "x" * 20_000},
    {"c": "../../etc/passwd"},
    {"c": "demo' OR '1'='1"},
    {"c": "ünïcødé-🏭"},
    {"c": "no-such-campaign"},
    {"invite": "garbage"},
    {"invite": "<script>alert(1)</script>"},
    {"invite": "A" * 43},
    {"invite": "\x00" * 40},
    {"invite": "y" * 20_000},
    {"invite": "garbage", "c": "demo"},
    {"kiosk": "<script>alert(1)</script>"},
    {"c": "demo", "kiosk": "%00"},
]


@pytest.mark.parametrize("params", HOSTILE_PARAMS, ids=[repr(p)[:40] for p in HOSTILE_PARAMS])
def test_malformed_links_get_a_friendly_page_and_are_never_echoed(params: dict[str, str]) -> None:
    at = open_page("pages/1_survey.py", params=params)
    text = shown_text(at)
    for value in params.values():
        if value not in ("demo", "1"):
            assert value[:60] not in text, f"the page echoed {value[:60]!r}"
    friendly = [*at.info, *at.warning]
    if set(params) <= {"c", "invite"}:
        assert friendly, "a bad link must say what is wrong"
        assert not at.error, [e.value for e in at.error]
    assert "Traceback" not in text


def test_the_demo_link_itself_still_opens_the_survey() -> None:
    at = open_page("pages/1_survey.py", params={"c": "demo"})
    assert at.button(key="sv_start")
