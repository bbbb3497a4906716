"""Wording of the workshop exports (workbook, report, deck, chart images) in every supported language."""

from __future__ import annotations

from survey.texts import wording

LANGUAGES = ("en", "nl")

TEXTS: dict[str, dict[str, str]] = {
    # Document and section titles
    "report_title": {"en": "Workshop report", "nl": "Workshoprapport"},
    "deck_title": {
        "en": "Coherence Scan: where we see our transformation differently",
        "nl": "Coherentiescan: waar we onze transformatie anders zien",
    },
    "summary": {"en": "Summary", "nl": "Samenvatting"},
    "heatmap": {"en": "Heatmap", "nl": "Heatmap"},
    "heatmap_dimensions": {"en": "Scores per dimension and group", "nl": "Scores per onderdeel en groep"},
    "heatmap_items": {"en": "Scores per statement and group", "nl": "Scores per stelling en groep"},
    "grouped_by": {"en": "Groups: {by}.", "nl": "Groepen: {by}."},
    "gaps": {"en": "Gaps", "nl": "Verschillen"},
    "gaps_title": {"en": "Gaps: {a} minus {b}", "nl": "Verschillen: {a} min {b}"},
    "gaps_items_title": {
        "en": "Statements with the largest gaps: {a} minus {b}",
        "nl": "Stellingen met de grootste verschillen: {a} min {b}",
    },
    "gaps_items_table": {"en": "Every statement", "nl": "Alle stellingen"},
    "top_gaps": {"en": "Where {a} and {b} see it differently", "nl": "Waar {a} en {b} het anders zien"},
    "items": {"en": "Items", "nl": "Stellingen"},
    "distribution_title": {"en": "{item}: answers per group", "nl": "{item}: antwoorden per groep"},
    "value": {"en": "Value at stake", "nl": "Waarde op het spel"},
    "insights": {"en": "Blind spots, ambition and priorities", "nl": "Blinde vlekken, ambitie en prioriteiten"},
    "insights_sheet": {"en": "Blind spots & ambition", "nl": "Blinde vlekken & ambitie"},
    "blind_spots_title": {"en": "Blind spots: predicted minus actual score", "nl": "Blinde vlekken: geschatte min werkelijke score"},
    "ambition_title": {"en": "Ambition: where we want to be in two years", "nl": "Ambitie: waar we over twee jaar willen staan"},
    "priorities_title": {"en": "Value hypotheses to start with", "nl": "Waardehypotheses om mee te beginnen"},
    "col_by": {"en": "Who predicts", "nl": "Wie schat"},
    "col_about": {"en": "About", "nl": "Over"},
    "col_predicted": {"en": "Predicted", "nl": "Geschat"},
    "col_actual": {"en": "Actual", "nl": "Werkelijk"},
    "col_blind_spot": {"en": "Blind spot", "nl": "Blinde vlek"},
    "col_ci": {"en": "95% CI", "nl": "95%-BI"},
    "col_now": {"en": "Now", "nl": "Nu"},
    "col_target": {"en": "In two years", "nl": "Over twee jaar"},
    "col_ambition": {"en": "Ambition gap", "nl": "Ambitiekloof"},
    "col_misalignment": {"en": "Board − shop floor", "nl": "Bestuur − werkvloer"},
    "col_score": {"en": "Score", "nl": "Score"},
    "col_area": {"en": "Area", "nl": "Onderdeel"},
    "col_group": {"en": "Group", "nl": "Groep"},
    "insights_none": {
        "en": "Nothing to show: no predictions or targets were asked, or every group involved is below the threshold of {k}.",
        "nl": "Niets te tonen: er zijn geen schattingen of doelen gevraagd, of elke betrokken groep is kleiner dan de drempel van {k}.",
    },
    "insights_definition": {
        "en": "Blind spot = a level's mean prediction of another level's score minus that level's actual score (Welch 95% CI, "
        "p Benjamini–Hochberg within the blind spots). Ambition gap = the group's mean target minus its current score "
        "(Welch 95% CI). Value hypotheses pair an area with a loss, ranked by area priority (misalignment and ambition) "
        "times loss priority (€ and disagreement).",
        "nl": "Blinde vlek = de gemiddelde schatting van een niveau over de score van een ander niveau min diens werkelijke score "
        "(Welch 95%-BI, p Benjamini–Hochberg binnen de blinde vlekken). Ambitiekloof = het gemiddelde doel van de groep min haar huidige "
        "score (Welch 95%-BI). Waardehypotheses koppelen een onderdeel aan een verlies, gerangschikt op prioriteit van het "
        "onderdeel (verschil en ambitie) maal prioriteit van het verlies (€ en onenigheid).",
    },
    "value_title": {"en": "Which losses hurt most, and who names them", "nl": "Welke verliezen het meest pijn doen, en wie ze noemt"},
    "comments": {"en": "Comments", "nl": "Opmerkingen"},
    "participation": {"en": "Response rates", "nl": "Respons"},
    "participation_title": {"en": "Who took part", "nl": "Wie deed mee"},
    "representation_line": {
        "en": "Representation: {focus} responded at {focus_rate}, the other levels together at {others_rate}: ratio {ratio} "
        "(under-represented below {limit}).",
        "nl": "Vertegenwoordiging: {focus} reageerde voor {focus_rate}, de andere niveaus samen voor {others_rate}: verhouding "
        "{ratio} (ondervertegenwoordigd onder {limit}).",
    },
    "representation_flag": {
        "en": "{focus} is under-represented. To reach it: a kiosk tablet on the shop floor, the offline survey site where "
        "there is no network, or paper and Forms answers brought in through the import.",
        "nl": "{focus} is ondervertegenwoordigd. Zo bereik je ze: een kiosktablet op de werkvloer, de offline vragenlijst "
        "waar geen netwerk is, of antwoorden op papier en uit Forms via de import.",
    },
    "representation_excluded": {
        "en": "Left out of the other levels' rate (hidden or without headcount): {groups}.",
        "nl": "Niet meegeteld in de respons van de andere niveaus (verborgen of zonder aantal medewerkers): {groups}.",
    },
    "representation_none": {
        "en": "Representation ratio: not available (the shop floor is hidden or has no headcount, or the view is filtered).",
        "nl": "Vertegenwoordiging: niet beschikbaar (de werkvloer is verborgen of heeft geen aantal medewerkers, of de weergave is gefilterd).",
    },
    "trend": {"en": "Trend", "nl": "Trend"},
    "trend_title": {"en": "Change since {earlier}", "nl": "Verandering sinds {earlier}"},
    "closure": {"en": "Gap closure", "nl": "Verschillen gedicht"},
    "closure_title": {
        "en": "Did our actions close the gaps? ({a} minus {b})",
        "nl": "Hebben onze acties de verschillen gedicht? ({a} min {b})",
    },
    "col_action": {"en": "Action", "nl": "Actie"},
    "col_gap_pair": {"en": "Gap between", "nl": "Verschil tussen"},
    "col_note": {"en": "Note", "nl": "Opmerking"},
    "col_action_status": {"en": "Status", "nl": "Status"},
    "col_action_target": {"en": "Answers", "nl": "Gaat over"},
    "col_gap_wave": {"en": "gap in wave {wave}", "nl": "verschil in ronde {wave}"},
    "col_gap_before": {"en": "Gap before", "nl": "Verschil ervoor"},
    "col_gap_after": {"en": "Gap after", "nl": "Verschil erna"},
    "closure_targeted": {"en": "Targeted gaps ({n}): mean change", "nl": "Aangepakte verschillen ({n}): gemiddelde verandering"},
    "closure_untargeted": {"en": "Other gaps ({n}): mean change", "nl": "Overige verschillen ({n}): gemiddelde verandering"},
    "closure_did": {"en": "Difference (targeted − other)", "nl": "Verschil (aangepakt − overig)"},
    "closure_waves": {
        "en": "Wave {before} (before the actions) against wave {after} (the newest full wave). A negative change means the gap narrowed.",
        "nl": "Ronde {before} (voor de acties) tegenover ronde {after} (de nieuwste volledige ronde). Een negatieve verandering betekent dat het verschil kleiner werd.",
    },
    "closure_method": {
        "en": "Method: each gap's variance from its Welch CI, variances added, normal 95% CI (difference-in-differences).",
        "nl": "Methode: de variantie van elk verschil uit zijn Welch-BI, varianties opgeteld, normaal 95%-BI (verschil-in-verschillen).",
    },
    "closure_limits": {
        "en": "Limits: different people may answer each wave; gaps of different dimensions share respondents; the widest gaps were "
        "chosen and wide gaps tend to narrow anyway; this shows no cause beyond the design.",
        "nl": "Beperkingen: per ronde kunnen andere mensen antwoorden; verschillen van verschillende onderdelen delen respondenten; de "
        "grootste verschillen zijn gekozen en die worden vaak vanzelf kleiner; dit bewijst geen oorzaak buiten deze opzet.",
    },
    "status_planned": {"en": "planned", "nl": "gepland"},
    "status_in_progress": {"en": "in progress", "nl": "bezig"},
    "status_done": {"en": "done", "nl": "klaar"},
    "status_dropped": {"en": "dropped", "nl": "geschrapt"},
    "closure_none": {"en": "No comparison yet: {why}.", "nl": "Nog geen vergelijking: {why}."},
    "raw": {"en": "Raw", "nl": "Ruwe data"},
    "definitions": {"en": "How to read these numbers", "nl": "Zo lees je deze cijfers"},
    "anonymity": {"en": "Anonymity", "nl": "Anonimiteit"},
    "what_hidden": {"en": "What is hidden and why", "nl": "Wat verborgen is en waarom"},
    "discussion": {"en": "Discussion: {unit}", "nl": "Bespreking: {unit}"},
    "contents": {"en": "Contents", "nl": "Inhoud"},
    "key_figures": {"en": "Key figures", "nl": "Kerncijfers"},
    "notes": {"en": "Notes", "nl": "Toelichting"},
    "pair": {"en": "Gaps compare", "nl": "Verschillen tussen"},
    # Facts
    "campaign": {"en": "Campaign", "nl": "Campagne"},
    "wave": {"en": "Wave", "nl": "Ronde"},
    "filters": {"en": "Filters", "nl": "Filters"},
    "no_filters": {"en": "everyone", "nl": "iedereen"},
    "threshold": {"en": "Anonymity threshold k", "nl": "Anonimiteitsdrempel k"},
    "comment_threshold": {"en": "Comment threshold", "nl": "Drempel voor opmerkingen"},
    "respondents": {"en": "Respondents", "nl": "Respondenten"},
    "response_rate": {"en": "Response rate", "nl": "Responspercentage"},
    "headcount": {"en": "Headcount", "nl": "Aantal medewerkers"},
    "generated": {"en": "Generated", "nl": "Gemaakt op"},
    "prepared_for": {"en": "Prepared for", "nl": "Gemaakt voor"},
    "role_facilitator": {"en": "facilitator (aggregates only)", "nl": "facilitator (alleen totalen)"},
    "role_facilitator_rows": {
        "en": "facilitator with a row-level grant (includes the coarsened answer rows)",
        "nl": "facilitator met toestemming voor gegevens per respondent (inclusief de samengevoegde antwoordregels)",
    },
    "role_leader": {"en": "leadership (aggregates only)", "nl": "leiding (alleen totalen)"},
    "scale": {"en": "Scale", "nl": "Schaal"},
    "instrument": {"en": "Questionnaire", "nl": "Vragenlijst"},
    "all": {"en": "All respondents", "nl": "Alle respondenten"},
    "largest_gap": {"en": "Largest gap", "nl": "Grootste verschil"},
    "top_loss": {"en": "Top loss to discuss", "nl": "Belangrijkste verlies"},
    "hidden": {"en": "hidden (n<{k})", "nl": "verborgen (n<{k})"},
    "hidden_short": {"en": "hidden", "nl": "verborgen"},
    "not_known": {"en": "not known", "nl": "onbekend"},
    "none": {"en": "none", "nl": "geen"},
    # Column headers
    "col_type": {"en": "Type", "nl": "Soort"},
    "col_dimension": {"en": "Dimension", "nl": "Onderdeel"},
    "col_item": {"en": "Item", "nl": "Stelling"},
    "col_statement": {"en": "Statement", "nl": "Tekst"},
    "col_attribute": {"en": "Grouped by", "nl": "Ingedeeld naar"},
    "col_mean": {"en": "mean", "nl": "gemiddelde"},
    "col_n": {"en": "n", "nl": "n"},
    "col_sd": {"en": "SD", "nl": "SD"},
    "col_ci_low": {"en": "95% CI low", "nl": "95%-BI onder"},
    "col_ci_high": {"en": "95% CI high", "nl": "95%-BI boven"},
    "col_rwg": {"en": "agreement r_wg", "nl": "eensgezindheid r_wg"},
    "col_reverse": {"en": "reverse-keyed", "nl": "omgekeerd gescoord"},
    "col_gap": {"en": "gap", "nl": "verschil"},
    "col_effect": {"en": "effect size g", "nl": "effectgrootte g"},
    "col_p": {"en": "p", "nl": "p"},
    "col_p_adj": {"en": "p adjusted", "nl": "p gecorrigeerd"},
    "col_status": {"en": "shown / hidden", "nl": "getoond / verborgen"},
    "col_rank": {"en": "Rank", "nl": "Rang"},
    "col_loss": {"en": "Loss", "nl": "Verlies"},
    "col_eur": {"en": "€ per year (estimate)", "nl": "€ per jaar (schatting)"},
    "col_share": {"en": "named by {group}", "nl": "genoemd door {group}"},
    "col_priority": {"en": "priority", "nl": "prioriteit"},
    "col_comment": {"en": "Comment", "nl": "Opmerking"},
    "col_alpha": {"en": "Cronbach's alpha", "nl": "Cronbachs alfa"},
    "col_before": {"en": "mean {wave}", "nl": "gemiddelde {wave}"},
    "col_change": {"en": "Change", "nl": "Verandering"},
    "col_disagree": {"en": "% disagree", "nl": "% oneens"},
    "col_neutral": {"en": "% neutral", "nl": "% neutraal"},
    "col_agree": {"en": "% agree", "nl": "% eens"},
    "type_dimension": {"en": "dimension", "nl": "onderdeel"},
    "type_item": {"en": "item", "nl": "stelling"},
    # Definitions (PRODUCT.md, "What the analysis means")
    "def_score": {
        "en": "Score: a respondent's score on a dimension is the mean of the statements they answered in it (reverse-keyed statements turned round first), "
        "if they answered at least half of them. A group's score is the mean over its respondents on the {min}–{max} scale. 'Don't know' is left out.",
        "nl": "Score: de score van een respondent op een onderdeel is het gemiddelde van de stellingen die hij daarin beantwoordde (omgekeerd gestelde "
        "stellingen eerst omgedraaid), als hij er minstens de helft beantwoordde. De score van een groep is het gemiddelde over haar respondenten op de "
        "schaal {min}–{max}. 'Weet ik niet' telt niet mee.",
    },
    "def_ci": {
        "en": "95% CI: the range in which the group's true mean lies with 95% confidence. Small groups have wide ranges.",
        "nl": "95%-BI: het bereik waarin het echte gemiddelde van de groep met 95% zekerheid ligt. Kleine groepen hebben een breed bereik.",
    },
    "def_gap": {
        "en": "Gap: the score of {a} minus the score of {b}. Positive means {a} sees it more favourably.",
        "nl": "Verschil: de score van {a} min de score van {b}. Positief betekent dat {a} het positiever ziet.",
    },
    "def_effect": {
        "en": "Effect size (Hedges' g): the gap in standard deviations; about 0.2 is small, 0.5 medium, 0.8 large.",
        "nl": "Effectgrootte (Hedges' g): het verschil uitgedrukt in standaarddeviaties; ongeveer 0,2 is klein, 0,5 middelgroot, 0,8 groot.",
    },
    "def_p": {
        "en": "p adjusted: how likely a gap this large would be if both groups saw it the same, corrected for testing many gaps at once "
        "(Benjamini–Hochberg). Below 0.05 the difference is unlikely to be chance.",
        "nl": "p gecorrigeerd: hoe waarschijnlijk een verschil van deze omvang is als beide groepen het hetzelfde zagen, gecorrigeerd voor het "
        "toetsen van veel verschillen tegelijk (Benjamini–Hochberg). Onder 0,05 is het verschil waarschijnlijk geen toeval.",
    },
    "def_rwg": {
        "en": "Agreement (r_wg): how much the members of a group agree, from 1 (all answer alike) to 0 (as spread as random answers). "
        "Alignment is about spread as much as about level.",
        "nl": "Eensgezindheid (r_wg): hoe eensgezind de leden van een groep antwoorden, van 1 (iedereen gelijk) tot 0 (zo verspreid als willekeurige "
        "antwoorden). Samenhang gaat over spreiding net zo goed als over niveau.",
    },
    "def_alpha": {
        "en": "Reliability (Cronbach's alpha): whether a dimension's statements measure one thing; below 0.7, read its score with care.",
        "nl": "Betrouwbaarheid (Cronbachs alfa): of de stellingen van een onderdeel één ding meten; onder 0,7 de score met voorzichtigheid lezen.",
    },
    "def_value": {
        "en": "Value at stake: the share of each group naming a loss, among those who answered the question. € per year is the facilitator's "
        "estimate where entered. Priority ranks losses by value and by how much {a} and {b} disagree about them.",
        "nl": "Waarde op het spel: het aandeel van elke groep dat een verlies noemt, van wie de vraag beantwoordde. € per jaar is de schatting van "
        "de facilitator, waar ingevuld. De prioriteit rangschikt verliezen op waarde en op hoeveel {a} en {b} erover verschillen.",
    },
    "def_anonymity": {
        "en": "Anonymity: no number, chart mark or table cell describes fewer than {k} respondents, and comments are shown only for groups of at "
        "least {ck}. Where hiding one group would let it be worked out from a total and the other groups, a second group is hidden too. "
        'Hidden cells read "{hidden}"; they are hidden, not empty.',
        "nl": "Anonimiteit: geen getal, grafiekelement of tabelcel beschrijft minder dan {k} respondenten, en opmerkingen worden alleen getoond voor "
        "groepen van minstens {ck}. Als een verborgen groep uit een totaal en de andere groepen terug te rekenen zou zijn, wordt een tweede groep "
        'ook verborgen. Verborgen cellen tonen "{hidden}"; ze zijn verborgen, niet leeg.',
    },
    "def_comments": {
        "en": "Comments: shown word for word, in random order, only from groups of at least {ck} respondents, without dates.",
        "nl": "Opmerkingen: letterlijk weergegeven, in willekeurige volgorde, alleen van groepen van minstens {ck} respondenten, zonder datum.",
    },
    "comments_lead": {
        "en": "Shown word for word, in random order, only from groups of at least {ck} respondents, without dates.",
        "nl": "Letterlijk weergegeven, in willekeurige volgorde, alleen van groepen van minstens {ck} respondenten, zonder datum.",
    },
    "reason_below_threshold": {"en": "fewer than {k} respondents", "nl": "minder dan {k} respondenten"},
    "reason_complementary": {
        "en": "hidden too, so a smaller hidden group cannot be worked out from the total and the groups shown",
        "nl": "ook verborgen, zodat een kleinere verborgen groep niet uit het totaal en de getoonde groepen terug te rekenen is",
    },
    "reason_differencing": {
        "en": "differs from a larger group shown elsewhere by fewer than {k} respondents",
        "nl": "verschilt minder dan {k} respondenten van een grotere groep die elders getoond wordt",
    },
    "reason_within_hidden": {"en": "part of a larger group that is hidden", "nl": "deel van een grotere groep die verborgen is"},
    "reason_not_stated": {
        "en": "respondents who did not state this attribute are never shown as a group",
        "nl": "respondenten die dit kenmerk niet invulden worden nooit als groep getoond",
    },
    "reason_combination": {
        "en": "hidden too, so that no combination of the numbers shown anywhere works out a smaller group",
        "nl": "ook verborgen, zodat geen combinatie van de getoonde cijfers een kleinere groep terugrekent",
    },
    "reason_filter_hidden": {
        "en": "the filtered population itself cannot be shown",
        "nl": "de gefilterde groep zelf kan niet getoond worden",
    },
    # Notes
    "note_empty": {
        "en": "No responses in this wave yet: there are no results to show.",
        "nl": "Nog geen antwoorden in deze ronde: er zijn geen resultaten om te tonen.",
    },
    "note_population_hidden": {
        "en": "This selection holds fewer than {k} respondents (or could be worked out from other groups), so every result is hidden.",
        "nl": "Deze selectie telt minder dan {k} respondenten (of is terug te rekenen uit andere groepen), dus alle resultaten zijn verborgen.",
    },
    "note_no_pair": {
        "en": "Gaps between {a} and {b} are not shown: the filter fixes {attribute}.",
        "nl": "Verschillen tussen {a} en {b} worden niet getoond: het filter legt {attribute} vast.",
    },
    "note_no_by": {
        "en": "Every attribute is filtered, so results are shown for the selection as a whole only.",
        "nl": "Elk kenmerk is gefilterd, dus de resultaten gelden alleen voor de selectie als geheel.",
    },
    "note_comments_hidden": {
        "en": "Comments of these groups are left out (fewer than {ck} respondents, or they could be worked out): {groups}.",
        "nl": "Opmerkingen van deze groepen zijn weggelaten (minder dan {ck} respondenten, of terug te rekenen): {groups}.",
    },
    "note_no_comments": {"en": "No comments to show.", "nl": "Geen opmerkingen om te tonen."},
    "note_no_rows": {
        "en": "No answers in this selection yet: the file holds the header only.",
        "nl": "Nog geen antwoorden in deze selectie: het bestand bevat alleen de kopregel.",
    },
    "note_raw_too_large": {
        "en": "The selection holds {rows} answer rows, more than one worksheet can hold; use the CSV or Parquet export for the raw answers.",
        "nl": "De selectie telt {rows} antwoordregels, meer dan één werkblad kan bevatten; gebruik de CSV- of Parquet-export voor de ruwe antwoorden.",
    },
    "note_raw": {
        "en": (
            "One row per answer (the long format). Empty value = don't know. Row-level data, coarsened so that every combination "
            "of language and attributes describes at least k respondents; response ids are new in every file and dates are the "
            "wave's start. Taken out under an audited row-level grant: do not share this sheet."
        ),
        "nl": (
            "Eén regel per antwoord (lang formaat). Lege waarde = weet ik niet. Gegevens per respondent, zo samengevoegd dat elke "
            "combinatie van taal en kenmerken minstens k respondenten beschrijft; respondent-id's zijn in elk bestand nieuw en "
            "datums zijn de start van de ronde. Meegenomen met een vastgelegde toestemming: deel dit werkblad niet."
        ),
    },
    "note_rows_coarsened": {
        "en": "So that every combination of language and attributes describes at least {k} respondents, these values are merged: {merged}.",
        "nl": "Zodat elke combinatie van taal en kenmerken minstens {k} respondenten beschrijft, zijn deze waarden samengevoegd: {merged}.",
    },
    "note_rows_wave_left_out": {
        "en": "Wave {wave} is left out: it has fewer than {k} respondents, too few for any row-level data.",
        "nl": "Ronde {wave} is weggelaten: die heeft minder dan {k} respondenten, te weinig voor gegevens per respondent.",
    },
    "note_rows_filter_merged": {
        "en": "In wave {wave}, {group} is merged into {label}, so this filtered file holds none of its rows there; take the file without this filter.",
        "nl": "In ronde {wave} is {group} samengevoegd tot {label}, dus dit gefilterde bestand bevat daar geen regels van; neem het bestand zonder dit filter.",
    },
    "note_no_value": {
        "en": "This questionnaire has no value-at-stake question.",
        "nl": "Deze vragenlijst heeft geen vraag over waarde op het spel.",
    },
    "note_trend_failed": {"en": "No trend: {why}", "nl": "Geen trend: {why}"},
    "note_distributions": {
        "en": "Answer distributions are shown for the {n} statements with the largest gaps.",
        "nl": "Antwoordverdelingen staan hier voor de {n} stellingen met de grootste verschillen.",
    },
    "note_no_gaps_shown": {
        "en": "No gap can be shown: {a} or {b} is too small in this selection.",
        "nl": "Er kan geen verschil getoond worden: {a} of {b} is te klein in deze selectie.",
    },
    "noscript": {
        "en": "The charts need JavaScript; the tables hold the same numbers.",
        "nl": "De grafieken hebben JavaScript nodig; de tabellen bevatten dezelfde cijfers.",
    },
    "print_hint": {"en": "Print or save as PDF from the browser (Ctrl+P).", "nl": "Afdrukken of opslaan als PDF via de browser (Ctrl+P)."},
    # Deck
    "deck_scope": {"en": "{wave} · {respondents} respondents · {filters}", "nl": "{wave} · {respondents} respondenten · {filters}"},
    "deck_participation_take": {
        "en": "{n} people answered{rate}. Groups smaller than {k} are never shown.",
        "nl": "{n} mensen deden mee{rate}. Groepen kleiner dan {k} worden nooit getoond.",
    },
    "deck_rate": {"en": " ({rate} of the headcount)", "nl": " ({rate} van het aantal medewerkers)"},
    "deck_heatmap_take": {
        "en": "Blue: agreement with the statements; red: disagreement. Read across a row to see where the levels part ways.",
        "nl": "Blauw: eens met de stellingen; rood: oneens. Lees een rij van links naar rechts om te zien waar de niveaus uiteenlopen.",
    },
    "deck_gaps_take": {
        "en": "Bars right of zero: {a} is more positive than {b}. Lines show the 95% confidence interval.",
        "nl": "Balken rechts van nul: {a} is positiever dan {b}. De lijnen tonen het 95%-betrouwbaarheidsinterval.",
    },
    "deck_value_take": {
        "en": "Top priority: {loss}{eur}. Ranked by € value and by how differently the levels see it.",
        "nl": "Hoogste prioriteit: {loss}{eur}. Gerangschikt op €-waarde en op hoe verschillend de niveaus het zien.",
    },
    "deck_value_shares": {"en": "Named by {sa} of {a} and by {sb} of {b}.", "nl": "Genoemd door {sa} van {a} en door {sb} van {b}."},
    "deck_value_rank": {
        "en": "Losses are ranked by € value and by how differently {a} and {b} see them.",
        "nl": "Verliezen zijn gerangschikt op €-waarde en op hoe verschillend {a} en {b} ze zien.",
    },
    "deck_eur": {"en": " (estimated € {eur} a year)", "nl": " (geschat € {eur} per jaar)"},
    "deck_gap_line": {"en": "{group}: {mean} (n={n})", "nl": "{group}: {mean} (n={n})"},
    "deck_gap_numbers": {
        "en": "Gap {diff} points (95% CI {low} to {high}) · effect size g = {g} · p adjusted {p}",
        "nl": "Verschil {diff} punten (95%-BI {low} tot {high}) · effectgrootte g = {g} · p gecorrigeerd {p}",
    },
    "deck_items_heading": {"en": "Statements furthest apart", "nl": "Stellingen die het verst uiteenliggen"},
    "deck_prompts_heading": {"en": "For the room", "nl": "Voor de groep"},
    "prompt_see": {
        "en": "What do we see differently about {unit}, and what does each side see that the other does not?",
        "nl": "Wat zien we anders aan {unit}, en wat ziet de ene kant dat de andere niet ziet?",
    },
    "prompt_change": {
        "en": "What would have to change for {b} to score {unit} the way {a} does (or the other way round)?",
        "nl": "Wat zou er moeten veranderen zodat {b} {unit} net zo scoort als {a} (of andersom)?",
    },
    "prompt_owner": {
        "en": "Who owns closing this gap, and what is the first step?",
        "nl": "Wie is eigenaar van het dichten van dit verschil, en wat is de eerste stap?",
    },
    "deck_no_gaps": {
        "en": "No gap between {a} and {b} can be shown in this selection without describing fewer than {k} people.",
        "nl": "In deze selectie kan geen verschil tussen {a} en {b} getoond worden zonder minder dan {k} mensen te beschrijven.",
    },
    "deck_empty": {"en": "Nothing to show yet", "nl": "Nog niets te tonen"},
    "deck_notes_discussion": {
        "en": "Give the room the numbers first, then ask the prompts in order. Keep the discussion on what people see from where they stand.",
        "nl": "Geef de groep eerst de cijfers en stel dan de vragen op volgorde. Houd het gesprek bij wat mensen zien vanuit hun eigen plek.",
    },
    # Insights (analysis.insights): findings, coherence, split opinions
    "findings": {"en": "Findings", "nl": "Bevindingen"},
    "no_findings": {
        "en": "Nothing stands out yet: no significant gap, split or change can be shown for this selection.",
        "nl": "Nog niets springt eruit: voor deze selectie is geen significant verschil, verdeeldheid of verandering te tonen.",
    },
    "findings_how": {
        "en": "Written from the numbers alone, most important first: gaps between the levels, blind spots, split groups, coherence, "
        "value at stake, change since the last wave, reliability. Only groups shown under the anonymity threshold are mentioned.",
        "nl": "Alleen uit de cijfers geschreven, belangrijkste eerst: verschillen tussen niveaus, blinde vlekken, verdeelde groepen, "
        "coherentie, waarde op het spel, verandering sinds de vorige ronde, betrouwbaarheid. Alleen groepen die boven de "
        "anonimiteitsdrempel getoond worden, worden genoemd.",
    },
    "coherence": {"en": "Coherence", "nl": "Coherentie"},
    "coherence_overall": {"en": "Coherence (all dimensions)", "nl": "Coherentie (alle onderdelen)"},
    "coherence_trend": {"en": "Coherence since wave {wave}", "nl": "Coherentie sinds ronde {wave}"},
    "col_coherence": {"en": "coherence C", "nl": "coherentie C"},
    "col_between": {"en": "between levels B", "nl": "tussen niveaus B"},
    "col_within": {"en": "within levels W", "nl": "binnen niveaus W"},
    "col_wave": {"en": "Wave {wave}", "nl": "Ronde {wave}"},
    "col_agreement_a": {"en": "agreement A", "nl": "overeenstemming A"},
    "col_split": {"en": "split", "nl": "verdeeld"},
    "split_note": {
        "en": "Split: {groups} fall into two camps on this statement (agreement A below 0). Talk about why, rather than about the average.",
        "nl": "Verdeeld: {groups} vallen bij deze stelling uiteen in twee kampen (overeenstemming A onder 0). Bespreek waarom, niet het gemiddelde.",
    },
    "agreement_a_how": {
        "en": "Agreement A (van der Eijk): 1 when everyone gives the same answer, 0 when answers are spread evenly, −1 when half the "
        "group is at each end of the scale. Below 0 the group is split.",
        "nl": "Overeenstemming A (van der Eijk): 1 als iedereen hetzelfde antwoordt, 0 als de antwoorden gelijk verspreid zijn, −1 als de "
        "helft van de groep aan elk uiteinde van de schaal zit. Onder 0 is de groep verdeeld.",
    },
    "col_n_of": {"en": "n {group}", "nl": "n {group}"},
    "col_mean_of": {"en": "mean {group}", "nl": "gemiddelde {group}"},
    "col_share_of": {"en": "named by {group}", "nl": "genoemd door {group}"},
    "col_diff_of": {"en": "{a} − {b}", "nl": "{a} − {b}"},
    "gap_axis_minus": {"en": "minus {b} (points)", "nl": "min {b} (punten)"},
    "heatmap_colour": {"en": "Colour", "nl": "Kleur"},
    "heatmap_score": {"en": "Score", "nl": "Score"},
    "heatmap_relative": {"en": "Difference from {everyone}", "nl": "Verschil met {everyone}"},
    "heatmap_change": {"en": "Mark the change since wave {wave}", "nl": "Markeer de verandering sinds ronde {wave}"},
    "points": {"en": "points", "nl": "punten"},
    "actions": {"en": "Actions", "nl": "Acties"},
    "actions_title": {"en": "What we will do about it", "nl": "Wat we eraan gaan doen"},
    "actions_lead": {
        "en": "Each action with its owner, due date, status and value hypothesis (the loss it attacks and an estimate in € per year).",
        "nl": "Elke actie met eigenaar, streefdatum, status en waardehypothese (het verlies dat ze aanpakt en een schatting in € per jaar).",
    },
    "actions_none": {"en": "No actions recorded for this campaign yet.", "nl": "Voor deze campagne zijn nog geen acties vastgelegd."},
    "actions_public": {"en": "published on 'you said, we did'", "nl": "gepubliceerd op 'jullie zeiden, wij deden'"},
    "col_owner": {"en": "Owner", "nl": "Eigenaar"},
    "col_due": {"en": "Due", "nl": "Klaar op"},
    "col_answers": {"en": "Answers", "nl": "Antwoord op"},
    "col_kpi": {"en": "KPI (baseline)", "nl": "KPI (nulmeting)"},
    "value_axis": {"en": "% of the group naming the loss", "nl": "% van de groep dat het verlies noemt"},
    "chart_subtitle": {
        "en": "{campaign} · {wave} · {filters} · groups under {k} hidden",
        "nl": "{campaign} · {wave} · {filters} · groepen onder {k} verborgen",
    },
}


# Axis and legend titles the app's chart builders (analysis.charts) write in English, by language.
CHART_TITLES: dict[str, dict[str, str]] = {
    "nl": {
        "mean": "gemiddelde",
        "cell": "cel",
        "% of answers (disagree ← → agree)": "% van de antwoorden (oneens ← → eens)",
        "mean ± SD": "gemiddelde ± SD",
        "change since the earlier wave": "verandering sinds de vorige ronde",
        "difference from everyone": "verschil met iedereen",
    }
}


def tr(key: str, lang: str, **values: object) -> str:
    """The export wording for `key` in `lang` (English when the language lacks it), placeholders filled in."""
    return wording(TEXTS, key, lang, **values)
