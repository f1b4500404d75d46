"""CallState: the retry / refresh / raise decisions shared by the sync and async loops (pure)."""

from __future__ import annotations

import httpx

from oauth_codex import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ServerError,
    StreamError,
    StreamEvent,
)
from oauth_codex._call import Action, CallState, Mode


def state(mode: Mode = Mode.COLLECT, max_retries: int = 2) -> CallState:
    return CallState(b"{}", mode, session_id="s", max_retries=max_retries, backoff=0.2)


def test_401_refreshes_once_then_raises() -> None:
    call = state()
    assert call.on_status(401, b'{"detail":"Unauthorized"}', {}) == (Action.REFRESH, 0.0)
    assert isinstance(call.on_status(401, b'{"detail":"Unauthorized"}', {}), AuthenticationError)


def test_5xx_uses_the_retry_budget_then_raises() -> None:
    call = state(max_retries=2)
    first = call.on_status(500, b"", {})
    second = call.on_status(502, b"", {"retry-after": "0.5"})
    assert isinstance(first, tuple) and first[0] is Action.RETRY and 0.18 <= first[1] <= 0.22
    assert second == (Action.RETRY, 0.5)
    third = call.on_status(503, b"", {})
    assert not isinstance(third, tuple) and third.status_code == 503  # type: ignore[union-attr]


def test_5xx_asking_for_a_long_wait_is_raised_at_once() -> None:
    """Retry-After beyond MAX_AUTO_RETRY_DELAY: the client does not sleep minutes on its own."""
    error = state().on_status(503, b'{"error":{"code":"server_is_overloaded"}}', {"retry-after": "120"})
    assert isinstance(error, ServerError) and error.status_code == 503
    assert state().on_status(503, b"", {"retry-after": "59"}) == (Action.RETRY, 59.0)


def test_4xx_is_raised_at_once() -> None:
    assert isinstance(state().on_status(400, b'{"detail":"Store must be set to false"}', {}), BadRequestError)


def test_transport_errors_retry_until_output_reached_the_caller() -> None:
    call = state(Mode.TEXT, max_retries=5)
    assert isinstance(call.on_transport_error(httpx.ConnectError("refused")), tuple)
    call.start(None)
    call.step({"type": "response.created", "response": {"id": "resp_1"}})
    assert call.step({"type": "response.output_text.delta", "output_index": 0, "delta": "Hi"}) == ("Hi",)
    error = call.on_transport_error(httpx.RemoteProtocolError("peer closed"))
    assert (
        isinstance(error, StreamError) and error.partial_text == "Hi" and error.code == "stream_disconnected"
    )


def test_transport_errors_when_the_budget_is_spent() -> None:
    call = state(max_retries=0)
    assert isinstance(call.on_transport_error(httpx.ConnectError("refused")), APIConnectionError)
    assert isinstance(call.on_transport_error(httpx.ConnectTimeout("slow")), APITimeoutError)


def test_on_end() -> None:
    call = state()
    call.start(None)
    call.step({"type": "response.completed", "response": {"id": "r", "output": []}})
    assert call.finished and call.on_end() is None
    eof = state(max_retries=1)
    eof.start(None)
    assert isinstance(eof.on_end(), tuple)  # EOF before completed: re-sent while nothing was yielded
    assert isinstance(eof.on_end(), StreamError)  # then an error, never a silent truncation


def test_raw_mode_yields_every_event_and_enriches_completed() -> None:
    call = state(Mode.RAW)
    call.start(None)
    item = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "x"}],
    }
    (unknown,) = call.step({"type": "unknown.event"})
    assert isinstance(unknown, StreamEvent) and unknown.type == "unknown.event"
    call.step({"type": "response.output_item.done", "output_index": 0, "item": item})
    (done,) = call.step({"type": "response.completed", "response": {"id": "r", "output": []}})
    assert isinstance(done, StreamEvent) and done.response is not None
    assert done.response["output"] == [item]


def test_raw_mode_holds_bookkeeping_events_until_content() -> None:
    """response.created / in_progress wait for the first content-bearing event, then come out in order."""
    call = state(Mode.RAW)
    call.start(None)
    assert call.step({"type": "response.created", "response": {"id": "r"}}) == ()
    assert call.step({"type": "response.in_progress", "response": {"id": "r"}}) == ()
    assert not call.yielded
    added = {"type": "response.output_item.added", "output_index": 0, "item": {"type": "message"}}
    assert call.step(added) == ()  # an empty skeleton: no text yet
    out = call.step({"type": "response.output_text.delta", "output_index": 0, "delta": "Hi"})
    assert [e.type for e in out if isinstance(e, StreamEvent)] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.output_text.delta",
    ]
    assert call.yielded and call.held == []
    (late,) = call.step({"type": "response.in_progress", "response": {"id": "r"}})
    assert isinstance(late, StreamEvent)  # after content, nothing is held


def test_raw_mode_failure_before_content_is_retried_and_its_events_dropped() -> None:
    call = state(Mode.RAW, max_retries=1)
    call.start(None)
    call.step({"type": "response.created", "response": {"id": "r1"}})
    failed = {"type": "response.failed", "response": {"id": "r1", "error": {"code": "server_error"}}}
    assert call.step(failed) == ()
    assert isinstance(call.on_end(), tuple)  # nothing reached the caller: re-sent
    call.start(None)
    assert call.held == []  # the first attempt's bookkeeping never reaches the caller


def _frame(event: str) -> bytes:
    return f"event: x\ndata: {event}\n\n".encode()


DELTA = '{"type":"response.output_text.delta","output_index":0,"delta":"%s"}'
COMPLETED = '{"type":"response.completed","response":{"id":"resp_1","output":[]}}'


def test_feed_decodes_chunks_and_returns_what_to_yield_per_mode() -> None:
    body = _frame(DELTA % "Hel") + _frame(DELTA % "lo") + _frame(COMPLETED)
    for mode, expected in [(Mode.COLLECT, 0), (Mode.TEXT, 2), (Mode.RAW, 3)]:
        call = state(mode)
        call.start(None)
        outs = [out for i in range(0, len(body), 7) for out in call.feed(body[i : i + 7])]
        assert len(outs) == expected and call.finished and list(call.flush()) == []
        assert call.acc.text == "Hello" and call.yielded is (expected > 0)
    call = state(Mode.TEXT)
    call.start(None)
    assert list(call.feed(_frame(DELTA % "a")[:-1])) == []  # the frame is not complete yet
    assert list(call.flush()) == ["a"]  # the body ended: the decoder's leftover is decoded


def test_feed_folds_an_event_in_only_when_the_caller_asks_for_the_next_output() -> None:
    call = state(Mode.TEXT)
    call.start(None)
    outs = call.feed(_frame(DELTA % "a") + _frame(DELTA % "b") + _frame(COMPLETED))
    assert next(outs) == "a" and call.acc.text == "a" and not call.finished
    assert list(outs) == ["b"] and call.finished


def test_an_unusable_url_is_not_retried() -> None:
    """httpx.UnsupportedProtocol cannot get better by retrying (issue 15, item 9)."""
    call = state(Mode.TEXT, max_retries=5)
    error = call.on_transport_error(httpx.UnsupportedProtocol("Request URL has an unsupported protocol 'ftp://'."))
    assert isinstance(error, APIConnectionError) and "base_url" in str(error)
    assert call.attempt == 0


def test_last_event_marks_where_a_chunks_events_end() -> None:
    call = state(Mode.RAW)
    call.start(None)
    delta = b'data: {"type":"response.output_text.delta","output_index":0,"delta":"%s"}\n\n'
    outs = list(call.feed(b'data: {"type":"response.output_item.added","output_index":0,"item":{}}\n\n'
                          + delta % b"a" + (delta % b"b")[:20]))
    assert call.last_event is not None and call.last_event["delta"] == "a"
    assert [isinstance(o, StreamEvent) and o.raw is call.last_event for o in outs] == [False, True]
    assert list(call.feed(b"")) == [] and call.last_event is None


def test_invalid_encrypted_content_strips_reasoning_and_retries_once() -> None:
    import json
    import warnings

    body = {"input": [{"type": "reasoning", "summary": [], "encrypted_content": "x"}, {"role": "user"}]}
    call = CallState(json.dumps(body).encode(), Mode.COLLECT, session_id="s", max_retries=0, backoff=0.2)
    answer = json.dumps(
        {"error": {"message": "could not be decrypted", "param": "input", "code": "invalid_encrypted_content"}}
    ).encode()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert call.on_status(400, answer, {}) == (Action.RETRY, 0.0)  # outside the retry budget (0)
    assert "invalid_encrypted_content" in str(caught[0].message)
    assert json.loads(call.body)["input"] == [{"role": "user"}]
    assert isinstance(call.on_status(400, answer, {}), BadRequestError)  # once per call


def test_commentary_deltas_stay_out_of_text_streams_whatever_the_index() -> None:
    # issue 14 item 4: phase "commentary" text is not answer text; odd output_index values never crash
    call = CallState(b"{}", Mode.TEXT, session_id="s", max_retries=0, backoff=0.0)
    call.start(None)
    added = {"type": "message", "role": "assistant", "phase": "commentary", "content": []}
    assert call.step({"type": "response.output_item.added", "output_index": 0, "item": added}) == ()
    assert call.step({"type": "response.output_text.delta", "output_index": 0, "delta": "thinking"}) == ()
    assert call.step({"type": "response.output_text.delta", "output_index": 1, "delta": "answer"}) == ("answer",)
    odd = {"type": "response.output_item.added", "output_index": [2], "item": added}
    assert call.step(odd) == ()
    assert call.step({"type": "response.output_text.delta", "output_index": [2], "delta": "x"}) == ("x",)
    assert call.step({"type": "response.output_text.delta", "output_index": {"a": 1}, "delta": "y"}) == ("y",)
