"""PKCE, state, the authorize URL and callback parsing (SPEC §1.2-§1.4); pure functions, no I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, urlsplit

from ..errors import LoginError
from ._config import OAuthConfig

__all__ = [
    "PkceCodes",
    "build_authorize_url",
    "callback_code",
    "generate_pkce",
    "generate_state",
    "parse_pasted_callback",
]

ENTITLEMENT_MESSAGE = (
    "Codex is not enabled for your ChatGPT workspace (missing_codex_entitlement). Ask your workspace "
    "admin to enable Codex, or log in with a personal account."
)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class PkceCodes:
    """A PKCE pair: the secret ``verifier`` (hidden from repr) and its S256 ``challenge``."""

    verifier: str = field(repr=False)
    challenge: str


def pkce_from_verifier(verifier: str) -> PkceCodes:
    return PkceCodes(verifier, _b64url(hashlib.sha256(verifier.encode("ascii")).digest()))


def generate_pkce() -> PkceCodes:
    """64 random bytes, base64url without padding (86 chars), and the 43-char S256 challenge."""
    return pkce_from_verifier(_b64url(secrets.token_bytes(64)))


def generate_state() -> str:
    """32 random bytes, base64url without padding (43 chars)."""
    return _b64url(secrets.token_bytes(32))


def build_authorize_url(
    config: OAuthConfig,
    authorization_endpoint: str,
    *,
    redirect_uri: str,
    pkce: PkceCodes,
    state: str,
    allowed_workspace_ids: Sequence[str] = (),
) -> str:
    """The authorize URL with the parameters in the Codex CLI's order, every value fully percent-encoded.

    ``audience`` is appended when the config sets one.
    """
    params: list[tuple[str, str]] = [
        ("response_type", "code"),
        ("client_id", config.client_id),
        ("redirect_uri", redirect_uri),
        ("scope", config.scope),
        ("code_challenge", pkce.challenge),
        ("code_challenge_method", "S256"),
        ("id_token_add_organizations", "true"),
        ("codex_cli_simplified_flow", "true"),
        ("state", state),
        ("originator", config.originator),
    ]
    if allowed_workspace_ids:
        params.append(("allowed_workspace_id", ",".join(allowed_workspace_ids)))
    if config.audience:
        params.append(("audience", config.audience))
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params)
    sep = "&" if "?" in authorization_endpoint else "?"
    return f"{authorization_endpoint}{sep}{query}"


def state_matches(received: str | None, expected: str) -> bool:
    """Constant-time comparison of the returned ``state`` with the one we sent."""
    if not received:
        return False
    return hmac.compare_digest(received.encode("utf-8"), expected.encode("utf-8"))


def _first(params: Mapping[str, Sequence[str]], key: str) -> str | None:
    values = params.get(key)
    return values[0] if values else None


def callback_code(params: Mapping[str, Sequence[str]], expected_state: str) -> str:
    """Apply SPEC §1.4 to callback query parameters; return the authorization code.

    Order: ``state`` first (even on error callbacks), then ``error``, then a missing ``code``. Raises
    :class:`LoginError` with ``code`` ``state_mismatch``, the server's error (e.g. ``access_denied``), or
    ``missing_authorization_code``.
    """
    if not state_matches(_first(params, "state"), expected_state):
        raise LoginError(
            "The login callback's state does not match this login attempt (a stale or forged callback). "
            "Start the login again and use the URL it prints.",
            code="state_mismatch",
        )
    error = _first(params, "error")
    if error:
        description = _first(params, "error_description") or ""
        if "missing_codex_entitlement" in description or error == "missing_codex_entitlement":
            raise LoginError(ENTITLEMENT_MESSAGE, code=error)
        detail = f": {description}" if description else ""
        raise LoginError(
            f"The login was not completed ({error}{detail}). Run `oauth-codex login` to try again.",
            code=error,
        )
    code = _first(params, "code")
    if not code:
        raise LoginError(
            "The login callback carried no authorization code. Run `oauth-codex login` to try again.",
            code="missing_authorization_code",
        )
    return code


def parse_pasted_callback(text: str, expected_state: str) -> str:
    """The authorization code from what the user pasted in paste mode.

    Accepts the full redirected URL (``http://localhost:1455/auth/callback?code=…&state=…``), just its query
    string, or a bare code. URLs and query strings are checked like a real callback (state first).
    """
    pasted = text.strip().strip("'\"<>")
    if not pasted:
        raise LoginError(
            "Nothing was pasted. Run the login again and paste the full URL your browser was redirected to.",
            code="missing_authorization_code",
        )
    if "://" in pasted:
        query = urlsplit(pasted).query
    elif "=" in pasted:
        query = pasted.split("?", 1)[-1].split("#", 1)[0]
    else:
        return pasted  # a bare code
    params = parse_qs(query, keep_blank_values=True)
    return callback_code(params, expected_state)
