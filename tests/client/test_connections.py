"""Connection reuse: a finished response goes back to the pool, on every path (issue: performance).

The emulator counts the TCP connections it accepts (``connections_opened``); a client that reuses its
connection opens one for any number of sequential calls.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from oauth_codex import CodexOAuthLLM, StreamEvent
from oauth_codex.errors import APIConnectionError
from oauth_codex.testing import CodexEmulator

N = 5


def test_sequential_generate_reuses_one_connection(emu: CodexEmulator, llm: CodexOAuthLLM) -> None:
    for i in range(N):
        assert llm.generate(prompt=f"hi {i}")
    assert emu.connections_opened == 1


def test_sequential_text_streams_reuse_one_connection(emu: CodexEmulator, llm: CodexOAuthLLM) -> None:
    for i in range(N):
        assert "".join(llm.generate_stream(prompt=f"hi {i}"))
    assert emu.connections_opened == 1


def test_raw_stream_stopped_right_after_completed_still_reuses(emu: CodexEmulator, llm: CodexOAuthLLM) -> None:
    for _ in range(N):
        for event in llm.generate_stream(prompt="hi", raw_events=True):
            assert isinstance(event, StreamEvent)
            if event.type == "response.completed":
                break  # a caller that stops at the terminal event: the tail was read before it came
    assert emu.connections_opened == 1


def test_details_and_tool_round_trip_reuse(emu: CodexEmulator, llm: CodexOAuthLLM) -> None:
    def get_weather(city: str) -> str:
        """Weather for a city."""
        return "sunny"

    result = llm.generate(prompt="weather in Paris?", tools=[get_weather], return_details=True)
    assert result.tool_calls
    results = [{"tool_call_id": c.id, "name": c.name, "output": "sunny"} for c in result.tool_calls]
    assert llm.generate(prompt="weather in Paris?", tools=[get_weather], tool_results=results)
    assert emu.connections_opened == 1


def test_error_answers_and_retries_keep_the_connection(emu: CodexEmulator, llm: CodexOAuthLLM) -> None:
    emu.server_error(status=500, times=2)  # retried on the same connection
    assert llm.generate(prompt="hi")
    emu.unauthorized()  # 401: refresh, then retry
    assert llm.generate(prompt="hi")
    assert emu.connections_opened == 1


def test_caller_stopping_early_releases_the_connection(emu: CodexEmulator, llm: CodexOAuthLLM) -> None:
    emu.set_answer(deltas=50)
    stream = llm.generate_stream(prompt="hi")
    next(stream)
    stream.close()  # mid-stream: the unread connection is closed, not leaked into the pool
    assert "".join(llm.generate_stream(prompt="again"))
    assert llm.generate(prompt="and again")
    assert emu.connections_opened == 2


async def test_async_paths_reuse_one_connection(emu: CodexEmulator, llm: CodexOAuthLLM) -> None:
    for i in range(N):
        assert await llm.agenerate(prompt=f"hi {i}")
        assert "".join([d async for d in llm.agenerate_stream(prompt=f"hi {i}")])
        async for event in llm.agenerate_stream(prompt="hi", raw_events=True):
            if event.type == "response.completed":
                break
    assert emu.connections_opened == 1
    await llm.aclose()


async def test_concurrent_calls_stay_within_the_pool(emu: CodexEmulator) -> None:
    pool = 3
    client = httpx.AsyncClient(limits=httpx.Limits(max_connections=pool, max_keepalive_connections=pool))
    llm = emu.client(async_http_client=client)
    try:
        for _ in range(3):  # three waves of 8 concurrent calls share the same `pool` connections
            answers = await asyncio.gather(*(llm.agenerate(prompt=f"q{i}") for i in range(8)))
            assert all(answers)
        assert 1 <= emu.connections_opened <= pool
    finally:
        await client.aclose()


def test_tls_emulator_with_its_ca_bundle_reuses_one_connection() -> None:
    with CodexEmulator(tls=True) as emu:
        assert emu.url.startswith("https://127.0.0.1:")
        with emu.client(verify=emu.ssl_context()) as llm:
            for _ in range(N):
                assert llm.generate(prompt="hi")
        assert emu.connections_opened == 1


def test_tls_emulator_is_not_trusted_without_its_ca() -> None:
    with CodexEmulator(tls=True) as emu:
        with emu.client(verify=True, max_retries=0) as llm:  # the default trust store: verification fails
            with pytest.raises(APIConnectionError):
                llm.generate(prompt="hi")
        server = emu._server
        assert server is not None
        deadline = time.monotonic() + 5
        while server._connections and time.monotonic() < deadline:  # the refused handshake is not tracked
            time.sleep(0.01)
        assert not server._connections
