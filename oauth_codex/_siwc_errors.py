"""SIWC error classification (SIWC.md §12; pure): every documented code to the existing exception tree.

Both body shapes are read: the admission ``{"detail": ...}`` (a string, an object with ``code``, or a
validation list) and the Responses ``{"error": {"code", "param", "message", "type"}}``, unwrapped up to four
levels. The plan usage limit is a :class:`~oauth_codex.errors.UsageLimitError` subclass with
``resets_at=None`` and the manage-usage link: no reset time is ever invented. Legacy ``..._v2_...`` names map
to their successors. Nothing here retries or switches route: the client's policy applies (5xx-like
``PlanUsageUnavailableError`` is retried with bounded backoff; everything else is raised).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._failures import classify, parse_body
from .errors import (
    MANAGE_USAGE_URL,
    APIError,
    CodexError,
    ModelNotSupportedError,
    PlanAuthError,
    PlanGrantError,
    PlanNotEligibleError,
    PlanRouteNotSupportedError,
    PlanUnsupportedCapabilityError,
    PlanUsageLimitError,
    PlanUsageUnavailableError,
    ServerError,
    StreamError,
)

__all__ = ["classify_siwc", "map_siwc_failure"]

_PREFIX = "subscription_sharing_"
USAGE_LIMIT_TEXT = (
    f"Usage limit reached for ChatGPT plan usage in this app (the plan's or this app's own limit); see and manage "
    f"it at {MANAGE_USAGE_URL} and try again later."
)
_TEXTS = {
    "user_not_eligible": "ChatGPT plan usage is unavailable for this user, workspace or policy; retrying will not "
    "help, so use an eligible ChatGPT plan (Plus or Pro) or route='codex'.",
    "client_not_enabled": "This app is not enabled for ChatGPT plan usage; contact the app's developer.",
    "usage_unavailable": "ChatGPT could not check plan usage right now; your login is kept, try again in a little "
    "while.",
    "user_unavailable": "ChatGPT user or workspace information is temporarily unavailable; your login is kept, try "
    "again in a little while.",
    "route_not_supported": "This endpoint is not supported with ChatGPT plan usage (only POST /v1/responses and "
    "GET /v1/models are); this is a client bug, please report it.",
    "invalid_user": "ChatGPT could not validate this app's sign-in; sign in again with `oauth-codex login --route "
    "siwc` (or reconnect the app in ChatGPT settings).",
}


def _unwrap(parsed: Any) -> tuple[str | None, str | None, str | None]:
    """(code, param, message) from nested ``error``/``detail`` objects (up to four levels)."""
    node: Any = parsed
    message: str | None = None
    for _ in range(4):
        if not isinstance(node, Mapping):
            break
        inner = node.get("error") if "error" in node else node.get("detail")
        if isinstance(inner, str):
            if "error" in node and "detail" not in node and not isinstance(node.get("error"), Mapping):
                return inner, None, _str(node.get("error_description")) or inner
            return None, None, inner
        if isinstance(inner, list):
            parts = [
                f"{'.'.join(str(p) for p in d.get('loc', [])[1:])}: {d.get('msg', d.get('type', ''))}"
                for d in inner
                if isinstance(d, Mapping)
            ]
            return None, _loc_param(inner), "; ".join(parts) or None
        if not isinstance(inner, Mapping):
            break
        message = _str(inner.get("message")) or message
        code = _str(inner.get("code"))
        if code:
            return code, _str(inner.get("param")), message
        node = inner
    return None, None, message


def _loc_param(details: list[Any]) -> str | None:
    for d in details:
        if isinstance(d, Mapping) and isinstance(d.get("loc"), list) and len(d["loc"]) > 1:
            return str(d["loc"][1])
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _normalise(code: str | None) -> str | None:
    if code is None:
        return None
    code = code.lower()
    if code.startswith(_PREFIX + "v2_"):
        return _PREFIX + code[len(_PREFIX) + 3 :]
    return code


def classify_siwc(status: int, body: bytes | str | Any, headers: Mapping[str, str] | None = None) -> APIError:
    """Map an error answer of the SIWC API to the exception tree (one sentence each, saying what to do)."""
    headers = headers or {}
    parsed = parse_body(body) if isinstance(body, bytes | str) else body
    code, param, message = _unwrap(parsed)
    code = _normalise(code)
    request_id = next((v for k, v in headers.items() if k.lower() in ("x-request-id", "openai-request-id")), None)
    common: dict[str, Any] = {"status_code": status, "body": parsed, "request_id": request_id, "code": code}
    short = code[len(_PREFIX) :] if code and code.startswith(_PREFIX) else None
    if short == "usage_limit_exceeded":
        return PlanUsageLimitError(USAGE_LIMIT_TEXT, resets_at=None, retry_after=None, **common)
    if short in ("usage_unavailable", "user_unavailable"):
        return PlanUsageUnavailableError(_TEXTS[short], **common)
    if short in ("user_not_eligible", "client_not_enabled"):
        return PlanNotEligibleError(_TEXTS[short], **common)
    if short == "unsupported_capability":
        what = f"'{param}'" if param else "part of this request"
        return PlanUnsupportedCapabilityError(
            f"ChatGPT plan usage does not support {what}; remove it and send a different request (the same one will "
            "fail again).",
            param=param,
            **common,
        )
    if short == "route_not_supported":
        return PlanRouteNotSupportedError(_TEXTS[short], **common)
    if short == "invalid_user":
        return PlanAuthError(_TEXTS[short], **common)
    if code and code.startswith("chatpass_v2_"):
        return PlanGrantError(
            f"ChatGPT did not authorize this operation for the app's grant ({code}); check the sign-in's granted "
            "scopes with `oauth-codex login --route siwc --enable-plan` rather than retrying.",
            **common,
        )
    if code == "model_not_found":
        return ModelNotSupportedError(
            "This model is not available for your ChatGPT plan connection; pick one from list_models().", **common
        )
    detail = f" ({message})" if message else ""
    if status == 401:
        return PlanAuthError(
            f"ChatGPT did not accept this app's sign-in or permission{detail}; check the account and granted scopes, "
            "or sign in again with `oauth-codex login --route siwc`.",
            **common,
        )
    if status == 403:
        return PlanNotEligibleError(
            f"A ChatGPT policy or permission check refused this request{detail}; it will not succeed on retry.",
            **common,
        )
    if status == 503 and code is None:
        return ServerError(
            f"ChatGPT plan usage (direct routing) is unavailable right now{detail}; your login is kept, try again "
            "later.",
            **common,
        )
    if status == 422:
        return PlanUnsupportedCapabilityError(
            f"The request was rejected as invalid{detail}; fix it before sending it again.", param=param, **common
        )
    return classify(status, parsed, headers)


def map_siwc_failure(error: CodexError) -> CodexError:
    """A stream failure with a SIWC code (``response.failed`` mid-stream) as its typed error; else unchanged."""
    if not isinstance(error, StreamError):
        return error
    code = _normalise(error.code)
    common: dict[str, Any] = {"status_code": 200, "body": None, "code": code}
    if code == _PREFIX + "usage_limit_exceeded":
        return PlanUsageLimitError(USAGE_LIMIT_TEXT, resets_at=None, retry_after=None, **common)
    if code in (_PREFIX + "usage_unavailable", _PREFIX + "user_unavailable"):
        return PlanUsageUnavailableError(_TEXTS[code[len(_PREFIX) :]], **common)
    return error
