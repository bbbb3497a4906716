"""Group commit: submissions arriving while one is written are written together, and one bad one sinks none of the rest."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import duckdb
import pytest

from survey.campaigns import create_campaign
from survey.instrument import Instrument
from survey.invites import InviteUsed, create_invites, invite_status, redeem
from survey.responses import Submission, sample_submission, writer_for
from survey.store import Database
from survey.writer import SubmissionWriter


class Refused(Exception):
    """What a test claim raises: the stand-in for an invite someone else already used."""


@pytest.fixture
def shared(db: Database, instrument: Instrument) -> Database:
    with db.cursor() as con:
        create_campaign(con, "C1", instrument, campaign_id="c1")
    return db


def _sub(instrument: Instrument, key: str | None) -> Submission:
    base = sample_submission(instrument, "c1")
    return Submission(base.campaign_id, 1, base.language, base.attributes, base.answers, base.comments, base.losses, submission_key=key)


def _queued(count: int, work: Callable[[int], object], *writers: SubmissionWriter) -> tuple[dict[int, object], Callable[[], None]]:
    """Start `count` submitters while the `writers` are held, so they all queue; returns their outcomes and a release."""
    outcomes: dict[int, object] = {}

    def body(n: int) -> None:
        try:
            outcomes[n] = work(n)
        except Exception as exc:  # the outcome under test
            outcomes[n] = exc

    holding = ExitStack()
    for writer in writers:
        holding.enter_context(writer.held())
    threads = [threading.Thread(target=body, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while sum(w.waiting for w in writers) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sum(w.waiting for w in writers) == count, "the writers never queued"

    def release() -> None:
        holding.close()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads), "a writer hung"

    return outcomes, release


@pytest.fixture
def cursors(shared: Database) -> Iterator[Callable[[], duckdb.DuckDBPyConnection]]:
    """Each writer thread its own cursor on the shared connection, as each Streamlit session has."""
    opened: list[object] = []

    def open_one() -> duckdb.DuckDBPyConnection:
        ctx = shared.cursor()
        opened.append(ctx)
        return ctx.__enter__()

    yield open_one
    for ctx in opened:
        ctx.__exit__(None, None, None)


def test_queued_submissions_are_written_in_one_transaction(shared: Database, instrument: Instrument, cursors) -> None:
    transactions: list[int] = []

    def claim(con: duckdb.DuckDBPyConnection) -> None:
        transactions.append(con.execute("SELECT txid_current()").fetchone()[0])

    outcomes, release = _queued(12, lambda n: shared.writer.store(cursors(), instrument, _sub(instrument, f"k{n}"), claim), shared.writer)
    release()
    assert all(isinstance(v, str) for v in outcomes.values()), outcomes
    assert len(set(outcomes.values())) == 12
    assert len(transactions) == 12 and len(set(transactions)) == 1
    with shared.cursor() as con:
        stored = dict(con.execute("SELECT submission_key, response_id FROM responses").fetchall())
        assert con.execute("SELECT count(*) FROM answers").fetchone()[0] == 12 * len(instrument.items)
    assert stored == {f"k{n}": rid for n, rid in outcomes.items()}


def test_one_refused_claim_in_a_batch_fails_only_its_own_submission(shared: Database, instrument: Instrument, cursors) -> None:
    def claim_for(n: int) -> Callable[[duckdb.DuckDBPyConnection], None]:
        def claim(con: duckdb.DuckDBPyConnection) -> None:
            if n == 3:
                raise Refused(f"writer {n}")

        return claim

    outcomes, release = _queued(
        6, lambda n: shared.writer.store(cursors(), instrument, _sub(instrument, f"k{n}"), claim_for(n)), shared.writer
    )
    release()
    assert isinstance(outcomes[3], Refused)
    assert all(isinstance(outcomes[n], str) for n in range(6) if n != 3)
    with shared.cursor() as con:
        keys = {k for (k,) in con.execute("SELECT submission_key FROM responses").fetchall()}
    assert keys == {f"k{n}" for n in range(6) if n != 3}


def test_a_batch_failing_its_checks_names_the_bad_submission_and_stores_the_rest(shared: Database, instrument: Instrument, cursors) -> None:
    bad = _sub(instrument, "bad")
    bad = Submission(bad.campaign_id, 1, bad.language, {**bad.attributes, "level": "emperor"}, bad.answers, submission_key="bad")

    outcomes, release = _queued(
        4, lambda n: shared.writer.store(cursors(), instrument, bad if n == 0 else _sub(instrument, f"k{n}")), shared.writer
    )
    release()
    assert isinstance(outcomes[0], ValueError) and "emperor" in str(outcomes[0])
    assert all(isinstance(outcomes[n], str) for n in (1, 2, 3))
    with shared.cursor() as con:
        assert con.execute("SELECT count(*) FROM responses").fetchone()[0] == 3


def test_double_click_inside_one_batch_stores_once(shared: Database, instrument: Instrument, cursors) -> None:
    outcomes, release = _queued(
        5, lambda n: shared.writer.store(cursors(), instrument, _sub(instrument, "same" if n < 3 else f"k{n}")), shared.writer
    )
    release()
    assert outcomes[0] == outcomes[1] == outcomes[2]
    assert len({outcomes[0], outcomes[3], outcomes[4]}) == 3
    with shared.cursor() as con:
        assert con.execute("SELECT count(*) FROM responses").fetchone()[0] == 3


def test_two_sessions_racing_for_one_invite_in_one_batch(shared: Database, instrument: Instrument, cursors) -> None:
    with shared.cursor() as con:
        (token,) = create_invites(con, "c1", 1)
    outcomes, release = _queued(2, lambda n: redeem(cursors(), token, _sub(instrument, f"session{n}"), shared.writer), shared.writer)
    release()
    won = [v for v in outcomes.values() if isinstance(v, str)]
    lost = [v for v in outcomes.values() if isinstance(v, InviteUsed)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    with shared.cursor() as con:
        assert con.execute("SELECT count(*) FROM responses").fetchone()[0] == 1
        assert invite_status(con, token) == "used"


def test_in_memory_databases_are_never_grouped_with_each_other(instrument: Instrument) -> None:
    from survey.store import migrate

    first, second = duckdb.connect(":memory:"), duckdb.connect(":memory:")
    for con in (first, second):
        migrate(con)
        create_campaign(con, "C1", instrument, campaign_id="c1")
    writers = writer_for(first), writer_for(second)
    assert writers[0] is not writers[1]
    outcomes, release = _queued(2, lambda n: writers[n].store((first, second)[n], instrument, _sub(instrument, f"k{n}")), *writers)
    release()
    assert all(isinstance(v, str) for v in outcomes.values())
    assert [c.execute("SELECT submission_key FROM responses").fetchall() for c in (first, second)] == [[("k0",)], [("k1",)]]


def test_only_submissions_arriving_together_make_the_writer_gather(shared: Database, instrument: Instrument, cursors) -> None:
    """The writer waits for more only right after a batch of several; one submitter at a time is written at once."""
    outcomes, release = _queued(3, lambda n: shared.writer.store(cursors(), instrument, _sub(instrument, f"k{n}")), shared.writer)
    release()
    assert shared.writer.last_batch.size == 3
    con = cursors()
    for n in range(3, 6):
        shared.writer.store(con, instrument, _sub(instrument, f"k{n}"))
        assert shared.writer.last_batch.size == 1
    assert con.execute("SELECT count(*) FROM responses").fetchone()[0] == 6


@pytest.mark.file_only
def test_every_handle_on_one_file_writes_through_one_writer(shared: Database, instrument: Instrument, cursors) -> None:
    """One writer per file: a second handle, or a caller holding only a connection, queues in the same batch."""
    other = Database(shared.path, linger_s=0, wait_s=5)
    assert other.writer is shared.writer and writer_for(cursors()) is shared.writer
    assert Database(":memory:").writer is not Database(":memory:").writer
