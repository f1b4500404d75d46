"""This project's errors as the ``openai`` SDK's own exceptions, with the original as ``__cause__``.

The transport raises the SDK exception itself instead of answering with an error status: the SDK
re-raises an ``OpenAIError`` from its transport as it is (no retry, no wrapping), whereas for an error
status it raises ``... from None``, which would drop the cause. The exception *class* still comes from the
SDK's own status mapping (``client._make_status_error``), so ``except openai.RateLimitError`` and friends
work, and ``err.status_code``, ``err.body``, ``err.code`` and ``err.request_id`` look as they do on the
platform API.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx2
import openai

from ..errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthError,
    CodexError,
    ContextWindowExceededError,
    StreamError,
    UsageLimitError,
)

__all__ = ["StatusErrorFactory", "to_openai_error"]

StatusErrorFactory = Callable[..., openai.APIStatusError]

_DROPPED = frozenset({"stream_disconnected", "stream_timeout", "stream_incomplete"})
_STREAM_STATUS = {
    "context_length_exceeded": 400,
    "invalid_prompt": 400,
    "cyber_policy": 400,
    "invalid_request_error": 400,
    "rate_limit_exceeded": 429,
    "insufficient_quota": 429,
    "usage_limit_reached": 429,
    "usage_not_included": 429,
}


def _status_and_error(exc: BaseException) -> tuple[int, dict[str, Any]]:
    """The HTTP status and the platform-style ``error`` object that stand for ``exc``."""
    message = str(exc)
    if isinstance(exc, APIError):
        error: dict[str, Any] = {"message": message, "type": _type_of(exc), "code": exc.code, "param": None}
        if isinstance(exc, UsageLimitError):
            error["plan_type"] = exc.plan_type
            error["resets_at"] = int(exc.resets_at.timestamp()) if exc.resets_at else None
            error["resets_in_seconds"] = exc.resets_in_seconds
        return exc.status_code, error
    if isinstance(exc, StreamError):
        status = 400 if isinstance(exc, ContextWindowExceededError) else _STREAM_STATUS.get(exc.code or "", 500)
        return status, {"message": message, "type": "server_error", "code": exc.code, "param": None}
    if isinstance(exc, AuthError):
        return 401, {"message": message, "type": "invalid_request_error", "code": "not_authenticated", "param": None}
    return 400, {"message": message, "type": "invalid_request_error", "code": None, "param": None}


def _type_of(exc: APIError) -> str:
    if exc.status_code == 429:
        return "usage_limit_reached" if isinstance(exc, UsageLimitError) else "rate_limit_exceeded"
    return "server_error" if exc.status_code >= 500 else "invalid_request_error"


def to_openai_error(
    exc: CodexError | ValueError,
    request: httpx2.Request,
    status_error: StatusErrorFactory,
    *,
    in_stream: bool = False,
) -> openai.OpenAIError:
    """The ``openai`` exception for ``exc`` (raise it ``from exc``).

    Connection problems (including a stream cut off before its terminal event) become
    ``openai.APIConnectionError`` / ``APITimeoutError``; a failure inside a stream that already answered 200
    becomes ``openai.APIError`` (as the SDK raises for an error event); every other error becomes the SDK's
    status error for the matching HTTP status (401 for a missing login, 400 for a request that cannot be
    translated).
    """
    if isinstance(exc, APITimeoutError) or (isinstance(exc, StreamError) and exc.code == "stream_timeout"):
        return openai.APITimeoutError(request=request)
    if isinstance(exc, APIConnectionError) or (isinstance(exc, StreamError) and exc.code in _DROPPED):
        return openai.APIConnectionError(message=str(exc), request=request)
    status, error = _status_and_error(exc)
    if in_stream:
        return openai.APIError(error["message"], request, body=error)
    headers = {"content-type": "application/json"}
    request_id = getattr(exc, "request_id", None)
    if isinstance(request_id, str):
        headers["x-request-id"] = request_id
    body = {"error": error}
    response = httpx2.Response(status, headers=headers, content=json.dumps(body).encode(), request=request)
    return status_error(f"Error code: {status} - {error['message']}", body=body, response=response)
