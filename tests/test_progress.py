"""Live progress: counts per group against headcount, small groups shown as 'fewer than k', a second group hidden when needed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from survey.campaigns import campaign_instrument, create_campaign, start_wave
from survey.instrument import Instrument, parse_instrument
from survey.invites import create_invites, redeem
from survey.organisation import set_headcounts
from survey.progress import progress
from survey.responses import Submission, insert_frames, submission_frames, submit
from survey.store import transaction

INSTRUMENTS = Path(__file__).resolve().parent / "data" / "instruments"
# (level, site, how many)
PEOPLE = [("shop_floor", "eindhoven", 8), ("shop_floor", "venlo", 4), ("specialist", "eindhoven", 4), ("specialist", "venlo", 2),
          ("board", "gent", 2)]  # fmt: skip
HEADCOUNTS = {"board": 8, "senior_management": 20, "middle_management": 50, "supervisor": 60, "shop_floor": 400, "specialist": 100}


def _fill(con: duckdb.DuckDBPyConnection, campaign_id: str, wave: int = 1, people: list[tuple[str, str, int]] = PEOPLE) -> None:
    """Store respondents in one batch (the same path as an import) to keep the tests quick."""
    instrument = campaign_instrument(con, campaign_id)
    subs = [
        Submission(campaign_id, wave, "en", {"level": level, "function": "production", "site": site}, {"STR1": 3})
        for level, site, n in people
        for _ in range(n)
    ]
    with transaction(con):
        insert_frames(con, submission_frames(instrument, subs), instrument)


@pytest.fixture
def campaign(con: duckdb.DuckDBPyConnection, instrument: Instrument) -> str:
    campaign_id = create_campaign(con, "Plant survey", instrument, campaign_id="plant").campaign_id
    frame = pd.DataFrame({"attribute": "level", "option": list(HEADCOUNTS), "headcount": list(HEADCOUNTS.values())})
    set_headcounts(con, campaign_id, frame)
    _fill(con, campaign_id)
    return campaign_id


def shown(p: object, attribute: str) -> dict[str | None, str]:
    return {g.option: g.shown for g in p.groups if g.attribute == attribute}  # type: ignore[attr-defined]


def test_groups_below_k_are_hidden_and_a_second_one_when_needed(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    p = progress(con, campaign)
    assert (p.total, p.threshold, p.wave, p.headcount_total) == (20, 5, 1, 638)
    assert p.rate == pytest.approx(20 / 638)
    assert shown(p, "level") == {
        "board": "fewer than 5",
        "senior_management": "fewer than 5",
        "middle_management": "fewer than 5",
        "supervisor": "fewer than 5",
        "shop_floor": "12",
        "specialist": "6",
    }
    # gent (2) alone would be 20 - 12 - 6: venlo is hidden too
    assert shown(p, "site") == {"eindhoven": "12", "venlo": "hidden", "gent": "fewer than 5"}
    assert shown(p, "function") == {"production": "20", **{f: "fewer than 5" for f in
                                    ["maintenance", "quality", "engineering", "supply_chain", "it", "ot_automation", "support"]}}  # fmt: skip
    by = {(g.attribute, g.option): g for g in p.groups}
    assert by[("level", "shop_floor")].rate == pytest.approx(12 / 400) and by[("level", "shop_floor")].headcount == 400
    assert by[("level", "board")].responses is None and by[("level", "board")].rate is None and by[("level", "board")].headcount == 8
    assert by[("site", "venlo")].responses is None and by[("site", "venlo")].suppressed
    assert p.by_day == ((dt.date.today(), 20),)


def test_no_hidden_number_can_be_recomputed(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    """Whatever is shown, a hidden group's count is never total minus what is visible with only one unknown."""
    for k in (3, 5, 7, 13):
        p = progress(con, campaign, threshold=k)
        for attribute in ("level", "function", "site"):
            groups = [g for g in p.groups if g.attribute == attribute]
            hidden = [g for g in groups if g.suppressed]
            assert len(hidden) != 1, (k, attribute)
            assert all(g.responses is None or g.responses >= k for g in groups)


def test_threshold_override_and_floor(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    p = progress(con, campaign, threshold=3)
    assert shown(p, "level")["specialist"] == "6" and shown(p, "site") == {"eindhoven": "12", "venlo": "hidden", "gent": "fewer than 3"}
    p = progress(con, campaign, threshold=13)
    assert set(shown(p, "level").values()) == {"fewer than 13"} and p.total == 20
    with pytest.raises(ValueError, match="at least 3"):
        progress(con, campaign, threshold=2)


def test_frame_for_the_page(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    frame = progress(con, campaign, lang="nl").frame()
    assert list(frame.columns) == ["attribute", "option", "label", "headcount", "responses", "rate"]
    row = frame[frame["option"] == "shop_floor"].iloc[0]
    assert row["label"] == "Operator / werkvloer" and row["responses"] == "12" and row["headcount"] == 400
    assert pd.isna(frame[frame["option"] == "board"].iloc[0]["rate"])


def test_waves_are_counted_apart_and_invites_reported(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    start_wave(con, campaign, "Follow-up")
    tokens = create_invites(con, campaign, 3)
    redeem(con, tokens[0], Submission(campaign, 2, "nl", {"level": "board", "function": "it", "site": "gent"}, {}))
    p2 = progress(con, campaign)
    assert (p2.wave, p2.total, p2.invites_issued, p2.invites_used) == (2, 1, 3, 1)
    assert all(g.suppressed for g in p2.groups)
    assert progress(con, campaign, wave=1).total == 20


def test_optional_attribute_left_empty_is_a_group_of_its_own(con: duckdb.DuckDBPyConnection) -> None:
    text = (INSTRUMENTS / "valid.yaml").read_text(encoding="utf-8")
    instrument = parse_instrument(
        text.replace('    label: {en: "Site", nl: "Vestiging"}\n', '    label: {en: "Site", nl: "Vestiging"}\n    required: false\n')
    )
    assert not instrument.attributes["site"].required
    create_campaign(con, "Small", instrument, campaign_id="small")
    subs = [
        Submission("small", 1, "en", {"level": level} | ({"site": site} if site else {}), {"S1": 4})
        for level, site, n in [("shop_floor", "north", 6), ("shop_floor", None, 5), ("board", "south", 5)]
        for _ in range(n)
    ]
    with transaction(con):
        insert_frames(con, submission_frames(instrument, subs), instrument)
    submit(con, instrument, Submission("small", 1, "en", {"level": "board"}, {"S1": 2}))
    p = progress(con, "small")
    assert shown(p, "site") == {"north": "6", "south": "5", None: "6"}
    assert [g.label for g in p.groups if g.attribute == "site"][-1] == "(not given)"
    assert p.headcount_total is None and p.rate is None
