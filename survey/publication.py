"""Which dimension-level results of a wave leadership chose to publish on "you said, we did", recorded and audited.

Publishing is a choice per campaign, wave and dimension, plus the attribute whose groups are shown beside
the overall score (none: the overall score only). What a published result then shows is decided by the
analysis layer under the usual anonymity rules (`analysis.public`): publishing never reveals a number the
dashboard hides. The table has `campaign_id` and `wave` columns, so deleting a wave or a campaign
(`survey.retention`) and backups (`survey.backup`) cover it without further code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from survey.campaigns import CampaignError, campaign_instrument, list_waves
from survey.store import audit, transaction

PUBLISHED_SQL = "SELECT dimension, breakdown FROM published_results WHERE campaign_id = ? AND wave = ? ORDER BY dimension"
LATEST_SQL = "SELECT max(wave) FROM published_results WHERE campaign_id = ?"
CLEAR_SQL = "DELETE FROM published_results WHERE campaign_id = ? AND wave = ?"
INSERT_SQL = "INSERT INTO published_results VALUES (?, ?, ?, ?, ?)"


class PublicationError(ValueError):
    """A choice that cannot be published: an unknown wave, dimension or breakdown attribute."""


@dataclass(frozen=True)
class Publication:
    """What is published for one wave: dimensions in questionnaire order, and the breakdown attribute (None: overall only)."""

    campaign_id: str
    wave: int
    dimensions: tuple[str, ...]
    breakdown: str | None

    @property
    def empty(self) -> bool:
        return not self.dimensions


def published(con: duckdb.DuckDBPyConnection, campaign_id: str, wave: int) -> Publication:
    """The published dimensions of one wave (an empty publication when nothing was chosen)."""
    rows = con.execute(PUBLISHED_SQL, [campaign_id, wave]).fetchall()
    if not rows:
        return Publication(campaign_id, wave, (), None)
    order = {d: i for i, d in enumerate(campaign_instrument(con, campaign_id, wave).dimension_ids)}
    dims = tuple(sorted((r[0] for r in rows), key=lambda d: order.get(d, len(order))))
    return Publication(campaign_id, wave, dims, rows[0][1] or None)


def latest_published_wave(con: duckdb.DuckDBPyConnection, campaign_id: str) -> int | None:
    """The newest wave with anything published: what the public page shows by default."""
    row = con.execute(LATEST_SQL, [campaign_id]).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def publish(
    con: duckdb.DuckDBPyConnection, campaign_id: str, wave: int, dimensions: Iterable[str], breakdown: str | None, actor: str
) -> Publication:
    """Replace what is published for one wave, in one transaction, with an audit entry naming the choice.

    An empty `dimensions` withdraws the wave's results from the public page. Unknown dimensions or a
    breakdown the questionnaire does not have are refused before anything is written.
    """
    if wave not in {w.wave for w in list_waves(con, campaign_id)}:
        raise PublicationError(f"campaign '{campaign_id}' has no wave {wave}")
    try:
        instrument = campaign_instrument(con, campaign_id, wave)
    except CampaignError as exc:
        raise PublicationError(str(exc)) from exc
    chosen = list(dict.fromkeys(dimensions))
    unknown = [d for d in chosen if d not in instrument.dimension_ids]
    if unknown:
        raise PublicationError(f"unknown dimension(s): {', '.join(unknown)} (known: {', '.join(instrument.dimension_ids)})")
    chosen.sort(key=instrument.dimension_ids.index)
    if breakdown is not None and breakdown not in instrument.attributes:
        raise PublicationError(f"unknown attribute '{breakdown}' (known: {', '.join(instrument.attributes)})")
    today = dt.date.today()
    with transaction(con):
        con.execute(CLEAR_SQL, [campaign_id, wave])
        for dim in chosen:
            con.execute(INSERT_SQL, [campaign_id, wave, dim, breakdown or "", today])
        shown = ",".join(chosen) or "nothing"
        audit(con, actor, "publish results", f"campaign {campaign_id} wave {wave}: {shown}; breakdown {breakdown or 'none'}")
    return published(con, campaign_id, wave)
