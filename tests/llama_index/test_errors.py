"""Failures surface as the core's typed errors; recoverable ones are recovered by the core client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.llm import (
    LLMChatEndEvent,
    LLMChatInProgressEvent,
    LLMChatStartEvent,
    LLMCompletionEndEvent,
    LLMCompletionStartEvent,
)
from llama_index.llms.oauth_codex import CodexOAuth

from oauth_codex import (
    AuthenticationError,
    BadRequestError,
    ContextWindowExceededError,
    InvalidParameterError,
    ModelNotSupportedError,
    StreamError,
    UsageLimitError,
)

if TYPE_CHECKING:
    from oauth_codex.testing import CodexEmulator

HELLO = [ChatMessage(role="user", content="hello there")]


@pytest.fixture
async def fast_llm(emu: CodexEmulator) -> AsyncIterator[CodexOAuth]:
    """Retries without backoff pauses, to keep the tests fast."""
    llm = CodexOAuth(client=emu.client(retry_backoff=0.001, max_retries=2))
    yield llm
    await llm.client.aclose()


def statuses(emu: CodexEmulator) -> list[int]:
    return [r.status for r in emu.responses_requests]


# --------------------------------------------------------------------------- auth


def test_401_refreshes_once_and_retries(llm: CodexOAuth, emu: CodexEmulator) -> None:
    emu.unauthorized(times=1)
    response = llm.chat(HELLO)
    assert "hello there" in (response.message.content or "")
    assert statuses(emu) == [401, 200]
    assert emu.grant_counts.get("refresh_token") == 1


async def test_401_refresh_in_async_streaming(llm: CodexOAuth, emu: CodexEmulator) -> None:
    emu.unauthorized(times=1)
    stream = await llm.astream_chat(HELLO)
    responses = [r async for r in stream]
    assert "hello there" in (responses[-1].message.content or "")
    assert statuses(emu) == [401, 200]
    assert emu.grant_counts.get("refresh_token") == 1


def test_second_401_is_an_authentication_error(llm: CodexOAuth, emu: CodexEmulator) -> None:
    emu.unauthorized(times=2)
    with pytest.raises(AuthenticationError):
        llm.chat(HELLO)
    assert statuses(emu) == [401, 401]  # refreshed once, never loops
    assert emu.grant_counts.get("refresh_token") == 1


# --------------------------------------------------------------------------- limits


def test_usage_limit_raises_with_reset_time_and_is_not_retried(llm: CodexOAuth, emu: CodexEmulator) -> None:
    emu.usage_limit(plan_type="plus")
    with pytest.raises(UsageLimitError) as info:
        llm.chat(HELLO)
    assert isinstance(info.value.resets_at, datetime)
    assert info.value.plan_type == "plus"
    assert statuses(emu) == [429]


async def test_usage_limit_in_a_stream(llm: CodexOAuth, emu: CodexEmulator) -> None:
    emu.usage_limit(plan_type="free")
    stream = await llm.astream_chat(HELLO)
    with pytest.raises(UsageLimitError) as info:
        [r async for r in stream]
    assert info.value.resets_at is not None


# --------------------------------------------------------------------------- stream failures


def test_response_failed_in_a_stream_raises_without_a_final_message(
    llm: CodexOAuth, emu: CodexEmulator
) -> None:
    emu.set_answer(deltas=20)
    emu.response_failed(code="server_error", after_events=8)  # after some text: no retry
    received: list[Any] = []
    with pytest.raises(StreamError) as info:
        for response in llm.stream_chat(HELLO):
            received.append(response)
    assert info.value.code == "server_error"
    assert not any("usage" in r.additional_kwargs for r in received)


def test_stream_cut_after_text_raises_instead_of_a_truncated_answer(
    llm: CodexOAuth, emu: CodexEmulator
) -> None:
    emu.set_answer(deltas=20)
    emu.drop_mid_stream(after_events=8)
    received: list[Any] = []
    with pytest.raises(StreamError) as info:
        for response in llm.stream_chat(HELLO):
            received.append(response)
    assert received and received[-1].delta  # some text had streamed
    assert not any("usage" in r.additional_kwargs for r in received)
    assert info.value.partial_text == received[-1].message.content


async def test_async_stream_cut_raises(llm: CodexOAuth, emu: CodexEmulator) -> None:
    emu.set_answer(deltas=20)
    emu.drop_mid_stream(after_events=8)
    stream = await llm.astream_chat(HELLO)
    with pytest.raises(StreamError):
        [r async for r in stream]


def test_chat_recovers_from_a_failed_or_dropped_stream(fast_llm: CodexOAuth, emu: CodexEmulator) -> None:
    emu.response_failed(code="server_error")
    assert "hello there" in (fast_llm.chat(HELLO).message.content or "")
    emu.drop_mid_stream(after_events=4)
    assert "hello there" in (fast_llm.complete("hello there").text or "")
    assert statuses(emu) == [200, 200, 200, 200]


async def test_context_overflow_keeps_its_type_and_is_not_retried(
    fast_llm: CodexOAuth, emu: CodexEmulator
) -> None:
    emu.response_failed(code="context_length_exceeded")
    with pytest.raises(ContextWindowExceededError):
        await fast_llm.achat(HELLO)
    assert len(emu.responses_requests) == 1


@pytest.mark.parametrize("mode", ["chat", "achat", "stream_chat", "astream_chat"])
async def test_incomplete_answer_raises_like_the_core(llm: CodexOAuth, emu: CodexEmulator, mode: str) -> None:
    """Agents must not take a cut-short answer for a final one (issue 12 §4): the core's StreamError."""
    emu.response_incomplete(reason="max_output_tokens")
    with pytest.raises(StreamError) as info:
        if mode == "chat":
            llm.chat(HELLO)
        elif mode == "achat":
            await llm.achat(HELLO)
        elif mode == "stream_chat":
            list(llm.stream_chat(HELLO))
        else:
            [r async for r in await llm.astream_chat(HELLO)]
    assert info.value.code == "max_output_tokens"
    assert "hello there" in info.value.partial_text
    emu.response_incomplete(reason="max_output_tokens")
    with pytest.raises(StreamError) as core:  # the core's own behaviour, for comparison
        llm.client.generate("hello there")
    assert core.value.code == info.value.code


def test_bad_input_fails_before_any_request(llm: CodexOAuth, emu: CodexEmulator) -> None:
    with pytest.raises(ValueError, match="tool_call_id"):
        llm.stream_chat([ChatMessage(role="tool", content="orphan")])
    assert emu.responses_requests == []


# --------------------------------------------------------------------------- observability


class Recorder(BaseEventHandler):
    events: list[BaseEvent] = []

    @classmethod
    def class_name(cls) -> str:
        return "Recorder"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)


@pytest.fixture
def recorder() -> Any:
    handler = Recorder(events=[])
    dispatcher = get_dispatcher()  # the root: sees every event
    dispatcher.add_event_handler(handler)
    try:
        yield handler
    finally:
        dispatcher.event_handlers.remove(handler)


def test_instrumentation_sees_chat_start_and_end(llm: CodexOAuth, recorder: Recorder) -> None:
    llm.chat(HELLO)
    kinds = [type(e) for e in recorder.events]
    assert kinds.index(LLMChatStartEvent) < kinds.index(LLMChatEndEvent)
    [end] = [e for e in recorder.events if isinstance(e, LLMChatEndEvent)]
    assert end.response is not None and end.response.additional_kwargs["usage"]["total_tokens"] > 0
    [start] = [e for e in recorder.events if isinstance(e, LLMChatStartEvent)]
    assert start.model_dict["model_name"] == "gpt-5.5"


async def test_instrumentation_sees_streamed_chat(
    llm: CodexOAuth, recorder: Recorder, emu: CodexEmulator
) -> None:
    emu.set_answer(deltas=5)
    stream = await llm.astream_chat(HELLO)
    responses = [r async for r in stream]
    kinds = [type(e) for e in recorder.events]
    assert kinds.count(LLMChatStartEvent) == 1 and kinds.count(LLMChatEndEvent) == 1
    assert kinds.count(LLMChatInProgressEvent) == len(responses)
    assert kinds.index(LLMChatEndEvent) == len(kinds) - 1


def test_instrumentation_sees_completions(llm: CodexOAuth, recorder: Recorder) -> None:
    llm.complete("hi")
    kinds = [type(e) for e in recorder.events]
    assert LLMCompletionStartEvent in kinds and LLMCompletionEndEvent in kinds
    assert LLMChatStartEvent not in kinds  # one callback per call, not two


def test_token_counting_handler_reads_the_real_usage(emu: CodexEmulator) -> None:
    counter = TokenCountingHandler()
    llm = CodexOAuth(client=emu.client(), callback_manager=CallbackManager([counter]))
    response = llm.chat(HELLO)
    usage = response.additional_kwargs["usage"]
    assert counter.prompt_llm_token_count == usage["input_tokens"]
    assert counter.completion_llm_token_count == usage["output_tokens"]
    llm.client.close()


# --------------------------------------------------------------------------- issue 12 §5


async def test_unsupported_reasoning_effort_is_an_invalid_parameter(make_llm: Any) -> None:
    # gpt-5.4 is not in the built-in catalog, so the client cannot clamp the effort: the backend answers 400
    llm = make_llm(model="gpt-5.4", reasoning_effort="minimal")
    with pytest.raises(InvalidParameterError) as info:
        await llm.achat(HELLO)
    assert info.value.param == "reasoning.effort"
    assert isinstance(info.value, BadRequestError) and not isinstance(info.value, ModelNotSupportedError)


async def test_a_short_rate_limit_does_not_abort_a_function_agent(make_llm: Any, emu: CodexEmulator) -> None:
    from llama_index.core.agent.workflow import FunctionAgent

    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    emu.rate_limit(times=1, retry_after=0.05)
    agent = FunctionAgent(tools=[add], llm=make_llm(model="gpt-5.5"))
    answer = await agent.run("Use the add tool to add 2 and 3.")
    assert str(answer)
    assert [r.status for r in emu.responses_requests][:2] == [429, 200]


async def test_drift_errors_are_typed(emu: CodexEmulator) -> None:
    # issue 14 item 5: the core's typed drift errors reach LlamaIndex callers unchanged
    from oauth_codex import BlockedError

    llm = CodexOAuth(client=emu.client(), model="gpt-5.5")
    emu.html_challenge(status=403)
    with pytest.raises(BlockedError):
        await llm.achat(HELLO)
    emu.update_model("gpt-5.5", minimal_client_version="0.999.0")
    gated = CodexOAuth(client=emu.client(client_version="0.155.0"), model="gpt-5.5")
    with pytest.raises(ModelNotSupportedError) as info:
        list(gated.stream_chat(HELLO))
    assert info.value.gated and "gpt-6-astra" in info.value.available_models
    emu.response_failed(code="bio_policy", times=3)
    before = len(emu.responses_requests)
    with pytest.raises(StreamError):
        llm.chat(HELLO)
    assert len(emu.responses_requests) == before + 1


async def test_undecryptable_reasoning_is_stripped_and_sent_once_more(
    llm: CodexOAuth, emu: CodexEmulator
) -> None:
    """Replayed reasoning the backend cannot decrypt (another login): one warned retry without it (§4)."""
    from llama_index.core.base.llms.types import TextBlock, ThinkingBlock

    stale = ThinkingBlock(
        content="plan", additional_information={"provider": "oauth-codex", "encrypted_content": "gAAAA-stale"}
    )
    history = [
        ChatMessage(role="user", content="hi"),
        ChatMessage(role="assistant", blocks=[stale, TextBlock(text="Hello!")]),
        *HELLO,
    ]
    with pytest.warns(UserWarning, match="invalid_encrypted_content"):
        response = await llm.achat(history)
    assert "hello there" in (response.message.content or "")
    first, second = emu.responses_requests
    assert first.status == 400 and second.status == 200
    assert [i.get("type") for i in first.json["input"]].count("reasoning") == 1
    assert all(i.get("type") != "reasoning" for i in second.json["input"])
