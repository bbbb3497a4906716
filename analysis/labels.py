"""The questionnaire's words in one language: dimension, item, attribute, option, group and loss labels, as plain text.

The dashboard and every workshop export name things through `Labels`, so a group or a dimension
reads the same on screen and on paper. Every text comes out as plain text (`survey.user_text.plain`):
ready for tables, charts and files; where Markdown reads it, pass it through `as_markdown`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from survey.instrument import Instrument
from survey.user_text import plain


def number(value: object, digits: int = 2, lang: str = "en", sign: bool = False) -> str:
    """A number for reading (comma decimals in Dutch); empty for a missing value."""
    if value is None or value is pd.NA:
        return ""
    value = float(value)
    if math.isnan(value):
        return ""
    text = f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "nl" else text


# The group of everyone in scope ("all"): the dashboard's word; a workshop report passes its own ("All respondents").
EVERYONE = {"en": "Everyone", "nl": "Iedereen"}


def text_in(texts: Mapping[str, str] | None, language: str, fallback: str) -> str:
    """A questionnaire text in `language`, else in its first language (else `fallback`), as plain text.

    An export may be worded in a language the questionnaire lacks; it then shows the questionnaire's own words.
    """
    if not texts:
        return fallback
    return plain(texts.get(language) or next(iter(texts.values()), fallback))


class Labels:
    """Labels of one instrument in one language; an unknown id is shown as itself rather than failing."""

    def __init__(self, instrument: Instrument, language: str, everyone: str | None = None) -> None:
        self.instrument = instrument
        self.language = language
        # Every language but English has said "Iedereen" on the dashboard so far; kept.
        self.everyone = everyone if everyone is not None else EVERYONE.get(language, EVERYONE["nl"])

    def dimension(self, dimension_id: str) -> str:
        try:
            return text_in(self.instrument.dimension(dimension_id).label, self.language, dimension_id)
        except KeyError:
            return dimension_id

    def item(self, item_id: str) -> str:
        try:
            return text_in(self.instrument.item(item_id).text, self.language, item_id)
        except KeyError:
            return item_id

    def attribute(self, attribute: str | None) -> str:
        if attribute is None or attribute not in self.instrument.attributes:
            return attribute or ""
        return text_in(self.instrument.attributes[attribute].label, self.language, attribute)

    def option(self, attribute: str, option: str) -> str:
        attr = self.instrument.attributes.get(attribute)
        if attr is None or option not in attr.options:
            return option
        return text_in(attr.options[option], self.language, option)

    def group(self, group: str) -> str:
        """'all' → everyone; 'level=board' → the option's label."""
        if group == "all":
            return self.everyone
        attribute, _, option = group.partition("=")
        return self.option(attribute, option)

    def loss(self, loss: str) -> str:
        vas = self.instrument.value_at_stake
        return text_in(vas.losses.get(loss) if vas else None, self.language, loss)

    def dimensions(self) -> dict[str, str]:
        """Every dimension's label by id, in the questionnaire's order."""
        return {d.id: self.dimension(d.id) for d in self.instrument.dimensions}

    def groups(self) -> dict[str, str]:
        """Every group's label by group ('all', 'attribute=option'), for mapping an engine frame's group column."""
        labels = {"all": self.everyone}
        for attribute, attr in self.instrument.attributes.items():
            for option in attr.options:
                labels[f"{attribute}={option}"] = self.option(attribute, option)
        return labels
