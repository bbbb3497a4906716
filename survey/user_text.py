"""Text people typed (comments, campaign and wave names, questionnaire texts, file names), made inert for display.

What is stored stays exactly as typed; these functions prepare it for one kind of display, wherever it is shown:

- `plain(text)` for places that show text as text (plain-text elements, tables, charts, drop-down options,
  the exports): the invisible bidirectional controls that reorder what is displayed (U+202A–U+202E,
  U+2066–U+2069, e.g. U+202E RIGHT-TO-LEFT OVERRIDE, which shows "txt.exe" as "exe.txt") are taken out.
  Letters of right-to-left languages are untouched: browsers order them without these controls.
- `as_markdown(text)` for places that read Markdown (captions, labels, messages, headings): `plain`, then the
  characters that start Markdown or HTML backslash-escaped (emphasis, code, links, images, tags, entities,
  maths, and headings, quotes and lists at the start of a line), and an invisible WORD JOINER (U+2060) where
  Streamlit's Markdown would still make something of escaped text, because its link and icon rules read the
  text after escapes are resolved: after a colon (`https://`, `:material/home:`, `:smile:`), before `@`
  (e-mail addresses) and inside `www.`. Nothing else is escaped: Streamlit also hands a widget's label to
  screen readers as written, so a label of ordinary words and punctuation must reach them without backslashes.
"""

from __future__ import annotations

import re

BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
WORD_JOINER = "\u2060"
_MARKUP = re.compile(r"([\\`*_\[\]<>~|$&])")
_LINE_START = re.compile(r"^[ \t]*(?:([#>+=-])|(\d+)([.)]))?", re.M)
_LINK_OR_ICON = re.compile(r"(?<=:)(?=\S)|(?=@)|(?i:(?<=www)(?=\.))")


def plain(text: object) -> str:
    """`text` with the bidirectional controls taken out: shown in the order it was typed."""
    return BIDI_CONTROLS.sub("", str(text))


def as_markdown(text: object) -> str:
    """`text` as Markdown that shows exactly these characters: no markup, link, icon, or reordering."""
    escaped = _MARKUP.sub(r"\\\1", _LINK_OR_ICON.sub(WORD_JOINER, plain(text)))
    escaped = _LINE_START.sub(_line_start, escaped)
    return escaped.replace("\n", "  \n")


def _line_start(match: re.Match[str]) -> str:
    """A line's start without its indent (four spaces would make a code block), a heading, quote or list marker escaped."""
    marker, number, delimiter = match.groups()
    if marker:
        return f"\\{marker}"
    return f"{number}\\{delimiter}" if number else ""
