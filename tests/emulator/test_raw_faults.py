"""Byte-level fault switches: hang up before answering, raw bytes in the SSE body, late failures."""

from __future__ import annotations

import httpx
import pytest

from oauth_codex.auth import TokenData
from oauth_codex.testing import CodexEmulator

from .helpers import auth_headers, body, parse_sse, post


def raw_body(http: httpx.Client, emu: CodexEmulator, tokens: TokenData) -> bytes:
    with http.stream("POST", f"{emu.base_url}/responses", json=body("x"), headers=auth_headers(tokens)) as r:
        assert r.status_code == 200
        return r.read()


def test_hang_up_sends_nothing_then_recovers(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client
) -> None:
    emu.hang_up()
    with pytest.raises(httpx.RemoteProtocolError, match="without sending"):
        post(http, emu, tokens, body())
    assert emu.responses_requests[-1].status is None
    assert post(http, emu, tokens, body()).status_code == 200
    assert emu.responses_requests[-1].status == 200


def test_inject_raw_before_an_event(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    garbage = b": keep-alive\n\xff\xfe not utf-8\n\n"
    emu.inject_raw(garbage, after_events=1)
    data = raw_body(http, emu, tokens)
    first = data.index(b"\n\n") + 2
    assert data[first : first + len(garbage)] == garbage
    events = parse_sse(data.replace(garbage, b"").decode())
    assert [e["type"] for e in events][:2] == ["response.created", "response.in_progress"]
    assert events[-1]["type"] == "response.completed"
    assert garbage not in raw_body(http, emu, tokens)  # one-shot


def test_inject_raw_past_the_end_goes_after_the_last_event(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client
) -> None:
    frame = b'event: response.future\ndata: {"type":"response.future"}\n\n'
    emu.inject_raw(frame, after_events=10_000)
    data = raw_body(http, emu, tokens)
    assert data.endswith(frame)
    assert parse_sse(data.decode())[-2]["type"] == "response.completed"


def test_response_failed_after_some_events(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    emu.set_answer(deltas=6)
    emu.response_failed(code="server_error", after_events=5)
    events = parse_sse(raw_body(http, emu, tokens).decode())
    assert [e["type"] for e in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.failed",
    ]
    assert events[-1]["response"]["error"]["code"] == "server_error"
    # the default stays: only created / in_progress before the failure
    emu.response_failed(code="server_error")
    assert len(parse_sse(raw_body(http, emu, tokens).decode())) == 3
