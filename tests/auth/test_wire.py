"""Auth-server request builders and reply parsers (SPEC §1.5, §1.7, §1.9): pure functions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oauth_codex.auth import OAuthConfig, TokenData
from oauth_codex.auth._wire import (
    HttpReply,
    error_code,
    refresh_failure,
    refresh_request,
    revoke_request,
    tokens_from_code_reply,
    tokens_from_refresh_reply,
)
from oauth_codex.errors import LoginError, RefreshTokenError, ServerError

from ._jwt import make_jwt

REUSED = {
    "error": {
        "message": "Your refresh token has already been used to generate a new access token. Please try "
        "signing in again.",
        "type": "invalid_request_error",
        "param": None,
        "code": "refresh_token_reused",
    }
}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"error": "invalid_grant", "error_description": "x"}, "invalid_grant"),
        ({"error": {"code": "Refresh_Token_Expired", "message": "m"}}, "refresh_token_expired"),
        ({"code": "refresh_token_invalidated"}, "refresh_token_invalidated"),
        ({"error": {"message": "no code"}}, None),
        ("plain text", None),
        (None, None),
    ],
)
def test_error_code_sources(body: object, code: str | None) -> None:
    assert error_code(body) == code


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (401, REUSED, "refresh_token_reused"),
        (400, {"error": {"code": "refresh_token_expired"}}, "refresh_token_expired"),
        (400, {"error": "refresh_token_invalidated"}, "refresh_token_invalidated"),
        (
            401,
            {"error": {"code": "token_expired", "message": "Could not validate your token."}},
            "token_expired",
        ),
        (401, "nope", None),
    ],
)
def test_permanent_refresh_failures(status: int, body: object, code: str | None) -> None:
    failure = refresh_failure(HttpReply(status, {}, body))
    assert isinstance(failure, RefreshTokenError)
    assert failure.code == code and failure.status_code == status
    assert "oauth-codex login" in str(failure)


@pytest.mark.parametrize("status", [400, 429, 500, 502, 503])
def test_transient_refresh_failures(status: int) -> None:
    failure = refresh_failure(HttpReply(status, {}, {"error": "server_error"}))
    assert isinstance(failure, ServerError)
    assert failure.status_code == status and "unchanged" in str(failure)


def test_refresh_request_is_json_with_originator_and_user_agent() -> None:
    req = refresh_request(OAuthConfig(), "https://auth.openai.com/oauth/token", "rt_secret")
    assert req.json == {
        "client_id": OAuthConfig().client_id,
        "grant_type": "refresh_token",
        "refresh_token": "rt_secret",
    }
    assert req.form is None
    assert req.headers["originator"] == "codex_cli_rs"
    assert req.headers["User-Agent"].startswith("codex_cli_rs/")
    assert "rt_secret" not in repr(req)


def test_revoke_request_prefers_the_refresh_token() -> None:
    config = OAuthConfig()
    with_rt = revoke_request(
        config, "https://x/oauth/revoke", TokenData(access_token="at", refresh_token="rt")
    )
    assert with_rt.json == {"token": "rt", "token_type_hint": "refresh_token", "client_id": config.client_id}
    without = revoke_request(config, "https://x/oauth/revoke", TokenData(access_token="at"))
    assert without.json == {"token": "at", "token_type_hint": "access_token"}
    assert with_rt.timeout == 10.0


def test_code_reply_requires_three_tokens_and_reads_the_account() -> None:
    id_token = make_jwt({"https://api.openai.com/auth": {"chatgpt_account_id": "acct-1"}})
    access = make_jwt({"exp": 2_000_000_000})
    now = datetime(2030, 1, 1, tzinfo=UTC)
    tokens = tokens_from_code_reply(
        HttpReply(200, {}, {"id_token": id_token, "access_token": access, "refresh_token": "rt"}), now=now
    )
    assert tokens.account_id == "acct-1" and tokens.last_refresh == now and tokens.refresh_token == "rt"
    with pytest.raises(LoginError) as info:
        tokens_from_code_reply(HttpReply(200, {}, {"id_token": id_token, "access_token": access}))
    assert info.value.code == "token_exchange_failed" and "refresh_token" in str(info.value)
    with pytest.raises(LoginError) as info:
        tokens_from_code_reply(
            HttpReply(400, {}, {"error": "invalid_grant", "error_description": "bad code"})
        )
    assert info.value.code == "token_exchange_failed" and "invalid_grant" in str(info.value)


def test_refresh_reply_overwrites_only_returned_fields() -> None:
    old = TokenData(id_token="old-id", access_token="old-at", refresh_token="old-rt", account_id="acct")
    now = datetime(2030, 1, 1, tzinfo=UTC)
    new = tokens_from_refresh_reply(old, HttpReply(200, {}, {"access_token": "new-at"}), now=now)
    assert (new.id_token, new.access_token, new.refresh_token, new.account_id) == (
        "old-id",
        "new-at",
        "old-rt",
        "acct",
    )
    assert new.last_refresh == now
    rotated = tokens_from_refresh_reply(
        old, HttpReply(200, {}, {"access_token": "a2", "refresh_token": "rt2"})
    )
    assert rotated.refresh_token == "rt2"
    with pytest.raises(ServerError):
        tokens_from_refresh_reply(old, HttpReply(200, {}, {}))
