"""Many respondents at once through one shared Database: nothing lost, nothing counted twice, one link submits once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import duckdb
import pytest

from survey.campaigns import create_campaign
from survey.instrument import Instrument
from survey.invites import InviteUsed, create_invites, invite_status, redeem
from survey.responses import Submission, submit
from survey.store import Database

pytestmark = pytest.mark.slow  # many threads racing on one file

THREADS, PER_THREAD = 16, 25


def _sub(key: str, i: int = 0) -> Submission:
    levels = ("board", "senior_management", "middle_management", "supervisor", "shop_floor", "specialist")
    return Submission(
        "c1",
        1,
        "en" if i % 2 else "nl",
        {"level": levels[i % len(levels)], "function": "production", "site": "venlo"},
        {"STR1": 1 + i % 5, "OPS2": None, "ITO6": 5},
        {"strategy": f"comment {i}"} if i % 3 == 0 else {},
        ["unplanned_downtime"] if i % 2 else [],
        submission_key=key,
    )


@pytest.fixture
def shared(db: Database, instrument: Instrument) -> Database:
    with db.cursor() as con:
        create_campaign(con, "C1", instrument, campaign_id="c1")
    return db


def _run_threads(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """Start `count` threads at the same moment (a barrier) and collect every exception they raised."""
    errors: list[BaseException] = []
    gate = threading.Barrier(count)

    def body(n: int) -> None:
        try:
            gate.wait()
            work(n)
        except BaseException as exc:  # collected and asserted by the caller
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not any(t.is_alive() for t in threads), "a submitting thread hung"
    return errors


def _complete(con: duckdb.DuckDBPyConnection, instrument: Instrument) -> bool:
    """Every response has one answer row per item and one row per attribute, and no row is orphaned."""
    bad = con.execute(
        """
        SELECT count(*) FROM responses r
        LEFT JOIN (SELECT response_id, count(*) n FROM answers GROUP BY 1) a USING (response_id)
        LEFT JOIN (SELECT response_id, count(*) n FROM response_attributes GROUP BY 1) t USING (response_id)
        WHERE coalesce(a.n, 0) != ? OR coalesce(t.n, 0) != ?
        """,
        [len(instrument.items), len(instrument.attributes)],
    ).fetchone()[0]
    orphans = sum(
        con.execute(f"SELECT count(*) FROM {t} WHERE response_id NOT IN (SELECT response_id FROM responses)").fetchone()[0]
        for t in ("answers", "response_attributes", "comments", "value_choices")
    )
    return bad == 0 and orphans == 0


def test_many_threads_submitting_lose_nothing_and_count_nothing_twice(shared: Database, instrument: Instrument) -> None:
    ids: list[str] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        for k in range(PER_THREAD):
            with shared.cursor() as cur:
                rid = submit(cur, instrument, _sub(f"t{n}-{k}", n * PER_THREAD + k))
            with lock:
                ids.append(rid)

    errors = _run_threads(THREADS, work)
    assert not errors, errors[:3]
    total = THREADS * PER_THREAD
    assert len(ids) == len(set(ids)) == total
    with shared.cursor() as con:
        assert con.execute("SELECT count(*), count(DISTINCT submission_key) FROM responses").fetchone() == (total, total)
        assert {r[0] for r in con.execute("SELECT response_id FROM responses").fetchall()} == set(ids)
        assert con.execute("SELECT count(*) FROM answers").fetchone()[0] == total * len(instrument.items)
        assert con.execute("SELECT count(*) FROM value_choices").fetchone()[0] == total // 2
        assert con.execute("SELECT count(*) FROM comments").fetchone()[0] == sum(1 for i in range(total) if i % 3 == 0)
        levels = dict(con.execute("SELECT value, count(*) FROM response_attributes WHERE attribute = 'level' GROUP BY 1").fetchall())
        assert levels == dict(Counter(_sub("x", i).attributes["level"] for i in range(total)))
        assert _complete(con, instrument)


def test_many_keys_each_raced_by_several_sessions_store_once(shared: Database, instrument: Instrument) -> None:
    """Double clicks and retried requests everywhere at once: every key stored once, every caller gets its id."""
    keys, per_key = 12, 6
    got: dict[str, list[str]] = {f"key{k}": [] for k in range(keys)}
    lock = threading.Lock()

    def work(n: int) -> None:
        key = f"key{n % keys}"
        with shared.cursor() as cur:
            rid = submit(cur, instrument, _sub(key, n % keys))
        with lock:
            got[key].append(rid)

    errors = _run_threads(keys * per_key, work)
    assert not errors, errors[:3]
    assert all(len(ids) == per_key and len(set(ids)) == 1 for ids in got.values()), got
    with shared.cursor() as con:
        stored = dict(con.execute("SELECT submission_key, response_id FROM responses").fetchall())
        assert stored == {key: ids[0] for key, ids in got.items()}
        assert _complete(con, instrument)


@pytest.mark.parametrize("same_key", [False, True], ids=["different-sessions", "same-session-retrying"])
def test_one_invite_link_raced_submits_once(shared: Database, instrument: Instrument, same_key: bool) -> None:
    """A personal link opened on two phones (or one phone sending twice) at the same moment stores one response."""
    with shared.cursor() as con:
        [token] = create_invites(con, "c1", 1)
    winners: list[str] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        key = "the-session" if same_key else f"session-{n}"
        try:
            with shared.cursor() as cur:
                rid = redeem(cur, token, _sub(key, n))
        except InviteUsed:
            return
        with lock:
            winners.append(rid)

    errors = _run_threads(16, work)
    assert not errors, errors[:3]
    if same_key:
        assert len(winners) >= 1 and len(set(winners)) == 1  # retries of the winner get its id back
    else:
        assert len(winners) == 1
    with shared.cursor() as con:
        assert con.execute("SELECT count(*), any_value(source) FROM responses").fetchone() == (1, "invite")
        assert con.execute("SELECT response_id FROM responses").fetchone()[0] == winners[0]
        assert invite_status(con, token) == "used"
        assert _complete(con, instrument)


def test_many_invite_links_raced_at_once(shared: Database, instrument: Instrument) -> None:
    links, per_link = 8, 4
    with shared.cursor() as con:
        tokens = create_invites(con, "c1", links)
    won: Counter[int] = Counter()
    lock = threading.Lock()

    def work(n: int) -> None:
        try:
            with shared.cursor() as cur:
                redeem(cur, tokens[n % links], _sub(f"s{n}", n))
        except InviteUsed:
            return
        with lock:
            won[n % links] += 1

    errors = _run_threads(links * per_link, work)
    assert not errors, errors[:3]
    assert won == Counter(range(links))
    with shared.cursor() as con:
        assert con.execute("SELECT count(*) FROM responses").fetchone()[0] == links
        assert con.execute("SELECT count(*) FROM invites WHERE used").fetchone()[0] == links
        assert _complete(con, instrument)
