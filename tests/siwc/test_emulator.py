"""The SIWC emulator's strictness (SIWC.md §17): what it rejects keeps the client honest."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from oauth_codex.auth import SiwcCredentials
from oauth_codex.testing import SiwcEmulator


def _authorize(emu: SiwcEmulator, **overrides: Any) -> httpx.Response:
    params = {
        "client_id": "dynamic_agent_client", "agent_name_hint": "oauth-codex",
        "ext_agent_host_id": "urn:uuid:3f6c1b8e-2a4d-4c1e-9a57-0d2b8c7e91aa", "response_type": "code",
        "redirect_uri": "http://127.0.0.1:54321/auth/callback",
        "scope": "openid profile email offline_access resource.invoke chatgpt.tokens.use.direct",
        "resource": "https://api.openai.com/v1", "state": "s" * 43, "nonce": "n" * 43,
        "code_challenge": "c" * 43, "code_challenge_method": "S256",
    }  # fmt: skip
    params.update({k: v for k, v in overrides.items() if v is not None})
    for key in [k for k, v in overrides.items() if v is None]:
        params.pop(key)
    return httpx.get(emu.issuer + "/api/accounts/authorize", params=params)


def test_a_valid_registration_redirects_with_an_issued_client_id(emu: SiwcEmulator) -> None:
    reply = _authorize(emu)
    assert reply.status_code == 302
    location = reply.headers["location"]
    assert "client_id=oaiapp_" in location and "code=" in location


@pytest.mark.parametrize(
    "override",
    [
        {"redirect_uri": "http://localhost:54321/auth/callback"},
        {"redirect_uri": "http://127.0.0.1:54321/callback"},
        {"redirect_uri": "https://127.0.0.1:54321/auth/callback"},
        {"resource": None},
        {"ext_agent_host_id": None},
        {"ext_agent_host_id": "user@example.com"},
        {"nonce": None},
        {"code_challenge_method": "plain"},
        {"agent_name_hint": None},
        {"scope": "openid chatgpt.tokens.use.direct"},
        {"force_reconsent": "true"},
    ],
)
def test_authorize_rejects_without_redirect(emu: SiwcEmulator, override: dict[str, Any]) -> None:
    reply = _authorize(emu, **override)
    assert reply.status_code == 400 and "location" not in reply.headers


def test_the_token_endpoint_takes_forms_only_and_no_client_secret(emu: SiwcEmulator) -> None:
    url = emu.issuer + "/api/accounts/oauth/token"
    assert httpx.post(url, json={"grant_type": "refresh_token"}).status_code == 400
    form = {"grant_type": "refresh_token", "client_id": "x", "refresh_token": "y",
            "resource": "https://api.openai.com/v1", "client_secret": "s"}  # fmt: skip
    assert httpx.post(url, data=form).status_code == 401


def test_a_refresh_with_scope_is_rejected(emu: SiwcEmulator, signed_in: SiwcCredentials) -> None:
    form = {"grant_type": "refresh_token", "client_id": signed_in.client_id, "refresh_token": signed_in.refresh_token,
            "resource": "https://api.openai.com/v1", "scope": "openid"}  # fmt: skip
    reply = httpx.post(emu.issuer + "/api/accounts/oauth/token", data=form)
    assert reply.status_code == 400


@pytest.mark.parametrize(
    ("patch", "status", "param"),
    [
        ({"input": "a string"}, 422, None),
        ({"store": True}, 422, None),
        ({"temperature": None}, 400, "temperature"),
        ({"previous_response_id": "resp_1"}, 400, "previous_response_id"),
        ({"service_tier": "flex"}, 400, "service_tier"),
        ({"input": [{"role": "system", "content": "x"}]}, 400, "input"),
        ({"tools": [{"type": "function", "name": "f", "parameters": {}}]}, 400, "tools[0]"),
        ({"tools": [{"type": "code_interpreter"}]}, 400, "tools[0].type"),
        ({"model": "gpt-unknown"}, 404, "model"),
    ],
)
def test_responses_validation(
    emu: SiwcEmulator, signed_in: SiwcCredentials, patch: dict[str, Any], status: int, param: str | None
) -> None:
    body = {"model": "gpt-6.1-sol", "input": [{"role": "user", "content": "hi"}], "store": False, "stream": True}
    body.update(patch)
    reply = httpx.post(
        emu.api_base + "/responses", json=body, headers={"Authorization": f"Bearer {signed_in.access_token}"}
    )
    assert reply.status_code == status
    if param is not None:
        assert reply.json()["error"]["param"] == param


def test_admission_without_a_bearer_is_detail_unauthorized(emu: SiwcEmulator) -> None:
    reply = httpx.post(emu.api_base + "/responses", json={})
    assert reply.status_code == 401 and reply.json() == {"detail": "Unauthorized"}


def test_models_hide_newer_models_without_client_version(emu: SiwcEmulator, signed_in: SiwcCredentials) -> None:
    reply = httpx.get(emu.api_base + "/models", headers={"Authorization": f"Bearer {signed_in.access_token}"})
    assert [m["slug"] for m in reply.json()["models"]] == ["gpt-reserve"]


def test_the_pytest_fixture_runs_an_emulator(siwc_emulator: SiwcEmulator) -> None:
    assert (
        httpx.get(siwc_emulator.issuer + "/.well-known/openid-configuration").json()["issuer"] == siwc_emulator.issuer
    )
