"""Usage limits through ``ChatCodexOAuth``: a LangGraph agent that waits for the reset and finishes."""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.exceptions import ModelRateLimitError
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langchain_oauth_codex import ChatCodexOAuth

from oauth_codex import UsageBudgetExceededError, UsageLimitError
from oauth_codex.testing import CodexEmulator

EmulatorParams = Callable[[CodexEmulator], dict[str, Any]]



def _agent(model: ChatCodexOAuth, emu: CodexEmulator) -> Any:
    @tool
    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        emu.usage_limit(resets_in=1)  # the plan's limit is hit while the tool runs: the next turn gets a 429
        return f"It is 21 degrees and sunny in {city}."

    with warnings.catch_warnings():  # langgraph 1.x points to langchain.agents.create_agent
        warnings.simplefilter("ignore")
        from langgraph.prebuilt import create_react_agent

        return create_react_agent(model, [get_weather])


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_langgraph_agent_waits_for_the_reset_and_finishes(
    emulator_params: EmulatorParams, mode: str
) -> None:
    ticks: list[float] = []
    with CodexEmulator() as emu:
        model = ChatCodexOAuth(
            **emulator_params(emu), on_usage_limit="wait", max_wait=30, on_wait=lambda left, err: ticks.append(left)
        )
        agent = _agent(model, emu)
        question = {"messages": [HumanMessage("What is the weather in Lyon?")]}
        state = agent.invoke(question) if mode == "sync" else await agent.ainvoke(question)
        await model.aclose()
        statuses = [r.status for r in emu.responses_requests]
    messages = state["messages"]
    assert any(isinstance(m, ToolMessage) for m in messages)
    final = messages[-1]
    assert isinstance(final, AIMessage) and "sunny in Lyon" in final.text
    assert statuses == [200, 429, 200]  # the turn after the tool hit the limit, waited, and went through
    assert ticks and ticks[-1] == 0


def test_default_policy_raises_a_langchain_rate_limit_error(emulator_params: EmulatorParams) -> None:
    with CodexEmulator() as emu:
        model = ChatCodexOAuth(**emulator_params(emu))
        emu.usage_limit(resets_in=30)
        with pytest.raises(UsageLimitError) as info:
            model.invoke("hi")
        assert isinstance(info.value, ModelRateLimitError)
        model.close()


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_budget_passes_through(emulator_params: EmulatorParams, mode: str) -> None:
    with CodexEmulator() as emu:
        model = ChatCodexOAuth(**emulator_params(emu), usage_budget=0.5)
        assert model.core_client.usage_budget == 0.5
        emu.set_usage(primary=49)
        model.invoke("hi") if mode == "sync" else await model.ainvoke("hi")  # its answer says 50 %
        with pytest.raises(UsageBudgetExceededError) as info:
            model.invoke("hi again") if mode == "sync" else await model.ainvoke("hi again")
        assert isinstance(info.value, ModelRateLimitError) and info.value.window == "primary"
        assert len(emu.responses_requests) == 1
        await model.aclose()


async def test_cancelling_an_agent_run_stops_the_wait_at_once(emulator_params: EmulatorParams) -> None:
    waiting = asyncio.Event()
    with CodexEmulator() as emu:
        model = ChatCodexOAuth(
            **emulator_params(emu), on_usage_limit="wait", max_wait=60, on_wait=lambda left, err: waiting.set()
        )
        emu.usage_limit(resets_in=30)
        task = asyncio.create_task(model.ainvoke("hi"))
        await asyncio.wait_for(waiting.wait(), 10)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.monotonic() - started < 15  # at once, not after the 30 s wait
        emu.advance(31)
        assert (await model.ainvoke("hi")).text  # the model still works
        await model.aclose()


def test_bad_policy_is_a_value_error(emulator_params: EmulatorParams) -> None:
    with CodexEmulator() as emu:
        model = ChatCodexOAuth(**emulator_params(emu), on_usage_limit="wait")
        with pytest.raises(ValueError, match="max_wait"):
            model.invoke("hi")
