"""oauth-codex: the ChatGPT Codex backend from Python, with a ChatGPT login.

>>> from oauth_codex import CodexOAuthLLM
>>> llm = CodexOAuthLLM()                       # doctest: +SKIP
>>> llm.generate(prompt="Explain PKCE in one line.")  # doctest: +SKIP

``import oauth_codex`` stays light: langchain, llama_index, keyring and the emulator are never imported
here (``CodexOAuthLLM`` itself loads on first access).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_getattr
from ._version import __version__
from .auth._config import OAuthConfig
from .auth._tokens import (
    AccessToken,
    MemoryTokenStore,
    StaticTokenProvider,
    TokenData,
    TokenProvider,
    TokenStore,
)
from .errors import (
    AccountMismatchError,
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    AuthError,
    BadRequestError,
    BlockedError,
    CodexError,
    ContextWindowExceededError,
    IdentityVerificationUnavailableError,
    InvalidIdTokenError,
    InvalidParameterError,
    LoginError,
    ModelNotSupportedError,
    NotAuthenticatedError,
    NotFoundError,
    PermissionDeniedError,
    PlanAuthError,
    PlanGrantError,
    PlanNotEligibleError,
    PlanRouteNotSupportedError,
    PlanUnsupportedCapabilityError,
    PlanUsageLimitError,
    PlanUsageNotGrantedError,
    PlanUsageUnavailableError,
    RateLimitError,
    RefreshNotReadyError,
    RefreshOutcomeUnknownError,
    RefreshTokenError,
    ServerError,
    StreamError,
    TokenStoreError,
    ToolCallRequiredError,
    UnsupportedOnRouteError,
    UsageBudgetExceededError,
    UsageLimitError,
)
from .types import (
    Credits,
    GenerateResult,
    ModelInfo,
    ModelRateLimits,
    RateLimits,
    RateLimitWindow,
    StreamEvent,
    ToolCall,
    Usage,
    UsageSnapshot,
)

if TYPE_CHECKING:
    from ._accumulate import ResponseAccumulator
    from .client import CodexOAuthLLM

# The error names repeat errors.__all__ on purpose: the public root re-exports them (a test pins both lists).
__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AccessToken",
    "AccountMismatchError",
    "AuthError",
    "AuthenticationError",
    "BadRequestError",
    "BlockedError",
    "CodexError",
    "CodexOAuthLLM",
    "ContextWindowExceededError",
    "Credits",
    "GenerateResult",
    "IdentityVerificationUnavailableError",
    "InvalidIdTokenError",
    "InvalidParameterError",
    "LoginError",
    "MemoryTokenStore",
    "ModelInfo",
    "ModelNotSupportedError",
    "ModelRateLimits",
    "NotAuthenticatedError",
    "NotFoundError",
    "OAuthConfig",
    "PermissionDeniedError",
    "PlanAuthError",
    "PlanGrantError",
    "PlanNotEligibleError",
    "PlanRouteNotSupportedError",
    "PlanUnsupportedCapabilityError",
    "PlanUsageLimitError",
    "PlanUsageNotGrantedError",
    "PlanUsageUnavailableError",
    "RateLimitError",
    "RateLimitWindow",
    "RateLimits",
    "RefreshNotReadyError",
    "RefreshOutcomeUnknownError",
    "RefreshTokenError",
    "ResponseAccumulator",
    "ServerError",
    "StaticTokenProvider",
    "StreamError",
    "StreamEvent",
    "TokenData",
    "TokenProvider",
    "TokenStore",
    "TokenStoreError",
    "ToolCall",
    "ToolCallRequiredError",
    "UnsupportedOnRouteError",
    "Usage",
    "UsageBudgetExceededError",
    "UsageLimitError",
    "UsageSnapshot",
    "__version__",
]

_LAZY = {"CodexOAuthLLM": ".client", "ResponseAccumulator": "._accumulate"}

__getattr__ = lazy_getattr(__name__, _LAZY, globals())


def __dir__() -> list[str]:
    return sorted(__all__)
