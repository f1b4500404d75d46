"""A stream that fails before any content is re-sent by the core, through every LlamaIndex entry point.

The core holds back bookkeeping events (``response.created`` ...) of a ``raw_events=True`` stream until the
first content-bearing event, so these faults are invisible to the caller: one clean answer, two requests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from llama_index.core.base.llms.types import ChatMessage, ChatResponse

from oauth_codex import StreamError

if TYPE_CHECKING:
    from oauth_codex.testing import CodexEmulator

    from .conftest import MakeLLM

HELLO = [ChatMessage(role="user", content="hello there")]

FAULTS: dict[str, Callable[[CodexEmulator], None]] = {
    "drop-after-created": lambda e: e.drop_mid_stream(after_events=1),
    "drop-after-item-added": lambda e: e.drop_mid_stream(after_events=4),  # skeletons, no text yet
    "end-without-completed": lambda e: e.end_without_completed(after_events=2),
    "failed-server_error": lambda e: e.response_failed(code="server_error"),
    "failed-server_is_overloaded": lambda e: e.response_failed(code="server_is_overloaded"),
    "error-event": lambda e: e.error_event(code="server_error"),
}


async def _run(make_llm: MakeLLM, emu: CodexEmulator, mode: str) -> ChatResponse:
    llm = make_llm()
    if mode == "chat":
        return llm.chat(HELLO)
    if mode == "achat":
        return await llm.achat(HELLO)
    if mode == "stream_chat":
        return list(llm.stream_chat(HELLO))[-1]
    stream = await llm.astream_chat(HELLO)
    return [r async for r in stream][-1]


@pytest.mark.parametrize("mode", ["chat", "stream_chat", "achat", "astream_chat"])
@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_failure_before_content_is_retried(
    make_llm: MakeLLM, emu: CodexEmulator, fault: str, mode: str
) -> None:
    FAULTS[fault](emu)
    final = await _run(make_llm, emu, mode)
    assert "hello there" in (final.message.content or "")
    assert final.additional_kwargs["usage"]["total_tokens"] > 0
    assert [r.status for r in emu.responses_requests] == [200, 200]


async def test_failure_after_content_raises_instead_of_a_truncated_answer(
    make_llm: MakeLLM, emu: CodexEmulator
) -> None:
    emu.set_answer(deltas=20)
    emu.response_failed(code="server_error", after_events=8)
    received: list[ChatResponse] = []
    with pytest.raises(StreamError) as info:
        for response in make_llm().stream_chat(HELLO):
            received.append(response)
    assert received and received[-1].delta
    assert info.value.partial_text == received[-1].message.content
    assert len(emu.responses_requests) == 1
