"""The emulator's /models and model gating (issue 14 item 7; audit CODEX-2026-12 §7), over raw HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from oauth_codex.auth import TokenData
from oauth_codex.testing import CodexEmulator

FIXTURE = json.loads((Path(__file__).parents[1] / "fixtures" / "codex_catalog_and_drift_2026.json").read_text())


def get_models(http: httpx.Client, emu: CodexEmulator, tokens: TokenData, **headers: str) -> httpx.Response:
    query = headers.pop("query", "?client_version=0.155.0")
    auth = {"Authorization": f"Bearer {tokens.access_token}", **headers}
    return http.get(f"{emu.base_url}/models{query}", headers=auth)


def post(http: httpx.Client, emu: CodexEmulator, tokens: TokenData, model: str, **headers: str) -> httpx.Response:
    body: dict[str, Any] = {
        "model": model,
        "instructions": "x",
        "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}],
        "store": False,
        "stream": True,
    }
    return http.post(
        f"{emu.base_url}/responses", json=body, headers={"Authorization": f"Bearer {tokens.access_token}", **headers}
    )


def test_models_shape_visibility_and_etag(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    response = get_models(http, emu, tokens)
    assert response.status_code == 200
    models = response.json()["models"]
    assert [m["slug"] for m in models][:3] == ["gpt-6-astra", "gpt-6-sol", "gpt-6-luna"]
    for key in FIXTURE["models_json_entry"]:  # the real models.json fields the client reads are all there
        if key in ("slug", "visibility", "minimal_client_version", "supported_reasoning_levels", "context_window"):
            assert all(key in m for m in models), key
    assert {m["slug"]: m["visibility"] for m in models}["gpt-5.4-mini"] == "hide"
    etag = response.headers["x-models-etag"]
    again = get_models(http, emu, tokens, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["x-models-etag"] == etag
    emu.update_model("gpt-5.5", visibility="hide")
    changed = get_models(http, emu, tokens, **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["x-models-etag"] != etag


def test_models_are_gated_by_client_version(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    old = [m["slug"] for m in get_models(http, emu, tokens, query="?client_version=0.152.0").json()["models"]]
    assert "gpt-6-astra" not in old and "gpt-5.6-sol" in old
    assert get_models(http, emu, tokens, query="").status_code == 400  # client_version is required
    emu.retire_model("gpt-5.4")
    assert "gpt-5.4" not in [m["slug"] for m in get_models(http, emu, tokens).json()["models"]]


def test_responses_gate_on_the_advertised_version(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    assert post(http, emu, tokens, "gpt-6-astra").status_code == 200  # no version advertised: not gated
    for headers in ({"version": "0.150.0"}, {"User-Agent": "codex_cli_rs/0.150.0 (Linux 6.1; x86_64) xterm"}):
        gated = post(http, emu, tokens, "gpt-6-astra", **headers)
        assert gated.status_code == 400 and gated.json() == {
            "detail": FIXTURE["gated_400"]["detail"]
        }  # the recorded text, word for word
    assert post(http, emu, tokens, "gpt-6-astra", version="0.155.0").status_code == 200
    emu.retire_model("gpt-5.4")
    assert post(http, emu, tokens, "gpt-5.4").json() == FIXTURE["retired_400"]


def test_html_challenge_fault(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    emu.html_challenge(status=503)
    response = post(http, emu, tokens, "gpt-5.5")
    assert response.status_code == 503 and response.headers["content-type"].startswith("text/html")
    assert response.headers["cf-mitigated"] == "challenge" and "cf-ray" in response.headers
    assert post(http, emu, tokens, "gpt-5.5").status_code == 200


def test_new_headers_are_recorded(emu: CodexEmulator) -> None:
    llm = emu.client(client_version=True)
    llm.generate(prompt="hi")
    request = emu.responses_requests[-1]
    for name in ("session-id", "thread-id", "session_id", "version", "user-agent", "originator"):
        assert request.header(name), name
