"""Loggers for the auth package that can never print a token.

Our code never formats a secret into a log message; :class:`RedactingFilter` is the second line of defence:
it rewrites any record of our loggers that looks like it carries a JWT, a bearer token, a refresh token or an
authorization code before a handler sees it.
"""

from __future__ import annotations

import logging
import re

__all__ = ["RedactingFilter", "get_logger", "redact"]

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # JWTs (id/access tokens): three base64url segments, the first one starting with '{"' encoded.
    (re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), "[REDACTED_JWT]"),
    (re.compile(r"(?i)(bearer\s+)[^\s,;\"']+"), r"\1[REDACTED]"),
    # form / query parameters and JSON members that hold secrets
    (
        re.compile(
            r"(?i)\b((?:refresh_token|access_token|id_token|code_verifier|authorization_code)"
            r"[\"']?\s*[=:]\s*[\"']?)[^&\s\"',}]+"
        ),
        r"\1[REDACTED]",
    ),
    (re.compile(r"(?i)([?&](?:code|token|state)=)[^&\s\"']+"), r"\1[REDACTED]"),
    (re.compile(r"\brt_[A-Za-z0-9_\-.]{8,}"), "[REDACTED_RT]"),
)


def redact(text: str) -> str:
    """``text`` with anything that looks like a token replaced by a ``[REDACTED…]`` marker."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites the message (and arguments) of each record so that no token reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


def get_logger(name: str) -> logging.Logger:
    """The logger ``name`` with a :class:`RedactingFilter` attached (once)."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
    return logger
