"""Usage limits as CLI text: bars, window labels, durations, the countdown (no I/O but a StringIO)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from oauth_codex import UsageLimitError, UsageSnapshot
from oauth_codex._usage_text import Countdown, bar, parse_duration, usage_lines, window_label
from oauth_codex.types import Credits, RateLimitWindow

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


def test_bar() -> None:
    assert bar(0) == "[" + "." * 20 + "]"
    assert bar(62) == "[" + "#" * 12 + "." * 8 + "]"
    assert bar(100) == bar(250) == "[" + "#" * 20 + "]"
    assert bar(-3) == bar(0)


def test_window_label() -> None:
    assert window_label("primary", 300) == "primary (5 h)"
    assert window_label("secondary", 10080) == "secondary (weekly)"
    assert window_label("code_review", 10080) == "code review (weekly)"
    assert window_label("primary", 2880) == "primary (2 d)"
    assert window_label("primary", 45) == "primary (45 min)"
    assert window_label("primary", None) == "primary"


def test_usage_lines() -> None:
    snap = UsageSnapshot(
        plan_type="plus",
        primary=RateLimitWindow(used_percent=62, window_minutes=300, resets_at=NOW + timedelta(minutes=134)),
        secondary=RateLimitWindow(used_percent=30.5, window_minutes=10080),
        credits=Credits(has_credits=True, unlimited=False, balance="5.39"),
        fetched_at=NOW,
        source="usage_endpoint",
    )
    lines = usage_lines(snap, NOW)
    assert lines[0].startswith("primary (5 h)       [############........]    62 %  resets at ")
    assert lines[0].endswith("(in 2 h 14 min)")
    assert lines[1] == "secondary (weekly)  [######..............]  30.5 %"
    assert lines[2:] == ["credits: balance 5.39", "plan: plus"]
    empty = UsageSnapshot(fetched_at=NOW, source="headers")
    assert usage_lines(empty, NOW) == ["no usage windows reported", "plan: unknown"]
    unlimited = UsageSnapshot(fetched_at=NOW, source="headers", credits=Credits(unlimited=True))
    assert "credits: unlimited" in usage_lines(unlimited, NOW)


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("30m", 1800), ("5h", 18000), ("1.5 h", 5400), ("1d", 86400)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "5x", "-3", "inf", "h"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def limit() -> UsageLimitError:
    return UsageLimitError("limit", status_code=429, resets_at=datetime.now(UTC) + timedelta(seconds=150))


def test_countdown_on_a_terminal_redraws_one_line() -> None:
    out = io.StringIO()
    countdown = Countdown(out, tty=True)
    error = limit()
    for left in (150.0, 149.0, 75.0, 0.0):
        countdown(left, error)
    text = out.getvalue()
    assert text.count("\r") == 4 and text.endswith("\n") and text.count("\n") == 1
    frames = text.strip("\n").split("\r")[1:]
    assert "[....................] 2 min 30 s left" in frames[0]
    assert "[##########..........] 1 min 15 s left" in frames[2]
    assert "[####################] 0 s left" in frames[3]


def test_countdown_in_a_log_writes_a_line_per_minute() -> None:
    out = io.StringIO()
    clock = [0.0]
    countdown = Countdown(out, tty=False, clock=lambda: clock[0])
    error = limit()
    for step in range(151):  # once a second for 150 s
        clock[0] = float(step)
        countdown(150.0 - step, error)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3  # at 0 s, 60 s and 120 s
    assert lines[0].startswith("Usage limit reached: waiting 2 min 30 s for the reset at ")
    assert "\r" not in out.getvalue()
