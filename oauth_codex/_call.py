"""The state of one call across its attempts, shared by the sync and async loops (pure: no I/O).

The loops in :mod:`oauth_codex.client` only send requests, sleep and feed bytes; every decision
(what to yield, whether to refresh, retry or raise) is made here.

"Before any output" (when a failed attempt may be re-sent) means: nothing content-bearing has reached the
caller. A text stream has yielded no text delta; a ``raw_events=True`` stream has yielded no event at all,
because :data:`HELD_EVENTS` are held back until the first content-bearing event arrives: bookkeeping
(``response.created``, ``response.in_progress``, ``response.queued``, ``codex.rate_limits``), empty
skeletons (``response.output_item.added``, ``response.content_part.added``,
``response.reasoning_summary_part.added``: no text or arguments yet) and a ``response.failed`` / ``error``
event. Content-bearing is everything else: a delta, an ``output_item.done``, ``response.completed`` /
``incomplete``, or an event type not listed. A retried attempt's held events are dropped, so the caller
sees one clean response; a failure that is not retried raises without its held events. (``generate()``
shows the caller nothing until the end, so it re-sends any attempt that failed before completing.)
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator, Mapping
from enum import Enum
from typing import Any

import httpx

from ._accumulate import ResponseAccumulator, make_stream_event
from ._failures import backoff_delay, classify, parse_retry_after, should_retry
from ._sse import SSEDecoder
from .errors import (
    APIConnectionError,
    APITimeoutError,
    CodexError,
    StreamError,
)
from .types import RateLimits, StreamEvent

__all__ = ["HELD_EVENTS", "Action", "CallState", "Mode"]

_TEXT_DELTA = "response.output_text.delta"
_COMPLETED = "response.completed"
#: event types a ``raw_events=True`` stream holds back until the first content-bearing event: bookkeeping,
#: empty skeletons, and a failure (either re-sent, its events dropped, or raised)
HELD_EVENTS = frozenset(
    {
        "response.created",
        "response.in_progress",
        "response.queued",
        "codex.rate_limits",
        "response.output_item.added",
        "response.content_part.added",
        "response.reasoning_summary_part.added",
        "response.failed",
        "error",
    }
)
_NOTHING: tuple[()] = ()


class Mode(Enum):
    """What a call yields: nothing (``generate``), text deltas, or every event."""

    COLLECT = "collect"
    TEXT = "text"
    RAW = "raw"


class Action(Enum):
    RETRY = "retry"
    REFRESH = "refresh"


class CallState:
    """One call: the encoded body, the retry/refresh budget, and the current attempt's accumulator."""

    __slots__ = (
        "acc",
        "attempt",
        "backoff",
        "body",
        "cause",
        "classify",
        "decoder",
        "held",
        "last_event",
        "map_failure",
        "max_retries",
        "mode",
        "pending",
        "refreshed",
        "session_id",
        "stripped",
        "yielded",
    )

    def __init__(
        self,
        body: bytes,
        mode: Mode,
        *,
        session_id: str,
        max_retries: int,
        backoff: float,
        classify: Callable[[int, bytes, Mapping[str, str]], CodexError] = classify,
        map_failure: Callable[[CodexError], CodexError] | None = None,
    ) -> None:
        self.body = body
        # the route's error mapping (the SIWC route has its own; the Codex route's is the default)
        self.classify = classify
        self.map_failure = map_failure
        self.session_id = session_id
        self.mode = mode
        self.max_retries = max_retries
        self.backoff = backoff
        self.attempt = 0
        #: what the last decision was about (status and code, exception class, failure event), never a secret
        self.cause = ""
        self.refreshed = False
        self.stripped = False
        self.yielded = False
        self.held: list[StreamEvent] = []
        #: the last event decoded from the latest chunk: outputs up to it need no more network reads, so a
        #: consumer may batch what it hands on until then (``oauth_codex.openai`` does)
        self.last_event: dict[str, Any] | None = None
        self.acc = ResponseAccumulator()
        self.decoder = SSEDecoder()
        #: the body dict and whether its model was defaulted, while the model catalog may still change them
        #: (default model, effort clamping; resolved by the client once the account is known)
        self.pending: tuple[dict[str, Any], bool] | None = None

    # ------------------------------------------------------------------------------ attempts
    def start(
        self, rate_limits: RateLimits | None, *, profile_name: str | None = None, account_id: str | None = None
    ) -> None:
        """A 200 response arrived: start a fresh accumulator and decoder for it (``profile_name`` and
        ``account_id``: which login sent it, for the result)."""
        self.acc = ResponseAccumulator(rate_limits=rate_limits, profile_name=profile_name, account_id=account_id)
        self.decoder = SSEDecoder()
        self.held = []

    def step(self, event: dict[str, Any]) -> tuple[str | StreamEvent, ...]:
        """Fold one event in and return what to yield to the caller, in order (often nothing).

        In raw mode, bookkeeping events before the first content-bearing one are held back and released
        together with it (see the module docstring).
        """
        acc = self.acc
        kind = event["type"]
        if kind == _TEXT_DELTA:
            delta = event.get("delta")
            if type(delta) is str:
                index = event.get("output_index")
                acc.text_delta(index, delta)
                # commentary (phase) is not answer text: text streams carry only the answer (issue 14 item 4)
                if delta and self.mode is Mode.TEXT and not acc.is_commentary(index):
                    self.yielded = True
                    return (delta,)
        else:
            acc.add(event)
        if self.mode is Mode.RAW:
            if kind == _COMPLETED:
                event = {**event, "response": acc.final_response()}
            out = make_stream_event(event)
            if self.yielded:
                return (out,)
            if kind in HELD_EVENTS:
                self.held.append(out)
                return _NOTHING
            self.yielded = True
            held, self.held = self.held, []
            return (*held, out)
        return _NOTHING

    def feed(self, chunk: bytes) -> Iterator[str | StreamEvent]:
        """Decode one chunk of the response body and yield what to hand to the caller for its events.

        Lazy: each event is folded in when the caller asks for the next output, so a caller that stops early
        leaves the rest of the stream unread (the loop then closes the connection instead of reusing it).
        """
        events = self.decoder.feed(chunk)
        self.last_event = events[-1] if events else None
        return self._steps(events)

    def flush(self) -> Iterator[str | StreamEvent]:
        """The body ended: decode what the last chunk left over and yield what to hand to the caller."""
        return self._steps(self.decoder.flush())

    def _steps(self, events: list[dict[str, Any]]) -> Iterator[str | StreamEvent]:
        for event in events:
            yield from self.step(event)

    @property
    def finished(self) -> bool:
        return self.acc.terminal is not None

    # ------------------------------------------------------------------------------ decisions
    def on_status(
        self, status: int, content: bytes, headers: Mapping[str, str]
    ) -> tuple[Action, float] | CodexError:
        """An HTTP error answer: refresh (401, once), retry (5xx, with budget) or the error to raise."""
        error = self.classify(status, content, headers)
        code = getattr(error, "code", None)
        self.cause = f"HTTP {status} {code}" if code else f"HTTP {status}"
        if status == 401:
            if self.refreshed:
                return error
            self.refreshed = True
            return Action.REFRESH, 0.0
        if getattr(error, "code", None) == "invalid_encrypted_content" and not self.stripped:
            self.stripped = True  # once per call
            body = _without_encrypted_reasoning(self.body)
            if body is not None:
                self.body = body
                warnings.warn(
                    "The backend could not decrypt replayed reasoning (invalid_encrypted_content; it may come "
                    "from another account or provider): sending the request once more without the encrypted "
                    "reasoning items.",
                    UserWarning,
                    stacklevel=4,
                )
                return Action.RETRY, 0.0
        retry_after = parse_retry_after(headers)
        if should_retry(error, status=status, retry_after=retry_after) and self._can_retry():
            return Action.RETRY, self._delay(retry_after)
        return error

    def on_transport_error(self, exc: httpx.HTTPError) -> tuple[Action, float] | CodexError:
        """A connection error, timeout or dropped stream (a URL httpx cannot use is never retried)."""
        self.cause = type(exc).__name__
        if isinstance(exc, httpx.UnsupportedProtocol):
            return APIConnectionError(
                f"The Codex backend URL cannot be used ({exc}). Check base_url / CODEX_OAUTH_BASE_URL "
                "(an https:// URL)."
            )
        if not self.yielded and self._can_retry():
            return Action.RETRY, self._delay(None)
        started = self.acc.response_id is not None or bool(self.acc.output_items())
        timeout = isinstance(exc, httpx.TimeoutException)
        if started or self.yielded:
            partial = self.acc.text
            what = "stalled (read timeout)" if timeout else "was cut off"
            return StreamError(
                f"The response stream {what} before response.completed ({type(exc).__name__}); "
                f"{len(partial)} characters arrived. Try again.",
                code="stream_timeout" if timeout else "stream_disconnected",
                partial_text=partial,
                response_id=self.acc.response_id,
            )
        if timeout:
            return APITimeoutError(
                f"The Codex backend did not answer in time ({type(exc).__name__}) after "
                f"{self.attempt + 1} attempt(s). Check your network or raise `timeout`."
            )
        return APIConnectionError(
            f"Could not reach the Codex backend ({type(exc).__name__}: {exc}) after {self.attempt + 1} "
            "attempt(s). Check your network connection and base_url."
        )

    def on_end(self) -> tuple[Action, float] | CodexError | None:
        """The stream ended (terminal event or EOF): ``None`` when it completed, else retry or raise."""
        terminal = self.acc.terminal
        kind = terminal.get("type") if terminal else None
        if kind in (_COMPLETED, "response.incomplete"):
            return None
        try:
            self.acc.result()
        except StreamError as failure:
            error: CodexError = failure if self.map_failure is None else self.map_failure(failure)
            retry_after = failure.retry_after
            self.cause = (kind or "end of stream") + (f" {failure.code}" if failure.code else "")
            if not self.yielded and should_retry(error) and self._can_retry():
                return Action.RETRY, self._delay(retry_after)
            return error
        return None  # pragma: no cover - result() always raises without a completed terminal

    def _can_retry(self) -> bool:
        return self.attempt < self.max_retries

    def _delay(self, retry_after: float | None) -> float:
        self.attempt += 1
        return backoff_delay(self.attempt, base=self.backoff, retry_after=retry_after)


def _without_encrypted_reasoning(body: bytes) -> bytes | None:
    """``body`` without its replayed ``reasoning`` items that carry ``encrypted_content`` (``None``: none)."""
    data = json.loads(body)
    items = data.get("input") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return None
    kept = [i for i in items if not (isinstance(i, dict) and i.get("type") == "reasoning" and "encrypted_content" in i)]
    if len(kept) == len(items):
        return None
    data["input"] = kept
    return json.dumps(data, ensure_ascii=False).encode("utf-8")
