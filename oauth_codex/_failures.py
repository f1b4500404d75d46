"""What a failed answer means: which error it is and whether to retry it (pure: no I/O).

The client's sync and async loops (through :class:`~oauth_codex._call.CallState`) and the other clients of the
core use these; nothing here sends anything.

* :func:`classify` maps an HTTP error response (status, body, headers) to the exception tree.
* :func:`classify_failure` maps a terminal ``response.failed`` / ``error`` event to a :class:`StreamError`.
* :func:`should_retry`, :func:`backoff_delay` and :func:`parse_retry_after` decide whether and when to
  re-send: 5xx, 429 rate limits, connection errors and timeouts are retried before any output reached the
  caller; 400, 403, usage limits and context-length errors never are.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from ._ratelimits import parse_rate_limits
from .errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    BlockedError,
    CodexError,
    ContextWindowExceededError,
    InvalidParameterError,
    ModelNotSupportedError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    StreamError,
    UsageLimitError,
)
from .policy import FATAL_STREAM_CODES, is_retryable
from .types import RateLimits

__all__ = [
    "FATAL_STREAM_CODES",
    "backoff_delay",
    "classify",
    "classify_failure",
    "model_not_supported",
    "parse_body",
    "parse_retry_after",
    "parse_try_again_in",
    "should_retry",
]

_UNSUPPORTED_PARAM = re.compile(r"Unsupported parameter: '?([A-Za-z0-9_.\[\]]+)")
_USAGE_TYPES = frozenset({"usage_limit_reached", "usage_not_included"})
_TRY_AGAIN = re.compile(r"try again in\s*(\d+(?:\.\d+)?)\s*(ms|seconds|second|s)\b", re.IGNORECASE)
_MODEL_NOT_SUPPORTED = re.compile(
    r"model.*not supported|not supported.*model|unsupported model", re.IGNORECASE
)
# audit §4 / §7: "The '<m>' model requires a newer version of Codex. Please upgrade ..." (client-version gating)
_MODEL_GATED = re.compile(r"requires a newer version of codex", re.IGNORECASE)
_QUOTED_MODEL = re.compile(r"""['"`]([A-Za-z0-9][A-Za-z0-9._:/-]*)['"`]""")
_CHALLENGE_MARKERS = ("cloudflare", "cf-chl", "challenge-platform", "just a moment", "attention required")
#: the longest server-suggested delay the client waits on its own
MAX_AUTO_RETRY_DELAY = 60.0


def parse_body(content: bytes | str) -> Any:
    """The error body as JSON when it is JSON, else as text (``None`` when empty)."""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def classify(
    status: int,
    body: bytes | str | Any,
    headers: Mapping[str, str] | None = None,
    *,
    now: float | None = None,
) -> APIError:
    """Map an HTTP error response from the backend to the matching :class:`~oauth_codex.errors.APIError`.

    ``body`` may be raw bytes/text (parsed here) or already-parsed JSON. Both body styles of the backend are
    understood: ``{"detail": ...}`` and ``{"error": {"message", "type", "code", ...}}``.
    """
    headers = headers or {}
    parsed = parse_body(body) if isinstance(body, bytes | str) else body
    rate_limits = parse_rate_limits(headers, now=now)
    request_id = _header(headers, "x-oai-request-id") or _header(headers, "x-request-id")
    message, code, err_type = _error_fields(parsed)
    common: dict[str, Any] = {
        "status_code": status,
        "body": parsed,
        "request_id": request_id,
        "code": code or err_type,
        "rate_limits": rate_limits,
    }
    if err_type in _USAGE_TYPES or code in _USAGE_TYPES:
        if status in (404, 429):
            return _usage_limit(parsed, err_type or code or "", rate_limits, common, now=now)
    if status == 404 and "rate_limit_exceeded" in (err_type, code):
        return RateLimitError(
            message or "Rate limit reached: wait a moment and try again.",
            retry_after=parse_retry_after(headers, now=now),
            **dict(common, status_code=429),
        )
    if status == 400:
        text = message or "The backend rejected the request (HTTP 400)."
        param = _bad_param(parsed, text)
        if param is not None and param != "model":
            return InvalidParameterError(text, param=param, **common)
        gated = bool(_MODEL_GATED.search(text))
        if gated or _MODEL_NOT_SUPPORTED.search(text):
            return model_not_supported(text, gated=gated, common=common)
        return BadRequestError(text, **common)
    if status == 401:
        return AuthenticationError(
            "The backend rejected the access token (HTTP 401"
            + (f": {message}" if message else "")
            + "). Log in again with `oauth-codex login`.",
            **common,
        )
    if status in (403, 503) and _is_challenge(status, parsed, headers):
        return _blocked(status, headers, common)
    if status == 403:
        text = (message or "Access denied") + " (HTTP 403). Check that you are logged in to the right account."
        return PermissionDeniedError(text, **common)
    if status == 404:
        return NotFoundError((message or "Not found") + " (HTTP 404)", **common)
    if status == 429:
        return RateLimitError(
            (message or "Too many requests") + " (HTTP 429). Wait a moment and try again.",
            retry_after=parse_retry_after(headers, now=now),
            **common,
        )
    if status >= 500:
        if status == 503 or code in ("server_is_overloaded", "slow_down"):
            text = f"The Codex backend is overloaded (HTTP {status}); try again in a little while."
        else:
            text = f"The Codex backend had an error (HTTP {status}); try again later."
        if message:
            text = f"{text} Server said: {message}"
        return ServerError(text, **common)
    if 300 <= status < 400:
        where = _header(headers, "location")
        return APIError(
            f"The backend redirected the request (HTTP {status}) to {where or 'another URL'}, so base_url (or "
            "CODEX_OAUTH_BASE_URL) is probably wrong: the default is https://chatgpt.com/backend-api/codex.",
            **common,
        )
    return APIError((message or "Unexpected response") + f" (HTTP {status})", **common)


def model_not_supported(
    detail: str, *, gated: bool, common: dict[str, Any], available: list[str] | None = None
) -> ModelNotSupportedError:
    """A :class:`ModelNotSupportedError` whose message names the model, the fix and ``available`` slugs."""
    from ._catalog import model_error_message

    match = _QUOTED_MODEL.search(detail)
    model = match.group(1) if match else None
    text = model_error_message(model, gated=gated, available=available or [], detail=detail)
    return ModelNotSupportedError(text, model=model, gated=gated, available_models=available, **common)


def _is_challenge(status: int, parsed: Any, headers: Mapping[str, str]) -> bool:
    """An HTML page (or Cloudflare's ``cf-mitigated``) where the backend answers JSON: a CDN block/challenge.

    403 + HTML is always a block (audit §4 "403 Cloudflare"); 503 + HTML only with a Cloudflare marker,
    since a plain 503 page from a load balancer is an ordinary overload that is worth retrying.
    """
    if _header(headers, "cf-mitigated"):
        return True
    content_type = (_header(headers, "content-type") or "").lower()
    html = "text/html" in content_type or (isinstance(parsed, str) and parsed.lstrip()[:1] == "<")
    if not html:
        return False
    if status == 403:
        return True
    page = parsed.lower() if isinstance(parsed, str) else ""
    return any(marker in page for marker in _CHALLENGE_MARKERS)


def _blocked(status: int, headers: Mapping[str, str], common: dict[str, Any]) -> BlockedError:
    ray = _header(headers, "cf-ray")
    challenge = (_header(headers, "cf-mitigated") or "").lower() == "challenge"
    what = "a Cloudflare challenge" if challenge else "Cloudflare (or another proxy) with an HTML page"
    text = (
        f"The request was blocked by {what} in front of the Codex backend (HTTP {status}"
        + (f", cf-ray {ray}" if ray else "")
        + "): try again later, from another network, or without a VPN/proxy."
    )
    return BlockedError(text, ray_id=ray, **common)


def _usage_limit(
    parsed: Any, kind: str, rate_limits: RateLimits | None, common: dict[str, Any], *, now: float | None
) -> UsageLimitError:
    error = parsed.get("error") if isinstance(parsed, dict) else None
    error = error if isinstance(error, dict) else {}
    plan_type = error.get("plan_type") if isinstance(error.get("plan_type"), str) else None
    if plan_type is None and rate_limits is not None:
        plan_type = rate_limits.plan_type
    resets_at = _timestamp(error.get("resets_at"))
    resets_in = error.get("resets_in_seconds")
    resets_in_seconds = float(resets_in) if isinstance(resets_in, int | float) else None
    if resets_at is None and resets_in_seconds is not None:
        base = datetime.now(UTC).timestamp() if now is None else now
        resets_at = _timestamp(base + resets_in_seconds)
    if resets_at is None and rate_limits is not None:
        windows = [w for w in (rate_limits.primary, rate_limits.secondary) if w and w.resets_at]
        exhausted = [w for w in windows if w.used_percent >= 100] or windows
        if exhausted:
            resets_at = exhausted[0].resets_at
    if kind == "usage_not_included":
        text = (
            "Codex is not included in your ChatGPT plan"
            + (f" ({plan_type})" if plan_type else "")
            + ". Upgrade the plan or use another account."
        )
    else:
        text = (
            "You have reached your Codex usage limit"
            + (f" on the {plan_type} plan" if plan_type else "")
            + ". "
        )
        if plan_type == "free":
            text += "Upgrade to Plus for more usage"
        elif plan_type in ("team", "business", "enterprise", "edu"):
            text += "Ask your workspace admin for more usage"
        else:
            text += "Upgrade to Pro or buy credits for more usage"
        if resets_at is not None:
            text += ", or try again at " + resets_at.astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()
        text += "."
    common = dict(common, status_code=429 if common["status_code"] == 404 else common["status_code"])
    common["code"] = kind
    return UsageLimitError(
        text,
        plan_type=plan_type,
        resets_at=resets_at,
        resets_in_seconds=resets_in_seconds,
        retry_after=None,
        **common,
    )


def classify_failure(event: Mapping[str, Any], *, partial_text: str = "") -> StreamError:
    """Map a terminal ``response.failed`` or ``error`` event to a :class:`StreamError`.

    ``context_length_exceeded`` becomes :class:`ContextWindowExceededError`; ``retry_after`` is parsed from
    messages like "Please try again in 11.054s".
    """
    response = event.get("response")
    response = response if isinstance(response, dict) else {}
    error: Any = response.get("error") if event.get("type") == "response.failed" else None
    if error is None:
        error = event.get("error")
    if not isinstance(error, dict):
        error = {k: event[k] for k in ("code", "message", "param") if k in event}
    code = error.get("code") if isinstance(error.get("code"), str) else None
    if code is None and isinstance(error.get("type"), str):
        code = error["type"]
    message = error.get("message") if isinstance(error.get("message"), str) else None
    retry_after = parse_try_again_in(message) if message else None
    response_id = response.get("id") if isinstance(response.get("id"), str) else None
    if code == "context_length_exceeded":
        text = (message or "The input is too long for the model's context window") + (
            " Shorten the conversation or start a new one."
        )
        return ContextWindowExceededError(
            text, code=code, partial_text=partial_text, response_id=response_id, retry_after=retry_after
        )
    label = "response.failed" if event.get("type") == "response.failed" else "an error event"
    text = f"The backend ended the response with {label}"
    text += f" ({code})" if code else ""
    text += f": {message}" if message else "."
    if code == "insufficient_quota":
        text += " Your quota is used up; check your plan."
    elif code and code.endswith("_policy"):
        text += " The request was blocked under the usage policy; re-sending it will not help, change the prompt."
    elif code == "invalid_request_error":
        text += " The backend rejected the request; change it before sending it again."
    elif code not in FATAL_STREAM_CODES:
        text += " Try again" + (f" in {retry_after:g}s." if retry_after else ".")
    return StreamError(
        text, code=code, partial_text=partial_text, response_id=response_id, retry_after=retry_after
    )


def parse_try_again_in(message: str) -> float | None:
    """Seconds from "try again in 11.054s" / "in 250ms" / "in 3 seconds" (case-insensitive), else ``None``."""
    match = _TRY_AGAIN.search(message)
    if not match:
        return None
    value = float(match.group(1))
    return value / 1000.0 if match.group(2).lower() == "ms" else value


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` (seconds or HTTP date) or ``retry-after-ms`` header, else ``None``."""
    raw_ms = _header(headers, "retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000.0)
        except ValueError:
            pass
    raw = _header(headers, "retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    base = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - base)


def should_retry(error: CodexError | None, *, status: int | None = None, retry_after: float | None = None) -> bool:
    """Whether a failed attempt may be re-sent (when nothing reached the caller yet).

    Retried (:func:`oauth_codex.policy.is_retryable`): 5xx, connection errors and timeouts (``error=None``
    with ``status=None``), 429 rate limits (not usage limits), and ``response.failed`` codes other than the
    fatal ones. Never: other 4xx (400, 401 is handled separately, 403, 404), usage limits and
    context-length/quota/policy errors. A server asking for a longer wait than
    ``MAX_AUTO_RETRY_DELAY`` (``Retry-After`` or "try again in ...") gets the error raised at once: the
    client never sleeps minutes on its own.
    """
    if error is None:  # a connection error or timeout (no status), or a bare status
        return status is None or (status >= 500 and (retry_after is None or retry_after <= MAX_AUTO_RETRY_DELAY))
    if not is_retryable(error):  # one policy for the client and the adapters (BlockedError is a 403 class)
        return False
    wait = retry_after if retry_after is not None else getattr(error, "retry_after", None)
    return wait is None or wait <= MAX_AUTO_RETRY_DELAY


def backoff_delay(
    attempt: int,
    *,
    base: float = 0.2,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Delay before retry number ``attempt`` (1-based): ``base * 2**(attempt-1) * U(0.9, 1.1)``.

    A server-suggested ``retry_after`` (seconds) wins when given, capped at ``MAX_AUTO_RETRY_DELAY``.
    """
    if retry_after is not None:
        return min(max(retry_after, 0.0), MAX_AUTO_RETRY_DELAY)
    jitter = (rng or random).uniform(0.9, 1.1)  # noqa: S311 - jitter, not security
    return float(base * (2 ** max(attempt - 1, 0)) * jitter)


def _error_fields(parsed: Any) -> tuple[str | None, str | None, str | None]:
    """(message, code, type) from either body style."""
    if isinstance(parsed, dict):
        detail = parsed.get("detail")
        error = parsed.get("error")
        if isinstance(error, dict):
            message = error.get("message")
            code = error.get("code")
            kind = error.get("type")
            return (
                message if isinstance(message, str) else (detail if isinstance(detail, str) else None),
                code if isinstance(code, str) else None,
                kind if isinstance(kind, str) else None,
            )
        if isinstance(detail, str):
            return detail, None, None
        if isinstance(detail, dict | list):
            return json.dumps(detail), None, None
        if isinstance(error, str):
            desc = parsed.get("error_description") or parsed.get("message")
            return (desc if isinstance(desc, str) else error), error, None
        message = parsed.get("message")
        return (message if isinstance(message, str) else None), None, None
    if isinstance(parsed, str):
        text = parsed.strip()
        if text.lower().startswith("<"):
            return None, None, None
        return text[:500] or None, None, None
    return None, None, None


def _bad_param(parsed: Any, text: str) -> str | None:
    """The parameter a 400 names: ``error.param``, or the one in "Unsupported parameter: X"."""
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(error, dict) and isinstance(error.get("param"), str) and error["param"]:
        return str(error["param"])
    match = _UNSUPPORTED_PARAM.search(text)
    return match.group(1) if match else None


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        for key, candidate in headers.items():
            if key.lower() == name:
                return candidate
    return value
