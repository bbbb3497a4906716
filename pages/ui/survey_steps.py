"""The respondent's screens: one form per step, so answering an item never reruns the page."""

from __future__ import annotations

import re
import time

import streamlit as st

from pages.ui.common import db, show_failure
from survey.campaigns import Campaign, CampaignError, current_wave, get_campaign, instrument_by_key, instrument_fingerprint
from survey.instrument import Dimension, Instrument
from survey.invites import (
    CLOSED,
    UNKNOWN,
    USED,
    VALID,
    InviteError,
    InviteUsed,
    invite_campaign,
    invite_status,
    load_draft,
    new_submission_key,
    redeem,
    save_draft,
    token_from_query,
)
from survey.journey import (
    DONT_KNOW,
    INTRO,
    OUTLOOK,
    PROFILE,
    REVIEW,
    VALUE,
    Draft,
    answer_options,
    browser_language,
    build_submission,
    estimated_minutes,
    labelled_everywhere,
    missing_attributes,
    open_items,
    option_label,
    outlook_questions,
    scale_legend,
    section_counts,
    steps,
)
from survey.responses import SubmissionError, submit
from survey.resume import KIOSK_TTL, RESUME_PARAM
from survey.resume import USED as RESUME_USED
from survey.resume import VALID as RESUME_VALID
from survey.resume import claim as resume_claim
from survey.resume import discard as resume_discard
from survey.resume import lookup as resume_lookup
from survey.resume import new_token as new_resume_token
from survey.resume import save as resume_save
from survey.resume import submission_key as resume_submission_key
from survey.store import DatabaseBusy, DatabaseDamaged
from survey.texts import t
from survey.user_text import as_markdown, plain

_LINK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
STATE_KEYS = ("sv_draft", "sv_step", "sv_key", "sv_done", "sv_started", "sv_resume")
# Every respondent's rerun needs the campaign, its wave and instrument. When the cached answer expires, the
# sessions arriving meanwhile wait for the one refresh (6% of script-thread time at 300 respondents with 5 s).
CAMPAIGN_TTL_S = 15


def reset(discard: bool = False) -> None:
    """Forget everything of the current respondent (after submit, on kiosks, or on request), and the resume token in the URL.

    `discard` also deletes the saved draft: a kiosk's next respondent must find nothing of the last one.
    """
    token = st.session_state.get("sv_resume")
    if discard and token:
        try:
            with db().cursor() as con:
                resume_discard(con, token)
        except (DatabaseBusy, DatabaseDamaged, OSError):
            pass  # the kiosk draft still expires after the idle time (survey.resume.KIOSK_TTL)
    for key in list(st.session_state):
        if key.startswith(("sv_", "q_", "attr_", "comment_", "losses")) and key not in ("sv_lang", "sv_where", "sv_invite"):
            del st.session_state[key]
    if RESUME_PARAM in st.query_params:
        del st.query_params[RESUME_PARAM]


def state() -> tuple[Draft, int]:
    if "sv_draft" not in st.session_state:
        st.session_state.sv_draft = Draft()
        st.session_state.sv_step = 0
        st.session_state.sv_key = new_submission_key()
    return st.session_state.sv_draft, st.session_state.sv_step


def _move(step: int) -> None:
    """Go to `step`; called from button callbacks, which run before the next script run (one run per move)."""
    st.session_state.sv_step = step
    st.session_state.sv_last = time.time()
    token = st.session_state.get("sv_invite")
    try:
        if token:  # save and resume: a personal link keeps the draft on its invite row
            with db().cursor() as con:
                save_draft(con, token, {**st.session_state.sv_draft.to_json(), "step": step})
        else:
            _save_resumable(step)
    except (InviteError, DatabaseBusy, DatabaseDamaged, ValueError, OSError):
        pass  # the answers are still in this session; saving is a convenience, submitting is what counts


def _save_resumable(step: int) -> None:
    """Open link or kiosk: save the draft under the URL's resume token, drawing the token (and putting it in the URL) on the first move."""
    where = st.session_state.get("sv_where")
    if where is None:
        return
    campaign_id, wave, kiosk = where
    token = st.session_state.get("sv_resume")
    if token is None:
        token = st.session_state.sv_resume = new_resume_token()
        st.session_state.sv_key = resume_submission_key(token)
        st.query_params[RESUME_PARAM] = token
    draft = {**st.session_state.sv_draft.to_json(), "step": step, "lang": st.session_state.get("sv_lang")}
    with db().cursor() as con:
        resume_save(con, token, campaign_id, wave, draft, kiosk=kiosk)


def resume(raw: object, campaign: Campaign, wave: int, instrument: Instrument, kiosk: bool) -> None:
    """Continue an open-link or kiosk respondent from the draft their URL's resume token names (`survey.resume`).

    A new session on the URL (another server after one died, a reopened tab) picks up the last saved
    section; a used token shows the thank-you (a kiosk starts afresh), an unknown or expired one is
    dropped from the URL and the survey starts from the beginning.
    """
    st.session_state.sv_where = (campaign.campaign_id, wave, kiosk)
    if raw is None or st.session_state.get("sv_invite"):
        return
    token = token_from_query(raw)
    if token is not None and st.session_state.get("sv_resume") == token:
        return
    status, draft = RESUME_USED, None
    if token is not None:
        try:
            with db().cursor() as con:
                status, draft = resume_lookup(con, token, campaign.campaign_id, wave, kiosk=kiosk)
        except (DatabaseBusy, DatabaseDamaged, OSError, ValueError):
            return  # try again on the next rerun; the URL keeps the token
    else:
        status = "unknown"
    if status == RESUME_VALID and draft is not None:
        reset()
        st.session_state.sv_draft = Draft.from_json(draft)
        st.session_state.sv_step = max(0, int(draft.get("step", 0)))
        st.session_state.sv_key = resume_submission_key(token)
        st.session_state.sv_resume = token
        st.query_params[RESUME_PARAM] = token
        if draft.get("lang") in instrument.languages:
            st.session_state.sv_lang = draft["lang"]
    elif status == RESUME_USED and not kiosk:
        reset()
        st.session_state.sv_done = True
        st.session_state.sv_done_campaign = campaign.campaign_id
    else:
        reset()


def open_invite(raw: object) -> str | None:
    """Check a personal link; returns its campaign id, or shows why it cannot be used and stops the page."""
    token = token_from_query(raw)
    if token is None:
        st.warning(f"{t('invite_unknown', 'en')}\n\n{t('invite_unknown', 'nl')}")
        st.stop()
    with db().cursor() as con:
        status = invite_status(con, token)
        where = invite_campaign(con, token)
        draft = load_draft(con, token) if status == VALID else None
    messages = {USED: "invite_used", UNKNOWN: "invite_unknown", CLOSED: "closed"}
    if status == USED and st.session_state.get("sv_invite") == token and st.session_state.get("sv_done"):
        return st.session_state.get("sv_done_campaign")  # this session just used it: keep showing the thank-you
    if status != VALID or where is None:
        key = messages.get(status, "invite_unknown")
        st.warning(f"{t(key, 'en')}\n\n{t(key, 'nl')}")
        st.stop()
    if st.session_state.get("sv_invite") != token:
        reset()
        st.session_state.sv_invite = token
        if draft:
            st.session_state.sv_draft = Draft.from_json(draft)
            st.session_state.sv_step = int(draft.get("step", 0))
            st.session_state.sv_key = new_submission_key()
    return where[0]


def load_campaign(campaign_id: str | None) -> tuple[Campaign, int, Instrument] | None:
    """The campaign this session answers, its current wave and instrument (None when nothing is open)."""
    if campaign_id is not None and not _LINK_ID.match(campaign_id):
        return None  # a mangled or hostile ?c= is never echoed and never queried: the page says no survey is open here
    found = _current(str(db().path), campaign_id)
    if found is None:
        return None
    campaign, wave, key, fingerprint = found
    return campaign, wave, _instrument(str(db().path), key, fingerprint)


@st.cache_data(ttl=CAMPAIGN_TTL_S, show_spinner=False)
def _current(db_path: str, campaign_id: str | None) -> tuple[Campaign, int, str, str] | None:
    """Campaign, current wave, instrument key and text fingerprint, read at most every few seconds per link.

    Every rerun of every respondent asked these three queries; under load they were a third of the page's
    server time. A closed campaign or a new wave shows within CAMPAIGN_TTL_S (at once after a write in the
    app, which clears the caches), and submitting re-reads the campaign's status from the database.
    """
    from survey.campaigns import active_campaign

    with db().cursor() as con:
        if campaign_id is None:
            campaign = active_campaign(con)
        else:
            try:
                campaign = get_campaign(con, campaign_id)
            except CampaignError:
                return None  # an unknown link reads like no open survey; what was typed is never echoed back
        if campaign is None:
            return None
        wave = current_wave(con, campaign.campaign_id)
        fingerprint = instrument_fingerprint(con, wave.instrument_key)
    return campaign, wave.wave, wave.instrument_key, fingerprint or ""


@st.cache_resource(max_entries=32, show_spinner=False)
def _instrument(db_path: str, key: str, fingerprint: str) -> Instrument:
    """Parsed once per stored text: YAML parsing on every rerun cost more server time than the rest of the page.

    Keyed on the text's fingerprint as well as its key, so a re-registered instrument is never served stale.
    """
    with db().cursor() as con:
        return instrument_by_key(con, key)


def language_picker(instrument: Instrument) -> str:
    names = {"en": "English", "nl": "Nederlands", "de": "Deutsch", "fr": "Français"}
    if st.session_state.get("sv_lang") not in instrument.languages:
        asked = browser_language(instrument.languages, st.context.locale, st.context.headers.get("Accept-Language"))
        st.session_state.sv_lang = asked or instrument.languages[0]
    if len(instrument.languages) > 1:
        st.segmented_control(
            "Language / Taal",
            list(instrument.languages),
            format_func=lambda code: names.get(code, code),
            key="sv_lang",
            required=True,
            label_visibility="collapsed",
        )
    return st.session_state.sv_lang or instrument.languages[0]


def progress(instrument: Instrument, step: int, lang: str) -> None:
    total = len(steps(instrument)) - 1
    st.progress(min(step / total, 1.0), text=t("section_of", lang, i=step, n=total))


def _start() -> None:
    st.session_state.sv_started = time.time()
    _move(1)


def _problem(where: str) -> None:
    """Show what stopped the last move of this step (set by its callback), once."""
    message = st.session_state.pop("sv_problem", None)
    if message and message[0] == where:
        st.error(message[1])


def intro(instrument: Instrument, campaign: Campaign, lang: str) -> None:
    st.title(as_markdown(instrument.title[lang]))
    if instrument.intro:
        st.markdown(as_markdown(instrument.intro[lang]))
    st.caption(t("minutes", lang, m=estimated_minutes(instrument), s=len(instrument.dimensions)))
    st.button(t("start", lang), type="primary", width="stretch", key="sv_start", on_click=_start)


def profile(instrument: Instrument, campaign: Campaign, draft: Draft, lang: str) -> None:
    st.header(t("about_you", lang))
    st.caption(t("about_you_help", lang, k=campaign.threshold))
    with st.form("sv_profile", border=False):
        for attr_id, attr in instrument.attributes.items():
            options = list(attr.options)
            current = draft.attributes.get(attr_id)
            st.selectbox(
                as_markdown(attr.label[lang]),
                options,
                index=options.index(current) if current in options else None,
                format_func=lambda o, a=attr: plain(a.options[o][lang]),
                placeholder=t("choose", lang),
                key=f"attr_{attr_id}",
            )
        back, nxt = st.columns(2)
        # Every move is a callback: it runs before the next script run, so a step costs one run, not two.
        back.form_submit_button(t("back", lang), width="stretch", on_click=_save_profile, args=(instrument, draft, lang, 0))
        nxt.form_submit_button(t("next", lang), type="primary", width="stretch", on_click=_save_profile, args=(instrument, draft, lang, 2))
    _problem(PROFILE)


def _save_profile(instrument: Instrument, draft: Draft, lang: str, target: int) -> None:
    for attr_id in instrument.attributes:
        draft.attributes[attr_id] = st.session_state.get(f"attr_{attr_id}") or ""
    missing = missing_attributes(instrument, draft)
    if target > st.session_state.sv_step and missing:
        names = ", ".join(as_markdown(instrument.attributes[a].label[lang]) for a in missing)
        st.session_state.sv_problem = (PROFILE, t("missing_attr", lang, name=names))
        return
    _move(target)


def dimension(instrument: Instrument, campaign: Campaign, draft: Draft, step: int, dim_id: str, lang: str) -> None:
    dim = instrument.dimension(dim_id)
    st.header(as_markdown(dim.label[lang]))
    if dim.description:
        st.caption(as_markdown(dim.description[lang]))
    options = answer_options(instrument)
    if not labelled_everywhere(instrument, lang):
        st.info(scale_legend(instrument, lang))
    with st.form(f"sv_dim_{dim_id}", border=False):
        for item in dim.items:
            current = draft.answers.get(item.id)
            st.radio(
                as_markdown(item.text[lang]),
                options,
                index=options.index(current) if current in options else None,
                format_func=lambda v: as_markdown(option_label(instrument, v, lang)),
                key=f"q_{item.id}",
                horizontal=True,  # a row on a desktop; a vertical list on a phone (pages/ui/common.py ACCESSIBLE_CSS)
            )
        prompt = dim.comment_prompt[lang] if dim.comment_prompt else t("comment", lang)
        st.text_area(
            as_markdown(prompt),
            value=draft.comments.get(dim_id, ""),
            max_chars=2000,
            key=f"comment_{dim_id}",
            help=t("comment_help", lang, k=campaign.comment_threshold),
        )
        back, nxt = st.columns(2)
        back.form_submit_button(t("back", lang), width="stretch", on_click=_save_dimension, args=(dim, draft, step - 1))
        nxt.form_submit_button(t("next", lang), type="primary", width="stretch", on_click=_save_dimension, args=(dim, draft, step + 1))


def _save_dimension(dim: Dimension, draft: Draft, target: int) -> None:
    for item in dim.items:
        value = st.session_state.get(f"q_{item.id}")
        if value is None:
            draft.answers.pop(item.id, None)
        else:
            draft.answers[item.id] = value if value == DONT_KNOW else int(value)
    draft.comments[dim.id] = st.session_state.get(f"comment_{dim.id}", "") or ""
    _move(target)


def value_at_stake(instrument: Instrument, draft: Draft, step: int, lang: str) -> None:
    vas = instrument.value_at_stake
    assert vas is not None
    st.header(t("value_title", lang))
    with st.form("sv_value", border=False):
        st.pills(
            as_markdown(vas.prompt[lang]),
            list(vas.losses),
            selection_mode="multi",
            default=[loss for loss in draft.losses if loss in vas.losses],
            format_func=lambda loss: as_markdown(vas.losses[loss][lang]),
            key="losses_pick",
        )
        back, nxt = st.columns(2)
        back.form_submit_button(t("back", lang), width="stretch", on_click=_save_losses, args=(instrument, draft, lang, step - 1))
        nxt.form_submit_button(
            t("next", lang), type="primary", width="stretch", on_click=_save_losses, args=(instrument, draft, lang, step + 1)
        )
    _problem(VALUE)


def _save_losses(instrument: Instrument, draft: Draft, lang: str, target: int) -> None:
    vas = instrument.value_at_stake
    picked = list(st.session_state.get("losses_pick") or [])
    if vas is not None and len(picked) > vas.max_choices:
        st.session_state.sv_problem = (VALUE, t("too_many", lang, n=vas.max_choices))
        return
    draft.losses = picked
    _move(target)


def outlook(instrument: Instrument, draft: Draft, step: int, lang: str) -> None:
    """Targets and meta-perception, asked once at the end: one tap per question, on the instrument's scale."""
    st.header(t("outlook_title", lang))
    st.info(scale_legend(instrument, lang))
    options = answer_options(instrument)
    questions = outlook_questions(instrument, draft)
    meta = instrument.meta_perception
    with st.form("sv_outlook", border=False):
        group = None
        for key, about, text in questions:
            if about != group:
                group = about
                if not about and instrument.targets:
                    st.markdown(f"**{t('outlook_targets', lang)}**  \n{as_markdown(instrument.targets.prompt[lang])}")
                elif meta is not None:
                    label = instrument.attributes[meta.attribute].options[about][lang]
                    st.markdown(f"**{t('outlook_about', lang, group=as_markdown(label))}**  \n{as_markdown(meta.prompt[lang])}")
            current = draft.ratings.get(key)
            st.radio(
                as_markdown(text[lang]),
                options,
                index=options.index(current) if current in options else None,
                format_func=lambda v: as_markdown(option_label(instrument, v, lang)),
                key=f"q_{key}",
                horizontal=True,
            )
        back, nxt = st.columns(2)
        keys = [key for key, _, _ in questions]
        back.form_submit_button(t("back", lang), width="stretch", on_click=_save_outlook, args=(keys, draft, step - 1))
        nxt.form_submit_button(t("next", lang), type="primary", width="stretch", on_click=_save_outlook, args=(keys, draft, step + 1))


def _save_outlook(keys: list[str], draft: Draft, target: int) -> None:
    for key in keys:
        value = st.session_state.get(f"q_{key}")
        if value is None:
            draft.ratings.pop(key, None)
        else:
            draft.ratings[key] = value if value == DONT_KNOW else int(value)
    _move(target)


def review(instrument: Instrument, campaign: Campaign, wave: int, draft: Draft, lang: str, source: str) -> None:
    """The last look before submitting; the submit button's callback stores the answers (see `_submit`)."""
    st.header(t("review", lang))
    st.caption(t("review_help", lang))
    order = steps(instrument)
    for dim in instrument.dimensions:
        answered, dk, open_ = section_counts(instrument, draft, dim.id)
        with st.container(border=True):
            left, right = st.columns([3, 1], vertical_alignment="center")
            left.markdown(f"**{as_markdown(dim.label[lang])}**  \n{t('answered', lang, a=answered, d=dk, o=open_)}")
            if open_:
                left.caption(t("open_items", lang, items=", ".join(open_items(instrument, draft, dim.id))))
            right.button(t("edit", lang), key=f"sv_edit_{dim.id}", width="stretch", on_click=_move, args=(order.index(dim.id),))
    if instrument.value_at_stake:
        vas = instrument.value_at_stake
        with st.container(border=True):
            left, right = st.columns([3, 1], vertical_alignment="center")
            chosen = ", ".join(as_markdown(vas.losses[loss][lang]) for loss in draft.losses) or t("none_chosen", lang)
            left.markdown(f"**{t('value_title', lang)}**  \n{chosen}")
            right.button(t("edit", lang), key="sv_edit_value", width="stretch", on_click=_move, args=(order.index(VALUE),))
    if OUTLOOK in order:
        asked = [key for key, _, _ in outlook_questions(instrument, draft)]
        with st.container(border=True):
            left, right = st.columns([3, 1], vertical_alignment="center")
            done = sum(1 for key in asked if draft.ratings.get(key) is not None)
            left.markdown(f"**{t('outlook_title', lang)}**  \n{t('outlook_review', lang, a=done, n=len(asked))}")
            right.button(t("edit", lang), key="sv_edit_outlook", width="stretch", on_click=_move, args=(order.index(OUTLOOK),))
    back, send = st.columns(2)
    back.button(t("back", lang), width="stretch", key="sv_review_back", on_click=_move, args=(order.index(REVIEW) - 1,))
    send.button(
        t("submit", lang),
        type="primary",
        width="stretch",
        key="sv_submit",
        on_click=_submit,
        args=(instrument, campaign, wave, draft, lang, source),
    )
    _problem(REVIEW)


def _submit(instrument: Instrument, campaign: Campaign, wave: int, draft: Draft, lang: str, source: str) -> None:
    """Store the answers; 'thank you' is shown only once they are committed, any failure says so and keeps the draft."""
    problem = _store(instrument, campaign, wave, draft, lang, source)
    if problem:
        st.session_state.sv_problem = (REVIEW, problem)
        return
    reset()
    st.session_state.sv_done = True
    st.session_state.sv_done_campaign = campaign.campaign_id
    st.session_state.sv_last = time.time()


def _store(instrument: Instrument, campaign: Campaign, wave: int, draft: Draft, lang: str, source: str) -> str | None:
    """Write the submission; None when it is stored, else the message for the respondent."""
    submission = build_submission(
        instrument,
        draft,
        campaign_id=campaign.campaign_id,
        wave=wave,
        language=lang,
        source=source,
        submission_key=st.session_state.sv_key,
    )
    try:
        database = db()
        with database.cursor() as con:
            if get_campaign(con, campaign.campaign_id).status != "open":
                return t("closed", lang)
            token = st.session_state.get("sv_invite")
            resumable = st.session_state.get("sv_resume")
            if token:
                redeem(con, token, submission, database.writer)
            else:
                submit(con, instrument, submission, database.writer, resume_claim(resumable) if resumable else None)
    except InviteUsed:
        return t("invite_used", lang)
    except SubmissionError as exc:
        return t("refused", lang, why=as_markdown("; ".join(exc.problems)))
    except (DatabaseBusy, DatabaseDamaged, OSError) as exc:
        return t("saving_failed", lang, why=type(exc).__name__)
    except Exception as exc:  # a storage failure must never look like success
        return t("saving_failed", lang, why=as_markdown(str(exc)[:120]))
    return None


KIOSK_IDLE_S = int(KIOSK_TTL.total_seconds())  # the screen clears when a kiosk draft expires: one idle limit for both
KIOSK_THANKS_S = 8


def thanks(campaign: Campaign, lang: str, kiosk: bool) -> None:
    st.success(f"### {t('thanks_title', lang)}\n\n{t('thanks_body', lang, k=campaign.threshold)}")
    if kiosk and st.button(t("new_survey", lang), type="primary", width="stretch", key="sv_again"):
        reset(discard=True)
        st.rerun()


@st.fragment(run_every=5)
def kiosk_watch(lang: str) -> None:
    """On a shared tablet, clear the screen a few seconds after 'thank you' and after inactivity."""
    now = time.time()
    last = st.session_state.get("sv_last", now)
    idle = now - last
    done = st.session_state.get("sv_done", False)
    if (done and idle > KIOSK_THANKS_S) or (not done and st.session_state.get("sv_step", 0) > 0 and idle > KIOSK_IDLE_S):
        reset(discard=True)
        st.rerun(scope="app")
    st.caption(t("kiosk_note", lang, m=KIOSK_IDLE_S // 60))


__all__ = [
    "INTRO",
    "OUTLOOK",
    "PROFILE",
    "REVIEW",
    "VALUE",
    "dimension",
    "intro",
    "language_picker",
    "load_campaign",
    "outlook",
    "profile",
    "progress",
    "reset",
    "resume",
    "review",
    "show_failure",
    "state",
    "thanks",
    "value_at_stake",
]
