"""``ChatCodexOAuth`` in LangGraph agents and LCEL chains, on the offline emulator."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from langchain_core.callbacks import AsyncCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from langchain_oauth_codex import ChatCodexOAuth

from oauth_codex.testing import CodexEmulator

Make = Callable[..., ChatCodexOAuth]


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"It is 21 degrees and sunny in {city}."


@tool
def get_population(city: str) -> str:
    """Get the population of a city."""
    return f"{city} has 2.1 million inhabitants."


def _react_agent(model: ChatCodexOAuth, tools: list[Any]) -> Any:
    with warnings.catch_warnings():  # langgraph 1.x points to langchain.agents.create_agent
        warnings.simplefilter("ignore")
        from langgraph.prebuilt import create_react_agent

        return create_react_agent(model, tools)


def test_react_agent_with_two_tools_runs_to_a_final_answer(
    make_model: Make, shared_emulator: CodexEmulator
) -> None:
    # Both tools in one turn: the emulator's scripted model answers in text after tool outputs.
    agent = _react_agent(make_model(parallel_tool_calls=True), [get_weather, get_population])
    before = len(shared_emulator.responses_requests)
    state = agent.invoke({"messages": [HumanMessage("What is the weather and the population in Lyon?")]})
    messages = state["messages"]

    tool_messages = [m for m in messages if isinstance(m, ToolMessage)]
    assert sorted(m.name for m in tool_messages) == ["get_population", "get_weather"]
    assert all("Lyon" in m.text for m in tool_messages)
    final = messages[-1]
    assert isinstance(final, AIMessage) and not final.tool_calls
    assert "21 degrees and sunny in Lyon" in final.text and "2.1 million" in final.text

    # Every turn after the first replays the calls with their ids next to their outputs.
    requests = shared_emulator.responses_requests[before:]
    assert len(requests) >= 2
    last_input = requests[-1].json["input"]
    call_ids = [i["call_id"] for i in last_input if i.get("type") == "function_call"]
    output_ids = [i["call_id"] for i in last_input if i.get("type") == "function_call_output"]
    assert sorted(call_ids) == sorted(output_ids) == sorted(m.tool_call_id for m in tool_messages)


async def test_react_agent_async_streaming(make_model: Make) -> None:
    agent = _react_agent(make_model(), [get_weather, get_population])
    updates = [
        update
        async for update in agent.astream(
            {"messages": [HumanMessage("What is the weather in Oslo?")]}, stream_mode="updates"
        )
    ]
    nodes = [next(iter(update)) for update in updates]
    assert nodes[0] == "agent" and "tools" in nodes and nodes[-1] == "agent"
    final = updates[-1]["agent"]["messages"][-1]
    assert "sunny in Oslo" in final.text


def test_lcel_chain_with_prompt_template_and_output_parser(
    make_model: Make, shared_emulator: CodexEmulator
) -> None:
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You translate into {language}."), ("human", "Translate: {text}")]
    )
    chain = prompt | make_model() | StrOutputParser()
    out = chain.invoke({"language": "French", "text": "good morning"})
    assert out == 'Emulator reply to: "Translate: good morning"'
    assert shared_emulator.responses_requests[-1].json["instructions"] == "You translate into French."
    assert (
        "".join(chain.stream({"language": "German", "text": "hello"}))
        == 'Emulator reply to: "Translate: hello"'
    )
    assert chain.batch([{"language": "Italian", "text": "a"}, {"language": "Dutch", "text": "b"}]) == [
        'Emulator reply to: "Translate: a"',
        'Emulator reply to: "Translate: b"',
    ]


class _Counter(AsyncCallbackHandler):
    def __init__(self) -> None:
        self.tokens = 0
        self.ends = 0

    async def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens += 1

    async def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        self.ends += 1


async def test_async_chain_streaming_with_a_callback_handler(make_model: Make) -> None:
    handler = _Counter()
    chain = ChatPromptTemplate.from_messages([("human", "{q}")]) | make_model() | StrOutputParser()
    pieces = [
        piece async for piece in chain.astream({"q": "count these words please"}, {"callbacks": [handler]})
    ]
    assert "".join(pieces) == 'Emulator reply to: "count these words please"'
    assert pieces[-1] == ""  # the final chunk carries usage and metadata only
    assert handler.tokens == len(pieces)  # one callback per chunk
    assert handler.ends == 1


async def test_astream_events_reports_stream_events(make_model: Make) -> None:
    kinds = [event["event"] async for event in make_model().astream_events("Hello there", version="v2")]
    assert kinds[0] == "on_chat_model_start" and kinds[-1] == "on_chat_model_end"
    assert kinds.count("on_chat_model_stream") >= 5
