"""Raw-HTTP helpers for the emulator tests: request bodies, SSE parsing and the SPEC §4.2 grammar."""

from __future__ import annotations

import json
from typing import Any

import httpx

from oauth_codex.auth import TokenData
from oauth_codex.testing import CodexEmulator

CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"


def auth_headers(tokens: TokenData) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {tokens.access_token}",
        "ChatGPT-Account-ID": str(tokens.account_id),
        "originator": "codex_cli_rs",
    }


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def body(prompt: str = "hello", **extra: Any) -> dict[str, Any]:
    """A valid Codex request body; ``extra`` overrides or adds fields."""
    base: dict[str, Any] = {
        "model": "gpt-5.5",
        "instructions": "You are a helpful assistant.",
        "input": [user(prompt)],
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


def post(
    http: httpx.Client, emu: CodexEmulator, tokens: TokenData, payload: Any, **kw: Any
) -> httpx.Response:
    headers = {**auth_headers(tokens), **kw.pop("headers", {})}
    if isinstance(payload, bytes | str):
        return http.post(f"{emu.base_url}/responses", content=payload, headers=headers, **kw)
    return http.post(f"{emu.base_url}/responses", json=payload, headers=headers, **kw)


def stream(http: httpx.Client, emu: CodexEmulator, tokens: TokenData, payload: Any) -> list[dict[str, Any]]:
    response = post(http, emu, tokens, payload)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return parse_sse(response.text)


def check_grammar(events: list[dict[str, Any]]) -> str:
    """Assert SPEC §4.2; returns the terminal event type.

    stream := created in_progress? item* terminal; item := added body done with output_index 0, 1, 2...;
    message := (content_part.added output_text.delta* output_text.done content_part.done)+;
    function_call := function_call_arguments.delta* function_call_arguments.done;
    reasoning := (summary_part.added summary_text.delta* summary_text.done summary_part.done)* | text.delta*.
    """
    types = [e["type"] for e in events]
    assert types[0] == "response.created", types[:3]
    i = 1
    if types[i] == "response.in_progress":
        i += 1
    index = 0
    while types[i] == "response.output_item.added":
        added = events[i]
        assert added["output_index"] == index
        kind = added["item"]["type"]
        item_id = added["item"].get("id")
        i += 1
        if kind == "message":
            while types[i] == "response.content_part.added":
                i += 1
                text = ""
                while types[i] == "response.output_text.delta":
                    text += events[i]["delta"]
                    i += 1
                assert types[i] == "response.output_text.done" and events[i]["text"] == text
                i += 1
                assert types[i] == "response.content_part.done"
                i += 1
        elif kind == "function_call":
            args = ""
            while types[i] == "response.function_call_arguments.delta":
                assert "call_id" not in events[i] and "name" not in events[i]
                args += events[i]["delta"]
                i += 1
            assert types[i] == "response.function_call_arguments.done" and events[i]["arguments"] == args
            i += 1
        elif kind == "reasoning":
            while types[i] == "response.reasoning_summary_part.added":
                i += 1
                text = ""
                while types[i] == "response.reasoning_summary_text.delta":
                    text += events[i]["delta"]
                    i += 1
                assert types[i] == "response.reasoning_summary_text.done" and events[i]["text"] == text
                i += 1
                assert types[i] == "response.reasoning_summary_part.done"
                i += 1
            while types[i] == "response.reasoning_text.delta":
                i += 1
        assert types[i] == "response.output_item.done", (i, types[i])
        assert events[i]["output_index"] == index and events[i]["item"].get("id") == item_id
        i += 1
        index += 1
    assert types[i] in {"response.completed", "response.failed", "response.incomplete", "error"}, types[i]
    assert i == len(types) - 1, "events after the terminal event"
    return types[i]
