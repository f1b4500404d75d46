"""ChatCodexOAuth reuses one connection across calls (invoke, stream, ainvoke, astream)."""

from __future__ import annotations

from collections.abc import Callable

from langchain_oauth_codex import ChatCodexOAuth

from oauth_codex.testing import CodexEmulator


async def test_invoke_and_stream_reuse_one_connection(make_model: Callable[..., ChatCodexOAuth]) -> None:
    with CodexEmulator() as emu:
        model = make_model(emu)
        for _ in range(3):
            assert model.invoke("hi").content
            assert "".join(str(c.content) for c in model.stream("hi"))
        assert emu.connections_opened == 1
        for _ in range(3):
            assert (await model.ainvoke("hi")).content
            assert "".join([str(c.content) async for c in model.astream("hi")])
        assert emu.connections_opened == 2  # one sync, one async client
