"""generate / agenerate / generate_stream / agenerate_stream give identical results on the emulator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from oauth_codex import CodexOAuthLLM, StreamError, ToolCallRequiredError
from oauth_codex.testing import CodexEmulator

from .helpers import MODES, CountingProvider, comparable, run


def get_weather(city: str) -> str:
    """Current weather.

    Args:
        city: The city name.
    """
    return f"Sunny in {city}"


class Summary(BaseModel):
    title: str
    summary: str


CASES: dict[str, dict[str, Any]] = {
    "text": {"prompt": "Explain OAuth PKCE in 3 bullets."},
    "messages": {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hello"},
            {"role": "assistant", "content": "hi!"},
            {"role": "user", "content": "and again"},
        ]
    },
    "reasoning": {"prompt": "Think first.", "reasoning": {"effort": "high", "summary": "auto"}},
    "tools": {
        "messages": [{"role": "user", "content": "What is the weather in Seoul?"}],
        "tools": [get_weather],
    },
    "json_schema": {"prompt": "Give a title and summary", "response_format": Summary},
}


@pytest.mark.parametrize("case", list(CASES))
async def test_modes_agree(emu: CodexEmulator, case: str) -> None:
    results = {}
    for mode in MODES:
        # a fresh client per mode: cached_tokens depend on the client's prompt_cache_key history
        llm = emu.client(token_provider=CountingProvider(emu))
        results[mode] = comparable(await run(llm, mode, **CASES[case]))
        await llm.aclose()
    assert results["sync"] == results["async"] == results["stream"] == results["astream"]
    if case == "tools":
        assert results["sync"]["finish_reason"] == "tool_calls"
        assert results["sync"]["tool_calls"][0][:2] == ("get_weather", {"city": "Seoul"})
    elif case == "json_schema":
        assert set(json.loads(results["sync"]["text"])) == {"title", "summary"}
    else:
        assert results["sync"]["text"]
    if case == "reasoning":
        assert results["sync"]["reasoning_summary"]
        assert results["sync"]["usage"].reasoning_tokens > 0


async def test_text_streams_yield_the_same_text(llm: CodexOAuthLLM) -> None:
    full = llm.generate(prompt="Write one short paragraph about PKCE.")
    chunks = list(llm.generate_stream(prompt="Write one short paragraph about PKCE."))
    achunks = [c async for c in llm.agenerate_stream(prompt="Write one short paragraph about PKCE.")]
    assert all(isinstance(c, str) for c in chunks)
    assert len(chunks) > 1
    assert "".join(chunks) == "".join(achunks) == full  # type: ignore[arg-type]


async def test_raw_events_end_with_completed_carrying_output(llm: CodexOAuthLLM) -> None:
    events = list(llm.generate_stream(prompt="hi", raw_events=True, reasoning={"effort": "low"}))
    types = [e.type for e in events]  # type: ignore[union-attr]
    assert types[0] == "response.created"
    assert types[-1] == "response.completed"
    assert "response.output_text.delta" in types
    last = events[-1]
    assert last.response is not None  # type: ignore[union-attr]
    output = last.response["output"]  # type: ignore[union-attr]
    assert [i["type"] for i in output] == [
        "reasoning",
        "message",
    ]  # the emulator sends completed.output == []
    assert last.raw["response"]["output"] == output  # type: ignore[union-attr]
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]  # type: ignore[union-attr]
    assert "".join(d or "" for d in deltas) == output[1]["content"][0]["text"]


@pytest.mark.parametrize("mode", MODES)
async def test_tool_round_trip(llm: CodexOAuthLLM, emu: CodexEmulator, mode: str) -> None:
    question = [{"role": "user", "content": "What is the weather in Seoul?"}]
    first = await run(llm, mode, messages=question, tools=[get_weather], reasoning={"effort": "low"})
    assert first.finish_reason == "tool_calls"
    call = first.tool_calls[0]
    assert call.id.startswith("call_")
    tool_results = [
        {"tool_call_id": call.id, "name": call.name, "output": get_weather(**(call.arguments or {}))}
    ]
    final = await run(llm, mode, messages=question, tools=[get_weather], tool_results=tool_results)
    assert final.finish_reason == "stop"
    assert "Sunny in Seoul" in final.text
    sent = emu.responses_requests[-1].json
    assert [i["type"] for i in sent["input"]] == [
        "message",
        "reasoning",
        "function_call",
        "function_call_output",
    ]
    assert sent["input"][1]["encrypted_content"]
    assert all("id" not in item for item in sent["input"])
    assert sent["input"][2]["call_id"] == call.id == sent["input"][3]["call_id"]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_tool_call_required_error(llm: CodexOAuthLLM, mode: str) -> None:
    kwargs: dict[str, Any] = {"prompt": "What is the weather in Seoul?", "tools": [get_weather]}
    with pytest.raises(ToolCallRequiredError) as info:
        if mode == "sync":
            llm.generate(**kwargs)
        else:
            await llm.agenerate(**kwargs)
    assert info.value.tool_calls[0].name == "get_weather"
    assert info.value.result is not None and info.value.result.finish_reason == "tool_calls"
    assert "tool_results" in str(info.value)


def test_text_stream_with_tool_call_raises_tool_call_required(llm: CodexOAuthLLM) -> None:
    with pytest.raises(ToolCallRequiredError, match="raw_events=True"):
        list(llm.generate_stream(prompt="What is the weather in Seoul?", tools=[get_weather]))


def test_previous_output_explicit_on_another_client(emu: CodexEmulator, llm: CodexOAuthLLM) -> None:
    question = [{"role": "user", "content": "What is the weather in Paris?"}]
    first = llm.generate(messages=question, tools=[get_weather], return_details=True)
    results = [{"tool_call_id": first.tool_calls[0].id, "output": "Rainy"}]
    other = emu.client(token_provider=CountingProvider(emu))
    with pytest.raises(ValueError, match="previous_output"):
        other.generate(messages=question, tools=[get_weather], tool_results=results)
    final = other.generate(
        messages=question, tools=[get_weather], tool_results=results, previous_output=first.output_items
    )
    assert "Rainy" in final


def test_tool_history_in_messages(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    messages = [
        {"role": "user", "content": "What is the weather in Seoul?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_abc",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Seoul"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_abc", "content": "Cloudy in Seoul"},
    ]
    assert "Cloudy in Seoul" in llm.generate(messages=messages, tools=[get_weather])
    assert [i["type"] for i in emu.responses_requests[-1].json["input"]] == [
        "message",
        "function_call",
        "function_call_output",
    ]


@pytest.mark.parametrize("mode", MODES)
async def test_incomplete_is_finish_reason_length_with_details(
    llm: CodexOAuthLLM, emu: CodexEmulator, mode: str
) -> None:
    emu.response_incomplete(reason="max_output_tokens")
    result = await run(llm, mode, prompt="write a lot")
    assert result.finish_reason == "length"
    assert len(emu.responses_requests) == 1  # not retried


async def test_incomplete_raises_without_details(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    emu.response_incomplete(reason="content_filter", times=3)
    with pytest.raises(StreamError) as info:
        llm.generate(prompt="write a lot")
    assert info.value.code == "content_filter"
    assert info.value.partial_result is not None
    assert info.value.partial_result.finish_reason == "content_filter"
    with pytest.raises(StreamError):
        await llm.agenerate(prompt="write a lot")
    chunks: list[str] = []
    with pytest.raises(StreamError) as info:
        for chunk in llm.generate_stream(prompt="write a lot"):
            chunks.append(chunk)  # type: ignore[arg-type]
    assert info.value.partial_text == "".join(chunks)
