"""Usage limits through ``CodexOAuth``: a FunctionAgent that waits for the reset and finishes."""

from __future__ import annotations

import pytest
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.tools import FunctionTool
from llama_index.llms.oauth_codex import CodexOAuth

from oauth_codex import MemoryTokenStore, UsageBudgetExceededError, UsageLimitError
from oauth_codex.testing import CodexEmulator


def wired(emu: CodexEmulator, **fields: object) -> CodexOAuth:
    return CodexOAuth(
        model="gpt-5.5",
        base_url=emu.base_url,
        oauth_config=emu.oauth_config(),
        token_store=MemoryTokenStore(emu.login_tokens()),
        interactive=False,
        **fields,  # type: ignore[arg-type]
    )


async def test_function_agent_waits_for_the_reset_and_finishes(emu: CodexEmulator) -> None:
    def get_weather(city: str) -> str:
        """Current weather of a city."""
        emu.usage_limit(resets_in=1)  # the plan's limit is hit while the tool runs
        return f"Sunny, 22C in {city}"

    ticks: list[float] = []
    llm = wired(emu, on_usage_limit="wait", max_wait=30, on_wait=lambda left, err: ticks.append(left))
    assert llm.on_usage_limit == "wait" and llm.max_wait == 30
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(fn=get_weather)], llm=llm, system_prompt="Be brief.")
    result = await agent.run(user_msg="What is the weather in 'Paris'?")
    await llm.client.aclose()
    assert "Sunny, 22C in Paris" in str(result)
    assert [r.status for r in emu.responses_requests] == [200, 429, 200]
    assert ticks and ticks[-1] == 0


def test_default_policy_raises(emu: CodexEmulator) -> None:
    llm = wired(emu)
    emu.usage_limit(resets_in=30)
    with pytest.raises(UsageLimitError):
        llm.complete("hi")


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_budget_and_bad_policy(emu: CodexEmulator, mode: str) -> None:
    llm = wired(emu, usage_budget=0.5)
    emu.set_usage(primary=49)
    llm.complete("hi") if mode == "sync" else await llm.acomplete("hi")
    with pytest.raises(UsageBudgetExceededError):
        llm.complete("hi again") if mode == "sync" else await llm.acomplete("hi again")
    assert len(emu.responses_requests) == 1
    await llm.client.aclose()
    with pytest.raises(ValueError, match="max_wait"):
        wired(emu, on_usage_limit="wait")
