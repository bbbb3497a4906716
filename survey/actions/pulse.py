"""Re-pulse: a short follow-up wave asking only the items chosen actions point at, plus "I see this being acted on" per action.

How a pulse is represented: as a questionnaire of its own, derived from the campaign's full one and
registered under its own key `<id>-pulse-<digest>@<version>` (`survey.campaigns.PULSE_MARK`). Why:
every part that collects or reads answers already takes a wave's questionnaire from `waves.instrument_key`
(the survey pages, invites, QR codes, the kiosk, the offline site, imports, the analysis), so a pulse
needs no special case anywhere; items keep their ids, scale and reverse keying, so the analysis
compares a pulse's items and dimensions with the full waves' as it compares any two waves; and the
stored text says exactly what was asked. The digest is of the derived text, so the same pulse asked
twice is one questionnaire, and a changed action title is a new one.

A pulse keeps the attributes (groups are what a gap is between), drops the value-at-stake block and
the comment prompts, and adds one dimension, `follow_through`, with an item `SEEN_<action id>` per
action on the same scale. A dimension target brings all its items, an item target that item; loss
and blind-spot targets bring the items of no dimension (only their "being acted on" item).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import duckdb
import pandas as pd
import yaml

from survey.actions.storage import list_actions
from survey.campaigns import PULSE_MARK, CampaignError, Wave, base_instrument_id, get_campaign, instrument_by_key, list_waves, start_wave
from survey.instrument import Instrument, parse_instrument
from survey.store import audit

FOLLOW_THROUGH = "follow_through"
SEEN_PREFIX = "SEEN_"
_SEEN = {"en": "I see this being acted on: {title}", "nl": "Ik zie dat hier werk van wordt gemaakt: {title}"}
_FOLLOW_LABEL = {"en": "Follow-through on actions", "nl": "Opvolging van acties"}
_FOLLOW_DESCRIPTION = {
    "en": "Actions leadership took after the last survey. Do you see them happen where you work?",
    "nl": "Acties die de leiding na de vorige peiling heeft genomen. Zie je ze gebeuren waar jij werkt?",
}
_TITLE = {"en": "Pulse: {title}", "nl": "Korte peiling: {title}"}
_INTRO = {
    "en": "A two-minute follow-up: a few statements from the last survey, and whether you see the actions taken since being carried out. "
    "Answers are anonymous as before.",
    "nl": "Een vervolg van twee minuten: een paar stellingen uit de vorige peiling, en of je de acties die sindsdien zijn genomen ziet "
    "gebeuren. Je antwoorden zijn net als eerst anoniem.",
}


def seen_item_id(action_id: str) -> str:
    return f"{SEEN_PREFIX}{action_id}"


def _text(template: dict[str, str], languages: Sequence[str], **values: str) -> dict[str, str]:
    """One text per language of the questionnaire; a language with no translation here reads the English."""
    return {lang: template.get(lang, template["en"]).format(**values) for lang in languages}


def linked_items(instrument: Instrument, actions: pd.DataFrame) -> list[str]:
    """The item ids the actions point at, in questionnaire order: a dimension brings all its items."""
    wanted: set[str] = set()
    for kind, target in zip(actions["target_kind"], actions["target_id"], strict=True):
        if kind == "dimension" and target in instrument.dimension_ids:
            wanted.update(item.id for item in instrument.dimension(target).items)
        elif kind == "item" and target in instrument.item_ids:
            wanted.add(target)
    return [item_id for item_id in instrument.item_ids if item_id in wanted]


def pulse_instrument(full: Instrument, actions: pd.DataFrame) -> Instrument:
    """The pulse questionnaire for `actions` (rows of `list_actions`), derived from `full`; pure, validated like any file."""
    if actions.empty:
        raise CampaignError("a pulse needs at least one action")
    raw = yaml.safe_load(full.source_text)
    keep = set(linked_items(full, actions))
    dimensions = []
    for dim in raw.get("dimensions", []):
        items = [item for item in dim.get("items", []) if item.get("id") in keep]
        if items:
            dim = {k: v for k, v in dim.items() if k != "comment_prompt"}
            dimensions.append({**dim, "items": items})
    languages = list(full.languages)
    dimensions.append(
        {
            "id": FOLLOW_THROUGH,
            "label": _text(_FOLLOW_LABEL, languages),
            "description": _text(_FOLLOW_DESCRIPTION, languages),
            "items": [
                {"id": seen_item_id(aid), "text": _text(_SEEN, languages, title=str(title)), "reverse": False}
                for aid, title in zip(actions["action_id"], actions["title"], strict=True)
            ],
        }
    )
    raw.pop("value_at_stake", None)
    # A pulse stays short: no targets and no predictions of other levels (they name every dimension of the full instrument).
    raw.pop("targets", None)
    raw.pop("meta_perception", None)
    raw["dimensions"] = dimensions
    raw["title"] = {lang: _TITLE.get(lang, _TITLE["en"]).format(title=full.title.get(lang, full.title.get("en", ""))) for lang in languages}
    raw["intro"] = _text(_INTRO, languages)
    base = base_instrument_id(full.id)
    raw["id"] = base
    digest = hashlib.sha256(yaml.safe_dump(raw, allow_unicode=True, sort_keys=True).encode("utf-8")).hexdigest()[:8]
    raw["id"] = f"{base}{PULSE_MARK}{digest}"
    if len(raw["id"]) > 64:
        raise CampaignError(f"the questionnaire id '{base}' is too long to derive a pulse from (at most 49 characters)")
    text = "# Pulse derived from " + full.key + "\n" + yaml.safe_dump(raw, allow_unicode=True, sort_keys=False, width=1000)
    return parse_instrument(text, f"pulse of {full.key}")


def _chosen(con: duckdb.DuckDBPyConnection, campaign_id: str, from_wave: int, action_ids: Sequence[str] | None) -> pd.DataFrame:
    actions = list_actions(con, campaign_id)
    if action_ids:
        unknown = [a for a in action_ids if a not in set(actions["action_id"])]
        if unknown:
            raise CampaignError(f"campaign '{campaign_id}' has no action {', '.join(unknown)}")
        return actions[actions["action_id"].isin(list(action_ids))].reset_index(drop=True)
    chosen = actions[(actions["answers_wave"] == from_wave) & (actions["status"] != "dropped")].reset_index(drop=True)
    if chosen.empty:
        raise CampaignError(
            f"no action of campaign '{campaign_id}' answers wave {from_wave} (or all were dropped); name them with --actions"
        )
    return chosen


def start_pulse(
    con: duckdb.DuckDBPyConnection,
    campaign_id: str,
    from_wave: int,
    action_ids: Sequence[str] | None = None,
    *,
    actor: str,
    label: str | None = None,
) -> tuple[Wave, Instrument]:
    """Open a pulse wave for the chosen actions (default: every action answering `from_wave` that is not dropped).

    The pulse is derived from the full questionnaire `from_wave` was asked with. Invites, QR codes and the
    kiosk then work for it as for any wave, because they serve whatever the current wave asks.
    """
    get_campaign(con, campaign_id)
    waves = {w.wave: w for w in list_waves(con, campaign_id)}
    if from_wave not in waves:
        raise CampaignError(f"campaign '{campaign_id}' has no wave {from_wave}")
    full = instrument_by_key(con, waves[from_wave].instrument_key)
    if PULSE_MARK in full.id:
        raise CampaignError(f"wave {from_wave} was itself a pulse; start a pulse from a full wave")
    actions = _chosen(con, campaign_id, from_wave, action_ids)
    instrument = pulse_instrument(full, actions)
    wave = start_wave(con, campaign_id, label or f"Pulse on {', '.join(actions['action_id'])}", instrument)
    audit(con, actor, "repulse", f"campaign {campaign_id} wave {wave.wave} from wave {from_wave}: {', '.join(actions['action_id'])}")
    return wave, instrument
