"""Property-based fuzzing (hypothesis, deterministic): the SSE decoder, the accumulator, the request builder.

* SSE: any way of cutting a stream into chunks gives the same events; arbitrary bytes never raise (the
  decoder is documented to skip what it cannot use, so "never raises" is the property); garbage frames
  between valid ones never change the valid events.
* Accumulator: arbitrary event dicts never raise while folding; ``result()`` raises only ``StreamError``.
* Request builder: arbitrary ``messages``/``tool_results``/``previous_output`` either build a JSON body or
  raise ``ValueError`` with a message, never ``KeyError``/``TypeError``/``AttributeError``; the public
  ``generate`` path gives the same guarantee before any I/O.
* Paste-mode parser: any pasted text gives a clean authorization code or a ``LoginError``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oauth_codex import APIConnectionError, CodexOAuthLLM, LoginError, StaticTokenProvider, StreamError
from oauth_codex._accumulate import ResponseAccumulator
from oauth_codex._request import RequestOptions, build_body
from oauth_codex._sse import SSEDecoder
from oauth_codex.auth._pkce import parse_pasted_callback

from .helpers import FUZZ, closed_port

# ------------------------------------------------------------------------------------------ SSE

json_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=30)
json_values = st.recursive(
    json_scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
event_types = st.sampled_from(
    ["response.created", "response.output_text.delta", "response.completed", "response.future.thing", "error"]
) | st.text(min_size=1, max_size=20)
events = st.builds(
    lambda kind, fields: {**fields, "type": kind},
    event_types,
    st.dictionaries(st.text(max_size=10).filter(lambda k: k != "type"), json_values, max_size=4),
)


def encode(event: dict[str, Any], style: int, eol: str) -> str:
    """One SSE frame in one of several legal shapes."""
    data = json.dumps(event, ensure_ascii=style % 2 == 0)
    if style == 0:
        lines = [f"event: {event['type']}", f"data: {data}"]
    elif style == 1:
        lines = [f"data:{data}"]  # no space after the colon
    elif style == 2:
        lines = [": comment", "id: 7", "retry: 100", f"data: {data}", "unknown: x"]
    else:  # multi-line data: one data line per line of indented JSON (joined back with "\n")
        lines = [f"data: {line}" for line in json.dumps(event, indent=1).split("\n")]
    return eol.join(lines) + eol + eol


streams = st.lists(st.tuples(events, st.integers(0, 3), st.sampled_from(["\n", "\r\n", "\r"])), min_size=1, max_size=6)


def decode(chunks: list[bytes]) -> list[dict[str, Any]]:
    decoder = SSEDecoder()
    out: list[dict[str, Any]] = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    out.extend(decoder.flush())
    return out


def cut(body: bytes, points: list[int]) -> list[bytes]:
    marks = sorted({p % (len(body) + 1) for p in points})
    return [body[a:b] for a, b in zip([0, *marks], [*marks, len(body)], strict=True)]


@FUZZ
@given(streams, st.lists(st.integers(0, 10_000), max_size=12))
def test_sse_any_chunking_gives_the_same_events(
    stream: list[tuple[dict[str, Any], int, str]], points: list[int]
) -> None:
    body = "".join(encode(event, style, eol) for event, style, eol in stream).encode()
    expected = [event for event, _, _ in stream]
    assert decode([body]) == expected
    assert decode(cut(body, points)) == expected


@FUZZ
@given(st.lists(st.binary(max_size=64), max_size=12))
def test_sse_arbitrary_bytes_never_raise(chunks: list[bytes]) -> None:
    for event in decode(chunks):
        assert isinstance(event, dict) and isinstance(event["type"], str) and event["type"]


garbage = st.binary(max_size=40).filter(lambda b: b"data" not in b.lower().replace(b"\r", b""))


@FUZZ
@given(streams, st.lists(garbage, max_size=6), st.lists(st.integers(0, 10_000), max_size=6))
def test_sse_garbage_between_frames_does_not_change_the_events(
    stream: list[tuple[dict[str, Any], int, str]], junk: list[bytes], points: list[int]
) -> None:
    parts: list[bytes] = []
    for index, (event, style, eol) in enumerate(stream):
        if index < len(junk):
            parts.append(junk[index] + b"\n\n")
        parts.append(encode(event, style, eol).encode())
    body = b"".join(parts)
    assert decode(cut(body, points)) == [event for event, _, _ in stream]


# ------------------------------------------------------------------------------------ accumulator

known_types = st.sampled_from(
    [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.output_item.done",
        "response.output_text.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.reasoning_summary_text.delta",
        "response.completed",
        "response.failed",
        "response.incomplete",
        "error",
    ]
)
items = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["message", "function_call", "reasoning", "other"]) | json_values,
        "id": json_values,
        "call_id": json_values,
        "name": json_values,
        "arguments": json_values,
        "status": st.sampled_from(["completed", "incomplete"]) | json_values,
        "role": st.just("assistant") | json_values,
        "content": st.lists(
            st.fixed_dictionaries({"type": st.just("output_text"), "text": json_values}) | json_values, max_size=3
        )
        | json_values,
        "summary": json_values,
        "encrypted_content": json_values,
    },
)
responses = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values,
        "model": json_values,
        "output": st.lists(items, max_size=2) | json_values,
        "usage": st.fixed_dictionaries({}, optional={"input_tokens": json_values, "output_tokens": json_values})
        | json_values,
        "error": st.fixed_dictionaries({}, optional={"code": json_values, "message": json_values}) | json_values,
        "incomplete_details": json_values,
    },
)
acc_events = st.fixed_dictionaries(
    {"type": known_types | st.text(max_size=10)},
    optional={
        "output_index": st.integers(-2, 3) | json_values,
        "item_id": json_values,
        "delta": st.text(max_size=10) | json_values,
        "arguments": json_values,
        "item": items | json_values,
        "response": responses | json_values,
        "code": json_values,
        "message": json_values,
    },
)


@FUZZ
@given(st.lists(acc_events, max_size=12))
def test_accumulator_folds_anything_and_fails_only_with_stream_error(stream: list[dict[str, Any]]) -> None:
    acc = ResponseAccumulator()
    for event in stream:
        acc.add(event)
    assert isinstance(acc.text, str)
    acc.final_response()
    for allow in (False, True):
        try:
            result = acc.result(allow_incomplete=allow)
        except StreamError as exc:
            assert str(exc) and isinstance(exc.partial_text, str)
        else:
            assert isinstance(result.text, str)
            json.dumps(result.output_items, default=str)


# -------------------------------------------------------------------------------- request builder

roles = st.sampled_from(["system", "developer", "user", "assistant", "tool"]) | json_values
parts = st.fixed_dictionaries(
    {"type": st.sampled_from(["text", "input_text", "output_text", "image_url", "input_image", "refusal", "x"])},
    optional={"text": json_values, "image_url": json_values | st.fixed_dictionaries({"url": json_values})},
)
contents = st.text(max_size=20) | st.lists(parts | json_values, max_size=3) | json_values
tool_calls = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "id": json_values,
            "type": st.just("function"),
            "function": st.fixed_dictionaries({}, optional={"name": json_values, "arguments": json_values})
            | json_values,
        },
    )
    | json_values,
    max_size=2,
)
messages = st.fixed_dictionaries(
    {},
    optional={
        "role": roles,
        "content": contents,
        "tool_calls": tool_calls | json_values,
        "tool_call_id": json_values,
        "type": st.sampled_from(["message", "function_call", "function_call_output", "reasoning"]) | json_values,
        "call_id": json_values,
        "id": json_values,
    },
)
message_lists = st.lists(messages | json_values, max_size=5) | json_values
tool_result_lists = st.lists(
    st.fixed_dictionaries({}, optional={"tool_call_id": json_values, "output": json_values}) | json_values, max_size=3
)


def _options(msgs: Any, results: Any, previous: Any, prompt: Any) -> RequestOptions:
    return RequestOptions(model="gpt-5.5", prompt=prompt, messages=msgs, tool_results=results, previous_output=previous)


@FUZZ
@given(
    message_lists,
    st.none() | tool_result_lists,
    st.none() | st.lists(messages, max_size=3),
    st.none() | st.text(max_size=5),
)
def test_request_builder_builds_or_raises_value_error(msgs: Any, results: Any, previous: Any, prompt: Any) -> None:
    try:
        body = build_body(_options(msgs, results, previous, prompt), session_id="s")
    except ValueError as exc:
        assert str(exc) and "Traceback" not in str(exc)
        return
    json.dumps(body)  # always serialisable
    assert isinstance(body["input"], list) and isinstance(body["instructions"], str) and body["instructions"]


@pytest.fixture(scope="module")
def offline_llm() -> CodexOAuthLLM:
    """A client whose requests cannot connect: input errors must raise before that (ValueError)."""
    return CodexOAuthLLM(
        base_url=f"http://127.0.0.1:{closed_port()}/backend-api/codex",
        token_provider=StaticTokenProvider("t"),
        max_retries=0,
    )


@FUZZ
@given(message_lists, st.none() | tool_result_lists)
def test_generate_raises_value_error_or_reaches_the_network(
    offline_llm: CodexOAuthLLM, msgs: Any, results: Any
) -> None:
    try:
        offline_llm.generate(messages=msgs, tool_results=results)
    except ValueError as exc:
        assert str(exc)
    except APIConnectionError:
        pass  # the input was accepted and a request was attempted


@pytest.mark.parametrize(
    "kwargs",
    [
        {"messages": 1},
        {"messages": True},
        {"messages": [{"role": ["user"], "content": "x"}]},
        {"messages": [{"role": {"a": 1}, "content": "x"}]},
        {"messages": [{"role": "assistant", "content": "x", "tool_calls": 5}]},
        {"messages": [{"type": "function_call", "call_id": ["c"], "name": "f", "arguments": "{}"}]},
        {"prompt": "x", "tool_results": 1},
        {"prompt": "x", "tool_results": [{"tool_call_id": "c", "output": "o"}], "previous_output": 3},
        {"prompt": "x", "previous_output": [{"type": "function_call", "call_id": {"c": 1}}]},
    ],
    ids=lambda kwargs: json.dumps(kwargs)[:60],
)
def test_inputs_found_by_fuzzing_raise_value_error(offline_llm: CodexOAuthLLM, kwargs: dict[str, Any]) -> None:
    """Each of these raised TypeError (unhashable role or call_id, non-iterable lists) before the fix."""
    with pytest.raises(ValueError, match=r"messages|tool_results|previous_output|role|call_id"):
        offline_llm.generate(**kwargs)


# ------------------------------------------------------------------------------------ paste parser

STATE = "s" * 43
pastes = (
    st.text(max_size=200)
    | st.builds(lambda q: f"http://localhost:1455/auth/callback?{q}", st.text(max_size=200))
    | st.builds(
        lambda code, extra: f"http://localhost:1455/auth/callback?code={code}&state={STATE}{extra}",
        st.text(max_size=60),
        st.text(max_size=40),
    )
)


@FUZZ
@given(pastes)
def test_paste_parser_returns_a_clean_code_or_raises_login_error(pasted: str) -> None:
    try:
        code = parse_pasted_callback(pasted, STATE)
    except LoginError as exc:
        assert exc.code and str(exc)
    else:
        assert code and code.isascii() and code.isprintable() and " " not in code
