"""The action list as the surfaces show it (public page, poster, kiosk, workshop, deck, report): read from the actions storage.

The actions themselves (storage, validation, editing) belong to `survey.actions`; this module only reads
them into plain lines with their words in EN and NL, so every surface lists the same actions the same way.
`published_only` is what a page without sign-in may read: only actions leadership chose to publish.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass
from typing import Any

import duckdb

from survey.user_text import plain

STATUSES = ("planned", "in_progress", "done", "dropped")
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
    target: str = ""

    def status_word(self, lang: str) -> str:
        words = STATUS_WORDS.get(self.status)
        return words.get(lang, words["en"]) if words else self.status


def _storage() -> Any | None:
    """The actions storage module, when this build has it (it is added by its own change; until then: no actions)."""
    try:
        return importlib.import_module("survey.actions")
    except ModuleNotFoundError:
        return None


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = plain(str(value)).strip()
    return text or None


def _target_text(target: object) -> str:
    """A short 'what it answers' for the lists: the dimension or item and the group pair, if the storage names them."""
    if not isinstance(target, dict):
        return plain(str(target)) if target else ""
    parts = [str(target[k]) for k in ("dimension", "item", "loss", "blind_spot") if target.get(k)]
    if target.get("a") and target.get("b"):
        parts.append(f"{target['a']} vs {target['b']}")
    return plain(" · ".join(parts))


def _line(row: Any) -> ActionLine:
    get = row.get if isinstance(row, dict) else lambda key, default=None: getattr(row, key, default)
    due = get("due") or get("due_date")
    if isinstance(due, str):
        due = dt.date.fromisoformat(due)
    eur = get("eur_per_year")
    return ActionLine(
        title=plain(str(get("title", ""))),
        owner=plain(str(get("owner", "") or "")),
        status=str(get("status", "planned")),
        due=due if isinstance(due, dt.date) else None,
        published=bool(get("published", False)),
        loss=_text(get("loss")),
        eur_per_year=None if eur is None or eur != eur else float(eur),
        kpi=_text(get("kpi")),
        kpi_baseline=_text(get("kpi_baseline")),
        target=_target_text(get("target")),
    )


def action_lines(con: duckdb.DuckDBPyConnection, campaign_id: str, *, published_only: bool) -> list[ActionLine]:
    """The campaign's actions, in the storage's order; with `published_only`, only those leadership published."""
    storage = _storage()
    if storage is None:
        return []
    lines = [_line(row) for row in storage.list_actions(con, campaign_id)]
    return [a for a in lines if a.published] if published_only else lines
