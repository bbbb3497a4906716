"""Who may see results: Argon2id password hashes per role, checked with a back-off after failed tries."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ROLES = ("leader", "facilitator")
RANK = {"respondent": 0, "leader": 1, "facilitator": 2}
# row_level is no role: it is the separate permission to take answer rows out (survey/grants.py).
ENV_HASH = {"leader": "COHERENCE_LEADER_HASH", "facilitator": "COHERENCE_FACILITATOR_HASH", "row_level": "COHERENCE_ROW_LEVEL_HASH"}
# OWASP's Argon2id recommendation: m=19 MiB, t=2, p=1 is the floor; we take 64 MiB, t=3, p=1.
HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=1)
FREE_TRIES = 3


def hash_password(password: str) -> str:
    """An Argon2id hash with the production parameters; short passwords are refused before any hashing."""
    if len(password) < 10:
        raise ValueError("use at least 10 characters")
    return HASHER.hash(password)


def secrets_lines(role: str, hashed: str) -> str:
    """The hash on the first line (for scripts), then where it goes: secrets.toml or the environment variable."""
    return (
        f"{hashed}\n"
        f'# put this in .streamlit/secrets.toml:\n[auth]\n{role}_hash = "{hashed}"\n'
        f"# or set the environment variable instead:\n# {ENV_HASH[role]}='{hashed}'"
    )


def configured_hashes(secrets: Mapping[str, object] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Role → Argon2id hash, from `[auth]` in secrets.toml (leader_hash, facilitator_hash) or environment variables."""
    environ = os.environ if environ is None else environ
    auth = dict((secrets or {}).get("auth", {}) or {})
    out = {}
    for role in ROLES:
        value = environ.get(ENV_HASH[role]) or auth.get(f"{role}_hash")
        if value and str(value).startswith("$argon2id$"):
            out[role] = str(value)
    return out


def allows(role: str | None, needed: str) -> bool:
    """A facilitator may do everything a leader may."""
    return RANK.get(role or "respondent", 0) >= RANK[needed]


@dataclass
class Throttle:
    """Failed sign-ins slow every next try down (doubling from 1 s after three failures, capped at 60 s)."""

    failures: int = 0
    not_before: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_seconds(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        return max(0.0, self.not_before - now)

    def record(self, ok: bool, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            if ok:
                self.failures = 0
                self.not_before = 0.0
                return
            self.failures += 1
            if self.failures >= FREE_TRIES:
                self.not_before = now + min(60.0, 2.0 ** (self.failures - FREE_TRIES))


def sign_in(password: str, hashes: Mapping[str, str], throttle: Throttle) -> str | None:
    """The strongest role whose hash matches, or None; refused outright while the throttle says wait."""
    if throttle.wait_seconds() > 0:
        return None
    for role in reversed(ROLES):
        stored = hashes.get(role)
        if not stored:
            continue
        try:
            if HASHER.verify(stored, password):
                throttle.record(True)
                return role
        except (VerificationError, InvalidHashError):
            continue
    throttle.record(False)
    return None


def oidc_configured(secrets: Mapping[str, object] | None) -> bool:
    """Single sign-on is offered when `[auth]` holds what Streamlit's st.login needs (redirect, cookie secret, a provider)."""
    auth = dict((secrets or {}).get("auth", {}) or {})
    if not auth.get("redirect_uri") or not auth.get("cookie_secret"):
        return False
    providers = [auth] + [v for v in auth.values() if isinstance(v, Mapping)]
    return any(p.get("client_id") and p.get("server_metadata_url") for p in providers)


def role_for_email(email: str | None, secrets: Mapping[str, object] | None) -> str | None:
    """The role a single-sign-on user gets: listed in `facilitator_emails` or `leader_emails` (an entry `@plant.example` admits a domain)."""
    if not email:
        return None
    auth = dict((secrets or {}).get("auth", {}) or {})
    needle = email.strip().casefold()
    for role in reversed(ROLES):
        for entry in auth.get(f"{role}_emails", []) or []:
            entry = str(entry).strip().casefold()
            if entry and (needle == entry or (entry.startswith("@") and needle.endswith(entry))):
                return role
    return None
