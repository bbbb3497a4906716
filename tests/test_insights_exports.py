"""Findings at the top of the HTML report and the workbook; a campaign with hidden groups gets findings that never name them."""

from __future__ import annotations

from html import unescape
from pathlib import Path

import openpyxl
import pytest

from analysis import engine
from analysis.export import export
from analysis.labels import Labels
from analysis.scope import Scope
from survey.campaigns import campaign_instrument
from survey.store import Database
from tests.conftest import MakeDemo
from tests.test_export_data import build_small_group_campaign


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, make_demo: MakeDemo) -> dict:
    folder = tmp_path_factory.mktemp("insights-exports")
    database = Database(make_demo(300, seed=6, waves=2, into=folder / "x.duckdb"), linger_s=0)
    out: dict = {}
    with database.cursor() as con:
        build_small_group_campaign(con)
        for name, scope, lang in (("demo", Scope("demo"), "en"), ("demo_nl", Scope("demo"), "nl"), ("hostile", Scope("hostile"), "en")):
            for kind in ("html", "xlsx"):
                path = folder / f"{name}.{kind}"
                export(con, kind, path, scope, lang=lang, role="leader")
                out[(name, kind)] = path
        out["docs"] = {c: engine.summary(con, Scope(c)) for c in ("demo", "hostile")}
        out["instruments"] = {c: campaign_instrument(con, c, 1) for c in ("demo", "hostile")}
    database.close()
    return out


@pytest.mark.parametrize(("name", "lang"), [("demo", "en"), ("demo_nl", "nl")])
def test_html_report_opens_with_the_findings(files, name, lang):
    html = unescape(Path(files[(name, "html")]).read_text(encoding="utf-8"))
    findings = files["docs"]["demo"]["findings"]
    assert findings
    top = html.index('id="findings"')
    assert top < html.index('id="summary"') < html.index('id="heatmap"')
    section = html[top : html.index("</section>", top)]
    assert section.count("<li>") == len(findings)
    for finding in findings:
        assert finding["text"][lang] in section


@pytest.mark.parametrize(("name", "lang"), [("demo", "en"), ("demo_nl", "nl")])
def test_workbook_opens_with_the_findings(files, name, lang):
    wb = openpyxl.load_workbook(files[(name, "xlsx")])
    ws = wb.worksheets[0]
    assert ws.title == ("Findings" if lang == "en" else "Bevindingen")
    texts = [ws.cell(r, 2).value for r in range(4, 4 + len(files["docs"]["demo"]["findings"]))]
    assert texts == [f["text"][lang] for f in files["docs"]["demo"]["findings"]]
    assert [ws.cell(r, 1).value for r in range(4, 4 + len(texts))] == [str(i) for i in range(1, len(texts) + 1)]


def test_findings_never_name_the_hidden_groups(files):
    doc = files["docs"]["hostile"]
    instrument = files["instruments"]["hostile"]
    hidden = {s["group"] for s in doc["suppressed"] if s["group"].startswith("level=") and s["unit"] in doc["dimensions"]}
    assert {"level=supervisor", "level=specialist"} <= hidden, "three supervisors, and the specialists hidden with them"
    assert doc["findings"], "the campaign has shown groups to speak of"
    html = unescape(Path(files[("hostile", "html")]).read_text(encoding="utf-8"))
    section = html[html.index('id="findings"') : html.index('id="summary"')]
    wb = openpyxl.load_workbook(files[("hostile", "xlsx")])
    sheet = "\n".join(str(c.value) for row in wb.worksheets[0].iter_rows() for c in row if c.value is not None)
    for group in hidden:
        attribute, _, option = group.partition("=")
        for finding in doc["findings"]:
            assert group not in str(finding["refs"])
            for lang in ("en", "nl"):
                assert Labels(instrument, lang).option(attribute, option) not in finding["text"][lang]
        label = Labels(instrument, "en").option(attribute, option)
        assert label not in section and label not in sheet
