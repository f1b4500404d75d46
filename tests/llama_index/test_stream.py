"""Folding raw StreamEvents into ChatResponses (pure; events built per the SPEC's grammar, no I/O)."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.base.llms.types import TextBlock, ThinkingBlock, ToolCallBlock
from llama_index.llms.oauth_codex._convert import to_core_messages, tool_selections
from llama_index.llms.oauth_codex._stream import ChatStreamState

from oauth_codex import ContextWindowExceededError, StreamError, StreamEvent

USAGE = {
    "input_tokens": 40,
    "input_tokens_details": {"cached_tokens": 8},
    "output_tokens": 30,
    "output_tokens_details": {"reasoning_tokens": 12},
    "total_tokens": 70,
}


def ev(kind: str, **fields: Any) -> StreamEvent:
    raw = {"type": kind, **fields}
    return StreamEvent(
        type=kind,
        delta=fields.get("delta"),
        item=fields.get("item"),
        response=fields.get("response"),
        raw=raw,
    )


def reasoning_events(index: int = 0) -> list[StreamEvent]:
    item = {"id": "rs_1", "type": "reasoning", "summary": []}
    done = {
        **item,
        "summary": [{"type": "summary_text", "text": "**Plan** add"}],
        "encrypted_content": "gAAA-enc",
    }
    return [
        ev("response.output_item.added", output_index=index, item=item),
        ev("response.reasoning_summary_part.added", item_id="rs_1", output_index=index, summary_index=0),
        ev(
            "response.reasoning_summary_text.delta",
            item_id="rs_1",
            output_index=index,
            summary_index=0,
            delta="**Plan**",
        ),
        ev(
            "response.reasoning_summary_text.delta",
            item_id="rs_1",
            output_index=index,
            summary_index=0,
            delta=" add",
        ),
        ev("response.output_item.done", output_index=index, item=done),
    ]


def message_events(text_deltas: list[str], index: int = 1) -> list[StreamEvent]:
    text = "".join(text_deltas)
    item = {"id": "msg_1", "type": "message", "role": "assistant", "status": "in_progress", "content": []}
    done = {
        **item,
        "status": "completed",
        "content": [{"type": "output_text", "annotations": [], "text": text}],
    }
    return [
        ev("response.output_item.added", output_index=index, item=item),
        *[
            ev("response.output_text.delta", item_id="msg_1", output_index=index, content_index=0, delta=d)
            for d in text_deltas
        ],
        ev("response.output_text.done", item_id="msg_1", output_index=index, content_index=0, text=text),
        ev("response.output_item.done", output_index=index, item=done),
    ]


def call_events(index: int, call_id: str, name: str, pieces: list[str]) -> list[StreamEvent]:
    item_id = f"fc_{index}"
    added = {
        "id": item_id,
        "type": "function_call",
        "status": "in_progress",
        "arguments": "",
        "call_id": call_id,
        "name": name,
    }
    arguments = "".join(pieces)
    return [
        ev("response.output_item.added", output_index=index, item=added),
        *[
            ev("response.function_call_arguments.delta", item_id=item_id, output_index=index, delta=p)
            for p in pieces
        ],
        ev("response.function_call_arguments.done", item_id=item_id, output_index=index, arguments=arguments),
        ev(
            "response.output_item.done",
            output_index=index,
            item={**added, "status": "completed", "arguments": arguments},
        ),
    ]


def completed() -> StreamEvent:
    # chatgpt.com sends an empty `output`: the items come from output_item.done only
    return ev(
        "response.completed",
        response={"id": "resp_1", "model": "gpt-5.5", "status": "completed", "output": [], "usage": USAGE},
    )


def created() -> StreamEvent:
    return ev(
        "response.created",
        response={"id": "resp_1", "model": "gpt-5.5", "status": "in_progress", "output": []},
    )


def run(events: list[StreamEvent]) -> tuple[list[Any], Any]:
    state = ChatStreamState()
    streamed = [r for r in (state.feed(e) for e in events) if r is not None]
    return streamed, state.finish()


def test_text_stream_accumulates_and_the_final_response_carries_usage_and_raw() -> None:
    streamed, final = run([created(), *message_events(["Hel", "lo", "!"], index=0), completed()])
    assert [r.delta for r in streamed] == ["Hel", "lo", "!"]
    assert [r.message.content for r in streamed] == ["Hel", "Hello", "Hello!"]
    assert final.message.content == "Hello!"
    assert final.delta == ""
    assert final.additional_kwargs["usage"] == {
        "input_tokens": 40,
        "output_tokens": 30,
        "total_tokens": 70,
        "cached_tokens": 8,
        "reasoning_tokens": 12,
    }
    assert final.additional_kwargs["finish_reason"] == "stop"
    assert final.additional_kwargs["model"] == "gpt-5.5"
    assert final.raw["id"] == "resp_1"
    assert final.raw["usage"]["input_tokens"] == 40  # what TokenCountingHandler reads
    assert [item["type"] for item in final.raw["output"]] == ["message"]


def test_tool_calls_stream_with_partial_arguments_and_finish_complete() -> None:
    events = [
        created(),
        *reasoning_events(0),
        *call_events(1, "call_a", "add", ['{"a": ', "2, ", '"b": 3}']),
        *call_events(2, "call_w", "lookup", ['{"city": "Zü', 'rich"}']),
        completed(),
    ]
    streamed, final = run(events)
    # thinking deltas are announced for AgentStream.thinking_delta
    thinking = [
        r.additional_kwargs.get("thinking_delta") for r in streamed if "thinking_delta" in r.additional_kwargs
    ]
    assert thinking == ["**Plan**", " add"]
    # partial arguments parse leniently on every chunk
    partial = [tool_selections(r) for r in streamed]
    assert any(s and s[0].tool_kwargs == {"a": 2} for s in partial)
    assert any(len(s) == 2 and s[1].tool_kwargs == {"city": "Zü"} for s in partial)
    assert all(r.delta == "" for r in streamed)

    calls = [b for b in final.message.blocks if isinstance(b, ToolCallBlock)]
    assert [(c.tool_call_id, c.tool_name, c.tool_kwargs) for c in calls] == [
        ("call_a", "add", {"a": 2, "b": 3}),
        ("call_w", "lookup", {"city": "Zürich"}),
    ]
    assert final.additional_kwargs["finish_reason"] == "tool_calls"
    # mirrored for LlamaIndex code that reads the legacy key (streaming structured output)
    assert [c["id"] for c in final.message.additional_kwargs["tool_calls"]] == ["call_a", "call_w"]
    assert final.message.additional_kwargs["tool_calls"][1]["function"]["arguments"] == '{"city": "Zürich"}'
    [thinking_block] = [b for b in final.message.blocks if isinstance(b, ThinkingBlock)]
    assert thinking_block.content == "**Plan** add"
    assert thinking_block.additional_information["encrypted_content"] == "gAAA-enc"


def test_final_message_replays_as_reasoning_then_calls_without_server_ids() -> None:
    _, final = run(
        [*reasoning_events(0), *call_events(1, "call_a", "add", ['{"a": 1, "b": 2}']), completed()]
    )
    _, messages = to_core_messages([final.message])
    assert messages[0] == {
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": "**Plan** add"}],
        "encrypted_content": "gAAA-enc",
    }
    assert messages[1]["tool_calls"] == [
        {"id": "call_a", "type": "function", "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'}}
    ]
    assert "rs_1" not in repr(messages) and "fc_1" not in repr(messages)


def test_blocks_follow_the_output_order() -> None:
    _, final = run(
        [
            *reasoning_events(0),
            *message_events(["Sure."], 1),
            *call_events(2, "c", "add", ["{}"]),
            completed(),
        ]
    )
    assert [type(b) for b in final.message.blocks] == [ThinkingBlock, TextBlock, ToolCallBlock]


def test_reasoning_summaries_are_separated() -> None:
    events = [
        ev("response.reasoning_summary_text.delta", output_index=0, summary_index=0, delta="one"),
        ev("response.reasoning_summary_text.delta", output_index=0, summary_index=1, delta="two"),
    ]
    streamed, _ = (lambda s: ([s.feed(e) for e in events], s))(ChatStreamState())
    assert [r.additional_kwargs["thinking_delta"] for r in streamed if r] == ["one", "\n\ntwo"]
    assert streamed[-1].message.blocks[0].content == "one\n\ntwo"


def test_unknown_and_bookkeeping_events_yield_nothing() -> None:
    state = ChatStreamState()
    assert state.feed(created()) is None
    assert state.feed(ev("codex.rate_limits", plan_type="plus")) is None
    assert state.feed(ev("response.in_progress", response={"id": "resp_1"})) is None


def test_failed_stream_raises_instead_of_returning_a_truncated_message() -> None:
    failed = ev(
        "response.failed",
        response={"id": "resp_1", "status": "failed", "error": {"code": "server_error", "message": "boom"}},
    )
    state = ChatStreamState()
    for event in [*message_events(["partial"], 0)[:2], failed]:
        state.feed(event)
    with pytest.raises(StreamError) as info:
        state.finish()
    assert info.value.code == "server_error"


def test_context_overflow_keeps_its_type() -> None:
    failed = ev(
        "response.failed",
        response={"status": "failed", "error": {"code": "context_length_exceeded", "message": "too long"}},
    )
    state = ChatStreamState()
    state.feed(failed)
    with pytest.raises(ContextWindowExceededError):
        state.finish()


def test_stream_cut_before_completed_raises() -> None:
    state = ChatStreamState()
    for event in message_events(["Hel"], 0)[:2]:
        state.feed(event)
    with pytest.raises(StreamError) as info:
        state.finish()
    assert info.value.code == "stream_incomplete"


def test_incomplete_answer_raises_the_core_stream_error() -> None:
    """One behaviour, the core's: a response.incomplete answer is a StreamError, not a final answer."""
    incomplete = ev(
        "response.incomplete",
        response={"status": "incomplete", "incomplete_details": {"reason": "content_filter"}, "usage": USAGE},
    )
    with pytest.raises(StreamError) as info:
        run([*message_events(["cut"], 0), incomplete])
    assert info.value.code == "content_filter" and info.value.partial_text == "cut"
