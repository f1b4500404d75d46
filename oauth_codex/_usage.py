"""Usage limits, the pure parts (no I/O): snapshots, the budget decision and the wait decision.

* :func:`usage_url` derives ``GET .../backend-api/wham/usage`` from the Codex ``base_url``.
* :func:`parse_usage` reads the wham/usage JSON (shape known from third-party clients only: tolerant,
  keeps ``raw``); :func:`snapshot_from_rate_limits` turns ``x-codex-*`` headers into the same
  :class:`~oauth_codex.types.UsageSnapshot`.
* :func:`budget_error` decides whether a request may be sent under ``usage_budget``.
* :func:`check_policy` / :func:`wait_seconds` decide whether ``on_usage_limit="wait"`` waits for a reset.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from .errors import ConfigError, UsageBudgetExceededError, UsageLimitError
from .types import Credits, RateLimits, RateLimitWindow, UsageSnapshot

__all__ = [
    "BUDGET_ENV",
    "FRESH_FOR",
    "RESET_MARGIN",
    "OnUsageLimit",
    "OnWait",
    "budget_error",
    "budget_from_env",
    "check_budget",
    "check_policy",
    "describe_reset",
    "parse_usage",
    "snapshot_from_rate_limits",
    "usage_url",
    "wait_seconds",
]

OnUsageLimit = Literal["raise", "wait"]
#: ``on_wait(seconds_left, error)``: called at least once a second while waiting for a reset
OnWait = Callable[[float, UsageLimitError], object]

BUDGET_ENV = "CODEX_OAUTH_USAGE_BUDGET"
#: how long a wham/usage snapshot counts as current knowledge for the budget guard
FRESH_FOR = timedelta(minutes=1)
#: seconds added to a reset time before re-sending (clock skew, rounding)
RESET_MARGIN = 1.0
_WINDOW_LABEL = {"primary": "primary", "secondary": "secondary (weekly)"}


# ------------------------------------------------------------------------------------------ URL


def usage_url(base_url: str) -> str:
    """``https://chatgpt.com/backend-api/codex`` -> ``https://chatgpt.com/backend-api/wham/usage``.

    Everything up to ``/backend-api`` is kept; a base without that segment loses its last path segment.
    """
    base = base_url.rstrip("/")
    marker = "/backend-api"
    index = base.find(marker + "/")
    if index < 0 and base.endswith(marker):
        index = len(base) - len(marker)
    if index >= 0:
        return base[: index + len(marker)] + "/wham/usage"
    head, _, _ = base.rpartition("/")
    return (head if "//" in head else base) + "/wham/usage"


# ------------------------------------------------------------------------------------ snapshots


def parse_usage(doc: Any, *, fetched_at: datetime) -> UsageSnapshot:
    """The wham/usage body -> :class:`UsageSnapshot` (``source="usage_endpoint"``); never raises on odd values.

    Raises ``ValueError`` only when ``doc`` is not a JSON object.
    """
    if not isinstance(doc, dict):
        raise ValueError("the usage endpoint did not answer with a JSON object")
    limits = doc.get("rate_limit")
    limits = limits if isinstance(limits, dict) else {}
    review = doc.get("code_review_rate_limit")
    review = review if isinstance(review, dict) else {}
    plan = doc.get("plan_type")
    return UsageSnapshot(
        plan_type=plan if isinstance(plan, str) and plan else None,
        primary=_window(limits.get("primary_window"), fetched_at),
        secondary=_window(limits.get("secondary_window"), fetched_at),
        code_review=_window(review.get("primary_window"), fetched_at),
        credits=_credits(doc.get("credits")),
        fetched_at=fetched_at,
        source="usage_endpoint",
        raw=doc,
    )


def snapshot_from_rate_limits(limits: RateLimits, *, fetched_at: datetime) -> UsageSnapshot:
    """The ``x-codex-*`` headers of a response (already parsed) -> :class:`UsageSnapshot` (``"headers"``)."""
    return UsageSnapshot(
        plan_type=limits.plan_type,
        primary=limits.primary,
        secondary=limits.secondary,
        credits=limits.credits,
        fetched_at=fetched_at,
        source="headers",
        raw=dict(limits.raw),
    )


def _window(value: Any, fetched_at: datetime) -> RateLimitWindow | None:
    if not isinstance(value, dict):
        return None
    used = _number(value.get("used_percent"))
    if used is None:
        return None
    seconds = _number(value.get("limit_window_seconds"))
    after = _number(value.get("reset_after_seconds"))
    resets_at = _instant(value.get("reset_at"))
    if resets_at is None and after is not None and after > 0:
        resets_at = fetched_at + timedelta(seconds=after)
    return RateLimitWindow(
        used_percent=used,
        window_minutes=int(seconds // 60) if seconds else None,
        resets_at=resets_at,
        reset_after_seconds=int(after) if after is not None else None,
    )


def _credits(value: Any) -> Credits | None:
    if not isinstance(value, dict):
        return None
    balance = value.get("balance")
    if isinstance(balance, int | float) and not isinstance(balance, bool):
        balance = f"{balance:g}"
    return Credits(
        has_credits=value.get("has_credits") if isinstance(value.get("has_credits"), bool) else None,
        unlimited=value.get("unlimited") if isinstance(value.get("unlimited"), bool) else None,
        balance=balance if isinstance(balance, str) and balance else None,
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def _instant(value: Any) -> datetime | None:
    if isinstance(value, str) and not value.strip().replace(".", "", 1).isdigit():
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    seconds = _number(value)
    if seconds is None or seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


# --------------------------------------------------------------------------------- budget guard


def check_budget(budget: float | None) -> float | None:
    """Validate ``usage_budget`` (a share of a window, ``0 < budget <= 1``); :class:`ConfigError` otherwise."""
    if budget is None:
        return None
    if isinstance(budget, bool) or not isinstance(budget, int | float) or not 0 < budget <= 1:
        raise ConfigError(
            f"usage_budget={budget!r} is not a share of a usage window: pass a number above 0 and at most 1 "
            "(0.9 stops at 90 %), or None for no budget."
        )
    return float(budget)


def budget_from_env(environ: Mapping[str, str]) -> float | None:
    """``CODEX_OAUTH_USAGE_BUDGET`` (``0.9`` or ``90%``), or ``None`` when unset or empty."""
    text = environ.get(BUDGET_ENV, "").strip()
    if not text:
        return None
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        return check_budget(value)
    except ValueError:  # ConfigError is one too
        raise ConfigError(
            f"{BUDGET_ENV}={text!r} is not a usage budget: set it to a share such as 0.9 (or 90%), "
            "or unset it."
        ) from None


def budget_error(
    snapshot: UsageSnapshot | None, budget: float | None, *, now: datetime
) -> UsageBudgetExceededError | None:
    """The error to raise instead of sending, when the latest known usage is at or over ``budget``.

    Knowledge counts when it comes from response headers, or from a wham/usage snapshot fetched less than
    :data:`FRESH_FOR` ago; a window whose reset time has passed counts as empty. Of several windows over
    the budget, the one that resets last is reported (waiting for it is what lets the request through).
    """
    if budget is None or snapshot is None:
        return None
    if snapshot.source == "usage_endpoint" and now - snapshot.fetched_at > FRESH_FOR:
        return None
    over = [
        (name, window)
        for name, window in snapshot.windows().items()
        if window.used_percent >= budget * 100 and (window.resets_at is None or window.resets_at > now)
    ]
    if not over:
        return None
    far = datetime.max.replace(tzinfo=UTC)
    name, window = max(over, key=lambda item: item[1].resets_at or far)
    message = (
        f"Not sent: the {_WINDOW_LABEL[name]} usage window is {window.used_percent:g} % used, at or over "
        f"this client's usage_budget of {budget * 100:g} %; it resets "
        + (describe_reset(window.resets_at, now) if window.resets_at else "at an unknown time")
        + ". Wait for the reset, raise usage_budget, or pass on_usage_limit='wait' with max_wait."
    )
    resets_in = (window.resets_at - now).total_seconds() if window.resets_at else None
    return UsageBudgetExceededError(
        message,
        window=name,
        used_percent=window.used_percent,
        budget=budget,
        plan_type=snapshot.plan_type,
        resets_at=window.resets_at,
        resets_in_seconds=resets_in,
    )


def describe_reset(moment: datetime, now: datetime) -> str:
    """``"at 2026-05-04 17:16 CEST (in 2 h 14 min)"``: local time and how far away."""
    stamp = moment.astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()
    seconds = (moment - now).total_seconds()
    return f"at {stamp} ({'in ' + span(seconds) if seconds >= 0 else span(-seconds) + ' ago'})"


def span(seconds: float) -> str:
    """``"2 h 14 min"``, ``"3 d 4 h"``, ``"42 s"``."""
    total = max(0, math.ceil(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min" + (f" {secs} s" if minutes < 10 and secs else "")
    return f"{secs} s"


# ---------------------------------------------------------------------------------- wait policy


def check_policy(on_usage_limit: str, max_wait: float | None) -> float | None:
    """Validate ``on_usage_limit`` and ``max_wait`` (else :class:`ConfigError`); ``max_wait`` in seconds or ``None``."""
    if on_usage_limit not in ("raise", "wait"):
        raise ConfigError(f"on_usage_limit={on_usage_limit!r} is not supported: use 'raise' (default) or 'wait'.")
    if on_usage_limit == "raise":
        if max_wait is not None:
            raise ConfigError("max_wait only applies with on_usage_limit='wait'; pass both or neither.")
        return None
    if max_wait is None:
        raise ConfigError(
            "on_usage_limit='wait' needs max_wait: the longest wait for a usage reset, in seconds "
            "(e.g. max_wait=6 * 3600)."
        )
    if isinstance(max_wait, bool) or not isinstance(max_wait, int | float) or not 0 <= max_wait < math.inf:
        raise ConfigError(f"max_wait={max_wait!r} must be a number of seconds >= 0.")
    return float(max_wait)


def wait_seconds(error: UsageLimitError, *, max_wait: float | None, waited: float, now: datetime) -> float | None:
    """How long to wait before re-sending after ``error`` (``None``: raise it).

    Waits only for a usage limit with a known ``resets_at`` that falls, with :data:`RESET_MARGIN`, inside
    what is left of ``max_wait`` (``max_wait`` bounds all the waits of one call together).
    """
    if max_wait is None or error.resets_at is None or error.code == "usage_not_included":
        return None
    seconds = max(0.0, (error.resets_at - now).total_seconds()) + RESET_MARGIN
    if seconds > max_wait - waited:
        return None
    return seconds
