"""Errors raised by :class:`~langchain_oauth_codex.ChatCodexOAuth`.

Each class inherits **both** the oauth-codex error the core client raised and the matching
``langchain_core.exceptions.ModelError`` subclass, so either ``except`` clause works (and
``with_retry`` / ``with_fallbacks`` can filter on LangChain's types). The original core error is chained
as ``__cause__`` and every attribute it carried (``status_code``, ``resets_at``, ``code``, ...) is kept::

    oauth-codex error             LangChain base
    AuthError & subclasses,       ModelAuthenticationError
    TokenStoreError
    AuthenticationError (401)     ModelAuthenticationError
    BadRequestError (400)         ModelInvalidRequestError
    InvalidParameterError (400)   ModelInvalidRequestError   (a bad parameter value, not a missing model)
    ModelNotSupportedError        ModelNotFoundError
    PermissionDeniedError (403)   ModelPermissionDeniedError
    BlockedError (403/503 HTML)   ModelPermissionDeniedError (not retryable)
    NotFoundError (404)           ModelInvalidRequestError   (a replayed server item id, not a model)
    RateLimitError (429)          ModelRateLimitError        (retryable)
    UsageLimitError (429)         ModelRateLimitError        (not retryable: wait for ``resets_at``)
    APIError, ServerError (5xx)   ModelAPIError
    APIConnectionError            ModelConnectionError
    APITimeoutError               ModelTimeoutError
    StreamError                   ModelAPIError
    ContextWindowExceededError    ContextOverflowError
"""

from __future__ import annotations

from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)

from oauth_codex import errors as core
from oauth_codex.policy import is_retryable

__all__ = [
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
    "CodexUsageBudgetExceededError",
    "CodexUsageLimitError",
    "translate_error",
]


class CodexAuthError(core.AuthError, ModelAuthenticationError):
    """No usable ChatGPT login (``oauth_codex.AuthError`` + ``ModelAuthenticationError``)."""


class CodexNotAuthenticatedError(core.NotAuthenticatedError, ModelAuthenticationError):
    """No stored login: run ``oauth-codex login``."""


class CodexLoginError(core.LoginError, ModelAuthenticationError):
    """An automatic login attempt failed."""


class CodexRefreshTokenError(core.RefreshTokenError, ModelAuthenticationError):
    """The refresh token is dead; log in again."""


class CodexTokenStoreError(core.TokenStoreError, ModelAuthenticationError):
    """Stored credentials could not be read or written."""


class CodexAPIError(core.APIError, ModelAPIError):
    """The backend answered with an error status."""


class CodexBadRequestError(core.BadRequestError, ModelInvalidRequestError):
    """400: the backend rejected the request."""


class CodexInvalidParameterError(core.InvalidParameterError, ModelInvalidRequestError):
    """400: a parameter value the model does not take (``param``, e.g. ``reasoning.effort``); not a missing model."""


class CodexModelNotSupportedError(core.ModelNotSupportedError, ModelNotFoundError):
    """400: the model is not available with a ChatGPT account."""


class CodexAuthenticationError(core.AuthenticationError, ModelAuthenticationError):
    """401 after one refresh-and-retry."""


class CodexPermissionDeniedError(core.PermissionDeniedError, ModelPermissionDeniedError):
    """403."""


class CodexBlockedError(core.BlockedError, ModelPermissionDeniedError):
    """403/503 Cloudflare challenge or block page instead of the backend."""

    is_retryable = False


class CodexNotFoundError(core.NotFoundError, ModelInvalidRequestError):
    """404, e.g. a replayed server item id."""


class CodexRateLimitError(core.RateLimitError, ModelRateLimitError):
    """429 rate limit; retryable after ``retry_after``."""


class CodexUsageLimitError(core.UsageLimitError, ModelRateLimitError):
    """429 usage limit of the plan; not retryable before ``resets_at``."""

    is_retryable = False


class CodexUsageBudgetExceededError(core.UsageBudgetExceededError, CodexUsageLimitError):
    """Not sent: a usage window is at or over ``usage_budget``; not retryable before ``resets_at``."""


class CodexServerError(core.ServerError, ModelAPIError):
    """5xx after the core client's retries."""


class CodexAPIConnectionError(core.APIConnectionError, ModelConnectionError):
    """The backend could not be reached."""


class CodexAPITimeoutError(core.APITimeoutError, ModelTimeoutError):
    """The backend did not answer in time."""


class CodexStreamError(core.StreamError, ModelAPIError):
    """The response stream failed before completing."""


class CodexContextWindowExceededError(core.ContextWindowExceededError, ContextOverflowError):
    """The input does not fit the context window."""


# Most specific first: the first ``isinstance`` match wins.
_MAPPING: tuple[tuple[type[core.CodexError], type[core.CodexError]], ...] = (
    (core.ContextWindowExceededError, CodexContextWindowExceededError),
    (core.StreamError, CodexStreamError),
    (core.UsageBudgetExceededError, CodexUsageBudgetExceededError),
    (core.UsageLimitError, CodexUsageLimitError),
    (core.RateLimitError, CodexRateLimitError),
    (core.InvalidParameterError, CodexInvalidParameterError),
    (core.ModelNotSupportedError, CodexModelNotSupportedError),
    (core.BadRequestError, CodexBadRequestError),
    (core.AuthenticationError, CodexAuthenticationError),
    (core.BlockedError, CodexBlockedError),
    (core.PermissionDeniedError, CodexPermissionDeniedError),
    (core.NotFoundError, CodexNotFoundError),
    (core.ServerError, CodexServerError),
    (core.APIError, CodexAPIError),
    (core.APITimeoutError, CodexAPITimeoutError),
    (core.APIConnectionError, CodexAPIConnectionError),
    (core.NotAuthenticatedError, CodexNotAuthenticatedError),
    (core.LoginError, CodexLoginError),
    (core.RefreshTokenError, CodexRefreshTokenError),
    (core.AuthError, CodexAuthError),
    (core.TokenStoreError, CodexTokenStoreError),
)

def translate_error(exc: BaseException) -> BaseException:
    """Return ``exc`` as its dual-inheritance class (same message and attributes), or ``exc`` itself.

    Errors that already are LangChain ``ModelError``s, and anything that is not an oauth-codex error,
    are returned unchanged. Raise the result ``from exc`` to keep the original as the cause.
    """
    if isinstance(exc, ModelError) or not isinstance(exc, core.CodexError):
        return exc
    source: type[core.CodexError] = type(exc)
    if isinstance(exc, core.StreamError) and exc.code == "context_length_exceeded":
        source = core.ContextWindowExceededError
    dual_cls = next((dual for core_cls, dual in _MAPPING if issubclass(source, core_cls)), None)
    if dual_cls is None:  # ToolCallRequiredError or the bare base class: nothing LangChain-specific to add
        return exc
    if not issubclass(dual_cls, type(exc)):
        # An unknown core subclass: translating would lose its type, so surface it unchanged.
        return exc
    new = dual_cls.__new__(dual_cls)
    new.args = exc.args
    new.__dict__.update(exc.__dict__)
    new.is_retryable = is_retryable(exc)  # type: ignore[attr-defined]  # the core's policy, one list
    new.__traceback__ = exc.__traceback__
    return new
