"""The device-code login (SPEC §1.9): user code, 403 while pending, approval, exchange, switches."""

from __future__ import annotations

import base64
import hashlib

import httpx

from oauth_codex.testing import CodexEmulator

from .helpers import CLIENT_ID


def start(http: httpx.Client, emu: CodexEmulator) -> dict[str, str]:
    response = http.post(f"{emu.url}/api/accounts/deviceauth/usercode", json={"client_id": CLIENT_ID})
    assert response.status_code == 200
    payload = response.json()
    assert isinstance(payload, dict)
    return payload


def poll(http: httpx.Client, emu: CodexEmulator, device: dict[str, str]) -> httpx.Response:
    body = {"device_auth_id": device["device_auth_id"], "user_code": device["user_code"]}
    return http.post(f"{emu.url}/api/accounts/deviceauth/token", json=body)


def test_device_flow_end_to_end(emu: CodexEmulator, http: httpx.Client) -> None:
    device = start(http, emu)
    assert isinstance(device["interval"], str) and device["interval"].isdigit()
    assert poll(http, emu, device).status_code == 403
    assert poll(http, emu, device).status_code == 403
    emu.approve_device(device["user_code"])
    approved = poll(http, emu, device)
    assert approved.status_code == 200
    grant = approved.json()
    assert set(grant) == {"authorization_code", "code_challenge", "code_verifier"}
    digest = hashlib.sha256(grant["code_verifier"].encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == grant["code_challenge"]
    form = {
        "grant_type": "authorization_code",
        "code": grant["authorization_code"],
        "redirect_uri": f"{emu.issuer}/deviceauth/callback",
        "client_id": CLIENT_ID,
        "code_verifier": grant["code_verifier"],
    }
    tokens = http.post(f"{emu.url}/oauth/token", data=form)
    assert tokens.status_code == 200
    assert {"id_token", "access_token", "refresh_token"} <= set(tokens.json())
    assert poll(http, emu, device).status_code == 400  # consumed


def test_device_code_is_bound_to_the_device_redirect(emu: CodexEmulator, http: httpx.Client) -> None:
    device = start(http, emu)
    emu.approve_device(device["user_code"])
    grant = poll(http, emu, device).json()
    form = {
        "grant_type": "authorization_code",
        "code": grant["authorization_code"],
        "redirect_uri": "http://localhost:1455/auth/callback",
        "client_id": CLIENT_ID,
        "code_verifier": grant["code_verifier"],
    }
    assert http.post(f"{emu.url}/oauth/token", data=form).json()["error"] == "invalid_grant"


def test_device_code_expires_after_15_minutes(emu: CodexEmulator, http: httpx.Client) -> None:
    device = start(http, emu)
    emu.advance(901)
    emu.approve_device(device["user_code"])
    assert poll(http, emu, device).status_code == 400


def test_unknown_device_and_unknown_user_code(emu: CodexEmulator, http: httpx.Client) -> None:
    device = start(http, emu)
    assert poll(http, emu, {**device, "device_auth_id": "deviceauth_other"}).status_code == 400
    try:
        emu.approve_device("NOPE-NOPE")
    except KeyError:
        pass
    else:
        raise AssertionError("approve_device accepted an unknown code")


def test_device_login_disabled_is_404(emu: CodexEmulator, http: httpx.Client) -> None:
    emu.set_device_login(False)
    response = http.post(f"{emu.url}/api/accounts/deviceauth/usercode", json={"client_id": CLIENT_ID})
    assert response.status_code == 404
    emu.set_device_login(True)
    assert start(http, emu)["user_code"]


def test_device_page_approves_in_a_browser(emu: CodexEmulator, http: httpx.Client) -> None:
    device = start(http, emu)
    assert "<form" in http.get(f"{emu.url}/codex/device").text
    response = http.post(f"{emu.url}/codex/device", data={"user_code": device["user_code"].lower()})
    assert response.status_code == 200
    assert poll(http, emu, device).status_code == 200
