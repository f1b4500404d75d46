"""ResponseAccumulator: events -> GenerateResult, replaying recorded fixtures (pure)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from oauth_codex import ContextWindowExceededError, ResponseAccumulator, StreamError, StreamEvent
from oauth_codex._accumulate import make_stream_event, to_usage
from oauth_codex._sse import SSEDecoder

FIXTURES = Path(__file__).parent.parent / "fixtures"


def fixture_events(name: str) -> list[dict[str, Any]]:
    decoder = SSEDecoder()
    return decoder.feed((FIXTURES / name).read_bytes()) + decoder.flush()


def run(events: list[dict[str, Any]]) -> ResponseAccumulator:
    acc = ResponseAccumulator()
    for event in events:
        acc.add(event)
    return acc


TEXT_STREAM: list[dict[str, Any]] = [
    {
        "type": "response.created",
        "response": {"id": "resp_1", "model": "gpt-5.4", "output": [], "usage": None},
    },
    {"type": "response.in_progress", "response": {"id": "resp_1"}},
    {
        "type": "response.output_item.added",
        "output_index": 0,
        "item": {"id": "rs_1", "type": "reasoning", "summary": []},
    },
    {
        "type": "response.reasoning_summary_text.delta",
        "item_id": "rs_1",
        "output_index": 0,
        "summary_index": 0,
        "delta": "**Plan**",
    },
    {
        "type": "response.output_item.done",
        "output_index": 0,
        "item": {
            "id": "rs_1",
            "type": "reasoning",
            "summary": [{"type": "summary_text", "text": "**Plan** it"}],
            "encrypted_content": "gAAAA",
        },
    },
    {
        "type": "response.output_item.added",
        "output_index": 1,
        "item": {
            "id": "msg_1",
            "type": "message",
            "status": "in_progress",
            "role": "assistant",
            "content": [],
        },
    },
    {
        "type": "response.output_text.delta",
        "item_id": "msg_1",
        "output_index": 1,
        "content_index": 0,
        "delta": "Hel",
    },
    {
        "type": "response.output_text.delta",
        "item_id": "msg_1",
        "output_index": 1,
        "content_index": 0,
        "delta": "lo!",
    },
    {
        "type": "response.output_item.done",
        "output_index": 1,
        "item": {
            "id": "msg_1",
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "annotations": [], "text": "Hello!"}],
        },
    },
    {
        "type": "response.completed",
        "response": {
            "id": "resp_1",
            "status": "completed",
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


def test_text_stream_result() -> None:
    result = run(TEXT_STREAM).result()
    assert result.text == "Hello!"
    assert result.finish_reason == "stop"
    assert result.tool_calls == []
    assert result.response_id == "resp_1"
    assert result.model == "gpt-5.4"
    assert result.reasoning_summary == "**Plan** it"
    assert result.usage is not None
    assert result.usage.model_dump() == {
        "input_tokens": 12,
        "output_tokens": 5,
        "total_tokens": 17,
        "cached_tokens": 4,
        "reasoning_tokens": 2,
    }
    # output for replay: no server ids, reasoning keeps its encrypted content
    assert result.output_items == [
        {
            "type": "reasoning",
            "summary": [{"type": "summary_text", "text": "**Plan** it"}],
            "encrypted_content": "gAAAA",
        },
        {
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "annotations": [], "text": "Hello!"}],
        },
    ]
    # the raw response carries the collected output although completed.output was []
    assert result.raw_response is not None
    assert [i["id"] for i in result.raw_response["output"]] == ["rs_1", "msg_1"]


def test_deltas_are_the_fallback_when_done_is_missing() -> None:
    events = [
        e for e in TEXT_STREAM if not (e["type"] == "response.output_item.done" and e["output_index"] == 1)
    ]
    acc = run(events)
    assert acc.text == "Hello!"
    assert acc.result().text == "Hello!"


def test_stream_event_input_works_like_dicts() -> None:
    acc = ResponseAccumulator()
    for event in TEXT_STREAM:
        acc.add(make_stream_event(event))
    assert acc.result().text == "Hello!"
    built = StreamEvent(type="response.output_text.delta", delta="x")  # raw left empty
    acc2 = ResponseAccumulator()
    acc2.add(built)
    assert acc2.text == "x"


def test_recorded_function_call_stream() -> None:
    events = fixture_events("responses_function_call_o3_platform.sse")
    acc = run(events)
    result = acc.result()
    assert result.finish_reason == "tool_calls"
    assert len(result.tool_calls) == 1
    call = result.tool_calls[0]
    assert call.id == "call_DhtkoVLdnlohlERqrxpUjb25"  # the call_id, not the fc_ item id
    assert call.name == "get_weather"
    assert call.arguments == {"location": {"x": "Beijing", "y": "China"}, "units": "celsius"}
    assert json.loads(call.arguments_json) == call.arguments
    assert (
        result.usage is not None and result.usage.reasoning_tokens == 64 and result.usage.total_tokens == 178
    )
    assert result.text == ""
    # the reasoning item has no encrypted content, so only the call is replayable
    assert result.output_items == [
        {
            "type": "function_call",
            "status": "completed",
            "arguments": call.arguments_json,
            "call_id": call.id,
            "name": "get_weather",
        }
    ]


def test_function_call_rebuilt_from_deltas_when_done_is_missing() -> None:
    events = [
        e
        for e in fixture_events("responses_function_call_o3_platform.sse")
        if e["type"] != "response.output_item.done"
    ]
    # completed.response.output of the platform API is full; drop it to act like chatgpt.com
    events[-1] = {**events[-1], "response": {**events[-1]["response"], "output": []}}
    result = run(events).result()
    assert result.tool_calls[0].arguments == {"location": {"x": "Beijing", "y": "China"}, "units": "celsius"}


def test_completed_template_with_null_details() -> None:
    events = json.loads((FIXTURES / "codex_completed_template.json").read_text())
    result = run(events).result()
    assert result.text == ""
    assert result.usage is not None
    assert result.usage.cached_tokens == 0 and result.usage.reasoning_tokens == 0
    assert result.response_id == "__ID__"


def test_usage_missing_or_null() -> None:
    assert to_usage(None) is None
    assert to_usage({"input_tokens": 3, "output_tokens": 4}) is not None
    usage = to_usage({"input_tokens": 3, "output_tokens": 4})
    assert usage is not None and usage.total_tokens == 7


@pytest.mark.parametrize(
    ("fixture", "error_type", "code", "retry_after"),
    [
        ("codex_response_failed_rate_limit_exceeded.sse", StreamError, "rate_limit_exceeded", 11.054),
        (
            "codex_response_failed_context_length_exceeded.sse",
            ContextWindowExceededError,
            "context_length_exceeded",
            None,
        ),
        ("codex_response_failed_insufficient_quota.sse", StreamError, "insufficient_quota", None),
    ],
)
def test_recorded_failures(
    fixture: str, error_type: type[StreamError], code: str, retry_after: float | None
) -> None:
    acc = run(TEXT_STREAM[:7] + fixture_events(fixture))
    with pytest.raises(error_type) as info:
        acc.result()
    assert type(info.value) is error_type
    assert info.value.code == code
    assert info.value.retry_after == retry_after
    assert info.value.partial_text == "Hel"
    assert info.value.response_id is not None and info.value.response_id.startswith("resp_")
    assert info.value.partial_result is not None


def test_eof_without_completed_is_an_error_with_partial_text() -> None:
    acc = run(TEXT_STREAM[:8])
    assert acc.text == "Hello!"
    with pytest.raises(StreamError, match="before response.completed") as info:
        acc.result()
    assert info.value.partial_text == "Hello!"
    assert info.value.code == "stream_incomplete"


@pytest.mark.parametrize(
    ("reason", "finish"), [("max_output_tokens", "length"), ("content_filter", "content_filter")]
)
def test_incomplete(reason: str, finish: str) -> None:
    incomplete = {
        "type": "response.incomplete",
        "response": {
            "id": "resp_1",
            "status": "incomplete",
            "incomplete_details": {"reason": reason},
            "usage": {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3},
        },
    }
    acc = run(TEXT_STREAM[:8] + [incomplete])
    with pytest.raises(StreamError) as info:
        acc.result()
    assert info.value.code == reason
    assert info.value.partial_text == "Hello!"
    result = acc.result(allow_incomplete=True)
    assert result.finish_reason == finish
    assert result.text == "Hello!"
    assert result.usage is not None and result.usage.total_tokens == 3


@pytest.mark.parametrize(
    "event",
    [
        {"type": "error", "code": "server_error", "message": "boom", "param": None},
        {"type": "error", "status": 400, "error": {"type": "invalid_request_error", "message": "boom"}},
    ],
)
def test_error_event(event: dict[str, Any]) -> None:
    acc = run(TEXT_STREAM[:7] + [event])
    with pytest.raises(StreamError, match="boom") as info:
        acc.result()
    assert info.value.code in ("server_error", "invalid_request_error")


def test_unknown_events_are_ignored() -> None:
    acc = run(
        [{"type": "codex.rate_limits", "rate_limits": {}}, {"type": "response.refusal.delta"}, *TEXT_STREAM]
    )
    assert acc.result().text == "Hello!"


def test_parallel_calls_keep_output_index_order() -> None:
    def call(index: int, call_id: str) -> dict[str, Any]:
        return {
            "type": "response.output_item.done",
            "output_index": index,
            "item": {
                "type": "function_call",
                "call_id": call_id,
                "name": "f",
                "arguments": "{}",
                "id": f"fc_{index}",
            },
        }

    done = {"type": "response.completed", "response": {"id": "r", "output": []}}
    result = run([call(1, "b"), call(0, "a"), done]).result()
    assert [c.id for c in result.tool_calls] == ["a", "b"]
    assert result.tool_calls[0].arguments == {}


@pytest.mark.parametrize(
    "event",
    [
        {"type": "response.output_text.delta", "delta": "hi", "sequence_number": 3},
        {"type": "response.output_item.done", "item": {"type": "message", "content": []}},
        {"type": "response.completed", "response": {"id": "r", "output": []}},
        {"type": "response.function_call_arguments.delta", "delta": 5, "item": "not a dict"},
        {"no": "type"},
    ],
)
def test_make_stream_event_is_model_construct(event: dict[str, Any]) -> None:
    """The hand-built fast path stays identical to pydantic's model_construct (fields, fields_set, copies)."""
    fast = make_stream_event(event)
    delta, item, response = event.get("delta"), event.get("item"), event.get("response")
    slow = StreamEvent.model_construct(
        type=event.get("type", ""),
        delta=delta if isinstance(delta, str) else None,
        item=item if isinstance(item, dict) else None,
        response=response if isinstance(response, dict) else None,
        raw=event,
    )
    assert fast == slow
    assert fast.model_fields_set == slow.model_fields_set
    assert fast.model_dump() == slow.model_dump()
    assert fast.model_copy(update={"delta": "x"}).delta == "x"
    assert pickle.loads(pickle.dumps(fast)) == slow
