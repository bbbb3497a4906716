"""Coherence index per dimension: whether the levels agree with each other (between) and within themselves (within).

Definition (PRODUCT.md, "From gaps to decisions"), over the levels the anonymity rules show:
- between B = 1 − (largest difference between the shown levels' means) / (scale max − scale min);
- within W = the mean of the shown levels' r_wg on the dimension (`analysis.groups`: the mean of its
  items' r_wg in the group), weighted by each level's n (respondents with a dimension score);
- index C = B × W, in [0, 1]: high only when the levels see the dimension alike *and* each level
  answers as one. Overall C = the mean of the dimensions' C weighted by their respondents (the sum of
  the shown levels' n).
A dimension with fewer than two shown levels has no B and no C (nothing to compare). Every input is a
number the heatmap shows, so the index tells nothing about a hidden group.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from survey.instrument import Instrument

COHERENCE_COLUMNS = ["dimension", "index", "between", "within", "n", "levels"]
DEFINITION = {
    "en": "Coherence C = B × W, from 0 to 1. Between B = 1 − (largest gap between the levels' mean scores) / (scale range): do the levels "
    "see it alike? Within W = the levels' agreement r_wg, weighted by their respondents: does each level answer as one? Only levels "
    "shown under the anonymity threshold count.",
    "nl": "Coherentie C = B × W, van 0 tot 1. Tussen B = 1 − (grootste verschil tussen de gemiddelde scores van de niveaus) / (schaalbereik): "
    "zien de niveaus het hetzelfde? Binnen W = de eensgezindheid r_wg van de niveaus, gewogen naar hun respondenten: antwoordt elk niveau "
    "als één? Alleen niveaus die boven de anonimiteitsdrempel getoond worden tellen mee.",
}


def level_attribute(instrument: Instrument) -> str:
    """The attribute whose options are the organisation's levels: `level`, or the instrument's first attribute."""
    return "level" if "level" in instrument.attributes else next(iter(instrument.attributes))


def coherence_table(groups: pd.DataFrame, attribute: str, scale_min: float, scale_max: float) -> pd.DataFrame:
    """C, B and W per dimension from a dimension frame of the engine (`heatmap`, grouped by `attribute`), shown rows only."""
    span = float(scale_max - scale_min)
    rows = []
    for dim, part in groups[groups["unit_type"] == "dimension"].groupby("unit", sort=False):
        shown = part[(part["attribute"] == attribute) & ~part["suppressed"].astype(bool)]
        means = shown["mean"].astype(float).to_numpy()
        n = shown["n"].astype(float).to_numpy()
        rwg = shown["rwg"].astype(float).to_numpy()
        between = 1.0 - (means.max() - means.min()) / span if len(shown) >= 2 else np.nan
        known = ~np.isnan(rwg) & (n > 0)
        within = float(np.average(rwg[known], weights=n[known])) if known.any() else np.nan
        rows.append(
            {
                "dimension": dim,
                "index": between * within,
                "between": between,
                "within": within,
                "n": int(n.sum()),
                "levels": len(shown),
            }
        )
    return pd.DataFrame(rows, columns=COHERENCE_COLUMNS)


def overall_index(table: pd.DataFrame) -> float | None:
    """The respondent-weighted mean of the dimensions' C (dimensions without a C left out)."""
    known = table[table["index"].notna() & (table["n"] > 0)]
    if known.empty:
        return None
    return float(np.average(known["index"].astype(float), weights=known["n"].astype(float)))


def coherence_document(table: pd.DataFrame) -> dict[str, Any]:
    """The summary's `coherence` section: overall C and per dimension index, between and within (null where undefined)."""

    def number(value: Any) -> float | None:
        return None if value is None or pd.isna(value) else float(value)

    return {
        "overall": overall_index(table),
        "dimensions": {
            r.dimension: {"index": number(r.index), "between": number(r.between), "within": number(r.within)} for r in table.itertuples()
        },
    }


def coherence_change(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """C per dimension in two waves and its change, where both waves have a C (each wave's own shown levels)."""
    joined = before[["dimension", "index"]].merge(
        after[["dimension", "index"]], on="dimension", how="right", suffixes=("_before", "_after")
    )
    joined["change"] = joined["index_after"] - joined["index_before"]
    overall = {
        "dimension": "all",
        "index_before": overall_index(before),
        "index_after": overall_index(after),
    }
    overall["change"] = (
        None if overall["index_before"] is None or overall["index_after"] is None else overall["index_after"] - overall["index_before"]
    )
    return pd.concat([pd.DataFrame([overall]), joined], ignore_index=True).astype(
        {"index_before": float, "index_after": float, "change": float}
    )
