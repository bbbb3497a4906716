"""Typed text made inert for display: `plain` takes out reordering controls, `as_markdown` leaves no markup, link or icon.

The Markdown half is checked against an independent CommonMark renderer (markdown-it-py): whatever was typed,
the rendered HTML holds one paragraph of text and exactly the typed characters. Streamlit's own extensions
(links made from bare addresses, `:material/…:` icons) read text after escapes are resolved, so the checks
on them are on that resolved text; the real browser check is in test_browser_xss.py.
"""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt

from survey.user_text import BIDI_CONTROLS, WORD_JOINER, as_markdown, plain

RLO = "\u202e"
HOSTILE = [
    "see https://evil.example/login now",
    "www.evil.example and WWW.Evil.Example",
    "mail me: boss@evil.example or mailto:boss@evil.example",
    ":material/warning: urgent :red[alarm] :smile:",
    f"invoice {RLO}fdp.exe",
    "\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069 every control",
    "[click](javascript:alert(1)) ![pic](x) <b>tag</b> <script>alert(1)</script>",
    "**bold** _it_ `code` ~~gone~~ $x^2$ # heading\n- item\n1. item\n> quote\n\n| a | b |\n|---|---|",
    "&lt;b&gt; &amp; &#60;script&#62; \\ backslash \\*",
    "Note: times 10:30 and 2+2=4; 100% sure?",
]
# Letters of right-to-left scripts need none of the controls: they stay as typed.
RTL = ["שלום עולם", "مرحبا بالعالم", "Hello שלום 123"]


def _resolved(markdown_source: str) -> str:
    """What Streamlit's text rules see: the Markdown source with its backslash escapes resolved."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown_source)


@pytest.mark.parametrize("text", HOSTILE + RTL)
def test_plain_takes_out_only_the_reordering_controls(text: str) -> None:
    shown = plain(text)
    assert not BIDI_CONTROLS.search(shown)
    assert shown == "".join(ch for ch in text if not ("\u202a" <= ch <= "\u202e" or "\u2066" <= ch <= "\u2069"))


@pytest.mark.parametrize("text", RTL)
def test_right_to_left_text_is_untouched(text: str) -> None:
    assert plain(text) == text
    assert _resolved(as_markdown(text)).replace("  \n", "\n") == text


@pytest.mark.parametrize("text", HOSTILE)
def test_as_markdown_renders_exactly_the_typed_characters(text: str) -> None:
    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough").render(as_markdown(text))
    markup = set(re.findall(r"</?([a-z0-9]+)", rendered))
    assert markup <= {"p", "br"}, f"markup came out of {text!r}: {rendered}"
    shown = html.unescape(re.sub(r"<[^>]+>", " ", rendered)).replace(WORD_JOINER, "")
    assert shown.split() == plain(text).split(), "the same characters, only line breaks and spaces may differ"


@pytest.mark.parametrize("text", HOSTILE)
def test_no_bare_address_or_icon_survives_the_escapes(text: str) -> None:
    resolved = _resolved(as_markdown(text))
    assert not re.search(r"(?i)https?://|www\.|mailto:\w|[\w.+-]@\w|:material/|:\w+:", resolved), resolved
    assert not BIDI_CONTROLS.search(resolved)


def test_the_word_joiner_is_the_only_addition_and_is_invisible() -> None:
    """Besides escapes and joiners, only the indent of a line goes (Markdown drops it, or makes a code block of it)."""
    assert WORD_JOINER == "\u2060"  # WORD JOINER: zero width, no line break, ignored by screen readers
    for text in HOSTILE:
        unindented = "\n".join(line.lstrip(" \t") for line in plain(text).split("\n"))
        assert _resolved(as_markdown(text)).replace(WORD_JOINER, "").replace("  \n", "\n") == unindented


@pytest.mark.parametrize(
    "label",
    ["We know where our biggest performance losses are, and our digital plans start there.", "IT/OT (2027): 80% done?", "Don't know"],
)
def test_ordinary_words_and_punctuation_pass_unchanged(label: str) -> None:
    """Streamlit hands a widget's label to screen readers as written: ordinary labels must carry no backslash."""
    assert as_markdown(label) == label
