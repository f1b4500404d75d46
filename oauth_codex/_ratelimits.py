"""``x-codex-*`` response headers -> :class:`~oauth_codex.types.RateLimits` (pure; never raises)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime

from .types import Credits, ModelRateLimits, RateLimits, RateLimitWindow

__all__ = ["parse_rate_limits"]

_PREFIX = "x-codex-"
_EXTRA = ("x-oai-request-id", "x-models-etag", "cf-ray")
_FAMILY_SUFFIX = "-primary-used-percent"


def parse_rate_limits(headers: Mapping[str, str], *, now: float | None = None) -> RateLimits | None:
    """Parse the rate-limit headers the backend sends on every response (200 and errors alike).

    Per-model families (``x-codex-<family>-*``) land in ``families``. Returns ``None`` when no ``x-codex-*``
    header is present. Unparsable values are ignored, never raised.
    ``now`` (unix seconds, default the current time) turns a lone ``reset-after-seconds`` into ``resets_at``.
    """
    lowered: dict[str, str] = {}
    for key, value in headers.items():
        name = key.lower()
        if name.startswith(_PREFIX) or name in _EXTRA:
            lowered[name] = value
    if not any(name.startswith(_PREFIX) for name in lowered):
        return None
    when = time.time() if now is None else now
    return RateLimits(
        primary=_window(lowered, "x-codex-primary", when),
        secondary=_window(lowered, "x-codex-secondary", when),
        primary_over_secondary_limit_percent=_float(
            lowered.get("x-codex-primary-over-secondary-limit-percent")
        ),
        credits=_credits(lowered),
        active_limit=_text(lowered.get("x-codex-active-limit")),
        plan_type=_text(lowered.get("x-codex-plan-type")),
        request_id=_text(lowered.get("x-oai-request-id")),
        promo_message=_text(lowered.get("x-codex-promo-message")),
        raw=lowered,
        families=_families(lowered, when),
    )


def _families(headers: Mapping[str, str], now: float) -> dict[str, ModelRateLimits]:
    """Per-model families: every ``x-codex-<family>-primary-used-percent`` (the CLI's discovery rule)."""
    families: dict[str, ModelRateLimits] = {}
    for name in sorted(headers):
        if not name.endswith(_FAMILY_SUFFIX) or name == f"{_PREFIX}primary-used-percent":
            continue
        prefix = name[: -len(_FAMILY_SUFFIX)]
        if not prefix.startswith(_PREFIX):
            continue
        limit_id = prefix[2:].replace("-", "_")
        primary = _window(headers, f"{prefix}-primary", now)
        secondary = _window(headers, f"{prefix}-secondary", now)
        if primary is None and secondary is None:
            continue
        families[limit_id] = ModelRateLimits(
            limit_id=limit_id,
            limit_name=_text(headers.get(f"{prefix}-limit-name")),
            primary=primary,
            secondary=secondary,
        )
    return families


def _window(headers: Mapping[str, str], prefix: str, now: float) -> RateLimitWindow | None:
    used = _float(headers.get(f"{prefix}-used-percent"))
    if used is None:
        return None
    minutes = _int(headers.get(f"{prefix}-window-minutes"))
    reset_at = _float(headers.get(f"{prefix}-reset-at"))
    reset_after = _int(headers.get(f"{prefix}-reset-after-seconds"))
    if reset_at is None and reset_after:
        reset_at = now + reset_after
    # the CLI's rule: a window exists only if something about it is non-zero or present
    if used == 0 and not minutes and reset_at is None:
        return None
    resets_at = None
    if reset_at is not None and reset_at > 0:
        try:
            resets_at = datetime.fromtimestamp(reset_at, UTC)
        except (OverflowError, OSError, ValueError):
            resets_at = None
    return RateLimitWindow(
        used_percent=used,
        window_minutes=minutes,
        resets_at=resets_at,
        reset_after_seconds=reset_after,
    )


def _credits(headers: Mapping[str, str]) -> Credits | None:
    has = _bool(headers.get("x-codex-credits-has-credits"))
    unlimited = _bool(headers.get("x-codex-credits-unlimited"))
    balance = _text(headers.get("x-codex-credits-balance"))
    if has is None and unlimited is None and balance is None:
        return None
    return Credits(has_credits=has, unlimited=unlimited, balance=balance)


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        result = float(value.strip())
    except ValueError:
        return None
    return result if result == result and result not in (float("inf"), float("-inf")) else None


def _int(value: str | None) -> int | None:
    number = _float(value)
    if number is None:
        return None
    try:
        return int(number)
    except (OverflowError, ValueError):
        return None


def _bool(value: str | None) -> bool | None:
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    return None
