"""Usage limits, the pure parts: wham/usage parsing, the budget decision, the wait decision (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oauth_codex import UsageBudgetExceededError, UsageLimitError, UsageSnapshot
from oauth_codex._ratelimits import parse_rate_limits
from oauth_codex._usage import (
    FRESH_FOR,
    RESET_MARGIN,
    budget_error,
    budget_from_env,
    check_budget,
    check_policy,
    parse_usage,
    snapshot_from_rate_limits,
    span,
    usage_url,
    wait_seconds,
)
from oauth_codex.types import RateLimitWindow

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)

#: the shape third-party clients document (robinebers/openusage docs/providers/codex.md), plus extras
DOC: dict[str, Any] = {
    "plan_type": "plus",
    "email": "someone@example.com",
    "rate_limit": {
        "allowed": True,
        "limit_reached": False,
        "primary_window": {"used_percent": 62, "reset_at": 1777900000, "limit_window_seconds": 18000},
        "secondary_window": {"used_percent": 24, "reset_at": 1778400000, "limit_window_seconds": 604800},
    },
    "code_review_rate_limit": {
        "primary_window": {"used_percent": 0, "reset_at": 1778400000, "limit_window_seconds": 604800}
    },
    "credits": {"has_credits": True, "unlimited": False, "balance": 5.39},
}


# ------------------------------------------------------------------------------------------- URL


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("https://chatgpt.com/backend-api/codex", "https://chatgpt.com/backend-api/wham/usage"),
        ("https://chatgpt.com/backend-api/codex/", "https://chatgpt.com/backend-api/wham/usage"),
        ("http://127.0.0.1:8080/backend-api/codex", "http://127.0.0.1:8080/backend-api/wham/usage"),
        ("https://chatgpt.com/backend-api", "https://chatgpt.com/backend-api/wham/usage"),
        ("http://localhost:9/prefix/backend-api/codex", "http://localhost:9/prefix/backend-api/wham/usage"),
        ("http://localhost:9/codex", "http://localhost:9/wham/usage"),
        ("http://localhost:9", "http://localhost:9/wham/usage"),
    ],
)
def test_usage_url(base: str, url: str) -> None:
    assert usage_url(base) == url


# ------------------------------------------------------------------------------------- snapshots


def test_parse_documented_shape() -> None:
    snap = parse_usage(DOC, fetched_at=NOW)
    assert snap.source == "usage_endpoint" and snap.fetched_at == NOW and snap.plan_type == "plus"
    assert snap.primary == RateLimitWindow(
        used_percent=62, window_minutes=300, resets_at=datetime.fromtimestamp(1777900000, UTC)
    )
    assert snap.secondary is not None and snap.secondary.window_minutes == 10080
    assert snap.code_review is not None and snap.code_review.used_percent == 0
    assert snap.credits is not None and snap.credits.balance == "5.39" and snap.credits.has_credits is True
    assert snap.raw == DOC
    assert list(snap.windows()) == ["primary", "secondary"]


def test_repr_hides_raw() -> None:
    text = repr(parse_usage(DOC, fetched_at=NOW))
    assert "someone@example.com" not in text and "raw" not in text
    assert "used_percent=62" in text


def test_parse_tolerates_odd_values() -> None:
    doc = {
        "plan_type": 7,
        "rate_limit": {
            "primary_window": {"used_percent": "12.5", "reset_after_seconds": 60, "limit_window_seconds": None},
            "secondary_window": {"used_percent": None},
        },
        "code_review_rate_limit": [],
        "credits": {"has_credits": "yes", "balance": ""},
    }
    snap = parse_usage(doc, fetched_at=NOW)
    assert snap.plan_type is None
    assert snap.primary is not None and snap.primary.used_percent == 12.5
    assert snap.primary.resets_at == NOW + timedelta(seconds=60) and snap.primary.window_minutes is None
    assert snap.secondary is None and snap.code_review is None
    assert snap.credits is not None and snap.credits.has_credits is None and snap.credits.balance is None
    iso = parse_usage(
        {"rate_limit": {"primary_window": {"used_percent": 1, "reset_at": "2026-05-04T17:00:00Z"}}},
        fetched_at=NOW,
    )
    assert iso.primary is not None and iso.primary.resets_at == datetime(2026, 5, 4, 17, tzinfo=UTC)
    assert parse_usage({}, fetched_at=NOW).windows() == {}
    with pytest.raises(ValueError, match="JSON object"):
        parse_usage(["not", "an", "object"], fetched_at=NOW)


JSON = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
)


@given(JSON)
def test_parse_never_raises_on_objects(value: Any) -> None:
    for doc in ({"rate_limit": {"primary_window": value}, "credits": value}, {"rate_limit": value}):
        parse_usage(doc, fetched_at=NOW)


def test_snapshot_from_headers() -> None:
    limits = parse_rate_limits(
        {
            "x-codex-plan-type": "pro",
            "x-codex-primary-used-percent": "93",
            "x-codex-primary-window-minutes": "300",
            "x-codex-primary-reset-at": "1777900000",
        }
    )
    assert limits is not None
    snap = snapshot_from_rate_limits(limits, fetched_at=NOW)
    assert snap.source == "headers" and snap.plan_type == "pro"
    assert snap.primary is not None and snap.primary.used_percent == 93
    assert snap.raw["x-codex-primary-used-percent"] == "93"


# ---------------------------------------------------------------------------------- budget guard


def snapshot(primary: float, secondary: float = 0.0, *, source: str = "headers", age: float = 0.0) -> UsageSnapshot:
    return UsageSnapshot(
        plan_type="plus",
        primary=RateLimitWindow(used_percent=primary, window_minutes=300, resets_at=NOW + timedelta(hours=2)),
        secondary=RateLimitWindow(
            used_percent=secondary, window_minutes=10080, resets_at=NOW + timedelta(days=3)
        ),
        fetched_at=NOW - timedelta(seconds=age),
        source=source,  # type: ignore[arg-type]
    )


def test_budget_under_and_at() -> None:
    assert budget_error(snapshot(89.9), 0.9, now=NOW) is None
    error = budget_error(snapshot(90), 0.9, now=NOW)
    assert isinstance(error, UsageBudgetExceededError) and isinstance(error, UsageLimitError)
    assert error.window == "primary" and error.used_percent == 90 and error.budget == 0.9
    assert error.resets_at == NOW + timedelta(hours=2) and error.plan_type == "plus"
    assert error.status_code == 429 and error.code == "usage_budget_exceeded"
    assert "primary" in str(error) and "90 % used" in str(error) and "(in 2 h 0 min)" in str(error)
    assert "usage_budget" in str(error)


def test_budget_reports_the_window_that_resets_last() -> None:
    error = budget_error(snapshot(95, 97), 0.9, now=NOW)
    assert error is not None and error.window == "secondary" and "weekly" in str(error)


def test_budget_knowledge_rules() -> None:
    assert budget_error(None, 0.9, now=NOW) is None
    assert budget_error(snapshot(99), None, now=NOW) is None
    # headers of earlier calls count whatever their age; an endpoint snapshot for a minute
    assert budget_error(snapshot(99, age=3600), 0.9, now=NOW) is not None
    assert budget_error(snapshot(99, source="usage_endpoint", age=30), 0.9, now=NOW) is not None
    stale = FRESH_FOR.total_seconds() + 1
    assert budget_error(snapshot(99, source="usage_endpoint", age=stale), 0.9, now=NOW) is None
    # a window whose reset has passed is empty again
    assert budget_error(snapshot(99), 0.9, now=NOW + timedelta(hours=3)) is None


def test_check_budget() -> None:
    assert check_budget(None) is None
    assert check_budget(1) == 1.0
    for bad in (0, -0.1, 1.5, 90, True, "0.9"):
        with pytest.raises(ValueError, match="usage_budget"):
            check_budget(bad)  # type: ignore[arg-type]


def test_budget_from_env() -> None:
    assert budget_from_env({}) is None
    assert budget_from_env({"CODEX_OAUTH_USAGE_BUDGET": " "}) is None
    assert budget_from_env({"CODEX_OAUTH_USAGE_BUDGET": "0.8"}) == 0.8
    assert budget_from_env({"CODEX_OAUTH_USAGE_BUDGET": "85%"}) == 0.85
    for bad in ("lots", "90", "0"):
        with pytest.raises(ValueError, match="CODEX_OAUTH_USAGE_BUDGET"):
            budget_from_env({"CODEX_OAUTH_USAGE_BUDGET": bad})


# ---------------------------------------------------------------------------------- wait policy


def limit(resets_in: float | None, code: str = "usage_limit_reached") -> UsageLimitError:
    return UsageLimitError(
        "limit",
        status_code=429,
        code=code,
        resets_at=None if resets_in is None else NOW + timedelta(seconds=resets_in),
    )


def test_check_policy() -> None:
    assert check_policy("raise", None) is None
    assert check_policy("wait", 60) == 60.0
    with pytest.raises(ValueError, match="needs max_wait"):
        check_policy("wait", None)
    with pytest.raises(ValueError, match="only applies"):
        check_policy("raise", 60)
    with pytest.raises(ValueError, match="'raise'"):
        check_policy("sleep", 60)
    for bad in (-1, float("inf"), True):
        with pytest.raises(ValueError, match="max_wait"):
            check_policy("wait", bad)


def test_wait_seconds() -> None:
    assert wait_seconds(limit(100), max_wait=None, waited=0, now=NOW) is None  # "raise"
    assert wait_seconds(limit(100), max_wait=200, waited=0, now=NOW) == 100 + RESET_MARGIN
    assert wait_seconds(limit(100), max_wait=100, waited=0, now=NOW) is None  # outside max_wait
    assert wait_seconds(limit(100), max_wait=200, waited=150, now=NOW) is None  # max_wait is per call
    assert wait_seconds(limit(None), max_wait=200, waited=0, now=NOW) is None  # unknown reset
    assert wait_seconds(limit(-5), max_wait=200, waited=0, now=NOW) == RESET_MARGIN  # already passed
    assert wait_seconds(limit(10, "usage_not_included"), max_wait=200, waited=0, now=NOW) is None


def test_span() -> None:
    assert span(42.2) == "43 s"
    assert span(125) == "2 min 5 s"
    assert span(8040) == "2 h 14 min"
    assert span(3 * 86400 + 4 * 3600 + 5) == "3 d 4 h"
