"""A stream that fails before any content is re-sent by the core, through every LangChain entry point.

The core holds back bookkeeping events (``response.created`` ...) of a ``raw_events=True`` stream until the
first content-bearing event, so these faults are invisible to the caller: one clean answer, two requests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk
from langchain_oauth_codex import ChatCodexOAuth, CodexStreamError

from oauth_codex.testing import CodexEmulator

Make = Callable[..., ChatCodexOAuth]
ANSWER = 'Emulator reply to: "hi"'

FAULTS: dict[str, Callable[[CodexEmulator], None]] = {
    "drop-after-created": lambda e: e.drop_mid_stream(after_events=1),
    "drop-after-item-added": lambda e: e.drop_mid_stream(after_events=4),  # skeletons, no text yet
    "end-without-completed": lambda e: e.end_without_completed(after_events=2),
    "failed-server_error": lambda e: e.response_failed(code="server_error"),
    "failed-server_is_overloaded": lambda e: e.response_failed(code="server_is_overloaded"),
    "error-event": lambda e: e.error_event(code="server_error"),
}


async def _run(llm: ChatCodexOAuth, mode: str) -> str:
    if mode == "invoke":
        return llm.invoke("hi").text
    if mode == "ainvoke":
        return (await llm.ainvoke("hi")).text
    chunks: list[AIMessageChunk] = []
    if mode == "stream":
        chunks = list(llm.stream("hi"))
    else:
        chunks = [chunk async for chunk in llm.astream("hi")]
    merged: Any = chunks[0]
    for chunk in chunks[1:]:
        merged = merged + chunk
    return str(merged.text)


@pytest.mark.parametrize("mode", ["invoke", "stream", "ainvoke", "astream"])
@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_failure_before_content_is_retried(
    make_model: Make, codex_emulator: CodexEmulator, fault: str, mode: str
) -> None:
    FAULTS[fault](codex_emulator)
    llm = make_model(emu=codex_emulator, max_retries=2)
    assert await _run(llm, mode) == ANSWER
    assert [r.status for r in codex_emulator.responses_requests] == [200, 200]


@pytest.mark.parametrize("mode", ["invoke", "astream"])
async def test_fatal_failure_before_content_is_not_retried(
    make_model: Make, codex_emulator: CodexEmulator, mode: str
) -> None:
    codex_emulator.response_failed(code="invalid_prompt")
    with pytest.raises(CodexStreamError) as info:
        await _run(make_model(emu=codex_emulator, max_retries=2), mode)
    assert info.value.code == "invalid_prompt" and info.value.is_retryable is False
    assert len(codex_emulator.responses_requests) == 1


async def test_failure_after_content_raises_with_what_arrived(
    make_model: Make, codex_emulator: CodexEmulator
) -> None:
    codex_emulator.set_answer(deltas=20)
    codex_emulator.drop_mid_stream(after_events=8)
    seen: list[str] = []
    with pytest.raises(CodexStreamError) as info:
        async for chunk in make_model(emu=codex_emulator, max_retries=2).astream("hi"):
            seen.append(chunk.text)
    assert "".join(seen) and info.value.partial_text == "".join(seen)
    assert len(codex_emulator.responses_requests) == 1
