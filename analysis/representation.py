"""Representation: how well the shop floor is heard, as its response rate against the other levels' combined rate.

A scan that reaches 80% of the boardroom and 20% of the line describes the boardroom. The ratio
`shop-floor rate ÷ rate of the other levels combined` says so in one number; below 0.9 the shop floor
is under-represented and the facilitator is told how to reach it (kiosk, offline site, paper import).

Built only from what the participation table shows, so it can disclose nothing that table hides:
- a level that is hidden (fewer than k respondents, or hidden so it cannot be recomputed) or that has
  no headcount is left out of the other levels' combined rate, numerator and denominator alike,
  and named in `excluded`; adding its headcount with a count taken from the total would let anyone
  recompute the hidden count from the combined rate;
- when the shop floor itself is hidden or has no headcount, there is no ratio (`ratio` null, `note` says why);
- headcounts are kept per single attribute option, so under a filter (e.g. one site) no level has a
  known headcount and there is no ratio either.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

ATTRIBUTE = "level"
FOCUS = "shop_floor"
FLAG_BELOW = 0.9
ADVICE = (
    "set up a kiosk tablet on the shop floor (survey link with ?kiosk=1)",
    "hand out the offline survey site (python -m survey offline) for areas without network",
    "collect paper or Forms answers and bring them in through the Import page",
)


def _shown_rate(row: pd.Series) -> float | None:
    if bool(row["suppressed"]) or pd.isna(row["headcount"]) or int(row["headcount"]) <= 0 or pd.isna(row["n"]):
        return None
    return float(row["n"]) / float(row["headcount"])


def representation(participation: pd.DataFrame | None, attribute: str = ATTRIBUTE, focus: str = FOCUS) -> dict[str, Any]:
    """The representation ratio from a participation frame broken down by `attribute` (engine.participation(by=attribute)).

    Returns {"attribute", "focus", "flag_below", "levels": [{option, n, headcount, response_rate, suppressed, in_ratio}],
    "focus_rate", "others_rate", "ratio", "flagged", "excluded", "note", "advice"}; every number is null where
    it is unknown or hidden.
    """
    out: dict[str, Any] = {
        "attribute": attribute,
        "focus": focus,
        "flag_below": FLAG_BELOW,
        "levels": [],
        "focus_rate": None,
        "others_rate": None,
        "ratio": None,
        "flagged": False,
        "excluded": [],
        "note": None,
        "advice": [],
    }
    rows = participation[participation["attribute"] == attribute] if participation is not None else pd.DataFrame()
    if rows.empty or focus not in set(rows["option"]):
        out["note"] = f"no ratio: the instrument has no {attribute}={focus} group in this view"
        return out
    others_n = others_head = 0
    focus_rate = None
    for _, row in rows.iterrows():
        rate = _shown_rate(row)
        shown = not bool(row["suppressed"])
        out["levels"].append(
            {
                "option": row["option"],
                "n": int(row["n"]) if shown else None,
                "headcount": None if pd.isna(row["headcount"]) else int(row["headcount"]),
                "response_rate": rate,
                "suppressed": not shown,
                "in_ratio": rate is not None,
            }
        )
        if rate is None:
            out["excluded"].append(row["option"])
        elif row["option"] == focus:
            focus_rate = rate
        else:
            others_n += int(row["n"])
            others_head += int(row["headcount"])
    others_rate = others_n / others_head if others_head else None
    out.update(focus_rate=focus_rate, others_rate=others_rate)
    if focus_rate is None:
        out["note"] = f"no ratio: {attribute}={focus} is hidden or has no headcount"
    elif others_rate is None or others_rate == 0:
        out["note"] = f"no ratio: no other {attribute} is shown with a headcount"
    else:
        out["ratio"] = focus_rate / others_rate
        out["flagged"] = out["ratio"] < FLAG_BELOW
        if out["flagged"]:
            out["advice"] = list(ADVICE)
        if out["excluded"]:
            out["note"] = "left out of the other levels' rate (hidden or no headcount): " + ", ".join(map(str, out["excluded"]))
    return out
