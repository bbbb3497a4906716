"""The leadership dashboard's own wording in English and Dutch: page titles, menu, scope controls and each page's texts.

The questionnaire carries its own texts (group, dimension and item names) and the exports theirs
(`analysis.export.texts`); this table holds what only the dashboard says. Dutch follows the exports'
words where both say the same thing ("ronde" for a wave, "onderdeel" for a dimension) so that a
leader reads one vocabulary on screen, in the deck and in the workbook.
"""

from __future__ import annotations

from analysis.export.texts import TEXTS  # words the exports already have, shared rather than typed again
from survey.texts import wording

LANGUAGE_NAMES = {"en": "English", "nl": "Nederlands", "de": "Deutsch", "fr": "Français"}

WORDS: dict[str, dict[str, str]] = {
    # Page titles (also the menu's labels)
    "title_home": {"en": "Home", "nl": "Start"},
    "title_survey": {"en": "Survey", "nl": "Vragenlijst"},
    "title_overview": {"en": "Overview", "nl": "Overzicht"},
    "title_gaps": TEXTS["gaps"],
    "title_perception": {"en": "Blind spots and ambition", "nl": "Blinde vlekken en ambitie"},
    "title_items": {"en": "Item detail", "nl": "Stellingen"},
    "title_value": TEXTS["value"],
    "title_comments": TEXTS["comments"],
    "title_trends": {"en": "Trends", "nl": "Trends"},
    "title_actions": TEXTS["actions"],
    "title_campaigns": {"en": "Campaigns", "nl": "Campagnes"},
    "title_invites": {"en": "Invites", "nl": "Uitnodigingen"},
    "title_import": {"en": "Import", "nl": "Importeren"},
    "title_exports": {"en": "Exports", "nl": "Exporteren"},
    "title_data": {"en": "Data and audit", "nl": "Gegevens en audit"},
    "title_workshop": {"en": "Workshop", "nl": "Workshop"},
    "title_publish": {"en": "Publish", "nl": "Publiceren"},
    "title_you_said": {"en": "You said, we did", "nl": "Jullie zeiden, wij deden"},
    "title_sign_in": {"en": "Sign in", "nl": "Inloggen"},
    "signed_in_as": {"en": "Signed in as **{role}**", "nl": "Ingelogd als **{role}**"},
    # Sidebar: the scope every page shares
    "campaign": TEXTS["campaign"],
    "wave": TEXTS["wave"],
    "language": {"en": "Language", "nl": "Taal"},
    "filter": {"en": "Filter: {attribute}", "nl": "Filter: {attribute}"},
    "all": {"en": "All", "nl": "Alle"},
    "threshold_note": {
        "en": "Groups smaller than **{k}** are hidden everywhere, also when filters combine.",
        "nl": "Groepen kleiner dan **{k}** zijn overal verborgen, ook als filters samengaan.",
    },
    "one_filter": {
        "en": "One filter at a time, and the filtered attribute is not offered for grouping: a view combines at most "
        "two attributes, so that no small cross-section can be singled out.",
        "nl": "Eén filter tegelijk, en op het gefilterde kenmerk kan niet worden gegroepeerd: een weergave combineert "
        "hooguit twee kenmerken, zodat geen kleine doorsnede is aan te wijzen.",
    },
    "age_stale": {
        "en": "Data as of {age} ago: the copy could not reach the database server lately.",
        "nl": "Gegevens van {age} geleden: de kopie kon de databaseserver de laatste tijd niet bereiken.",
    },
    "age_unknown": {"en": "an unknown time", "nl": "onbekende tijd"},
    "age_ok": {
        "en": "Data as of {age} s ago (copy of the database server, kept at most {most} s behind).",
        "nl": "Gegevens van {age} s geleden (kopie van de databaseserver, hooguit {most} s achter).",
    },
    "refused": {
        "en": "This view cannot be shown for this choice: {why}. Change the filters in the sidebar or the grouping.",
        "nl": "Deze weergave kan voor deze keuze niet worden getoond: {why}. Pas de filters in de zijbalk of de groepering aan.",
    },
    # Shared controls and notes
    "compare_by": {"en": "Compare by", "nl": "Vergelijk op"},
    "all_filtered": {
        "en": "Every attribute is filtered in the sidebar, so there are no groups to compare. Clear a filter.",
        "nl": "Elk kenmerk is in de zijbalk gefilterd, dus er zijn geen groepen om te vergelijken. Wis een filter.",
    },
    "per": {"en": "Per", "nl": "Per"},
    "rows": {"en": "Rows", "nl": "Rijen"},
    "dimension": TEXTS["col_dimension"],
    "dimensions": {"en": "Dimensions", "nl": "Onderdelen"},
    "item": TEXTS["col_item"],
    "items": TEXTS["items"],
    "no_data": {
        "en": "No responses in this campaign yet. Share the survey link (Invites page) or load the demo on the home page.",
        "nl": "Nog geen antwoorden in deze campagne. Deel de link naar de vragenlijst (pagina Uitnodigingen) of laad de demo op de startpagina.",
    },
    "hidden_groups": {
        "en": "{n} group(s) hidden to protect anonymity",
        "nl": "{n} groep(en) verborgen om de anonimiteit te beschermen",
    },
    "hidden_why": {
        "en": "A group is shown only when it has at least {k} respondents, and a second group is hidden when the first "
        "could otherwise be worked out from a total and the other groups.",
        "nl": "Een groep wordt alleen getoond als ze minstens {k} respondenten heeft, en een tweede groep wordt verborgen "
        "als de eerste anders uit een totaal en de andere groepen af te leiden is.",
    },
    "rep_none": {"en": "Representation ratio: not available ({why}).", "nl": "Vertegenwoordiging: niet beschikbaar ({why})."},
    "rep_label": {"en": "Representation ratio", "nl": "Vertegenwoordiging"},
    "rep_help": {
        "en": "{focus} response rate ÷ the other levels' combined rate. {focus}: {focus_rate} responded; the other shown "
        "levels together: {others_rate}. Below {below} the {focus} is under-represented. Hidden levels (fewer than k) "
        "and levels without a headcount are left out of the other levels' rate.",
        "nl": "Respons van {focus} ÷ de gezamenlijke respons van de andere niveaus. {focus}: {focus_rate} antwoordde; de "
        "andere getoonde niveaus samen: {others_rate}. Onder {below} is {focus} ondervertegenwoordigd. Verborgen niveaus "
        "(minder dan k) en niveaus zonder aantal medewerkers tellen niet mee in de respons van de andere niveaus.",
    },
    "rep_flag": {
        "en": "**{focus} under-represented** (ratio {ratio}, below {below}): its voice weighs less in every chart than its "
        "headcount. To reach it: {advice}.",
        "nl": "**{focus} ondervertegenwoordigd** (verhouding {ratio}, onder {below}): haar stem weegt in elke grafiek minder "
        "dan haar aantal medewerkers. Zo is ze te bereiken: {advice}.",
    },
    "rep_excluded": {
        "en": "Left out of the other levels' rate (hidden or no headcount): {groups}",
        "nl": "Niet meegeteld in de respons van de andere niveaus (verborgen of geen aantal medewerkers): {groups}",
    },
    # Overview
    "respondents": TEXTS["respondents"],
    "hidden": TEXTS["hidden_short"],
    "response_rate": {"en": "Response rate", "nl": "Respons"},
    "threshold": {"en": "Anonymity threshold", "nl": "Anonimiteitsdrempel"},
    "scale": TEXTS["scale"],
    "heat_mean": {
        "en": "Mean score per cell on the {lo}–{hi} scale (reverse-keyed items reversed), n below it. ",
        "nl": "Gemiddelde score per cel op de schaal {lo}–{hi} (omgekeerd gestelde stellingen omgerekend), n eronder. ",
    },
    "heat_relative": {
        "en": "Blue is above the score of everyone, red below. ",
        "nl": "Blauw ligt boven de score van iedereen, rood eronder. ",
    },
    "heat_absolute": {
        "en": "Blue is above the scale's midpoint, red below. ",
        "nl": "Blauw ligt boven het midden van de schaal, rood eronder. ",
    },
    "heat_changes": {
        "en": "▲/▼: change since wave {wave}, shown only where the group is shown in both waves. ",
        "nl": "▲/▼: verandering sinds ronde {wave}, alleen waar de groep in beide rondes getoond wordt. ",
    },
    "heat_grey": {"en": "Grey cells are hidden groups.", "nl": "Grijze cellen zijn verborgen groepen."},
    "participation": {"en": "Participation", "nl": "Deelname"},
    "col_group": TEXTS["col_group"],
    "col_n": TEXTS["col_n"],
    "col_headcount": {"en": "Headcount", "nl": "Medewerkers"},
    "col_response_rate": {"en": "Response rate", "nl": "Respons"},
    "reliability": {"en": "Reliability", "nl": "Betrouwbaarheid"},
    "col_items": TEXTS["items"],
    "col_alpha": {"en": "Cronbach's α", "nl": "Cronbachs α"},
    "col_low": {"en": "below 0.7", "nl": "onder 0,7"},
    "reliability_how": {
        "en": "Cronbach's alpha over respondents who answered every item of a dimension; below 0.7 the items do not "
        "measure one thing well enough to average them without care.",
        "nl": "Cronbachs alfa over de respondenten die elke stelling van een onderdeel beantwoordden; onder 0,7 meten de "
        "stellingen niet goed genoeg één ding om ze zonder meer te middelen.",
    },
    # Gaps
    "no_two_groups": {
        "en": "Every attribute is filtered in the sidebar, so there are no two groups to compare. Clear a filter.",
        "nl": "Elk kenmerk is in de zijbalk gefilterd, dus er zijn geen twee groepen om te vergelijken. Wis een filter.",
    },
    "group_a": {"en": "Group A", "nl": "Groep A"},
    "group_b": {"en": "Group B", "nl": "Groep B"},
    "choose_two": {"en": "Choose two different groups.", "nl": "Kies twee verschillende groepen."},
    "gaps_how": {
        "en": "Score of **{a}** minus score of **{b}**: to the right, A sees it more positively. Bars show the 95% "
        "confidence interval (Welch); p-values are corrected for the number of comparisons (Benjamini–Hochberg); "
        "effect size is Hedges' g (0.2 small, 0.5 medium, 0.8 large).",
        "nl": "Score van **{a}** min score van **{b}**: naar rechts is A positiever. Balken tonen het "
        "95%-betrouwbaarheidsinterval (Welch); p-waarden zijn gecorrigeerd voor het aantal vergelijkingen "
        "(Benjamini–Hochberg); de effectgrootte is Hedges' g (0,2 klein, 0,5 middel, 0,8 groot).",
    },
    # Item detail
    "statement": {"en": "Statement", "nl": "Stelling"},
    "reverse_note": {
        "en": "Reverse-keyed statement: agreeing is the less favourable answer, so scores use the reversed value.",
        "nl": "Omgekeerd gestelde stelling: eens zijn is het minst gunstige antwoord, dus de score gebruikt de omgekeerde waarde.",
    },
    "how_answered": {"en": "How each group answered", "nl": "Hoe elke groep antwoordde"},
    "distribution_how": {
        "en": "Share of each group's answers per scale point; disagreement to the left of the centre line, agreement to "
        "the right, the middle category split across it. Don't know is left out.",
        "nl": "Aandeel van de antwoorden van elke groep per schaalpunt; oneens links van de middenlijn, eens rechts, de "
        "middelste categorie verdeeld over beide kanten. Weet ik niet telt niet mee.",
    },
    "axis_distribution": {"en": "% of answers (disagree ← → agree)", "nl": "% van de antwoorden (oneens ← → eens)"},
    "axis_agreement": {"en": "mean ± SD", "nl": "gemiddelde ± SD"},
    "agreement_title": {"en": "Agreement within groups · {dimension}", "nl": "Eensgezindheid binnen groepen · {dimension}"},
    "agreement_how": {
        "en": "Dot: the group's mean; bar: ±1 standard deviation; r_wg: within-group agreement from 0 (as spread as random "
        "answers) to 1 (everyone answers the same). Alignment is about spread as much as level.",
        "nl": "Punt: het gemiddelde van de groep; balk: ±1 standaardafwijking; r_wg: eensgezindheid binnen de groep, van 0 "
        "(zo verspreid als willekeurige antwoorden) tot 1 (iedereen antwoordt hetzelfde). Op één lijn zitten gaat over "
        "spreiding evengoed als over niveau.",
    },
    # Value at stake
    "no_vas": {"en": "This questionnaire has no value-at-stake block.", "nl": "Deze vragenlijst heeft geen blok over waarde op het spel."},
    "priorities": {"en": "Priorities", "nl": "Prioriteiten"},
    "priorities_how": {
        "en": "Ranked by a priority score: half the € at stake (relative to the largest), half how far board and shop "
        "floor disagree about the loss (relative to the largest disagreement). Enter € estimates on the Campaigns page.",
        "nl": "Gerangschikt op een prioriteitsscore: half de € op het spel (ten opzichte van de grootste), half hoe ver "
        "bestuur en werkvloer het over het verlies oneens zijn (ten opzichte van de grootste onenigheid). Vul "
        "€-schattingen in op de pagina Campagnes.",
    },
    "shares_title": {"en": "Share of each level naming the loss", "nl": "Aandeel van elk niveau dat het verlies noemt"},
    "share": {"en": "share naming it", "nl": "aandeel dat het noemt"},
    # Comments
    "all_dimensions": {"en": "All dimensions", "nl": "Alle onderdelen"},
    "show_by": {"en": "Show by group", "nl": "Toon per groep"},
    "no_grouping": {"en": "No grouping", "nl": "Geen groepering"},
    "search": {"en": "Search", "nl": "Zoeken"},
    "search_hint": {"en": "e.g. planning", "nl": "bijv. planning"},
    "comments_how": {
        "en": "Comments appear only for groups of at least {k} respondents, in random order and without dates, so "
        "nobody can be recognised by their words' timing or position.",
        "nl": "Opmerkingen verschijnen alleen voor groepen van minstens {k} respondenten, in willekeurige volgorde en "
        "zonder datum, zodat niemand te herkennen is aan het moment of de plaats van zijn woorden.",
    },
    "no_comments": {"en": "No comments to show for this selection.", "nl": "Geen opmerkingen voor deze selectie."},
    "comment_count": {"en": "**{n}** comment(s)", "nl": "**{n}** opmerking(en)"},
    "comments_more": {
        "en": "Showing 300 of {n}; narrow the search to see others.",
        "nl": "300 van {n} getoond; verfijn de zoekopdracht om andere te zien.",
    },
    # Trends
    "first_wave": {
        "en": "This is the first wave. Start a follow-up wave on the Campaigns page, then compare here.",
        "nl": "Dit is de eerste ronde. Start een vervolgronde op de pagina Campagnes en vergelijk dan hier.",
    },
    "compare_with": {"en": "Compare with", "nl": "Vergelijk met"},
    "groups_of": {"en": "Groups of", "nl": "Groepen naar"},
    "group": TEXTS["col_group"],
    "trend_how": {
        "en": "Change in mean score from wave {before} to wave {after} with a 95% CI (Welch; different people may answer "
        "in each wave). Hidden when the group is below the threshold in either wave.",
        "nl": "Verandering van de gemiddelde score van ronde {before} naar ronde {after} met een 95%-BI (Welch; per ronde "
        "kunnen andere mensen antwoorden). Verborgen als de groep in een van beide rondes onder de drempel blijft.",
    },
    "axis_trend": {"en": "change since the earlier wave", "nl": "verandering sinds de eerdere ronde"},
    "col_n_wave": {"en": "n wave {wave}", "nl": "n ronde {wave}"},
    "col_mean_wave": {"en": "mean wave {wave}", "nl": "gemiddelde ronde {wave}"},
    "col_change": TEXTS["col_change"],
    "col_ci": TEXTS["col_ci"],
    "col_p_adj": TEXTS["col_p_adj"],
    "col_hidden": TEXTS["hidden_short"],
    "closure_question": {"en": "Gap closure: did our actions close the gaps?", "nl": "Hebben onze acties de verschillen gedicht?"},
    "closure_no_actions": {
        "en": "No actions yet: plan them on the Gaps or Actions page, then compare after a follow-up wave.",
        "nl": "Nog geen acties: plan ze op de pagina Verschillen of Acties en vergelijk na een vervolgronde.",
    },
    # Exports
    "format": {"en": "Format", "nl": "Formaat"},
    "raw_sheet": {"en": "Add the Raw sheet (answer rows)", "nl": "Het blad Raw toevoegen (antwoordrijen)"},
    "export_wave": TEXTS["col_wave"],
    "export_filtered": {"en": ", filtered to {filters}", "nl": ", gefilterd op {filters}"},
    "export_rule": {
        "en": ". Every number and comment obeys the anonymity threshold (k = {k}) exactly as on screen.",
        "nl": ". Elk getal en elke opmerking volgt de anonimiteitsdrempel (k = {k}) precies zoals op het scherm.",
    },
    "export_rows": {
        "en": " Answer rows are coarsened so that every combination of language and attributes describes at least {k} "
        "respondents, with new ids and the wave's date; each file is recorded in the audit log.",
        "nl": " Antwoordrijen worden grover gemaakt zodat elke combinatie van taal en kenmerken minstens {k} respondenten "
        "beschrijft, met nieuwe id's en de datum van de ronde; elk bestand wordt vastgelegd in het auditlog.",
    },
    "grant_needed": {
        "en": "Answer rows are a permission of their own: switch on row-level data for this campaign first.",
        "nl": "Antwoordrijen vragen een eigen toestemming: zet eerst gegevens op rijniveau aan voor deze campagne.",
    },
    "create_export": {"en": "Create export", "nl": "Export maken"},
    "starting": {"en": "Starting…", "nl": "Bezig met starten…"},
    "done_in": {"en": "Done in {s} s", "nl": "Klaar in {s} s"},
    "download": {"en": "Download {what}", "nl": "{what} downloaden"},
    # Workshop
    "workshop_whole_wave": {
        "en": "Workshop mode shows the whole wave: clear the filter in the sidebar.",
        "nl": "De workshop toont de hele ronde: wis het filter in de zijbalk.",
    },
}


def say(key: str, lang: str, **values: object) -> str:
    """The dashboard's wording for `key` in `lang` (English when a language lacks it), placeholders filled in."""
    return wording(WORDS, key, lang, **values)


def language_name(code: str) -> str:
    """A language as its speakers write it ("Nederlands"), for the language switch; an unknown code as itself."""
    return LANGUAGE_NAMES.get(code, code.upper())
