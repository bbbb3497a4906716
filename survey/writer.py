"""Group commit: one writer per database gathers the submissions that arrive together and stores them in one transaction."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from survey.instrument import Instrument

if TYPE_CHECKING:
    from survey.responses import Submission

# What a submission must take first, in the same transaction (an invite); raises when it cannot.
Claim = Callable[[Any], None]

# While respondents submit at the same time (the last batch, less than RUSH_S ago, held more than one), the writer
# first waits GATHER_S for more: at 16 submissions a second a batch then holds ~3-4 for the price of one. One
# submitter at a time (a person, a script, a test) never waits.
GATHER_S = 0.15
RUSH_S = 1.0


class Storage(Protocol):
    """Where a batch goes: the two steps that depend on the database, everything else in the writer does not."""

    def stored(self, con: Any, keys: Sequence[str]) -> dict[str, str]:
        """The response ids already stored under these submission keys."""
        ...

    def commit(self, con: Any, instrument: Instrument, subs: Sequence[Submission], claims: Sequence[Claim]) -> list[str]:
        """In one transaction: every claim, then every submission's rows; the new response ids, in order. Raises and writes nothing on any failure."""
        ...


class Batch(NamedTuple):
    """The writer's last batch: how many submissions it held and when (time.monotonic) it was written."""

    size: int
    at: float


@dataclass
class _Ticket:
    """One submission waiting to be written: its answers, what it must claim first (an invite) and, once written, its outcome."""

    instrument: Instrument
    sub: Submission
    claim: Claim | None
    response_id: str | None = None
    error: BaseException | None = None
    finished: bool = False

    def outcome(self) -> str:
        """The response id, or the exception writing it raised: handed over, not kept, so no reference cycle holds it."""
        error, self.error = self.error, None
        if error is not None:
            try:
                raise error
            finally:
                del error
        if self.response_id is None:
            raise RuntimeError("the submission was not written: the writer stopped")  # the writing thread was interrupted
        return self.response_id


class SubmissionWriter:
    """Writes the submissions of one database; those that arrive while it writes wait and are then written together.

    Checked by pandera as one frame and committed in one transaction: alone a submission costs ~27 ms of
    checking and inserting, nearly all of it per call rather than per row, and hundreds of respondents
    finishing at once queued behind each other for seconds. Waiting threads sleep on the lock and leave
    the GIL to the rest of the server. Submissions of different instruments are never in one batch.
    """

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.last_batch = Batch(0, float("-inf"))
        self._writing = threading.Lock()
        self._pending_lock = threading.Lock()
        self._pending: list[_Ticket] = []

    def store(self, con: Any, instrument: Instrument, sub: Submission, claim: Claim | None = None) -> str:
        """Write one checked submission, after its `claim` in the same transaction; returns its response id.

        Raises what writing it alone would raise (ValueError from the pandera checks, what `claim` raises,
        the database's errors): a batch that fails is written again one by one. Submissions sharing a
        submission key share one response. `con` is the caller's connection; whichever caller finds the
        writer free writes the whole batch with its own.
        """
        ticket = _Ticket(instrument, sub, claim)
        with self._pending_lock:
            self._pending.append(ticket)
        with self._writing:
            if not ticket.finished:
                if self.last_batch.size > 1 and time.monotonic() - self.last_batch.at < RUSH_S:
                    time.sleep(GATHER_S)
                group = instrument.fingerprint
                with self._pending_lock:
                    batch = [t for t in self._pending if t.instrument.fingerprint == group]
                    self._pending[:] = [t for t in self._pending if t.instrument.fingerprint != group]
                self._write(con, batch)
                self.last_batch = Batch(len(batch), time.monotonic())
        return ticket.outcome()

    @property
    def waiting(self) -> int:
        """How many submissions are queued for the next batch."""
        with self._pending_lock:
            return len(self._pending)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Nothing is written inside the block; submissions arriving meanwhile queue and are written together after it."""
        with self._writing:
            yield

    def _write(self, con: Any, batch: list[_Ticket]) -> None:
        """Write a batch in one transaction; if anything in it fails, write each alone so only the culprit gets the error."""
        try:
            self._write_together(con, batch)
        except Exception as exc:
            if len(batch) > 1:
                for ticket in batch:
                    self._write(con, [ticket])
            else:
                batch[0].response_id, batch[0].error = None, exc
        finally:
            for ticket in batch:
                ticket.finished = True

    def _write_together(self, con: Any, batch: list[_Ticket]) -> None:
        keys = [t.sub.submission_key for t in batch if t.sub.submission_key]
        known = self.storage.stored(con, keys) if keys else {}
        seen: dict[str, _Ticket] = {}
        fresh: list[_Ticket] = []
        copies: list[tuple[_Ticket, _Ticket]] = []
        for ticket in batch:
            key = ticket.sub.submission_key
            if key in known:
                ticket.response_id = known[key]
            elif key in seen:
                copies.append((ticket, seen[key]))  # a double click or a retry arriving while the first waits
            else:
                if key:
                    seen[key] = ticket
                fresh.append(ticket)
        if fresh:
            claims = [t.claim for t in fresh if t.claim is not None]
            ids = self.storage.commit(con, fresh[0].instrument, [t.sub for t in fresh], claims)
            for ticket, response_id in zip(fresh, ids, strict=True):
                ticket.response_id = response_id
        for ticket, original in copies:
            ticket.response_id = original.response_id
