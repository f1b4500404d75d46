"""Errors surface as both the oauth-codex error and LangChain's ``ModelError`` subclass (ADAPTERS §1.8)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelError,
    ModelNotFoundError,
    ModelRateLimitError,
)
from langchain_oauth_codex import (
    ChatCodexOAuth,
    CodexAPITimeoutError,
    CodexAuthenticationError,
    CodexContextWindowExceededError,
    CodexModelNotSupportedError,
    CodexNotAuthenticatedError,
    CodexRateLimitError,
    CodexStreamError,
    CodexUsageLimitError,
)
from langchain_oauth_codex._errors import translate_error

import oauth_codex
from oauth_codex import MemoryTokenStore
from oauth_codex.testing import CodexEmulator

Make = Callable[..., ChatCodexOAuth]


def test_usage_limit_is_a_non_retryable_rate_limit(make_model: Make, codex_emulator: CodexEmulator) -> None:
    codex_emulator.usage_limit(times=1, plan_type="plus")
    with pytest.raises(oauth_codex.UsageLimitError) as info:
        make_model(emu=codex_emulator).invoke("hi")
    err = info.value
    assert isinstance(err, CodexUsageLimitError)
    assert isinstance(err, ModelRateLimitError) and err.is_retryable is False
    assert err.resets_at is not None and err.plan_type == "plus" and err.status_code == 429
    assert isinstance(err.__cause__, oauth_codex.UsageLimitError)
    assert not isinstance(err.__cause__, ModelError)


async def test_async_stream_errors_are_typed_too(make_model: Make, codex_emulator: CodexEmulator) -> None:
    codex_emulator.usage_limit(times=1)
    with pytest.raises(ModelRateLimitError) as info:
        async for _ in make_model(emu=codex_emulator).astream("hi"):
            pass
    assert isinstance(info.value, oauth_codex.UsageLimitError)


def test_with_retry_recovers_from_a_rate_limit(make_model: Make, codex_emulator: CodexEmulator) -> None:
    codex_emulator.rate_limit(times=1, retry_after=0.0)
    llm = make_model(emu=codex_emulator).with_retry(
        retry_if_exception_type=(ModelRateLimitError,), stop_after_attempt=2, wait_exponential_jitter=False
    )
    assert llm.invoke("hi").text == 'Emulator reply to: "hi"'
    assert [r.status for r in codex_emulator.responses_requests] == [429, 200]


def test_with_fallbacks_catches_the_langchain_type(make_model: Make, codex_emulator: CodexEmulator) -> None:
    codex_emulator.usage_limit(times=1)
    primary = make_model(emu=codex_emulator, model="gpt-5.5")
    backup = make_model(emu=codex_emulator, model="gpt-5.4")
    chain = primary.with_fallbacks([backup], exceptions_to_handle=(ModelRateLimitError,))
    assert chain.invoke("hi").response_metadata["model_name"] == "gpt-5.4"


def test_context_length_failure_is_a_context_overflow(
    make_model: Make, codex_emulator: CodexEmulator
) -> None:
    codex_emulator.response_failed(code="context_length_exceeded")
    with pytest.raises(ContextOverflowError) as info:
        make_model(emu=codex_emulator).invoke("hi")
    assert isinstance(info.value, oauth_codex.ContextWindowExceededError)
    assert isinstance(info.value, CodexContextWindowExceededError)


def test_a_stream_cut_after_output_is_a_stream_error(make_model: Make, codex_emulator: CodexEmulator) -> None:
    codex_emulator.set_answer(deltas=20)
    codex_emulator.drop_mid_stream(after_events=8, times=5)
    received: list[str] = []
    with pytest.raises(CodexStreamError) as info:
        for chunk in make_model(emu=codex_emulator, max_retries=0).stream("hi"):
            received.append(chunk.text)
    assert isinstance(info.value, ModelAPIError) and isinstance(info.value, oauth_codex.StreamError)
    assert "".join(received)  # what arrived was streamed before the failure


def test_unsupported_model_is_model_not_found(make_model: Make, shared_emulator: CodexEmulator) -> None:
    with pytest.raises(ModelNotFoundError) as info:
        make_model(model="gpt-4o").invoke("hi")
    assert isinstance(info.value, CodexModelNotSupportedError)
    assert isinstance(info.value, oauth_codex.BadRequestError)
    assert "gpt-4o" in str(info.value)


def test_one_401_is_recovered_by_the_core_client(make_model: Make, codex_emulator: CodexEmulator) -> None:
    codex_emulator.unauthorized(times=1)
    assert make_model(emu=codex_emulator).invoke("hi").text
    assert codex_emulator.grant_counts.get("refresh_token") == 1


def test_persistent_401_is_an_authentication_error(make_model: Make, codex_emulator: CodexEmulator) -> None:
    codex_emulator.unauthorized(times=3)
    with pytest.raises(ModelAuthenticationError) as info:
        make_model(emu=codex_emulator).invoke("hi")
    assert isinstance(info.value, CodexAuthenticationError)
    assert isinstance(info.value, oauth_codex.AuthenticationError)


def test_missing_login_is_an_authentication_error(make_model: Make, shared_emulator: CodexEmulator) -> None:
    with pytest.raises(ModelAuthenticationError) as info:
        make_model(token_store=MemoryTokenStore()).invoke("hi")
    assert isinstance(info.value, CodexNotAuthenticatedError)
    assert isinstance(info.value, oauth_codex.NotAuthenticatedError)


def test_translate_error_keeps_attributes_and_is_idempotent() -> None:
    core = oauth_codex.RateLimitError("slow down", status_code=429, retry_after=2.5, request_id="req_1")
    translated = translate_error(core)
    assert isinstance(translated, CodexRateLimitError) and isinstance(translated, oauth_codex.RateLimitError)
    assert (
        translated.retry_after == 2.5 and translated.request_id == "req_1" and str(translated) == "slow down"
    )
    assert translated.is_retryable is True  # type: ignore[attr-defined]
    assert translate_error(translated) is translated
    plain = ValueError("not ours")
    assert translate_error(plain) is plain
    timeout = translate_error(oauth_codex.APITimeoutError("took too long"))
    assert isinstance(timeout, CodexAPITimeoutError)
    stream = translate_error(oauth_codex.StreamError("ctx", code="context_length_exceeded"))
    assert isinstance(stream, ContextOverflowError) and isinstance(stream, oauth_codex.StreamError)
    quota = translate_error(oauth_codex.StreamError("quota", code="insufficient_quota"))
    assert isinstance(quota, ModelAPIError) and quota.is_retryable is False  # type: ignore[attr-defined]


def test_unsupported_reasoning_effort_is_an_invalid_request_not_a_missing_model(
    make_model: Make, shared_emulator: CodexEmulator
) -> None:
    """A fallback chain on ModelNotFoundError must not fire on a bad parameter (issue 12 §5)."""
    from langchain_core.exceptions import ModelInvalidRequestError
    from langchain_oauth_codex import CodexInvalidParameterError

    # gpt-5.4 is not in the built-in catalog, so the client cannot clamp the effort: the backend answers 400
    bad = make_model(model="gpt-5.4", reasoning_effort="minimal")
    backup = make_model(model="gpt-5.4")
    with pytest.raises(CodexInvalidParameterError) as info:
        bad.with_fallbacks([backup], exceptions_to_handle=(ModelNotFoundError,)).invoke("hi")
    err = info.value
    assert isinstance(err, ModelInvalidRequestError) and not isinstance(err, ModelNotFoundError)
    assert isinstance(err, oauth_codex.InvalidParameterError) and isinstance(err, oauth_codex.BadRequestError)
    assert not isinstance(err, oauth_codex.ModelNotSupportedError)
    assert err.param == "reasoning.effort" and err.is_retryable is False


def test_a_short_rate_limit_is_retried_by_the_core(make_model: Make, codex_emulator: CodexEmulator) -> None:
    """No with_retry needed: a 429 rate limit with a short Retry-After is waited out (issue 12 §5)."""
    codex_emulator.rate_limit(times=1, retry_after=0.05)
    assert make_model(emu=codex_emulator).invoke("hi").text == 'Emulator reply to: "hi"'
    assert [r.status for r in codex_emulator.responses_requests] == [429, 200]
