"""Auth-server requests and replies as plain data (no I/O).

Builders turn config + inputs into an :class:`HttpRequest`; parsers turn an :class:`HttpReply` into
:class:`~oauth_codex.auth.TokenData` or the right typed error. The sync and async drivers in ``_flow`` only
send what these build, so both paths share every rule of docs/protocol.md
"Code exchange", "Refresh" and "Revocation and device code".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .._request import user_agent
from .._version import __version__
from ..errors import LoginError, RefreshTokenError, ServerError
from ._config import OAuthConfig
from ._tokens import TokenData

__all__ = [
    "PERMANENT_REFRESH_CODES",
    "HttpReply",
    "HttpRequest",
    "auth_headers",
    "code_exchange_request",
    "error_code",
    "error_message",
    "refresh_failure",
    "refresh_request",
    "revoke_request",
    "tokens_from_code_reply",
    "tokens_from_refresh_reply",
]

PERMANENT_REFRESH_CODES = frozenset(
    {"refresh_token_expired", "refresh_token_reused", "refresh_token_invalidated"}
)

_RELOGIN = (
    "Log in again with `oauth-codex login` (or `oauth-codex login --paste` / `--device` without a browser)."
)


@dataclass(frozen=True)
class HttpRequest:
    """One request to the auth server. Bodies may hold secrets, so they stay out of ``repr``."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    json: dict[str, Any] | None = field(default=None, repr=False)
    form: dict[str, str] | None = field(default=None, repr=False)
    timeout: float = 30.0


@dataclass(frozen=True)
class HttpReply:
    """What came back: status, lower-case headers and the body (parsed JSON when it is JSON, else text)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = field(default=None, repr=False)

    @classmethod
    def from_bytes(cls, status: int, headers: dict[str, str], content: bytes) -> HttpReply:
        text = content.decode("utf-8", errors="replace")
        body: Any = text
        if text.strip():
            try:
                body = json.loads(text)
            except ValueError:
                body = text
        return cls(status, {k.lower(): v for k, v in headers.items()}, body)


def auth_headers(config: OAuthConfig) -> dict[str, str]:
    """``originator`` and ``User-Agent`` headers sent with every auth-server call (docs/protocol.md "Refresh")."""
    return {"originator": config.originator, "User-Agent": user_agent(__version__, config.originator)}


# --------------------------------------------------------------------------- builders


def code_exchange_request(
    config: OAuthConfig, token_endpoint: str, *, code: str, redirect_uri: str, code_verifier: str
) -> HttpRequest:
    """docs/protocol.md "Code exchange": form-encoded ``authorization_code`` grant."""
    return HttpRequest(
        "POST",
        token_endpoint,
        headers={**auth_headers(config), "Accept": "application/json"},
        form={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": config.client_id,
            "code_verifier": code_verifier,
        },
    )


def refresh_request(config: OAuthConfig, token_endpoint: str, refresh_token: str) -> HttpRequest:
    """docs/protocol.md "Refresh": JSON ``refresh_token`` grant with originator and User-Agent headers."""
    return HttpRequest(
        "POST",
        token_endpoint,
        headers={**auth_headers(config), "Accept": "application/json"},
        json={"client_id": config.client_id, "grant_type": "refresh_token", "refresh_token": refresh_token},
    )


def revoke_request(config: OAuthConfig, revoke_endpoint: str, tokens: TokenData) -> HttpRequest:
    """docs/protocol.md "Revocation and device code": revoke the refresh token (or, without one, the access token).
    Best effort, 10 s timeout."""
    body: dict[str, Any]
    if tokens.refresh_token:
        body = {
            "token": tokens.refresh_token,
            "token_type_hint": "refresh_token",
            "client_id": config.client_id,
        }
    else:
        body = {"token": tokens.access_token, "token_type_hint": "access_token"}
    return HttpRequest("POST", revoke_endpoint, headers=auth_headers(config), json=body, timeout=10.0)


# --------------------------------------------------------------------------- parsers


def error_code(body: Any) -> str | None:
    """The error code of an auth-server error body (docs/protocol.md "Refresh"), lower-cased.

    Read from ``error`` when it is a string, else ``error.code``, else ``code``.
    """
    if not isinstance(body, dict):
        return None
    err = body.get("error")
    if isinstance(err, str) and err:
        return err.lower()
    if isinstance(err, dict):
        code = err.get("code")
        if isinstance(code, str) and code:
            return code.lower()
    code = body.get("code")
    if isinstance(code, str) and code:
        return code.lower()
    return None


def error_message(body: Any) -> str | None:
    """A human-readable description from an error body (``error_description``, ``error.message``, ...)."""
    if isinstance(body, dict):
        for key in ("error_description", "message", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
        err = body.get("error")
        if isinstance(err, dict):
            value = err.get("message")
            if isinstance(value, str) and value:
                return value
    if isinstance(body, str) and body.strip() and len(body) <= 300 and "<" not in body:
        return body.strip()
    return None


def _account_id(id_token: str, access_token: str) -> str | None:
    return TokenData(id_token=id_token, access_token=access_token).resolved_account_id()


def tokens_from_code_reply(reply: HttpReply, *, now: datetime | None = None) -> TokenData:
    """Tokens from the code-exchange reply (docs/protocol.md "Code exchange"); raises :class:`LoginError` otherwise."""
    if reply.status != 200:
        code = error_code(reply.body) or f"http_{reply.status}"
        detail = error_message(reply.body)
        raise LoginError(
            f"The auth server refused the authorization code (HTTP {reply.status}, {code}"
            + (f": {detail}" if detail else "")
            + "). Start the login again; codes are single-use and expire after a few minutes.",
            code="token_exchange_failed",
        )
    body = reply.body if isinstance(reply.body, dict) else {}
    missing = [k for k in ("id_token", "access_token", "refresh_token") if not isinstance(body.get(k), str)]
    if missing:
        raise LoginError(
            f"The auth server's token reply lacks {', '.join(missing)}; the login cannot be completed. "
            "Check CODEX_OAUTH_SCOPE includes 'offline_access' and try again.",
            code="token_exchange_failed",
        )
    return TokenData(
        id_token=body["id_token"],
        access_token=body["access_token"],
        refresh_token=body["refresh_token"],
        account_id=_account_id(body["id_token"], body["access_token"]),
        last_refresh=now or datetime.now(UTC),
    )


def tokens_from_refresh_reply(old: TokenData, reply: HttpReply, *, now: datetime | None = None) -> TokenData:
    """``old`` with the fields the refresh reply returned overwritten and ``last_refresh=now`` (docs/protocol.md
    "Refresh").

    The caller checked ``reply.status == 200``.
    """
    body = reply.body if isinstance(reply.body, dict) else {}
    update: dict[str, Any] = {"last_refresh": now or datetime.now(UTC)}
    for key in ("id_token", "access_token", "refresh_token"):
        value = body.get(key)
        if isinstance(value, str) and value:
            update[key] = value
    if "access_token" not in update:
        raise ServerError(
            "The auth server answered the token refresh without an access token; your stored login is "
            "unchanged. Try again in a moment.",
            status_code=reply.status,
        )
    if not old.account_id:
        update["account_id"] = _account_id(update.get("id_token", old.id_token), update["access_token"])
    return old.model_copy(update=update)


def refresh_failure(reply: HttpReply) -> RefreshTokenError | ServerError:
    """Classify a failed refresh (docs/protocol.md "Refresh").

    :class:`RefreshTokenError` for the permanent cases (the three named codes whatever the status, any
    code with 401); :class:`ServerError` for everything else, which is transient: the stored tokens stay.
    """
    code = error_code(reply.body)
    if code in PERMANENT_REFRESH_CODES or reply.status == 401:
        reasons = {
            "refresh_token_reused": "it was already used (another program or process refreshed with it)",
            "refresh_token_expired": "it has expired",
            "refresh_token_invalidated": "it was revoked (you logged out elsewhere or changed your password)",
        }
        why = reasons.get(code or "", f"the auth server rejected it ({code or f'HTTP {reply.status}'})")
        return RefreshTokenError(
            f"Your ChatGPT login can no longer be refreshed: {why}. {_RELOGIN}",
            code=code,
            status_code=reply.status,
        )
    return ServerError(
        f"The auth server failed to refresh the access token (HTTP {reply.status}"
        + (f", {code}" if code else "")
        + "); your stored login is unchanged. Try again in a moment.",
        status_code=reply.status,
        body=None,
        code=code,
    )
