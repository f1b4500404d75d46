"""The fault matrix: every injected failure x {sync, async, stream, astream}, over real loopback HTTP.

One data table (:data:`CASES`) drives all four call modes. Each case says what the emulator does wrong, what
the caller must see (the full answer, or one exact error type) and how many ``POST /responses`` the
emulator must have received (so "retried", "retried with backoff" and "never retried" are all checked).
Streaming modes use text streams: when text was yielded before a failure, the error's ``partial_text`` must
be exactly what was yielded (no silent truncation, nothing hidden), and nothing is ever re-sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

from oauth_codex import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    CodexError,
    ContextWindowExceededError,
    MemoryTokenStore,
    RateLimitError,
    ServerError,
    StreamError,
    UsageLimitError,
)
from oauth_codex.testing import CodexEmulator

from .helpers import ANSWER, FIRST_DELTA, MODES, STREAMING, Outcome, call, closed_port

FIXTURES = Path(__file__).parent.parent / "fixtures"
#: a failure after this many events has yielded three text deltas
AFTER_TEXT = FIRST_DELTA + 3
#: every event of the answer except response.completed (created, in_progress, 4 + 10 deltas + 3 done)
ALL_BUT_COMPLETED = FIRST_DELTA + 10 + 3
SHORT_TIMEOUT = httpx.Timeout(0.4, connect=2.0)


def recorded_failures() -> list[tuple[str, str]]:
    """(code, message) of each recorded ``response.failed`` fixture."""
    found = []
    for path in sorted(FIXTURES.glob("codex_response_failed_*.sse")):
        data = next(line[5:].strip() for line in path.read_text().splitlines() if line.startswith("data:"))
        error = json.loads(data)["response"]["error"]
        found.append((error["code"], error["message"]))
    return found


FAILURES = dict(recorded_failures())


@dataclass
class Ctx:
    """What a case's ``check`` sees."""

    emu: CodexEmulator
    mode: str
    outcome: Outcome
    store: MemoryTokenStore
    before: Any  # the TokenData stored before the call


Partial = Literal["prefix", "full", "empty", None]


@dataclass(frozen=True)
class Case:
    """One row of the matrix. ``stream_*`` override the expectation for text streams (``...`` = same)."""

    id: str
    inject: Callable[[CodexEmulator], object]
    error: type[CodexError] | None
    requests: int
    code: str | None = None
    partial: Partial = None
    stream_error: Any = ...
    stream_requests: int | None = None
    stream_code: str | None = None
    stream_partial: Partial = None
    client: Callable[[CodexEmulator], dict[str, Any]] = field(default=lambda emu: {})
    check: Callable[[Ctx], None] | None = None


# ------------------------------------------------------------------------------------- checks


def check_usage_limit(ctx: Ctx) -> None:
    error = ctx.outcome.error
    assert isinstance(error, UsageLimitError)
    assert error.status_code == 429 and error.code == "usage_limit_reached" and error.plan_type == "plus"
    assert error.resets_at is not None and error.resets_at > datetime.now(UTC)
    assert error.retry_after is None  # never retried automatically


def check_retry_after(ctx: Ctx) -> None:
    error = ctx.outcome.error
    assert isinstance(error, RateLimitError) and error.retry_after == 90 and error.status_code == 429


def check_backoff(ctx: Ctx) -> None:
    """Retries are spaced by ``retry_backoff * 2**(n-1)`` (±10 %): 20 ms, then 40 ms."""
    times = [r.time for r in ctx.emu.responses_requests]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert gaps[0] >= 0.02 * 0.9 - 0.002 and gaps[1] >= 0.04 * 0.9 - 0.002, gaps


def check_server_error(ctx: Ctx) -> None:
    error = ctx.outcome.error
    assert isinstance(error, ServerError) and error.status_code == 500


def check_attempts(ctx: Ctx) -> None:
    assert "3 attempt(s)" in str(ctx.outcome.error)


def check_rate_limit_failure(ctx: Ctx) -> None:
    error = ctx.outcome.error
    assert isinstance(error, StreamError) and error.retry_after == pytest.approx(11.054)


def check_one_refresh(ctx: Ctx) -> None:
    assert ctx.emu.grant_counts.get("refresh_token") == 1
    first, second = ctx.emu.responses_requests
    assert first.headers["authorization"] != second.headers["authorization"]
    after = ctx.store.load()
    assert after is not None and after.refresh_token != ctx.before.refresh_token  # rotation saved


def check_refreshed_once_then_gave_up(ctx: Ctx) -> None:
    assert ctx.emu.grant_counts.get("refresh_token") == 1
    error = ctx.outcome.error
    assert isinstance(error, AuthenticationError) and error.status_code == 401


def check_tokens_kept(ctx: Ctx) -> None:
    assert ctx.store.load() == ctx.before  # the stored login is unchanged: nothing lost, nothing half-written
    assert "unchanged" in str(ctx.outcome.error)


def refresh_server_down(emu: CodexEmulator) -> dict[str, Any]:
    return {"oauth_config": emu.oauth_config(token_endpoint=f"http://127.0.0.1:{closed_port()}/oauth/token")}


def expire_and_fail_refresh(emu: CodexEmulator) -> None:
    emu.expire_tokens()
    emu.token_endpoint_error(status=503, times=5)


# ---------------------------------------------------------------------------------------- table

CASES = [
    Case(
        "429-usage-limit",
        lambda e: e.usage_limit(plan_type="plus"),
        UsageLimitError,
        1,
        check=check_usage_limit,
    ),
    Case("404-usage-limit", lambda e: e.usage_limit(status=404), UsageLimitError, 1),
    Case("429-short-retry-after-then-success", lambda e: e.rate_limit(retry_after=0.05), None, 2),
    Case(
        "429-retry-after-past-cap", lambda e: e.rate_limit(retry_after=90), RateLimitError, 1, check=check_retry_after
    ),
    *(
        Case(
            f"{status}-then-success",
            lambda e, s=status: e.server_error(status=s, times=2),
            None,
            3,
            client=lambda emu: {"retry_backoff": 0.02},
            check=check_backoff,
        )
        for status in (500, 502, 503)
    ),
    Case("5xx-forever", lambda e: e.server_error(500, times=10), ServerError, 3, check=check_server_error),
    Case(
        "connect-refused",
        lambda e: None,
        APIConnectionError,
        0,
        client=lambda emu: {"base_url": f"http://127.0.0.1:{closed_port()}/backend-api/codex"},
        check=check_attempts,
    ),
    Case("hang-up-before-first-byte", lambda e: e.hang_up(), None, 2),
    Case("hang-up-forever", lambda e: e.hang_up(times=10), APIConnectionError, 3, check=check_attempts),
    Case("drop-after-headers", lambda e: e.drop_mid_stream(after_events=0), None, 2),
    Case(
        "drop-mid-stream",
        lambda e: e.drop_mid_stream(after_events=AFTER_TEXT),
        None,
        2,
        stream_error=StreamError,
        stream_requests=1,
        stream_code="stream_disconnected",
        stream_partial="prefix",
    ),
    Case(
        "end-without-completed",
        lambda e: e.end_without_completed(after_events=AFTER_TEXT, times=3),
        StreamError,
        3,
        code="stream_incomplete",
        partial="prefix",
        stream_requests=1,
        stream_partial="prefix",
    ),
    Case(
        "full-text-but-no-completed",
        lambda e: e.end_without_completed(after_events=ALL_BUT_COMPLETED, times=3),
        StreamError,
        3,
        code="stream_incomplete",
        partial="full",
        stream_requests=1,
        stream_partial="full",
    ),
    Case(
        "end-without-completed-once",
        lambda e: e.end_without_completed(after_events=AFTER_TEXT),
        None,
        2,
        stream_error=StreamError,
        stream_requests=1,
        stream_code="stream_incomplete",
        stream_partial="prefix",
    ),
    Case(
        "read-timeout",
        lambda e: e.stall(2.0, after_events=0, times=2),
        APITimeoutError,
        2,
        client=lambda emu: {"timeout": SHORT_TIMEOUT, "max_retries": 1},
    ),
    Case(
        "stall-mid-stream",
        lambda e: e.stall(2.0, after_events=AFTER_TEXT),
        None,
        2,
        stream_error=StreamError,
        stream_requests=1,
        stream_code="stream_timeout",
        stream_partial="prefix",
        client=lambda emu: {"timeout": SHORT_TIMEOUT, "max_retries": 1},
    ),
    Case(
        "failed-context_length_exceeded",
        lambda e: e.response_failed(
            "context_length_exceeded", FAILURES["context_length_exceeded"], after_events=AFTER_TEXT
        ),
        ContextWindowExceededError,
        1,
        code="context_length_exceeded",
        partial="prefix",
        stream_partial="prefix",
    ),
    Case(
        "failed-insufficient_quota",
        lambda e: e.response_failed("insufficient_quota", FAILURES["insufficient_quota"], after_events=AFTER_TEXT),
        StreamError,
        1,
        code="insufficient_quota",
        partial="prefix",
        stream_partial="prefix",
    ),
    Case(
        "failed-rate_limit_exceeded",
        lambda e: e.response_failed("rate_limit_exceeded", FAILURES["rate_limit_exceeded"], after_events=AFTER_TEXT),
        StreamError,
        1,
        code="rate_limit_exceeded",
        partial="prefix",
        stream_partial="prefix",
        client=lambda emu: {"max_retries": 0},  # "try again in 11.054s": too long to wait in a test
        check=check_rate_limit_failure,
    ),
    Case(
        "failed-rate_limit-short-wait-then-success",
        lambda e: e.response_failed("rate_limit_exceeded", "Rate limit reached. Please try again in 0.05s."),
        None,
        2,
    ),
    Case("error-event-then-success", lambda e: e.error_event(), None, 2),
    Case(
        "incomplete",
        lambda e: e.response_incomplete("max_output_tokens"),
        StreamError,
        1,
        code="max_output_tokens",
        partial="full",
        stream_partial="full",
    ),
    Case("401-refresh-then-success", lambda e: e.expire_tokens(), None, 2, check=check_one_refresh),
    Case(
        "401-after-refresh",
        lambda e: e.unauthorized(times=2),
        AuthenticationError,
        2,
        check=check_refreshed_once_then_gave_up,
    ),
    Case(
        "refresh-server-down",
        lambda e: e.expire_tokens(),
        APIConnectionError,
        1,
        client=refresh_server_down,
        check=check_tokens_kept,
    ),
    Case("refresh-server-5xx", expire_and_fail_refresh, ServerError, 1, check=check_tokens_kept),
]

assert len(FAILURES) == 3, "one case per recorded response.failed fixture"
assert {f"failed-{code}" for code in FAILURES} <= {c.id for c in CASES}


def check_partial(error: StreamError, partial: Partial, outcome: Outcome, streaming: bool) -> None:
    text = error.partial_text
    if streaming:
        assert text == outcome.yielded, "partial_text must be exactly what the stream yielded"
    if partial == "prefix":
        assert text and ANSWER.startswith(text) and text != ANSWER
    elif partial == "full":
        assert text == ANSWER
    elif partial == "empty":
        assert text == ""


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
async def test_fault_matrix(emu: CodexEmulator, case: Case, mode: str) -> None:
    before = emu.login_tokens()
    store = MemoryTokenStore(before)
    options: dict[str, Any] = {"token_store": store, "retry_backoff": 0.001, "max_retries": 2}
    options.update(case.client(emu))
    llm = emu.client(**options)
    case.inject(emu)
    try:
        outcome = await call(llm, mode, "hello")
    finally:
        await llm.aclose()

    streaming = mode in STREAMING
    error_type = case.stream_error if streaming and case.stream_error is not ... else case.error
    requests = case.stream_requests if streaming and case.stream_requests is not None else case.requests
    code = case.stream_code if streaming and case.stream_code is not None else case.code
    partial = case.stream_partial if streaming else case.partial

    if error_type is None:
        assert outcome.error is None, f"unexpected {outcome.error!r}"
        assert outcome.text == ANSWER  # the full answer, never a truncated one
    else:
        assert type(outcome.error) is error_type, f"expected {error_type.__name__}, got {outcome.error!r}"
        assert outcome.text is None
        assert str(outcome.error).strip()
        if code is not None:
            assert getattr(outcome.error, "code", None) == code
        if isinstance(outcome.error, StreamError):
            check_partial(outcome.error, partial, outcome, streaming)
        elif streaming:
            assert outcome.chunks == []  # HTTP-level errors come before any text
    assert len(emu.responses_requests) == requests
    if case.check is not None:
        case.check(Ctx(emu, mode, outcome, store, before))
