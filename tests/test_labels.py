"""Labels: the questionnaire's words in one language, shared by the dashboard and the workshop exports."""

from __future__ import annotations

from analysis.labels import Labels
from survey.instrument import default_instrument


def test_a_language_the_questionnaire_lacks_shows_its_first_language() -> None:
    instrument = default_instrument()
    english, other = Labels(instrument, instrument.languages[0]), Labels(instrument, "de")
    dimension = instrument.dimension_ids[0]
    assert other.dimension(dimension) == english.dimension(dimension) != dimension
    assert other.item(instrument.item_ids[0]) == english.item(instrument.item_ids[0])
    assert other.groups().keys() == english.groups().keys()


def test_an_unknown_id_is_shown_as_itself() -> None:
    labels = Labels(default_instrument(), "en")
    assert labels.dimension("nope") == "nope"
    assert labels.item("nope") == "nope"
    assert labels.attribute("nope") == "nope" and labels.attribute(None) == ""
    assert labels.option("level", "nope") == "nope" and labels.group("nope=x") == "x"
    assert labels.loss("nope") == "nope"


def test_every_group_of_every_attribute_has_a_label_in_both_languages() -> None:
    instrument = default_instrument()
    expected = {"all", *(f"{a}={o}" for a, attr in instrument.attributes.items() for o in attr.options)}
    for lang, everyone in (("en", "Everyone"), ("nl", "Iedereen")):
        groups = Labels(instrument, lang).groups()
        assert groups.keys() == expected and groups["all"] == everyone
        assert all(text and "=" not in text for text in groups.values())
    assert Labels(instrument, "nl").group("level=board") != Labels(instrument, "en").group("level=board")
