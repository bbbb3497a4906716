"""Publication rules: what leadership publishes is recorded and audited, and the public board and poster show nothing else.

The public board (`analysis.public`) is what the "you said, we did" page, the A4 poster and the kiosk read:
published actions only (no € hypothesis), published dimensions only, each number one the dashboard shows
(at or above the threshold), never a comment, never a statement, never an unpublished result.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest

from analysis import engine
from analysis.export.poster import poster_html
from analysis.public import public_board, public_link
from analysis.scope import Scope
from survey.actions import action_from, add_action, set_published
from survey.backup import backup, restore
from survey.demo import load_demo
from survey.publication import PublicationError, latest_published_wave, publish, published
from survey.retention import delete_campaign
from survey.store import Database, recent_audit

PUBLIC_TITLE = "Monthly shop-floor review of the digital roadmap"
SECRET_TITLE = "Close the Venlo night shift"
LINK = "http://127.0.0.1:8501/you_said_we_did?c=demo"


def add_actions(con: duckdb.DuckDBPyConnection, campaign_id: str = "demo") -> None:
    """One published action with a € hypothesis, one unpublished: what every publication test starts from."""
    for title, published_, eur in ((PUBLIC_TITLE, True, 250_000.0), (SECRET_TITLE, False, 1_234_567.0)):
        action = action_from(
            {"kind": "dimension", "id": "strategy", "a": "level=board", "b": "level=shop_floor"},
            title=title,
            owner="Plant management",
            due_on=dt.date(2027, 3, 31),
            eur_per_year=eur,
            kpi="OEE",
        )
        action_id = add_action(con, campaign_id, action, actor="tester")
        if published_:
            set_published(con, campaign_id, action_id, True, actor="tester")


@pytest.fixture
def small(con: duckdb.DuckDBPyConnection):
    """60 respondents in one wave: the board and senior management are below the threshold of 5 (on either backend)."""
    load_demo(con, 60, seed=7, waves=1)
    add_actions(con)
    return con


def test_publishing_replaces_the_waves_choice_and_is_audited(small: duckdb.DuckDBPyConnection) -> None:
    assert published(small, "demo", 1).empty and latest_published_wave(small, "demo") is None
    publish(small, "demo", 1, ["it_ot", "strategy"], "level", actor="leader")
    chosen = published(small, "demo", 1)
    assert chosen.dimensions == ("strategy", "it_ot") and chosen.breakdown == "level"  # questionnaire order
    entry = recent_audit(small, 1)[0]
    assert (entry.actor, entry.action) == ("leader", "publish results") and "strategy,it_ot" in entry.detail
    publish(small, "demo", 1, ["governance"], None, actor="leader")
    assert published(small, "demo", 1).dimensions == ("governance",) and published(small, "demo", 1).breakdown is None
    publish(small, "demo", 1, [], None, actor="leader")
    assert published(small, "demo", 1).empty and latest_published_wave(small, "demo") is None


@pytest.mark.parametrize(
    ("wave", "dimensions", "breakdown", "message"),
    [
        (9, ["strategy"], None, "no wave 9"),
        (1, ["strategy", "nonsense"], None, "unknown dimension(s): nonsense"),
        (1, ["strategy"], "shoe_size", "unknown attribute 'shoe_size'"),
    ],
)
def test_a_bad_choice_is_refused_and_changes_nothing(small: duckdb.DuckDBPyConnection, wave, dimensions, breakdown, message) -> None:
    publish(small, "demo", 1, ["leadership"], None, actor="leader")
    audit_before = len(recent_audit(small, 1000))
    with pytest.raises(PublicationError, match=re.escape(message)):
        publish(small, "demo", wave, dimensions, breakdown, actor="leader")
    assert published(small, "demo", 1).dimensions == ("leadership",)
    assert len(recent_audit(small, 1000)) == audit_before


def test_the_board_shows_published_actions_and_dimensions_only(small: duckdb.DuckDBPyConnection) -> None:
    publish(small, "demo", 1, ["strategy"], "level", actor="leader")
    board = public_board(small, "demo", "en")
    assert [a.title for a in board.actions] == [PUBLIC_TITLE]
    assert [d.dimension for d in board.dimensions] == ["strategy"]


def test_a_hidden_cell_never_appears_on_the_board_or_the_poster(small: duckdb.DuckDBPyConnection) -> None:
    publish(small, "demo", 1, ["strategy", "leadership"], "level", actor="leader")
    frame = engine.heatmap(small, Scope("demo", 1), unit="dimension", by="level").data
    hidden = frame[frame["suppressed"] & (frame["unit"] == "strategy")]
    assert set(hidden["group"]) == {"level=board", "level=senior_management"}, "the fixture must hide groups"
    shown = frame[~frame["suppressed"] & (frame["unit"] == "strategy") & (frame["group"] != "all")]
    for lang, hidden_labels in (
        ("en", ("Board / executive team", "Senior management")),
        ("nl", ("Bestuur / directieteam", "Hoger management")),
    ):
        board = public_board(small, "demo", lang)
        strategy = board.dimensions[0]
        assert len(strategy.groups) == len(shown) and strategy.hidden == len(hidden)
        assert all(g.n >= board.threshold for g in strategy.groups) and strategy.overall.n >= board.threshold
        assert sorted(round(g.mean, 9) for g in strategy.groups) == sorted(round(m, 9) for m in shown["mean"])
        html = poster_html(board, LINK)
        for label in hidden_labels:
            assert label not in html and all(g.group != label for g in strategy.groups)


def test_the_poster_holds_no_comment_no_euro_no_unpublished_result(small: duckdb.DuckDBPyConnection) -> None:
    publish(small, "demo", 1, ["it_ot"], None, actor="leader")
    comments = [text for (text,) in small.execute("SELECT text FROM comments").fetchall()]
    assert comments
    for lang, unpublished in (("en", ("Strategy", "Governance", "Leadership", "Operations")), ("nl", ("Strategie", "Leiderschap"))):
        html = poster_html(public_board(small, "demo", lang), LINK)
        assert PUBLIC_TITLE in html and "Plant management" in html and "2027-03-31" in html
        assert SECRET_TITLE not in html
        assert not re.search(r"250[.,]?000|1[.,]?234[.,]?567|OEE|€", html)
        assert all(text not in html for text in comments)
        assert all(f">{label}<" not in html for label in unpublished)
        body = html[html.index("<body>") :]  # the head's style hash is base64, which may spell anything
        assert not re.search(r"\b[A-Z]{3}\d\b", body), "no statement id (STR1...) on the poster"
        assert "<svg" in html and f"<title>{LINK}</title>" in html  # the QR code, and where it leads
        assert "@page { size: A4 portrait" in html and "<script" not in html


def test_nothing_published_reads_as_nothing(small: duckdb.DuckDBPyConnection) -> None:
    small.execute("UPDATE actions SET published = false")
    board = public_board(small, "demo", "nl")
    assert board.empty and board.dimensions == () and board.actions == ()
    assert "Nog geen acties gepubliceerd." in poster_html(board, LINK)


def test_publication_is_in_backups_and_goes_with_its_campaign(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    publish(small, "demo", 1, ["strategy", "it_ot"], "level", actor="leader")
    rows = small.execute("SELECT * FROM published_results ORDER BY ALL").fetchall()
    backup(small, tmp_path / "bk", actor="tester")
    target = Database(tmp_path / "restored.duckdb", linger_s=0)
    with target.cursor() as new:
        restore(new, tmp_path / "bk")
        assert new.execute("SELECT * FROM published_results ORDER BY ALL").fetchall() == rows
        assert public_board(new, "demo", "en") == public_board(small, "demo", "en")
    target.close()
    done = delete_campaign(small, "demo", actor="fiona")
    assert done.rows["published_results"] == 2
    assert small.execute("SELECT count(*) FROM published_results").fetchone()[0] == 0


def test_the_public_link_names_the_campaign() -> None:
    assert public_link("https://survey.plant.example/", "demo") == "https://survey.plant.example/you_said_we_did?c=demo"
