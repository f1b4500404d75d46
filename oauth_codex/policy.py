"""Decisions shared by the core client and the LangChain / LlamaIndex adapters (pure functions, no I/O).

Each policy lives here once so the adapters cannot drift from the core:

* :data:`FATAL_STREAM_CODES` and :func:`is_retryable`: which failures re-sending the same request may fix
  (the core's own retries and LangChain's ``ModelError.is_retryable`` both follow it).
* :func:`normalize_tool_choice`: every accepted ``tool_choice`` shape -> the Responses shape.
* :func:`merge_include`: the ``include`` list (per-call values are added to configured ones, and
  ``reasoning.encrypted_content`` is kept so reasoning can be replayed with ``store: false``).
* :func:`ensure_strict_schema`: any JSON schema made valid for ``strict: true`` (tools and ``text.format``).
* :func:`drop_unsupported`: call arguments the backend does not take are dropped with one warning per
  name (a few compatibility arguments that frameworks pass on every call, silently).
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from ._tools import ensure_strict_schema
from .errors import (
    APIConnectionError,
    ContextWindowExceededError,
    RateLimitError,
    ServerError,
    StreamError,
    UsageLimitError,
)

__all__ = [
    "ENCRYPTED_REASONING",
    "FATAL_STREAM_CODES",
    "drop_unsupported",
    "ensure_strict_schema",
    "is_retryable",
    "merge_include",
    "normalize_tool_choice",
]

#: ``response.failed`` / ``error`` codes that re-sending the same request cannot fix
FATAL_STREAM_CODES = frozenset(
    {
        "context_length_exceeded",
        "insufficient_quota",
        "usage_not_included",
        "usage_limit_reached",
        "invalid_prompt",
        "cyber_policy",
        "bio_policy",  # the Codex CLI treats it as a fatal invalid request
        "max_output_tokens",
        "content_filter",
        "invalid_request_error",
    }
)

#: the ``include`` value that returns reasoning in a replayable (encrypted) form
ENCRYPTED_REASONING = "reasoning.encrypted_content"

_CHOICE_WORDS = ("auto", "none", "required")


def is_retryable(error: BaseException) -> bool:
    """Whether sending the same request again may succeed.

    Yes: 5xx (:class:`ServerError`), connection errors and timeouts, 429 rate limits
    (:class:`RateLimitError`, not usage limits) and stream failures whose code is neither in
    :data:`FATAL_STREAM_CODES` nor a ``*_policy`` block. No: usage limits, context-length overflows, every
    other 4xx (incl. Cloudflare blocks), auth, and anything that is not an oauth-codex API error.
    """
    if isinstance(error, UsageLimitError | ContextWindowExceededError):
        return False
    if isinstance(error, RateLimitError | ServerError | APIConnectionError):
        return True
    if isinstance(error, StreamError):
        code = error.code or ""
        return code not in FATAL_STREAM_CODES and not code.endswith("_policy")  # any policy block is final
    return False


def normalize_tool_choice(
    tool_choice: Any, tool_names: Collection[str] = (), *, default: str | None = None
) -> str | dict[str, Any] | None:
    """Map any accepted ``tool_choice`` onto the Responses ``tool_choice``.

    ``None`` / ``False`` -> ``default``; ``"auto"``, ``"none"``, ``"required"`` pass; ``"any"`` / ``True``
    -> ``"required"``; another string is a tool name -> ``{"type": "function", "name": ...}``; Responses
    dicts (a named function, ``{"type": "auto"}``, ``{"type": "allowed_tools", "tools": [...]}``) pass and
    Chat-Completions dicts ``{"type": "function", "function": {"name": ...}}`` are converted.

    Raises:
        ValueError: anything else, or a tool name that is not in ``tool_names`` (when given).
    """
    if tool_choice is None or tool_choice is False:
        return default
    if tool_choice is True or tool_choice == "any":
        return "required"
    if tool_choice in _CHOICE_WORDS:
        return str(tool_choice)
    if isinstance(tool_choice, str):
        if tool_names and tool_choice not in tool_names:
            raise ValueError(
                f"tool_choice {tool_choice!r} names no bound tool; the tools are {sorted(tool_names)}."
            )
        return {"type": "function", "name": tool_choice}
    if isinstance(tool_choice, Mapping):
        function = tool_choice.get("function")
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            return {"type": "function", "name": function["name"]}
        kind = tool_choice.get("type")
        if kind == "function" and isinstance(tool_choice.get("name"), str):
            return {"type": "function", "name": tool_choice["name"]}
        if kind in _CHOICE_WORDS and len(tool_choice) == 1:
            return str(kind)
        if kind == "allowed_tools" and isinstance(tool_choice.get("tools"), list):
            return dict(tool_choice)
    raise ValueError(
        f"Unrecognized tool_choice {tool_choice!r}: use 'auto', 'none', 'required' ('any' / True), a tool "
        "name, or {'type': 'function', 'name': ...}."
    )


def merge_include(*includes: Iterable[str] | None, encrypted_reasoning: bool = True) -> list[str]:
    """One ``include`` list: every given value once, in order, plus ``reasoning.encrypted_content``.

    Pass the configured values first and the per-call ones after: a per-call ``include`` adds to the
    configured list instead of replacing it, so asking for e.g. logprobs never drops reasoning replay.
    ``encrypted_reasoning=False`` leaves ``reasoning.encrypted_content`` out unless it is given.
    """
    merged: list[str] = []
    for values in includes:
        for value in values or ():
            if value not in merged:
                merged.append(value)
    if encrypted_reasoning and ENCRYPTED_REASONING not in merged:
        merged.append(ENCRYPTED_REASONING)
    return merged


def drop_unsupported(
    kwargs: Mapping[str, Any],
    supported: Collection[str],
    *,
    owner: str,
    quiet: Collection[str] = (),
    stacklevel: int = 3,
) -> dict[str, Any]:
    """The arguments in ``supported``; the others are dropped, never sent.

    Each dropped name gets one ``UserWarning`` (Python's default filter shows a message once per call
    site), except names in ``quiet``: compatibility arguments such as ``temperature`` or ``stop`` that
    frameworks pass routinely and that the backend rejects.
    """
    kept: dict[str, Any] = {}
    for name, value in kwargs.items():
        if name in supported:
            kept[name] = value
        elif name not in quiet:
            warnings.warn(
                f"{owner} ignores the call argument {name!r}: the Codex backend does not take it "
                f"(supported: {', '.join(sorted(supported))}).",
                UserWarning,
                stacklevel=stacklevel,
            )
    return kept
