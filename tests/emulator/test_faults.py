"""Fault injection: each injected failure over real HTTP, then recovery."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from oauth_codex.auth import TokenData
from oauth_codex.testing import CodexEmulator

from .helpers import auth_headers, body, check_grammar, parse_sse, post, stream

FIXTURES = Path(__file__).parent.parent / "fixtures"


def read_events(
    http: httpx.Client, emu: CodexEmulator, tokens: TokenData
) -> tuple[list[dict[str, Any]], bool]:
    """The events received and whether the body ended cleanly (False: the connection broke)."""
    raw = b""
    clean = True
    with http.stream("POST", f"{emu.base_url}/responses", json=body("x"), headers=auth_headers(tokens)) as r:
        assert r.status_code == 200
        try:
            for chunk in r.iter_raw():
                raw += chunk
        except httpx.RemoteProtocolError:
            clean = False
    return parse_sse(raw.decode()), clean


# ------------------------------------------------------------------------------------- HTTP faults


@pytest.mark.parametrize("plan", ["plus", "free"])
def test_usage_limit(emu: CodexEmulator, http: httpx.Client, plan: str) -> None:
    tokens = emu.login_tokens(plan_type=plan)
    emu.usage_limit(plan_type=plan)
    response = post(http, emu, tokens, body())
    assert response.status_code == 429
    error = response.json()["error"]
    recorded = json.loads((FIXTURES / "chatgpt_429_usage_limit_reached.json").read_text())["examples"][0][
        "body"
    ]
    assert set(recorded["error"]) <= set(error)
    assert error["type"] == "usage_limit_reached" and error["plan_type"] == plan
    assert error["message"] == "The usage limit has been reached"
    assert error["resets_at"] == int(response.headers["x-codex-primary-reset-at"])
    assert error["resets_in_seconds"] > 0
    assert response.headers["x-codex-primary-used-percent"] == "100"
    assert response.headers["x-codex-plan-type"] == plan
    assert post(http, emu, tokens, body()).status_code == 200


def test_usage_limit_as_404(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    emu.usage_limit(status=404)
    response = post(http, emu, tokens, body())
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "usage_limit_reached"


def test_usage_not_included(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    emu.usage_not_included()
    response = post(http, emu, tokens, body())
    assert response.status_code == 429
    assert response.json()["error"]["type"] == "usage_not_included"


def test_rate_limit_with_retry_after(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    emu.rate_limit(retry_after=2.5)
    response = post(http, emu, tokens, body())
    assert response.status_code == 429
    assert response.headers["retry-after"] == "2.5"
    assert response.json()["error"]["code"] == "rate_limit_exceeded"
    assert "x-codex-primary-used-percent" in response.headers


@pytest.mark.parametrize("status", [500, 502, 504])
def test_server_errors_then_success(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client, status: int
) -> None:
    emu.server_error(status=status, times=2)
    assert [post(http, emu, tokens, body()).status_code for _ in range(3)] == [status, status, 200]


def test_503_server_is_overloaded(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    emu.server_error(status=503)
    response = post(http, emu, tokens, body())
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "server_is_overloaded"
    emu.server_error(status=503, code="slow_down")
    assert post(http, emu, tokens, body()).json()["error"]["code"] == "slow_down"
    with pytest.raises(ValueError):
        emu.server_error(status=404)


def test_cloudflare_block(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    emu.cloudflare_block()
    response = post(http, emu, tokens, body())
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "blocked" in response.text and "cf-ray" in response.headers


@pytest.mark.parametrize(
    ("code", "expected"),
    [("token_expired", {"code": "token_expired"}), (None, None)],
)
def test_unauthorized_then_ok(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client, code: str | None, expected: Any
) -> None:
    emu.unauthorized(code=code)
    response = post(http, emu, tokens, body())
    assert response.status_code == 401
    if expected is None:
        assert response.json() == {"detail": "Unauthorized"}
    else:
        assert response.json()["error"]["code"] == "token_expired"
    assert post(http, emu, tokens, body()).status_code == 200


def test_slow(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    emu.slow(0.3)
    assert emu.pending_faults == 1
    started = time.perf_counter()
    assert post(http, emu, tokens, body()).status_code == 200
    assert time.perf_counter() - started >= 0.3
    assert emu.pending_faults == 0  # served: the next request is answered at once


def test_faults_are_fifo_and_resettable(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    emu.server_error(status=500)
    emu.usage_limit()
    assert [post(http, emu, tokens, body()).status_code for _ in range(3)] == [500, 429, 200]
    emu.server_error(times=5)
    emu.response_failed(times=5)
    emu.reset_faults()
    assert post(http, emu, tokens, body()).status_code == 200
    with pytest.raises(ValueError):
        emu.usage_limit(times=0)


def test_faults_do_not_consume_on_bad_tokens(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client
) -> None:
    emu.server_error()
    assert http.post(f"{emu.base_url}/responses", json=body()).status_code == 401
    assert post(http, emu, tokens, body()).status_code == 500


# ----------------------------------------------------------------------------------- stream faults


def test_drop_mid_stream(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    emu.drop_mid_stream(after_events=4)
    events, clean = read_events(http, emu, tokens)
    assert not clean
    assert len(events) == 4 and events[0]["type"] == "response.created"
    assert post(http, emu, tokens, body()).status_code == 200


def test_end_without_completed(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    emu.end_without_completed(after_events=3)
    events, clean = read_events(http, emu, tokens)
    assert clean
    assert [e["type"] for e in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
    ]


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("context_length_exceeded", "context window"),
        ("insufficient_quota", "quota"),
        ("usage_not_included", "plan"),
        ("rate_limit_exceeded", "try again in 1.5s"),
        ("server_is_overloaded", "overloaded"),
        ("something_else", "error occurred"),
    ],
)
def test_response_failed(
    emu: CodexEmulator, tokens: TokenData, http: httpx.Client, code: str, fragment: str
) -> None:
    emu.response_failed(code=code)
    events = stream(http, emu, tokens, body())
    assert check_grammar(events) == "response.failed"
    failed = events[-1]["response"]
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == code
    assert fragment in failed["error"]["message"]
    recorded = (
        parse_sse((FIXTURES / f"codex_response_failed_{code}.sse").read_text())
        if code
        in {
            "context_length_exceeded",
            "insufficient_quota",
            "rate_limit_exceeded",
        }
        else None
    )
    if recorded:
        assert set(recorded[0]["response"]["error"]) == set(failed["error"])
        assert recorded[0]["type"] == events[-1]["type"]


def test_response_failed_custom_message(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    emu.response_failed(code="rate_limit_exceeded", message="Please try again in 250ms.")
    assert (
        stream(http, emu, tokens, body())[-1]["response"]["error"]["message"] == "Please try again in 250ms."
    )


@pytest.mark.parametrize("reason", ["max_output_tokens", "content_filter"])
def test_response_incomplete(emu: CodexEmulator, tokens: TokenData, http: httpx.Client, reason: str) -> None:
    emu.response_incomplete(reason=reason)
    events = stream(http, emu, tokens, body())
    assert check_grammar(events) == "response.incomplete"
    final = events[-1]["response"]
    assert final["status"] == "incomplete"
    assert final["incomplete_details"] == {"reason": reason}
    assert final["usage"]["output_tokens"] > 0


def test_error_event(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    emu.error_event(code="server_error", message="boom")
    events = stream(http, emu, tokens, body())
    assert check_grammar(events) == "error"
    assert events[-1]["code"] == "server_error" and events[-1]["message"] == "boom"


def test_stall_trips_a_client_read_timeout(emu: CodexEmulator, tokens: TokenData) -> None:
    emu.stall(1.0, after_events=2)
    with httpx.Client(timeout=httpx.Timeout(5.0, read=0.2)) as client:
        with pytest.raises(httpx.ReadTimeout):
            with client.stream(
                "POST", f"{emu.base_url}/responses", json=body(), headers=auth_headers(tokens)
            ) as r:
                for _ in r.iter_raw():
                    pass


def test_stall_then_carry_on(emu: CodexEmulator, tokens: TokenData, http: httpx.Client) -> None:
    emu.stall(0.3, after_events=1)
    started = time.perf_counter()
    events = stream(http, emu, tokens, body())
    assert time.perf_counter() - started >= 0.3
    assert check_grammar(events) == "response.completed"


def test_stop_wakes_a_stalled_stream() -> None:
    emu = CodexEmulator().start()
    own = emu.login_tokens()
    emu.stall(30, after_events=1)
    client = httpx.Client(timeout=5)
    response = client.send(
        client.build_request("POST", f"{emu.base_url}/responses", json=body(), headers=auth_headers(own)),
        stream=True,
    )
    started = time.perf_counter()
    emu.stop()
    assert time.perf_counter() - started < 15  # woken, not after the 30 s stall
    with pytest.raises(httpx.HTTPError):
        for _ in response.iter_raw():
            pass
    client.close()
