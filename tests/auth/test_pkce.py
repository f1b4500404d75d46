"""PKCE, state, the authorize URL and callback parsing (SPEC §1.2-§1.4): pure functions."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from oauth_codex.auth import OAuthConfig
from oauth_codex.auth._pkce import (
    build_authorize_url,
    callback_code,
    generate_pkce,
    generate_state,
    parse_pasted_callback,
    pkce_from_verifier,
)
from oauth_codex.errors import LoginError

B64URL = re.compile(r"^[A-Za-z0-9_-]+$")


def test_verifier_challenge_and_state_shapes() -> None:
    pkce = generate_pkce()
    assert len(pkce.verifier) == 86 and B64URL.match(pkce.verifier)
    assert len(pkce.challenge) == 43 and B64URL.match(pkce.challenge)
    digest = base64.urlsafe_b64encode(hashlib.sha256(pkce.verifier.encode()).digest()).rstrip(b"=").decode()
    assert pkce.challenge == digest
    state = generate_state()
    assert len(state) == 43 and B64URL.match(state)
    assert generate_state() != state and generate_pkce().verifier != pkce.verifier
    assert pkce.verifier not in repr(pkce)


def test_authorize_url_matches_the_cli_order_and_encoding() -> None:
    pkce = pkce_from_verifier("v" * 86)
    url = build_authorize_url(
        OAuthConfig(),
        "https://auth.openai.com/oauth/authorize",
        redirect_uri="http://localhost:1455/auth/callback",
        pkce=pkce,
        state="S" * 43,
    )
    expected = (
        "https://auth.openai.com/oauth/authorize?response_type=code&client_id=app_EMoamEEZ73f0CkXaXp7hrann"
        "&redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback&scope=openid%20profile%20email%20"
        f"offline_access&code_challenge={pkce.challenge}&code_challenge_method=S256"
        "&id_token_add_organizations=true&codex_cli_simplified_flow=true&state="
        + "S" * 43
        + "&originator=codex_cli_rs"
    )
    assert url == expected


def test_authorize_url_appends_workspaces_and_audience() -> None:
    url = build_authorize_url(
        OAuthConfig(audience="https://api.example/v1"),
        "http://127.0.0.1:9/oauth/authorize",
        redirect_uri="http://localhost:1455/auth/callback",
        pkce=generate_pkce(),
        state="s",
        allowed_workspace_ids=["ws-1", "ws-2"],
    )
    keys = [k for k, _ in parse_qsl(urlsplit(url).query)]
    assert keys[-3:] == ["originator", "allowed_workspace_id", "audience"]
    assert "allowed_workspace_id=ws-1%2Cws-2" in url
    assert "audience=https%3A%2F%2Fapi.example%2Fv1" in url


def test_state_is_checked_before_the_error() -> None:
    with pytest.raises(LoginError) as info:
        callback_code({"error": ["access_denied"], "state": ["other"]}, "expected")
    assert info.value.code == "state_mismatch"
    with pytest.raises(LoginError) as info:
        callback_code({"code": ["c"]}, "expected")
    assert info.value.code == "state_mismatch"


def test_error_callbacks_and_missing_code() -> None:
    with pytest.raises(LoginError) as info:
        callback_code(
            {"error": ["access_denied"], "error_description": ["missing_codex_entitlement"], "state": ["s"]},
            "s",
        )
    assert info.value.code == "access_denied"
    assert "Codex is not enabled for your ChatGPT workspace" in str(info.value)
    with pytest.raises(LoginError) as info:
        callback_code({"error": ["server_error"], "state": ["s"]}, "s")
    assert info.value.code == "server_error" and "oauth-codex login" in str(info.value)
    with pytest.raises(LoginError) as info:
        callback_code({"state": ["s"]}, "s")
    assert info.value.code == "missing_authorization_code"
    assert callback_code({"state": ["s"], "code": ["the-code"]}, "s") == "the-code"


@pytest.mark.parametrize(
    "pasted",
    [
        "http://localhost:1455/auth/callback?code=abc&state=st",
        "  'http://localhost:1455/auth/callback?state=st&code=abc#frag'  ",
        "code=abc&state=st",
        "?code=abc&state=st",
        "abc",
    ],
)
def test_pasted_forms(pasted: str) -> None:
    assert parse_pasted_callback(pasted, "st") == "abc"


def test_pasted_url_with_the_wrong_state_or_nothing() -> None:
    with pytest.raises(LoginError) as info:
        parse_pasted_callback("http://localhost:1455/auth/callback?code=abc&state=old", "st")
    assert info.value.code == "state_mismatch"
    with pytest.raises(LoginError) as info:
        parse_pasted_callback("   ", "st")
    assert info.value.code == "missing_authorization_code"
