"""Pure translation between what the ``openai`` SDK sends and expects and the Codex backend (no I/O).

* :func:`responses_plan`: the JSON body of ``responses.create`` / ``parse`` / ``stream`` -> :class:`Plan`,
  whose :class:`~oauth_codex._request.RequestOptions` go through the one request builder (:func:`request_body`:
  system/developer items become ``instructions``, ``store: false``, ``stream: true``, server ids stripped).
  Parameters the backend rejects are listed in ``Plan.dropped`` (the transport warns once per parameter);
  parameters that cannot be honoured raise ``ValueError`` with what to do instead.
* :func:`complete_response`: the backend's response object with the fields the SDK's ``Response`` type needs
  (the backend leaves out ``tools``, ``tool_choice``, ``parallel_tool_calls``, ...).
* :func:`models_page`: the model catalog as the ``GET /models`` list; :func:`sse_frame`: one SSE frame.

Chat Completions live in :mod:`._chat`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .._request import DEFAULT_INCLUDE, RequestOptions, build_body
from ..types import ModelInfo

__all__ = [
    "REJECTED_PARAMETERS",
    "Plan",
    "complete_response",
    "drop_rejected",
    "models_page",
    "parse_object",
    "request_body",
    "require_model",
    "responses_plan",
    "sse_frame",
]

#: parameters the Codex backend answers with "Unsupported parameter" (docs/protocol.md "Request body"): dropped with
#: a warning
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


def parse_object(raw: bytes | str) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise ValueError("the request body is not JSON") from exc
    if not isinstance(body, dict):
        raise ValueError("the request body must be a JSON object")
    return body


def require_model(body: Mapping[str, Any]) -> str:
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


def drop_rejected(body: Mapping[str, Any], name: str, dropped: list[str]) -> bool:
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
    body = parse_object(raw)
    dropped: list[str] = []
    extra: dict[str, Any] = {}
    for name, value in body.items():
        if name in _NEEDS_STORAGE and value not in (None, False):
            raise ValueError(
                f"{_NEEDS_STORAGE[name]}, and the ChatGPT Codex backend stores nothing (store=false): "
                "send the whole conversation in `input` instead."
            )
        if drop_rejected(body, name, dropped) or name in _RESPONSES_MAPPED or name in _NEEDS_STORAGE:
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
    model = require_model(body)
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
