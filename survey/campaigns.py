"""Campaigns and their waves, and the instrument version each wave was asked with."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import duckdb

from survey.instrument import Instrument, default_instrument, parse_instrument
from survey.store import transaction

_SLUG = re.compile(r"[^a-z0-9]+")
# A pulse wave's questionnaire (survey.actions.pulse) is the campaign's own id with this mark and a digest:
# `<id>-pulse-<digest>@<version>`, so every wave keeps one instrument key and the next full wave finds its way back.
PULSE_MARK = "-pulse-"


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    name: str
    instrument_key: str
    status: str
    threshold: int
    comment_threshold: int
    created_on: dt.date


@dataclass(frozen=True)
class Wave:
    campaign_id: str
    wave: int
    label: str
    instrument_key: str
    status: str
    opened_on: dt.date


class CampaignError(ValueError):
    """A campaign action that would break the data (unknown campaign, instrument change mid-wave...)."""


def slugify(name: str) -> str:
    return _SLUG.sub("-", name.lower()).strip("-")[:48] or "campaign"


def register_instrument(con: duckdb.DuckDBPyConnection, instrument: Instrument) -> str:
    """Store the instrument text and its item catalogue once; refuse a different text under the same id@version."""
    stored = instrument_fingerprint(con, instrument.key)
    if stored is not None:
        if stored != instrument.fingerprint:
            raise CampaignError(
                f"instrument {instrument.key} is already stored with different content; raise its `version` to use the changed file"
            )
        return instrument.key
    con.execute(
        "INSERT INTO instruments VALUES (?, ?, ?, ?, ?, current_date)",
        [instrument.key, instrument.id, instrument.version, instrument.fingerprint, instrument.source_text],
    )
    rows = [
        (instrument.key, item.id, dim.id, item.reverse, pos, dim_pos, instrument.scale.min, instrument.scale.max)
        for dim_pos, dim in enumerate(instrument.dimensions)
        for pos, item in enumerate(dim.items)
    ]
    con.executemany("INSERT INTO instrument_items VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return instrument.key


def instrument_fingerprint(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    """The content fingerprint of a stored instrument text (None when the key is not stored): what a parsed copy is keyed by."""
    row = con.execute("SELECT fingerprint FROM instruments WHERE instrument_key = ?", [key]).fetchone()
    return row[0] if row else None


def instrument_by_key(con: duckdb.DuckDBPyConnection, key: str) -> Instrument:
    row = con.execute("SELECT source_yaml FROM instruments WHERE instrument_key = ?", [key]).fetchone()
    if row is None:
        raise CampaignError(f"unknown instrument {key}")
    return parse_instrument(row[0], key)


def _campaign(row: tuple) -> Campaign:
    return Campaign(*row)


_CAMPAIGN_COLS = "campaign_id, name, instrument_key, status, threshold, comment_threshold, created_on"


def create_campaign(
    con: duckdb.DuckDBPyConnection,
    name: str,
    instrument: Instrument | None = None,
    *,
    campaign_id: str | None = None,
    threshold: int = 5,
    comment_threshold: int = 10,
    wave_label: str = "Baseline",
) -> Campaign:
    """A new campaign with its first wave open, in one transaction."""
    instrument = instrument or default_instrument()
    if threshold < 3:
        raise CampaignError(f"anonymity threshold {threshold} is below the minimum of 3")
    if comment_threshold < threshold:
        raise CampaignError(f"comment threshold {comment_threshold} must be at least the anonymity threshold {threshold}")
    campaign_id = campaign_id or slugify(name)
    with transaction(con):
        if con.execute("SELECT 1 FROM campaigns WHERE campaign_id = ?", [campaign_id]).fetchone():
            raise CampaignError(f"a campaign with id '{campaign_id}' already exists")
        key = register_instrument(con, instrument)
        con.execute(
            "INSERT INTO campaigns VALUES (?, ?, ?, 'open', ?, ?, current_date)",
            [campaign_id, name, key, threshold, comment_threshold],
        )
        con.execute("INSERT INTO waves VALUES (?, 1, ?, ?, 'open', current_date, NULL)", [campaign_id, wave_label, key])
    return get_campaign(con, campaign_id)


def get_campaign(con: duckdb.DuckDBPyConnection, campaign_id: str) -> Campaign:
    row = con.execute(f"SELECT {_CAMPAIGN_COLS} FROM campaigns WHERE campaign_id = ?", [campaign_id]).fetchone()
    if row is None:
        raise CampaignError(f"unknown campaign '{campaign_id}'")
    return _campaign(row)


def list_campaigns(con: duckdb.DuckDBPyConnection) -> list[Campaign]:
    rows = con.execute(f"SELECT {_CAMPAIGN_COLS} FROM campaigns ORDER BY created_on DESC, campaign_id").fetchall()
    return [_campaign(r) for r in rows]


def list_waves(con: duckdb.DuckDBPyConnection, campaign_id: str) -> list[Wave]:
    rows = con.execute(
        "SELECT campaign_id, wave, label, instrument_key, status, opened_on FROM waves WHERE campaign_id = ? ORDER BY wave",
        [campaign_id],
    ).fetchall()
    return [Wave(*r) for r in rows]


def current_wave(con: duckdb.DuckDBPyConnection, campaign_id: str) -> Wave:
    """The newest wave of a campaign: the one new answers go to."""
    waves = list_waves(con, campaign_id)
    if not waves:
        raise CampaignError(f"campaign '{campaign_id}' has no wave")
    return waves[-1]


def base_instrument_id(instrument_id: str) -> str:
    """The questionnaire a pulse was derived from ('x-pulse-ab12' -> 'x'); any other id is its own base."""
    return instrument_id.split(PULSE_MARK, 1)[0]


def is_pulse_key(instrument_key: str) -> bool:
    """Whether a wave was asked with a pulse (a few linked items) rather than the full questionnaire."""
    return PULSE_MARK in instrument_key.rsplit("@", 1)[0]


def full_waves(con: duckdb.DuckDBPyConnection, campaign_id: str) -> list[Wave]:
    """The waves that asked the whole questionnaire (not a pulse of a few statements), oldest first: the ones whose
    dimension scores compare with each other."""
    return [w for w in list_waves(con, campaign_id) if not is_pulse_key(w.instrument_key)]


def full_instrument_key(con: duckdb.DuckDBPyConnection, campaign_id: str) -> str:
    """The newest full questionnaire of the campaign: what a new wave asks unless told otherwise, even after a pulse."""
    full = full_waves(con, campaign_id)
    return full[-1].instrument_key if full else current_wave(con, campaign_id).instrument_key


def start_wave(con: duckdb.DuckDBPyConnection, campaign_id: str, label: str, instrument: Instrument | None = None) -> Wave:
    """Close the current wave and open the next; a changed instrument is only allowed here, at a wave boundary.

    Without an instrument the next wave asks the newest full questionnaire (after a pulse wave, not the pulse again).
    """
    campaign = get_campaign(con, campaign_id)
    with transaction(con):
        full_key = full_instrument_key(con, campaign_id)
        key = register_instrument(con, instrument) if instrument else full_key
        if instrument is not None:
            previous = instrument_by_key(con, full_key)
            if previous.id != base_instrument_id(instrument.id):
                raise CampaignError(
                    f"a wave must keep the campaign's instrument '{previous.id}' (a new version is fine), got '{instrument.id}'"
                )
        con.execute("UPDATE waves SET status = 'closed', closed_on = current_date WHERE campaign_id = ? AND status = 'open'", [campaign_id])
        next_wave = con.execute("SELECT coalesce(max(wave), 0) + 1 FROM waves WHERE campaign_id = ?", [campaign_id]).fetchone()[0]
        con.execute("INSERT INTO waves VALUES (?, ?, ?, ?, 'open', current_date, NULL)", [campaign.campaign_id, next_wave, label, key])
        con.execute("UPDATE campaigns SET instrument_key = ?, status = 'open' WHERE campaign_id = ?", [key, campaign_id])
    return current_wave(con, campaign_id)


def set_status(con: duckdb.DuckDBPyConnection, campaign_id: str, status: str) -> None:
    if status not in ("open", "closed"):
        raise CampaignError(f"status must be open or closed, got '{status}'")
    get_campaign(con, campaign_id)
    con.execute("UPDATE campaigns SET status = ? WHERE campaign_id = ?", [status, campaign_id])


def active_campaign(con: duckdb.DuckDBPyConnection) -> Campaign | None:
    """The campaign a plain survey link answers: the newest open one."""
    row = con.execute(
        f"SELECT {_CAMPAIGN_COLS} FROM campaigns WHERE status = 'open' ORDER BY created_on DESC, campaign_id LIMIT 1"
    ).fetchone()
    return _campaign(row) if row else None


def campaign_instrument(con: duckdb.DuckDBPyConnection, campaign_id: str, wave: int | None = None) -> Instrument:
    """The instrument a wave was asked with (the current wave when none is given)."""
    if wave is None:
        return instrument_by_key(con, current_wave(con, campaign_id).instrument_key)
    row = con.execute("SELECT instrument_key FROM waves WHERE campaign_id = ? AND wave = ?", [campaign_id, wave]).fetchone()
    if row is None:
        raise CampaignError(f"campaign '{campaign_id}' has no wave {wave}")
    return instrument_by_key(con, row[0])
