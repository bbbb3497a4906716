"""Resume tokens: an open-link or kiosk respondent's draft, saved after every section under the hash of a token in their URL.

A Streamlit session lives in one server process. When that process dies (a replica killed, a
redeploy), the browser reconnects to another replica with the same URL and a new, empty session:
the answers given so far would be gone. So after every section the draft is written to the
database under the SHA-256 of a random token that only the respondent's URL holds, and a new
session opening that URL continues where the last section ended. At most the page in progress is lost.

What is kept, and for how long:
- only the token's hash, the campaign and wave, the draft (the answers, the chosen language and
  the step; no name, address or device) and when it expires; backups leave drafts out;
- a draft expires `WEB_TTL` after its last save on an open link, `KIOSK_TTL` (the kiosk's idle
  reset) on a shared tablet, and expired rows are removed by the next save on that server;
- submitting erases the draft in the same transaction as the answers and marks the token used
  for `USED_TTL` (long enough for a browser that lost its server while submitting to reconnect
  and be thanked), then it goes too. The submission key is derived from the token, so two
  sessions on one URL store one response between them.

On PostgreSQL drafts live on the server only: the lookup reads the store of record, not the
replica's local copy (the copy can be seconds behind, and a respondent arriving from a dead
replica needs the section saved a moment ago), and `resume_drafts` is never copied
(`survey.postgres.SERVER_ONLY`), so a save neither waits for nor moves the copy's sync (a sync
after every section of every respondent cost the server more than the rest of the page).

Kiosks: the next person must never see the previous one's answers. Every kiosk reset (after
"thank you", after inactivity, on "new survey") deletes the draft and takes the token out of the
URL, and a kiosk draft expires after the same idle time, so even a tablet whose browser was
closed mid-survey cannot bring back answers older than that. A used kiosk token starts afresh.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import threading
import time
from contextlib import suppress
from typing import Any

import duckdb

from survey.writer import Claim

RESUME_PARAM = "resume"
TOKEN_BYTES = 24
WEB_TTL = dt.timedelta(days=7)
KIOSK_TTL = dt.timedelta(minutes=5)
USED_TTL = dt.timedelta(hours=1)
MAX_DRAFT_BYTES = 64 * 1024
PURGE_EVERY_S = 60.0
VALID, USED, UNKNOWN = "valid", "used", "unknown"

# One statement for insert and update: a resumed session saving under an existing token overwrites its draft.
SAVE_SQL = """
    INSERT INTO resume_drafts (token_hash, campaign_id, wave, kiosk, used, draft, expires_at)
    VALUES (?, ?, ?, ?, false, ?, ?)
    ON CONFLICT (token_hash) DO UPDATE SET draft = excluded.draft, expires_at = excluded.expires_at
    WHERE NOT resume_drafts.used
"""
SELECT_SQL = "SELECT campaign_id, wave, kiosk, used, draft FROM resume_drafts WHERE token_hash = ? AND expires_at > ?"
# The answers go with the submission; the row stays as 'used' (no draft) for at most USED_TTL, so the URL says so.
CLAIM_SQL = "UPDATE resume_drafts SET used = true, draft = NULL, expires_at = least(expires_at, ?) WHERE token_hash = ?"
DISCARD_SQL = "DELETE FROM resume_drafts WHERE token_hash = ?"
PURGE_SQL = "DELETE FROM resume_drafts WHERE expires_at <= ?"

_purged_at = float("-inf")
_purge_lock = threading.Lock()


def new_token() -> str:
    """192 random bits, URL-safe: what goes into `?resume=`."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """What the database keeps: a stolen database or backup gives no URL that resumes anyone."""
    return hashlib.sha256(b"resume:" + token.encode("utf-8")).hexdigest()


def submission_key(token: str) -> str:
    """The submission key of every session on this token: sessions sharing a URL (a crashed replica's and its
    successor's, two tabs) store one response between them. Derived one way, so it names no token."""
    return hashlib.sha256(b"submit:" + token.encode("utf-8")).hexdigest()[:32]


def _now(now: dt.datetime | None) -> dt.datetime:
    return (now or dt.datetime.now(dt.UTC)).replace(tzinfo=None)


def save(
    con: duckdb.DuckDBPyConnection,
    token: str,
    campaign_id: str,
    wave: int,
    draft: dict[str, Any],
    *,
    kiosk: bool,
    now: dt.datetime | None = None,
) -> None:
    """Keep the draft under the token's hash until it expires (counted from now); a used token is left as it is."""
    text = json.dumps(draft, ensure_ascii=False, separators=(",", ":"))
    if len(text.encode("utf-8")) > MAX_DRAFT_BYTES:
        raise ValueError(f"draft larger than {MAX_DRAFT_BYTES // 1024} KB")
    at = _now(now)
    con.execute(SAVE_SQL, [hash_token(token), campaign_id, wave, kiosk, text, at + (KIOSK_TTL if kiosk else WEB_TTL)])
    purge_now_and_then(con, at)


def lookup(
    con: duckdb.DuckDBPyConnection, token: str, campaign_id: str, wave: int, *, kiosk: bool, now: dt.datetime | None = None
) -> tuple[str, dict[str, Any] | None]:
    """(valid, draft), (used, None) or (unknown, None) for a token from a URL opened on this campaign's `wave`.

    A draft of another campaign, another wave or another mode (kiosk vs open link) is unknown here:
    a kiosk URL never picks up an open-link draft, and a closed wave's drafts are not continued.
    """
    row = con.execute(SELECT_SQL, [hash_token(token), _now(now)]).fetchone()
    if row is None or row[0] != campaign_id or int(row[1]) != wave or bool(row[2]) != kiosk:
        return UNKNOWN, None
    if row[3]:
        return USED, None
    loaded = json.loads(row[4]) if row[4] else None
    return (VALID, loaded) if isinstance(loaded, dict) else (UNKNOWN, None)


def discard(con: duckdb.DuckDBPyConnection, token: str) -> None:
    """Forget a draft now (a kiosk reset): nothing of the last respondent remains to resume."""
    con.execute(DISCARD_SQL, [hash_token(token)])


def claim(token: str, now: dt.datetime | None = None) -> Claim:
    """What a submission takes in its own transaction: the draft erased and the token marked used.

    Never refuses: a draft that expired or was never saved still submits. One response per token comes
    from `submission_key`, which the writer finds stored before it runs any claim.
    """
    token_hash = hash_token(token)

    def run(con: duckdb.DuckDBPyConnection) -> None:
        con.execute(CLAIM_SQL, [_now(now) + USED_TTL, token_hash])

    return run


def purge(con: duckdb.DuckDBPyConnection, now: dt.datetime | None = None) -> None:
    """Remove every expired draft and used token."""
    con.execute(PURGE_SQL, [_now(now)])


def purge_now_and_then(con: duckdb.DuckDBPyConnection, now: dt.datetime | None = None) -> None:
    """Purge at most once a minute per server process: expired rows go without a job of their own, at no cost per save."""
    global _purged_at
    with _purge_lock:
        if time.monotonic() - _purged_at < PURGE_EVERY_S:
            return
        _purged_at = time.monotonic()
    with suppress(duckdb.TransactionException):  # another process purging the same rows at this moment does the job
        purge(con, now)
