"""One-step "Plan action" from a blind spot, a finding and a value hypothesis, and workshop mode's insight screens, through the real app."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey.actions import finding_target, list_actions
from tests.app_pages import open_page
from tests.conftest import MakeDemo, open_cursor

WORKSHOP = "pages/16_workshop.py"


@pytest.fixture(scope="module")
def loop_path(make_demo: MakeDemo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_demo(400, seed=7, waves=3, into=tmp_path_factory.mktemp("plan") / "loop.duckdb")


@pytest.fixture
def loop_db(loop_path: Path, tmp_path: Path) -> Path:
    """A fresh copy per test: each test adds an action and reads back the one it added."""
    copy = tmp_path / "loop.duckdb"
    copy.write_bytes(loop_path.read_bytes())
    return copy


def _newest(path: Path) -> dict[str, object]:
    with open_cursor(path) as con:
        return list_actions(con, "demo").iloc[-1].to_dict()


def _plan(at, key: str, owner: str = "Plant management") -> None:  # noqa: ANN001
    at.text_input(key=f"plan_owner_{key}").input(owner)
    at.button(key=f"plan_add_{key}").click().run()
    assert not at.exception, [e.value for e in at.exception]


def test_a_blind_spot_becomes_an_action_on_that_dimension_and_pair(loop_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page("pages/3_perception.py", loop_db, monkeypatch, role="leader")
    key = "blind_level=shop_floor_level=board_strategy"
    assert at.text_area(key=f"plan_title_{key}").value == "Strategy: Operator / shop floor vs Board / executive team"
    _plan(at, key)
    assert [s.value for s in at.success] == ["Action A3 planned. See it on the Actions page."]
    new = _newest(loop_db)
    assert (new["action_id"], new["target_kind"], new["target_id"], new["group_a"], new["group_b"], new["answers_wave"]) == (
        "A3",
        "blind_spot",
        "strategy",
        "level=shop_floor",
        "level=board",
        3,
    )


def test_findings_become_actions_on_what_they_are_about(loop_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding 3 of this demo is the board's blind spot on strategy, finding 6 the board/shop-floor split on unplanned downtime."""
    at = open_page("pages/2_overview.py", loop_db, monkeypatch, role="leader")
    texts = [m.value for m in at.markdown if m.value.startswith(":material/")]
    assert texts[2].startswith(":material/visibility_off: **3.** Blind spot on Strategy")
    assert texts[5].startswith(":material/euro: **6.** Unplanned downtime")
    _plan(at, "finding_3")
    new = _newest(loop_db)
    assert (new["target_kind"], new["target_id"], new["group_a"], new["group_b"]) == (
        "blind_spot",
        "strategy",
        "level=board",
        "level=shop_floor",
    )
    _plan(at, "finding_6", owner="Maintenance")
    new = _newest(loop_db)
    assert (new["action_id"], new["target_kind"], new["target_id"], new["loss"], new["eur_per_year"], new["owner"]) == (
        "A4",
        "loss",
        "unplanned_downtime",
        "unplanned_downtime",
        1_400_000.0,
        "Maintenance",
    )


def test_a_value_hypothesis_becomes_an_action_with_its_loss_and_euros(loop_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page("pages/5_value.py", loop_db, monkeypatch, role="leader")
    top = at.dataframe[-1].value.iloc[0]
    assert (top["Area"], top["Loss"], top["€ per year"]) == ("Governance", "Unplanned downtime", "€ 1,400,000")
    assert at.text_area(key="plan_title_prio_1").value == "Governance: Unplanned downtime"
    _plan(at, "prio_1")
    new = _newest(loop_db)
    assert (new["target_kind"], new["target_id"], new["loss"], new["eur_per_year"], new["status"], bool(new["published"])) == (
        "dimension",
        "governance",
        "unplanned_downtime",
        1_400_000.0,
        "planned",
        False,
    )


@pytest.mark.parametrize(
    ("finding", "target"),
    [
        (
            {"kind": "gap", "refs": {"dimension": "it_ot", "a": "level=board", "b": "level=shop_floor"}},
            ("dimension", "it_ot", "level=board"),
        ),
        ({"kind": "split", "refs": {"item": "OPS4", "group": "level=shop_floor"}}, ("item", "OPS4", None)),
        ({"kind": "coherence", "refs": {"dimension": "leadership"}}, ("dimension", "leadership", None)),
        ({"kind": "trend", "refs": {"dimension": "strategy", "group": "all"}}, ("dimension", "strategy", None)),
        ({"kind": "reliability", "refs": {"alpha": {"strategy": 0.62, "it_ot": 0.55}}}, ("dimension", "it_ot", None)),
    ],
)
def test_every_kind_of_finding_names_a_target(finding: dict, target: tuple) -> None:
    found = finding_target(finding)
    assert found is not None and (found["kind"], found["id"], found.get("a")) == target
    assert finding_target({"kind": "gap", "refs": {}}) is None


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_workshop_shows_findings_blind_spots_and_value_hypotheses(loop_db: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    at = open_page(WORKSHOP, loop_db, monkeypatch, role="leader", state={"dash_lang": lang})
    screens = {}
    while True:
        screens[at.header[0].value] = ("\n".join(m.value for m in at.markdown), [i.value for i in at.info], at.dataframe)
        if at.button(key="ws_next").disabled:
            break
        at.button(key="ws_next").click().run()
        assert not at.exception
    findings, blind, value = (
        screens[{"en": "What the numbers say", "nl": "Wat de cijfers zeggen"}[lang]],
        screens[{"en": "Blind spots", "nl": "Blinde vlekken"}[lang]],
        screens[{"en": "Value at stake", "nl": "Waarde op het spel"}[lang]],
    )
    assert not findings[1] and not blind[1] and not value[1], "no screen says 'not available' on the demo"
    assert {"en": "3. :material/visibility_off: Blind spot on Strategy", "nl": "3. :material/visibility_off: Blinde vlek"}[
        lang
    ] in findings[0]
    assert "{'en'" not in findings[0] and "refs" not in findings[0]
    board = {"en": "Board / executive team", "nl": "Bestuur / directie"}[lang]
    assert f"1. **Strategy**: {board}" in blind[0] or f"1. **Strategie**: {board}" in blind[0]
    assert "level=" not in blind[0] and "level=" not in value[0] and not blind[2] and not value[2], "labels, not ids or raw records"
    assert "1. **" in value[0] and ("€ 1.400.000" if lang == "nl" else "€ 1,400,000") in value[0]
