"""Stock LlamaIndex agents on CodexOAuth and the emulator: FunctionAgent, ReActAgent, AgentWorkflow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llama_index.core.agent.workflow import (
    AgentInput,
    AgentOutput,
    AgentStream,
    AgentWorkflow,
    FunctionAgent,
    ReActAgent,
    ToolCall,
    ToolCallResult,
)
from llama_index.core.tools import FunctionTool

if TYPE_CHECKING:
    from llama_index.llms.oauth_codex import CodexOAuth

    from oauth_codex.testing import CodexEmulator

    from .conftest import MakeLLM


def add(a: int, b: int) -> int:
    """Add two integers a and b."""
    return a + b


def get_weather(city: str) -> str:
    """Current weather of a city."""
    return f"Sunny, 22C in {city}"


TOOLS = [FunctionTool.from_defaults(fn=add), FunctionTool.from_defaults(fn=get_weather)]
QUESTION = "Add 2 and 3, and what is the weather in 'Paris'?"


async def run_collecting(agent: Any, user_msg: str) -> tuple[Any, list[Any]]:
    handler = agent.run(user_msg=user_msg)
    events = [event async for event in handler.stream_events()]
    return await handler, events


def assert_tool_pairs(body: dict[str, Any]) -> set[str]:
    items = body["input"]
    calls = {i["call_id"]: i for i in items if i.get("type") == "function_call"}
    outputs = {i["call_id"]: i for i in items if i.get("type") == "function_call_output"}
    assert calls and calls.keys() == outputs.keys()
    assert all("id" not in item for item in items)
    return set(calls)


async def test_function_agent_streams_to_a_final_answer_with_two_tools(
    llm: CodexOAuth, emu: CodexEmulator
) -> None:
    agent = FunctionAgent(tools=TOOLS, llm=llm, system_prompt="You are a helpful assistant.")
    result, events = await run_collecting(agent, QUESTION)

    answer = str(result)
    assert "add returned: 5" in answer
    assert "get_weather returned: Sunny, 22C in Paris" in answer

    kinds = {type(e) for e in events}
    assert {AgentInput, AgentStream, ToolCall, ToolCallResult, AgentOutput} <= kinds
    results = {e.tool_name: e for e in events if isinstance(e, ToolCallResult)}
    assert results["add"].tool_kwargs == {"a": 2, "b": 3} and results["add"].tool_output.content == "5"
    assert results["get_weather"].tool_kwargs == {"city": "Paris"}
    streamed = "".join(e.delta for e in events if isinstance(e, AgentStream))
    assert "add returned: 5" in streamed
    # tool calls are surfaced on the streamed chunks too
    assert any(e.tool_calls for e in events if isinstance(e, AgentStream))

    assert len(emu.responses_requests) == 2
    first, second = (r.json for r in emu.responses_requests)
    assert first["instructions"].startswith("You are a helpful assistant.")
    assert first["parallel_tool_calls"] is True and first["tool_choice"] == "auto"
    call_ids = assert_tool_pairs(second)
    assert call_ids == {e.tool_id for e in events if isinstance(e, ToolCallResult)}
    outputs = sorted(i["output"] for i in second["input"] if i.get("type") == "function_call_output")
    assert outputs == ["5", "Sunny, 22C in Paris"]


async def test_function_agent_without_streaming(llm: CodexOAuth, emu: CodexEmulator) -> None:
    agent = FunctionAgent(tools=TOOLS, llm=llm, streaming=False)
    result, events = await run_collecting(agent, QUESTION)
    assert "add returned: 5" in str(result)
    assert not [e for e in events if isinstance(e, AgentStream)]
    assert len([e for e in events if isinstance(e, ToolCallResult)]) == 2
    assert_tool_pairs(emu.responses_requests[-1].json)


async def test_function_agent_sequential_calls_and_reasoning_replay(
    make_llm: MakeLLM, emu: CodexEmulator
) -> None:
    llm = make_llm(reasoning_effort="low", reasoning_summary="auto")
    agent = FunctionAgent(tools=TOOLS, llm=llm, allow_parallel_tool_calls=False)
    result, events = await run_collecting(agent, "Please add 20 and 22")
    assert "add returned: 42" in str(result)
    assert any(e.thinking_delta for e in events if isinstance(e, AgentStream))
    second = emu.responses_requests[-1].json
    assert second["parallel_tool_calls"] is False
    reasoning = [i for i in second["input"] if i.get("type") == "reasoning"]
    assert reasoning and all(i.get("encrypted_content") and "id" not in i for i in reasoning)
    assert_tool_pairs(second)


async def test_function_agent_memory_replays_earlier_turns(make_llm: MakeLLM, emu: CodexEmulator) -> None:
    from llama_index.core.memory import Memory

    llm = make_llm(reasoning_effort="low")
    agent = FunctionAgent(tools=TOOLS, llm=llm)
    memory = Memory.from_defaults(session_id="conversation-1", token_limit=40_000)
    await agent.run(user_msg="Add 1 and 1", memory=memory)
    result = await agent.run(user_msg="Now the weather in 'Rome'", memory=memory)
    assert "get_weather returned: Sunny, 22C in Rome" in str(result)
    # messages stored in (and restored from) the memory's SQL store replay as valid items: both turns' calls
    # with their outputs, and reasoning with its encrypted content, never a server id
    last = emu.responses_requests[-1].json
    assert len(assert_tool_pairs(last)) == 2
    kinds = [(i.get("type"), i.get("role")) for i in last["input"]]
    assert kinds.count(("message", "user")) == 2
    reasoning = [i for i in last["input"] if i.get("type") == "reasoning"]
    assert len(reasoning) >= 2 and all(i["encrypted_content"] for i in reasoning)


async def test_react_agent_answers(llm: CodexOAuth, emu: CodexEmulator) -> None:
    emu.set_answer(text="Thought: I can answer without using any more tools.\nAnswer: The sum is 5.")
    agent = ReActAgent(tools=TOOLS, llm=llm)
    result, events = await run_collecting(agent, "What is 2 plus 3?")
    assert str(result) == "The sum is 5."
    assert any(isinstance(e, AgentStream) and e.delta for e in events)
    body = emu.responses_requests[-1].json
    assert "tools" not in body or not body["tools"]  # ReAct describes tools in the prompt
    assert "add" in body["instructions"]  # ReAct's system header lists the tools


async def test_react_agent_calls_a_tool(make_llm: MakeLLM, emu: CodexEmulator) -> None:
    emu.set_answer(text='Thought: I need the add tool.\nAction: add\nAction Input: {"a": 2, "b": 3}')
    add_direct = FunctionTool.from_defaults(fn=add, return_direct=True)
    agent = ReActAgent(tools=[add_direct], llm=make_llm(), streaming=False)
    result, events = await run_collecting(agent, "What is 2 plus 3?")
    [call] = [e for e in events if isinstance(e, ToolCallResult)]
    assert call.tool_kwargs == {"a": 2, "b": 3} and call.tool_output.content == "5"
    assert str(result) == "5"


async def test_agent_workflow_picks_function_agent(llm: CodexOAuth) -> None:
    workflow = AgentWorkflow.from_tools_or_functions([add, get_weather], llm=llm)
    assert all(isinstance(agent, FunctionAgent) for agent in workflow.agents.values())
    result = await workflow.run(user_msg=QUESTION)
    assert "add returned: 5" in str(result)


async def test_function_agent_initial_tool_choice_uses_the_responses_shape(
    llm: CodexOAuth, emu: CodexEmulator
) -> None:
    agent = FunctionAgent(tools=TOOLS, llm=llm, initial_tool_choice="get_weather")
    result = await agent.run(user_msg="Anything about 'Lima'?")
    assert "get_weather returned: Sunny, 22C in Lima" in str(result)
    first, second = (r.json for r in emu.responses_requests)
    assert first["tool_choice"] == {"type": "function", "name": "get_weather"}
    assert second["tool_choice"] == "auto"  # only the first step is forced
