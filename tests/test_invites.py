"""Invites: one submission per token even under a race, drafts to resume, no token in clear anywhere, printable codes."""

from __future__ import annotations

import base64
import csv
import io
import threading
from pathlib import Path

import duckdb
import pytest
import segno
from PIL import Image

from survey.campaigns import create_campaign, set_status, start_wave
from survey.instrument import Instrument
from survey.invites import (
    CLOSED,
    MAX_DRAFT_BYTES,
    UNKNOWN,
    USED,
    VALID,
    InviteError,
    InviteUsed,
    create_invites,
    hash_token,
    invite_campaign,
    invite_counts,
    invite_sheet,
    invite_status,
    load_draft,
    new_submission_key,
    open_link_poster,
    redeem,
    save_draft,
    survey_link,
    token_from_query,
    write_invites,
)
from survey.responses import Submission, SubmissionError
from survey.store import Database

MARKER = "Comment-marker-that-must-be-findable-in-the-file"


@pytest.fixture
def campaign(con: duckdb.DuckDBPyConnection, instrument: Instrument) -> str:
    return create_campaign(con, "Plant survey", instrument, campaign_id="plant").campaign_id


def answers(campaign_id: str = "plant", level: str = "shop_floor", key: str | None = None, comment: str = "") -> Submission:
    return Submission(
        campaign_id=campaign_id,
        wave=1,
        language="nl",
        attributes={"level": level, "function": "production", "site": "venlo"},
        answers={"STR1": 2, "STR2": None, "OPS1": 4},
        comments={"strategy": comment} if comment else {},
        losses=["unplanned_downtime"],
        submission_key=key,
    )


def test_tokens_are_long_random_and_distinct(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    tokens = create_invites(con, campaign, 200)
    assert len(set(tokens)) == 200
    for token in tokens:
        assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) * 8 >= 128
        assert invite_status(con, token) == VALID
    assert invite_counts(con, campaign) == (200, 0)


def test_only_hashes_are_stored(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    tokens = create_invites(con, campaign, 5)
    stored = {h for (h,) in con.execute("SELECT token_hash FROM invites").fetchall()}
    assert stored == {hash_token(t) for t in tokens}
    assert not stored & set(tokens)


def test_a_link_submits_once(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    (token,) = create_invites(con, campaign, 1)
    response_id = redeem(con, token, answers())
    assert invite_status(con, token) == USED
    with pytest.raises(InviteUsed) as caught:
        redeem(con, token, answers(level="board"))
    assert caught.value.status == USED and "already been used" in str(caught.value)
    assert con.execute("SELECT response_id, source, wave FROM responses").fetchall() == [(response_id, "invite", 1)]
    assert invite_counts(con, campaign) == (1, 1)


def test_retry_with_the_same_submission_key_returns_the_same_response(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    (token,) = create_invites(con, campaign, 1)
    key = new_submission_key()
    first = redeem(con, token, answers(key=key))
    assert redeem(con, token, answers(key=key)) == first
    with pytest.raises(InviteUsed):
        redeem(con, token, answers(key=new_submission_key()))
    assert con.execute("SELECT count(*) FROM responses").fetchone()[0] == 1


def test_invalid_answers_do_not_use_up_the_link(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    (token,) = create_invites(con, campaign, 1)
    bad = answers(level="emperor")
    with pytest.raises(SubmissionError) as caught:
        redeem(con, token, bad)
    assert caught.value.problems == [
        "level: 'emperor' is not one of ['board', 'senior_management', 'middle_management', 'supervisor', 'shop_floor', 'specialist']"
    ]
    assert invite_status(con, token) == VALID and con.execute("SELECT count(*) FROM responses").fetchone()[0] == 0
    redeem(con, token, answers())
    assert invite_status(con, token) == USED


def test_unknown_malformed_and_closed_links(con: duckdb.DuckDBPyConnection, campaign: str, instrument: Instrument) -> None:
    (token,) = create_invites(con, campaign, 1)
    for bad in [
        "",
        "x",
        "a" * 32,
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        "../../etc/passwd",
        token + "'; DROP TABLE invites; --",
    ]:
        assert invite_status(con, bad) == UNKNOWN
        with pytest.raises(InviteError) as caught:
            redeem(con, bad, answers())
        assert caught.value.status == UNKNOWN
    with pytest.raises(InviteError) as caught:
        redeem(con, token, answers(campaign_id="elsewhere"))
    assert "another campaign" in str(caught.value)
    assert invite_campaign(con, token) == ("plant", 1)
    set_status(con, campaign, "closed")
    assert invite_status(con, token) == CLOSED and invite_campaign(con, token) is None
    with pytest.raises(InviteError) as caught:
        redeem(con, token, answers())
    assert caught.value.status == CLOSED
    set_status(con, campaign, "open")
    start_wave(con, campaign, "Follow-up")
    assert invite_status(con, token) == CLOSED  # an invite belongs to its wave
    (fresh,) = create_invites(con, campaign, 1)
    assert invite_campaign(con, fresh) == ("plant", 2)
    assert redeem(con, fresh, answers()) and con.execute("SELECT wave FROM responses").fetchall() == [(2,)]
    assert con.execute("SELECT count(*) FROM invites").fetchone()[0] == 2


def _race(db: Database, token: str, threads: int) -> list[str]:
    """`threads` sessions submit with the same token at the same moment; each returns a response id or 'used'."""
    barrier = threading.Barrier(threads)
    results: list[str] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        with db.cursor() as cur:
            barrier.wait()
            try:
                outcome = redeem(cur, token, answers(key=f"{token[:6]}-{n}", level=["board", "shop_floor"][n % 2]))
            except InviteUsed:
                outcome = "used"
            with lock:
                results.append(outcome)

    workers = [threading.Thread(target=attempt, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    return results


@pytest.mark.parametrize("threads", [2, 8])
def test_race_on_one_token_submits_exactly_once(db: Database, campaign: str, threads: int) -> None:
    with db.cursor() as con:
        tokens = create_invites(con, campaign, 5)
    for token in tokens:
        results = _race(db, token, threads)
        assert len(results) == threads
        assert results.count("used") == threads - 1, results
    with db.cursor() as con:
        assert con.execute("SELECT count(*) FROM responses").fetchone()[0] == 5
        assert con.execute("SELECT count(*) FROM answers").fetchone()[0] == 5 * 30
        assert invite_counts(con, campaign) == (5, 5)


def test_draft_save_and_resume(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    (token, other) = create_invites(con, campaign, 2)
    assert load_draft(con, token) is None
    first = {"attributes": {"level": "shop_floor"}, "answers": {"STR1": 4, "STR2": "dk"}, "comments": {"strategy": "Geëvalueerd?"}}
    save_draft(con, token, first)
    assert load_draft(con, token) == first
    second = {**first, "answers": {"STR1": 5}, "losses": ["unplanned_downtime"]}
    save_draft(con, token, second)
    assert load_draft(con, token) == second
    assert load_draft(con, other) is None
    redeem(con, token, answers())
    assert load_draft(con, token) is None
    assert con.execute("SELECT draft FROM invites WHERE token_hash = ?", [hash_token(token)]).fetchone() == (None,)
    with pytest.raises(InviteUsed):
        save_draft(con, token, first)


def test_two_windows_saving_one_link_at_once_never_fail(db: Database, campaign: str) -> None:
    """Two tabs on one invite: DuckDB refused the second writer ("Conflict on update") and the page showed a traceback."""
    with db.cursor() as con:
        (token,) = create_invites(con, campaign, 1)
    start = threading.Barrier(2)
    failures: list[str] = []
    saved: list[bool] = []

    def window(n: int) -> None:
        start.wait()
        for i in range(150):
            try:
                with db.cursor() as con:
                    saved.append(save_draft(con, token, {"window": n, "i": i, "answers": {"STR1": 1 + n}}))
            except Exception as exc:  # what the old code raised into the page
                failures.append(f"{type(exc).__name__}: {exc}")

    workers = [threading.Thread(target=window, args=(n,)) for n in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert failures == []
    assert len(saved) == 300
    with db.cursor() as con:
        kept = load_draft(con, token)
    assert kept is not None and kept["window"] in (0, 1)  # the last write of one window: a whole draft, never a mix


def test_submitting_while_another_window_saves_its_draft_stores_the_answers(db: Database, campaign: str) -> None:
    """The draft save of a second window made the submitting window's claim conflict, and it was told the link was used:
    its answers were not stored and the link was still unused."""
    with db.cursor() as con:
        tokens = create_invites(con, campaign, 20)
    refused = []
    for token in tokens:
        stop = threading.Event()

        def other_window(token: str = token, stop: threading.Event = stop) -> None:
            while not stop.is_set():
                try:
                    with db.cursor() as con:
                        save_draft(con, token, {"answers": {"STR1": 3}})
                except InviteUsed:
                    return
                stop.wait(0.001)

        saver = threading.Thread(target=other_window)
        saver.start()
        try:
            with db.cursor() as con:
                redeem(con, token, answers(key=new_submission_key()))
        except InviteError as exc:
            refused.append(str(exc))
        finally:
            stop.set()
            saver.join(timeout=60)
    assert refused == []
    with db.cursor() as con:
        assert con.execute("SELECT count(*) FROM responses").fetchone()[0] == 20
        assert invite_counts(con, campaign) == (20, 20)


def test_a_used_invite_keeps_nothing_that_joins_it_to_its_response(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    """Finding 4 of issue 12: whoever holds the list of links hashes one, finds its invite and matched its use date to the
    responses of that day. Now a used invite differs from an unused one of its batch only in being used: no date, no draft."""
    assert invite_counts(con, campaign) == (0, 0)
    used, unused = create_invites(con, campaign, 2)
    save_draft(con, used, {"answers": {"STR1": 4}, "comments": {"strategy": "half-way"}})
    redeem(con, used, answers())
    columns = [
        c
        for (c,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'invites' ORDER BY ordinal_position"
        ).fetchall()
    ]
    rows = {
        row[columns.index("token_hash")]: dict(zip(columns, row, strict=True)) for row in con.execute("SELECT * FROM invites").fetchall()
    }
    spent, fresh = rows[hash_token(used)], rows[hash_token(unused)]
    differing = {c for c in columns if spent[c] != fresh[c]}
    assert differing == {"token_hash", "used"}, differing
    assert spent["draft"] is None and spent["used"] is True
    dated = {
        c
        for (c, t) in con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'invites' ORDER BY ordinal_position"
        ).fetchall()
        if t.upper().split(" ")[0] in ("DATE", "TIMESTAMP")  # PostgreSQL spells them in lower case
    }
    assert dated == {"created_on"}  # the day the batch was made, the same for every invite in it


def test_invites_of_an_older_database_lose_their_use_dates_and_leftover_drafts(tmp_path: Path) -> None:
    from survey.store import MIGRATIONS, MIGRATIONS_TABLE_SQL

    path = tmp_path / "schema2.duckdb"
    old = duckdb.connect(str(path))
    old.execute(MIGRATIONS_TABLE_SQL)
    for version, name, sql in MIGRATIONS[:2]:
        old.execute(sql)
        old.execute("INSERT INTO schema_migrations VALUES (?, ?, current_timestamp)", [version, name])
    old.execute(
        "INSERT INTO invites VALUES ('a', 'plant', 1, DATE '2030-01-02', DATE '2030-01-09', '{\"step\": 3}'), "
        "('b', 'plant', 1, DATE '2030-01-02', NULL, '{\"step\": 1}')"
    )
    old.close()
    database = Database(path, linger_s=0)
    with database.cursor() as con:
        assert con.execute("SELECT token_hash, created_on::VARCHAR, used, draft FROM invites ORDER BY 1").fetchall() == [
            ("a", "2030-01-02", True, None),
            ("b", "2030-01-02", False, '{"step": 1}'),
        ]
    database.close()


def test_draft_limits(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    (token,) = create_invites(con, campaign, 1)
    with pytest.raises(ValueError, match="larger than 64 KB"):
        save_draft(con, token, {"comments": {"strategy": "x" * MAX_DRAFT_BYTES}})
    with pytest.raises(InviteError):
        save_draft(con, "not-a-token-at-all-but-long-enough", {"a": 1})
    with pytest.raises(ValueError, match="must be a dict"):
        save_draft(con, token, ["not", "a", "dict"])  # type: ignore[arg-type]


def test_token_is_never_stored_in_clear(db: Database, db_path: Path, instrument: Instrument) -> None:
    with db.cursor() as con:
        campaign = create_campaign(con, "Plant survey", instrument, campaign_id="plant").campaign_id
        tokens = create_invites(con, campaign, 3)
        save_draft(con, tokens[0], {"answers": {"STR1": 3}})
        redeem(con, tokens[0], answers(comment=MARKER))
        save_draft(con, tokens[1], {"answers": {"STR1": 1}})
        tables = [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()]
        response_columns = {
            c for (c,) in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'responses'").fetchall()
        }
        assert not any("token" in c or "invite" in c for c in response_columns)
        hashes = {hash_token(t) for t in tokens}
        for table in tables:
            text = con.execute(f"SELECT string_agg(CAST(COLUMNS(*) AS VARCHAR), '|') FROM {table}").fetchall()
            flat = "|".join(str(v) for row in text for v in row)
            for token in tokens:
                assert token not in flat, f"token in clear in table {table}"
            if table != "invites":
                assert not any(h in flat for h in hashes), f"token hash outside the invites table: {table}"
        uncheckpointed = db_path.with_name(db_path.name + ".wal")
        raw_wal = uncheckpointed.read_bytes() if uncheckpointed.exists() else b""
        con.execute("CHECKPOINT")
    db.close()
    raw = db_path.read_bytes() + raw_wal
    assert MARKER.encode() in raw, "the byte search must be able to find a stored text, or it proves nothing"
    for token in tokens:
        assert token.encode() not in raw and token.encode("utf-16-le") not in raw


def test_links_and_query_parsing() -> None:
    assert survey_link("https://scan.example.org/", invite="abc") == "https://scan.example.org/survey?invite=abc"
    assert survey_link(campaign_id="plant 2") == "http://localhost:8501/survey?c=plant+2"
    assert survey_link("http://t:8501", campaign_id="p", kiosk=True) == "http://t:8501/survey?c=p&kiosk=1"
    token = "A" * 32
    assert token_from_query(token) == token and token_from_query([token]) == token and token_from_query(f"  {token} ") == token
    for bad in [None, "", "short", "A" * 65, ["a", "b"], 12, "<script>alert(1)</script>", "A" * 31 + "%"]:
        assert token_from_query(bad) is None
    assert new_submission_key() != new_submission_key()


def _modules(png: Path | Image.Image, size: int, border: int = 4) -> list[list[bool]]:
    """Read a QR PNG back into its module grid (dark = True)."""
    image = (Image.open(png) if isinstance(png, Path) else png).convert("L")
    scale = image.width // (size + 2 * border)
    return [
        [image.getpixel(((x + border) * scale + scale // 2, (y + border) * scale + scale // 2)) < 128 for x in range(size)]
        for y in range(size)
    ]


def test_write_invites_csv_qr_codes_and_sheet(con: duckdb.DuckDBPyConnection, campaign: str, tmp_path: Path) -> None:
    batch = write_invites(con, campaign, 14, tmp_path / "out", base_url="https://scan.example.org")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "invites.csv").read_text(encoding="utf-8"))))
    assert [r["number"] for r in rows] == [str(n) for n in range(1, 15)]
    assert [r["link"] for r in rows] == list(batch.links)
    for row in rows:
        assert row["link"].startswith("https://scan.example.org/survey?invite=") and row["campaign"] == "plant" and row["wave"] == "1"
        assert invite_status(con, token_from_query(row["link"].split("invite=")[1]) or "") == VALID
    assert [p.name for p in batch.qr_paths] == [f"invite-{n:04d}.png" for n in range(1, 15)]
    for link, path in zip(batch.links, batch.qr_paths, strict=True):
        code = segno.make(link, error="m")
        size = code.symbol_size(border=0)[0]
        assert _modules(path, size) == [[bool(v) for v in row] for row in code.matrix]
    pdf = batch.sheet_path.read_bytes()
    assert batch.sheet_path.name == "invites-sheet.pdf" and pdf.startswith(b"%PDF")
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + pdf.count(b"/Type /Page/") == 2  # 12 codes a page


def test_sheet_and_poster_as_png(tmp_path: Path) -> None:
    links = [survey_link(invite=f"{n:032d}") for n in range(5)]
    sheet = invite_sheet(links, tmp_path / "sheet.png")
    with Image.open(sheet) as image:
        assert image.size == (2480, 3508)  # A4 at 300 dpi
    with pytest.raises(ValueError, match="one page"):
        invite_sheet(links * 3, tmp_path / "two-pages.png")
    with pytest.raises(ValueError, match="no links"):
        invite_sheet([], tmp_path / "none.pdf")
    for lang in ("en", "nl", "en+nl"):
        poster = open_link_poster("plant", "https://scan.example.org", tmp_path / f"poster-{lang}.png", lang)
        with Image.open(poster) as image:
            assert image.size == (2480, 3508)
    assert open_link_poster("plant", "https://scan.example.org", tmp_path / "poster.pdf").read_bytes().startswith(b"%PDF")
    with pytest.raises(ValueError, match="poster language"):
        open_link_poster("plant", "https://x", tmp_path / "p.png", "de")
    with pytest.raises(ValueError, match="unsupported format"):
        open_link_poster("plant", "https://x", tmp_path / "p.jpg", "en")


def test_poster_qr_holds_the_open_campaign_link(tmp_path: Path) -> None:
    poster = open_link_poster("plant", "https://scan.example.org", tmp_path / "poster.png", "en")
    link = survey_link("https://scan.example.org", campaign_id="plant")
    code = segno.make(link, error="m")
    size = code.symbol_size(border=0)[0]
    with Image.open(poster) as image:
        grey = image.convert("L")
        dark = [(x, y) for y in range(0, grey.height, 4) for x in range(0, grey.width, 4) if grey.getpixel((x, y)) < 128]
        # the code is the largest dark block: find its finder pattern's top-left corner on the middle band
        top = min(y for x, y in dark if abs(x - grey.width // 2) < grey.width // 4 and y > grey.height // 5)
        left = min(x for x, y in dark if abs(y - top) < 8)
        right = max(x for x, y in dark if abs(y - top) < 8)
        scale = round((right - left + 4) / size)
        crop = grey.crop((left - 4 * scale, top - 4 * scale, left + (size + 4) * scale, top + (size + 4) * scale))
    assert _modules(crop, size) == [[bool(v) for v in row] for row in code.matrix]


def test_create_invites_limits(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    with pytest.raises(ValueError, match="between 1 and"):
        create_invites(con, campaign, 0)
    with pytest.raises(ValueError, match="between 1 and"):
        create_invites(con, campaign, 10_001)
    with pytest.raises(ValueError, match="unknown campaign"):
        create_invites(con, "nope", 1)
