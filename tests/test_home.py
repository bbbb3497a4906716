"""The home page writes nothing for an anonymous visitor and names no campaign to one; a signed-in facilitator sets up.

On an empty database an anonymous visitor gets no button that writes (no demo, no campaign), only what to
do: sign in as facilitator, or, with no password configured, the first-run form that needs the server's setup code. Campaign ids are shown to signed-in roles only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher
from streamlit.testing.v1 import AppTest

from survey.campaigns import list_campaigns
from survey.store import Database
from tests.conftest import MakeDemo

ROOT = Path(__file__).resolve().parent.parent
_CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def home(db: Path, monkeypatch: pytest.MonkeyPatch, role: str | None = None, password: bool = True) -> AppTest:
    monkeypatch.setenv("COHERENCE_DB", str(db))
    if password:
        monkeypatch.setenv("COHERENCE_FACILITATOR_HASH", _CHEAP.hash("facilitator password"))
    else:
        monkeypatch.delenv("COHERENCE_FACILITATOR_HASH", raising=False)
        monkeypatch.delenv("COHERENCE_LEADER_HASH", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if role:
        at.session_state["role"] = role
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def campaigns_in(db: Path) -> list[str]:
    database = Database(db, linger_s=0)
    with database.cursor() as con:
        found = [c.campaign_id for c in list_campaigns(con)]
    database.close()
    return found


def shown(at: AppTest) -> str:
    return "\n".join(str(getattr(e, "value", "")) for kind in ("markdown", "caption", "info", "warning") for e in getattr(at, kind))


@pytest.mark.parametrize("role", [None, "leader"])
@pytest.mark.parametrize("password", [True, False])
def test_on_an_empty_database_only_a_facilitator_can_write(role: str | None, password: bool, tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "empty.duckdb"
    at = home(db, monkeypatch, role=role, password=password)
    if password or role:
        assert not [b.key for b in at.button], "no button that loads the demo or creates a campaign"
    else:  # only the first-run form, which writes nothing without the setup code (tests/test_first_run.py)
        assert at.text_input(key="setup_code") is not None
        at.button[0].click().run()
        assert any("setup code" in e.value for e in at.error)
    assert "facilitator" in shown(at).lower()
    if role is None and password:
        assert any("sign_in" in str(link.proto.page) for link in at.get("page_link") if "facilitator" in link.proto.label)
    assert campaigns_in(db) == []


def test_a_signed_in_facilitator_loads_the_first_campaign(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "first.duckdb"
    at = home(db, monkeypatch, role="facilitator")
    at.button(key="start_empty").click().run()
    assert not at.exception
    assert campaigns_in(db) == ["coherence-scan"]


@pytest.mark.parametrize("role", [None, "leader", "facilitator"])
def test_campaign_ids_are_shown_to_signed_in_roles_only(
    role: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_demo: MakeDemo
) -> None:
    db = tmp_path / "demo.duckdb"
    make_demo(30, seed=2, waves=1, into=db)
    at = home(db, monkeypatch, role=role)
    assert ("`demo`" in shown(at)) == (role is not None)
    assert not [b.key for b in at.button]
