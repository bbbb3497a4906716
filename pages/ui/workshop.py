"""Workshop mode: one topic per screen in large type, moved with the arrow keys, ending with actions captured live.

Screens: the start; findings; the largest gaps; one discussion screen per largest gap with the deck's
prompts; blind spots; the value-at-stake matrix; actions. Findings, blind spots and the priority matrix
come from the summary document (`analysis.summary`, keys `findings`, `blind_spots`, `priorities`) when this
build computes them, and say "not available for this campaign" when it does not. Every number is one the
engine already suppressed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from analysis.action_list import action_lines
from analysis.export.report import DISCUSSION_GAPS, euros, number, p_text, percent
from analysis.export.texts import tr
from analysis.gaps import DEFAULT_A, DEFAULT_B
from analysis.labels import Labels
from pages.ui import dashboard, web
from pages.ui.campaign_picker import clear_caches
from pages.ui.common import db
from pages.ui.findings import KIND_ICONS
from survey.actions import action_from, add_action
from survey.campaigns import Campaign
from survey.texts import wording
from survey.user_text import as_markdown, plain

STEP_KEY = "ws_step"
BLIND_SPOTS_SHOWN = 6  # a room reads six lines; the Blind spots page has the rest
# Large type for a room: the page's text, headings and tables at about twice their usual size. On a phone the action
# table keeps to the screen's width (fixed layout, long words wrap) instead of scrolling sideways.
STYLE = """
<style>
section.main .block-container, .stMainBlockContainer { max-width: 1500px; }
.stMainBlockContainer p, .stMainBlockContainer li { font-size: 1.55rem; line-height: 1.4; }
.stMainBlockContainer h1 { font-size: 3.2rem; }
.stMainBlockContainer h2 { font-size: 2.4rem; }
.stMainBlockContainer [data-testid="stMetricValue"] { font-size: 4rem; }
.stMainBlockContainer [data-testid="stCaptionContainer"] p { font-size: 1.15rem; }
.stMainBlockContainer [data-testid="stTable"] td, .stMainBlockContainer [data-testid="stTable"] th { font-size: 1.3rem; }
.stMainBlockContainer .st-key-ws_big p { font-size: 4.5rem; font-weight: 700; line-height: 1.1; }
@media (max-width: 640px) {
  .stMainBlockContainer p, .stMainBlockContainer li { font-size: 1.1rem; }
  .stMainBlockContainer h1 { font-size: 2rem; }
  .stMainBlockContainer h2 { font-size: 1.6rem; }
  .stMainBlockContainer [data-testid="stMetricValue"] { font-size: 2.6rem; }
  .stMainBlockContainer [data-testid="stTable"] td, .stMainBlockContainer [data-testid="stTable"] th { font-size: 0.9rem; padding: 0.3rem 0.25rem; overflow-wrap: anywhere; }
  .stMainBlockContainer [data-testid="stTable"] table { table-layout: fixed; width: 100%; }
  .stMainBlockContainer .st-key-ws_big p { font-size: 2.8rem; }
}
</style>
"""
WORDS: dict[str, dict[str, str]] = {
    "start": {"en": "Workshop: {campaign}", "nl": "Workshop: {campaign}"},
    "start_lead": {
        "en": "{wave}. {n} people answered; every number describes at least {k} of them. Use ← and → to move.",
        "nl": "{wave}. {n} mensen antwoordden; elk cijfer beschrijft er minstens {k}. Gebruik ← en → om te bladeren.",
    },
    "findings": {"en": "What the numbers say", "nl": "Wat de cijfers zeggen"},
    "gaps": {"en": "Largest gaps: {a} minus {b}", "nl": "Grootste verschillen: {a} min {b}"},
    "blind_spots": {"en": "Blind spots", "nl": "Blinde vlekken"},
    "value": {"en": "Value at stake", "nl": "Waarde op het spel"},
    "actions": {"en": "Actions", "nl": "Acties"},
    "not_available": {"en": "Not available for this campaign.", "nl": "Niet beschikbaar voor deze campagne."},
    "no_gaps": {
        "en": "No gap between {a} and {b} can be shown without describing fewer than {k} people.",
        "nl": "Geen verschil tussen {a} en {b} kan getoond worden zonder minder dan {k} mensen te beschrijven.",
    },
    "blind_line": {
        "en": "**{dimension}**: {by} expects {about} to score {predicted}; they score {actual} ({diff} points, 95% CI {low} … {high})",
        "nl": "**{dimension}**: {by} verwacht dat {about} {predicted} scoort; het is {actual} ({diff} punten, 95%-BI {low} … {high})",
    },
    "blind_how": {
        "en": "Prediction minus the predicted level's own score, largest first: above zero, the predicting level thinks better of it than they do.",
        "nl": "Schatting min de eigen score van het geschatte niveau, grootste eerst: boven nul denkt het schattende niveau er gunstiger over dan zij.",
    },
    "value_line": {
        "en": "**{dimension}** × {loss}{eur}  \n{a} − {b}: {misalignment} · ambition gap {ambition}",
        "nl": "**{dimension}** × {loss}{eur}  \n{a} − {b}: {misalignment} · ambitiekloof {ambition}",
    },
    "value_how": {
        "en": "Value hypotheses: an area where the levels disagree and people want to move, paired with a loss; ranked by both, with the € of the loss.",
        "nl": "Waardehypotheses: een onderdeel waarover de niveaus het oneens zijn en men wil bewegen, gekoppeld aan een verlies; gerangschikt op beide, met de € van het verlies.",
    },
    "add": {"en": "Capture an action", "nl": "Actie vastleggen"},
    "owner": {"en": "Owner (a role or team, never a person who answered)", "nl": "Eigenaar (een rol of team, nooit een respondent)"},
    "no_actions": {"en": "No actions yet: capture the first one below.", "nl": "Nog geen acties: leg hieronder de eerste vast."},
    "previous": {"en": "Previous", "nl": "Vorige"},
    "next": {"en": "Next", "nl": "Volgende"},
    "of": {"en": "{i} of {n}", "nl": "{i} van {n}"},
}


def word(key: str, lang: str, **values: object) -> str:
    return wording(WORDS, key, lang, **values)


def style() -> None:
    web.stylesheet(STYLE)


class Workshop:
    """One campaign and wave walked through in one language; each screen a method."""

    def __init__(self, view: dashboard.View, lang: str, actor: str) -> None:
        self.view = view
        self.lang = lang
        self.actor = actor
        self.labels = Labels(view.instrument, lang)
        self.campaign: Campaign = view.campaign
        attrs = view.instrument.attributes
        level = attrs.get(DEFAULT_A[0])
        if level is not None and DEFAULT_A[1] in level.options and DEFAULT_B[1] in level.options:
            self.pair = (DEFAULT_A, DEFAULT_B)
        else:
            first = next(iter(attrs.values()))
            options = list(first.options)
            self.pair = ((first.id, options[0]), (first.id, options[1]))
        self.a, self.b = (self.labels.option(*side) for side in self.pair)

    # ----- data (cached by data version through the dashboard's engine calls) --------------------------------

    def summary(self) -> dict[str, Any]:
        return self.view.get("summary")

    def gaps(self) -> pd.DataFrame:
        frame = self.view.get("gaps", a=self.pair[0], b=self.pair[1], unit="dimension").data
        return frame[~frame["suppressed"]]

    def item_gaps(self, dimension: str) -> pd.DataFrame:
        frame = self.view.get("gaps", a=self.pair[0], b=self.pair[1], unit="item").data
        return frame[(~frame["suppressed"]) & (frame["dimension"] == dimension)].head(2)

    def screens(self) -> list[tuple[str, Callable[[], None]]]:
        """The order of the workshop; one discussion screen for each of the largest shown gaps."""
        top = self.gaps().head(DISCUSSION_GAPS).to_dict("records")
        return [
            ("start", self.start),
            ("findings", self.findings),
            ("gaps", self.gap_overview),
            *[(f"gap {g['unit']}", lambda g=g: self.discussion(g)) for g in top],
            ("blind_spots", self.blind_spots),
            ("value", self.value),
            ("actions", self.actions),
        ]

    # ----- screens ----------------------------------------------------------------------------------------------

    def start(self) -> None:
        doc = self.summary()
        n = doc.get("respondents")
        st.header(as_markdown(plain(self.campaign.name)))
        wave = f"{tr('wave', self.lang)} {self.view.wave}"
        st.write(word("start_lead", self.lang, wave=wave, n=n if n is not None else tr("hidden_short", self.lang), k=self.view.threshold))
        agenda = [word(key, self.lang, a=self.a, b=self.b) for key in ("findings", "gaps", "blind_spots", "value", "actions")]
        st.markdown("\n".join(f"{i}. {as_markdown(item)}" for i, item in enumerate(agenda, start=1)))

    def findings(self) -> None:
        st.header(word("findings", self.lang))
        found = self.summary().get("findings")
        if not found:
            st.info(word("not_available", self.lang))
            return
        lines = [
            f"{KIND_ICONS.get(entry.get('kind', ''), '') if isinstance(entry, dict) else ''} {as_markdown(_in_language(entry, self.lang))}"
            for entry in found
        ]
        st.markdown("\n".join(f"{i}. {line}" for i, line in enumerate(lines, start=1)))

    def gap_overview(self) -> None:
        st.header(word("gaps", self.lang, a=self.a, b=self.b))
        top = self.gaps().head(5)
        if top.empty:
            st.info(word("no_gaps", self.lang, a=self.a, b=self.b, k=self.view.threshold))
            return
        for g in top.to_dict("records"):
            diff = number(g["diff"], 2, self.lang, sign=True)
            st.markdown(
                f"**{as_markdown(self.labels.dimension(g['unit']))}**: {diff} {tr('points', self.lang)} "
                f"({self.a} {number(g['mean_a'], 2, self.lang)}, {self.b} {number(g['mean_b'], 2, self.lang)})"
            )

    def discussion(self, gap: dict[str, Any]) -> None:
        unit = self.labels.dimension(gap["unit"])
        st.header(tr("discussion", self.lang, unit=unit))
        left, right = st.columns([2, 3])
        left.markdown(f"{as_markdown(self.a)} − {as_markdown(self.b)}")
        with left.container(key="ws_big"):  # the key becomes the CSS class st-key-ws_big
            st.markdown(f"{number(gap['diff'], 2, self.lang, sign=True)} {tr('points', self.lang)}")
        left.caption(
            tr(
                "deck_gap_numbers",
                self.lang,
                diff=number(gap["diff"], 2, self.lang, sign=True),
                low=number(gap["ci_low"], 2, self.lang, sign=True),
                high=number(gap["ci_high"], 2, self.lang, sign=True),
                g=number(gap["effect_size"], 2, self.lang),
                p=p_text(gap["p_adj"], self.lang),
            )
        )
        with right:
            items = self.item_gaps(str(gap["unit"]))
            if len(items):
                st.markdown(f"**{tr('deck_items_heading', self.lang)}**")
                for g in items.to_dict("records"):
                    st.markdown(f"{number(g['diff'], 2, self.lang, sign=True)} · {as_markdown(self.labels.item(g['unit']))}")
        with st.container(border=True):
            st.markdown(f"**{tr('deck_prompts_heading', self.lang)}**")
            prompts = [
                tr("prompt_see", self.lang, unit=unit.lower()),
                tr("prompt_change", self.lang, unit=unit.lower(), a=self.a, b=self.b),
                tr("prompt_owner", self.lang),
            ]
            st.markdown("\n".join(f"{i}. {as_markdown(p)}" for i, p in enumerate(prompts, start=1)))

    def blind_spots(self) -> None:
        """The largest blind spots as sentences the room can read (labels, local decimals, CI)."""
        st.header(word("blind_spots", self.lang))
        spots = [s for s in self.summary().get("blind_spots") or [] if isinstance(s, dict) and s.get("diff") is not None]
        if not spots:
            st.info(word("not_available", self.lang))
            return
        lang, lab = self.lang, self.labels
        lines = [
            word(
                "blind_line",
                lang,
                dimension=as_markdown(lab.dimension(s["dimension"])),
                by=as_markdown(lab.group(s["by"])),
                about=as_markdown(lab.group(s["about"])),
                predicted=number(s["predicted"], 2, lang),
                actual=number(s["actual"], 2, lang),
                diff=number(s["diff"], 2, lang, sign=True),
                low=number(s["ci"][0], 2, lang, sign=True),
                high=number(s["ci"][1], 2, lang, sign=True),
            )
            for s in spots[:BLIND_SPOTS_SHOWN]
        ]
        st.markdown("\n".join(f"{i}. {line}" for i, line in enumerate(lines, start=1)))
        st.caption(word("blind_how", lang))

    def value(self) -> None:
        """The priority matrix and its value hypotheses where there are any; else the losses ranked by their €."""
        st.header(word("value", self.lang))
        priorities = [p for p in self.summary().get("priorities") or [] if isinstance(p, dict) and p.get("dimension")]
        if priorities:
            lang, lab = self.lang, self.labels
            lines = []
            for p in priorities:
                eur = euros(p.get("eur_per_year"), lang)
                lines.append(
                    f"{int(p['rank'])}. "
                    + word(
                        "value_line",
                        lang,
                        dimension=as_markdown(lab.dimension(p["dimension"])),
                        loss=as_markdown(lab.loss(p["loss"])) if p.get("loss") else "—",
                        eur=f" · € {eur}" if eur else "",
                        a=as_markdown(self.a),
                        b=as_markdown(self.b),
                        misalignment=number(p.get("misalignment"), 2, lang, sign=True),
                        ambition=number(p.get("ambition"), 2, lang, sign=True),
                    )
                )
            st.markdown("\n".join(lines))
            st.caption(word("value_how", lang))
            return
        if self.view.instrument.value_at_stake is None:
            st.info(word("not_available", self.lang))
            return
        ranking = self.view.get("value_at_stake", a=self.pair[0], b=self.pair[1]).ranking
        lines = []
        for r in ranking.head(6).itertuples(index=False):
            eur = f" · € {euros(r.eur_per_year, self.lang)}" if euros(r.eur_per_year, self.lang) else ""
            shares = " · ".join(
                f"{side} {percent(share, self.lang)}"
                for side, share in ((self.a, r.share_a), (self.b, r.share_b))
                if percent(share, self.lang)
            )
            lines.append(f"{int(r.rank)}. **{as_markdown(self.labels.loss(r.loss))}**{eur}  \n{as_markdown(shares)}")
        st.markdown("\n".join(lines))
        st.caption(tr("deck_value_rank", self.lang, a=self.a, b=self.b))

    def actions(self) -> None:
        st.header(word("actions", self.lang))
        with db().cursor() as con:
            lines = action_lines(con, self.campaign.campaign_id, published_only=False)
        if lines:
            rows = [
                {
                    tr("col_action", self.lang): a.title,
                    tr("col_owner", self.lang): a.owner,
                    tr("col_due", self.lang): a.due.isoformat() if a.due else "",
                    tr("col_action_status", self.lang): a.status_word(self.lang),
                    tr("col_eur", self.lang): euros(a.eur_per_year, self.lang) if a.eur_per_year is not None else "",
                }
                for a in lines
            ]
            st.table(pd.DataFrame(rows).set_index(tr("col_action", self.lang)))
        else:
            st.caption(word("no_actions", self.lang))
        capture_form(self)


def _in_language(entry: object, lang: str) -> str:
    """A finding as text: a string, a {lang: text} mapping, or a record whose `text` (or `statement`) is either."""
    if isinstance(entry, dict):
        for key in ("text", "statement", "sentence"):
            if key in entry:
                return _in_language(entry[key], lang)
        if lang in entry or "en" in entry:
            return plain(str(entry.get(lang) or entry.get("en")))
        return plain(", ".join(f"{k}: {v}" for k, v in entry.items() if not isinstance(v, dict | list)))
    return plain(str(entry))


def capture_form(ws: Workshop) -> None:
    """A planned action in one step, through the actions storage; what it answers is picked from the dimensions."""
    dims = ws.labels.dimensions()
    losses = list(ws.view.instrument.value_at_stake.losses) if ws.view.instrument.value_at_stake else []
    lang = ws.lang
    # A new key after each saved action gives an empty form; a refused one keeps what was typed.
    n = st.session_state.get("ws_saved", 0)
    with st.form(f"ws_action_{n}", border=True):
        st.markdown(f"**{word('add', lang)}**")
        title = st.text_input(tr("col_action", lang), max_chars=200, key=f"ws_f_title_{n}")
        left, right = st.columns(2)
        owner = left.text_input(word("owner", lang), max_chars=100, key=f"ws_f_owner_{n}")
        due = right.date_input(tr("col_due", lang), value=dt.date.today() + dt.timedelta(days=90), key=f"ws_f_due_{n}")
        dimension = left.selectbox(tr("col_area", lang), list(dims), format_func=dims.get, key=f"ws_f_dimension_{n}")
        loss = right.selectbox(
            tr("col_loss", lang), [None, *losses], format_func=lambda x: "—" if x is None else ws.labels.loss(x), key=f"ws_f_loss_{n}"
        )
        eur = left.number_input(tr("col_eur", lang), min_value=0.0, value=0.0, step=10_000.0, key=f"ws_f_eur_{n}")
        kpi = right.text_input("KPI", max_chars=100, key=f"ws_f_kpi_{n}")
        if st.form_submit_button(word("add", ws.lang), type="primary"):
            try:
                action = action_from(
                    {"kind": "dimension", "id": dimension, "a": "=".join(ws.pair[0]), "b": "=".join(ws.pair[1])},
                    wave=ws.view.wave,
                    title=title,
                    owner=owner,
                    due_on=due,
                    loss=loss,
                    eur_per_year=eur or None,
                    kpi=kpi or None,
                )
                with db().cursor() as con:
                    add_action(con, ws.campaign.campaign_id, action, actor=ws.actor)
            except ValueError as exc:
                st.error(as_markdown(str(exc)))
                return
            st.session_state.ws_saved = st.session_state.get("ws_saved", 0) + 1
            clear_caches()
            st.rerun()


def _move(delta: int, count: int) -> None:
    st.session_state[STEP_KEY] = min(max(st.session_state.get(STEP_KEY, 0) + delta, 0), count - 1)


def navigation(count: int, lang: str) -> int:
    """Previous / next buttons bound to the ← and → keys; returns the screen to show."""
    step = min(st.session_state.get(STEP_KEY, 0), count - 1)
    st.session_state[STEP_KEY] = step
    back, where, forward = st.columns([1, 2, 1], vertical_alignment="center")
    back.button(
        word("previous", lang), key="ws_prev", shortcut="Left", on_click=_move, args=(-1, count), disabled=step == 0, width="stretch"
    )
    where.progress((step + 1) / count, text=word("of", lang, i=step + 1, n=count))
    forward.button(
        word("next", lang),
        key="ws_next",
        shortcut="Right",
        on_click=_move,
        args=(1, count),
        disabled=step == count - 1,
        type="primary",
        width="stretch",
    )
    return step


__all__ = ["Workshop", "navigation", "style", "word"]
