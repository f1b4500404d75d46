"""Pure translation between what the ``openai`` SDK sends and expects and the Codex backend (no I/O).

* :func:`responses_plan` / :func:`chat_plan`: the JSON body of ``responses.create`` / ``chat.completions.create``
  -> :class:`Plan`, whose :class:`~oauth_codex._request.RequestOptions` go through the one request builder
  (system/developer items become ``instructions``, ``store: false``, ``stream: true``, server ids stripped).
  Parameters the backend rejects are listed in ``Plan.dropped`` (the transport warns once per parameter);
  parameters that cannot be honoured raise ``ValueError`` with what to do instead.
* :func:`complete_response`: the backend's response object with the fields the SDK's ``Response`` type needs
  (the backend leaves out ``tools``, ``tool_choice``, ``parallel_tool_calls``, ...).
* :func:`chat_completion` and :class:`ChatChunks`: a result / the event stream as Chat Completions objects.
* :func:`models_page`: the model catalog as the ``GET /models`` list.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .._request import DEFAULT_INCLUDE, RequestOptions, build_body
from ..types import GenerateResult, ModelInfo, Usage

__all__ = [
    "REJECTED_PARAMETERS",
    "ChatChunks",
    "Plan",
    "chat_completion",
    "chat_plan",
    "complete_response",
    "models_page",
    "request_body",
    "responses_plan",
    "sse_frame",
]

#: parameters the Codex backend answers with "Unsupported parameter" (SPEC §2.2): dropped with a warning
REJECTED_PARAMETERS = frozenset(
    {
        "max_output_tokens",
        "max_completion_tokens",
        "max_tokens",
        "temperature",
        "top_p",
        "truncation",
        "frequency_penalty",
        "presence_penalty",
        "metadata",
        "seed",
        "logit_bias",
    }
)
_RESPONSES_MAPPED = frozenset(
    {
        "model",
        "input",
        "instructions",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "reasoning",
        "text",
        "include",
        "prompt_cache_key",
        "stream",
        "store",
    }
)
_NEEDS_STORAGE = {
    "previous_response_id": "previous_response_id needs responses stored on the server",
    "conversation": "conversation needs conversations stored on the server",
    "background": "background responses need responses stored on the server",
}
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


@dataclass
class Plan:
    """One translated request: the options for the request builder and how to answer the SDK."""

    api: Literal["responses", "chat"]
    model: str
    options: RequestOptions
    stream: bool
    #: parameters passed to the backend as they are (``service_tier``, ``user``, ...)
    extra: dict[str, Any] = field(default_factory=dict)
    #: parameters removed because the backend rejects them (in request order)
    dropped: list[str] = field(default_factory=list)
    #: request fields a Responses ``Response`` object echoes back
    echo: dict[str, Any] = field(default_factory=dict)
    #: chat streaming: end with a usage chunk (``stream_options.include_usage``)
    include_usage: bool = False


def _object(raw: bytes | str) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise ValueError("the request body is not JSON") from exc
    if not isinstance(body, dict):
        raise ValueError("the request body must be a JSON object")
    return body


def _model(body: Mapping[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ValueError("model is required: pass model='gpt-5.5' (see client.models.list())")
    return model


def _include(value: Any) -> list[str]:
    """The caller's ``include`` plus the reasoning's encrypted content (the only replay with store=false)."""
    include = [str(v) for v in value] if isinstance(value, list) else []
    for extra in DEFAULT_INCLUDE:
        if extra not in include:
            include.append(extra)
    return include


def _drop(body: Mapping[str, Any], name: str, dropped: list[str]) -> bool:
    """Whether ``name`` is a parameter to drop; a ``None`` value is dropped without a warning."""
    if name == "store":
        if body[name] not in (None, False):
            dropped.append(name)
        return True
    if name in REJECTED_PARAMETERS:
        if body[name] is not None:
            dropped.append(name)
        return True
    return False


def responses_plan(raw: bytes | str) -> Plan:
    """The body of ``responses.create`` / ``.parse`` / ``.stream`` -> :class:`Plan`."""
    body = _object(raw)
    dropped: list[str] = []
    extra: dict[str, Any] = {}
    for name, value in body.items():
        if name in _NEEDS_STORAGE and value not in (None, False):
            raise ValueError(
                f"{_NEEDS_STORAGE[name]}, and the ChatGPT Codex backend stores nothing (store=false): "
                "send the whole conversation in `input` instead."
            )
        if _drop(body, name, dropped) or name in _RESPONSES_MAPPED or name in _NEEDS_STORAGE:
            continue
        extra[name] = value
    items = body.get("input")
    if items is None:
        raise ValueError("input is required: pass input='...' or a list of input items")
    if not isinstance(items, str | list) or items == []:
        raise ValueError("input must be a string or a non-empty list of input items")
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise ValueError("instructions must be a string (put other content in developer messages in input)")
    model = _model(body)
    options = RequestOptions(
        model=model,
        prompt=items if isinstance(items, str) else None,
        messages=items if isinstance(items, list) else None,
        instructions=instructions,
        tools=body.get("tools"),
        tool_choice=body.get("tool_choice"),
        parallel_tool_calls=body.get("parallel_tool_calls"),
        reasoning=body.get("reasoning"),
        text=body.get("text"),
        include=_include(body.get("include")),
        prompt_cache_key=body.get("prompt_cache_key"),
    )
    echo = {
        "model": model,
        "instructions": instructions,
        "tools": body.get("tools") or [],
        "tool_choice": body.get("tool_choice") or "auto",
        "parallel_tool_calls": bool(body.get("parallel_tool_calls")),
        "text": body.get("text"),
        "reasoning": body.get("reasoning"),
    }
    stream = body.get("stream") is True
    return Plan("responses", model, options, stream=stream, extra=extra, dropped=dropped, echo=echo)


def chat_plan(raw: bytes | str) -> Plan:
    """The body of ``chat.completions.create`` / ``.parse`` -> :class:`Plan` (a Responses request)."""
    body = _object(raw)
    dropped: list[str] = []
    extra: dict[str, Any] = {}
    for name, value in body.items():
        if name in _CHAT_UNMAPPABLE and value not in (None, False, [], ""):
            raise ValueError(f"chat.completions {name}=: {_CHAT_UNMAPPABLE[name]}.")
        if name == "n" and value not in (None, 1):
            raise ValueError("chat.completions n= must be 1: the Codex backend answers with one choice.")
        if name == "modalities" and isinstance(value, list) and any(m != "text" for m in value):
            raise ValueError("chat.completions modalities=: the Codex backend only answers with text.")
        if _drop(body, name, dropped) or name in _CHAT_MAPPED or name in _CHAT_UNMAPPABLE:
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
    model = _model(body)
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


def request_body(plan: Plan, *, default_instructions: str | None, session_id: str) -> dict[str, Any]:
    """The Codex request body of ``plan``: the one request builder, plus the pass-through parameters."""
    body = build_body(plan.options, default_instructions=default_instructions, session_id=session_id)
    for name, value in plan.extra.items():
        body.setdefault(name, value)
    return body


# ------------------------------------------------------------------------------------------------ answers


def complete_response(response: Mapping[str, Any], echo: Mapping[str, Any]) -> dict[str, Any]:
    """The backend's response object with the fields the SDK's ``Response`` requires filled in."""
    out = dict(response)
    out.setdefault("object", "response")
    if not isinstance(out.get("created_at"), int | float):
        out["created_at"] = int(time.time())
    for key in ("model", "instructions", "tools", "tool_choice", "parallel_tool_calls", "text", "reasoning"):
        if out.get(key) is None and echo.get(key) is not None:
            out[key] = echo[key]
    out.setdefault("output", [])
    out.setdefault("error", None)
    out.setdefault("incomplete_details", None)
    usage = out.get("usage")
    if isinstance(usage, Mapping):
        usage = dict(usage)
        if not isinstance(usage.get("input_tokens_details"), Mapping):
            usage["input_tokens_details"] = {"cached_tokens": 0}
        if not isinstance(usage.get("output_tokens_details"), Mapping):
            usage["output_tokens_details"] = {"reasoning_tokens": 0}
        out["usage"] = usage
    return out


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
            from .._accumulate import to_usage

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


def models_page(models: Iterable[ModelInfo]) -> dict[str, Any]:
    """``GET /models``: the model catalog as the SDK's model list (catalog details as extra fields)."""
    data = [
        {
            "id": model.slug,
            "object": "model",
            "created": 0,
            "owned_by": "openai",
            "display_name": model.display_name or model.slug,
            "context_window": model.context_window,
            "default_reasoning_effort": model.default_reasoning_effort,
            "supported_reasoning_efforts": list(model.supported_reasoning_efforts),
            "input_modalities": list(model.input_modalities),
            "visibility": model.visibility,
        }
        for model in models
    ]
    return {"object": "list", "data": data}


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # built once: one per event


def sse_frame(event: Mapping[str, Any], *, named: bool = True) -> bytes:
    """One server-sent-events frame for ``event`` (with its ``event:`` line when ``named``)."""
    data = _encode(event)
    if named:
        return f"event: {event.get('type')}\ndata: {data}\n\n".encode()
    return f"data: {data}\n\n".encode()
