"""``GET /backend-api/wham/usage`` and usage limits that lift at their ``resets_at`` (emulator clock)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from oauth_codex.auth import TokenData
from oauth_codex.testing import CodexEmulator

from .helpers import auth_headers, body, post


def usage(http: httpx.Client, emu: CodexEmulator, tokens: TokenData) -> dict[str, Any]:
    response = http.get(f"{emu.url}/backend-api/wham/usage", headers=auth_headers(tokens))
    assert response.status_code == 200
    doc: dict[str, Any] = response.json()
    return doc


def window_from_headers(headers: httpx.Headers, name: str) -> dict[str, Any]:
    return {
        "used_percent": float(headers[f"x-codex-{name}-used-percent"]),
        "limit_window_seconds": int(headers[f"x-codex-{name}-window-minutes"]) * 60,
        "reset_at": int(headers[f"x-codex-{name}-reset-at"]),
    }


def window_from_doc(doc: dict[str, Any], name: str) -> dict[str, Any]:
    window = doc["rate_limit"][f"{name}_window"]
    return {
        "used_percent": float(window["used_percent"]),
        "limit_window_seconds": window["limit_window_seconds"],
        "reset_at": window["reset_at"],
    }


def test_usage_needs_a_bearer_token(emu: CodexEmulator, http: httpx.Client) -> None:
    assert http.get(f"{emu.url}/backend-api/wham/usage").status_code == 401


def test_usage_matches_the_headers(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client
) -> None:
    emu.settings.usage_percent_step = 7.0
    for _ in range(3):
        response = post(http, emu, tokens, body())
        assert response.status_code == 200
    doc = usage(http, emu, tokens)
    assert doc["plan_type"] == "plus" == response.headers["x-codex-plan-type"]
    for name in ("primary", "secondary"):
        assert window_from_doc(doc, name) == window_from_headers(response.headers, name)
    assert doc["rate_limit"]["primary_window"]["used_percent"] == 21
    assert doc["rate_limit"]["limit_reached"] is False
    assert doc["credits"] == {"has_credits": False, "unlimited": False, "balance": "0"}
    assert response.headers["x-codex-credits-balance"] == "0"
    assert doc["code_review_rate_limit"]["primary_window"]["limit_window_seconds"] == 604800


def test_free_plan_has_no_secondary_window(emu: CodexEmulator, http: httpx.Client) -> None:
    tokens = emu.login_tokens(email="free@example.com", plan_type="free")
    response = post(http, emu, tokens, body())
    doc = usage(http, emu, tokens)
    assert doc["plan_type"] == "free"
    assert doc["rate_limit"]["secondary_window"] is None
    assert response.headers["x-codex-secondary-window-minutes"] == "0"
    assert doc["rate_limit"]["primary_window"]["limit_window_seconds"] == 10080 * 60
    assert doc["credits"]["balance"] is None


def test_set_usage(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    emu.set_usage(primary=62, secondary=30)
    doc = usage(http, emu, tokens)
    assert doc["rate_limit"]["primary_window"]["used_percent"] == 62
    assert doc["rate_limit"]["secondary_window"]["used_percent"] == 30
    response = post(http, emu, tokens, body())
    assert response.headers["x-codex-primary-used-percent"] == "63"
    assert response.headers["x-codex-secondary-used-percent"] == "30.2"
    with pytest.raises(ValueError, match="between 0 and 100"):
        emu.set_usage(primary=101)


@pytest.mark.parametrize("window", ["primary", "secondary"])
def test_usage_limit_lifts_at_its_reset(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client, window: str
) -> None:
    emu.set_usage(primary=40)
    emu.usage_limit(resets_in=90, window=window)  # type: ignore[arg-type]
    for _ in range(2):  # every request meanwhile, not just the next one
        limited = post(http, emu, tokens, body())
        assert limited.status_code == 429
        error = limited.json()["error"]
        assert error["type"] == "usage_limit_reached"
        assert limited.headers[f"x-codex-{window}-used-percent"] == "100"
        assert error["resets_at"] == int(limited.headers[f"x-codex-{window}-reset-at"])
        assert 0 < error["resets_in_seconds"] <= 91
    doc = usage(http, emu, tokens)
    assert doc["rate_limit"]["limit_reached"] is True and doc["rate_limit"]["allowed"] is False
    assert doc["rate_limit"][f"{window}_window"]["used_percent"] == 100
    assert doc["rate_limit"][f"{window}_window"]["reset_at"] == error["resets_at"]

    emu.advance(error["resets_at"] - emu.now() - 0.5)
    assert post(http, emu, tokens, body()).status_code == 429  # not yet
    emu.advance(0.5)
    lifted = post(http, emu, tokens, body())
    assert lifted.status_code == 200
    assert float(lifted.headers[f"x-codex-{window}-used-percent"]) < 100
    after = usage(http, emu, tokens)
    assert after["rate_limit"]["limit_reached"] is False
    assert after["rate_limit"][f"{window}_window"]["used_percent"] < 100


def test_usage_limit_rejects_a_past_reset(emu: CodexEmulator) -> None:
    with pytest.raises(ValueError, match="resets_in"):
        emu.usage_limit(resets_in=0)


def test_usage_endpoint_error(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    emu.usage_endpoint_error(status=503)
    response = http.get(f"{emu.url}/backend-api/wham/usage", headers=auth_headers(tokens))
    assert response.status_code == 503
    assert usage(http, emu, tokens)["plan_type"] == "plus"
    assert [r.status for r in emu.usage_requests] == [503, 200]


def test_usage_is_kept_per_account(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    other = emu.login_tokens(email="other@example.com")
    assert other.account_id != tokens.account_id
    emu.settings.usage_percent_step = 10
    for _ in range(3):
        post(http, emu, tokens, body())
    assert usage(http, emu, tokens)["rate_limit"]["primary_window"]["used_percent"] == 30
    assert usage(http, emu, other)["rate_limit"]["primary_window"]["used_percent"] == 0
    response = post(http, emu, other, body())
    assert response.headers["x-codex-primary-used-percent"] == "10"

    emu.set_usage(primary=50, account_id=other.account_id)
    emu.usage_limit(resets_in=60, account_id=tokens.account_id)
    assert post(http, emu, tokens, body()).status_code == 429  # one account's limit ...
    assert post(http, emu, other, body()).status_code == 200  # ... is not the other's
    assert usage(http, emu, other)["rate_limit"]["primary_window"]["used_percent"] == 60
    # without account_id a control applies to every account, including ones that log in later
    emu.set_usage(secondary=70)
    newcomer = emu.login_tokens(email="new@example.com")
    for who in (tokens, other, newcomer):
        assert usage(http, emu, who)["rate_limit"]["secondary_window"]["used_percent"] >= 70
