"""Error classification and the retry policy (pure)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from oauth_codex import (
    APIError,
    AuthenticationError,
    BadRequestError,
    BlockedError,
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
from oauth_codex._failures import (
    backoff_delay,
    classify,
    classify_failure,
    parse_retry_after,
    parse_try_again_in,
    should_retry,
)

FIXTURES = Path(__file__).parent.parent / "fixtures"
NOW = 1777922696.0  # 13872 s before the recorded resets_at


def usage_examples() -> list[dict[str, Any]]:
    return json.loads((FIXTURES / "chatgpt_429_usage_limit_reached.json").read_text())["examples"]


@pytest.mark.parametrize(
    ("detail", "cls"),
    [
        ("Store must be set to false", BadRequestError),
        ("Instructions are required", BadRequestError),
        ("Unsupported parameter: max_output_tokens", InvalidParameterError),
        (
            "The 'gpt-4o' model is not supported when using Codex with a ChatGPT account.",
            ModelNotSupportedError,
        ),
    ],
)
def test_400_detail_is_the_message(detail: str, cls: type[BadRequestError]) -> None:
    error = classify(400, json.dumps({"detail": detail}).encode(), {"x-oai-request-id": "req-1"})
    assert type(error) is cls
    if cls is ModelNotSupportedError:  # the backend's detail is quoted inside a message that says what to do
        assert detail.rstrip(".") in str(error) and "CODEX_OAUTH_MODEL" in str(error)
    else:
        assert str(error) == detail
    assert error.status_code == 400
    assert error.request_id == "req-1"
    assert error.body == {"detail": detail}


def test_400_error_envelope() -> None:
    body = {
        "error": {
            "message": "No tool call found for function call output with call_id call_x.",
            "type": "invalid_request_error",
            "param": "input",
            "code": None,
        }
    }
    error = classify(400, json.dumps(body))
    assert isinstance(error, BadRequestError)
    assert str(error) == body["error"]["message"]
    assert error.code == "invalid_request_error"


def test_usage_limit_429_from_recorded_issue() -> None:
    example = usage_examples()[0]
    error = classify(429, json.dumps(example["body"]).encode(), example["headers"], now=NOW)
    assert type(error) is UsageLimitError
    assert error.plan_type == "plus"
    assert error.resets_at == datetime.fromtimestamp(1777936568, UTC)
    assert error.resets_in_seconds == 13872
    assert error.code == "usage_limit_reached"
    assert error.rate_limits is not None and error.rate_limits.primary is not None
    assert error.rate_limits.primary.used_percent == 100
    assert "Upgrade to Pro or buy credits" in str(error) and "try again at" in str(error)


def test_usage_limit_free_plan_body_only() -> None:
    example = usage_examples()[2]
    error = classify(429, json.dumps(example["body"]), None)
    assert isinstance(error, UsageLimitError)
    assert error.plan_type == "free"
    assert "Upgrade to Plus" in str(error)


def test_usage_limit_headers_only_uses_the_exhausted_window() -> None:
    example = usage_examples()[1]
    error = classify(429, b"", example["headers"], now=NOW)
    # no usage type in the body: a plain rate limit, but rate limits are parsed
    assert type(error) is RateLimitError
    assert error.rate_limits is not None and error.rate_limits.plan_type == "free"
    assert error.request_id == "330d479b-6fb9-491c-855c-1bdebf1174ff"


def test_404_with_usage_limit_json_is_a_429() -> None:
    example = usage_examples()[0]
    error = classify(404, json.dumps(example["body"]), example["headers"])
    assert type(error) is UsageLimitError
    assert error.status_code == 429


def test_usage_not_included() -> None:
    error = classify(429, json.dumps({"error": {"type": "usage_not_included", "plan_type": "free"}}))
    assert isinstance(error, UsageLimitError)
    assert error.code == "usage_not_included"
    assert "not included" in str(error)


def test_generic_429_retry_after() -> None:
    error = classify(429, b'{"detail": "slow down"}', {"Retry-After": "2.5"})
    assert type(error) is RateLimitError
    assert error.retry_after == 2.5


def test_401_403_404_5xx() -> None:
    assert type(classify(401, b'{"detail":"Unauthorized"}')) is AuthenticationError
    cf = classify(403, b"<html><title>Attention Required! | Cloudflare</title>blocked</html>")
    assert type(cf) is BlockedError and isinstance(cf, PermissionDeniedError) and "Cloudflare" in str(cf)
    assert "<html" not in str(cf) and "Attention Required" not in str(cf)
    assert "Bearer" not in str(cf)
    denied = classify(403, b'{"detail": "account mismatch"}')
    assert "account mismatch" in str(denied)
    body = {
        "error": {"message": "Item with id 'rs_1' not found.", "type": "invalid_request_error", "code": None}
    }
    not_found = classify(404, json.dumps(body))
    assert type(not_found) is NotFoundError and "rs_1" in str(not_found)
    overloaded = classify(503, b'{"error":{"code":"server_is_overloaded"}}')
    assert type(overloaded) is ServerError and "overloaded" in str(overloaded)
    assert overloaded.code == "server_is_overloaded"
    assert type(classify(502, b"Bad gateway")) is ServerError
    assert type(classify(418, b"teapot")) is APIError


def test_a_redirect_says_where_it_went_and_blames_base_url() -> None:
    """Not "Unexpected response (HTTP 307)" (issue 15, item 12)."""
    error = classify(307, b"", {"location": "https://chatgpt.com/backend-api/codex/responses/"})
    text = str(error)
    assert "HTTP 307" in text and "https://chatgpt.com/backend-api/codex/responses/" in text
    assert "base_url" in text and "Unexpected response" not in text


def test_classify_never_fails_on_odd_bodies() -> None:
    for body in (b"", b"\xff\xfe", b"null", b"[1]", b'{"detail": {"x": 1}}', b'{"error": "invalid_grant"}'):
        assert isinstance(classify(400, body), BadRequestError)


def test_failure_events() -> None:
    failed = {
        "type": "response.failed",
        "response": {"id": "resp_9", "error": {"code": "server_error", "message": "oops"}},
    }
    error = classify_failure(failed, partial_text="ab")
    assert type(error) is StreamError and error.code == "server_error" and error.partial_text == "ab"
    assert should_retry(error)
    ctx = classify_failure(
        {"type": "response.failed", "response": {"error": {"code": "context_length_exceeded"}}}
    )
    assert type(ctx) is ContextWindowExceededError and not should_retry(ctx)
    quota = classify_failure(
        {"type": "response.failed", "response": {"error": {"code": "insufficient_quota"}}}
    )
    assert not should_retry(quota)
    missing = classify_failure({"type": "response.failed", "response": {}})
    assert missing.code is None and should_retry(missing)


@pytest.mark.parametrize(
    ("message", "seconds"),
    [
        ("Please try again in 11.054s. Visit ...", 11.054),
        ("try again in 250ms", 0.25),
        ("Try Again In 3 seconds", 3.0),
        ("no hint", None),
    ],
)
def test_try_again_in(message: str, seconds: float | None) -> None:
    assert parse_try_again_in(message) == seconds


def test_retry_after_header_forms() -> None:
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "1500"}) == 1.5
    assert parse_retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:10 GMT"}, now=1445412480.0) == 10.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def test_should_retry_by_status() -> None:
    assert should_retry(None, status=500) and should_retry(None, status=503)
    for status in (400, 401, 403, 404, 429):
        assert not should_retry(None, status=status)
    assert should_retry(None)  # connection error
    assert not should_retry(classify(429, json.dumps(usage_examples()[0]["body"])))
    long_wait = classify_failure(
        {
            "type": "response.failed",
            "response": {"error": {"code": "rate_limit_exceeded", "message": "try again in 600s"}},
        }
    )
    assert not should_retry(long_wait)


def test_backoff() -> None:
    rng = random.Random(1)
    delays = [backoff_delay(n, rng=rng) for n in range(1, 6)]
    for n, delay in enumerate(delays, start=1):
        assert 0.2 * 2 ** (n - 1) * 0.9 <= delay <= 0.2 * 2 ** (n - 1) * 1.1
    assert backoff_delay(1, retry_after=1.5) == 1.5
    assert backoff_delay(1, retry_after=10_000) == 60.0
    assert backoff_delay(3, base=0.001, rng=rng) < 0.01


def test_error_event_with_a_4xx_is_not_retried() -> None:
    # SPEC §4.5: the error event seen as {"type":"error","status":400,"error":{"type":"invalid_request_error",...}};
    # §4.8: a 400 is never re-sent (re-sending the same body gets the same answer)
    event = {
        "type": "error",
        "status": 400,
        "error": {"type": "invalid_request_error", "message": "Invalid value for 'input'."},
    }
    error = classify_failure(event)
    assert error.code == "invalid_request_error"
    assert not should_retry(error)
    assert "Invalid value for 'input'." in str(error) and "Try again" not in str(error)
    # a 5xx-ish error event stays retryable
    assert should_retry(classify_failure({"type": "error", "code": "server_error", "message": "oops"}))


def test_404_with_rate_limit_json_is_a_429() -> None:
    # SPEC §4.7: a 404 whose error type/code is rate_limit_exceeded is handled as a 429
    body = {"error": {"type": "rate_limit_exceeded", "message": "Rate limit reached."}}
    error = classify(404, json.dumps(body), {"Retry-After": "3"})
    assert type(error) is RateLimitError
    assert error.status_code == 429 and error.retry_after == 3.0


def test_html_challenges_are_blocked_and_plain_503_pages_are_server_errors() -> None:
    # audit §4 "403 Cloudflare" / issue 14 item 5: never quote the page, never retry a challenge
    page = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>cf-chl</body></html>"
    blocked = classify(503, page, {"content-type": "text/html", "cf-ray": "8f00-AMS"})
    assert type(blocked) is BlockedError and blocked.ray_id == "8f00-AMS"
    assert "8f00-AMS" in str(blocked) and "Just a moment" not in str(blocked)
    assert not should_retry(blocked, status=503)
    mitigated = classify(403, b"", {"cf-mitigated": "challenge"})
    assert type(mitigated) is BlockedError and "Cloudflare challenge" in str(mitigated)
    plain = classify(503, b"<html><body>Service Temporarily Unavailable</body></html>", {"content-type": "text/html"})
    assert type(plain) is ServerError and should_retry(plain, status=503)


def test_gated_model_400_is_model_not_supported() -> None:
    detail = (
        "The 'gpt-6-astra' model requires a newer version of Codex. "
        "Please upgrade to the latest app or CLI and try again."
    )
    error = classify(400, json.dumps({"detail": detail}).encode())
    assert type(error) is ModelNotSupportedError
    assert error.gated and error.model == "gpt-6-astra"
    assert "CODEX_OAUTH_CLIENT_VERSION" in str(error)


def test_policy_failures_are_fatal() -> None:
    for code in ("bio_policy", "cyber_policy", "some_new_policy"):
        event = {"type": "response.failed", "response": {"id": "r", "error": {"code": code, "message": "no"}}}
        error = classify_failure(event)
        assert error.code == code and not should_retry(error), code


def test_an_unsupported_parameter_value_is_an_invalid_parameter_not_a_missing_model() -> None:
    """"'none' is not supported with the 'gpt-5.3-codex' model" names the model but is about reasoning.effort."""
    body = {
        "error": {
            "message": "Unsupported value: 'none' is not supported with the 'gpt-5.3-codex' model. "
            "Supported values are: 'low', 'medium' and 'high'.",
            "type": "invalid_request_error",
            "param": "reasoning.effort",
            "code": "unsupported_value",
        }
    }
    error = classify(400, json.dumps(body))
    assert isinstance(error, InvalidParameterError) and isinstance(error, BadRequestError)
    assert not isinstance(error, ModelNotSupportedError)
    assert error.param == "reasoning.effort" and "Supported values" in str(error)
    unsupported = classify(400, json.dumps({"detail": "Unsupported parameter: temperature"}))
    assert isinstance(unsupported, InvalidParameterError) and unsupported.param == "temperature"
    model = classify(
        400, json.dumps({"detail": "The 'gpt-4o' model is not supported when using Codex with a ChatGPT account."})
    )
    assert isinstance(model, ModelNotSupportedError) and not isinstance(model, InvalidParameterError)


def test_429_rate_limits_are_retried_usage_limits_never() -> None:
    rate = classify(429, json.dumps({"error": {"type": "rate_limit_exceeded", "message": "slow down"}}))
    assert isinstance(rate, RateLimitError) and should_retry(rate, status=429)
    assert should_retry(rate, status=429, retry_after=60) and not should_retry(rate, status=429, retry_after=61)
    assert not should_retry(classify(429, json.dumps(usage_examples()[0]["body"])), status=429)
