"""Who may see results: Argon2id password hashes per role, checked a few at a time with a back-off per client after failed tries."""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError

ROLES = ("leader", "facilitator")
RANK = {"respondent": 0, "leader": 1, "facilitator": 2}
# row_level is no role: it is the separate permission to take answer rows out (survey/grants.py).
ENV_HASH = {"leader": "COHERENCE_LEADER_HASH", "facilitator": "COHERENCE_FACILITATOR_HASH", "row_level": "COHERENCE_ROW_LEVEL_HASH"}
# OWASP's Argon2id recommendation: m=19 MiB, t=2, p=1 is the floor; we take 64 MiB, t=3, p=1.
HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=1)
FREE_TRIES = 3
MAX_WAIT_S = 60.0
MAX_CHECKS_AT_ONCE = 2  # Argon2 checks running at once: each takes HASHER.memory_cost (64 MiB) and a core
SLOT_WAIT_S = 2.0
GLOBAL_WINDOW_S, GLOBAL_FREE_FAILURES, PENALTY_S = 60.0, 30, 1.0
MAX_CLIENTS = 10_000


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


def configured_hashes(
    secrets: Mapping[str, object] | None = None, environ: Mapping[str, str] | None = None, stored: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Role → Argon2id hash, from `[auth]` in secrets.toml (leader_hash, facilitator_hash) or environment variables,
    else the hashes set on first run (`stored`, survey.setup).

    The files override the database as a whole, not per role: once an operator writes any hash down, what
    they wrote is all that signs in, and a password set on first run and forgotten cannot linger beside it.
    """
    environ = os.environ if environ is None else environ
    auth = dict((secrets or {}).get("auth", {}) or {})
    out = {}
    for role in ROLES:
        value = environ.get(ENV_HASH[role]) or auth.get(f"{role}_hash")
        if value and str(value).startswith("$argon2id$"):
            out[role] = str(value)
    if not out:
        out = {role: str(v) for role, v in (stored or {}).items() if role in ROLES and str(v).startswith("$argon2id$")}
    return out


# OWASP Password Storage Cheat Sheet, Argon2id: at least m = 19 MiB, t = 2, p = 1.
OWASP_MIN_MEMORY_KIB, OWASP_MIN_TIME = 19 * 1024, 2


def weak_hashes(hashes: Mapping[str, str]) -> list[str]:
    """A warning per configured hash whose Argon2id parameters are below OWASP's minimum (or cannot be read).

    A hash made elsewhere (another tool, an old default) may be cheap to guess offline if the file leaks;
    the server says so at start rather than refusing, so a working sign-in is never locked out.
    """
    warnings = []
    for role, hashed in hashes.items():
        try:
            params = extract_parameters(hashed)
        except InvalidHashError:
            warnings.append(f"the {role} password hash cannot be read as Argon2id")
            continue
        if params.memory_cost < OWASP_MIN_MEMORY_KIB or params.time_cost < OWASP_MIN_TIME:
            warnings.append(
                f"the {role} password hash is weaker than OWASP's Argon2id minimum (m={params.memory_cost // 1024} MiB, "
                f"t={params.time_cost}; at least m=19 MiB, t=2): make a new one with `python -m survey hash-password`"
            )
    return warnings


def allows(role: str | None, needed: str) -> bool:
    """A facilitator may do everything a leader may."""
    return RANK.get(role or "respondent", 0) >= RANK[needed]


def client_key(ip_address: str | None, session: str) -> str:
    """Whose failed sign-ins count together: the client's IP address when the server sees one, else the browser session.

    The address is the TCP peer (behind a reverse proxy on the same host, the address the proxy passes
    on): opening another tab or session does not escape it. Streamlit reports no address for a client
    on the server itself (localhost), so there the session is all there is to tell clients apart.
    """
    return f"ip:{ip_address}" if ip_address else f"session:{session}"


@dataclass(frozen=True)
class Verdict:
    """What one sign-in attempt came to: a role, or nothing and why (wait_s > 0: this client must wait; busy: try again)."""

    role: str | None = None
    wait_s: float = 0.0
    busy: bool = False


@dataclass
class _Client:
    failures: int = 0
    not_before: float = 0.0


def _back_off(failures: int) -> float:
    """Seconds to wait after `failures` failed tries: none for the first FREE_TRIES - 1, then 1, 2, 4 ... capped at 60."""
    return 0.0 if failures < FREE_TRIES else min(MAX_WAIT_S, 2.0 ** (failures - FREE_TRIES))


class Throttle:
    """Sign-in for the whole server: a back-off per client, a bound on hash checks at once, and a global slow-down.

    - Per client (`client_key`): failed tries slow that client only, doubling from 1 s after three
      failures up to 60 s. A guesser elsewhere never makes the owner wait: a global back-off let one
      wrong guess a minute lock the real leader out.
    - Atomic: a try is counted as a failure *before* its hash is checked, under one lock, and
      refunded on success. Checking and counting separately let 80 tries arriving together all be
      checked, since none had failed yet when the others looked.
    - At most MAX_CHECKS_AT_ONCE Argon2 checks run at once (64 MiB each); a try that finds no free
      slot within SLOT_WAIT_S is told the server is busy, counts for nothing and costs no memory.
      80 checks at once took the server from 290 MB to 4.5 GB.
    - Globally, past GLOBAL_FREE_FAILURES failures a minute (many clients guessing), each failed
      check keeps its slot PENALTY_S longer: guessing from many addresses is slowed for everyone,
      but no one is ever refused by it, so the owner's right password still gets in.
    """

    def __init__(
        self,
        *,
        slots: int = MAX_CHECKS_AT_ONCE,
        slot_wait_s: float = SLOT_WAIT_S,
        global_free_failures: int = GLOBAL_FREE_FAILURES,
        penalty_s: float = PENALTY_S,
        hasher: PasswordHasher = HASHER,
    ) -> None:
        self.hasher = hasher
        self.slot_wait_s = slot_wait_s
        self.global_free_failures = global_free_failures
        self.penalty_s = penalty_s
        self._slots = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        self._recent_failures: deque[float] = deque()

    def failures(self, client: str) -> int:
        with self._lock:
            found = self._clients.get(client)
            return found.failures if found else 0

    def wait_seconds(self, client: str, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        with self._lock:
            found = self._clients.get(client)
            return max(0.0, found.not_before - now) if found else 0.0

    def record(self, ok: bool, client: str, now: float | None = None) -> None:
        """Count one finished try of `client` (what `check` does around a hash check, without one)."""
        now = time.monotonic() if now is None else now
        if self._reserve(client, now) == 0.0:
            self._settle(client, ok, now)

    def _entry(self, client: str) -> _Client:
        found = self._clients.get(client)
        if found is None:
            found = self._clients[client] = _Client()
            while len(self._clients) > MAX_CLIENTS:  # a flood of new addresses cannot grow the table without bound
                self._clients.popitem(last=False)
        self._clients.move_to_end(client)
        return found

    def _reserve(self, client: str, now: float) -> float:
        """0.0 and the try counted as failed, or the seconds this client must still wait (nothing counted)."""
        with self._lock:
            entry = self._entry(client)
            if entry.not_before > now:
                return entry.not_before - now
            entry.failures += 1
            if entry.failures >= FREE_TRIES:
                entry.not_before = now + _back_off(entry.failures)
            return 0.0

    def _refund(self, client: str, now: float) -> None:
        """A try that was never checked (no free slot) is not held against the client."""
        with self._lock:
            entry = self._entry(client)
            entry.failures = max(0, entry.failures - 1)
            entry.not_before = now + _back_off(entry.failures) if entry.failures >= FREE_TRIES else 0.0

    def _settle(self, client: str, ok: bool, now: float) -> None:
        with self._lock:
            if ok:
                self._clients.pop(client, None)
                return
            self._recent_failures.append(now)
            while self._recent_failures and self._recent_failures[0] < now - GLOBAL_WINDOW_S:
                self._recent_failures.popleft()

    def _under_attack(self) -> bool:
        with self._lock:
            return len(self._recent_failures) > self.global_free_failures

    def check(self, password: str, hashes: Mapping[str, str], client: str) -> Verdict:
        """Try `password` against the configured roles for `client`; the strongest matching role, or why not."""
        return self.attempt(client, lambda: self._verify(password, hashes))

    def attempt(self, client: str, verify: Callable[[], str | None]) -> Verdict:
        """One guarded password check for `client`: counted first, within a free slot, slowed under attack.

        `verify` runs the hash check and names what it unlocks (None: wrong); every password this server
        checks (sign-in, the row-level grant) goes through here, so one bound and one back-off cover all.
        """
        wait = self._reserve(client, time.monotonic())
        if wait > 0:
            return Verdict(wait_s=wait)
        if not self._slots.acquire(timeout=self.slot_wait_s):
            self._refund(client, time.monotonic())
            return Verdict(busy=True)
        try:
            role = verify()
            if role is None and self._under_attack():
                time.sleep(self.penalty_s)  # holding the slot: fewer checks a second for all guessers together
        finally:
            self._slots.release()
        self._settle(client, role is not None, time.monotonic())
        return Verdict(role=role)

    def _verify(self, password: str, hashes: Mapping[str, str]) -> str | None:
        for role in reversed(ROLES):
            stored = hashes.get(role)
            if not stored:
                continue
            try:
                if self.hasher.verify(stored, password):
                    return role
            except (VerificationError, InvalidHashError):
                continue
        return None


def sign_in(password: str, hashes: Mapping[str, str], throttle: Throttle, client: str = "local") -> str | None:
    """The strongest role whose hash matches, or None (wrong, this client must wait, or the server is busy)."""
    return throttle.check(password, hashes, client).role


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
