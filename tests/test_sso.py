"""Optional single sign-on: offered only when configured, and the account's e-mail decides the role."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from survey.access import oidc_configured, role_for_email

ROOT = Path(__file__).resolve().parent.parent
OIDC = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-long-random-cookie-secret-for-tests-only",
    "client_id": "coherence",
    "client_secret": "secret",
    "server_metadata_url": "https://login.example/.well-known/openid-configuration",
    "leader_emails": ["ceo@plant.example", "@board.example"],
    "facilitator_emails": ["lead@plant.example"],
}


@pytest.mark.parametrize(
    "auth, expected",
    [
        (OIDC, True),
        ({k: v for k, v in OIDC.items() if k != "cookie_secret"}, False),
        ({"redirect_uri": "x", "cookie_secret": "y", "microsoft": {"client_id": "c", "server_metadata_url": "u"}}, True),
        ({"leader_hash": "$argon2id$..."}, False),
        ({}, False),
    ],
)
def test_sso_is_offered_only_when_configured(auth: dict, expected: bool) -> None:
    assert oidc_configured({"auth": auth}) is expected


@pytest.mark.parametrize(
    "email, role",
    [
        ("CEO@plant.example", "leader"),
        ("chair@board.example", "leader"),
        ("lead@plant.example", "facilitator"),
        ("operator@plant.example", None),
        ("evil@board.example.attacker", None),
        (None, None),
    ],
)
def test_email_decides_the_role(email: str | None, role: str | None) -> None:
    assert role_for_email(email, {"auth": OIDC}) == role


def test_sign_in_page_offers_sso_when_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COHERENCE_DB", str(tmp_path / "sso.duckdb"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets["auth"] = OIDC
    at.run()
    at.switch_page("pages/12_sign_in.py")
    at.run()
    assert not at.exception
    assert at.button(key="sso").label == "Sign in with single sign-on"
    assert not any(t.label == "Password" for t in at.text_input)  # no password configured: only SSO
