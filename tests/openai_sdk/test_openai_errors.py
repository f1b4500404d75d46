"""Refresh, retries and errors of ``oauth_codex.openai`` as the openai SDK's own exceptions (emulator, loopback)."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from oauth_codex import (
    AuthenticationError,
    ContextWindowExceededError,
    MemoryTokenStore,
    NotAuthenticatedError,
    StreamError,
    UsageLimitError,
)
from oauth_codex.openai import AsyncOpenAI, OpenAI
from oauth_codex.testing import CodexEmulator

MODEL = "gpt-5.5"


def test_a_401_refreshes_once_and_retries_once(refreshing: OpenAI, counting: Any, emu: CodexEmulator) -> None:
    emu.unauthorized(times=1)
    assert refreshing.responses.create(model=MODEL, input="after a 401").output_text
    assert counting.refreshes == 1
    assert [r.status for r in emu.responses_requests] == [401, 200]


def test_a_second_401_is_the_sdk_authentication_error(refreshing: OpenAI, counting: Any, emu: CodexEmulator) -> None:
    emu.unauthorized(times=2)
    with pytest.raises(openai.AuthenticationError) as caught:
        refreshing.responses.create(model=MODEL, input="hi")
    assert isinstance(caught.value.__cause__, AuthenticationError)
    assert caught.value.status_code == 401 and "oauth-codex login" in caught.value.message
    assert counting.refreshes == 1 and len(emu.responses_requests) == 2


def test_a_real_expired_token_is_refreshed_through_the_token_endpoint(emu: CodexEmulator) -> None:
    store = MemoryTokenStore(emu.login_tokens())
    with OpenAI(base_url=emu.base_url, oauth_config=emu.oauth_config(), token_store=store, interactive=False) as sdk:
        emu.expire_tokens()
        assert sdk.responses.create(model=MODEL, input="fresh token please").output_text
    assert emu.grant_counts.get("refresh_token") == 1


def test_a_usage_limit_is_a_rate_limit_error_never_retried(client: OpenAI, emu: CodexEmulator) -> None:
    emu.usage_limit(plan_type="plus")
    with pytest.raises(openai.RateLimitError) as caught:
        client.responses.create(model=MODEL, input="hi")
    error = caught.value
    cause = error.__cause__
    assert isinstance(cause, UsageLimitError) and cause.resets_at is not None
    assert error.status_code == 429 and error.code == "usage_limit_reached"
    assert isinstance(error.body, dict) and error.body["resets_at"] == int(cause.resets_at.timestamp())
    assert "usage limit" in error.message
    assert len(emu.responses_requests) == 1  # neither this project nor the SDK retried it


async def test_async_usage_limit(aclient: AsyncOpenAI, emu: CodexEmulator) -> None:
    emu.usage_limit()
    with pytest.raises(openai.RateLimitError) as caught:
        await aclient.responses.create(model=MODEL, input="hi", stream=True)
    assert isinstance(caught.value.__cause__, UsageLimitError)
    assert len(emu.responses_requests) == 1


def test_a_missing_login_is_an_authentication_error(emu: CodexEmulator) -> None:
    sdk = OpenAI(
        base_url=emu.base_url, oauth_config=emu.oauth_config(), token_store=MemoryTokenStore(), interactive=False
    )
    with pytest.raises(openai.AuthenticationError) as caught:
        sdk.responses.create(model=MODEL, input="hi")
    assert isinstance(caught.value.__cause__, NotAuthenticatedError)
    assert emu.responses_requests == []


def test_a_dropped_stream_raises_after_the_partial_events(client: OpenAI, emu: CodexEmulator) -> None:
    emu.set_answer(text="one two three four five six seven eight", deltas=8)
    emu.drop_mid_stream(after_events=6)
    stream = client.responses.create(model=MODEL, input="hi", stream=True)
    seen: list[str] = []
    with pytest.raises(openai.APIConnectionError) as caught:
        for event in stream:
            seen.append(event.type)
    cause = caught.value.__cause__
    assert isinstance(cause, StreamError) and cause.code == "stream_disconnected"
    assert "response.output_text.delta" in seen and "response.completed" not in seen
    assert cause.partial_text and cause.partial_text != "one two three four five six seven eight"


async def test_async_stream_ended_without_completed_is_an_error(aclient: AsyncOpenAI, emu: CodexEmulator) -> None:
    emu.end_without_completed(after_events=5)
    stream = await aclient.responses.create(model=MODEL, input="hi", stream=True)
    with pytest.raises(openai.APIConnectionError) as caught:
        async for _ in stream:
            pass
    assert isinstance(caught.value.__cause__, StreamError)
    assert caught.value.__cause__.code == "stream_incomplete"


def test_a_dropped_non_streaming_call_is_resent_or_raised_never_short(client: OpenAI, emu: CodexEmulator) -> None:
    emu.drop_mid_stream(after_events=6)
    assert client.responses.create(model=MODEL, input="hello again").output_text == ('Emulator reply to: "hello again"')
    assert len(emu.responses_requests) == 2

    no_retries = OpenAI(llm=emu.client(max_retries=0))
    emu.drop_mid_stream(after_events=6)
    with pytest.raises(openai.APIConnectionError) as caught:
        no_retries.responses.create(model=MODEL, input="hi")
    assert isinstance(caught.value.__cause__, StreamError)


def test_server_errors_are_retried_by_the_project_policy(client: OpenAI, emu: CodexEmulator) -> None:
    emu.server_error(status=502, times=2)
    assert client.responses.create(model=MODEL, input="hi").output_text
    assert [r.status for r in emu.responses_requests] == [502, 502, 200]


def test_response_failed_in_a_stream(client: OpenAI, emu: CodexEmulator) -> None:
    emu.response_failed(code="context_length_exceeded")  # before any output: create() raises
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="hi", stream=True)
    assert isinstance(caught.value.__cause__, ContextWindowExceededError)

    emu.response_failed(code="context_length_exceeded", after_events=5)  # after output: the event says it
    events = list(client.responses.create(model=MODEL, input="hi", stream=True))
    assert "response.output_text.delta" in [e.type for e in events]
    assert events[-1].type == "response.failed"
    assert events[-1].response.error is not None
    assert events[-1].response.error.code == "context_length_exceeded"


def test_response_failed_without_stream_is_a_status_error(client: OpenAI, emu: CodexEmulator) -> None:
    emu.response_failed(code="context_length_exceeded")
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="hi")
    assert isinstance(caught.value.__cause__, ContextWindowExceededError)
    assert caught.value.code == "context_length_exceeded"


def test_backend_bad_requests_keep_the_backend_message(client: OpenAI, emu: CodexEmulator) -> None:
    with pytest.raises(openai.BadRequestError, match="not supported when using Codex") as caught:
        client.responses.create(model="gpt-4o", input="hi")
    assert caught.value.status_code == 400


def test_no_token_in_errors(client: OpenAI, emu: CodexEmulator) -> None:
    token = client.llm.token_provider.get_token().token
    emu.usage_limit()
    with pytest.raises(openai.RateLimitError) as caught:
        client.responses.create(model=MODEL, input="hi")
    error = caught.value
    for text in (str(error), repr(error), str(error.body), str(error.request.headers), str(error.response.headers)):
        assert token not in text


def test_an_incomplete_response_is_returned_as_incomplete(client: OpenAI, emu: CodexEmulator) -> None:
    """As on the platform API: status "incomplete" with its reason (Chat Completions: finish_reason "length")."""
    emu.response_incomplete(reason="max_output_tokens")
    response = client.responses.create(model=MODEL, input="hi")
    assert response.status == "incomplete"
    assert response.incomplete_details is not None and response.incomplete_details.reason == "max_output_tokens"
    emu.response_incomplete(reason="content_filter")
    completion = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    assert completion.choices[0].finish_reason == "content_filter"
