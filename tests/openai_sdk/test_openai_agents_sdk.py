"""A program nobody here wrote the client for: an OpenAI Agents SDK agent with two function tools.

``OpenAIResponsesModel(openai_client=AsyncOpenAI())`` runs end to end against the emulator over loopback,
with tracing disabled (its exporter would send traces to api.openai.com) and every socket to a host that is
not loopback refused and recorded, so the test proves nothing left the machine.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest

agents = pytest.importorskip("agents")

from agents import Agent, ModelSettings, Runner, function_tool, set_tracing_disabled  # noqa: E402
from agents.models.openai_responses import OpenAIResponsesModel  # noqa: E402

from oauth_codex.openai import AsyncOpenAI  # noqa: E402
from oauth_codex.testing import CodexEmulator  # noqa: E402

MODEL = "gpt-5.5"


def _loopback(host: Any) -> bool:
    if host in ("localhost", None):
        return True
    try:
        return ipaddress.ip_address(str(host)).is_loopback
    except ValueError:
        return False


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Tracing off, and any lookup of or connection to a non-loopback host refused (and recorded)."""
    attempts: list[str] = []
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _loopback(host):
            attempts.append(str(host))
            raise OSError(f"test: no network to {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and not _loopback(address[0]):
            attempts.append(str(address[0]))
            raise OSError(f"test: no network to {address[0]}")
        real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    set_tracing_disabled(True)  # left off afterwards: no test process may ever export traces
    yield attempts


def _agent(client: AsyncOpenAI, calls: list[tuple[str, str]]) -> Agent[Any]:
    @function_tool
    def get_weather(city: str) -> str:
        """The current weather in a city."""
        calls.append(("get_weather", city))
        return f"Sunny and 21C in {city}"

    @function_tool
    def get_local_time(city: str) -> str:
        """The local time in a city."""
        calls.append(("get_local_time", city))
        return f"14:05 in {city}"

    return Agent(
        name="Travel helper",
        instructions="Answer with the tools' results.",
        model=OpenAIResponsesModel(model=MODEL, openai_client=client),
        model_settings=ModelSettings(parallel_tool_calls=True),
        tools=[get_weather, get_local_time],
    )


@pytest.mark.parametrize("streamed", [False, True], ids=["run", "run_streamed"])
async def test_an_agents_sdk_agent_with_two_tools_runs_end_to_end(
    offline: list[str], streamed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(OSError, match="no network"):  # the guard works
        socket.create_connection(("203.0.113.9", 443), timeout=1)
    assert offline == ["203.0.113.9"]
    offline.clear()
    with CodexEmulator() as emu:
        for name, value in emu.env().items():
            monkeypatch.setenv(name, value)
        from oauth_codex.auth import FileTokenStore

        FileTokenStore().save(emu.login_tokens())  # as after `oauth-codex login`
        calls: list[tuple[str, str]] = []
        async with AsyncOpenAI() as client:
            agent = _agent(client, calls)
            question = "What is the weather in Paris and the local time in Tokyo?"
            if streamed:
                result = Runner.run_streamed(agent, question)
                kinds = [event.type async for event in result.stream_events()]
                assert "raw_response_event" in kinds and "run_item_stream_event" in kinds
            else:
                result = await Runner.run(agent, question)  # type: ignore[assignment]
        output = str(result.final_output)

        assert sorted(name for name, _ in calls) == ["get_local_time", "get_weather"]
        assert {city for _, city in calls} == {"Paris", "Tokyo"}  # schema-valid arguments from the prompt
        for name, city in calls:
            assert (f"Sunny and 21C in {city}" if name == "get_weather" else f"14:05 in {city}") in output
        first, second = (r.json for r in emu.responses_requests)
        assert first["instructions"] == "Answer with the tools' results."
        assert {t["name"] for t in first["tools"]} == {"get_weather", "get_local_time"}
        assert all(body["store"] is False and body["stream"] is True for body in (first, second))
        outputs = [i for i in second["input"] if i.get("type") == "function_call_output"]
        assert len(outputs) == 2 and not any("id" in item for item in second["input"])
    assert offline == []  # nothing tried to reach the internet (tracing export, telemetry, ...)
