"""Events -> :class:`~oauth_codex.types.GenerateResult`: one pure state machine for sync and async.

The output is built from ``response.output_item.done`` events in ``output_index`` order (chatgpt.com may
send ``response.completed`` with an empty ``output``); deltas are the fallback for an item whose ``done``
never came. Usage comes from the terminal response's ``usage`` (missing or ``null`` details count as 0).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._failures import classify_failure
from .errors import StreamError
from .types import FinishReason, GenerateResult, RateLimits, StreamEvent, ToolCall, Usage

__all__ = ["ResponseAccumulator", "make_stream_event", "to_usage"]

_TEXT_DELTA = "response.output_text.delta"
#: output items that are tool calls: function calls and freeform (``custom``) tool calls
_CALL_TYPES = ("function_call", "custom_tool_call")  # a tuple: an item "type" may be anything, e.g. a list


class ResponseAccumulator:
    """Folds the events of one response into a :class:`GenerateResult`.

    >>> acc = ResponseAccumulator()
    >>> for event in llm.generate_stream(prompt="hi", raw_events=True):  # doctest: +SKIP
    ...     acc.add(event)
    >>> acc.result().text  # doctest: +SKIP

    ``add`` takes :class:`StreamEvent` objects or raw event dicts. ``text``/``tool_calls`` show what has
    arrived so far; :meth:`result` raises the mapped :class:`~oauth_codex.errors.StreamError` when the
    stream failed, ended with an ``error`` event, or has not reached ``response.completed`` (pass
    ``allow_incomplete=True`` to get a ``response.incomplete`` result with ``finish_reason`` ``"length"``
    or ``"content_filter"`` instead of an error).
    """

    def __init__(
        self,
        *,
        rate_limits: RateLimits | None = None,
        profile_name: str | None = None,
        account_id: str | None = None,
    ) -> None:
        self.rate_limits = rate_limits
        self.profile_name = profile_name
        self.account_id = account_id
        self.response_id: str | None = None
        self.model: str | None = None
        #: the terminal event (``response.completed``/``failed``/``incomplete``/``error``), once seen
        self.terminal: dict[str, Any] | None = None
        self._response: dict[str, Any] | None = None
        self._done: dict[int, dict[str, Any]] = {}
        self._added: dict[int, dict[str, Any]] = {}
        self._text_deltas: dict[int, list[str]] = {}
        #: output indices of ``phase: "commentary"`` messages (their deltas are not answer text)
        self.commentary_indices: set[Any] = set()
        self._args_deltas: dict[int, list[str]] = {}
        self._args_done: dict[int, str] = {}
        self._summary_deltas: dict[int, list[str]] = {}
        self._last_index: Any = None
        self._last_deltas: list[str] | None = None
        self._order = 0
        self._handlers = {
            _TEXT_DELTA: self._on_text_delta,
            "response.output_item.added": self._on_item_added,
            "response.output_item.done": self._on_item_done,
            "response.function_call_arguments.delta": self._on_args_delta,
            "response.function_call_arguments.done": self._on_args_done,
            "response.reasoning_summary_text.delta": self._on_summary_delta,
            "response.created": self._on_response,
            "response.in_progress": self._on_response,
            "response.completed": self._on_terminal,
            "response.failed": self._on_terminal,
            "response.incomplete": self._on_terminal,
            "error": self._on_terminal,
        }

    # ------------------------------------------------------------------------------ feeding
    def add(self, event: StreamEvent | Mapping[str, Any]) -> None:
        """Fold one event (a :class:`StreamEvent` or the raw event dict) into the state."""
        raw = event.raw if isinstance(event, StreamEvent) else event
        if not raw and isinstance(event, StreamEvent):
            raw = {"type": event.type, "delta": event.delta, "item": event.item, "response": event.response}
        handler = self._handlers.get(raw.get("type", ""))
        if handler is not None:
            handler(raw)

    @property
    def done(self) -> bool:
        """Whether a terminal event arrived."""
        return self.terminal is not None

    def _index(self, event: Mapping[str, Any]) -> int:
        index = event.get("output_index")
        if isinstance(index, int):
            return index
        item_id = event.get("item_id")
        if item_id is not None:
            for idx, item in self._added.items():
                if item.get("id") == item_id:
                    return idx
        return -1

    def _on_text_delta(self, event: Mapping[str, Any]) -> None:
        delta = event.get("delta")
        if type(delta) is str:
            self.text_delta(event.get("output_index"), delta)

    def is_commentary(self, output_index: Any) -> bool:
        """Whether text at ``output_index`` belongs to a ``phase: "commentary"`` message."""
        indices = self.commentary_indices
        return bool(indices) and (output_index is None or type(output_index) is int) and output_index in indices

    def text_delta(self, output_index: Any, delta: str) -> None:
        """Record an ``output_text`` delta (the hot path of a text stream)."""
        if output_index == self._last_index and self._last_deltas is not None:
            self._last_deltas.append(delta)
            return
        index = output_index if type(output_index) is int else -1
        deltas = self._text_deltas.get(index)
        if deltas is None:
            deltas = self._text_deltas[index] = []
        deltas.append(delta)
        self._last_index = output_index
        self._last_deltas = deltas

    def _on_item_added(self, event: Mapping[str, Any]) -> None:
        item = event.get("item")
        if isinstance(item, dict):
            index = event.get("output_index")
            if item.get("phase") == "commentary" and (index is None or type(index) is int):
                self.commentary_indices.add(index)
            self._added[
                self._index(event) if isinstance(event.get("output_index"), int) else self._next()
            ] = item

    def _on_item_done(self, event: Mapping[str, Any]) -> None:
        item = event.get("item")
        if isinstance(item, dict):
            index = event.get("output_index")
            if not isinstance(index, int):
                index = next(
                    (i for i, it in self._added.items() if it.get("id") == item.get("id")), self._next()
                )
            self._done[index] = item

    def _next(self) -> int:
        self._order += 1
        return 1_000_000 + self._order

    def _on_args_delta(self, event: Mapping[str, Any]) -> None:
        delta = event.get("delta")
        if isinstance(delta, str):
            self._args_deltas.setdefault(self._index(event), []).append(delta)

    def _on_args_done(self, event: Mapping[str, Any]) -> None:
        arguments = event.get("arguments")
        if isinstance(arguments, str):
            self._args_done[self._index(event)] = arguments

    def _on_summary_delta(self, event: Mapping[str, Any]) -> None:
        delta = event.get("delta")
        if isinstance(delta, str):
            self._summary_deltas.setdefault(self._index(event), []).append(delta)

    def _on_response(self, event: Mapping[str, Any]) -> None:
        response = event.get("response")
        if isinstance(response, dict):
            self._remember(response)

    def _on_terminal(self, event: Mapping[str, Any]) -> None:
        self.terminal = dict(event)
        response = event.get("response")
        if isinstance(response, dict):
            self._remember(response)
            self._response = response

    def _remember(self, response: Mapping[str, Any]) -> None:
        if isinstance(response.get("id"), str):
            self.response_id = response["id"]
        if isinstance(response.get("model"), str):
            self.model = response["model"]

    # ------------------------------------------------------------------------------ views
    def output_items(self) -> list[dict[str, Any]]:
        """The response's output items in ``output_index`` order, as the server sent them (ids included)."""
        indices = sorted(set(self._done) | set(self._added) | set(self._text_deltas) - {-1})
        items: list[dict[str, Any]] = []
        for index in indices:
            item = self._done.get(index)
            if item is None:
                item = self._rebuild(index)
            if item is not None:
                items.append(item)
        if not items and self._response is not None:
            server = self._response.get("output")
            if isinstance(server, list):
                items = [i for i in server if isinstance(i, dict)]
        if -1 in self._text_deltas and not any(i.get("type") == "message" for i in items):
            items.append(_message("".join(self._text_deltas[-1])))
        return items

    def _rebuild(self, index: int) -> dict[str, Any] | None:
        """An item whose ``done`` never arrived, from its ``added`` event and deltas."""
        added = self._added.get(index)
        kind = added.get("type") if added else ("message" if index in self._text_deltas else None)
        if kind == "message":
            item = dict(added or {"type": "message", "role": "assistant"})
            item["content"] = [{"type": "output_text", "text": "".join(self._text_deltas.get(index, []))}]
            item["status"] = "incomplete"
            return item
        if kind == "function_call" and added is not None:
            item = dict(added)
            if index in self._args_done:
                item["arguments"] = self._args_done[index]
            else:
                item["arguments"] = "".join(self._args_deltas.get(index, []))
                item["status"] = "incomplete"
            return item
        if kind == "custom_tool_call" and added is not None:
            return {**added, "status": "incomplete"}  # its input never finished: not a call to run
        if kind == "reasoning" and added is not None:
            item = dict(added)
            summary = "".join(self._summary_deltas.get(index, []))
            if summary:
                item["summary"] = [{"type": "summary_text", "text": summary}]
            return item
        return dict(added) if added is not None else None

    @property
    def text(self) -> str:
        """The assistant text so far (finished items, then deltas of unfinished ones)."""
        return _text_of(self.output_items())

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The function calls so far (only those whose arguments are complete)."""
        calls: list[ToolCall] = []
        for item in self.output_items():
            if item.get("type") in _CALL_TYPES and item.get("status") != "incomplete":
                calls.append(_tool_call(item))
        return calls

    @property
    def usage(self) -> Usage | None:
        """Token usage from the terminal response (``None`` until then, or when the backend sent none)."""
        return to_usage(self._response.get("usage")) if self._response is not None else None

    def final_response(self) -> dict[str, Any]:
        """The terminal response object with ``output`` set to the collected items."""
        response = dict(self._response or {})
        response["output"] = self.output_items()
        if self.response_id and "id" not in response:
            response["id"] = self.response_id
        return response

    # ------------------------------------------------------------------------------ result
    def result(self, *, allow_incomplete: bool = False) -> GenerateResult:
        """The final :class:`GenerateResult`.

        Raises :class:`~oauth_codex.errors.StreamError` (or :class:`ContextWindowExceededError`) for
        ``response.failed``/``error`` events and for a stream without a terminal event; for
        ``response.incomplete`` too unless ``allow_incomplete=True`` (then ``finish_reason`` is ``"length"``
        or ``"content_filter"``). The error's ``partial_text`` and ``partial_result`` hold what arrived.
        """
        terminal = self.terminal
        kind = terminal.get("type") if terminal else None
        if kind == "response.completed":
            return self._build(None)
        if kind == "response.incomplete":
            reason = _incomplete_reason(self._response)
            finish: FinishReason = "content_filter" if reason == "content_filter" else "length"
            partial = self._build(finish)
            if allow_incomplete:
                return partial
            raise StreamError(
                f"The response is incomplete ({reason or 'unknown reason'}); the text was cut short. "
                "Ask for a shorter answer or continue the conversation.",
                code=reason or "incomplete",
                partial_text=partial.text,
                response_id=self.response_id,
                partial_result=partial,
            )
        partial = self._build(None)
        if terminal is not None:
            error = classify_failure(terminal, partial_text=partial.text)
            error.partial_result = partial
            raise error
        raise StreamError(
            "The stream ended before response.completed; the answer may be truncated. Try again.",
            code="stream_incomplete",
            partial_text=partial.text,
            response_id=self.response_id,
            partial_result=partial,
        )

    def _build(self, finish: FinishReason | None) -> GenerateResult:
        items = self.output_items()
        calls = [
            _tool_call(i)
            for i in items
            if i.get("type") in _CALL_TYPES and i.get("status") != "incomplete"
        ]
        if finish is None:
            finish = "tool_calls" if calls else "stop"
        response = dict(self._response or {})
        response["output"] = items
        summary = _summary_of(items)
        return GenerateResult.model_construct(
            text=_text_of(items),
            commentary=_text_of(items, commentary=True),
            tool_calls=calls,
            finish_reason=finish,
            usage=to_usage(response.get("usage")),
            response_id=self.response_id,
            model=self.model,
            reasoning_summary=summary,
            raw_response=response,
            output_items=replay_items(items),
            rate_limits=self.rate_limits,
            profile_name=self.profile_name,
            account_id=self.account_id,
        )


_new_event = StreamEvent.__new__
_setattr = object.__setattr__


def make_stream_event(event: dict[str, Any]) -> StreamEvent:
    """A :class:`StreamEvent` for a raw event dict (no validation: the hot path builds one per event).

    Equal to ``StreamEvent.model_construct(type=..., delta=..., item=..., response=..., raw=event)``, which
    is what it does minus the generic field loop: about a third of the cost per event
    (``tests/unit/test_accumulate.py`` checks the two stay identical).
    """
    delta = event.get("delta")
    item = event.get("item")
    response = event.get("response")
    obj = _new_event(StreamEvent)
    _setattr(
        obj,
        "__dict__",
        {
            "type": event.get("type", ""),
            "delta": delta if isinstance(delta, str) else None,
            "item": item if isinstance(item, dict) else None,
            "response": response if isinstance(response, dict) else None,
            "raw": event,
        },
    )
    _setattr(obj, "__pydantic_fields_set__", {"type", "delta", "item", "response", "raw"})
    _setattr(obj, "__pydantic_extra__", None)
    _setattr(obj, "__pydantic_private__", None)
    return obj


def replay_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Output items as sent back next turn: no server ids; reasoning only with encrypted content."""
    replay: list[dict[str, Any]] = []
    for item in items:
        kind = item.get("type")
        if kind == "reasoning" and not item.get("encrypted_content"):
            continue
        if item.get("status") == "incomplete" and kind in _CALL_TYPES:
            continue
        replay.append({k: v for k, v in item.items() if k != "id"})
    return replay


def to_usage(usage: Any) -> Usage | None:
    """:class:`Usage` from a response's ``usage`` object (``None`` when absent; null details count as 0)."""
    if not isinstance(usage, Mapping):
        return None
    input_details = usage.get("input_tokens_details")
    output_details = usage.get("output_tokens_details")
    input_tokens = _int(usage.get("input_tokens"))
    output_tokens = _int(usage.get("output_tokens"))
    total = usage.get("total_tokens")
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=_int(total) if total is not None else input_tokens + output_tokens,
        cached_tokens=_int(input_details.get("cached_tokens")) if isinstance(input_details, Mapping) else 0,
        reasoning_tokens=_int(output_details.get("reasoning_tokens"))
        if isinstance(output_details, Mapping)
        else 0,
    )


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _message(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text}]}


def _text_of(items: list[dict[str, Any]], *, commentary: bool = False) -> str:
    """The assistant's answer text, or with ``commentary=True`` the text of ``phase: "commentary"`` messages
    (progress notes newer models send before the ``final_answer``; audit §3 / issue 14 item 4)."""
    parts: list[str] = []
    for item in items:
        if (item.get("phase") == "commentary") is not commentary:
            continue
        if item.get("type") == "message" and item.get("role", "assistant") == "assistant":
            content = item.get("content")
            if isinstance(content, list):
                for part in content:
                    if isinstance(part, Mapping) and part.get("type") == "output_text":
                        text = part.get("text")
                        if isinstance(text, str):
                            parts.append(text)
    return "".join(parts)


def _summary_of(items: list[dict[str, Any]]) -> str | None:
    texts: list[str] = []
    for item in items:
        if item.get("type") == "reasoning":
            for part in item.get("summary") or []:
                if isinstance(part, Mapping) and isinstance(part.get("text"), str) and part["text"]:
                    texts.append(part["text"])
    return "\n\n".join(texts) or None


def _tool_call(item: Mapping[str, Any]) -> ToolCall:
    namespace = item.get("namespace") if isinstance(item.get("namespace"), str) else None
    if item.get("type") == "custom_tool_call":
        raw_input = item.get("input")
        return ToolCall(
            id=str(item.get("call_id") or item.get("id") or ""),
            name=str(item.get("name") or ""),
            type="custom",
            input=raw_input if isinstance(raw_input, str) else "",
            namespace=namespace,
        )
    arguments_json = item.get("arguments")
    if not isinstance(arguments_json, str):
        arguments_json = json.dumps(arguments_json) if arguments_json is not None else ""
    try:
        decoded = json.loads(arguments_json) if arguments_json else {}
    except ValueError:
        decoded = None
    return ToolCall(
        id=str(item.get("call_id") or item.get("id") or ""),
        name=str(item.get("name") or ""),
        arguments=decoded if isinstance(decoded, dict) else None,
        arguments_json=arguments_json,
        namespace=namespace,
    )


def _incomplete_reason(response: Mapping[str, Any] | None) -> str | None:
    if not response:
        return None
    details = response.get("incomplete_details")
    if isinstance(details, Mapping) and isinstance(details.get("reason"), str):
        return str(details["reason"])
    return None
