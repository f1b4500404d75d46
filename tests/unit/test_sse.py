"""SSEDecoder: framing, line endings, chunk boundaries, malformed data (pure, no I/O)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oauth_codex._sse import SSEDecoder

FIXTURES = Path(__file__).parent.parent / "fixtures"


def decode(*chunks: bytes) -> list[dict[str, object]]:
    decoder = SSEDecoder()
    events: list[dict[str, object]] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.flush())
    return events


def frame(event: dict[str, object], *, eol: str = "\n") -> bytes:
    return f"event: {event['type']}{eol}data: {json.dumps(event)}{eol}{eol}".encode()


EVENTS = [
    {"type": "response.created", "response": {"id": "resp_1"}},
    {"type": "response.output_text.delta", "delta": "Hé"},
    {"type": "response.output_text.delta", "delta": "llo\n"},
    {"type": "response.completed", "response": {"id": "resp_1", "output": []}},
]


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
def test_line_endings(eol: str) -> None:
    body = b"".join(frame(e, eol=eol) for e in EVENTS)
    assert decode(body) == EVENTS


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
def test_every_split_point(eol: str) -> None:
    body = b"".join(frame(e, eol=eol) for e in EVENTS)
    for cut in range(len(body) + 1):
        assert decode(body[:cut], body[cut:]) == EVENTS, cut


def test_byte_by_byte() -> None:
    body = b"".join(frame(e, eol="\r\n") for e in EVENTS)
    assert decode(*[body[i : i + 1] for i in range(len(body))]) == EVENTS


def test_multiline_data_is_joined_with_newlines() -> None:
    body = b'data: {"type": "x",\ndata:  "n": 1}\n\n'
    assert decode(body) == [{"type": "x", "n": 1}]


def test_comments_id_retry_and_unknown_fields() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(
        b': keep-alive\n\nid: 42\nretry: 1500\nfoo: bar\ndata: {"type":"a"}\n\nretry: soon\n\n'
    )
    assert events == [{"type": "a"}]  # id and retry are ignored: a cut stream is never resumed


def test_frames_without_data_and_non_json_are_skipped() -> None:
    body = (
        b"event: ping\n\n"
        b"data:\n\n"
        b"data: [DONE]\n\n"
        b"data: not json\n\n"
        b"data: [1, 2]\n\n"
        b'data: {"no_type": 1}\n\n'
        b'data: {"type":"ok"}\n\n'
    )
    assert decode(body) == [{"type": "ok"}]


def test_event_name_fills_a_missing_type() -> None:
    assert decode(b'event: response.created\ndata: {"response": {}}\n\n') == [
        {"type": "response.created", "response": {}}
    ]


def test_data_type_wins_over_event_name() -> None:
    assert decode(b'event: something.else\ndata: {"type": "real"}\n\n') == [{"type": "real"}]


def test_data_without_space_after_colon() -> None:
    assert decode(b'data:{"type":"a"}\n\n') == [{"type": "a"}]


def test_invalid_utf8_is_replaced_not_raised() -> None:
    body = b'data: {"type":"response.output_text.delta","delta":"a\xff\xfeb"}\n\n'
    assert decode(body) == [{"type": "response.output_text.delta", "delta": "a\ufffd\ufffdb"}]


def test_utf8_split_across_chunks() -> None:
    raw = 'data: {"type":"d","delta":"한국어 ✓"}\n\n'.encode()
    for cut in range(len(raw)):
        assert decode(raw[:cut], raw[cut:]) == [{"type": "d", "delta": "한국어 ✓"}]


def test_flush_decodes_a_last_frame_without_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"type":"a"}\n\ndata: {"type":"b"}') == [{"type": "a"}]
    assert decoder.flush() == [{"type": "b"}]
    assert decoder.flush() == []


def test_flush_drops_a_truncated_frame() -> None:
    decoder = SSEDecoder()
    decoder.feed(b'data: {"type":"a", "delta": "cut')
    assert decoder.flush() == []


def test_recorded_platform_stream() -> None:
    body = (FIXTURES / "responses_function_call_o3_platform.sse").read_bytes()
    events = decode(body)
    assert [e["type"] for e in events][:3] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
    ]
    assert events[-1]["type"] == "response.completed"
    assert sum(e["type"] == "response.function_call_arguments.delta" for e in events) == 18
    assert all(isinstance(e, dict) for e in events)


@given(st.lists(st.integers(min_value=0, max_value=400), max_size=8), st.sampled_from(["\n", "\r\n", "\r"]))
def test_arbitrary_chunking_is_equivalent(cuts: list[int], eol: str) -> None:
    body = b"".join(frame(e, eol=eol) for e in EVENTS)
    points = sorted({min(c, len(body)) for c in cuts})
    chunks = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    assert decode(*chunks) == EVENTS


@given(st.lists(st.binary(max_size=64), max_size=12))
def test_arbitrary_bytes_never_raise(chunks: list[bytes]) -> None:
    for event in decode(*chunks):
        assert isinstance(event, dict) and isinstance(event["type"], str) and event["type"]
