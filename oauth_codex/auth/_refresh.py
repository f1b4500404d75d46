"""When to refresh (docs/protocol.md "When to refresh"), as pure functions of the tokens and the time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ._tokens import TokenData

__all__ = ["DEFAULT_SKEW_SECONDS", "LAST_REFRESH_MAX_AGE", "needs_refresh", "still_valid"]

DEFAULT_SKEW_SECONDS = 300.0
LAST_REFRESH_MAX_AGE = timedelta(days=8)


def needs_refresh(tokens: TokenData, now: float, skew_seconds: float = DEFAULT_SKEW_SECONDS) -> bool:
    """Refresh when the access token expires within ``skew_seconds``.

    Without a parsable ``exp``: when ``last_refresh`` is unknown or older than 8 days (the Codex CLI's rule).
    """
    expires_at = tokens.expires_at
    if expires_at is not None:
        return expires_at.timestamp() - now <= skew_seconds
    if tokens.last_refresh is None:
        return True
    last = tokens.last_refresh if tokens.last_refresh.tzinfo else tokens.last_refresh.replace(tzinfo=UTC)
    return datetime.fromtimestamp(now, UTC) - last >= LAST_REFRESH_MAX_AGE


def still_valid(tokens: TokenData, now: float, margin_seconds: float = 30.0) -> bool:
    """Whether the access token can still be used for a while although a refresh is due.

    Used after a transient refresh failure: a token with a known ``exp`` more than ``margin_seconds`` away is
    used as is instead of failing the request.
    """
    expires_at = tokens.expires_at
    return expires_at is not None and expires_at.timestamp() - now > margin_seconds
