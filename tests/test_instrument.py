"""Instrument files: every problem reported with its exact path, and `python -m survey check` exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from survey.__main__ import main
from survey.instrument import InstrumentError, default_instrument, load_instrument, parse_instrument
from tests.conftest import run_main

ROOT = Path(__file__).resolve().parent.parent
INSTRUMENTS = Path(__file__).resolve().parent / "data" / "instruments"

BAD = [
    ("missing_nl_text.yaml", ["dimensions[2].items[4].text.nl: missing"]),
    (
        "duplicate_ids.yaml",
        [
            "dimensions[1].items[0].id: duplicate item id 'S1' (also dimensions[0].items[0])",
            "dimensions[2].id: duplicate dimension id 'strategy' (also dimensions[0])",
        ],
    ),
    ("bad_scale.yaml", ["scale: max (1) must be greater than min (5)"]),
    ("bad_scale_labels.yaml", ["scale.labels.nl: needs 5 labels (one per point) or 2 (the ends), got 4"]),
    ("reverse_not_bool.yaml", ["dimensions[1].items[1].reverse: must be true or false, got 'yes'"]),
    ("not_yaml.yaml", ["line 7, column 1: not valid YAML (did not find expected ',' or '}')"]),
    ("undeclared_language.yaml", ["title.de: language not declared in languages ['en', 'nl']"]),
    ("missing_dimensions.yaml", ["dimensions: missing"]),
    ("empty.yaml", ["(top): must be a mapping with id, version, languages, title, scale, attributes, dimensions"]),
    ("list_not_mapping.yaml", ["(top): must be a mapping with id, version, languages, title, scale, attributes, dimensions"]),
    (
        "many_problems.yaml",
        [
            "scale: max (1) must be greater than min (1)",
            "attributes.level.options: needs at least two options",
            "dimensions[1].items[0].id: duplicate item id 'S1' (also dimensions[0].items[0])",
            "dimensions[1].items[1].reverse: must be true or false, got 'maybe'",
            "dimensions[2].items[4].text.nl: missing",
        ],
    ),
    (
        "bad_ratings.yaml",
        [
            "targets.prompt.nl: missing",
            "targets.questions.finance: unknown dimension (dimensions: strategy, operations, it_ot)",
            "meta_perception.about.shop_floor.it_ot: missing (one question per dimension)",
            "meta_perception.about.shop_floor.strategy.nl: missing",
            "meta_perception.about.ceo: not an option of level (board, shop_floor)",
        ],
    ),
]
GOOD = ["valid.yaml", "scale_0_10.yaml", "valid_ratings.yaml"]


@pytest.mark.parametrize(("name", "problems"), BAD, ids=[b[0] for b in BAD])
def test_bad_instrument_lists_every_problem_with_its_path(name: str, problems: list[str]) -> None:
    with pytest.raises(InstrumentError) as caught:
        load_instrument(INSTRUMENTS / name)
    assert caught.value.problems == problems


@pytest.mark.parametrize("name", GOOD)
def test_good_instruments_load(name: str) -> None:
    instrument = load_instrument(INSTRUMENTS / name)
    assert instrument.languages == ("en", "nl")
    assert len(instrument.dimensions) == 3 and len(instrument.items) == 9
    assert instrument.dimension("operations").items[1].reverse is True


def test_any_scale_loads_with_its_ends() -> None:
    instrument = load_instrument(INSTRUMENTS / "scale_0_10.yaml")
    assert instrument.scale.values == tuple(range(0, 11))
    assert instrument.scale.label(0, "nl") == "Helemaal niet" and instrument.scale.label(10, "en") == "Completely"


def test_missing_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(InstrumentError) as caught:
        load_instrument(tmp_path / "nope.yaml")
    assert caught.value.problems == [f"{tmp_path / 'nope.yaml'}: file not found"]


def test_non_utf8_file_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    text = (INSTRUMENTS / "valid.yaml").read_text(encoding="utf-8")
    assert "één" in text
    path.write_bytes(text.encode("cp1252"))
    with pytest.raises(InstrumentError) as caught:
        load_instrument(path)
    assert caught.value.problems[0].startswith(f"{path}: not UTF-8 text (byte ")


def test_shipped_instrument_is_valid_and_complete() -> None:
    instrument = default_instrument()
    assert instrument.dimension_ids == ("strategy", "operations", "governance", "leadership", "it_ot")
    assert all(5 <= len(d.items) <= 6 for d in instrument.dimensions)
    assert {"board", "senior_management", "middle_management", "supervisor", "shop_floor", "specialist"} <= set(
        instrument.attributes["level"].options
    )
    assert parse_instrument(instrument.source_text).fingerprint == instrument.fingerprint


def _check(path: Path) -> subprocess.CompletedProcess[str]:
    """`python -m survey check PATH`, run in this process through `main(argv)`."""
    return run_main(main, "check", path)


@pytest.mark.parametrize(("name", "problems"), [b for b in BAD if b[0] in ("many_problems.yaml", "duplicate_ids.yaml")])
def test_check_command_lists_them_all_and_exits_1(name: str, problems: list[str]) -> None:
    done = _check(INSTRUMENTS / name)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == f"{INSTRUMENTS / name}: {len(problems)} problem(s)"
    assert [line.strip() for line in lines[1:]] == problems
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("name", GOOD)
def test_check_command_exits_0_for_good_files(name: str) -> None:
    done = _check(INSTRUMENTS / name)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ": ok — " in done.stdout and "3 dimensions, 9 items" in done.stdout


# --------------------------------------------------------------------------- hostile files: refused before parsing

# 30,000 levels (60-150 KB): libyaml's loader recurses once per level in C and overflows the stack (signal 11).
DEEP_30K = {
    "deep-list": "[" * 30_000 + "]" * 30_000,
    "deep-map": "{a: " * 30_000 + "1" + "}" * 30_000,
    "deep-block": "- " * 30_000 + "x\n",
}


@pytest.mark.parametrize("name", list(DEEP_30K))
def test_check_refuses_an_instrument_nested_30000_deep_with_exit_1(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(DEEP_30K[name], encoding="utf-8")
    done = _check(path)
    assert done.returncode == 1, (done.returncode, done.stderr[-500:])
    assert done.stdout.splitlines()[0] == f"{path}: 1 problem(s)"
    assert "nested deeper than 20 levels" in done.stdout
    assert "Traceback" not in done.stderr


def test_check_refuses_a_file_larger_than_an_instrument_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("# padding\n" * 200_000, encoding="utf-8")
    done = _check(path)
    assert done.returncode == 1
    assert "2,000,000 bytes, more than the 1,000,000 an instrument may have" in done.stdout


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "a: &a [" + ", ".join(["x"] * 1000) + "]\nb: &b [" + ", ".join(["*a"] * 1000) + "]\nid: *b",
            "spell out more than 1,000,000 values",
        ),
        ("a: &a " + "[" * 15 + "x" + "]" * 15 + "\nb: &b " + "[" * 10 + "*a" + "]" * 10, "nested deeper than 20 levels (through aliases)"),
        ("x: &a {y: *a}", "refers to a node that contains it"),
    ],
    ids=["billion-laughs", "deep-through-aliases", "self-reference"],
)
def test_anchors_cannot_stand_for_a_huge_or_endless_document(text: str, problem: str) -> None:
    with pytest.raises(InstrumentError) as caught:
        parse_instrument(text, "bomb.yaml")
    assert len(caught.value.problems) == 1 and problem in caught.value.problems[0]


def test_anchors_within_bounds_still_load() -> None:
    """Anchors are YAML's way to say a label once; a questionnaire using them sensibly still loads."""
    text = (INSTRUMENTS / "valid.yaml").read_text(encoding="utf-8")
    assert parse_instrument(text).item_ids == load_instrument(INSTRUMENTS / "valid.yaml").item_ids
    labels = "\nlabels_en: &agree [Disagree, Agree]\n"
    assert "labels_en" not in text
    with pytest.raises(InstrumentError) as caught:  # the unknown key is reported, the aliases are not a problem
        parse_instrument(text + labels + "other: *agree\n")
    assert [p.split(":")[0] for p in caught.value.problems] == ["labels_en", "other"]


# The Campaigns page in a child process: on the old loader this upload killed the process (and with it the server).
_CAMPAIGNS_UPLOAD = """
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("app.py", default_timeout=60)
at.session_state["role"] = "facilitator"
at.run()
at.switch_page("pages/8_campaigns.py")
at.run()
at.file_uploader[0].set_value(("deep.yaml", sys.stdin.buffer.read(), "application/x-yaml"))
next(b for b in at.button if b.label == "Create campaign").click()
at.run()
print("EXCEPTIONS", [e.value for e in at.exception])
print("ERRORS", [e.value for e in at.error])
print("CODE", [c.value for c in at.code])
"""


@pytest.mark.parametrize("name", ["deep-list", "deep-map"])
def test_campaigns_page_refuses_a_deep_instrument_upload_with_a_message(name: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CAMPAIGNS_UPLOAD],
        input=DEEP_30K[name].encode(),
        capture_output=True,
        cwd=ROOT,
        timeout=180,
        env={**os.environ, "COHERENCE_DB": str(tmp_path / "c.duckdb")},
    )
    out = done.stdout.decode()
    assert done.returncode == 0, (done.returncode, done.stderr.decode()[-800:])
    assert "EXCEPTIONS []" in out
    assert "The questionnaire has 1 problem(s) and cannot be used:" in out
    assert "nested deeper than 20 levels" in out
