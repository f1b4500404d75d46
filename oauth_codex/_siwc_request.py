"""The SIWC route's request step (SIWC.md §10): applied to the one body :func:`~._request.build_body` makes.

Pure functions. :func:`siwc_body` refuses, before any network call, what the route cannot send (hosted tools
other than ``web_search``, ``store=True``, a forbidden field set explicitly) and reshapes the rest:
``store: false`` and ``stream: true``; function and custom tools move into one ``additional_tools`` input
item (or, with ``tool_packaging="namespace"``, into a ``namespace`` tool); ``service_tier`` only when it is
``"priority"``; ``include`` only with ``reasoning`` or when the caller set it. System messages are already
in ``instructions`` (the shared builder lifts them). :func:`siwc_headers` sends no Codex header.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from typing import Any, Literal

from ._call import Action, CallState
from .auth._tokens import AccessToken
from .errors import CodexError, PlanUnsupportedCapabilityError, UnsupportedOnRouteError

__all__ = [
    "FORBIDDEN_FIELDS",
    "HOSTED_TOOLS_REFUSED",
    "JSON_INSTRUCTION",
    "SiwcCallState",
    "prompt_json_body",
    "siwc_body",
    "siwc_headers",
]

#: fields the SIWC route rejects (D-PL), never sent
FORBIDDEN_FIELDS = frozenset(
    {"background", "conversation", "max_output_tokens", "max_tool_calls", "metadata", "moderation", "multi_agent",
     "prompt", "prompt_cache_retention", "prompt_cache_options", "safety_identifier", "temperature",
     "top_logprobs", "top_p", "truncation", "user", "previous_response_id"}
)  # fmt: skip
HOSTED_TOOLS_REFUSED = frozenset(
    {"image_generation", "file_search", "code_interpreter", "computer_use", "computer_use_preview", "mcp",
     "tool_search", "programmatic_tool_calling", "local_shell"}
)  # fmt: skip
_HOSTED_OK = frozenset({"web_search"})
ToolPackaging = Literal["additional_tools", "namespace"]
NAMESPACE = {"type": "namespace", "name": "oauth_codex", "description": "Tools provided by the host application."}


def _refuse(field: str, what: str) -> UnsupportedOnRouteError:
    return UnsupportedOnRouteError(
        f"{what} is not available with ChatGPT plan usage (route='siwc'); remove it, or use route='codex'.",
        field=field,
    )


def siwc_body(
    body: Mapping[str, Any],
    *,
    explicit: Mapping[str, Any] | None = None,
    tool_packaging: ToolPackaging = "additional_tools",
) -> dict[str, Any]:
    """The SIWC form of a Codex-route ``body``. ``explicit``: the options the caller set (to name them in errors).

    Raises :class:`UnsupportedOnRouteError` for a forbidden field set explicitly, ``store=True``, or a hosted
    tool other than ``web_search``.
    """
    explicit = explicit or {}
    for name in sorted(FORBIDDEN_FIELDS & set(explicit)):
        if explicit[name] is not None:
            raise _refuse(name, f"The {name!r} parameter")
    if explicit.get("store"):
        raise _refuse("store", "store=True")
    out = {k: v for k, v in body.items() if k not in FORBIDDEN_FIELDS}
    out["store"] = False
    out["stream"] = True
    functions: list[dict[str, Any]] = []
    hosted: list[dict[str, Any]] = []
    for tool in out.pop("tools", None) or []:
        kind = tool.get("type")
        if kind in ("function", "custom"):
            functions.append(dict(tool))
        elif kind in _HOSTED_OK:
            hosted.append(dict(tool))
        else:
            raise _refuse(f"tools.{kind}", f"The hosted tool {kind!r} (only web_search is)")
    items = list(out.get("input") or [])
    if functions and tool_packaging == "namespace":
        hosted.insert(0, {**NAMESPACE, "tools": functions})
    elif functions:
        items.insert(0, {"type": "additional_tools", "role": "developer", "tools": functions})
    out["input"] = items
    if hosted:
        out["tools"] = hosted
    elif not functions:
        out.pop("tool_choice", None)
        out.pop("parallel_tool_calls", None)
    tier = out.pop("service_tier", None)
    if tier == "priority":
        out["service_tier"] = tier
    if "reasoning" not in out and explicit.get("include") is None:
        out.pop("include", None)
    return out


def siwc_headers(token: AccessToken, *, agent: str) -> dict[str, str]:
    """``Authorization``, ``Content-Type``, ``Accept`` and our own ``User-Agent``: no Codex headers."""
    return {
        "Authorization": f"Bearer {token.token}",
        "Content-Type": "application/json",
        "Accept": "text/event-stream",
        "User-Agent": agent,
    }


#: how a structured-output request asks for JSON when the route refuses ``text.format`` (the schema follows)
JSON_INSTRUCTION = "Answer with only a JSON object, no other text"
_SCHEMA_LEAD = ", that matches this JSON schema: "


def prompt_json_body(body: Mapping[str, Any]) -> dict[str, Any] | None:
    """``body`` without ``text.format``, asking for the JSON in ``instructions`` instead (``None``: nothing to
    change). The caller's parser still validates the answer (pydantic, JSON schema)."""
    text = body.get("text")
    fmt = text.get("format") if isinstance(text, Mapping) else None
    if not isinstance(text, Mapping) or not isinstance(fmt, Mapping):
        return None
    if fmt.get("type") == "json_schema" and isinstance(fmt.get("schema"), Mapping):
        ask = JSON_INSTRUCTION + _SCHEMA_LEAD + json.dumps(fmt["schema"], ensure_ascii=False, separators=(",", ":"))
    elif fmt.get("type") == "json_object":
        ask = JSON_INSTRUCTION + "."
    else:
        return None
    out = dict(body)
    rest = {k: v for k, v in text.items() if k != "format"}
    if rest:
        out["text"] = rest
    else:
        out.pop("text")
    out["instructions"] = "\n\n".join(t for t in (str(body.get("instructions") or ""), ask) if t)
    return out


class SiwcCallState(CallState):
    """A call on the SIWC route: when the route refuses ``text.format`` (``..._unsupported_capability`` with
    ``param`` ``text...``), send the request once more asking for JSON in the instructions, and remember the
    model in ``prompt_json_models`` so its next calls ask that way at once (SIWC.md §19.8)."""

    __slots__ = ("fell_back", "prompt_json_models")

    def __init__(self, body: bytes, *args: Any, prompt_json_models: set[str], **kwargs: Any) -> None:
        super().__init__(body, *args, **kwargs)
        self.prompt_json_models = prompt_json_models
        self.fell_back = False

    def on_status(self, status: int, content: bytes, headers: Mapping[str, str]) -> tuple[Action, float] | CodexError:
        outcome = super().on_status(status, content, headers)
        param = getattr(outcome, "param", None) or ""
        if isinstance(outcome, PlanUnsupportedCapabilityError) and param.startswith("text") and not self.fell_back:
            self.fell_back = True
            body = json.loads(self.body)
            fallback = prompt_json_body(body)
            if fallback is not None:
                self.prompt_json_models.add(str(body.get("model")))
                self.body = json.dumps(fallback, ensure_ascii=False).encode("utf-8")
                warnings.warn(
                    f"ChatGPT plan usage does not accept structured outputs (text.format) for {body.get('model')!r}: "
                    "asking for the JSON in the instructions instead (the answer is still validated).",
                    UserWarning,
                    stacklevel=4,
                )
                return Action.RETRY, 0.0
        return outcome
