"""CodexOAuth on the offline emulator: the eight chat/complete methods, tools, replay, wire invariants."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    DocumentBlock,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.tools import FunctionTool
from llama_index.llms.oauth_codex import CodexOAuth

from oauth_codex import MemoryTokenStore

if TYPE_CHECKING:
    from oauth_codex.testing import CodexEmulator

    from .conftest import MakeLLM


def add(a: int, b: int) -> int:
    """Add two integers a and b."""
    return a + b


def get_weather(city: str) -> str:
    """Current weather of a city."""
    return f"Sunny, 22C in {city}"


ADD = FunctionTool.from_defaults(fn=add)
WEATHER = FunctionTool.from_defaults(fn=get_weather)
MESSAGES = [
    ChatMessage(role="system", content="You are terse."),
    ChatMessage(role="user", content="Say hello to Ada"),
]


def last_body(emu: CodexEmulator) -> dict[str, Any]:
    body = emu.responses_requests[-1].json
    assert isinstance(body, dict)
    return body


def assert_wire_invariants(body: dict[str, Any]) -> None:
    assert body["stream"] is True and body["store"] is False
    assert body["instructions"]
    assert all(item.get("role") != "system" for item in body["input"])
    for rejected in ("temperature", "max_output_tokens", "top_p", "truncation", "previous_response_id"):
        assert rejected not in body
    assert "reasoning.encrypted_content" in body["include"]


def assert_final(response: ChatResponse) -> None:
    usage = response.additional_kwargs["usage"]
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert isinstance(response.raw, dict) and response.raw["status"] == "completed"
    assert response.raw["output"], "raw output is rebuilt from output_item.done"


# --------------------------------------------------------------------------- chat


def test_chat(llm: CodexOAuth, emu: CodexEmulator) -> None:
    response = llm.chat(MESSAGES)
    assert "Say hello to Ada" in (response.message.content or "")
    assert response.message.role == "assistant"
    assert_final(response)
    body = last_body(emu)
    assert_wire_invariants(body)
    assert body["instructions"] == "You are terse."
    assert body["model"] == "gpt-5.5"


async def test_achat(llm: CodexOAuth, emu: CodexEmulator) -> None:
    response = await llm.achat(MESSAGES)
    assert "Say hello to Ada" in (response.message.content or "")
    assert_final(response)
    assert_wire_invariants(last_body(emu))


def test_stream_chat_accumulates(llm: CodexOAuth, emu: CodexEmulator) -> None:
    emu.set_answer(deltas=12)
    responses = list(llm.stream_chat(MESSAGES))
    assert len(responses) >= 12
    text = "".join(r.delta or "" for r in responses)
    assert text == responses[-1].message.content
    # every response carries the accumulated message so far
    contents = [r.message.content or "" for r in responses]
    assert all(later.startswith(earlier) for earlier, later in zip(contents, contents[1:], strict=False))
    assert_final(responses[-1])


async def test_astream_chat_accumulates(llm: CodexOAuth, emu: CodexEmulator) -> None:
    emu.set_answer(deltas=12)
    stream = await llm.astream_chat(MESSAGES)
    responses = [r async for r in stream]
    assert len(responses) >= 12
    assert "".join(r.delta or "" for r in responses) == responses[-1].message.content
    assert_final(responses[-1])


# --------------------------------------------------------------------------- completion twins


def test_complete(llm: CodexOAuth, emu: CodexEmulator) -> None:
    response = llm.complete("Name three colors")
    assert "Name three colors" in response.text
    assert response.additional_kwargs["usage"]["output_tokens"] > 0
    assert response.raw["status"] == "completed"
    assert_wire_invariants(last_body(emu))


async def test_acomplete(llm: CodexOAuth) -> None:
    response = await llm.acomplete("Name three colors")
    assert "Name three colors" in response.text
    assert response.additional_kwargs["usage"]["output_tokens"] > 0


def test_stream_complete(llm: CodexOAuth, emu: CodexEmulator) -> None:
    emu.set_answer(text="one two three four", deltas=4)
    responses = list(llm.stream_complete("count"))
    assert len([r for r in responses if r.delta]) == 4
    assert "".join(r.delta or "" for r in responses) == "one two three four"
    assert responses[-1].text == "one two three four"
    assert responses[-1].additional_kwargs["usage"]["total_tokens"] > 0


async def test_astream_complete(llm: CodexOAuth, emu: CodexEmulator) -> None:
    emu.set_answer(text="alpha beta gamma", deltas=3)
    stream = await llm.astream_complete("count")
    responses = [r async for r in stream]
    assert "".join(r.delta or "" for r in responses) == "alpha beta gamma"
    assert responses[-1].text == "alpha beta gamma"


# --------------------------------------------------------------------------- tools


def test_chat_with_tools_returns_complete_calls(llm: CodexOAuth, emu: CodexEmulator) -> None:
    response = llm.chat_with_tools([ADD, WEATHER], user_msg="Please add 2 and 3", tool_required=True)
    [call] = llm.get_tool_calls_from_response(response)
    assert call.tool_name == "add"
    assert call.tool_kwargs == {"a": 2, "b": 3}
    assert call.tool_id.startswith("call_")
    body = last_body(emu)
    assert body["tool_choice"] == "required"
    assert body["parallel_tool_calls"] is False
    assert {t["name"] for t in body["tools"]} == {"add", "get_weather"}
    assert all("function" not in t for t in body["tools"])  # flat Responses tools
    assert response.additional_kwargs["finish_reason"] == "tool_calls"


async def test_achat_with_tools_named_choice(llm: CodexOAuth, emu: CodexEmulator) -> None:
    response = await llm.achat_with_tools(
        [ADD, WEATHER], user_msg="What about 'Paris'?", tool_choice="get_weather"
    )
    [call] = llm.get_tool_calls_from_response(response)
    assert call.tool_name == "get_weather" and call.tool_kwargs == {"city": "Paris"}
    assert last_body(emu)["tool_choice"] == {"type": "function", "name": "get_weather"}


def test_stream_chat_with_tools_last_response_holds_every_call(llm: CodexOAuth) -> None:
    responses = list(
        llm.stream_chat_with_tools(
            [ADD, WEATHER], user_msg="add 4 and 5, and the weather in 'Oslo'", allow_parallel_tool_calls=True
        )
    )
    calls = llm.get_tool_calls_from_response(responses[-1])
    assert sorted((c.tool_name, json.dumps(c.tool_kwargs, sort_keys=True)) for c in calls) == [
        ("add", '{"a": 4, "b": 5}'),
        ("get_weather", '{"city": "Oslo"}'),
    ]
    # calls show up while streaming, with partial arguments that still parse
    assert any(llm.get_tool_calls_from_response(r, error_on_no_tool_call=False) for r in responses[:-1])
    assert_final(responses[-1])


async def test_astream_chat_with_tools(llm: CodexOAuth) -> None:
    stream = await llm.astream_chat_with_tools([ADD], user_msg="add 7 and 8", tool_required=True)
    responses = [r async for r in stream]
    [call] = llm.get_tool_calls_from_response(responses[-1])
    assert call.tool_kwargs == {"a": 7, "b": 8}
    assert responses[-1].additional_kwargs["usage"]["output_tokens"] > 0


def test_tool_round_trip_replays_calls_outputs_and_reasoning(make_llm: MakeLLM, emu: CodexEmulator) -> None:
    llm = make_llm(reasoning_effort="low", reasoning_summary="auto")
    history = [ChatMessage(role="user", content="add 2 and 3")]
    first = llm.chat_with_tools([ADD], chat_history=history, tool_required=True)
    thinking = [b for b in first.message.blocks if isinstance(b, ThinkingBlock)]
    assert thinking and thinking[0].additional_information.get("encrypted_content")
    [call] = llm.get_tool_calls_from_response(first)
    history += [
        first.message,
        ChatMessage(
            role="tool",
            content=str(add(**call.tool_kwargs)),
            additional_kwargs={"tool_call_id": call.tool_id},
        ),
    ]
    second = llm.chat_with_tools([ADD], chat_history=history)
    assert "add returned: 5" in (second.message.content or "")
    assert not llm.get_tool_calls_from_response(second, error_on_no_tool_call=False)

    items = last_body(emu)["input"]
    kinds = [item.get("type") for item in items]
    assert kinds[-3:] == ["reasoning", "function_call", "function_call_output"]
    reasoning, function_call, output = items[-3:]
    assert reasoning["encrypted_content"] and "id" not in reasoning
    assert function_call["call_id"] == output["call_id"] == call.tool_id and "id" not in function_call
    assert json.loads(function_call["arguments"]) == {"a": 2, "b": 3}
    assert output["output"] == "5"


def test_thinking_deltas_stream_when_reasoning_is_on(make_llm: MakeLLM, emu: CodexEmulator) -> None:
    llm = make_llm(reasoning_effort="medium", reasoning_summary="auto")
    responses = list(llm.stream_chat([ChatMessage(role="user", content="why is the sky blue")]))
    deltas = [
        r.additional_kwargs["thinking_delta"] for r in responses if "thinking_delta" in r.additional_kwargs
    ]
    assert deltas
    [thinking] = [b for b in responses[-1].message.blocks if isinstance(b, ThinkingBlock)]
    assert thinking.content == "".join(deltas)
    assert last_body(emu)["reasoning"] == {"effort": "medium", "summary": "auto"}
    assert responses[-1].additional_kwargs["usage"]["reasoning_tokens"] > 0


def test_rejected_fields_are_accepted_but_never_sent(make_llm: MakeLLM, emu: CodexEmulator) -> None:
    llm = make_llm(temperature=0.1, max_output_tokens=64)
    response = llm.chat([ChatMessage(role="user", content="hi")], temperature=0.0, max_tokens=5, stop=["x"])
    assert response.message.content
    assert_wire_invariants(last_body(emu))


async def test_auth_pass_through_without_a_ready_client(emu: CodexEmulator) -> None:
    llm = CodexOAuth(
        model="gpt-5.4-mini",
        base_url=emu.base_url,
        token_store=MemoryTokenStore(emu.login_tokens()),
        oauth_config=emu.oauth_config(),
        max_retries=1,
        timeout=30.0,
    )
    assert emu.responses_requests == []  # the constructor did no I/O
    try:
        response = await llm.achat([ChatMessage(role="user", content="ping")])
        assert "ping" in (response.message.content or "")
        assert last_body(emu)["model"] == "gpt-5.4-mini"
        assert response.additional_kwargs["model"] == "gpt-5.4-mini"
    finally:
        await llm.aclose()


def test_tool_call_blocks_round_trip_through_memory_serialization(llm: CodexOAuth) -> None:
    response = llm.chat_with_tools([ADD], user_msg="add 1 and 2", tool_required=True)
    restored = ChatMessage.model_validate_json(response.message.model_dump_json())
    [block] = [b for b in restored.blocks if isinstance(b, ToolCallBlock)]
    assert block.tool_kwargs == {"a": 1, "b": 2}


PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def test_images_and_documents_reach_the_backend(llm: CodexOAuth, emu: CodexEmulator) -> None:
    message = ChatMessage(
        role="user",
        blocks=[
            TextBlock(text="Describe these"),
            ImageBlock(image=PNG, image_mimetype="image/png"),
            ImageBlock(url="https://example.com/cat.png"),
            DocumentBlock(data=b"%PDF-1.4 tiny", title="report", document_mimetype="application/pdf"),
        ],
    )
    response = llm.chat([message])
    assert "Describe these" in (response.message.content or "")
    [user] = [item for item in last_body(emu)["input"] if item.get("role") == "user"]
    assert [part["type"] for part in user["content"]] == [
        "input_text",
        "input_image",
        "input_image",
        "input_file",
    ]
    assert user["content"][1]["image_url"].startswith("data:image/png;base64,")
    assert user["content"][2]["image_url"] == "https://example.com/cat.png"
    assert user["content"][3]["filename"] == "report.pdf"
