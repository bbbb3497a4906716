"""The actions editor, the one-step "plan an action" (from a gap, blind spot, finding or priority row), and the re-pulse panel, with their texts in English and Dutch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd
import streamlit as st

from analysis.closure import Closure
from analysis.export.report import number
from analysis.export.texts import tr
from analysis.labels import Labels
from pages.ui.campaign_picker import clear_caches
from pages.ui.common import db, role
from pages.ui.dashboard_words import say
from survey.access import allows
from survey.actions import (
    EDITABLE,
    KINDS,
    STATUSES,
    ActionsRefused,
    Catalogue,
    action_from,
    add_action,
    list_actions,
    save_actions,
    target_of,
)
from survey.actions.pulse import start_pulse
from survey.campaigns import Campaign, CampaignError, full_waves
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
        "help_owner": "A role or team name, never a person",
        "help_published": 'Shown on the public "you said, we did" page',
        "help_wave": "The wave whose results it answers",
    },
    "nl": {
        "intro": "Wat de leiding met de uitkomsten gaat doen: elke actie noemt waar ze op antwoordt, een eigenaar (een rol of team), "
        "een einddatum, een status en de waardehypothese (het verlies dat ze aanpakt, € per jaar, de KPI). Bewerk de tabel en sla op: "
        "elke rij wordt eerst gecontroleerd, en één foute cel houdt de hele tabel onopgeslagen. Vink **gepubliceerd** aan om een actie "
        'op de openbare pagina "jullie zeiden, wij deden" te tonen.',
        "none": "Nog geen acties. Plan er een vanuit een verschil op de pagina Verschillen, of voeg hieronder een rij toe.",
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
        "pulse_done": "Peiling {wave} staat open als korte peiling: {items} stellingen. Deel haar via de pagina Uitnodigingen.",
        "pulse_facilitator": "Een facilitator opent korte peilingen.",
        "labels": "Taal",
        "help_owner": "Een rol- of teamnaam, nooit een persoon",
        "help_published": 'Getoond op de openbare pagina "jullie zeiden, wij deden"',
        "help_wave": "De ronde op wier uitkomsten de actie antwoordt",
    },
}
EDITOR_KEY = "actions_editor"
# What a person reads first (who does what by when), then what it answers, then the value hypothesis.
ORDER = (
    "action_id",
    "title",
    "owner",
    "status",
    "due_on",
    "published",
    "target_kind",
    "target_id",
    "group_a",
    "group_b",
    "answers_wave",
    "loss",
    "eur_per_year",
    "kpi",
    "kpi_baseline",
    "notes",
)
HEADERS = {
    "en": {
        "action_id": "id",
        "title": "title",
        "owner": "owner",
        "status": "status",
        "due_on": "due",
        "published": "published",
        "target_kind": "answers a",
        "target_id": "target",
        "group_a": "group A",
        "group_b": "group B",
        "answers_wave": "wave",
        "loss": "loss attacked",
        "eur_per_year": "€ / year",
        "kpi": "KPI",
        "kpi_baseline": "KPI baseline",
        "notes": "notes",
    },
    "nl": {
        "action_id": "id",
        "title": "titel",
        "owner": "eigenaar",
        "status": "status",
        "due_on": "uiterlijk",
        "published": "gepubliceerd",
        "target_kind": "gaat over een",
        "target_id": "onderwerp",
        "group_a": "groep A",
        "group_b": "groep B",
        "answers_wave": "ronde",
        "loss": "aangepakt verlies",
        "eur_per_year": "€ / jaar",
        "kpi": "KPI",
        "kpi_baseline": "KPI-nulmeting",
        "notes": "notities",
    },
}
STATUS_WORDS = {
    "en": {"planned": "planned", "in_progress": "in progress", "done": "done", "dropped": "dropped"},
    "nl": {"planned": "gepland", "in_progress": "bezig", "done": "klaar", "dropped": "geschrapt"},
}
# What a save changed, in the page's language (SaveResult.describe; English is its own wording).
SAVE_WORDS = {
    "nl": {
        "added": "toegevoegd",
        "updated": "bijgewerkt",
        "deleted": "verwijderd",
        "published": "gepubliceerd",
        "unpublished": "niet meer gepubliceerd",
    },
}
KIND_WORDS = {
    "en": {"dimension": "dimension", "item": "statement", "blind_spot": "blind spot", "loss": "loss"},
    "nl": {"dimension": "onderdeel", "item": "stelling", "blind_spot": "blinde vlek", "loss": "verlies"},
}


def text(lang: str, key: str, **values: object) -> str:
    return TEXTS.get(lang, TEXTS["en"])[key].format(**values)


def target_label(labels: Labels, kind: str, target: str) -> str:
    """A target's name in the reader's language, or its id when the questionnaire does not know it."""
    try:
        return {"dimension": labels.dimension, "blind_spot": labels.dimension, "item": labels.item, "loss": labels.loss}[kind](target)
    except (KeyError, ValueError):
        return target


def editor_columns(catalogue: Catalogue, labels: Labels, lang: str) -> dict[str, object]:
    """Column widgets that only offer what the questionnaire knows, named in the reader's language; pandera still checks what comes back."""
    cc = st.column_config
    h = HEADERS.get(lang, HEADERS["en"])
    targets = sorted(catalogue.dimensions) + sorted(catalogue.items) + sorted(catalogue.losses)

    def target_name(target: str) -> str:
        kind = "dimension" if target in catalogue.dimensions else "item" if target in catalogue.items else "loss"
        name = target_label(labels, kind, target)
        return f"{target} · {name}" if kind == "item" else name

    def group_name(group: str) -> str:
        try:
            return labels.group(group)
        except (KeyError, ValueError):
            return group

    status_words, kind_words = STATUS_WORDS.get(lang, STATUS_WORDS["en"]), KIND_WORDS.get(lang, KIND_WORDS["en"])
    return {
        "action_id": cc.TextColumn(h["action_id"], disabled=True, width="small", pinned=True),
        "title": cc.TextColumn(h["title"], required=True, max_chars=200, width="large"),
        "owner": cc.TextColumn(h["owner"], required=True, max_chars=120, help=text(lang, "help_owner")),
        "status": cc.SelectboxColumn(h["status"], options=list(STATUSES), required=True, format_func=status_words.get),
        "due_on": cc.DateColumn(h["due_on"], format="YYYY-MM-DD"),
        "published": cc.CheckboxColumn(h["published"], help=text(lang, "help_published")),
        "target_kind": cc.SelectboxColumn(h["target_kind"], options=list(KINDS), required=True, format_func=kind_words.get),
        "target_id": cc.SelectboxColumn(h["target_id"], options=targets, required=True, format_func=target_name),
        "group_a": cc.SelectboxColumn(h["group_a"], options=sorted(catalogue.groups), format_func=group_name),
        "group_b": cc.SelectboxColumn(h["group_b"], options=sorted(catalogue.groups), format_func=group_name),
        "answers_wave": cc.NumberColumn(h["answers_wave"], min_value=1, step=1, width="small", help=text(lang, "help_wave")),
        "loss": cc.SelectboxColumn(h["loss"], options=sorted(catalogue.losses), format_func=lambda x: target_label(labels, "loss", x)),
        "eur_per_year": cc.NumberColumn(h["eur_per_year"], min_value=0, format="€ %.0f"),
        "kpi": cc.TextColumn(h["kpi"], max_chars=200),
        "kpi_baseline": cc.TextColumn(h["kpi_baseline"], max_chars=200),
        "notes": cc.TextColumn(h["notes"], max_chars=2000),
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
        column_config=editor_columns(catalogue, labels, lang),
        column_order=list(ORDER),
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
        st.session_state["actions_notice"] = (
            text(lang, "saved", what=result.describe(SAVE_WORDS.get(lang))) if result.changed else text(lang, "unchanged")
        )
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
        full = [w.wave for w in full_waves(con, campaign.campaign_id)]
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


PLAN_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "plan": "Plan action",
        "title": "Title",
        "owner": "Owner (a role or team)",
        "due": "Due",
        "add": "Add planned action",
        "done": "Action {action_id} planned. See it on the Actions page.",
        "gaps": "Plan an action on a gap",
        "blind_spots": "Plan an action on a blind spot",
    },
    "nl": {
        "plan": "Actie plannen",
        "title": "Titel",
        "owner": "Eigenaar (een rol of team)",
        "due": "Uiterlijk",
        "add": "Geplande actie toevoegen",
        "done": "Actie {action_id} gepland. Zie de pagina Acties.",
        "gaps": "Plan een actie op een verschil",
        "blind_spots": "Plan een actie op een blinde vlek",
    },
}


def plan_text(lang: str, key: str, **values: object) -> str:
    return PLAN_TEXTS.get(lang, PLAN_TEXTS["en"])[key].format(**values)


def may_plan() -> bool:
    """The Actions page's rule: leaders and facilitators edit actions, so only they get a "Plan action" control."""
    return allows(role(), "leader")


def target_title(labels: Labels, target: Mapping[str, object]) -> str:
    """What a target is, in the reader's language: "Strategy: Board vs Shop floor", "Unplanned downtime"."""
    fields = target_of(target)
    name = target_label(labels, str(fields["target_kind"]), str(fields["target_id"]))

    def group(value: object) -> str:
        try:
            return labels.group(str(value))
        except (KeyError, ValueError):
            return str(value)

    if fields["group_a"] and fields["group_b"]:
        return f"{name}: {group(fields['group_a'])} vs {group(fields['group_b'])}"
    return name


def plan_action(
    campaign: Campaign,
    wave: int,
    target: Mapping[str, object],
    *,
    key: str,
    lang: str = "en",
    title: str | None = None,
    loss: str | None = None,
    eur_per_year: float | None = None,
) -> None:
    """One "Plan action" popover: a small form prefilled from `target` (see `survey.actions.action_from`); the owner is the one field to fill in.

    The one control behind every "plan an action from here" (gaps, blind spots, findings, priority rows), so
    they save alike; it shows nothing to a role that may not edit actions.
    """
    if not may_plan():
        return
    draft = action_from(target, wave=wave, title=title, loss=loss, eur_per_year=eur_per_year)
    with st.popover(plan_text(lang, "plan"), icon=":material/add_task:", width="stretch"), st.form(f"plan_form_{key}"):
        # A text area, not a line: the prefilled title ("Governance: Middle management vs Board / executive team") reads whole in a narrow popover.
        named = st.text_area(plan_text(lang, "title"), value=str(draft["title"]), max_chars=200, height=80, key=f"plan_title_{key}")
        owner = st.text_input(plan_text(lang, "owner"), max_chars=120, key=f"plan_owner_{key}")
        due = st.date_input(plan_text(lang, "due"), value=dt.date.today() + dt.timedelta(days=90), key=f"plan_due_{key}")
        if st.form_submit_button(plan_text(lang, "add"), type="primary", key=f"plan_add_{key}"):
            try:
                with db().cursor() as con:
                    action_id = add_action(
                        con, campaign.campaign_id, {**draft, "title": named, "owner": owner, "due_on": due}, actor=role() or "leader"
                    )
            except ActionsRefused as exc:
                st.error(plain("; ".join(str(p) for p in exc.problems)))
            else:
                clear_caches()
                st.success(plan_text(lang, "done", action_id=action_id))


def plan_from_gaps(
    campaign: Campaign,
    wave: int,
    rows: pd.DataFrame,
    a: tuple[str, str],
    b: tuple[str, str],
    labels: Mapping[str, str],
    pair_names: tuple[str, str] | None = None,
    lang: str = "en",
) -> None:
    """One "Plan action" per shown gap, prefilled with the gap."""
    shown = rows[~rows["suppressed"]].head(10)
    if shown.empty or not may_plan():
        return
    st.subheader(plan_text(lang, "gaps"))
    pair = {"a": f"{a[0]}={a[1]}", "b": f"{b[0]}={b[1]}"}
    for row in shown.itertuples(index=False):
        name = labels.get(row.unit, row.unit)
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.markdown(f"**{as_markdown(name)}** · {tr('col_gap', lang)} {number(row.diff, 2, lang, sign=True)}")
        named = f"{name}: {pair_names[0]} vs {pair_names[1]}" if pair_names else None
        with right:
            plan_action(
                campaign, wave, {"kind": row.unit_type, "id": row.unit, "label": name, **pair}, key=str(row.unit), lang=lang, title=named
            )


def closure_panel(result: Closure, labels: Labels) -> None:
    """Gap closure on the Trends page: per action its gap before and after, then targeted minus untargeted change, with its limits."""
    lang = labels.language if labels.language in ("en", "nl") else "en"
    st.subheader(say("closure_question", lang))
    if result.actions.empty:
        st.caption(say("closure_no_actions", lang))
        return
    acts = result.actions
    shown = acts["change"].notna()
    table = pd.DataFrame(
        {
            tr("col_action", lang): [f"{i} · {plain(t)}" for i, t in zip(acts["action_id"], acts["title"], strict=True)],
            tr("col_area", lang): [target_label(labels, k, t) for k, t in zip(acts["target_kind"], acts["target_id"], strict=True)],
            tr("col_gap_pair", lang): [
                f"{labels.group(a)} − {labels.group(b)}" if isinstance(a, str) and isinstance(b, str) else ""
                for a, b in zip(acts["a"], acts["b"], strict=True)
            ],
            tr("col_gap_before", lang): acts["gap_before"],
            tr("col_gap_after", lang): acts["gap_after"],
            tr("col_change", lang): acts["change"],
            tr("col_ci", lang): [
                f"{lo:+.2f} … {hi:+.2f}" if ok else "" for lo, hi, ok in zip(acts["ci_low"], acts["ci_high"], shown, strict=True)
            ],
            tr("col_note", lang): acts["reason"].fillna("").astype(str),
        }
    )
    # Raw columns (action_id, a = "level=board", wave_before…) overflowed the page and spoke in ids; these are the deck's words.
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            tr(c, lang): st.column_config.NumberColumn(format="%+.2f") for c in ("col_gap_before", "col_gap_after", "col_change")
        },
    )
    if result.did is None or result.ci is None:
        st.info(tr("closure_none", lang, why=result.note))
        return
    t, u, did = st.columns(3)
    ci = f"{tr('col_ci', lang)} {number(result.ci[0], 2, lang, sign=True)} … {number(result.ci[1], 2, lang, sign=True)}"
    t.metric(tr("closure_targeted", lang, n=result.n_targeted), number(result.targeted, 2, lang, sign=True))
    u.metric(tr("closure_untargeted", lang, n=result.n_untargeted), number(result.untargeted, 2, lang, sign=True))
    did.metric(tr("closure_did", lang), number(result.did, 2, lang, sign=True), help=ci)
    st.caption(
        f"{labels.group(result.a)} − {labels.group(result.b)}: "
        + tr("closure_waves", lang, before=result.wave_before, after=result.wave_after)
        + f" {tr('closure_did', lang)}: {number(result.did, 2, lang, sign=True)}, {ci}. "
        + tr("closure_method", lang)
        + " "
        + tr("closure_limits", lang)
    )
