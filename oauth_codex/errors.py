"""The exception tree of oauth-codex.

Every error raised by the SDK derives from :class:`CodexError`; each message says what to do next
and never contains a token::

    CodexError
    ├── AuthError                         login / stored credentials
    │   ├── NotAuthenticatedError         no usable login: run `oauth-codex login`
    │   ├── LoginError                    a login attempt failed (denied, state mismatch, port busy, ...)
    │   │   ├── AccountMismatchError      SIWC: another ChatGPT account signed in than the profile's
    │   │   └── InvalidIdTokenError       SIWC: the ID token failed verification (signature, iss, aud, nonce...)
    │   ├── RefreshTokenError             the refresh token is dead (`code`: refresh_token_reused, ...)
    │   ├── RefreshNotReadyError          SIWC: the token expired before `earliest_refresh_at` (`retry_at`)
    │   ├── RefreshOutcomeUnknownError    SIWC: a refresh was sent and no answer came: sign in again
    │   ├── IdentityVerificationUnavailableError  SIWC: discovery/JWKS unreachable (retryable, login kept)
    │   └── PlanUsageNotGrantedError      SIWC: signed in, but ChatGPT plan usage was not granted
    ├── TokenStoreError                   a token store cannot be read or written (names the file)
    ├── ConfigError                       a setting (a CODEX_OAUTH_* variable or argument) is invalid; also a ValueError
    ├── APIError                          an error answer (`status_code`, `body`, `request_id`, `code`)
    │   ├── BadRequestError               400: `message` is the backend's `detail`
    │   │   ├── ModelNotSupportedError    400: unknown/retired model, or gated behind a newer Codex version
    │   │   └── PlanUnsupportedCapabilityError  SIWC 400 `..._unsupported_capability` (`param`)
    │   ├── AuthenticationError           401 after one refresh-and-retry
    │   │   └── PlanAuthError             SIWC 401 (`..._invalid_user`, signed identity not accepted)
    │   ├── PermissionDeniedError         403 (workspace policy, account mismatch)
    │   │   ├── BlockedError              403/503 HTML answer: a Cloudflare challenge or block, not the backend
    │   │   ├── PlanNotEligibleError      SIWC 403 (`..._user_not_eligible`, region, app not enabled)
    │   │   ├── PlanRouteNotSupportedError  SIWC 403 `..._route_not_supported`
    │   │   └── PlanGrantError            SIWC 403 `chatpass_v2_*`
    │   ├── NotFoundError                 404 (e.g. a replayed server item id)
    │   ├── RateLimitError                429 rate limit (`retry_after`)
    │   │   └── UsageLimitError           429 usage_limit_reached / usage_not_included (`resets_at`, `plan_type`)
    │   │       ├── UsageBudgetExceededError  not sent: a window is at or over `usage_budget` (`window`)
    │   │       └── PlanUsageLimitError   SIWC plan usage limit: `resets_at=None`, `manage_url`
    │   └── ServerError                   5xx after retries
    │       └── PlanUsageUnavailableError  SIWC 503 usage/user information unavailable (retried, bounded)
    ├── APIConnectionError                could not reach the backend (after retries)
    │   └── APITimeoutError               connect/read timeout
    ├── StreamError                       the stream failed: dropped, `response.failed`, `response.incomplete`,
    │   │                                 `error` event, or EOF before `response.completed` (`code`, `partial_text`)
    │   └── ContextWindowExceededError    `response.failed` with `context_length_exceeded`
    ├── ToolCallRequiredError             the model asked for tools and `return_details=False` (`tool_calls`)
    └── UnsupportedOnRouteError           (also a ValueError) the chosen route cannot send what was asked
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .types import GenerateResult, RateLimits, ToolCall

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AccountMismatchError",
    "AuthError",
    "AuthenticationError",
    "BadRequestError",
    "BlockedError",
    "CodexError",
    "ConfigError",
    "ContextWindowExceededError",
    "IdentityVerificationUnavailableError",
    "InvalidIdTokenError",
    "InvalidParameterError",
    "LoginError",
    "ModelNotSupportedError",
    "NotAuthenticatedError",
    "NotFoundError",
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
    "RefreshNotReadyError",
    "RefreshOutcomeUnknownError",
    "RefreshTokenError",
    "ServerError",
    "StreamError",
    "TokenStoreError",
    "ToolCallRequiredError",
    "UnsupportedOnRouteError",
    "UsageBudgetExceededError",
    "UsageLimitError",
]


class CodexError(Exception):
    """Base class of every error raised by oauth-codex."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


# --------------------------------------------------------------------------- auth


class AuthError(CodexError):
    """Base class of login and credential errors."""


class NotAuthenticatedError(AuthError):
    """No usable login was found and logging in interactively is not possible here."""


class LoginError(AuthError):
    """A login attempt failed; nothing stored was changed.

    ``code`` is a short machine-readable reason such as ``access_denied``, ``state_mismatch``,
    ``missing_authorization_code``, ``port_in_use``, ``device_code_expired`` or ``token_exchange_failed``.
    """

    def __init__(self, message: str, *, code: str | None = None, problem: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        #: what went wrong without the advice on what to do next (a paste prompt asks again instead)
        self.problem = problem or message


class RefreshTokenError(AuthError):
    """The refresh token can no longer be used; the user has to log in again.

    ``code`` is the server's error code, e.g. ``refresh_token_reused``, ``refresh_token_expired`` or
    ``refresh_token_invalidated``.
    """

    def __init__(self, message: str, *, code: str | None = None, status_code: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status_code = status_code


class TokenStoreError(CodexError):
    """A token store could not be read or written. ``path`` names the file when there is one."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class ConfigError(CodexError, ValueError):
    """A configuration value is invalid; the message names the ``CODEX_OAUTH_*`` variable (or argument)."""


# --------------------------------------------------------------------------- HTTP status


class APIError(CodexError):
    """The backend answered with an error status.

    Attributes: ``status_code``, ``body`` (parsed JSON or text), ``request_id`` (``x-oai-request-id``),
    ``code`` (the backend's error code when it gave one), ``rate_limits`` (from the ``x-codex-*`` headers).
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: Any = None,
        request_id: str | None = None,
        code: str | None = None,
        rate_limits: RateLimits | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body
        self.request_id = request_id
        self.code = code
        self.rate_limits = rate_limits


class BadRequestError(APIError):
    """400: the backend rejected the request; ``message`` is the backend's ``detail``."""


class InvalidParameterError(BadRequestError):
    """400: one request parameter has a value the backend does not take (for this model); the model is fine.

    ``param`` names it as the backend did, e.g. ``"reasoning.effort"`` for an effort the model does not
    support; the message lists the supported values when the backend does. Change that parameter and send
    again. (A :class:`BadRequestError`, so existing handlers still catch it; never a
    :class:`ModelNotSupportedError`, so model fallbacks do not fire on a bad parameter.)
    """

    def __init__(self, message: str, *, param: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.param = param


class ModelNotSupportedError(BadRequestError):
    """400: the model cannot be used here: unknown, retired, not on this plan, or gated.

    ``model`` is the slug the backend named (when it did); ``gated`` is true for "The '<model>' model
    requires a newer version of Codex" (the backend gates models by the Codex version a client advertises:
    set ``CODEX_OAUTH_CLIENT_VERSION`` / ``client_version=`` or pick another model); ``available_models``
    lists the slugs the client knows this login can use (from the model catalog, else the built-in list).
    """

    def __init__(
        self,
        message: str,
        *,
        model: str | None = None,
        gated: bool = False,
        available_models: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.model = model
        self.gated = gated
        self.available_models = list(available_models or [])


class AuthenticationError(APIError):
    """401 that survived one refresh-and-retry: log in again with ``oauth-codex login``."""


class PermissionDeniedError(APIError):
    """403: the request was blocked (Cloudflare, workspace policy, or a different account)."""


class BlockedError(PermissionDeniedError):
    """403/503 answered with an HTML page (a Cloudflare challenge or block) instead of the Codex backend.

    Never retried automatically; the HTML is kept in ``body`` but never quoted in the message. ``ray_id``
    is Cloudflare's ``cf-ray`` (quote it when asking for help). Try again later, from another network,
    or without a VPN/proxy.
    """

    def __init__(self, message: str, *, ray_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.ray_id = ray_id


class NotFoundError(APIError):
    """404: for example a replayed item carrying a server id while ``store`` is false."""


class RateLimitError(APIError):
    """429: too many requests. ``retry_after`` (seconds) is set when the server suggested a delay."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class UsageLimitError(RateLimitError):
    """429 ``usage_limit_reached`` (or ``usage_not_included``): the plan's quota is used up.

    Never retried automatically. ``resets_at`` says when to try again.
    """

    def __init__(
        self,
        message: str,
        *,
        plan_type: str | None = None,
        resets_at: datetime | None = None,
        resets_in_seconds: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.plan_type = plan_type
        self.resets_at = resets_at
        self.resets_in_seconds = resets_in_seconds


class UsageBudgetExceededError(UsageLimitError):
    """The request was not sent: a usage window is at or over the client's ``usage_budget``.

    A :class:`UsageLimitError`, so handlers of usage limits catch it too (``status_code`` is 429 although
    nothing was sent). ``window`` (``"primary"`` or ``"secondary"``), ``used_percent``, ``budget`` (a share,
    e.g. 0.9) and ``resets_at`` say which window, how full, and when it resets.
    """

    def __init__(
        self,
        message: str,
        *,
        window: str,
        used_percent: float,
        budget: float,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("status_code", 429)
        kwargs.setdefault("code", "usage_budget_exceeded")
        super().__init__(message, **kwargs)
        self.window = window
        self.used_percent = used_percent
        self.budget = budget


class ServerError(APIError):
    """5xx that persisted through every retry."""


# --------------------------------------------------------------------------- transport


class APIConnectionError(CodexError):
    """The backend could not be reached (after retries)."""


class APITimeoutError(APIConnectionError):
    """The backend did not answer in time (after retries)."""


# --------------------------------------------------------------------------- stream


class StreamError(CodexError):
    """The response stream failed before ``response.completed``.

    Raised for a dropped connection, a stream that ends without ``response.completed``, and
    ``response.failed`` / ``response.incomplete`` / ``error`` events. ``partial_text`` holds the text
    received so far (never silently returned as if complete); ``code`` is the backend's error code
    (``context_length_exceeded``, ``insufficient_quota``, ``rate_limit_exceeded``, ``max_output_tokens``, ...);
    ``retry_after`` is parsed from "try again in 1.5s" messages; ``partial_result`` is the
    :class:`~oauth_codex.types.GenerateResult` built from what arrived, when available.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        partial_text: str = "",
        response_id: str | None = None,
        retry_after: float | None = None,
        partial_result: GenerateResult | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.partial_text = partial_text
        self.response_id = response_id
        self.retry_after = retry_after
        self.partial_result = partial_result


class ContextWindowExceededError(StreamError):
    """The input does not fit the model's context window: shorten the conversation."""


# --------------------------------------------------------------------------- function calling


class ToolCallRequiredError(CodexError):
    """The model asked for tool calls but ``return_details=False`` cannot return them.

    Run the calls in ``tool_calls`` and continue with ``tool_results=[...]``, or pass
    ``return_details=True``. ``result`` is the full :class:`~oauth_codex.types.GenerateResult`.
    """

    def __init__(self, message: str, *, tool_calls: list[ToolCall], result: GenerateResult | None = None) -> None:
        super().__init__(message)
        self.tool_calls = tool_calls
        self.result = result


# --------------------------------------------------------------------------- "Sign in with ChatGPT" route

#: where a ChatGPT user manages the plan usage of apps (SIWC errors and notices link here)
MANAGE_USAGE_URL = "https://chatgpt.com/settings/usage"


class AccountMismatchError(LoginError):
    """SIWC: the sign-in returned another ChatGPT account than the profile's; the saved login is unchanged."""


class InvalidIdTokenError(LoginError):
    """SIWC: the ID token failed verification (signature, ``iss``, ``aud``, ``azp``, ``exp`` or ``nonce``)."""


class RefreshNotReadyError(AuthError):
    """SIWC: the access token expired but the server allows no refresh before ``retry_at`` (a datetime)."""

    def __init__(self, message: str, *, retry_at: datetime | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class RefreshOutcomeUnknownError(AuthError):
    """SIWC: a refresh request was sent but no usable answer came back.

    The server may have rotated the refresh token, so it is never sent again automatically: sign in again
    (``oauth-codex login --route siwc``).
    """


class IdentityVerificationUnavailableError(AuthError):
    """SIWC: the discovery document or the JWKS could not be read; retry later (the login is kept)."""


class PlanUsageNotGrantedError(AuthError):
    """SIWC: signed in, but ChatGPT plan usage was not granted (``chatgpt.tokens.use.direct`` missing)."""


class PlanUnsupportedCapabilityError(BadRequestError):
    """SIWC 400 ``subscription_sharing_unsupported_capability``; ``param`` names what to remove."""

    def __init__(self, message: str, *, param: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.param = param


class PlanAuthError(AuthenticationError):
    """SIWC 401 after one refresh-and-retry: check the account and granted scopes, or sign in again."""


class PlanNotEligibleError(PermissionDeniedError):
    """SIWC 403: plan usage is unavailable for this user, workspace, region or app (no retry helps)."""


class PlanRouteNotSupportedError(PermissionDeniedError):
    """SIWC 403 ``subscription_sharing_route_not_supported``: only ``POST /v1/responses`` is allowed."""


class PlanGrantError(PermissionDeniedError):
    """SIWC 403 ``chatpass_v2_*``: the signed permission context does not authorize the operation."""


class PlanUsageLimitError(UsageLimitError):
    """SIWC ``subscription_sharing_usage_limit_exceeded``: the plan's or this app's limit is reached.

    ``resets_at`` is always ``None`` (the server gives no reset time and none is invented); ``manage_url``
    is where the user sees and manages the usage. Never retried automatically.
    """

    def __init__(self, message: str, *, manage_url: str = MANAGE_USAGE_URL, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.manage_url = manage_url


class PlanUsageUnavailableError(ServerError):
    """SIWC 503 ``..._usage_unavailable`` / ``..._user_unavailable``: retried with bounded backoff, then raised."""


class UnsupportedOnRouteError(CodexError, ValueError):
    """The chosen route cannot send what was asked (e.g. ``temperature`` or a hosted tool on ``siwc``).

    Raised before any network call; ``field`` names the parameter or tool type.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
