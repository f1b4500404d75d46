"""Chat Completions on the Codex backend: requests translated to Responses and answers back (pure, no I/O).

* :func:`chat_plan`: the JSON body of ``chat.completions.create`` / ``parse`` -> a Responses :class:`Plan`
  (``messages``, ``tools``, ``tool_choice``, ``response_format``, ``reasoning_effort``, ``verbosity``); what has no
  Responses meaning raises ``ValueError`` saying so.
* :func:`chat_completion`: a result as a ``chat.completion`` object; :class:`ChatChunks`: the event stream as
  ``chat.completion.chunk`` objects (tool-call deltas, finish reason, the optional usage chunk).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from .._accumulate import to_usage
from .._request import DEFAULT_INCLUDE, RequestOptions
from ..types import GenerateResult, Usage
from ._convert import Plan, drop_rejected, parse_object, require_model

__all__ = ["ChatChunks", "chat_completion", "chat_plan"]

_CHAT_PASSTHROUGH = frozenset({"user", "safety_identifier", "service_tier", "prompt_cache_retention"})
_CHAT_MAPPED = frozenset(
    {
        "model",
        "messages",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
        "reasoning_effort",
        "verbosity",
        "stream",
        "stream_options",
        "store",
        "prompt_cache_key",
        "n",
        "modalities",
    }
)
_CHAT_UNMAPPABLE = {
    "stop": "stop sequences are not supported by the Responses API; trim the text yourself",
    "logprobs": "log probabilities are not available on the Codex backend",
    "top_logprobs": "log probabilities are not available on the Codex backend",
    "audio": "audio output is not available on the Codex backend",
    "prediction": "predicted outputs are not available on the Codex backend",
    "functions": "the legacy `functions` parameter is not supported; pass tools=[{'type': 'function', ...}]",
    "function_call": "the legacy `function_call` parameter is not supported; use tool_choice",
    "web_search_options": "web search options have no Chat Completions mapping here; use responses.create "
    "with tools=[{'type': 'web_search'}]",
}


def chat_plan(raw: bytes | str) -> Plan:
    """The body of ``chat.completions.create`` / ``.parse`` -> :class:`Plan` (a Responses request)."""
    body = parse_object(raw)
    dropped: list[str] = []
    extra: dict[str, Any] = {}
    for name, value in body.items():
        if name in _CHAT_UNMAPPABLE and value not in (None, False, [], ""):
            raise ValueError(f"chat.completions {name}=: {_CHAT_UNMAPPABLE[name]}.")
        if name == "n" and value not in (None, 1):
            raise ValueError("chat.completions n= must be 1: the Codex backend answers with one choice.")
        if name == "modalities" and isinstance(value, list) and any(m != "text" for m in value):
            raise ValueError("chat.completions modalities=: the Codex backend only answers with text.")
        if drop_rejected(body, name, dropped) or name in _CHAT_MAPPED or name in _CHAT_UNMAPPABLE:
            continue
        if name not in _CHAT_PASSTHROUGH:
            raise ValueError(f"chat.completions parameter {name!r} has no equivalent on the Codex backend; remove it.")
        extra[name] = value
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ValueError("messages is required: pass a non-empty list of {'role': ..., 'content': ...} dicts")
    reasoning = None
    if body.get("reasoning_effort") is not None:
        reasoning = {"effort": body["reasoning_effort"]}
    text = {"verbosity": body["verbosity"]} if body.get("verbosity") is not None else None
    stream_options = body.get("stream_options")
    model = require_model(body)
    options = RequestOptions(
        model=model,
        messages=messages,
        tools=body.get("tools"),
        tool_choice=body.get("tool_choice"),
        parallel_tool_calls=body.get("parallel_tool_calls"),
        response_format=body.get("response_format"),
        reasoning=reasoning,
        text=text,
        include=list(DEFAULT_INCLUDE),
        prompt_cache_key=body.get("prompt_cache_key"),
    )
    return Plan(
        "chat",
        model,
        options,
        stream=body.get("stream") is True,
        extra=extra,
        dropped=dropped,
        echo={"model": model},
        include_usage=isinstance(stream_options, Mapping) and stream_options.get("include_usage") is True,
    )


# ------------------------------------------------------------------------------------------------ answers


def _chat_usage(usage: Usage | None) -> dict[str, Any] | None:
    if usage is None:
        return None
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


def _chat_id(response_id: str | None) -> str:
    return f"chatcmpl-{response_id or int(time.time() * 1000)}"


def chat_completion(result: GenerateResult, *, model: str, created: int | None = None) -> dict[str, Any]:
    """A ``chat.completion`` object for a Codex result (one choice)."""
    message: dict[str, Any] = {"role": "assistant", "content": result.text or None, "refusal": None}
    if result.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments_json}}
            for c in result.tool_calls
        ]
    return {
        "id": _chat_id(result.response_id),
        "object": "chat.completion",
        "created": created if created is not None else int(time.time()),
        "model": result.model or model,
        "choices": [{"index": 0, "message": message, "finish_reason": result.finish_reason, "logprobs": None}],
        "usage": _chat_usage(result.usage),
    }


class ChatChunks:
    """Responses events -> ``chat.completion.chunk`` objects (one state per stream; pure)."""

    def __init__(self, *, model: str, include_usage: bool) -> None:
        self.model = model
        self.include_usage = include_usage
        self.id = _chat_id(None)
        self.created = int(time.time())
        self._started = False
        self._tools: dict[Any, int] = {}
        self._streamed: dict[Any, bool] = {}

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [choice],
        }

    def feed(self, event: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The chunks for one event (possibly none)."""
        kind = event.get("type")
        chunks: list[dict[str, Any]] = []
        if not self._started:
            self._started = True
            response = event.get("response")
            if isinstance(response, Mapping) and isinstance(response.get("id"), str):
                self.id = _chat_id(response["id"])
            chunks.append(self._chunk({"role": "assistant", "content": ""}))
        index = event.get("output_index")
        if kind == "response.output_text.delta":
            if event.get("delta"):
                self._streamed[("text", index)] = True
                chunks.append(self._chunk({"content": event["delta"]}))
        elif kind == "response.output_text.done":
            if not self._streamed.get(("text", index)) and event.get("text"):
                chunks.append(self._chunk({"content": event["text"]}))
        elif kind == "response.output_item.added":
            item = event.get("item")
            if isinstance(item, Mapping) and item.get("type") == "function_call":
                position = self._tools[index] = len(self._tools)
                call = {
                    "index": position,
                    "id": item.get("call_id"),
                    "type": "function",
                    "function": {"name": item.get("name"), "arguments": ""},
                }
                chunks.append(self._chunk({"tool_calls": [call]}))
        elif kind == "response.function_call_arguments.delta" and index in self._tools:
            if event.get("delta"):
                self._streamed[("args", index)] = True
                arguments = {"index": self._tools[index], "function": {"arguments": event["delta"]}}
                chunks.append(self._chunk({"tool_calls": [arguments]}))
        elif kind == "response.function_call_arguments.done" and index in self._tools:
            if not self._streamed.get(("args", index)) and event.get("arguments"):
                arguments = {"index": self._tools[index], "function": {"arguments": event["arguments"]}}
                chunks.append(self._chunk({"tool_calls": [arguments]}))
        elif kind in ("response.completed", "response.incomplete"):
            chunks.extend(self._finish(event))
        return chunks

    def _finish(self, event: Mapping[str, Any]) -> list[dict[str, Any]]:
        response = event.get("response")
        response = response if isinstance(response, Mapping) else {}
        finish = "tool_calls" if self._tools else "stop"
        if event.get("type") == "response.incomplete":
            details = response.get("incomplete_details")
            reason = details.get("reason") if isinstance(details, Mapping) else None
            finish = "content_filter" if reason == "content_filter" else "length"
        chunks = [self._chunk({}, finish)]
        if self.include_usage:
            chunks.append(
                {
                    "id": self.id,
                    "object": "chat.completion.chunk",
                    "created": self.created,
                    "model": self.model,
                    "choices": [],
                    "usage": _chat_usage(to_usage(response.get("usage"))),
                }
            )
        return chunks
