"""CodexOAuth reuses one connection across calls (chat, stream_chat, achat, astream_chat)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llama_index.core.llms import ChatMessage

if TYPE_CHECKING:
    from oauth_codex.testing import CodexEmulator

    from .conftest import MakeLLM


async def test_chat_and_stream_chat_reuse_one_connection(emu: CodexEmulator, make_llm: MakeLLM) -> None:
    llm = make_llm(model="gpt-5.5")
    messages = [ChatMessage(role="user", content="hi")]
    for _ in range(3):
        assert llm.chat(messages).message.content
        assert list(llm.stream_chat(messages))[-1].message.content
    assert emu.connections_opened == 1
    for _ in range(3):
        assert (await llm.achat(messages)).message.content
        assert [r async for r in await llm.astream_chat(messages)][-1].message.content
    assert emu.connections_opened == 2  # one sync, one async client
