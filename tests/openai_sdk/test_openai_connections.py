"""The OpenAI-SDK drop-in reuses one connection across calls, like the core client (issue: performance)."""

from __future__ import annotations

from oauth_codex.openai import AsyncOpenAI, OpenAI
from oauth_codex.testing import CodexEmulator

MODEL = "gpt-5.5"


def test_sequential_sdk_calls_reuse_one_connection(client: OpenAI, emu: CodexEmulator) -> None:
    for i in range(3):
        assert client.responses.create(model=MODEL, input=f"hi {i}").output_text
        with client.responses.create(model=MODEL, input=f"stream {i}", stream=True) as stream:
            assert any(event.type == "response.completed" for event in stream)
        chat = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": f"chat {i}"}])
        assert chat.choices[0].message.content
    assert emu.connections_opened == 1


async def test_sequential_async_sdk_calls_reuse_one_connection(aclient: AsyncOpenAI, emu: CodexEmulator) -> None:
    for i in range(3):
        assert (await aclient.responses.create(model=MODEL, input=f"hi {i}")).output_text
        stream = await aclient.responses.create(model=MODEL, input=f"stream {i}", stream=True)
        assert "response.completed" in [event.type async for event in stream]
    assert emu.connections_opened == 1
