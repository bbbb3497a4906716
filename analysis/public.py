"""What "you said, we did" shows without sign-in: the published actions and the published dimension results, nothing else.

The one function every public surface reads (the page, the A4 poster, the kiosk screen), so they cannot
disagree about what is public:
- actions: only those leadership published (`published` flag of the actions storage), with title,
  owner, status and due date. Value hypotheses (€, loss, KPI) stay behind sign-in: they are estimates
  leadership makes for itself, not promises to the shop floor.
- results: only the dimensions leadership published for the wave (`survey.publication`), each as its
  overall score and, if chosen, per option of one attribute, taken from the engine's suppressed heatmap,
  so every number is one the dashboard shows too (at or above the threshold, after the disclosure
  audit). A hidden cell is left out; only how many groups were left out is said. Items, gaps, comments,
  filters and every other result are never read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import duckdb

from analysis import engine
from analysis.action_list import ActionLine, action_lines
from analysis.anonymity import thresholds
from analysis.labels import Labels, text_in
from analysis.scope import Scope
from survey.campaigns import Campaign, CampaignError, campaign_instrument, get_campaign, list_waves
from survey.publication import latest_published_wave, published
from survey.texts import wording
from survey.user_text import plain

LANGUAGES = ("en", "nl")
PUBLIC_PATH = "you_said_we_did"  # the page's address: pages/17_you_said_we_did.py
TEXTS: dict[str, dict[str, str]] = {
    "title": {"en": "You said, we did", "nl": "Jullie zeiden, wij deden"},
    "lead": {
        "en": "What leadership is doing with the answers to {campaign}, and the results it chose to share.",
        "nl": "Wat de leiding doet met de antwoorden op {campaign}, en de resultaten die zij deelt.",
    },
    "actions": {"en": "What we are doing", "nl": "Wat we doen"},
    "no_actions": {"en": "No actions published yet.", "nl": "Nog geen acties gepubliceerd."},
    "results": {"en": "What you told us", "nl": "Wat jullie ons vertelden"},
    "results_wave": {
        "en": "Results of {wave}, on a scale of {lo} to {hi}.",
        "nl": "Resultaten van {wave}, op een schaal van {lo} tot {hi}.",
    },
    "no_results": {"en": "No results published yet.", "nl": "Nog geen resultaten gepubliceerd."},
    "owner": {"en": "Owner", "nl": "Eigenaar"},
    "score": {"en": "Score", "nl": "Score"},
    "due": {"en": "Due", "nl": "Klaar op"},
    "status": {"en": "Status", "nl": "Status"},
    "action": {"en": "Action", "nl": "Actie"},
    "everyone": {"en": "Everyone", "nl": "Iedereen"},
    "people": {"en": "{n} people", "nl": "{n} mensen"},
    "hidden": {
        "en": "{count} group(s) left out: fewer than {k} people answered, so no number is shown for them.",
        "nl": "{count} groep(en) weggelaten: minder dan {k} mensen antwoordden, dus er staat geen cijfer bij.",
    },
    "anonymity": {
        "en": "Every number describes at least {k} people. Comments are never shown here.",
        "nl": "Elk cijfer beschrijft minstens {k} mensen. Opmerkingen worden hier nooit getoond.",
    },
    "scan": {"en": "Scan to see the latest", "nl": "Scan voor de laatste stand"},
    "kiosk_heading": {"en": "What we did with your answers", "nl": "Wat we met jullie antwoorden deden"},
    "nothing": {"en": "Nothing has been published for this survey yet.", "nl": "Voor deze vragenlijst is nog niets gepubliceerd."},
    "wave": {"en": "wave {n} ({label})", "nl": "ronde {n} ({label})"},
}


def public_link(base_url: str, campaign_id: str) -> str:
    """The address of a campaign's "you said, we did" page: what the poster's QR code and the kiosk point at."""
    return f"{base_url.rstrip('/')}/{PUBLIC_PATH}?{urlencode({'c': campaign_id})}"


def tr(key: str, lang: str, **values: object) -> str:
    """The public wording for `key` in `lang` (English when missing), placeholders filled in."""
    return wording(TEXTS, key, lang, **values)


@dataclass(frozen=True)
class Score:
    """One shown number: a group's mean on a dimension and how many people it describes."""

    group: str
    mean: float
    n: int


@dataclass(frozen=True)
class PublicDimension:
    dimension: str
    label: str
    overall: Score | None
    groups: tuple[Score, ...]
    hidden: int


@dataclass(frozen=True)
class PublicBoard:
    """Everything "you said, we did" may show for one campaign, in one language."""

    campaign_id: str
    campaign_name: str
    lang: str
    wave: int | None
    wave_text: str
    threshold: int
    scale: tuple[int, int]
    breakdown: str | None
    dimensions: tuple[PublicDimension, ...]
    actions: tuple[ActionLine, ...]

    @property
    def empty(self) -> bool:
        return not self.dimensions and not self.actions

    def t(self, key: str, **values: object) -> str:
        return tr(key, self.lang, **values)


def _dimensions(con: duckdb.DuckDBPyConnection, campaign: Campaign, wave: int, lang: str) -> tuple[str | None, tuple[PublicDimension, ...]]:
    chosen = published(con, campaign.campaign_id, wave)
    if chosen.empty:
        return None, ()
    labels = Labels(campaign_instrument(con, campaign.campaign_id, wave), lang, everyone=tr("everyone", lang))
    frame = engine.heatmap(con, Scope(campaign.campaign_id, wave), unit="dimension", by=chosen.breakdown).data
    out = []
    for dim in chosen.dimensions:
        rows = frame[frame["unit"] == dim]
        shown = rows[~rows["suppressed"]]
        overall = next((Score(labels.everyone, float(r.mean), int(r.n)) for r in shown.itertuples() if r.group == "all"), None)
        groups = tuple(Score(labels.group(str(r.group)), float(r.mean), int(r.n)) for r in shown.itertuples() if r.group != "all")
        out.append(PublicDimension(dim, labels.dimension(dim), overall, groups, int(rows["suppressed"].sum())))
    return chosen.breakdown, tuple(out)


def public_board(con: duckdb.DuckDBPyConnection, campaign_id: str, lang: str = "en", wave: int | None = None) -> PublicBoard:
    """The public document of a campaign: published actions and the published results of `wave` (default: the newest published)."""
    lang = lang if lang in LANGUAGES else "en"
    campaign = get_campaign(con, campaign_id)
    wave = wave if wave is not None else latest_published_wave(con, campaign_id)
    breakdown, dims, wave_text, scale = None, (), "", (0, 0)
    if wave is not None:
        waves = {w.wave: w for w in list_waves(con, campaign_id)}
        if wave not in waves:
            raise CampaignError(f"campaign '{campaign_id}' has no wave {wave}")
        instrument = campaign_instrument(con, campaign_id, wave)
        scale = (instrument.scale.min, instrument.scale.max)
        wave_text = tr("wave", lang, n=wave, label=plain(waves[wave].label))
        breakdown, dims = _dimensions(con, campaign, wave, lang)
        if breakdown is not None:
            breakdown = text_in(instrument.attributes[breakdown].label, lang, breakdown)
    actions = tuple(action_lines(con, campaign_id, published_only=True))
    return PublicBoard(
        campaign_id, plain(campaign.name), lang, wave, wave_text, thresholds(con, campaign_id).k, scale, breakdown, dims, actions
    )
