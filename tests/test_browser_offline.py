"""The offline site in a real Chromium: a Dutch phone with no network fills it in, reloads, restarts, queues three answers; a facilitator exports, imports and clears."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harness.browser import CHROMIUM, CHROMIUM_ARGS
from survey.__main__ import main
from survey.campaigns import create_campaign
from survey.instrument import Instrument, default_instrument
from survey.offline.site import write_site
from survey.store import Database
from tests.conftest import run_main

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SCREENSHOTS")
CODE = "hal-3-tablet-2026"
RECORD_KEYS = {"uuid", "campaign", "wave", "instrument", "language", "attributes", "answers", "comments", "losses"}
OUTLOOK_KEYS = {"targets", "predictions"}  # carried when the questionnaire asks them (the shipped one does)


def _shot(page: object, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"offline-{name}.png"), full_page=True)


def _serious(page: object) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


class Phone:
    """A Dutch phone in flight mode: every request that would leave the device is refused and counted."""

    def __init__(self, pw: object, profile: Path) -> None:
        self.pw, self.profile, self.refused = pw, profile, []
        self.context = self.page = None

    def start(self) -> object:
        self.context = self.pw.chromium.launch_persistent_context(
            str(self.profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 390, "height": 844},
            locale="nl-NL",
            accept_downloads=True,
        )
        self.context.route("**/*", self._route)
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
        return self.page

    def _route(self, route: object) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.refused.append(route.request.url)
            route.abort()

    def restart(self) -> object:
        """Close the browser and start it again on the same profile: what switching a tablet off and on leaves."""
        self.context.close()
        return self.start()


def _answer(page: object, instrument: Instrument, r: int, *, reload_midway: bool = False, findings: dict | None = None) -> None:
    """One respondent in Dutch: profile, every section (a don't know and a comment in the first), value at stake, submit."""
    page.get_by_role("button", name="Start de vragenlijst").click()
    levels = list(instrument.attributes["level"].options)
    page.get_by_label("Je niveau in de organisatie").select_option(levels[r])
    page.get_by_label("Je functiegebied").select_option(index=1)
    page.get_by_label("Je vestiging").select_option(index=1 + r % 3)
    if findings is not None:
        _shot(page, "profile-nl-390")
    page.get_by_role("button", name="Volgende").click()
    labels = instrument.scale.labels["nl"]
    for d, dim in enumerate(instrument.dimensions):
        page.get_by_role("heading", name=dim.label["nl"]).wait_for()
        for i, item in enumerate(dim.items):
            group = page.get_by_role("radiogroup", name=item.text["nl"], exact=False)
            name = "Weet ik niet" if (d, i) == (0, 0) else labels[(r + d + i) % 5]
            group.get_by_role("radio", name=name, exact=True).check()
            if reload_midway and (d, i) == (1, 2):
                page.reload()
                page.get_by_role("heading", name=dim.label["nl"]).wait_for()
                assert page.get_by_role("radiogroup", name=dim.items[1].text["nl"]).get_by_role("radio", checked=True).count() == 1
                continue_after = dim.items[2]
                page.get_by_role("radiogroup", name=continue_after.text["nl"]).get_by_role("radio", name=name, exact=True).check()
        if d == 0:
            page.get_by_label(dim.comment_prompt["nl"]).fill(f"Opmerking {r}")
            if findings is not None:
                _shot(page, "section-nl-390")
                findings["section"] = _serious(page)
        page.get_by_role("button", name="Volgende").click()
    page.get_by_role("checkbox", name=list(instrument.value_at_stake.losses.values())[r]["nl"]).check()
    if findings is not None:
        findings["value"] = _serious(page)
    page.get_by_role("button", name="Volgende").click()
    for block, heading in ((instrument.targets, "Waar we moeten staan"), (instrument.meta_perception, "Hoe andere niveaus ons zien")):
        if block:  # the optional outlook steps, left open here (the rating-blocks test answers them)
            page.get_by_role("heading", name=heading).wait_for()
            if findings is not None:
                findings[heading] = _serious(page)
            page.get_by_role("button", name="Volgende").click()
    page.get_by_role("heading", name="Controleer je antwoorden").wait_for()
    if findings is not None:
        _shot(page, "review-nl-390")
        findings["review"] = _serious(page)
    page.get_by_role("button", name="Verstuur mijn antwoorden").click()
    page.get_by_role("heading", name="Bedankt!").wait_for()


def test_offline_site_on_a_dutch_phone_without_network(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    instrument = default_instrument()
    db_path = tmp_path / "plant.duckdb"
    database = Database(db_path, linger_s=0)
    with database.cursor() as con:
        create_campaign(con, "Plant", instrument, campaign_id="plant")
        site = write_site(con, "plant", CODE, tmp_path / "site")
    database.close()
    url = site.path.as_uri()
    findings: dict[str, list[str]] = {}
    with sync_playwright() as pw:
        phone = Phone(pw, tmp_path / "profile")
        page = phone.start()
        page.goto(url)
        page.get_by_role("heading", name=instrument.title["nl"]).wait_for()  # the browser's language, not the instrument's first
        assert page.evaluate("document.documentElement.lang") == "nl"
        _shot(page, "intro-nl-390")
        findings["intro"] = _serious(page)

        _answer(page, instrument, 0, reload_midway=True, findings=findings)
        _shot(page, "thanks-nl-390")
        findings["thanks"] = _serious(page)
        page.get_by_role("button", name="Start een nieuwe vragenlijst op dit apparaat").click()
        page.get_by_role("button", name="Start de vragenlijst").click()
        assert page.get_by_label("Je niveau in de organisatie").input_value() == ""  # nothing of the previous respondent
        findings["profile"] = _serious(page)
        page.get_by_role("button", name="Terug").click()

        _answer(page, instrument, 1)
        page.get_by_role("button", name="Start een nieuwe vragenlijst op dit apparaat").click()
        page = phone.restart()
        page.goto(url)
        page.get_by_text("2 ingevulde vragenlijst(en) wachten op dit apparaat").wait_for()
        _answer(page, instrument, 2)
        page.get_by_text("3 ingevulde vragenlijst(en) wachten op dit apparaat").wait_for()
        # back to the start on its own after "thank you"
        page.get_by_role("button", name="Start de vragenlijst").wait_for(timeout=20_000)

        queued = json.loads(page.evaluate("Object.entries(localStorage).find(([k]) => k.endsWith(':queue'))[1]"))
        assert len(queued) == 3 and all(set(json.loads(q["record"])) - OUTLOOK_KEYS == RECORD_KEYS for q in queued)
        assert page.evaluate("Object.keys(localStorage).filter((k) => k.endsWith(':draft')).length") == 0  # no answers left behind

        page.get_by_role("button", name="Begeleider").click()
        page.get_by_label("Exportcode").fill("not-the-code")
        page.get_by_role("button", name="Openen").click()
        page.get_by_text("Dat is niet de exportcode.").wait_for()
        assert page.get_by_role("button", name="Exportbestand downloaden (3 antwoorden)").count() == 0
        page.get_by_label("Exportcode").fill(CODE)
        page.get_by_role("button", name="Openen").click()
        with page.expect_download() as download:
            page.get_by_role("button", name="Exportbestand downloaden (3 antwoorden)").click()
        export = tmp_path / download.value.suggested_filename
        download.value.save_as(export)
        page.get_by_text("3 antwoord(en) geëxporteerd").wait_for()
        _shot(page, "facilitator-nl-390")
        findings["facilitator"] = _serious(page)

        first = run_main(main, "import", export, "--export-code", CODE, "--db", db_path)
        assert first.returncode == 0, first.stderr
        assert "imported 3 new responses" in first.stdout
        again = run_main(main, "import", export, "--export-code", CODE, "--db", db_path)
        assert again.returncode == 0 and "imported 0 new responses" in again.stdout and "3 were already imported" in again.stdout

        page.get_by_role("button", name="3 geëxporteerde antwoord(en) wissen").click()
        page.get_by_text("De import van dit bestand is gelukt").first.wait_for()
        assert "3 ingevulde" in page.locator("#queue").inner_text()  # not cleared before the import is confirmed
        page.get_by_label("De import van dit bestand is gelukt (de app of de opdrachtregel meldde dat).").check()
        page.get_by_label("Exportcode nogmaals").fill(CODE)
        page.get_by_role("button", name="3 geëxporteerde antwoord(en) wissen").click()
        page.get_by_text("3 antwoord(en) van dit apparaat gewist.").wait_for()
        assert page.locator("#queue").inner_text() == ""
        phone.context.close()

    assert phone.refused == []
    assert set(findings) == {
        "intro",
        "section",
        "value",
        "Waar we moeten staan",
        "Hoe andere niveaus ons zien",
        "review",
        "thanks",
        "profile",
        "facilitator",
    }
    assert findings == {name: [] for name in findings}
    database = Database(db_path, linger_s=0)
    with database.cursor() as con:
        rows = con.execute("SELECT source, language, count(*) FROM responses GROUP BY ALL").fetchall()
        assert rows == [("offline", "nl", 3)]
        assert con.execute("SELECT count(*) FROM answers WHERE value IS NULL").fetchone()[0] == 3  # one don't know each
        assert sorted(t for (t,) in con.execute("SELECT text FROM comments").fetchall()) == ["Opmerking 0", "Opmerking 1", "Opmerking 2"]
    database.close()


def test_a_walked_away_respondent_is_warned_then_cleared(tmp_path: Path) -> None:
    """Kiosk: after the idle time a countdown asks whether someone is still there, then the survey starts over empty."""
    from playwright.sync_api import sync_playwright

    database = Database(tmp_path / "plant.duckdb", linger_s=0)
    with database.cursor() as con:
        create_campaign(con, "Plant", default_instrument(), campaign_id="plant")
        site = write_site(con, "plant", CODE, tmp_path / "site", idle_s=20)
    database.close()
    with sync_playwright() as pw:
        phone = Phone(pw, tmp_path / "profile")
        page = phone.start()
        page.goto(site.path.as_uri())
        page.get_by_role("button", name="Start de vragenlijst").click()
        page.get_by_label("Je niveau in de organisatie").select_option("shop_floor")
        page.get_by_role("alertdialog").get_by_text("Ben je er nog?").wait_for(timeout=40_000)
        _shot(page, "idle-nl-390")
        page.get_by_role("button", name="Verder met mijn vragenlijst").click()
        assert page.get_by_label("Je niveau in de organisatie").input_value() == "shop_floor"  # still there: kept
        page.get_by_role("button", name="Start de vragenlijst").wait_for(timeout=40_000)  # then left alone: back to the start
        page.get_by_role("button", name="Start de vragenlijst").click()
        assert page.get_by_label("Je niveau in de organisatie").input_value() == ""
        page.reload()
        assert (
            page.get_by_label("Je niveau in de organisatie").count() == 0
            or page.get_by_label("Je niveau in de organisatie").input_value() == ""
        )
        phone.context.close()
    assert phone.refused == []


def test_the_survey_can_be_answered_with_the_keyboard_alone(tmp_path: Path) -> None:
    """Tab, arrows, Space and Enter reach every control; the focused one shows an outline; a rating item is one radio group."""
    from playwright.sync_api import sync_playwright

    instrument = default_instrument()
    database = Database(tmp_path / "plant.duckdb", linger_s=0)
    with database.cursor() as con:
        create_campaign(con, "Plant", instrument, campaign_id="plant")
        site = write_site(con, "plant", CODE, tmp_path / "site")
    database.close()
    with sync_playwright() as pw:
        phone = Phone(pw, tmp_path / "profile")
        page = phone.start()
        page.goto(site.path.as_uri())

        def tab_to(selector: str) -> None:
            for _ in range(60):
                page.keyboard.press("Tab")
                if page.evaluate("(s) => document.activeElement.matches(s)", selector):
                    return
            raise AssertionError(f"Tab never reached {selector}")

        def outlined() -> bool:
            return page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"

        tab_to("button.primary")
        assert outlined()
        page.keyboard.press("Enter")
        for attr in instrument.attributes:
            tab_to(f"#attr_{attr}")
            assert outlined()
            page.keyboard.press("ArrowDown")
            assert page.locator(f"#attr_{attr}").input_value() != ""
        tab_to("button.primary")
        page.keyboard.press("Enter")
        first = instrument.dimensions[0].items[0]
        tab_to(f"input[name='q_{first.id}']")
        assert outlined()
        page.keyboard.press("Space")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        checked = page.get_by_role("radiogroup", name=first.text["nl"]).get_by_role("radio", checked=True)
        assert checked.get_attribute("value") == "3"
        assert checked.evaluate("(e) => e.labels[0].innerText").strip().endswith(instrument.scale.labels["nl"][2])
        phone.context.close()


def test_target_and_meta_perception_blocks_are_asked_when_the_instrument_has_them(tmp_path: Path) -> None:
    """The optional rating blocks (another branch's instrument model): targets per dimension, predictions of every other level."""
    from playwright.sync_api import sync_playwright

    from survey.offline.records import new_keys
    from survey.offline.site import render_page
    from tests.test_offline import rated_instrument

    instrument = rated_instrument()
    page_text = render_page(
        instrument,
        {"campaign_id": "plant", "wave": 1, "threshold": 5, "comment_threshold": 10},
        new_keys(CODE, 1_000),
        site_id="rated",
    )
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text(page_text, encoding="utf-8")
    with sync_playwright() as pw:
        phone = Phone(pw, tmp_path / "profile")
        page = phone.start()
        page.goto((tmp_path / "site" / "index.html").as_uri())
        page.get_by_role("button", name="Start de vragenlijst").click()
        page.get_by_label("Je niveau in de organisatie").select_option("shop_floor")
        page.get_by_label("Je functiegebied").select_option(index=1)
        page.get_by_label("Je vestiging").select_option(index=1)
        for _ in range(len(instrument.dimensions) + 2):
            page.get_by_role("button", name="Volgende").click()
        page.get_by_role("heading", name="Waar we moeten staan").wait_for()
        page.get_by_role("radiogroup", name=instrument.targets.questions["strategy"]["nl"]).get_by_role(
            "radio", name="Eens", exact=True
        ).check()
        page.get_by_role("button", name="Volgende").click()
        page.get_by_role("heading", name="Hoe andere niveaus ons zien").wait_for()
        assert page.get_by_role("heading", level=3).all_inner_texts() == ["Bestuur / directieteam"]  # never their own level
        _shot(page, "meta-nl-390")
        board = instrument.meta_perception.questions["board"]
        page.get_by_role("radiogroup", name=board["strategy"]["nl"]).get_by_role("radio", name="Oneens", exact=True).check()
        page.get_by_role("button", name="Volgende").click()
        page.get_by_role("button", name="Verstuur mijn antwoorden").click()
        page.get_by_role("heading", name="Bedankt!").wait_for()
        queued = json.loads(page.evaluate("Object.entries(localStorage).find(([k]) => k.endsWith(':queue'))[1]"))
        phone.context.close()
    record = json.loads(queued[0]["record"])
    assert record["targets"] == {"strategy": 4, **{d: None for d in instrument.dimension_ids if d != "strategy"}}
    assert record["predictions"] == {"board": {"strategy": 2, **{d: None for d in instrument.dimension_ids if d != "strategy"}}}
