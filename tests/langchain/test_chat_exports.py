"""The public surface of ``langchain_oauth_codex``: the adapter class and its error classes, nothing else."""

from __future__ import annotations

import langchain_oauth_codex
from langchain_core.exceptions import ModelError

import oauth_codex

EXPECTED = [
    "ChatCodexOAuth",
    "CodexAPIConnectionError",
    "CodexAPIError",
    "CodexAPITimeoutError",
    "CodexAuthError",
    "CodexAuthenticationError",
    "CodexBadRequestError",
    "CodexBlockedError",
    "CodexContextWindowExceededError",
    "CodexInvalidParameterError",
    "CodexLoginError",
    "CodexModelNotSupportedError",
    "CodexNotAuthenticatedError",
    "CodexNotFoundError",
    "CodexPermissionDeniedError",
    "CodexRateLimitError",
    "CodexRefreshTokenError",
    "CodexServerError",
    "CodexStreamError",
    "CodexTokenStoreError",
    "CodexUsageLimitError",
]


def test_all_is_pinned() -> None:
    assert langchain_oauth_codex.__all__ == EXPECTED
    for name in EXPECTED:
        assert getattr(langchain_oauth_codex, name) is not None


def test_every_error_is_both_a_core_error_and_a_langchain_model_error() -> None:
    for name in EXPECTED[1:]:
        cls = getattr(langchain_oauth_codex, name)
        core = getattr(oauth_codex, name.removeprefix("Codex"))
        assert issubclass(cls, core) and issubclass(cls, ModelError), name
