"""Long-form answer rows as storage holds them, joined to campaign, wave, attributes and dimension."""

from __future__ import annotations

import duckdb

from survey.instrument import Instrument


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def long_answers_sql(instrument: Instrument) -> str:
    """SQL for the contract's long format; `?` parameters are campaign id then wave (NULL = all waves).

    The attribute columns come from the instrument, so any set of attributes exports the same way.
    """
    pivots = ",\n            ".join(f"max(CASE WHEN attribute = '{a}' THEN value END) AS {_quote(a)}" for a in instrument.attributes)
    attr_cols = ", ".join(f"p.{_quote(a)}" for a in instrument.attributes)
    return f"""
        WITH picked AS (
            SELECT r.* FROM responses r WHERE r.campaign_id = $campaign AND ($wave IS NULL OR r.wave = $wave)
        ), p AS (
            SELECT response_id,
            {pivots}
            FROM response_attributes WHERE response_id IN (SELECT response_id FROM picked) GROUP BY response_id
        )
        SELECT r.response_id, r.campaign_id AS campaign, r.wave, r.submitted_on, r.language, {attr_cols},
               ii.dimension, a.item_id, a.value
        FROM picked r
        JOIN waves w ON w.campaign_id = r.campaign_id AND w.wave = r.wave
        JOIN answers a ON a.response_id = r.response_id
        JOIN instrument_items ii ON ii.instrument_key = w.instrument_key AND ii.item_id = a.item_id
        LEFT JOIN p ON p.response_id = r.response_id
        ORDER BY r.wave, r.submitted_on, r.response_id, ii.dim_pos, ii.item_pos
    """


def long_answers(
    con: duckdb.DuckDBPyConnection, instrument: Instrument, campaign_id: str, wave: int | None = None
) -> duckdb.DuckDBPyRelation:
    return con.sql(long_answers_sql(instrument), params={"campaign": campaign_id, "wave": wave})
