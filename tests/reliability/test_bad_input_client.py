"""Bad input on the client side: invalid tools, broken tool arguments, hostile SSE bytes, huge answers.

Tolerant behaviours documented here (and in ``oauth_codex/_sse.py``): SSE frames that are not JSON objects
with a ``type`` are skipped, comments and unknown fields are ignored, bytes that are not UTF-8 become
U+FFFD, and unknown event types reach ``raw_events=True`` callers unchanged. None of it may change the
answer or raise anything but a typed error.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from pydantic import BaseModel

from oauth_codex import (
    CodexOAuthLLM,
    GenerateResult,
    ResponseAccumulator,
    StreamEvent,
    ToolCallRequiredError,
)
from oauth_codex.testing import CodexEmulator

from .helpers import ANSWER, MODES, STREAMING, call

#: index of response.completed in the emulator's stream of ANSWER (2 + 2 + 10 deltas + 3 done events)
COMPLETED_INDEX = 17


def frame(event: dict[str, Any]) -> bytes:
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()


# ------------------------------------------------------------------------------------------- tools


class NotAModel:
    """A plain class is callable; it is offered like a function without parameters."""


def well_named(city: str) -> str:
    """Weather in a city."""
    return city


INVALID_TOOLS: list[tuple[str, Any, str]] = [
    ("lambda", [lambda x: x], "real name"),
    ("int", [5], "unsupported tool"),
    ("none", [None], "unsupported tool"),
    ("string-item", ["get_weather"], "unsupported tool"),
    ("tools-is-a-string", "get_weather", "must be a list"),
    ("tools-is-a-dict", {"type": "function", "name": "f"}, "must be a list"),
    ("dict-without-name", [{"type": "function", "parameters": {}}], "without a 'name'"),
    ("name-not-a-string", [{"type": "function", "name": 5}], "without a 'name'"),
    ("nested-function-not-a-dict", [{"type": "function", "function": "f"}], "without a 'name'"),
    ("parameters-not-a-dict", [{"type": "function", "name": "f", "parameters": [1, 2]}], "JSON-schema object"),
    ("name-with-spaces", [{"type": "function", "name": "get weather!"}], "invalid tool name"),
    ("name-too-long", [{"type": "function", "name": "f" * 65}], "invalid tool name"),
    ("name-with-dots", [{"type": "function", "function": {"name": "mcp.server.tool"}}], "invalid tool name"),
    ("duplicate-names", [well_named, {"type": "function", "name": "well_named"}], "two tools are named"),
]


@pytest.mark.parametrize(("tools", "match"), [t[1:] for t in INVALID_TOOLS], ids=[t[0] for t in INVALID_TOOLS])
@pytest.mark.parametrize("mode", MODES)
async def test_invalid_tools_raise_value_error_before_any_request(
    llm: CodexOAuthLLM, emu: CodexEmulator, mode: str, tools: Any, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        await call(llm, mode, tools=tools)
    assert emu.requests == []  # not even a token refresh: input errors raise before any I/O


def test_tolerated_tool_shapes_still_work(llm: CodexOAuthLLM) -> None:
    """Documented tolerance: a plain class is a parameterless function; unknown tool types pass through."""

    class Lookup(BaseModel):
        """Look something up."""

        query: str

    result = llm.generate(prompt="hi", tools=[NotAModel, Lookup, well_named], return_details=True)
    assert isinstance(result, GenerateResult) and result.text == ANSWER


# ------------------------------------------------------------------------------- tool arguments

BAD_ARGUMENTS = ["{not json", "[1, 2, 3]", '"a string"', "", '{"truncated": ', "null"]


@pytest.mark.parametrize("arguments", BAD_ARGUMENTS)
@pytest.mark.parametrize("mode", MODES)
async def test_non_json_tool_arguments_from_the_model_are_kept_raw(
    llm: CodexOAuthLLM, emu: CodexEmulator, mode: str, arguments: str
) -> None:
    item = {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "call_bad",
        "name": "well_named",
        "arguments": arguments,
        "status": "completed",
    }
    emu.inject_raw(
        frame({"type": "response.output_item.done", "output_index": 1, "item": item}), after_events=COMPLETED_INDEX
    )
    outcome = await call(llm, mode, tools=[well_named])
    assert isinstance(outcome.error, ToolCallRequiredError), repr(outcome.error)
    (tool_call,) = outcome.error.tool_calls
    assert tool_call.id == "call_bad" and tool_call.name == "well_named"
    assert tool_call.arguments_json == arguments  # what the model sent, byte for byte
    assert tool_call.arguments is None or (arguments in ("", "null") and tool_call.arguments == {})
    if mode in STREAMING:
        assert outcome.yielded == ANSWER
    assert outcome.error.result is not None and outcome.error.result.text == ANSWER


# ------------------------------------------------------------------------------- hostile SSE bytes

MALFORMED: list[tuple[str, bytes]] = [
    ("data-not-json", b"data: {not json\n\n"),
    ("data-json-array", b"data: [1, 2, 3]\n\n"),
    ("data-json-string", b'data: "text"\n\n'),
    ("object-without-type", b'data: {"no_type": true}\n\n'),
    ("type-not-a-string", b'data: {"type": 5}\n\n'),
    ("empty-type", b'data: {"type": ""}\n\n'),
    ("event-without-data", b"event: response.output_text.delta\n\n"),
    ("line-without-colon", b"garbage line without a colon\n\n"),
    ("comments-and-fields", b": keep-alive\nid: 42\nretry: 3000\nretry: soon\nunknown: field\n\n"),
    ("stray-blank-lines", b"\n\n\n\n"),
    ("crlf-and-cr-endings", b": one\r\n\r\n: two\r\r"),
    ("nul-bytes", b"\x00\x00\x00\n\n"),
    ("not-utf8", b"\xff\xfe\xfd\x80 latin-1 caf\xe9\n\n"),
    ("truncated-multibyte", b'data: {"type": "x", "v": "\xe2\x82"}\n\n'),
    ("delta-for-unknown-item", frame({"type": "response.output_text.delta", "output_index": 99, "delta": ""})),
    ("huge-garbage-line", b"x" * 300_000 + b"\n\n"),
]


@pytest.mark.parametrize("garbage", [m[1] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
@pytest.mark.parametrize("mode", MODES)
async def test_malformed_sse_is_skipped_and_the_answer_is_intact(
    llm: CodexOAuthLLM, emu: CodexEmulator, mode: str, garbage: bytes
) -> None:
    emu.inject_raw(garbage, after_events=6)  # in the middle of the text deltas
    outcome = await call(llm, mode)
    assert outcome.error is None, repr(outcome.error)
    assert outcome.text == ANSWER
    assert len(emu.responses_requests) == 1  # tolerated, not retried


async def test_a_delta_with_invalid_utf8_is_replaced_not_raised(llm: CodexOAuthLLM, emu: CodexEmulator) -> None:
    """An invalid byte inside a delta reaches a text stream as U+FFFD; the final text is the server's."""
    bad = (
        b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","output_index":0,'
        b'"content_index":0,"delta":"caf\xe9"}\n\n'
    )
    emu.inject_raw(bad, after_events=6)
    chunks = [c for c in llm.generate_stream(prompt="hello") if isinstance(c, str)]
    assert "caf\ufffd" in chunks
    emu.inject_raw(bad, after_events=6)
    assert llm.generate(prompt="hello") == ANSWER  # output_item.done carries the authoritative text


@pytest.mark.parametrize("aio", [False, True])
async def test_unknown_event_types_pass_through_as_raw_events(
    llm: CodexOAuthLLM, emu: CodexEmulator, aio: bool
) -> None:
    unknown = {"type": "response.future_feature.delta", "delta": "not text", "payload": {"x": [1, 2]}}
    emu.inject_raw(frame(unknown), after_events=6)
    events: list[StreamEvent] = []
    if aio:
        async for event in llm.agenerate_stream(prompt="hello", raw_events=True):
            assert isinstance(event, StreamEvent)
            events.append(event)
    else:
        for event in llm.generate_stream(prompt="hello", raw_events=True):
            assert isinstance(event, StreamEvent)
            events.append(event)
    passed = [e for e in events if e.type == unknown["type"]]
    assert len(passed) == 1 and passed[0].raw == unknown and passed[0].delta == "not text"
    acc = ResponseAccumulator()
    for event in events:
        acc.add(event)
    assert acc.result().text == ANSWER  # an unknown delta is not mistaken for answer text
    # and text streams are unaffected
    emu.inject_raw(frame(unknown), after_events=6)
    assert "".join(str(c) for c in llm.generate_stream(prompt="hello")) == ANSWER


# ------------------------------------------------------------------------------- huge responses

HUGE = ("All work and no play makes Jack a dull boy. " * 120_000)[:5_000_000]


@pytest.mark.parametrize(("mode", "deltas"), [("sync", 1), ("async", 500), ("stream", 500), ("astream", 1)])
async def test_a_5_mb_answer_arrives_whole(emu: CodexEmulator, mode: str, deltas: int) -> None:
    """5 MB of text (as one 5 MB SSE line, or 500 deltas): nothing lost, nothing slow."""
    emu.set_answer(text=HUGE, deltas=deltas)
    with emu.client() as llm:
        started = time.perf_counter()
        outcome = await call(llm, mode)
        elapsed = time.perf_counter() - started
        await llm.aclose()
    assert outcome.error is None, repr(outcome.error)
    assert outcome.text is not None and len(outcome.text) == len(HUGE) and outcome.text == HUGE
    if mode in STREAMING:
        assert len(outcome.chunks) == deltas
    assert elapsed < 10, f"{elapsed:.1f}s for 5 MB"


def test_a_huge_frame_in_small_chunks_decodes_in_linear_time() -> None:
    """One 5 MB SSE line delivered in 4 KB chunks (a slow network): no rescanning of the buffered frame."""
    from oauth_codex._sse import SSEDecoder

    body = frame({"type": "response.output_text.delta", "output_index": 0, "delta": HUGE})
    decoder = SSEDecoder()
    started = time.perf_counter()
    events = [e for i in range(0, len(body), 4096) for e in decoder.feed(body[i : i + 4096])]
    events += decoder.flush()
    elapsed = time.perf_counter() - started
    assert [e["delta"] for e in events] == [HUGE]
    assert elapsed < 2.0, f"{elapsed:.1f}s: quadratic rescanning is back"
