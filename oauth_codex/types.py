"""Public result types (pydantic models)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Credits",
    "FinishReason",
    "GenerateResult",
    "ModelInfo",
    "ModelRateLimits",
    "RateLimitWindow",
    "RateLimits",
    "StreamEvent",
    "ToolCall",
    "Usage",
    "UsageSnapshot",
]

FinishReason = Literal["stop", "tool_calls", "length", "content_filter"]


class ToolCall(BaseModel):
    """A function call requested by the model.

    ``id`` is the backend's ``call_id`` (use it as ``tool_call_id`` in ``tool_results``);
    ``arguments`` is the decoded JSON object, or ``None`` when ``arguments_json`` is not a JSON object.
    ``type`` is ``"custom"`` for a freeform tool (a ``{"type": "custom"}`` tool dict): its raw text is in
    ``input`` and ``arguments`` is ``None``. ``namespace`` is set when the backend grouped the tool (MCP).
    """

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    arguments: dict[str, Any] | None = None
    arguments_json: str = ""
    type: Literal["function", "custom"] = "function"
    input: str | None = None
    namespace: str | None = None


class Usage(BaseModel):
    """Token counts of one response (missing values count as 0)."""

    model_config = ConfigDict(frozen=True)

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0


class RateLimitWindow(BaseModel):
    """One rate-limit window from the ``x-codex-{primary,secondary}-*`` headers."""

    model_config = ConfigDict(frozen=True)

    used_percent: float
    window_minutes: int | None = None
    resets_at: datetime | None = None
    reset_after_seconds: int | None = None


class Credits(BaseModel):
    """Credit balance from the ``x-codex-credits-*`` headers."""

    model_config = ConfigDict(frozen=True)

    has_credits: bool | None = None
    unlimited: bool | None = None
    balance: str | None = None


class ModelRateLimits(BaseModel):
    """A per-model rate-limit family (``x-codex-<family>-{primary,secondary}-*`` and ``-limit-name`` headers).

    ``limit_id`` is the Codex CLI's id for it: the header prefix without ``x-``, ``-`` as ``_``
    (``x-codex-bengalfox-*`` -> ``codex_bengalfox``); ``limit_name`` names the model(s) it meters.
    """

    model_config = ConfigDict(frozen=True)

    limit_id: str
    limit_name: str | None = None
    primary: RateLimitWindow | None = None
    secondary: RateLimitWindow | None = None


class RateLimits(BaseModel):
    """Rate-limit state the backend reports on every response (``x-codex-*`` headers).

    ``primary``/``secondary`` are the default ``codex`` family; ``families`` holds the per-model families,
    keyed by ``limit_id`` (e.g. ``"codex_bengalfox"``).
    """

    model_config = ConfigDict(frozen=True)

    primary: RateLimitWindow | None = None
    secondary: RateLimitWindow | None = None
    primary_over_secondary_limit_percent: float | None = None
    credits: Credits | None = None
    active_limit: str | None = None
    plan_type: str | None = None
    request_id: str | None = None
    promo_message: str | None = None
    raw: dict[str, str] = Field(default_factory=dict)
    families: dict[str, ModelRateLimits] = Field(default_factory=dict)


class UsageSnapshot(BaseModel):
    """How much of the plan's Codex usage is used: :meth:`CodexOAuthLLM.usage() <oauth_codex.CodexOAuthLLM.usage>`.

    ``primary`` is the short window (5 h on paid plans, the week on free), ``secondary`` the weekly one,
    ``code_review`` the code-review window when the backend reports it; each has ``used_percent``,
    ``window_minutes`` and ``resets_at`` (aware UTC). ``source`` says where the numbers come from:
    ``"usage_endpoint"`` (``GET /backend-api/wham/usage``) or ``"headers"`` (the ``x-codex-*`` headers of the
    last response, when the endpoint failed). ``raw`` is what was parsed (hidden from ``repr``).
    """

    model_config = ConfigDict(frozen=True)

    plan_type: str | None = None
    primary: RateLimitWindow | None = None
    secondary: RateLimitWindow | None = None
    code_review: RateLimitWindow | None = None
    credits: Credits | None = None
    fetched_at: datetime
    source: Literal["usage_endpoint", "headers"]
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)

    def windows(self) -> dict[str, RateLimitWindow]:
        """The windows that limit requests (``primary``, ``secondary``) that are present, by name."""
        return {
            name: window
            for name, window in (("primary", self.primary), ("secondary", self.secondary))
            if window is not None
        }


class GenerateResult(BaseModel):
    """The full result of one call (``return_details=True``).

    ``text`` is the answer; ``commentary`` the text of ``phase: "commentary"`` messages (progress notes
    newer models send before the ``final_answer``), kept out of ``text``.
    ``output_items`` are the response's output items in the form to replay next turn (no server ids;
    reasoning keeps its ``encrypted_content``); ``raw_response`` is the final response object with the
    collected output. ``profile_name`` and ``account_id`` say which login answered: the profile (``None`` for
    a custom token provider or store without one) and the ChatGPT account id (never a token).
    """

    text: str = ""
    #: text of ``phase: "commentary"`` messages (progress notes before the final answer); never in ``text``
    commentary: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    finish_reason: FinishReason = "stop"
    usage: Usage | None = None
    response_id: str | None = None
    model: str | None = None
    reasoning_summary: str | None = None
    raw_response: dict[str, Any] | None = None
    output_items: list[dict[str, Any]] = Field(default_factory=list)
    rate_limits: RateLimits | None = None
    profile_name: str | None = None
    account_id: str | None = None


class StreamEvent(BaseModel):
    """One server-sent event, as yielded with ``raw_events=True``.

    ``type`` is the event type (e.g. ``response.output_text.delta``); ``delta``, ``item`` and ``response``
    are lifted from the event when present; ``raw`` is the whole event dict. Unknown event types are
    passed through unchanged. The last event of a successful stream is ``response.completed`` whose
    ``response["output"]`` holds the output collected from ``response.output_item.done`` events.
    """

    type: str
    delta: str | None = None
    item: dict[str, Any] | None = None
    response: dict[str, Any] | None = None
    raw: dict[str, Any] = Field(default_factory=dict)


class ModelInfo(BaseModel):
    """One entry of the backend's model catalog (``GET {base_url}/models``), as ``list_models()`` returns it.

    ``supported_reasoning_efforts`` lists the ``reasoning.effort`` values the model takes (empty: unknown);
    ``visibility`` is ``"list"`` for models the Codex CLI shows (``"hide"`` and others are internal or
    preview); ``upgrade`` names the slug the backend suggests moving to, if any; ``raw`` is the whole entry
    as the backend sent it (fields added later land there first).
    """

    model_config = ConfigDict(frozen=True)

    slug: str
    display_name: str = ""
    context_window: int | None = None
    default_reasoning_effort: str | None = None
    supported_reasoning_efforts: list[str] = Field(default_factory=list)
    supports_reasoning_summaries: bool = False
    supports_verbosity: bool = False
    input_modalities: list[str] = Field(default_factory=list)
    visibility: str = "list"
    priority: int | None = None
    upgrade: str | None = None
    raw: dict[str, Any] = Field(default_factory=dict)
