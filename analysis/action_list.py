"""The action list as the surfaces show it (public page, poster, kiosk, workshop, deck, report): read from the actions storage.

The actions themselves (storage, validation, editing) belong to `survey.actions`; this module only reads
them into plain lines (text as typed, shown as plain text) with their status in EN and NL, so every surface
lists the same actions the same way.
`published_only` is what a page without sign-in may read: only actions leadership chose to publish.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

from analysis.labels import Labels
from survey.actions import list_actions
from survey.user_text import plain

STATUS_WORDS: dict[str, dict[str, str]] = {
    "planned": {"en": "Planned", "nl": "Gepland"},
    "in_progress": {"en": "In progress", "nl": "Bezig"},
    "done": {"en": "Done", "nl": "Gedaan"},
    "dropped": {"en": "Dropped", "nl": "Gestopt"},
}


@dataclass(frozen=True)
class ActionLine:
    """One action as listed: what, who, by when, how far; the value hypothesis only where the surface may show it."""

    title: str
    owner: str
    status: str
    due: dt.date | None
    published: bool = False
    loss: str | None = None
    eur_per_year: float | None = None
    kpi: str | None = None
    kpi_baseline: str | None = None
    target_kind: str = ""
    target_id: str = ""
    group_a: str | None = None
    group_b: str | None = None

    def status_word(self, lang: str) -> str:
        words = STATUS_WORDS.get(self.status)
        return words.get(lang, words["en"]) if words else self.status


def _text(value: object) -> str | None:
    if value is None or value != value:  # NaN: no value
        return None
    text = plain(str(value)).strip()
    return text or None


def target_text(line: ActionLine, labels: Labels) -> str:
    """What an action answers, in words: the dimension, statement or loss, and the group pair if it names one."""
    kind, ident = line.target_kind, line.target_id
    if kind in ("dimension", "blind_spot"):
        what = labels.dimension(ident)
    elif kind == "loss":
        what = labels.loss(ident)
    else:
        what = ident
    if line.group_a and line.group_b:
        what += f" · {labels.group(line.group_a)} / {labels.group(line.group_b)}"
    return what


def _line(row: Mapping[str, Any]) -> ActionLine:
    due = row.get("due_on")
    eur = row.get("eur_per_year")
    return ActionLine(
        title=plain(str(row.get("title") or "")),
        owner=plain(str(row.get("owner") or "")),
        status=str(row.get("status") or "planned"),
        due=due if isinstance(due, dt.date) else None,
        published=bool(row.get("published")),
        loss=_text(row.get("loss")),
        eur_per_year=None if eur is None or eur != eur else float(eur),
        kpi=_text(row.get("kpi")),
        kpi_baseline=_text(row.get("kpi_baseline")),
        target_kind=str(row.get("target_kind") or ""),
        target_id=str(row.get("target_id") or ""),
        group_a=_text(row.get("group_a")),
        group_b=_text(row.get("group_b")),
    )


def action_lines(con: duckdb.DuckDBPyConnection, campaign_id: str, *, published_only: bool) -> list[ActionLine]:
    """The campaign's actions, in the storage's order; with `published_only`, only those leadership published."""
    frame = list_actions(con, campaign_id, published_only=published_only)
    return [_line(row) for row in frame.to_dict("records")]
