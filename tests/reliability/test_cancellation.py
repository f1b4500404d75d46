"""Cancellation and abandoned streams: timeouts around calls never cost the login or a connection.

Long-lived agents wrap calls in ``asyncio.wait_for``/``asyncio.timeout`` and break out of streams early. A
cancellation that lands while a token refresh is in flight must not drop the rotated refresh token (the
server has already spent the old one), and abandoned streams must give their connections back.
"""

from __future__ import annotations

import asyncio

import pytest

from oauth_codex import MemoryTokenStore
from oauth_codex.testing import CodexEmulator

from .helpers import ANSWER, until


def token_requests(emu: CodexEmulator) -> int:
    return sum(r.path == "/oauth/token" for r in emu.requests)


def responses_requests(emu: CodexEmulator) -> int:
    return len(emu.responses_requests)


@pytest.mark.parametrize("how", ["wait_for", "cancel"])
async def test_cancelled_during_a_token_refresh_keeps_the_login(emu: CodexEmulator, how: str) -> None:
    before = emu.login_tokens()
    store = MemoryTokenStore(before)
    async with emu.client(token_store=store) as llm:
        emu.expire_tokens()
        # the server rotates at once and holds its reply back: cancelling once the request is in the
        # emulator's log lands while the refresh is in flight, however slow this machine is
        emu.token_endpoint_delay(1.0)
        task = asyncio.create_task(llm.agenerate(prompt="hello"))
        await until(lambda: token_requests(emu) == 1)
        if how == "wait_for":
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(task, timeout=0.01)
        else:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        # cancelled during the refresh the 401 caused, before the re-send
        assert [r.status for r in emu.responses_requests] == [401]
        emu.token_endpoint_delay(0)
        saved = store.load()
        assert saved is not None and saved.refresh_token != before.refresh_token  # the rotation was kept
        assert await llm.agenerate(prompt="hello") == ANSWER
    assert emu.grant_counts["refresh_token"] == 1  # no second grant, no refresh_token_reused


async def test_streams_cancelled_mid_answer_release_their_connections(emu: CodexEmulator) -> None:
    emu.set_answer(text=ANSWER, deltas=10, delta_delay=0.02)
    async with emu.client(timeout=5) as llm:
        received: list[str] = []

        async def consume() -> None:
            async for chunk in llm.agenerate_stream(prompt="hello"):
                received.append(chunk)

        for n in range(12):
            received.clear()
            task = asyncio.create_task(consume())
            await until(lambda: bool(received))  # the answer is streaming: cancel it mid-way
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert responses_requests(emu) == n + 1 and len(received) < 10
        emu.set_answer(text=ANSWER, deltas=10)
        assert await asyncio.wait_for(llm.agenerate(prompt="hello"), timeout=30) == ANSWER


@pytest.mark.parametrize("aio", [False, True])
async def test_streams_abandoned_early_do_not_exhaust_the_pool(emu: CodexEmulator, aio: bool) -> None:
    """Breaking out of 120 streams (more than httpx's 100-connection pool) never blocks the next call."""
    async with emu.client(timeout=5) as llm:
        for _ in range(120):
            if aio:
                async for _chunk in llm.agenerate_stream(prompt="hello"):
                    break
            else:
                for _chunk in llm.generate_stream(prompt="hello"):
                    break
        result = await asyncio.wait_for(llm.agenerate(prompt="hello"), 30) if aio else llm.generate(prompt="hello")
        assert result == ANSWER
