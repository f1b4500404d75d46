"""x-codex-* headers -> RateLimits (pure; never fails on bad headers)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from oauth_codex._ratelimits import parse_rate_limits

FIXTURES = Path(__file__).parent.parent / "fixtures"


def examples() -> list[dict[str, object]]:
    return json.loads((FIXTURES / "chatgpt_429_usage_limit_reached.json").read_text())["examples"]


def test_plus_sample() -> None:
    headers = examples()[0]["headers"]
    assert isinstance(headers, dict)
    limits = parse_rate_limits(headers)
    assert limits is not None
    assert limits.primary is not None and limits.secondary is not None
    assert limits.primary.used_percent == 100.0
    assert limits.primary.window_minutes == 300
    assert limits.primary.resets_at == datetime.fromtimestamp(1777936568, UTC)
    assert limits.primary.reset_after_seconds == 13873
    assert limits.secondary.used_percent == 80.0 and limits.secondary.window_minutes == 10080
    assert limits.primary_over_secondary_limit_percent == 0.0
    assert limits.credits is not None
    assert limits.credits.has_credits is False and limits.credits.unlimited is False
    assert limits.credits.balance == "0"
    assert limits.active_limit == "premium"
    assert limits.plan_type == "plus"
    assert limits.raw["x-codex-plan-type"] == "plus"


def test_free_sample_secondary_window_absent() -> None:
    headers = examples()[1]["headers"]
    assert isinstance(headers, dict)
    limits = parse_rate_limits(headers)
    assert limits is not None
    assert limits.primary is not None and limits.primary.window_minutes == 10080
    # used 0, window 0, reset-at "" and reset-after 0 -> no secondary window (the CLI's rule)
    assert limits.secondary is None
    assert limits.credits is not None and limits.credits.balance is None
    assert limits.request_id == "330d479b-6fb9-491c-855c-1bdebf1174ff"
    assert limits.promo_message is not None and limits.promo_message.startswith("To continue using Codex")


def test_reset_after_only_uses_now() -> None:
    limits = parse_rate_limits(
        {"x-codex-primary-used-percent": "5", "x-codex-primary-reset-after-seconds": "60"}, now=1000.0
    )
    assert limits is not None and limits.primary is not None
    assert limits.primary.resets_at == datetime.fromtimestamp(1060, UTC)


def test_no_codex_headers() -> None:
    assert parse_rate_limits({"content-type": "text/event-stream", "x-oai-request-id": "r"}) is None


def test_bad_values_are_ignored() -> None:
    limits = parse_rate_limits(
        {
            "X-Codex-Primary-Used-Percent": "lots",
            "x-codex-secondary-used-percent": "12.5",
            "x-codex-secondary-window-minutes": "nan",
            "x-codex-secondary-reset-at": "99999999999999999999",
            "x-codex-credits-has-credits": "TRUE",
            "x-codex-credits-unlimited": "maybe",
        }
    )
    assert limits is not None
    assert limits.primary is None
    assert limits.secondary is not None and limits.secondary.used_percent == 12.5
    assert limits.secondary.window_minutes is None and limits.secondary.resets_at is None
    assert (
        limits.credits is not None and limits.credits.has_credits is True and limits.credits.unlimited is None
    )


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "x-codex-primary-used-percent",
                "x-codex-primary-window-minutes",
                "x-codex-primary-reset-at",
                "x-codex-primary-reset-after-seconds",
                "x-codex-secondary-used-percent",
                "x-codex-credits-balance",
                "x-codex-credits-has-credits",
                "x-codex-primary-over-secondary-limit-percent",
            ]
        ),
        st.text(max_size=30),
    )
)
def test_never_raises(headers: dict[str, str]) -> None:
    parse_rate_limits(headers)


def test_per_model_families() -> None:
    # SPEC §4.6: x-codex-<family>-* headers (`_` <-> `-`), each with its own windows and limit name
    headers = {
        "x-codex-primary-used-percent": "12.5",
        "x-codex-primary-window-minutes": "300",
        "x-codex-bengalfox-primary-used-percent": "80",
        "x-codex-bengalfox-primary-window-minutes": "300",
        "x-codex-bengalfox-primary-reset-at": "1704074400",
        "x-codex-bengalfox-secondary-used-percent": "20",
        "x-codex-bengalfox-secondary-window-minutes": "10080",
        "x-codex-bengalfox-limit-name": " gpt-5.2-codex-sonic ",
        "X-Codex-Other-Model-Primary-Used-Percent": "5",
        # window "absent" by the CLI's rule (all zero, no reset): the family is dropped
        "x-codex-idle-primary-used-percent": "0",
        "x-codex-idle-primary-window-minutes": "0",
    }
    limits = parse_rate_limits(headers)
    assert limits is not None
    assert limits.primary is not None and limits.primary.used_percent == 12.5
    assert sorted(limits.families) == ["codex_bengalfox", "codex_other_model"]
    fox = limits.families["codex_bengalfox"]
    assert fox.limit_id == "codex_bengalfox"
    assert fox.limit_name == "gpt-5.2-codex-sonic"
    assert fox.primary is not None and fox.primary.used_percent == 80.0
    assert fox.primary.resets_at == datetime.fromtimestamp(1704074400, UTC)
    assert fox.secondary is not None and fox.secondary.window_minutes == 10080
    other = limits.families["codex_other_model"]
    assert other.primary is not None and other.primary.used_percent == 5.0
    assert other.secondary is None and other.limit_name is None


def test_family_headers_alone_are_reported() -> None:
    limits = parse_rate_limits({"x-codex-bengalfox-primary-used-percent": "80"})
    assert limits is not None
    assert limits.primary is None and limits.secondary is None
    assert list(limits.families) == ["codex_bengalfox"]


def test_default_windows_are_not_families() -> None:
    headers = examples()[0]["headers"]
    assert isinstance(headers, dict)
    limits = parse_rate_limits(headers)
    assert limits is not None and limits.families == {}
