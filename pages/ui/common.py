"""The one cached database handle, the role-aware menu, and how failures are shown instead of tracebacks."""

from __future__ import annotations

import gc
import importlib
import io
import secrets
import subprocess
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitAPIException

from pages.ui import page_index, web
from pages.ui.dashboard_words import say
from survey.access import Throttle, allows, client_key, configured_hashes, oidc_configured, role_for_email
from survey.grants import row_level_hash
from survey.instrument import InstrumentError
from survey.setup import stored_hashes
from survey.store import Database, DatabaseBusy, DatabaseDamaged, resolve_db_path
from survey.user_text import as_markdown, plain

ROOT = Path(__file__).resolve().parent.parent.parent
MENU = (
    ("app.py", "Home", ":material/home:", None),
    ("pages/1_survey.py", "Survey", ":material/edit_note:", None),
    ("pages/2_overview.py", "Overview", ":material/grid_view:", "leader"),
    ("pages/3_gaps.py", "Gaps", ":material/compare_arrows:", "leader"),
    ("pages/3_perception.py", "Blind spots and ambition", ":material/visibility:", "leader"),
    ("pages/4_items.py", "Item detail", ":material/bar_chart:", "leader"),
    ("pages/5_value.py", "Value at stake", ":material/euro:", "leader"),
    ("pages/6_comments.py", "Comments", ":material/forum:", "leader"),
    ("pages/7_trends.py", "Trends", ":material/trending_up:", "leader"),
    ("pages/14_actions.py", "Actions", ":material/task_alt:", "leader"),
    ("pages/8_campaigns.py", "Campaigns", ":material/campaign:", "facilitator"),
    ("pages/9_invites.py", "Invites", ":material/qr_code_2:", "facilitator"),
    ("pages/10_import.py", "Import", ":material/upload_file:", "facilitator"),
    ("pages/11_exports.py", "Exports", ":material/download:", "leader"),
    ("pages/13_data.py", "Data and audit", ":material/shield_lock:", "facilitator"),
    ("pages/16_workshop.py", "Workshop", ":material/co_present:", "leader"),
    ("pages/15_publish.py", "Publish", ":material/publish:", "leader"),
    ("pages/17_you_said_we_did.py", "You said, we did", ":material/campaign:", None),
    ("pages/12_sign_in.py", "Sign in", ":material/login:", None),
)

# Each menu entry's title in the dashboard's wording (pages/ui/dashboard_words.py), so the menu follows its language.
MENU_WORDS = {
    "app.py": "title_home",
    "pages/1_survey.py": "title_survey",
    "pages/2_overview.py": "title_overview",
    "pages/3_gaps.py": "title_gaps",
    "pages/3_perception.py": "title_perception",
    "pages/4_items.py": "title_items",
    "pages/5_value.py": "title_value",
    "pages/6_comments.py": "title_comments",
    "pages/7_trends.py": "title_trends",
    "pages/14_actions.py": "title_actions",
    "pages/8_campaigns.py": "title_campaigns",
    "pages/9_invites.py": "title_invites",
    "pages/10_import.py": "title_import",
    "pages/11_exports.py": "title_exports",
    "pages/13_data.py": "title_data",
    "pages/16_workshop.py": "title_workshop",
    "pages/15_publish.py": "title_publish",
    "pages/17_you_said_we_did.py": "title_you_said",
    "pages/12_sign_in.py": "title_sign_in",
}


@st.cache_resource
def database(path: str) -> Database:
    """One handle per file for the whole server; every use takes its own cursor (DuckDB's threading model)."""
    return Database(path)


def db() -> Database:
    return database(str(resolve_db_path()))


@st.cache_resource
def throttle() -> Throttle:
    """One per server: it bounds the hash checks running at once and keeps each client's back-off (survey.access)."""
    return Throttle()


def sign_in_client() -> str:
    """Who this sign-in attempt comes from, for the back-off: the client's address, else this browser session."""
    session = st.session_state.setdefault("_sign_in_session", secrets.token_hex(16))
    address = st.context.ip_address
    return client_key(address if isinstance(address, str) else None, session)  # a test harness has no real address


def role() -> str | None:
    """The session's role: from the password sign-in, or from the single-sign-on account's e-mail."""
    if st.session_state.get("role"):
        return st.session_state.role
    try:
        if st.user.get("is_logged_in", False):
            return role_for_email(st.user.get("email"), _secrets())
    except Exception:  # no auth configured: st.user has nothing to say
        return None
    return None


@st.cache_resource
def _warm_export_assets() -> None:
    """Bundle the report's JavaScript once, in a separate process: it takes seconds and would stall the server's own threads."""
    code = "from analysis.export.html import vega_bundle; vega_bundle()"
    subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@st.cache_resource
def settle_memory() -> None:
    """Once per server: load what every page needs, rehearse a submission, find the pages once (`page_index`), then
    move those long-lived objects out of the garbage collector's sight.

    With pandas, scipy, Altair and DuckDB loaded a full collection walks ~200,000 objects (~120 ms with
    every other thread waiting on the GIL), and Python runs one every few seconds under load: the
    stalls that decided the load test's p99. Frozen objects are never walked again (gc.freeze); what
    sessions create afterwards is collected as usual.
    """
    responses = importlib.import_module("survey.responses")
    instrument = importlib.import_module("survey.instrument")
    importlib.import_module("analysis.engine")
    responses.rehearse_submit(instrument.default_instrument())
    page_index.install()
    gc.collect()
    gc.freeze()


# What the theme cannot set (ACCESSIBILITY.md): captions at 6.8:1 instead of Streamlit's faded #828180 (3.88:1), a focus
# ring that every control shows when reached by keyboard, and on phones a rating scale as a vertical list (one answer
# a line, a large target) rather than options wrapped across the screen.
ACCESSIBLE_CSS = """<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * { color: #5c5b59 !important; opacity: 1 !important; }
:focus-visible { outline: 3px solid #17576e !important; outline-offset: 2px !important; }
[data-baseweb="radio"]:has(input:focus-visible) { outline: 3px solid #17576e; outline-offset: 2px; border-radius: 4px; }
@media (max-width: 640px) {
  [data-testid="stRadio"] [role="radiogroup"] { flex-direction: column !important; align-items: flex-start; gap: 0.35rem; }
}
</style>"""


def accessible_style() -> None:
    """The CSS above, on every page (the menu and the survey call it)."""
    web.stylesheet(ACCESSIBLE_CSS)


def menu() -> None:
    """The sidebar menu shows only what the signed-in role may open (each page still checks for itself)."""
    settle_memory()
    _warm_export_assets()
    accessible_style()
    with st.sidebar:
        st.markdown("### Coherence Scan")
        lang = dashboard_language()
        for path, label, icon, needed in MENU:
            if (needed is None or allows(role(), needed)) and (ROOT / path).exists():
                try:
                    st.page_link(path, label=menu_label(path, label, lang), icon=icon)
                except StreamlitAPIException:  # a page run on its own (not through app.py) has no menu to link into
                    return
        if role():
            st.caption(say("signed_in_as", lang, role=role()))


def dashboard_language() -> str:
    """The dashboard's label language: the sidebar switch's value, kept across pages in `dash_lang_kept`.

    Streamlit forgets a widget's value when another page draws the widget anew, so the switch alone would fall
    back to English on every page change.
    """
    return st.session_state.get("dash_lang") or st.session_state.get("dash_lang_kept") or "en"


def menu_label(path: str, label: str, lang: str) -> str:
    """A menu entry in the dashboard's chosen language: the page's title there ("pages/2_overview.py" reads "Overzicht")."""
    key = MENU_WORDS.get(path)
    return say(key, lang) if key else label


def require(needed: str) -> str:
    """Stop the page unless the session's role may see it; says how to get access instead of showing anything."""
    current = role()
    if allows(current, needed):
        return current or ""
    st.title("Sign-in needed")
    if not hashes():
        password_needed()
    else:
        st.info(f"This page is for the **{needed}** role. Please sign in first.")
        st.page_link("pages/12_sign_in.py", label="Sign in", icon=":material/login:")
    st.stop()
    return ""


def password_needed() -> None:
    """Nobody can sign in until a password is configured: say exactly how."""
    st.warning(
        "Results are locked because no password is configured yet. Whoever started the server sets the first passwords "
        "on the **home page** with the setup code the server printed in its console. Alternatively, create a hash with "
        "`python -m survey hash-password` and put it in `.streamlit/secrets.toml` under `[auth]` "
        '(`leader_hash = "..."`, `facilitator_hash = "..."`) or in the environment variables '
        "`COHERENCE_LEADER_HASH` / `COHERENCE_FACILITATOR_HASH`, then restart the app."
    )


def _secrets() -> dict:
    try:
        auth = st.secrets.get("auth", {})
        return {"auth": auth.to_dict() if hasattr(auth, "to_dict") else dict(auth)}
    except Exception:  # no secrets.toml at all is a normal state
        return {}


def secrets_auth() -> dict:
    """`[auth]` of secrets.toml as a plain dict (empty without one)."""
    return _secrets()


def hashes() -> dict[str, str]:
    """The role hashes that sign in: secrets.toml or the environment, else those set on first run (survey.setup)."""
    try:
        with db().cursor() as con:
            stored = stored_hashes(con)
    except (DatabaseBusy, DatabaseDamaged):
        stored = {}
    return configured_hashes(_secrets(), stored=stored)


def row_hash() -> str | None:
    """The row-level password's hash (survey/grants.py), or None: row-level data is then switched off."""
    return row_level_hash(_secrets())


def show_failure(exc: Exception) -> None:
    """Known failures become a message that says what to do; nothing else reaches the user as a traceback."""
    if isinstance(exc, InstrumentError):
        st.error(f"The questionnaire has {len(exc.problems)} problem(s) and cannot be used:")
        st.code(plain("\n".join(exc.problems)), language=None)
    elif isinstance(exc, DatabaseBusy | DatabaseDamaged):
        st.error(as_markdown(str(exc)))
    else:
        st.error(f"Something went wrong: {as_markdown(str(exc))}")


def zip_bytes(paths: Iterable[Path], root: Path) -> bytes:
    """A ZIP of `paths`, each named relative to `root`, in memory: what the download buttons hand out."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in paths:
            zf.write(path, path.relative_to(root))
    return buffer.getvalue()


def sso_available() -> bool:
    return oidc_configured(_secrets())
