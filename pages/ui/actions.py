"""The actions editor, the one-step "plan an action" from a gap, and the re-pulse panel, with their texts in English and Dutch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd
import streamlit as st

from analysis.labels import Labels
from pages.ui.campaign_picker import clear_caches
from pages.ui.common import db, role
from survey.access import allows
from survey.actions import EDITABLE, KINDS, STATUSES, ActionsRefused, Catalogue, action_from, add_action, list_actions, save_actions
from survey.actions.pulse import start_pulse
from survey.campaigns import Campaign, CampaignError, is_pulse_key, list_waves
from survey.user_text import as_markdown, plain

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "intro": "What leadership decided to do about the results: each action names what it answers, an owner (a role or team), "
        "a due date, a status and its value hypothesis (the loss it attacks, € per year, the KPI). Edit the table and save: "
        "every row is checked first, and one bad cell keeps the whole table unsaved. Tick **published** to show an action on the "
        'public "you said, we did" page.',
        "none": "No actions yet. Plan one from a gap on the Gaps page, or add a row below.",
        "save": "Save changes",
        "saved": "Saved: {what}.",
        "unchanged": "Nothing changed.",
        "refused": "Nothing was saved: {n} problem(s). Fix these cells and save again.",
        "pulse": "Re-pulse: a two-minute follow-up wave",
        "pulse_help": 'Asks only the items the chosen actions point at, plus "I see this being acted on" per action, on the same '
        "scale. The open link, invites, QR codes and kiosk then ask the pulse.",
        "pulse_from": "Actions answering wave",
        "pulse_actions": "Actions",
        "pulse_start": "Open the pulse wave",
        "pulse_done": "Wave {wave} is open as a pulse: {items} statements. Share it from the Invites page.",
        "pulse_facilitator": "A facilitator opens pulse waves.",
        "labels": "Language",
    },
    "nl": {
        "intro": "Wat de leiding met de uitkomsten gaat doen: elke actie noemt waar ze op antwoordt, een eigenaar (een rol of team), "
        "een einddatum, een status en de waardehypothese (het verlies dat ze aanpakt, € per jaar, de KPI). Bewerk de tabel en sla op: "
        "elke rij wordt eerst gecontroleerd, en één foute cel houdt de hele tabel onopgeslagen. Vink **published** aan om een actie "
        'op de openbare pagina "jullie zeiden, wij deden" te tonen.',
        "none": "Nog geen acties. Plan er een vanuit een kloof op de pagina Gaps, of voeg hieronder een rij toe.",
        "save": "Wijzigingen opslaan",
        "saved": "Opgeslagen: {what}.",
        "unchanged": "Er is niets gewijzigd.",
        "refused": "Er is niets opgeslagen: {n} probleem/problemen. Verbeter deze cellen en sla opnieuw op.",
        "pulse": "Korte peiling: een vervolg van twee minuten",
        "pulse_help": 'Vraagt alleen de stellingen waar de gekozen acties over gaan, plus per actie "Ik zie dat hier werk van wordt '
        'gemaakt", op dezelfde schaal. De open link, uitnodigingen, QR-codes en kiosk vragen daarna de korte peiling.',
        "pulse_from": "Acties op peiling",
        "pulse_actions": "Acties",
        "pulse_start": "Open de korte peiling",
        "pulse_done": "Peiling {wave} staat open als korte peiling: {items} stellingen. Deel haar via de pagina Invites.",
        "pulse_facilitator": "Een facilitator opent korte peilingen.",
        "labels": "Taal",
    },
}
EDITOR_KEY = "actions_editor"


def text(lang: str, key: str, **values: object) -> str:
    return TEXTS.get(lang, TEXTS["en"])[key].format(**values)


def target_label(labels: Labels, kind: str, target: str) -> str:
    """A target's name in the reader's language, or its id when the questionnaire does not know it."""
    try:
        return {"dimension": labels.dimension, "blind_spot": labels.dimension, "item": labels.item, "loss": labels.loss}[kind](target)
    except (KeyError, ValueError):
        return target


def editor_columns(catalogue: Catalogue, labels: Labels) -> dict[str, object]:
    """Column widgets that only offer what the questionnaire knows; pandera still checks whatever comes back."""
    cc = st.column_config
    targets = sorted(catalogue.dimensions) + sorted(catalogue.items) + sorted(catalogue.losses)
    return {
        "action_id": cc.TextColumn("id", disabled=True, width="small"),
        "answers_wave": cc.NumberColumn("wave", min_value=1, step=1, width="small", help="The wave whose results it answers"),
        "target_kind": cc.SelectboxColumn("kind", options=list(KINDS), required=True),
        "target_id": cc.SelectboxColumn("target", options=targets, required=True),
        "group_a": cc.SelectboxColumn("group A", options=sorted(catalogue.groups)),
        "group_b": cc.SelectboxColumn("group B", options=sorted(catalogue.groups)),
        "title": cc.TextColumn("title", required=True, max_chars=200, width="large"),
        "owner": cc.TextColumn("owner", required=True, max_chars=120, help="A role or team name, never a person"),
        "due_on": cc.DateColumn("due", format="YYYY-MM-DD"),
        "status": cc.SelectboxColumn("status", options=list(STATUSES), required=True),
        "loss": cc.SelectboxColumn("loss", options=sorted(catalogue.losses)),
        "eur_per_year": cc.NumberColumn("€ / year", min_value=0, format="€ %.0f"),
        "kpi": cc.TextColumn("KPI", max_chars=200),
        "kpi_baseline": cc.TextColumn("KPI baseline", max_chars=200),
        "notes": cc.TextColumn("notes", max_chars=2000),
        "published": cc.CheckboxColumn("published", help='Shown on the public "you said, we did" page'),
    }


def editor(campaign: Campaign, catalogue: Catalogue, labels: Labels, lang: str) -> None:
    """The campaign's actions in an editable table; Save checks every row (pandera) and writes all or nothing."""
    with db().cursor() as con:
        actions = list_actions(con, campaign.campaign_id)
    if actions.empty:
        st.info(text(lang, "none"))
    frame = actions[list(EDITABLE)].astype(object)
    frame["answers_wave"] = actions["answers_wave"].astype("Int64")
    frame["eur_per_year"] = actions["eur_per_year"].astype(float)
    frame["published"] = actions["published"].astype(bool)
    edited = st.data_editor(
        frame,
        key=EDITOR_KEY,
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_config=editor_columns(catalogue, labels),
        column_order=list(EDITABLE),
    )
    if st.button(text(lang, "save"), type="primary", key="actions_save"):
        try:
            with db().cursor() as con:
                result = save_actions(con, campaign.campaign_id, edited, actor=role() or "leader")
        except ActionsRefused as exc:
            st.error(text(lang, "refused", n=len(exc.problems)))
            st.code(plain("\n".join(str(p) for p in exc.problems)), language=None)
            return
        clear_caches()
        st.session_state.pop(EDITOR_KEY, None)
        st.session_state["actions_notice"] = text(lang, "saved", what=result.describe()) if result.changed else text(lang, "unchanged")
        st.rerun()
    if notice := st.session_state.pop("actions_notice", None):
        st.success(as_markdown(notice))


def pulse_panel(campaign: Campaign, lang: str) -> None:
    """Facilitators open a pulse wave from chosen actions; leaders see what it does."""
    st.subheader(text(lang, "pulse"))
    st.caption(text(lang, "pulse_help"))
    if not allows(role(), "facilitator"):
        st.caption(text(lang, "pulse_facilitator"))
        return
    with db().cursor() as con:
        actions = list_actions(con, campaign.campaign_id)
        full = [w.wave for w in list_waves(con, campaign.campaign_id) if not is_pulse_key(w.instrument_key)]
    if actions.empty or not full:
        return
    left, right = st.columns([1, 3])
    answered = [w for w in full if w in set(actions["answers_wave"])]
    start = full.index(answered[-1]) if answered else len(full) - 1
    from_wave = left.selectbox(text(lang, "pulse_from"), full, index=start, key="pulse_from")
    offered = actions[(actions["answers_wave"] == from_wave) & (actions["status"] != "dropped")]
    names = dict(zip(actions["action_id"], actions["title"], strict=True))
    chosen = right.multiselect(
        text(lang, "pulse_actions"),
        list(offered["action_id"]),
        default=list(offered["action_id"]),
        format_func=lambda a: f"{a} · {plain(names[a])}",
        key="pulse_actions",
    )
    if st.button(text(lang, "pulse_start"), disabled=not chosen, key="pulse_start"):
        try:
            with db().cursor() as con:
                wave, instrument = start_pulse(con, campaign.campaign_id, int(from_wave), chosen, actor=role() or "facilitator")
        except CampaignError as exc:
            st.error(as_markdown(str(exc)))
            return
        clear_caches()
        st.success(text(lang, "pulse_done", wave=wave.wave, items=len(instrument.items)))


def plan_from_gaps(
    campaign: Campaign, wave: int, rows: pd.DataFrame, a: tuple[str, str], b: tuple[str, str], labels: Mapping[str, str]
) -> None:
    """One "Plan an action" per shown gap: a small form prefilled with the gap; the owner is the one field to fill in."""
    shown = rows[~rows["suppressed"]].head(10)
    if shown.empty:
        return
    st.subheader("Plan an action on a gap")
    pair = {"a": f"{a[0]}={a[1]}", "b": f"{b[0]}={b[1]}"}
    for row in shown.itertuples(index=False):
        name = labels.get(row.unit, row.unit)
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.markdown(f"**{as_markdown(name)}** · gap {row.diff:+.2f}")
        with right.popover("Plan action", icon=":material/add_task:", width="stretch"), st.form(f"plan_{row.unit_type}_{row.unit}"):
            draft = action_from({"kind": row.unit_type, "id": row.unit, "label": name, **pair}, wave=wave)
            title = st.text_input("Title", value=draft["title"], max_chars=200, key=f"plan_title_{row.unit}")
            owner = st.text_input("Owner (a role or team)", max_chars=120, key=f"plan_owner_{row.unit}")
            due = st.date_input("Due", value=dt.date.today() + dt.timedelta(days=90), key=f"plan_due_{row.unit}")
            if st.form_submit_button("Add planned action", type="primary", key=f"plan_add_{row.unit}"):
                try:
                    with db().cursor() as con:
                        action_id = add_action(
                            con, campaign.campaign_id, {**draft, "title": title, "owner": owner, "due_on": due}, actor=role() or "leader"
                        )
                except ActionsRefused as exc:
                    st.error("; ".join(str(p) for p in exc.problems))
                else:
                    clear_caches()
                    st.success(f"Action {action_id} planned. See it on the Actions page.")
