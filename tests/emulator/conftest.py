"""Shared helpers for the emulator's own tests: a running emulator, login tokens and raw HTTP helpers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from oauth_codex.auth import TokenData
from oauth_codex.testing import CodexEmulator

CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"


@pytest.fixture
def emu() -> Iterator[CodexEmulator]:
    with CodexEmulator() as emulator:
        yield emulator


@pytest.fixture
def tokens(emu: CodexEmulator) -> TokenData:
    return emu.login_tokens()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def auth_headers(tokens: TokenData) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {tokens.access_token}",
        "ChatGPT-Account-ID": str(tokens.account_id),
        "originator": "codex_cli_rs",
    }


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def body(text: str = "hello", **extra: Any) -> dict[str, Any]:
    """A valid Codex request body; ``extra`` overrides or adds fields."""
    base: dict[str, Any] = {
        "model": "gpt-5.5",
        "instructions": "You are a helpful assistant.",
        "input": [user(text)],
        "tools": [],
        "tool_choice": "auto",
        "parallel_tool_calls": False,
        "store": False,
        "stream": True,
    }
    base.update(extra)
    return base


def parse_sse(text: str) -> list[dict[str, Any]]:
    """Events of an SSE body; checks that each frame's ``event:`` equals its ``data.type``."""
    events = []
    for frame in text.replace("\r\n", "\n").split("\n\n"):
        if not frame.strip():
            continue
        name = None
        data = []
        for line in frame.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        payload = json.loads("\n".join(data))
        assert payload["type"] == name
        events.append(payload)
    return events


def post(http: httpx.Client, emu: CodexEmulator, tokens: TokenData, payload: Any, **kw: Any) -> httpx.Response:
    headers = {**auth_headers(tokens), **kw.pop("headers", {})}
    if isinstance(payload, bytes | str):
        return http.post(f"{emu.base_url}/responses", content=payload, headers=headers, **kw)
    return http.post(f"{emu.base_url}/responses", json=payload, headers=headers, **kw)


def stream(http: httpx.Client, emu: CodexEmulator, tokens: TokenData, payload: Any) -> list[dict[str, Any]]:
    response = post(http, emu, tokens, payload)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return parse_sse(response.text)
