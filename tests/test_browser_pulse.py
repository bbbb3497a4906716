"""A re-pulse wave answered on a phone in a real browser: the short questionnaire, stored in the pulse wave."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.browser import chromium
from survey.actions.pulse import FOLLOW_THROUGH, start_pulse
from survey.campaigns import campaign_instrument
from tests.browser import answer_survey, streamlit_server
from tests.conftest import MakeDemo, open_cursor

pytestmark = pytest.mark.browser


def test_a_pulse_is_answered_on_a_phone_in_two_steps(make_demo: MakeDemo, tmp_path: Path) -> None:
    db = make_demo(60, seed=3, waves=3, into=tmp_path / "loop.duckdb")
    with open_cursor(db) as con:
        wave, pulse = start_pulse(con, "demo", 1, ["A1"], actor="test")
        before = con.execute("SELECT count(*) FROM responses WHERE wave = ?", [wave.wave]).fetchone()[0]
    assert [d.id for d in pulse.dimensions] == ["strategy", FOLLOW_THROUGH]
    with streamlit_server(db) as url, chromium(390, 844) as phone:
        phone.goto(f"{url}/survey?c=demo")
        phone.get_by_text(pulse.title["nl"]).or_(phone.get_by_text(pulse.title["en"])).first.wait_for(timeout=60_000)
        answer_survey(phone, pulse, "en")
    with open_cursor(db) as con:
        assert campaign_instrument(con, "demo", wave.wave).key == pulse.key
        stored = con.execute(
            "SELECT a.item_id, a.value FROM answers a JOIN responses r USING (response_id) WHERE r.wave = ? ORDER BY a.item_id", [wave.wave]
        ).fetchall()
        assert con.execute("SELECT count(*) FROM responses WHERE wave = ?", [wave.wave]).fetchone()[0] == before + 1
    assert {item for item, _ in stored} == set(pulse.item_ids) and ("SEEN_A1", 2) in stored
