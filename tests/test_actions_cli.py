"""`python -m survey actions ...` and `repulse`: round trips through CSV and XLSX, bad files refused whole, pulse waves' contents."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from analysis.engine import gaps
from analysis.scope import Scope
from survey.__main__ import main
from survey.actions import list_actions
from survey.actions.pulse import FOLLOW_THROUGH
from survey.campaigns import campaign_instrument, start_wave
from survey.instrument import default_instrument
from tests.conftest import MakeDemo, open_cursor, run_main


@pytest.fixture
def db(make_demo: MakeDemo, tmp_path: Path) -> Path:
    path = make_demo(60, seed=3, waves=1, into=tmp_path / "demo.duckdb")
    for target, title in (("strategy", "Roadmap per line"), ("governance", "One owner per pilot")):
        done = run_main(
            main,
            "actions",
            "add",
            "--campaign",
            "demo",
            "--target",
            target,
            "--a",
            "level=board",
            "--b",
            "level=shop_floor",
            "--title",
            title,
            "--owner",
            "Plant manager",
            "--due",
            "2027-03-01",
            "--eur",
            "250000",
            "--db",
            path,
        )
        assert done.returncode == 0, done.stderr
    return path


def _stored(path: Path) -> pd.DataFrame:
    with open_cursor(path) as con:
        return list_actions(con, "demo")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_then_import_changes_nothing_and_an_edit_comes_back(db: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"actions{suffix}"
    assert run_main(main, "actions", "export", "--campaign", "demo", "--out", out, "--db", db).returncode == 0
    before = _stored(db)
    again = run_main(main, "actions", "import", out, "--campaign", "demo", "--db", db)
    assert again.returncode == 0 and "no change" in again.stdout
    pd.testing.assert_frame_equal(_stored(db), before)
    if suffix == ".csv":
        rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
        rows[1]["status"] = "done"
        rows.append({**rows[0], "action_id": "", "title": "- a bulleted title", "target_id": "it_ot"})
        with out.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        edited = run_main(main, "actions", "import", out, "--campaign", "demo", "--db", db)
        assert edited.returncode == 0, edited.stderr
        assert "added A3; updated A2" in edited.stdout
        after = _stored(db)
        assert after["status"].tolist() == ["planned", "done", "planned"]
        assert after["title"].iloc[2] == "- a bulleted title"


def test_a_bad_file_is_refused_whole_naming_row_and_field(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "actions.csv"
    run_main(main, "actions", "export", "--campaign", "demo", "--out", out, "--db", db)
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    rows[0]["title"] = "A good change that must not be kept"
    rows[1]["due_on"] = "31-02-2027"
    rows[1]["status"] = "finished"
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    before = _stored(db)
    refused = run_main(main, "actions", "import", out, "--campaign", "demo", "--db", db)
    assert refused.returncode == 1
    assert "actions.csv: refused, nothing written — 2 problem(s)" in refused.stderr
    assert "row 3, column due_on, value '31-02-2027': must be a date (YYYY-MM-DD)" in refused.stderr
    assert "row 3, column status, value 'finished': must be one of planned, in_progress, done, dropped" in refused.stderr
    pd.testing.assert_frame_equal(_stored(db), before)


def test_repulse_asks_only_the_linked_items_and_then_the_full_questionnaire_returns(db: Path) -> None:
    done = run_main(main, "repulse", "--campaign", "demo", "--from-wave", "1", "--actions", "A2", "--db", db)
    assert done.returncode == 0, done.stderr
    assert "opened wave 2" in done.stdout and "6 linked item(s) + 1 'I see this being acted on'" in done.stdout
    full = default_instrument()
    with open_cursor(db) as con:
        pulse = campaign_instrument(con, "demo", 2)
        assert pulse.key != full.key and pulse.key.startswith(f"{full.id}-pulse-")
        assert pulse.dimension_ids == ("governance", FOLLOW_THROUGH)
        assert pulse.item_ids == (*[i.id for i in full.dimension("governance").items], "SEEN_A2")
        seen = pulse.item("SEEN_A2").text
        assert seen == {
            "en": "I see this being acted on: One owner per pilot",
            "nl": "Ik zie dat hier werk van wordt gemaakt: One owner per pilot",
        }
        assert (pulse.scale, pulse.attributes, pulse.languages) == (full.scale, full.attributes, full.languages)
        assert pulse.value_at_stake is None and all(d.comment_prompt is None for d in pulse.dimensions)
        assert start_wave(con, "demo", "Follow-up").instrument_key == full.key
    unknown = run_main(main, "repulse", "--campaign", "demo", "--from-wave", "1", "--actions", "A9", "--db", db)
    assert unknown.returncode == 1 and "no action A9" in unknown.stderr


def test_a_pulse_is_answered_and_analysed_like_any_wave(make_demo: MakeDemo) -> None:
    with open_cursor(make_demo(400, seed=7, waves=3)) as con:
        wave2 = gaps(con, Scope("demo", 2)).data
    assert set(wave2["unit"]) == {"strategy", "governance", FOLLOW_THROUGH}
    assert not wave2["suppressed"].any()


def test_actions_list_and_add_refusal(db: Path) -> None:
    listed = run_main(main, "actions", "list", "--campaign", "demo", "--db", db)
    assert "Roadmap per line" in listed.stdout and "A2" in listed.stdout
    bad = run_main(main, "actions", "add", "--campaign", "demo", "--target", "nope", "--title", "x", "--owner", "a@b.c", "--db", db)
    assert bad.returncode == 1
    assert "row 1, column target_id, value 'nope'" in bad.stderr and "row 1, column owner, value 'a@b.c'" in bad.stderr
