"""LangChain integration of oauth-codex: :class:`ChatCodexOAuth`, a chat model on the ChatGPT Codex backend.

>>> from langchain_oauth_codex import ChatCodexOAuth
>>> llm = ChatCodexOAuth(model="gpt-5.5")          # doctest: +SKIP
>>> llm.invoke("Explain PKCE in one sentence.")    # doctest: +SKIP

The error classes inherit both the oauth-codex error and LangChain's ``ModelError`` subclass.
"""

from __future__ import annotations

try:
    import langchain_core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "langchain_oauth_codex needs langchain-core: install it with `pip install 'oauth-codex[langchain]'`."
    ) from exc

from ._errors import (
    CodexAPIConnectionError,
    CodexAPIError,
    CodexAPITimeoutError,
    CodexAuthenticationError,
    CodexAuthError,
    CodexBadRequestError,
    CodexBlockedError,
    CodexContextWindowExceededError,
    CodexInvalidParameterError,
    CodexLoginError,
    CodexModelNotSupportedError,
    CodexNotAuthenticatedError,
    CodexNotFoundError,
    CodexPermissionDeniedError,
    CodexRateLimitError,
    CodexRefreshTokenError,
    CodexServerError,
    CodexStreamError,
    CodexTokenStoreError,
    CodexUsageLimitError,
)
from .chat_models import ChatCodexOAuth

__all__ = [
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
