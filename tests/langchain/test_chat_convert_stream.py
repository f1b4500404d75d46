"""Core ``StreamEvent``s -> ``AIMessageChunk``s (ADAPTERS.md §1.6), through the pure converter."""

from __future__ import annotations

import json
from functools import reduce
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessageChunk
from langchain_oauth_codex._convert import StreamConverter, usage_to_metadata

from oauth_codex.types import StreamEvent

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _event(data: dict[str, Any]) -> StreamEvent:
    return StreamEvent(
        type=data["type"],
        delta=data.get("delta"),
        item=data.get("item"),
        response=data.get("response"),
        raw=data,
    )


def _sse_events(name: str) -> list[StreamEvent]:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return [_event(json.loads(line[5:])) for line in text.splitlines() if line.startswith("data:")]


def _run(events: list[StreamEvent], model: str = "gpt-5.5") -> list[AIMessageChunk]:
    converter = StreamConverter(model)
    chunks = [converter.convert(event) for event in events]
    return [c.message for c in chunks if c is not None]  # type: ignore[misc]


def _merge(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    return reduce(lambda a, b: a + b, chunks)


# The text-only and reasoning streams of SPEC §4.3 (chatgpt.com shape: completed.output is empty).
TEXT_STREAM = [
    {"type": "response.created", "response": {"id": "resp_1", "status": "in_progress", "model": "gpt-5.4"}},
    {
        "type": "response.output_item.added",
        "output_index": 0,
        "item": {"id": "rs_1", "type": "reasoning", "summary": []},
    },
    {"type": "response.reasoning_summary_part.added", "output_index": 0, "summary_index": 0},
    {
        "type": "response.reasoning_summary_text.delta",
        "output_index": 0,
        "summary_index": 0,
        "delta": "**Plan**",
    },
    {"type": "response.reasoning_summary_part.added", "output_index": 0, "summary_index": 1},
    {
        "type": "response.reasoning_summary_text.delta",
        "output_index": 0,
        "summary_index": 1,
        "delta": "Greet.",
    },
    {
        "type": "response.output_item.done",
        "output_index": 0,
        "item": {
            "id": "rs_1",
            "type": "reasoning",
            "encrypted_content": "gAAAA",
            "summary": [
                {"type": "summary_text", "text": "**Plan**"},
                {"type": "summary_text", "text": "Greet."},
            ],
        },
    },
    {
        "type": "response.output_item.added",
        "output_index": 1,
        "item": {"id": "msg_1", "type": "message", "role": "assistant", "content": []},
    },
    {"type": "response.output_text.delta", "output_index": 1, "content_index": 0, "delta": "Hel"},
    {"type": "response.output_text.delta", "output_index": 1, "content_index": 0, "delta": "lo!"},
    {"type": "response.output_text.done", "output_index": 1, "content_index": 0, "text": "Hello!"},
    {
        "type": "response.output_item.done",
        "output_index": 1,
        "item": {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Hello!"}],
        },
    },
    {
        "type": "response.completed",
        "response": {
            "id": "resp_1",
            "status": "completed",
            "model": "gpt-5.4",
            "output": [],
            "usage": {
                "input_tokens": 12,
                "input_tokens_details": {"cached_tokens": 4},
                "output_tokens": 5,
                "output_tokens_details": {"reasoning_tokens": 2},
                "total_tokens": 17,
            },
        },
    },
]


def test_text_stream_maps_deltas_reasoning_and_one_final_chunk() -> None:
    chunks = _run([_event(e) for e in TEXT_STREAM])
    assert [c.content for c in chunks if c.content] == ["Hel", "lo!"]
    assert [c.chunk_position for c in chunks].count("last") == 1
    assert chunks[-1].chunk_position == "last"
    assert sum(1 for c in chunks if c.response_metadata) == 1
    assert sum(1 for c in chunks if c.usage_metadata) == 1

    full = _merge(chunks)
    assert full.content == "Hello!"
    assert full.additional_kwargs["reasoning_content"] == "**Plan**\n\nGreet."
    assert full.additional_kwargs["reasoning_items"] == [
        {
            "type": "reasoning",
            "encrypted_content": "gAAAA",
            "summary": [
                {"type": "summary_text", "text": "**Plan**"},
                {"type": "summary_text", "text": "Greet."},
            ],
        }
    ]
    assert full.response_metadata == {
        "model_name": "gpt-5.4",
        "model_provider": "openai-codex",
        "finish_reason": "stop",
        "status": "completed",
        "id": "resp_1",
    }
    assert full.usage_metadata == {
        "input_tokens": 12,
        "output_tokens": 5,
        "total_tokens": 17,
        "input_token_details": {"cache_read": 4},
        "output_token_details": {"reasoning": 2},
    }
    blocks = full.content_blocks
    assert [b["type"] for b in blocks] == ["reasoning", "text"]


def test_recorded_function_call_stream_builds_one_tool_call() -> None:
    chunks = _run(_sse_events("responses_function_call_o3_platform.sse"), model="o3")
    tool_chunks = [c for c in chunks if c.tool_call_chunks]
    first = tool_chunks[0].tool_call_chunks[0]
    assert first["name"] == "get_weather" and first["id"] == "call_DhtkoVLdnlohlERqrxpUjb25"
    assert first["index"] == 1 and first["args"] == ""
    assert all(c.tool_call_chunks[0]["name"] is None for c in tool_chunks[1:])
    assert all(c.tool_call_chunks[0]["index"] == 1 for c in tool_chunks)
    assert len(tool_chunks) > 3  # arguments arrive in several deltas

    full = _merge(chunks)
    assert full.tool_calls == [
        {
            "name": "get_weather",
            "args": {"location": {"x": "Beijing", "y": "China"}, "units": "celsius"},
            "id": "call_DhtkoVLdnlohlERqrxpUjb25",
            "type": "tool_call",
        }
    ]
    assert full.response_metadata["finish_reason"] == "tool_calls"
    assert full.response_metadata["model_name"] == "o3"
    assert "reasoning_items" not in full.additional_kwargs  # no encrypted content on store:true streams
    assert full.usage_metadata is not None and full.usage_metadata["input_tokens"] > 0


def test_done_events_fill_in_when_deltas_are_missing() -> None:
    events = [
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"type": "function_call", "call_id": "call_1", "name": "f", "arguments": ""},
        },
        {"type": "response.function_call_arguments.done", "output_index": 0, "arguments": '{"x": 1}'},
        {
            "type": "response.output_item.done",
            "output_index": 1,
            "item": {"type": "function_call", "call_id": "call_2", "name": "g", "arguments": "{}"},
        },
        {"type": "response.output_text.done", "output_index": 2, "content_index": 0, "text": "Hi"},
        {
            "type": "response.output_item.done",
            "output_index": 2,
            "item": {"type": "message", "content": [{"type": "output_text", "text": "Hi"}]},
        },
        {
            "type": "response.output_item.done",
            "output_index": 3,
            "item": {"type": "message", "content": [{"type": "output_text", "text": " there"}]},
        },
        {"type": "response.completed", "response": {"id": "r", "usage": None, "output": []}},
    ]
    full = _merge(_run([_event(e) for e in events], model="gpt-5.5"))
    assert full.content == "Hi there"
    assert [(c["id"], c["args"]) for c in full.tool_calls] == [("call_1", {"x": 1}), ("call_2", {})]
    assert full.response_metadata["model_name"] == "gpt-5.5"  # the requested model when none is echoed
    assert full.usage_metadata is None


def test_incomplete_response_finishes_with_length() -> None:
    events = [
        {"type": "response.output_text.delta", "output_index": 0, "content_index": 0, "delta": "partial"},
        {
            "type": "response.incomplete",
            "response": {
                "id": "r",
                "status": "incomplete",
                "incomplete_details": {"reason": "max_output_tokens"},
            },
        },
    ]
    full = _merge(_run([_event(e) for e in events]))
    assert full.response_metadata["finish_reason"] == "length"
    assert full.response_metadata["status"] == "incomplete"
    assert full.chunk_position == "last"


def test_refusal_and_unknown_events() -> None:
    events = [
        {"type": "codex.rate_limits", "rate_limits": {}},
        {"type": "response.refusal.delta", "output_index": 0, "content_index": 0, "delta": "I can't"},
        {"type": "response.refusal.delta", "output_index": 0, "content_index": 0, "delta": " help."},
        {"type": "response.completed", "response": {"id": "r", "output": []}},
    ]
    full = _merge(_run([_event(e) for e in events]))
    assert full.additional_kwargs["refusal"] == "I can't help."


def test_usage_with_null_details_from_the_codex_template() -> None:
    template = json.loads((FIXTURES / "codex_completed_template.json").read_text(encoding="utf-8"))
    usage = usage_to_metadata(template[0]["response"]["usage"])
    assert usage == {
        "input_tokens": 0,
        "output_tokens": 0,
        "total_tokens": 0,
        "input_token_details": {"cache_read": 0},
        "output_token_details": {"reasoning": 0},
    }
    assert usage_to_metadata(None) is None


def test_collect_text_gathers_the_answer_into_one_chunk() -> None:
    converter = StreamConverter("gpt-5.5", collect_text=True)
    chunks = [converter.convert(_event(e)) for e in TEXT_STREAM]
    assert all(c is None or not c.message.content for c in chunks)
    assert converter.text_chunk().message.content == "Hello!"

