"""Campaigns the export tests share: hostile text in every place users can type it, and a group too small to show.

Imported by the test_export_* modules; it holds no tests itself. The `small group` campaign has three
supervisors whose every answer is 1 or 2 (item and dimension means 1.33, n=3) and a comment nobody
else wrote, so their numbers and words are recognisable wherever they would leak.
"""

from __future__ import annotations

import re

import duckdb
import numpy as np

from survey.campaigns import create_campaign
from survey.instrument import Instrument, default_instrument, parse_instrument
from survey.responses import Submission, insert_frames, submission_frames
from survey.store import transaction

FORMULA_HYPERLINK = '=HYPERLINK("http://evil","x")'
FORMULA_CMD = "+cmd|' /C calc'!A0"
FORMULA_AT = "@SUM(1+1)*cmd|' /C calc'!A0"
FORMULA_MINUS = "-2+3+cmd|' /C calc'!A0"
XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
SCRIPT_LABEL = "</script><script>window.__xss=3</script>"
SECRET_COMMENT = "SUPERVISOR-ONLY-REMARK"
HOSTILE_NAME = "=cmd|' /C calc'!A0 <b>Plant & Co</b>"
COMMENTS = {"strategy": FORMULA_HYPERLINK, "operations": FORMULA_CMD, "governance": XSS, "leadership": FORMULA_AT, "it_ot": FORMULA_MINUS}


def hostile_instrument() -> Instrument:
    """The default questionnaire with site and level labels that try to close a <script>, and a dimension label that is a formula."""
    text = default_instrument().source_text
    text = text.replace("version: 2\n", "version: 99\n", 1)
    text = text.replace('gent: {en: "Ghent plant", nl: "Vestiging Gent"}', f'gent: {{en: "{SCRIPT_LABEL}", nl: "{SCRIPT_LABEL}"}}')
    old = 'senior_management: {en: "Senior management", nl: "Hoger management"}'
    text = text.replace(old, f'senior_management: {{en: "{SCRIPT_LABEL}", nl: "{SCRIPT_LABEL}"}}')
    text = text.replace('label: {en: "Strategy", nl: "Strategie"}', 'label: {en: "=1+2 Strategy", nl: "=1+2 Strategie"}')
    return parse_instrument(text, "hostile")


def _people(
    rng: np.random.Generator,
    instrument: Instrument,
    campaign_id: str,
    level: str,
    count: int,
    low: int,
    high: int,
    site: str,
    comments: dict[str, str] | None = None,
    losses: tuple[str, ...] = (),
) -> list[Submission]:
    return [
        Submission(
            campaign_id=campaign_id,
            wave=1,
            language="en",
            attributes={"level": level, "function": "production", "site": site},
            answers={item: int(rng.integers(low, high + 1)) for item in instrument.item_ids},
            comments=comments or {},
            losses=losses,
            source="import",
        )
        for _ in range(count)
    ]


def build_small_group_campaign(con: duckdb.DuckDBPyConnection, campaign_id: str = "hostile", seed: int = 1) -> Instrument:
    """14 board members, 15 operators (each with the hostile comments), 12 specialists and 3 supervisors, k = 5.

    Operators are the largest group so complementary suppression (which hides the smallest visible
    sibling when the supervisors are hidden) never takes their comments; it takes the specialists.
    With seed 1 no number the exports may show reads 1.33 (test_export_privacy checks this first).
    """
    instrument = hostile_instrument()
    create_campaign(con, HOSTILE_NAME, instrument, campaign_id=campaign_id, threshold=5, comment_threshold=10)
    rng = np.random.default_rng(seed)
    subs = _people(rng, instrument, campaign_id, "board", 14, 3, 5, "eindhoven", losses=("unplanned_downtime", "quality_scrap_rework"))
    subs += _people(rng, instrument, campaign_id, "shop_floor", 15, 2, 3, "gent", comments=COMMENTS, losses=("planning_instability",))
    subs += _people(rng, instrument, campaign_id, "specialist", 12, 2, 4, "venlo", losses=("service_level",))
    supervisors = [
        Submission(
            campaign_id=campaign_id,
            wave=1,
            language="en",
            attributes={"level": "supervisor", "function": "maintenance", "site": "venlo"},
            answers={item: value for item in instrument.item_ids},
            comments={"strategy": SECRET_COMMENT},
            losses=("energy_material_waste",),
            source="import",
        )
        for value in (1, 1, 2)
    ]
    with transaction(con):
        insert_frames(con, submission_frames(instrument, subs + supervisors), instrument)
    return instrument


# What must never appear: the supervisors' means (1.33 in both notations), their count and their comment.
SECRET_NUMBERS = re.compile(r"(?<![\d.,])1[.,]33(?!\d)|\bn\s*=\s*3(?!\d)")


def secret_hits(text: str) -> list[str]:
    """Every place in `text` that shows the small group's numbers or words."""
    hits = [m.group() for m in SECRET_NUMBERS.finditer(text)]
    if SECRET_COMMENT in text:
        hits.append(SECRET_COMMENT)
    return hits
