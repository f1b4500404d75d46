"""PKCE, state, the authorize URL and callback parsing; pure functions, no I/O.

See docs/protocol.md "PKCE and state", "Authorize URL" and "Login callback".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
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

#: a code in a callback URL: RFC 6749 allows any visible ASCII character (no spaces or control characters)
_CODE_SHAPE = re.compile(r"[\x21-\x7e]{1,4096}")
#: a bare pasted code must look like a token (URL-safe characters), not like ``javascript:...`` or prose
_BARE_CODE_SHAPE = re.compile(r"[A-Za-z0-9._~+/=-]{1,4096}")
#: longer pastes are not a redirect URL (the real one is well under 2 KB)
MAX_PASTE_CHARS = 16384

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


def _invalid_callback(what: str) -> LoginError:
    return LoginError(
        f"{what} Paste the full URL exactly as your browser's address bar shows it after signing in, or run "
        "`oauth-codex login` again.",
        code="invalid_callback",
        problem=what,
    )


def callback_code(params: Mapping[str, Sequence[str]], expected_state: str) -> str:
    """Apply docs/protocol.md "Login callback" to callback query parameters; return the authorization code.

    Order: ``state`` first (even on error callbacks; a repeated ``state`` never matches), then ``error``,
    then a missing ``code``. Raises :class:`LoginError` with ``code`` ``state_mismatch``, the server's error
    (e.g. ``access_denied``), ``missing_authorization_code``, or ``invalid_callback`` (a repeated ``code``
    or one that cannot be an authorization code).
    """
    states = params.get("state") or []
    if len(states) != 1 or not state_matches(states[0], expected_state):
        raise LoginError(
            "The login callback's state does not match this login attempt (a stale or forged callback). "
            "Start the login again and use the URL it prints.",
            code="state_mismatch",
            problem="That URL does not belong to this login attempt (its state does not match; an older tab?).",
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
    codes = params.get("code") or []
    if len(codes) > 1:
        raise _invalid_callback("The login callback carries more than one authorization code.")
    code = codes[0] if codes else None
    if not code:
        raise LoginError(
            "The login callback carried no authorization code. Run `oauth-codex login` to try again.",
            code="missing_authorization_code",
            problem="That URL carries no authorization code.",
        )
    if not _CODE_SHAPE.fullmatch(code):
        raise _invalid_callback("The login callback's authorization code is malformed.")
    return code


def parse_pasted_callback(text: str, expected_state: str) -> str:
    """The authorization code from what the user pasted in paste mode.

    Accepts the full redirected URL (``http://localhost:1455/auth/callback?code=…&state=…``), just its query
    string, or a bare code. URLs and query strings are checked like a real callback (state first). The host
    is not checked: the single-use ``state`` authenticates the URL, and the code is useless without this
    login's PKCE verifier. Anything else (``javascript:`` or ``data:`` text, a malformed URL, a repeated
    ``code``, more than :data:`MAX_PASTE_CHARS` characters) raises :class:`LoginError` ``invalid_callback``
    before any request is made.
    """
    pasted = text.strip().strip("'\"<>")
    if not pasted:
        raise LoginError(
            "Nothing was pasted. Run the login again and paste the full URL your browser was redirected to.",
            code="missing_authorization_code",
            problem="Nothing was pasted.",
        )
    if len(pasted) > MAX_PASTE_CHARS:
        raise _invalid_callback(f"What was pasted is too long ({len(pasted)} characters) for a redirect URL.")
    if "://" in pasted:
        try:
            query = urlsplit(pasted).query
        except ValueError:
            raise _invalid_callback("What was pasted is not a valid URL.") from None
    elif "=" in pasted:
        query = pasted.split("?", 1)[-1].split("#", 1)[0]
    elif _BARE_CODE_SHAPE.fullmatch(pasted):
        return pasted  # a bare code
    else:
        raise _invalid_callback("What was pasted is neither the redirected URL nor an authorization code.")
    params = parse_qs(query, keep_blank_values=True)
    return callback_code(params, expected_state)
