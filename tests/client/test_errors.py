"""Errors, retries and the 401 refresh path against the emulator's fault injection."""

from __future__ import annotations

import socket
from datetime import datetime

import httpx
import pytest

from oauth_codex import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CodexOAuthLLM,
    ContextWindowExceededError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    StaticTokenProvider,
    StreamError,
    UsageLimitError,
)
from oauth_codex.testing import CodexEmulator

from .helpers import MODES, CountingProvider, run


@pytest.mark.parametrize("mode", MODES)
async def test_usage_limit_is_never_retried(llm: CodexOAuthLLM, emu: CodexEmulator, mode: str) -> None:
    emu.usage_limit(plan_type="plus")
    with pytest.raises(UsageLimitError) as info:
        await run(llm, mode, prompt="x")
    error = info.value
    assert isinstance(error.resets_at, datetime)
    assert error.plan_type == "plus"
    assert error.resets_in_seconds is not None
    assert error.status_code == 429
    assert len(emu.responses_requests) == 1
    # rate limits come from the 429's headers too
    assert llm.last_rate_limits is not None and error.rate_limits == llm.last_rate_limits


def test_usage_limit_404_variant_and_not_included(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    emu.usage_limit(status=404, plan_type="free")
    with pytest.raises(UsageLimitError, match="Upgrade to Plus"):
        llm.generate(prompt="x")
    emu.usage_not_included(plan_type="free")
    with pytest.raises(UsageLimitError) as info:
        llm.generate(prompt="x")
    assert info.value.code == "usage_not_included"
    assert len(emu.responses_requests) == 2


def test_rate_limit_429_with_a_short_retry_after_is_retried(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    """Like the openai SDK: a 429 rate limit (not a usage limit) waits Retry-After, within the budget."""
    emu.rate_limit(retry_after=0.05)
    assert llm.generate(prompt="x")
    assert [r.status for r in emu.responses_requests] == [429, 200]
    gap = emu.responses_requests[1].time - emu.responses_requests[0].time
    assert gap >= 0.05


def test_rate_limit_429_asking_for_more_than_the_cap_is_raised_at_once(
    llm: CodexOAuthLLM, emu: CodexEmulator
) -> None:
    emu.rate_limit(retry_after=120)
    with pytest.raises(RateLimitError) as info:
        llm.generate(prompt="x")
    assert type(info.value) is RateLimitError
    assert info.value.retry_after == 120
    assert len(emu.responses_requests) == 1


def test_rate_limit_429_retries_stop_at_the_budget(emu: CodexEmulator) -> None:
    emu.rate_limit(retry_after=0.0, times=5)
    llm = emu.client(max_retries=2)
    with pytest.raises(RateLimitError):
        llm.generate(prompt="x")
    assert [r.status for r in emu.responses_requests] == [429, 429, 429]
    llm.close()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_is_retried_then_succeeds(
    llm: CodexOAuthLLM, emu: CodexEmulator, mode: str, status: int
) -> None:
    emu.server_error(status=status, times=2)
    result = await run(llm, mode, prompt="hello")
    assert result.text
    assert len(emu.responses_requests) == 3


def test_5xx_exhausts_max_retries(emu: CodexEmulator, provider: CountingProvider) -> None:
    llm = emu.client(token_provider=provider, max_retries=2, retry_backoff=0.001)
    emu.server_error(status=503, times=10, code="server_is_overloaded")
    with pytest.raises(ServerError, match="overloaded") as info:
        llm.generate(prompt="x")
    assert info.value.status_code == 503
    assert len(emu.responses_requests) == 3


def test_max_retries_zero(emu: CodexEmulator, provider: CountingProvider) -> None:
    llm = emu.client(token_provider=provider, max_retries=0)
    emu.server_error(status=500)
    with pytest.raises(ServerError):
        llm.generate(prompt="x")
    assert len(emu.responses_requests) == 1


def test_backoff_delays_follow_the_schedule(
    emu: CodexEmulator, provider: CountingProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr("oauth_codex.client.time.sleep", slept.append)
    llm = emu.client(token_provider=provider)  # default backoff 0.2 s, never really slept here
    emu.server_error(status=500, times=4)
    assert llm.generate(prompt="x")
    assert len(slept) == 4
    for n, delay in enumerate(slept, start=1):
        assert 0.2 * 2 ** (n - 1) * 0.9 <= delay <= 0.2 * 2 ** (n - 1) * 1.1


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_dropped_stream_is_resent_when_nothing_was_yielded(
    llm: CodexOAuthLLM, emu: CodexEmulator, mode: str
) -> None:
    emu.drop_mid_stream(after_events=5)
    result = await run(llm, mode, prompt="hello there")
    assert result.text == 'Emulator reply to: "hello there"'
    assert len(emu.responses_requests) == 2


@pytest.mark.parametrize("aio", [False, True])
async def test_dropped_text_stream_after_output_raises_with_partial_text(
    llm: CodexOAuthLLM, emu: CodexEmulator, aio: bool
) -> None:
    emu.set_answer(deltas=20)
    emu.drop_mid_stream(after_events=8)
    chunks: list[str] = []
    with pytest.raises(StreamError) as info:
        if aio:
            async for chunk in llm.agenerate_stream(prompt="tell me a long story"):
                chunks.append(chunk)  # type: ignore[arg-type]
        else:
            for chunk in llm.generate_stream(prompt="tell me a long story"):
                chunks.append(chunk)  # type: ignore[arg-type]
    assert chunks
    assert info.value.partial_text == "".join(chunks)
    assert info.value.code == "stream_disconnected"
    assert len(emu.responses_requests) == 1  # output reached the caller: never re-sent


@pytest.mark.parametrize("mode", MODES)
async def test_end_without_completed_is_an_error_not_a_truncation(
    emu: CodexEmulator, provider: CountingProvider, mode: str
) -> None:
    llm = emu.client(token_provider=provider, max_retries=0)
    emu.end_without_completed(after_events=6)
    with pytest.raises(StreamError, match="before response.completed") as info:
        await run(llm, mode, prompt="hello there")
    assert info.value.code == "stream_incomplete"


def test_end_without_completed_is_retried_by_generate(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    emu.end_without_completed(after_events=6)
    assert llm.generate(prompt="hello") == 'Emulator reply to: "hello"'
    assert len(emu.responses_requests) == 2


def test_text_stream_ending_without_completed_raises_after_partial_output(
    llm: CodexOAuthLLM, emu: CodexEmulator
) -> None:
    emu.set_answer(deltas=10)
    emu.end_without_completed(after_events=8)
    chunks: list[str] = []
    with pytest.raises(StreamError) as info:
        for chunk in llm.generate_stream(prompt="hello"):
            chunks.append(chunk)  # type: ignore[arg-type]
    assert chunks and info.value.partial_text == "".join(chunks)


@pytest.mark.parametrize("mode", MODES)
async def test_context_length_failure_is_fatal(llm: CodexOAuthLLM, emu: CodexEmulator, mode: str) -> None:
    emu.response_failed(code="context_length_exceeded")
    with pytest.raises(ContextWindowExceededError):
        await run(llm, mode, prompt="x")
    assert len(emu.responses_requests) == 1


@pytest.mark.parametrize("code", ["insufficient_quota", "usage_not_included"])
def test_fatal_failure_codes(llm: CodexOAuthLLM, emu: CodexEmulator, code: str) -> None:
    emu.response_failed(code=code)
    with pytest.raises(StreamError) as info:
        llm.generate(prompt="x")
    assert info.value.code == code
    assert len(emu.responses_requests) == 1


def test_retryable_failure_is_resent(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    emu.response_failed(code="server_error", message="transient")
    assert llm.generate(prompt="x")
    assert len(emu.responses_requests) == 2


def test_rate_limit_failure_honours_try_again_in(
    llm: CodexOAuthLLM, emu: CodexEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr("oauth_codex.client.time.sleep", slept.append)
    emu.response_failed(code="rate_limit_exceeded", message="Rate limit reached. Please try again in 1.5s.")
    assert llm.generate(prompt="x")
    assert slept == [1.5]


def test_error_event(emu: CodexEmulator, provider: CountingProvider) -> None:
    llm = emu.client(token_provider=provider, max_retries=0)
    emu.error_event(code="server_error", message="kaboom")
    with pytest.raises(StreamError, match="kaboom") as info:
        llm.generate(prompt="x")
    assert info.value.code == "server_error"


def test_403_and_policy_are_not_retried(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    emu.cloudflare_block()
    with pytest.raises(PermissionDeniedError, match="Cloudflare"):
        llm.generate(prompt="x")
    emu.policy_block()
    with pytest.raises(BadRequestError):
        llm.generate(prompt="x")
    assert len(emu.responses_requests) == 2


# ------------------------------------------------------------------------------------- 401


@pytest.mark.parametrize("mode", MODES)
async def test_401_refreshes_once_and_retries(
    llm: CodexOAuthLLM, emu: CodexEmulator, provider: CountingProvider, mode: str
) -> None:
    rejected = provider.token
    emu.unauthorized(times=1)
    assert (await run(llm, mode, prompt="x")).text
    assert provider.refreshes == [rejected]
    auths = [r.headers["authorization"] for r in emu.responses_requests]
    assert auths == [f"Bearer {rejected.token}", f"Bearer {provider.token.token}"]


@pytest.mark.parametrize("mode", MODES)
async def test_second_401_is_authentication_error(
    llm: CodexOAuthLLM, emu: CodexEmulator, provider: CountingProvider, mode: str
) -> None:
    emu.unauthorized(times=2)
    with pytest.raises(AuthenticationError, match="oauth-codex login") as info:
        await run(llm, mode, prompt="x")
    assert info.value.status_code == 401
    assert len(provider.refreshes) == 1
    assert len(emu.responses_requests) == 2
    assert provider.token.token not in str(info.value)


def test_static_token_401_says_what_to_do(emu: CodexEmulator) -> None:
    llm = emu.client(token_provider=StaticTokenProvider("not-a-jwt"))
    with pytest.raises(AuthenticationError, match="static access token"):
        llm.generate(prompt="x")


# ------------------------------------------------------------------------------------- transport


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_connection_refused_after_retries(mode: str) -> None:
    llm = CodexOAuthLLM(
        base_url=f"http://127.0.0.1:{_closed_port()}/backend-api/codex",
        token_provider=StaticTokenProvider("t"),
        max_retries=2,
        retry_backoff=0.001,
    )
    with pytest.raises(APIConnectionError, match="3 attempt"):
        await run(llm, mode, prompt="x")


def test_read_timeout_before_output(emu: CodexEmulator, provider: CountingProvider) -> None:
    llm = emu.client(
        token_provider=provider, timeout=httpx.Timeout(0.3, connect=2.0), max_retries=1, retry_backoff=0.001
    )
    emu.stall(1.0, after_events=0, times=2)
    with pytest.raises(APITimeoutError, match="did not answer in time") as info:
        llm.generate(prompt="x")
    assert "Bearer" not in str(info.value)
    assert len(emu.responses_requests) == 2


def test_stall_mid_text_stream_is_a_stream_error(emu: CodexEmulator, provider: CountingProvider) -> None:
    llm = emu.client(token_provider=provider, timeout=httpx.Timeout(0.3, connect=2.0))
    emu.set_answer(deltas=10)
    emu.stall(1.0, after_events=6)
    chunks: list[str] = []
    with pytest.raises(StreamError) as info:
        for chunk in llm.generate_stream(prompt="x"):
            chunks.append(chunk)  # type: ignore[arg-type]
    assert info.value.code == "stream_timeout"
    assert info.value.partial_text == "".join(chunks)


def test_last_rate_limits_updated_from_every_response(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    assert llm.last_rate_limits is None
    result = llm.generate(prompt="x", return_details=True)
    first = llm.last_rate_limits
    assert first is not None and first.primary is not None
    assert result.rate_limits == first
    llm.generate(prompt="y")
    second = llm.last_rate_limits
    assert second is not None and second.primary is not None
    assert second.primary.used_percent > first.primary.used_percent
    emu.usage_limit()
    with pytest.raises(UsageLimitError):
        llm.generate(prompt="z")
    assert llm.last_rate_limits is not second


def test_models_and_usage_map_transport_errors_like_generate() -> None:
    """A black-hole server: typed errors (APITimeoutError like generate), never a raw httpx one (item 10)."""
    import threading
    import warnings

    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(16)  # accepts connections, never answers
        accepted: list[socket.socket] = []
        stop = threading.Event()

        def accept() -> None:
            hole.settimeout(0.1)
            while not stop.is_set():
                try:
                    accepted.append(hole.accept()[0])
                except OSError:
                    pass

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        try:
            llm = CodexOAuthLLM(
                base_url=f"http://127.0.0.1:{hole.getsockname()[1]}/backend-api/codex",
                token_provider=StaticTokenProvider("t"),
                timeout=httpx.Timeout(0.3, connect=2.0),
            )
            with pytest.raises(APITimeoutError, match="did not answer in time"):
                llm.usage()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                models = llm.list_models(refresh=True)
            assert models and any("did not answer in time" in str(w.message) for w in caught)
        finally:
            stop.set()
            thread.join(5)
            for sock in accepted:
                sock.close()
    closed = CodexOAuthLLM(
        base_url=f"http://127.0.0.1:{_closed_port()}/backend-api/codex", token_provider=StaticTokenProvider("t")
    )
    with pytest.raises(APIConnectionError, match="Could not reach the usage endpoint"):
        closed.usage()
