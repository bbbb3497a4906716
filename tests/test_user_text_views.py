"""Typed text is plain text in every view: every page and every export, with a payload in every place people type.

The payload (a bare address, a `www.` address, an e-mail address, a `:material/…:` icon, a Markdown link,
emphasis and U+202E RIGHT-TO-LEFT OVERRIDE) is put in the campaign name, both wave labels, a comment of
every respondent and every English text of the questionnaire. Then every page runs through AppTest as a
facilitator (the survey page once per step) and every element Streamlit is handed is checked: where
Streamlit reads Markdown, the payload must come out as text (its escapes resolved, nothing that Streamlit
turns into a link or icon is left); everywhere, no reordering control is left. The HTML report, workbook
and deck are checked for the same controls. A new page or element is covered without touching this file.
"""

from __future__ import annotations

import base64
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.protobuf.json_format import MessageToDict
from streamlit.testing.v1 import AppTest

from analysis.export import export
from analysis.scope import Scope
from survey.campaigns import create_campaign, start_wave
from survey.instrument import Instrument, default_instrument, parse_instrument
from survey.journey import Draft, steps
from survey.responses import Submission, insert_frames, submission_frames
from survey.store import Database, transaction
from survey.user_text import BIDI_CONTROLS
from tests.app_pages import open_page

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py") if p.name != "__init__.py")
PAYLOAD = (
    " see https://evil.example/x www.evil.example boss@evil.example :material/home: [click](https://evil.example) **bold** \u202eexe.txt"
)
# What Markdown would make of the payload: emphasis and a link unless escaped (checked as written), and, because
# Streamlit looks for addresses and icons after resolving escapes, an address or an icon (checked resolved).
MARKUP_AS_WRITTEN = re.compile(r"\*\*bold\*\*|\[click\]\(https")
MARKUP_RESOLVED = re.compile(r"https://evil|www\.evil|\w@evil|:material/home:")
_BIDI_UTF8 = re.compile(b"|".join(re.escape(chr(c).encode()) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
# Element fields Streamlit reads as Markdown: text bodies (not st.text or st.code), labels, help, and the options of radios and button groups.
MARKDOWN_KEYS = {"body", "label", "help"}
PLAIN_BODIES = {"text", "code"}


def markup_instrument() -> Instrument:
    text = default_instrument().source_text.replace("version: 2\n", "version: 97\n", 1)
    text = re.sub(r'(\ben: ")((?:[^"\\]|\\.)*)(")', lambda m: m.group(1) + m.group(2) + PAYLOAD + m.group(3), text)
    text = text.replace('"Strongly disagree", "Disagree"', f'"Strongly disagree{PAYLOAD}", "Disagree"')
    return parse_instrument(text, "markup")


def _people(instrument: Instrument, wave: int, count: int) -> list[Submission]:
    sites = ["venlo", "gent"]
    levels = ["board", "shop_floor", "specialist"]
    return [
        Submission(
            campaign_id="markup",
            wave=wave,
            language="en",
            attributes={"level": levels[i % 3], "function": "production", "site": sites[i % 2]},
            answers={item: 1 + (i + j) % 5 for j, item in enumerate(instrument.item_ids)},
            comments={"strategy": f"Comment {i}{PAYLOAD}"},
            losses=("unplanned_downtime",),
            source="import",
        )
        for i in range(count)
    ]


@pytest.fixture(scope="module")
def markup_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("markup") / "markup.duckdb"
    instrument = markup_instrument()
    database = Database(path, linger_s=0)
    with database.cursor() as con:
        create_campaign(
            con, f"Plant{PAYLOAD}", instrument, campaign_id="markup", threshold=3, comment_threshold=3, wave_label=f"Baseline{PAYLOAD}"
        )
        with transaction(con):
            insert_frames(con, submission_frames(instrument, _people(instrument, 1, 24)), instrument)
        start_wave(con, "markup", f"Follow-up{PAYLOAD}")
        with transaction(con):
            insert_frames(con, submission_frames(instrument, _people(instrument, 2, 24)), instrument)
    database.close()
    return path


def _strings(value: object, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)
    elif isinstance(value, str):
        yield key, value


def _nodes(node: object) -> Iterator[object]:
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _nodes(child)


def audit(at: AppTest) -> tuple[list[str], int]:
    """(problems, how many times the payload reached a Markdown field) for everything this run rendered."""
    problems: list[str] = []
    reached = 0
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None or not hasattr(proto, "DESCRIPTOR"):
            continue
        kind = getattr(node, "type", type(node).__name__)
        for key, value in _strings(MessageToDict(proto, preserving_proto_field_name=True)):
            if key in ("data", "arrow_data") or kind in ("dataframe", "arrow_data_frame"):
                raw = base64.b64decode(value) if re.fullmatch(r"[A-Za-z0-9+/=]{16,}", value) else value.encode()
                if _BIDI_UTF8.search(raw):
                    problems.append(f"{kind}.{key}: a reordering control in table data")
                continue
            if BIDI_CONTROLS.search(value):
                problems.append(f"{kind}.{key}: a reordering control in {value[:60]!r}")
            markdown = (key in MARKDOWN_KEYS and kind not in PLAIN_BODIES) or (key == "options" and kind == "radio") or key == "content"
            if markdown and "evil" in value:
                reached += 1
                resolved = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", value)
                if MARKUP_AS_WRITTEN.search(value) or MARKUP_RESOLVED.search(resolved):
                    problems.append(f"{kind}.{key} is read as Markdown and makes markup of {value[:80]!r}")
    return problems, reached


def _run(page: str, db: Path, monkeypatch: pytest.MonkeyPatch, **state: object) -> AppTest:
    return open_page(page, db, monkeypatch, timeout=90, state=state)


@pytest.mark.parametrize("page", ["app.py", *[p for p in PAGES if p != "pages/1_survey.py"]])
def test_no_page_makes_markup_or_reorders_typed_text(page: str, markup_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _run(page, markup_db, monkeypatch)
    problems, _ = audit(at)
    assert not problems, "\n".join(problems)


def test_the_comments_page_shows_each_comment_as_plain_text(markup_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _run("pages/6_comments.py", markup_db, monkeypatch)
    shown = [t.value for t in at.text if "Comment" in t.value]
    assert shown and all(v.endswith(PAYLOAD.replace("\u202e", "")) for v in shown), shown[:3]
    assert not [m.value for m in at.markdown if "Comment" in m.value], "no comment goes through Markdown"


def test_every_survey_step_shows_questionnaire_texts_as_text(markup_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    instrument = markup_instrument()
    draft = Draft(attributes={"level": "board", "function": "production", "site": "venlo"}, losses=["unplanned_downtime"])
    total = 0
    for step in range(len(steps(instrument))):
        monkeypatch.setenv("COHERENCE_DB", str(markup_db))
        at = AppTest.from_file(str(ROOT / "pages" / "1_survey.py"), default_timeout=90)
        at.query_params["c"] = "markup"
        at.session_state["sv_draft"] = draft
        at.session_state["sv_step"] = step
        at.session_state["sv_key"] = f"markup-{step}"
        at.run()
        assert not at.exception, (step, [e.value for e in at.exception])
        problems, reached = audit(at)
        assert not problems, f"step {step}:\n" + "\n".join(problems)
        total += reached
    assert total >= len(steps(instrument)), "the payload reached the survey's Markdown on every step"


@pytest.mark.parametrize("fmt", ["html", "xlsx", "pptx"])
def test_exports_keep_typed_text_in_the_order_typed(fmt: str, markup_db: Path, tmp_path: Path) -> None:
    out = tmp_path / f"report.{fmt}"
    database = Database(markup_db, linger_s=0)
    with database.cursor() as con:
        export(con, fmt, out, Scope("markup"), role="leader", actor="markup test")
    database.close()
    if fmt == "html":
        texts = [out.read_text(encoding="utf-8")]
    else:
        with zipfile.ZipFile(out) as z:
            texts = [z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")]
    found = [m.group() for text in texts for m in BIDI_CONTROLS.finditer(text)]
    assert not found, f"{len(found)} reordering control(s) in the {fmt} export"
    everything = "\n".join(texts)
    assert "Plant see https:" in everything.replace("&amp;", "&"), "the campaign name is there, as text"
    if fmt == "html":
        assert re.search(r"Comment \d+ see https://evil\.example/x", everything), "comments are in the report"
        assert not re.search(r"<a[^>]+evil\.example", everything), "no link made of typed text"
    if fmt == "xlsx":
        assert re.search(r"Comment \d+ see https://evil\.example/x", everything), "comments are in the workbook"
