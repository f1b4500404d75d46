"""The pure translation of ``oauth_codex.openai`` (SDK request bodies <-> Codex requests and answers)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from oauth_codex import GenerateResult, ModelInfo, ToolCall, Usage
from oauth_codex.openai._chat import ChatChunks, chat_completion, chat_plan
from oauth_codex.openai._convert import Plan, complete_response, models_page, request_body, responses_plan, sse_frame


def _body(plan: Plan) -> dict[str, Any]:
    return request_body(plan, default_instructions=None, session_id="s")


def test_responses_plan_feeds_the_one_request_builder() -> None:
    plan = responses_plan(
        json.dumps(
            {
                "model": "gpt-5.5",
                "input": [
                    {"role": "developer", "content": "rules"},
                    {
                        "type": "message",
                        "id": "msg_1",
                        "role": "assistant",
                        "content": [{"type": "output_text", "text": "a"}],
                    },
                    {"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "f", "arguments": "{}"},
                    {"type": "function_call_output", "call_id": "c1", "output": "ok"},
                ],
                "stream": True,
                "store": False,
                "temperature": 1,
                "top_p": None,
                "include": ["web_search_call.action.sources"],
                "service_tier": "priority",
            }
        ).encode()
    )
    assert plan.stream and plan.dropped == ["temperature"]
    body = _body(plan)
    assert body["instructions"] == "rules" and body["store"] is False and body["stream"] is True
    assert not any("id" in item for item in body["input"])
    assert body["include"] == ["web_search_call.action.sources", "reasoning.encrypted_content"]
    assert body["service_tier"] == "priority" and "temperature" not in body and "top_p" not in body


def test_responses_plan_string_input_and_errors() -> None:
    plan = responses_plan(b'{"model": "m", "input": "hi"}')
    assert not plan.stream and plan.options["prompt"] == "hi"
    for raw, match in [
        (b"[1]", "JSON object"),
        (b"nope", "not JSON"),
        (b'{"input": "hi"}', "model is required"),
        (b'{"model": "m"}', "input is required"),
        (b'{"model": "m", "input": []}', "non-empty list"),
        (b'{"model": "m", "input": "x", "previous_response_id": "r"}', "whole conversation"),
        (b'{"model": "m", "input": "x", "background": true}', "stored"),
    ]:
        with pytest.raises(ValueError, match=match):
            responses_plan(raw)


def test_chat_plan_maps_options_and_refuses_what_cannot_map() -> None:
    plan = chat_plan(
        json.dumps(
            {
                "model": "m",
                "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}],
                "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
                "tool_choice": {"type": "function", "function": {"name": "f"}},
                "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
                "reasoning_effort": "low",
                "verbosity": "low",
                "max_tokens": 5,
                "n": 1,
                "stream": True,
                "stream_options": {"include_usage": True},
                "user": "u1",
            }
        )
    )
    assert plan.dropped == ["max_tokens"] and plan.stream and plan.include_usage
    body = _body(plan)
    assert body["tools"] == [{"type": "function", "name": "f", "parameters": {"type": "object"}, "strict": False}]
    assert body["tool_choice"] == {"type": "function", "name": "f"}
    assert body["text"] == {
        "verbosity": "low",
        "format": {"type": "json_schema", "name": "x", "schema": {"type": "object"}},
    }
    assert body["reasoning"] == {"effort": "low"} and body["user"] == "u1"
    with pytest.raises(ValueError, match="no equivalent"):
        chat_plan(b'{"model": "m", "messages": [{"role": "user", "content": "u"}], "mystery": 1}')
    with pytest.raises(ValueError, match="only answers with text"):
        chat_plan(b'{"model": "m", "messages": [{"role": "user", "content": "u"}], "modalities": ["audio"]}')
    with pytest.raises(ValueError, match="messages is required"):
        chat_plan(b'{"model": "m", "messages": []}')


def test_complete_response_fills_what_the_sdk_type_requires() -> None:
    echo = {"model": "m", "tools": [], "tool_choice": "auto", "parallel_tool_calls": False}
    out = complete_response(
        {
            "id": "resp_1",
            "status": "completed",
            "output": [],
            "usage": {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3, "input_tokens_details": None},
        },
        echo,
    )
    assert out["object"] == "response" and isinstance(out["created_at"], int)
    assert out["tools"] == [] and out["tool_choice"] == "auto" and out["parallel_tool_calls"] is False
    assert out["usage"]["input_tokens_details"] == {"cached_tokens": 0}
    assert out["usage"]["output_tokens_details"] == {"reasoning_tokens": 0}


def test_chat_completion_from_a_result() -> None:
    result = GenerateResult(
        text="",
        tool_calls=[ToolCall(id="c1", name="f", arguments={}, arguments_json="{}")],
        finish_reason="tool_calls",
        usage=Usage(input_tokens=3, output_tokens=4, total_tokens=7, cached_tokens=1, reasoning_tokens=2),
        response_id="resp_9",
    )
    completion = chat_completion(result, model="m", created=5)
    assert completion["id"] == "chatcmpl-resp_9" and completion["created"] == 5 and completion["model"] == "m"
    message = completion["choices"][0]["message"]
    assert message["content"] is None
    assert message["tool_calls"] == [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    assert completion["usage"]["prompt_tokens_details"] == {"cached_tokens": 1}


def test_chat_chunks_from_events() -> None:
    chunks = ChatChunks(model="m", include_usage=True)
    events = [
        {"type": "response.created", "response": {"id": "resp_1"}},
        {"type": "response.output_text.delta", "output_index": 0, "delta": "Hi"},
        {
            "type": "response.output_item.added",
            "output_index": 1,
            "item": {"type": "function_call", "call_id": "c", "name": "f"},
        },
        {"type": "response.function_call_arguments.done", "output_index": 1, "arguments": "{}"},
        {"type": "response.incomplete", "response": {"incomplete_details": {"reason": "content_filter"}}},
    ]
    out = [chunk for event in events for chunk in chunks.feed(event)]
    assert [c["choices"][0]["delta"] if c["choices"] else None for c in out] == [
        {"role": "assistant", "content": ""},
        {"content": "Hi"},
        {"tool_calls": [{"index": 0, "id": "c", "type": "function", "function": {"name": "f", "arguments": ""}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]},
        {},
        None,
    ]
    assert out[-2]["choices"][0]["finish_reason"] == "content_filter"
    assert all(c["id"] == "chatcmpl-resp_1" for c in out)


def test_models_page_and_frames() -> None:
    page = models_page([ModelInfo(slug="gpt-5.5", context_window=272000), ModelInfo(slug="gpt-5.4")])
    assert page["object"] == "list" and [m["id"] for m in page["data"]] == ["gpt-5.5", "gpt-5.4"]
    assert page["data"][0]["context_window"] == 272000 and page["data"][1]["display_name"] == "gpt-5.4"
    assert sse_frame({"type": "x", "a": "é"}) == 'event: x\ndata: {"type":"x","a":"é"}\n\n'.encode()
    assert sse_frame({"a": 1}, named=False) == b'data: {"a":1}\n\n'
