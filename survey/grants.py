"""Row-level grants: the separate, audited permission to take respondents' answer rows (and backups) out of the app.

Signing in as facilitator is not enough to take rows out: even coarsened, a row-level file holds
each respondent's every answer. A grant is asked for per campaign, with a reason, and with the
row-level password, a credential of its own that the organisation gives to whom it chooses (a
data-protection officer, the lead facilitator): its Argon2id hash goes under `[auth]` in
secrets.toml as `row_level_hash`, or into `COHERENCE_ROW_LEVEL_HASH`. Without that hash the app
offers no row-level data at all. A grant lasts `GRANT_MINUTES` (less if the session ends first).
Every grant, every refused try and every row-level file is an audit_log entry.

The command line is the machine owner's path: whoever can run it can copy the database file
itself, so a password would protect nothing there; it gets its grant by stating a reason
(`machine_grant`), recorded like any other.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
from argon2.exceptions import InvalidHashError, VerificationError

from survey.access import ENV_HASH, HASHER, Throttle
from survey.campaigns import get_campaign
from survey.store import audit

ROW_LEVEL = "row_level"
GRANT_MINUTES = 60
MIN_REASON_CHARS = 10
MAX_REASON_CHARS = 200
NOT_CONFIGURED = (
    "row-level data is switched off: no row-level password is configured. Whoever the organisation trusts with "
    "answer rows runs `python -m survey hash-password --role row_level` and the printed hash goes into "
    "`.streamlit/secrets.toml` under [auth] as row_level_hash (or COHERENCE_ROW_LEVEL_HASH)"
)


class GrantRefused(PermissionError):
    """No row-level grant: no reason given, no row-level password configured, a wrong one, or too many wrong tries."""


@dataclass(frozen=True)
class RowGrant:
    """Permission to take one campaign's answer rows out, until `expires_at` (UTC); `via` is "password" or "command line"."""

    campaign_id: str
    actor: str
    reason: str
    granted_at: dt.datetime
    expires_at: dt.datetime
    via: str

    def covers(self, campaign_id: str, now: dt.datetime | None = None) -> bool:
        return campaign_id == self.campaign_id and (now or _now()) < self.expires_at

    def audit_detail(self) -> str:
        """What every row-level file's audit entry repeats, so each entry alone says who allowed it and why."""
        return f"grant={self.actor} via {self.via} reason={self.reason}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def row_level_hash(secrets: Mapping[str, object] | None = None, environ: Mapping[str, str] | None = None) -> str | None:
    """The row-level password's Argon2id hash from COHERENCE_ROW_LEVEL_HASH or `[auth] row_level_hash`, or None."""
    environ = os.environ if environ is None else environ
    auth = dict((secrets or {}).get("auth", {}) or {})
    value = environ.get(ENV_HASH[ROW_LEVEL]) or auth.get(f"{ROW_LEVEL}_hash")
    return str(value) if value and str(value).startswith("$argon2id$") else None


def clean_reason(reason: object) -> str:
    """The reason on one line, printable characters only, at most MAX_REASON_CHARS; refused when too short to say anything."""
    text = "".join(ch for ch in " ".join(str(reason or "").split()) if ch.isprintable())
    if len(text) < MIN_REASON_CHARS:
        raise GrantRefused(f"say why you need the answer rows (at least {MIN_REASON_CHARS} characters): it goes into the audit log")
    return text[:MAX_REASON_CHARS]


def _grant(con: duckdb.DuckDBPyConnection, campaign_id: str, actor: str, reason: str, via: str, now: dt.datetime | None) -> RowGrant:
    start = now or _now()
    grant = RowGrant(campaign_id, actor, reason, start, start + dt.timedelta(minutes=GRANT_MINUTES), via)
    audit(
        con,
        actor,
        "row-level grant",
        f"campaign={campaign_id} until={grant.expires_at:%Y-%m-%d %H:%M} UTC via={via} reason={reason}",
    )
    return grant


def grant_rows(
    con: duckdb.DuckDBPyConnection,
    campaign_id: str,
    actor: str,
    reason: str,
    password: str,
    hashed: str | None,
    throttle: Throttle,
    *,
    client: str = "local",
    now: dt.datetime | None = None,
) -> RowGrant:
    """Check the row-level password and grant row-level data of one campaign; a wrong password is recorded too.

    The password is checked against its own hash, never the sign-in ones: the role that signs in
    and the permission to take rows out are held by different people where the organisation wants.
    """
    get_campaign(con, campaign_id)
    why = clean_reason(reason)
    if not hashed:
        raise GrantRefused(NOT_CONFIGURED)

    def verify() -> str | None:
        try:
            return "row_level" if HASHER.verify(hashed, password) else None
        except (VerificationError, InvalidHashError):
            return None

    verdict = throttle.attempt(client, verify)
    if verdict.wait_s > 0:
        raise GrantRefused(f"too many wrong row-level passwords; try again in {math.ceil(verdict.wait_s)} s")
    if verdict.busy:
        raise GrantRefused("the server is checking other passwords; try again in a moment")
    if verdict.role is None:
        audit(con, actor, "row-level refused", f"campaign={campaign_id} wrong row-level password, reason={why}")
        raise GrantRefused("wrong row-level password; the try is in the audit log")
    return _grant(con, campaign_id, actor, why, "password", now)


def machine_grant(con: duckdb.DuckDBPyConnection, campaign_id: str, actor: str, reason: str, *, now: dt.datetime | None = None) -> RowGrant:
    """The command line's grant: a stated reason, recorded; no password, since its user can copy the database file anyway."""
    get_campaign(con, campaign_id)
    return _grant(con, campaign_id, actor, clean_reason(reason), "command line", now)


def grant_problem(grant: RowGrant | None, campaign_id: str, now: dt.datetime | None = None) -> str | None:
    """Why `grant` does not allow row-level data of `campaign_id` now, or None when it does."""
    if grant is None:
        return (
            "answer rows are a separate permission: switch on row-level data for this campaign with a reason and the "
            "row-level password (Data and audit page), or give --reason on the command line"
        )
    if grant.campaign_id != campaign_id:
        return f"the row-level grant is for campaign '{grant.campaign_id}', not '{campaign_id}'"
    if not grant.covers(campaign_id, now):
        return f"the row-level grant ended at {grant.expires_at:%H:%M} UTC; switch it on again"
    return None
