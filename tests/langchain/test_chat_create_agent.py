"""``ChatCodexOAuth`` in LangChain 1.x's ``create_agent`` (tools, then structured output), on the emulator."""

from __future__ import annotations

from collections.abc import Callable

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool
from langchain_oauth_codex import ChatCodexOAuth
from pydantic import BaseModel

from oauth_codex.testing import CodexEmulator

Make = Callable[..., ChatCodexOAuth]


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"It is 21 degrees and sunny in {city}."


class WeatherReport(BaseModel):
    city: str
    summary: str


def test_create_agent_runs_a_tool_to_a_final_answer(make_model: Make, shared_emulator: CodexEmulator) -> None:
    shared_emulator.clear_requests()
    agent = create_agent(make_model(), [get_weather], system_prompt="You are a weather bot.")
    state = agent.invoke({"messages": [("user", "What is the weather in Seoul? Use get_weather.")]})
    messages = state["messages"]
    assert isinstance(messages[1], AIMessage) and messages[1].tool_calls[0]["name"] == "get_weather"
    assert isinstance(messages[2], ToolMessage) and "Seoul" in str(messages[2].content)
    assert "21 degrees and sunny in Seoul" in str(messages[-1].content)
    first, second = (r.json for r in shared_emulator.responses_requests)
    assert "You are a weather bot." in first["instructions"]
    call = next(item for item in second["input"] if item["type"] == "function_call")
    output = next(item for item in second["input"] if item["type"] == "function_call_output")
    assert call["call_id"] == output["call_id"] == messages[1].tool_calls[0]["id"]


async def test_create_agent_with_response_format(make_model: Make, shared_emulator: CodexEmulator) -> None:
    shared_emulator.clear_requests()
    agent = create_agent(make_model(), [get_weather], response_format=WeatherReport)
    state = await agent.ainvoke({"messages": [("user", "What is the weather in Seoul? Use get_weather.")]})
    report = state["structured_response"]
    assert isinstance(report, WeatherReport) and report.city == "Seoul"
    body = shared_emulator.responses_requests[-1].json
    assert body["text"]["format"]["type"] == "json_schema" and body["text"]["format"]["name"] == "WeatherReport"


class Forecast(BaseModel):
    city: str
    summary: str
    high_c: int | None = None  # optional: a strict schema must still list it in "required"


def test_create_agent_with_a_strict_provider_strategy(make_model: Make, shared_emulator: CodexEmulator) -> None:
    """ProviderStrategy(strict=True) used to get a 400: the schema was not strict-valid (issue 12 §3)."""
    from langchain.agents.structured_output import ProviderStrategy

    shared_emulator.clear_requests()
    agent = create_agent(make_model(), [get_weather], response_format=ProviderStrategy(Forecast, strict=True))
    state = agent.invoke({"messages": [("user", "What is the weather in Seoul? Use get_weather.")]})
    assert isinstance(state["structured_response"], Forecast)
    fmt = shared_emulator.responses_requests[-1].json["text"]["format"]
    assert fmt["strict"] is True and fmt["schema"]["additionalProperties"] is False
    assert sorted(fmt["schema"]["required"]) == ["city", "high_c", "summary"]
    assert all(r.status == 200 for r in shared_emulator.responses_requests)


def test_a_strict_chat_completions_response_format_is_made_strict_valid(
    make_model: Make, shared_emulator: CodexEmulator
) -> None:
    response_format = {
        "type": "json_schema",
        "json_schema": {
            "name": "Answer",
            "strict": True,
            "schema": {
                "type": "object",
                "properties": {"answer": {"type": "string"}, "note": {"type": "string"}},
                "required": ["answer"],
            },
        },
    }
    shared_emulator.clear_requests()
    for runnable in (
        make_model().bind_tools([get_weather], response_format=response_format),
        make_model().with_structured_output(response_format["json_schema"], strict=True),
    ):
        runnable.invoke("Answer in JSON: what is 2 + 2?")
        fmt = shared_emulator.responses_requests[-1].json["text"]["format"]
        assert fmt["schema"]["additionalProperties"] is False
        assert sorted(fmt["schema"]["required"]) == ["answer", "note"]
    assert all(r.status == 200 for r in shared_emulator.responses_requests)
