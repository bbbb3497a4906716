"""The respondent's path through the survey, as pure functions over a draft the UI keeps per session."""

from __future__ import annotations

from dataclasses import dataclass, field

from survey.instrument import Instrument, Text
from survey.responses import Submission
from survey.user_text import as_markdown

DONT_KNOW = "dk"
INTRO, PROFILE, VALUE, OUTLOOK, REVIEW, THANKS = "intro", "profile", "value", "outlook", "review", "thanks"


@dataclass
class Draft:
    """What one respondent has answered so far; answers hold a scale value, DONT_KNOW, or nothing yet."""

    attributes: dict[str, str] = field(default_factory=dict)
    answers: dict[str, int | str] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    losses: list[str] = field(default_factory=list)
    ratings: dict[str, int | str] = field(default_factory=dict)  # rating_key(...) -> scale value or DONT_KNOW

    def to_json(self) -> dict:
        return {
            "attributes": self.attributes,
            "answers": self.answers,
            "comments": self.comments,
            "losses": self.losses,
            "ratings": self.ratings,
        }

    @classmethod
    def from_json(cls, data: dict) -> Draft:
        return cls(
            attributes=dict(data.get("attributes", {})),
            answers=dict(data.get("answers", {})),
            comments=dict(data.get("comments", {})),
            losses=list(data.get("losses", [])),
            ratings=dict(data.get("ratings", {})),
        )


def target_key(dimension_id: str) -> str:
    return f"target:{dimension_id}"


def prediction_key(about: str, dimension_id: str) -> str:
    return f"predict:{about}:{dimension_id}"


def outlook_questions(instrument: Instrument, draft: Draft) -> list[tuple[str, str, Text]]:
    """The outlook step's questions as (key, heading group, text): targets, then predictions about every level but the respondent's own.

    Asked once, after the value block: one short step at the end keeps the survey near ten minutes and leaves the
    dimension pages as they were. The heading group is '' for targets and the reference option for predictions.
    """
    out: list[tuple[str, str, Text]] = []
    if instrument.targets is not None:
        out += [(target_key(d), "", text) for d, text in instrument.targets.questions.items()]
    meta = instrument.meta_perception
    if meta is not None:
        for about in meta.asked_of(draft.attributes.get(meta.attribute) or None):
            out += [(prediction_key(about, d), about, text) for d, text in meta.questions[about].items()]
    return out


def steps(instrument: Instrument) -> list[str]:
    """Intro, profile, one step per dimension, value at stake (when the instrument has it), review."""
    middle = [dim.id for dim in instrument.dimensions]
    outlook = [OUTLOOK] if instrument.targets or instrument.meta_perception else []
    return [INTRO, PROFILE, *middle, *([VALUE] if instrument.value_at_stake else []), *outlook, REVIEW]


def answer_options(instrument: Instrument) -> list[int | str]:
    """What a respondent can pick for an item: every scale point, then don't know when allowed."""
    return [*instrument.scale.values, *([DONT_KNOW] if instrument.scale.dont_know else [])]


def option_label(instrument: Instrument, value: int | str, lang: str) -> str:
    """What a scale point is called, so a screen reader says "Agree", not "4": its label where the instrument gives
    one for every point; with only the ends labelled, "1 · Strongly disagree" … "5 · Strongly agree" and the numbers between.
    """
    scale = instrument.scale
    if value == DONT_KNOW:
        return scale.dont_know_label.get(lang, "?")
    labels = scale.labels.get(lang, ())
    if len(labels) == len(scale.values):
        return labels[scale.values.index(value)]
    if len(labels) == 2 and value in (scale.min, scale.max):
        return f"{value} · {labels[0] if value == scale.min else labels[1]}"
    return str(value)


def labelled_everywhere(instrument: Instrument, lang: str) -> bool:
    """Every scale point has its own label, so the radios say it all and no separate legend is needed."""
    return len(instrument.scale.labels.get(lang, ())) == len(instrument.scale.values)


def scale_legend(instrument: Instrument, lang: str) -> str:
    """'1 = Strongly disagree · 2 = Disagree · …' as Markdown (labels as text), or just the two ends when only those are labelled."""
    scale = instrument.scale
    labels = scale.labels.get(lang, ())
    if len(labels) == len(scale.values):
        return " · ".join(f"**{v}** = {as_markdown(label)}" for v, label in zip(scale.values, labels, strict=True))
    if len(labels) == 2:
        return f"**{scale.min}** = {as_markdown(labels[0])} … **{scale.max}** = {as_markdown(labels[1])}"
    return f"{scale.min} … {scale.max}"


def missing_attributes(instrument: Instrument, draft: Draft) -> list[str]:
    return [a for a, attr in instrument.attributes.items() if attr.required and not draft.attributes.get(a)]


def section_counts(instrument: Instrument, draft: Draft, dimension_id: str) -> tuple[int, int, int]:
    """(answered on the scale, don't know, still open) for one dimension."""
    values = [draft.answers.get(item.id) for item in instrument.dimension(dimension_id).items]
    dk = sum(v == DONT_KNOW for v in values)
    open_ = sum(v is None for v in values)
    return len(values) - dk - open_, dk, open_


def open_items(instrument: Instrument, draft: Draft, dimension_id: str) -> list[str]:
    return [item.id for item in instrument.dimension(dimension_id).items if draft.answers.get(item.id) is None]


def build_submission(
    instrument: Instrument,
    draft: Draft,
    *,
    campaign_id: str,
    wave: int,
    language: str,
    source: str,
    submission_key: str,
) -> Submission:
    """Turn the draft into a Submission; don't know and unanswered items are both stored as null."""
    answers = {
        item_id: (None if draft.answers.get(item_id) in (None, DONT_KNOW) else int(draft.answers[item_id]))
        for item_id in instrument.item_ids
    }
    asked = {key for key, _, _ in outlook_questions(instrument, draft)}
    given = {key: int(v) for key, v in draft.ratings.items() if key in asked and v not in (None, DONT_KNOW)}
    return Submission(
        targets={key.split(":")[1]: v for key, v in given.items() if key.startswith("target:")},
        predictions={tuple(key.split(":")[1:3]): v for key, v in given.items() if key.startswith("predict:")},
        campaign_id=campaign_id,
        wave=wave,
        language=language,
        attributes={a: v for a, v in draft.attributes.items() if v},
        answers=answers,
        comments={d: c for d, c in draft.comments.items() if c and c.strip()},
        losses=list(draft.losses),
        source=source,
        submission_key=submission_key,
    )


def estimated_minutes(instrument: Instrument) -> int:
    """Roughly 15 seconds an item, 8 seconds a target or prediction (one tap each), plus a minute for the rest, rounded."""
    meta = instrument.meta_perception
    ratings = len(instrument.targets.questions) if instrument.targets else 0
    ratings += max((len(meta.questions) - 1) * len(instrument.dimensions), 0) if meta else 0
    return max(3, round(len(instrument.items) * 0.25 + ratings * 0.13 + 1.5))


def browser_language(languages: tuple[str, ...] | list[str], locale: str | None, accept_language: str | None = None) -> str | None:
    """The instrument language the browser asks for: its locale ("nl-NL" → "nl"), else the first match in Accept-Language.

    An nl-NL browser opens the survey in Dutch when the instrument has Dutch; None when nothing matches
    (the instrument's first language is used then).
    """
    wanted = [locale or ""] + [part.split(";")[0] for part in (accept_language or "").split(",")]
    for tag in wanted:
        primary = tag.strip().replace("_", "-").split("-")[0].lower()
        if primary in languages:
            return primary
    return None
