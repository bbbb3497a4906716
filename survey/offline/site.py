"""The offline survey page: one wave's questionnaire, the interface words and the export code's verifier, inlined into one HTML file."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

import duckdb
from jinja2 import Environment, FileSystemLoader, select_autoescape

from survey.campaigns import campaign_instrument, current_wave, get_campaign
from survey.instrument import Instrument
from survey.journey import estimated_minutes
from survey.offline.records import FORMAT, FORMAT_VERSION, PBKDF2_ITERATIONS, CodeKeys, new_keys
from survey.texts import TEXTS

HERE = Path(__file__).parent
# As on the app's kiosk: back to the start this long after "thank you", and after this long without a touch.
THANKS_S = 8
IDLE_S = 300
COUNTDOWN_S = 30
# Words only the offline page needs; the rest come from survey.texts, as in the app.
OFFLINE_TEXTS: dict[str, dict[str, str]] = {
    "queued": {"en": "{n} answer(s) waiting on this device", "nl": "{n} ingevulde vragenlijst(en) wachten op dit apparaat"},
    "queued_help": {
        "en": "They stay here, also without network, until the facilitator collects them.",
        "nl": "Ze blijven hier bewaard, ook zonder netwerk, tot de begeleider ze ophaalt.",
    },
    "saved_here": {
        "en": "Your answers are stored on this device until the facilitator collects them. Results are shared only for groups of at least {k} people.",
        "nl": "Je antwoorden zijn op dit apparaat bewaard tot de begeleider ze ophaalt. Resultaten worden alleen gedeeld voor groepen van minstens {k} mensen.",
    },
    "back_to_start": {"en": "Back to the start in {s} s", "nl": "Terug naar het begin over {s} s"},
    "idle": {
        "en": "Are you still there? The survey starts over in {s} s.",
        "nl": "Ben je er nog? De vragenlijst begint opnieuw over {s} s.",
    },
    "continue": {"en": "Continue my survey", "nl": "Verder met mijn vragenlijst"},
    "scale_legend": {"en": "Choose one answer per statement.", "nl": "Kies één antwoord per stelling."},
    "facilitator": {"en": "Facilitator", "nl": "Begeleider"},
    "code": {"en": "Export code", "nl": "Exportcode"},
    "unlock": {"en": "Open", "nl": "Openen"},
    "checking": {"en": "Checking…", "nl": "Controleren…"},
    "wrong_code": {"en": "That is not the export code.", "nl": "Dat is niet de exportcode."},
    "export": {"en": "Download export file ({n} answers)", "nl": "Exportbestand downloaden ({n} antwoorden)"},
    "exported": {
        "en": "Exported {n} answer(s) as {file}. Import the file, then clear them here.",
        "nl": "{n} antwoord(en) geëxporteerd als {file}. Importeer het bestand en wis ze daarna hier.",
    },
    "clear_title": {"en": "Clear the exported answers", "nl": "Geëxporteerde antwoorden wissen"},
    "clear_confirm": {
        "en": "The import of this file succeeded (the app or the command line said so).",
        "nl": "De import van dit bestand is gelukt (de app of de opdrachtregel meldde dat).",
    },
    "code_again": {"en": "Export code again", "nl": "Exportcode nogmaals"},
    "clear": {"en": "Clear {n} exported answer(s)", "nl": "{n} geëxporteerde antwoord(en) wissen"},
    "cleared": {"en": "Cleared {n} answer(s) from this device.", "nl": "{n} antwoord(en) van dit apparaat gewist."},
    "close": {"en": "Close", "nl": "Sluiten"},
    "nothing": {"en": "No answers are waiting.", "nl": "Er wachten geen antwoorden."},
    "storage_failed": {
        "en": "This browser cannot store answers (private mode or storage full). Ask the facilitator.",
        "nl": "Deze browser kan geen antwoorden bewaren (privévenster of opslag vol). Vraag het de begeleider.",
    },
    "optional": {"en": "optional", "nl": "optioneel"},
    "targets_title": {"en": "Where we should be", "nl": "Waar we moeten staan"},
    "meta_title": {"en": "How other levels see us", "nl": "Hoe andere niveaus ons zien"},
    "rated": {"en": "{a} answered, {o} open", "nl": "{a} beantwoord, {o} open"},
}
APP_TEXT_KEYS = (
    "language",
    "start",
    "about_you",
    "about_you_help",
    "choose",
    "next",
    "back",
    "review",
    "review_help",
    "edit",
    "submit",
    "section_of",
    "comment",
    "comment_help",
    "value_title",
    "answered",
    "none_chosen",
    "missing_attr",
    "too_many",
    "thanks_title",
    "new_survey",
    "minutes",
    "open_items",
    "kiosk_note",
)
LANGUAGE_NAMES = {"en": "English", "nl": "Nederlands", "de": "Deutsch", "fr": "Français", "es": "Español", "pl": "Polski"}


@dataclass(frozen=True)
class SiteWritten:
    """A generated site: where its page is, its size, and what it collects for."""

    path: Path
    size_bytes: int
    campaign_id: str
    wave: int
    instrument_key: str
    site_id: str


def _texts(languages: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """Every interface word in every language of the instrument (English where a language lacks one, as in the app)."""
    merged = {**{key: TEXTS[key] for key in APP_TEXT_KEYS}, **OFFLINE_TEXTS}
    return {lang: {key: words.get(lang) or words["en"] for key, words in merged.items()} for lang in languages}


def questionnaire(instrument: Instrument) -> dict:
    """The instrument as the page reads it: ids and texts in every language, in the app's order of steps.

    Built from the validated Instrument, so the page asks exactly what the app asks and what the
    import checks against. Scale points carry their full label (the radio's accessible name).
    """
    langs = instrument.languages
    scale = instrument.scale
    vas = instrument.value_at_stake
    return {
        "languages": list(langs),
        "language_names": {lang: LANGUAGE_NAMES.get(lang, lang) for lang in langs},
        "title": instrument.title,
        "intro": instrument.intro,
        "minutes": estimated_minutes(instrument),
        "scale": {
            "values": list(scale.values),
            "labels": {lang: [scale.label(v, lang) for v in scale.values] for lang in langs},
            "dont_know": scale.dont_know,
            "dont_know_label": scale.dont_know_label,
        },
        "attributes": [
            {"id": a.id, "label": a.label, "required": a.required, "options": [{"id": o, "label": t} for o, t in a.options.items()]}
            for a in instrument.attributes.values()
        ],
        "dimensions": [
            {
                "id": d.id,
                "label": d.label,
                "description": d.description,
                "comment_prompt": d.comment_prompt,
                "items": [{"id": i.id, "text": i.text} for i in d.items],
            }
            for d in instrument.dimensions
        ],
        "value_at_stake": None
        if vas is None
        else {"prompt": vas.prompt, "max_choices": vas.max_choices, "losses": [{"id": k, "label": t} for k, t in vas.losses.items()]},
        **_rating_blocks(instrument),
    }


def _rating_blocks(instrument: Instrument) -> dict:
    """The optional targets ("where should we be in two years") and meta-perception blocks, when the instrument has them.

    Read by attribute name (`targets`: prompt and a question per dimension; `meta_perception`: the attribute,
    a prompt and a question per reference option and dimension), so an instrument without them, or a
    version of the instrument model without them, gives a page without those steps.
    """
    targets = getattr(instrument, "targets", None)
    meta = getattr(instrument, "meta_perception", None)
    attribute = instrument.attributes.get(meta.attribute) if meta is not None else None
    return {
        "targets": None
        if targets is None
        else {"prompt": targets.prompt, "questions": [{"id": d, "text": t} for d, t in targets.questions.items()]},
        "meta_perception": None
        if meta is None or attribute is None
        else {
            "attribute": meta.attribute,
            "prompt": meta.prompt,
            "about": [
                {"id": option, "label": attribute.options[option], "questions": [{"id": d, "text": t} for d, t in per_dim.items()]}
                for option, per_dim in meta.questions.items()
            ],
        },
    }


def _json_for_html(data: dict) -> str:
    """JSON that cannot end the <script> element it sits in, whatever the instrument's texts say."""
    return (
        json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    )


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def render_page(instrument: Instrument, campaign: dict, keys: CodeKeys, *, site_id: str, idle_s: int = IDLE_S) -> str:
    """The whole page as text: markup, style, script and data inlined, and a policy that lets no request leave it.

    The Content-Security-Policy allows only this page's own script and style (by hash) and no
    connection, image, font or form target: even a mistake in the script cannot send an answer away.
    """
    spec = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "site": site_id,
        "campaign": campaign["campaign_id"],
        "wave": campaign["wave"],
        "instrument": instrument.key,
        "threshold": campaign["threshold"],
        "comment_threshold": campaign["comment_threshold"],
        "kdf": {"salt": keys.salt.hex(), "iterations": keys.iterations, "verifier": keys.verifier.hex()},
        "timing": {"thanks_s": THANKS_S, "idle_s": idle_s, "countdown_s": min(COUNTDOWN_S, idle_s // 2)},
        "questionnaire": questionnaire(instrument),
        "texts": _texts(instrument.languages),
    }
    script = (HERE / "static" / "survey.js").read_text(encoding="utf-8")
    style = (HERE / "static" / "survey.css").read_text(encoding="utf-8")
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html", "j2"]))
    return env.get_template("index.html.j2").render(
        lang=instrument.languages[0],
        title=instrument.title[instrument.languages[0]],
        spec_json=_json_for_html(spec),
        script=script,
        style=style,
        csp=f"default-src 'none'; script-src {_csp_hash(script)}; style-src {_csp_hash(style)}; img-src data:; "
        "connect-src 'none'; form-action 'none'; base-uri 'none'",
    )


def write_site(
    con: duckdb.DuckDBPyConnection,
    campaign_id: str,
    export_code: str,
    out: str | Path,
    *,
    wave: int | None = None,
    iterations: int = PBKDF2_ITERATIONS,
    idle_s: int = IDLE_S,
) -> SiteWritten:
    """Write `index.html` for a campaign's wave (the current one by default) into `out`.

    The page answers only that wave: its records name campaign, wave and instrument, and the import
    puts them back there even when a later wave has opened meanwhile.
    """
    campaign = get_campaign(con, campaign_id)
    wave_no = current_wave(con, campaign_id).wave if wave is None else wave
    instrument = campaign_instrument(con, campaign_id, wave_no)
    keys = new_keys(export_code, iterations)
    site_id = secrets.token_hex(8)
    page = render_page(
        instrument,
        {
            "campaign_id": campaign.campaign_id,
            "wave": wave_no,
            "threshold": campaign.threshold,
            "comment_threshold": campaign.comment_threshold,
        },
        keys,
        site_id=site_id,
        idle_s=idle_s,
    )
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "index.html"
    path.write_text(page, encoding="utf-8")
    return SiteWritten(path, path.stat().st_size, campaign.campaign_id, wave_no, instrument.key, site_id)
