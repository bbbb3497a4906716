"""Interface wording for respondents in every supported language (the instrument carries its own texts)."""

from __future__ import annotations

from collections.abc import Mapping

TEXTS: dict[str, dict[str, str]] = {
    "language": {"en": "Language", "nl": "Taal"},
    "start": {"en": "Start the survey", "nl": "Start de vragenlijst"},
    "about_you": {"en": "About you", "nl": "Over jou"},
    "about_you_help": {
        "en": "Used only to compare groups of at least {k} people. Nobody sees your individual answers.",
        "nl": "Alleen gebruikt om groepen van minstens {k} mensen te vergelijken. Niemand ziet jouw antwoorden apart.",
    },
    "choose": {"en": "Choose…", "nl": "Kies…"},
    "next": {"en": "Next", "nl": "Volgende"},
    "back": {"en": "Back", "nl": "Terug"},
    "review": {"en": "Review your answers", "nl": "Controleer je antwoorden"},
    "review_help": {
        "en": "Check each section. You can still change anything before you submit.",
        "nl": "Bekijk elke sectie. Je kunt nog alles aanpassen voordat je verstuurt.",
    },
    "edit": {"en": "Change", "nl": "Aanpassen"},
    "submit": {"en": "Submit my answers", "nl": "Verstuur mijn antwoorden"},
    "section_of": {"en": "Step {i} of {n}", "nl": "Stap {i} van {n}"},
    "comment": {"en": "Anything you want to add? (optional)", "nl": "Wil je nog iets toevoegen? (optioneel)"},
    "comment_help": {
        "en": "Comments are shown only for groups of at least {k} people, without your name. Do not mention names.",
        "nl": "Opmerkingen worden alleen getoond voor groepen van minstens {k} mensen, zonder je naam. Noem geen namen.",
    },
    "value_title": {"en": "Where value is at stake", "nl": "Waar waarde op het spel staat"},
    "outlook_title": {"en": "Looking ahead and around", "nl": "Vooruit en om je heen kijken"},
    "outlook_targets": {"en": "Where we should be in two years", "nl": "Waar we over twee jaar moeten staan"},
    "outlook_about": {"en": "How {group} sees us", "nl": "Hoe {group} naar ons kijkt"},
    "outlook_review": {"en": "{a} of {n} answered", "nl": "{a} van {n} beantwoord"},
    "answered": {"en": "{a} answered, {d} don't know, {o} open", "nl": "{a} beantwoord, {d} weet ik niet, {o} open"},
    "none_chosen": {"en": "none chosen", "nl": "niets gekozen"},
    "missing_attr": {"en": "Please choose: {name}", "nl": "Kies nog: {name}"},
    "too_many": {"en": "Choose at most {n}.", "nl": "Kies er maximaal {n}."},
    "thanks_title": {"en": "Thank you!", "nl": "Bedankt!"},
    "thanks_body": {
        "en": "Your answers are saved. Results are shared only for groups of at least {k} people.",
        "nl": "Je antwoorden zijn opgeslagen. Resultaten worden alleen gedeeld voor groepen van minstens {k} mensen.",
    },
    "new_survey": {"en": "Start a new survey on this device", "nl": "Start een nieuwe vragenlijst op dit apparaat"},
    "saving_failed": {
        "en": "Your answers could not be saved yet ({why}). Nothing is lost: they are still here. Please try again in a moment.",
        "nl": "Je antwoorden konden nog niet worden opgeslagen ({why}). Er is niets verloren: ze staan er nog. Probeer het zo opnieuw.",
    },
    "refused": {
        "en": "These answers cannot be stored: {why}",
        "nl": "Deze antwoorden kunnen niet worden opgeslagen: {why}",
    },
    "no_campaign": {
        "en": "No survey is open right now. Ask the person who invited you for the right link.",
        "nl": "Er staat op dit moment geen vragenlijst open. Vraag degene die je uitnodigde om de juiste link.",
    },
    "closed": {
        "en": "This survey is closed. Thank you for your interest.",
        "nl": "Deze vragenlijst is gesloten. Bedankt voor je interesse.",
    },
    "minutes": {"en": "About {m} minutes · {s} short sections", "nl": "Ongeveer {m} minuten · {s} korte secties"},
    "open_items": {"en": "Still open: {items}", "nl": "Nog open: {items}"},
    "kiosk_note": {
        "en": "Shared device: the survey clears itself after you submit or after {m} minutes without activity.",
        "nl": "Gedeeld apparaat: de vragenlijst wist zichzelf na het versturen of na {m} minuten zonder activiteit.",
    },
    "draft_saved": {
        "en": "Progress saved: you can close this page and come back with the same link.",
        "nl": "Voortgang opgeslagen: je kunt deze pagina sluiten en later met dezelfde link verdergaan.",
    },
    "invite_used": {
        "en": "This personal link has already been used to submit answers. Each link works once.",
        "nl": "Deze persoonlijke link is al gebruikt om antwoorden te versturen. Elke link werkt één keer.",
    },
    "invite_unknown": {
        "en": "This link is not valid. Check that you copied it completely, or ask for a new one.",
        "nl": "Deze link is niet geldig. Controleer of je hem volledig hebt gekopieerd, of vraag een nieuwe aan.",
    },
}


def wording(table: Mapping[str, Mapping[str, str]], key: str, lang: str, **values: object) -> str:
    """`table[key]` in `lang` (English when a language lacks it), with {placeholders} filled in: every wording table's lookup."""
    entry = table[key]
    text = entry.get(lang) or entry["en"]
    return text.format(**values) if values else text


def t(key: str, lang: str, **values: object) -> str:
    """The text for `key` in `lang` (English when a language lacks it), with {placeholders} filled in."""
    return wording(TEXTS, key, lang, **values)
