"""`python -m analysis summary --json`: the contract's shape, and exactly the engine's numbers, for the default and a custom instrument."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from analysis import engine
from analysis.__main__ import main
from analysis.engine import Scope
from survey.campaigns import campaign_instrument
from survey.store import Database
from tests.conftest import MakeDemo, run_main
from tests.test_stats_bfi import NEEDS_BFI, bfi_raw, load_bfi

CELL_KEYS = {"n", "mean", "sd", "ci", "rwg"}


def run_cli(db_path: Path, *args: str) -> subprocess.CompletedProcess:
    """`python -m analysis summary --db PATH ARGS`, run in this process through `main(argv)`."""
    return run_main(main, "summary", "--db", db_path, *args)


def engine_doc(db: Database, scope: Scope, a=None, b=None) -> dict:
    with db.cursor() as con:
        doc = engine.summary(con, scope, a, b)
    return json.loads(json.dumps(doc))


@pytest.fixture
def demo_db(db: Database, db_path: Path, make_demo: MakeDemo) -> Database:
    """The demo campaign (two waves of 400) in a file the CLI can open once the test lets go of it."""
    make_demo(into=db_path)  # before the handle's first cursor: it opens the file only then
    return db


@pytest.mark.parametrize(
    ("args", "scope", "pair"),
    [
        ((), Scope("demo"), None),
        (("--wave", "1"), Scope("demo", wave=1), None),
        (("--filter", "site=gent"), Scope("demo", filters=(("site", "gent"),)), None),
        (
            ("--filter", "site=venlo", "--filter", "function=production"),
            Scope("demo", filters=(("site", "venlo"), ("function", "production"))),
            None,
        ),
        (("--a", "function=it", "--b", "function=ot_automation"), Scope("demo"), (("function", "it"), ("function", "ot_automation"))),
    ],
)
def test_cli_json_equals_the_engine(demo_db, db_path, args, scope, pair):
    result = run_cli(db_path, "--json", "--campaign", "demo", *args)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    expected = engine_doc(demo_db, scope, *(pair or (None, None)))
    assert printed == expected


def test_document_has_the_contract_shape(demo_db, db_path):
    doc = json.loads(run_cli(db_path, "--json").stdout)
    assert isinstance(doc["respondents"], int) and doc["respondents"] == 400
    assert doc["threshold"] == 5
    with demo_db.cursor() as con:
        instrument = campaign_instrument(con, "demo", 2)
    assert list(doc["dimensions"]) == list(instrument.dimension_ids)
    assert list(doc["items"]) == list(instrument.item_ids)
    for entry in list(doc["dimensions"].values()) + list(doc["items"].values()):
        assert set(entry["overall"]) == CELL_KEYS
        assert set(entry["by"]) == set(instrument.attributes)
        for attribute, options in entry["by"].items():
            assert list(options) == list(instrument.attributes[attribute].options)
            for c in options.values():
                assert set(c) in (CELL_KEYS, {"suppressed"})
                if "suppressed" in c:
                    assert c == {"suppressed": True}
                else:
                    assert len(c["ci"]) == 2 and c["ci"][0] <= c["mean"] <= c["ci"][1]
    for entry in doc["dimensions"].values():
        assert 0 < entry["alpha"] < 1
    dimension_gaps = [g for g in doc["gaps"] if "dimension" in g]
    assert {g["dimension"] for g in dimension_gaps} == set(instrument.dimension_ids)
    for gap in dimension_gaps:
        assert gap["a"] == "level=board" and gap["b"] == "level=shop_floor"
        assert set(gap) >= {"diff", "ci", "effect_size", "p_adj"}
        assert gap["ci"][0] <= gap["diff"] <= gap["ci"][1]
    assert {g["item"] for g in doc["gaps"] if "item" in g} == set(instrument.item_ids)
    assert doc["agreement"]["null_variance"] == pytest.approx((5**2 - 1) / 12)
    assert set(doc["agreement"]["dimensions"]) == set(instrument.dimension_ids)


def test_suppressed_cells_and_the_suppressed_list_agree(demo_db, db_path):
    doc = json.loads(run_cli(db_path, "--json", "--filter", "site=gent").stdout)
    listed = {(s["unit"], s["group"]) for s in doc["suppressed"]}
    assert listed, "the Gent filter of a 400-respondent demo hides some small groups"
    for section in ("dimensions", "items"):
        for unit, entry in doc[section].items():
            for attribute, options in entry["by"].items():
                for option, c in options.items():
                    assert ("suppressed" in c) == ((unit, f"{attribute}={option}") in listed)
    assert "site" not in doc["dimensions"]["strategy"]["by"], "the filtered attribute is not broken down"


def test_text_summary_and_errors(demo_db, db_path):
    text = run_cli(db_path)
    assert text.returncode == 0 and "campaign demo, wave 2: 400 respondents, k = 5" in text.stdout
    unknown = run_cli(db_path, "--json", "--campaign", "nope")
    assert unknown.returncode == 1 and "unknown campaign 'nope'" in unknown.stderr and not unknown.stdout
    bad_filter = run_cli(db_path, "--json", "--filter", "site")
    assert bad_filter.returncode == 1 and "attribute=option" in bad_filter.stderr
    one_sided = run_cli(db_path, "--json", "--a", "level=board")
    assert one_sided.returncode == 1 and "both --a and --b" in one_sided.stderr


@NEEDS_BFI
@pytest.mark.parametrize("args", [(), ("--filter", "education=college_graduate"), ("--a", "gender=male", "--b", "gender=female")])
def test_cli_works_for_a_custom_instrument(db, db_path, args):
    with db.cursor() as con:
        load_bfi(con, bfi_raw())
    result = run_cli(db_path, "--json", "--campaign", "bfi", *args)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    filters = tuple(tuple(args[i + 1].split("=")) for i, a in enumerate(args) if a == "--filter")
    pair = (("gender", "male"), ("gender", "female")) if "--a" in args else (None, None)
    assert doc == engine_doc(db, Scope("bfi", filters=filters), *pair)
    assert set(doc["dimensions"]) == {"agreeableness", "conscientiousness", "extraversion", "neuroticism", "openness"}
    assert doc["agreement"]["null_variance"] == pytest.approx(35 / 12)
    assert {g["a"] for g in doc["gaps"]} == {"gender=male"}, "without level the default pair is the first attribute's first two options"
    assert doc["items"]["A1"]["reverse"] is True and doc["items"]["A2"]["reverse"] is False
